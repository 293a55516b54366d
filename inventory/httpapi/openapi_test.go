package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
)

// openAPIRouter loads and validates the committed document.
func openAPIRouter(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return r
}

// validateExchanges checks every recorded answer of a documented route
// against the document: its status must be documented and its body match
// the schema. Successful requests are validated too.
func validateExchanges(t *testing.T, xs []exchange, minOps int) {
	t.Helper()
	router := openAPIRouter(t)
	ctx := context.Background()
	checked := map[string]bool{}
	for _, x := range xs {
		u := &url.URL{Scheme: "http", Host: "api.test", Path: x.path, RawQuery: x.query}
		req, _ := http.NewRequest(x.method, u.String(), bytes.NewReader(x.reqBody))
		req.Header = x.reqHeader.Clone()
		route, params, err := router.FindRoute(req)
		if err != nil {
			if x.status != http.StatusNotFound && x.status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s answered %d but is not in the document: %v", x.method, x.path, x.status, err)
			}
			continue
		}
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if x.status < 300 {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				t.Errorf("%s %s?%s: the request the API accepted does not match the document: %v", x.method, x.path, x.query, err)
			}
		}
		if x.header.Get("Content-Type") == "text/event-stream" {
			continue
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status, Header: x.header,
			Body: io.NopCloser(bytes.NewReader(x.body)), Options: opts}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s %s answered %d: does not match the document: %v\nbody: %.400s", x.method, x.path, x.status, err, x.body)
		}
		checked[route.Path+" "+x.method] = true
	}
	if len(checked) < minOps {
		t.Errorf("validated %d operations, want %d (%v)", len(checked), minOps, checked)
	}
}
