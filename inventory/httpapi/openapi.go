package httpapi

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 document of the API, as served at
// GET /api/v1/cam/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// openAPI serves the document, without authentication.
func (h *Handler) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(OpenAPI)
	return nil
}
