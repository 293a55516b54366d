package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/multicloud-ecs/multicloud"
)

// Response codes of the envelope's "code" field. Each error code is its
// HTTP status times 100 plus a detail digit, so a client can switch on
// either.
const (
	CodeOK               = 0     // 200, 201 or 202: success
	CodeBadRequest       = 40000 // 400: malformed JSON, unknown field, wrong type, invalid value or filter
	CodeUnauthenticated  = 40100 // 401: missing or wrong credentials for this API
	CodeForbidden        = 40300 // 403: credentials valid, access denied
	CodeNotFound         = 40400 // 404: unknown ID, or unknown route
	CodeMethodNotAllowed = 40500 // 405: the route exists, the method does not
	CodeConflict         = 40900 // 409: a name taken, or a sync of the account already running
	CodeTooLarge         = 41300 // 413: a body over the limit (1 MiB by default)
	CodeThrottled        = 42900 // 429: the cloud throttled the account's calls
	CodeInternal         = 50000 // 500: the store or the server failed
	CodeCloudFailed      = 50200 // 502: the cloud answered with an error (credentials refused, sync failed)
	CodeCloudUnavailable = 50300 // 503: the cloud could not be reached, or the request was cancelled
)

// envelope is every response body: {"code", "msg", "data"}.
type envelope struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	Data any    `json:"data"`
}

// apiError is an error with the status and code it is answered with.
type apiError struct {
	status int
	code   int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, CodeBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, CodeNotFound, fmt.Sprintf(format, args...)}
}

// writeJSON writes status and v as the response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":50000,"msg":"encode response","data":null}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// ok writes a success envelope around data.
func ok(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, envelope{Code: CodeOK, Msg: "success", Data: data})
}

// classify maps an error to its status, code and message. Messages of
// inventory errors are theirs; they never hold secrets, which the
// inventory keeps out of every error.
func classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("body is larger than %d bytes", mbe.Limit)}
	}
	msg := oneLine(err.Error())
	var me *multicloud.Error
	fromCloud := errors.As(err, &me) && me.Provider != ""
	switch multicloud.CodeOf(err) {
	case multicloud.CodeInvalidArgument:
		return &apiError{http.StatusBadRequest, CodeBadRequest, msg}
	case multicloud.CodeNotFound:
		if fromCloud && me.ProviderCode != "" {
			break // a cloud resource the account cannot see: a cloud failure
		}
		return &apiError{http.StatusNotFound, CodeNotFound, msg}
	case multicloud.CodeAlreadyExists, multicloud.CodeConflict:
		return &apiError{http.StatusConflict, CodeConflict, msg}
	case multicloud.CodeThrottled:
		return &apiError{http.StatusTooManyRequests, CodeThrottled, msg}
	case multicloud.CodeUnavailable, multicloud.CodeCanceled, multicloud.CodeWaitTimeout:
		return &apiError{http.StatusServiceUnavailable, CodeCloudUnavailable, msg}
	}
	if fromCloud {
		return &apiError{http.StatusBadGateway, CodeCloudFailed, msg}
	}
	return &apiError{http.StatusInternalServerError, CodeInternal, "internal error"}
}

// oneLine joins a multi-line error (errors.Join) with "; ".
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

// fail writes err as an error envelope.
func fail(w http.ResponseWriter, err error) *apiError {
	ae := classify(err)
	writeJSON(w, ae.status, envelope{Code: ae.code, Msg: ae.msg, Data: nil})
	return ae
}
