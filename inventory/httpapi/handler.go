// Package httpapi serves the inventory as the asset-sync design's REST
// API under /api/v1/cam/: assets, statistics, cloud accounts, syncs as
// jobs, change events, and the API's OpenAPI document. A service mounts
// the Handler New returns and supplies its own authentication.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// Prefix is the path every route of the API starts with.
const Prefix = "/api/v1/cam"

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	DefaultMaxJobs      = 200
	DefaultHeartbeat    = 15 * time.Second
)

// Options configure a Handler.
type Options struct {
	// Auth authenticates every request but GET /api/v1/cam/openapi.json.
	// A nil error lets the request through; an error matching
	// multicloud.ErrPermissionDenied is answered 403, any other 401,
	// with the error's message. Nil means no authentication.
	Auth func(*http.Request) error
	// Logger receives one access log record per request and the
	// failures behind 5xx answers; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes is the largest request body; 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxJobs is how many finished sync jobs are kept for
	// GET /sync-jobs/{id}; 0 means DefaultMaxJobs.
	MaxJobs int
	// Heartbeat is how often an idle event stream sends a comment, so
	// proxies keep it open; 0 means DefaultHeartbeat.
	Heartbeat time.Duration
	// SyncQueue, when set, runs syncs as its jobs instead of in the
	// Handler's goroutines; see WithSyncQueue.
	SyncQueue SyncQueue
}

// Option edits Options.
type Option func(*Options)

// WithAuth sets Options.Auth.
func WithAuth(fn func(*http.Request) error) Option { return func(o *Options) { o.Auth = fn } }

// WithLogger sets Options.Logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithMaxBodyBytes sets Options.MaxBodyBytes.
func WithMaxBodyBytes(n int64) Option { return func(o *Options) { o.MaxBodyBytes = n } }

// BearerToken returns an Options.Auth that requires the header
// "Authorization: Bearer <token>", compared in constant time. token must
// not be empty; an empty one rejects every request.
func BearerToken(token string) func(*http.Request) error {
	want := []byte(token)
	return func(r *http.Request) error {
		got, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !found || len(want) == 0 || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			return errors.New("missing or invalid bearer token")
		}
		return nil
	}
}

// Handler is the API as an http.Handler. It owns the goroutines of the
// sync jobs it starts; Close stops them. It is safe for concurrent use.
type Handler struct {
	svc    *inventory.Service
	opts   Options
	log    *slog.Logger
	mux    *http.ServeMux
	jobs   *jobs
	queued queued // jobs enqueued on Options.SyncQueue
	meta   metaCache

	ctx    context.Context // done at Close: ends jobs and event streams
	cancel context.CancelFunc
}

// New returns the Handler of svc. It fails with an error matching
// multicloud.ErrInvalidArgument when svc is nil or an option is negative.
func New(svc *inventory.Service, opts ...Option) (*Handler, error) {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	if svc == nil {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "httpapi: nil service")
	}
	if o.MaxBodyBytes < 0 || o.MaxJobs < 0 || o.Heartbeat < 0 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "httpapi: negative option")
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxJobs == 0 {
		o.MaxJobs = DefaultMaxJobs
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{svc: svc, opts: o, log: log, mux: http.NewServeMux(), ctx: ctx, cancel: cancel}
	h.jobs = newJobs(h)
	h.routes()
	return h, nil
}

// Close cancels the running sync jobs and open event streams and waits
// for the jobs to end. Requests after Close fail or end at once. It is
// safe to call more than once.
func (h *Handler) Close() error {
	h.cancel()
	h.jobs.wait()
	return nil
}

// handlerFunc is a route: it writes a success itself or returns the
// error to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (h *Handler) routes() {
	for _, rt := range []struct {
		pattern string
		fn      handlerFunc
	}{
		{"POST " + Prefix + "/assets/discover", h.discover},
		{"POST " + Prefix + "/assets/sync", h.syncAssets},
		{"GET " + Prefix + "/assets", h.listAssets},
		{"GET " + Prefix + "/assets/statistics", h.statistics},
		{"GET " + Prefix + "/sync-jobs", h.listJobs},
		{"GET " + Prefix + "/sync-jobs/{id}", h.getJob},
		{"POST " + Prefix + "/sync-jobs/{id}/cancel", h.cancelJob},
		{"POST " + Prefix + "/cloud-accounts", h.createAccount},
		{"GET " + Prefix + "/cloud-accounts", h.listAccounts},
		{"GET " + Prefix + "/cloud-accounts/{id}", h.getAccount},
		{"PUT " + Prefix + "/cloud-accounts/{id}", h.updateAccount},
		{"DELETE " + Prefix + "/cloud-accounts/{id}", h.deleteAccount},
		{"POST " + Prefix + "/cloud-accounts/{id}/test-connection", h.testConnection},
		{"POST " + Prefix + "/cloud-accounts/{id}/sync", h.syncAccount},
		{"GET " + Prefix + "/asset-events", h.events},
		{"GET " + Prefix + "/asset-events/stream", h.eventStream},
		{"GET " + Prefix + "/openapi.json", h.openAPI},
	} {
		h.mux.Handle(rt.pattern, rt.fn)
	}
}

// ServeHTTP implements http.Handler: request ID, access log, panic
// recovery, authentication, then the route; unknown routes and methods
// get 404 and 405 envelopes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID(r.Header.Get("X-Request-Id"))
	w.Header().Set("X-Request-Id", id)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	var failure error
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			failure = errors.New("panic in handler")
			h.log.ErrorContext(r.Context(), "http handler panic", "request_id", id, "panic", p)
			if !rec.wrote {
				fail(rec, failure)
			}
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"bytes", rec.bytes, "duration", time.Since(start), "remote", r.RemoteAddr}
		if failure != nil && rec.status >= 500 {
			attrs = append(attrs, "error", failure)
		}
		h.log.Log(r.Context(), level, "http request", attrs...)
	}()
	r.Body = http.MaxBytesReader(rec, r.Body, h.opts.MaxBodyBytes)
	route, pattern := h.mux.Handler(r)
	if pattern == "" {
		// The mux's own 404 or 405: keep its status and Allow header,
		// answer with an envelope.
		probe := &statusProbe{header: http.Header{}}
		route.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			rec.Header().Set("Allow", allow)
		}
		if probe.status == http.StatusMethodNotAllowed {
			fail(rec, &apiError{http.StatusMethodNotAllowed, CodeMethodNotAllowed, r.Method + " is not allowed on " + r.URL.Path})
		} else {
			fail(rec, notFound("no route %s %s", r.Method, r.URL.Path))
		}
		return
	}
	if h.opts.Auth != nil && pattern != "GET "+Prefix+"/openapi.json" {
		if err := h.opts.Auth(r); err != nil {
			ae := &apiError{http.StatusUnauthorized, CodeUnauthenticated, oneLine(err.Error())}
			if errors.Is(err, multicloud.ErrPermissionDenied) {
				ae.status, ae.code = http.StatusForbidden, CodeForbidden
			} else {
				rec.Header().Set("WWW-Authenticate", `Bearer realm="cam"`)
			}
			fail(rec, ae)
			return
		}
	}
	h.mux.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), failureKey{}, &failure)))
}

// failureKey carries a *error where a route stores the failure behind
// its answer, for the access log.
type failureKey struct{}

// ServeHTTP runs the route and answers its error.
func (fn handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := fn(w, r); err != nil {
		ae := fail(w, err)
		if p, ok := r.Context().Value(failureKey{}).(*error); ok && ae.status >= 500 {
			*p = err
		}
	}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID returns the caller's request ID when it is short and plain,
// else a new random one.
func requestID(given string) string {
	if requestIDPattern.MatchString(given) {
		return given
	}
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusProbe captures what the mux's fallback handler would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) WriteHeader(s int) {
	if p.status == 0 {
		p.status = s
	}
}
func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
