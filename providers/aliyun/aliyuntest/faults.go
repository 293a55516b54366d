package aliyuntest

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// controls holds the emulator's own flow control (SetQPS): Aliyun
// throttles per API and region with its own code and status, a
// wire-level matter. Faults and latency live in the sim.Cloud.
type controls struct {
	mu       sync.Mutex
	qps      map[string]float64 // action -> limit; "" = default per action
	buckets  map[bucketKey]*bucket
	realTime func() time.Time
	// throttleStatus is the HTTP status of Throttling.User (see WithThrottlingStatus).
	throttleStatus int
}

type bucketKey struct{ action, region string }

// bucket is a token bucket refilled at rate tokens per second, holding at most burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newControls(throttleStatus int) *controls {
	return &controls{
		throttleStatus: throttleStatus,
		qps:            map[string]float64{},
		buckets:        map[bucketKey]*bucket{},
		realTime:       time.Now,
	}
}

// SetLatency delays calls of action by d; action "" sets the delay of every
// action that has no delay of its own, and an action's own delay replaces
// it (sim.Cloud.SetLatency). d = 0 removes the setting. The delay is
// waited out before the call is processed; a client that gives up ends it
// with a ServiceUnavailable answer nobody reads.
func (s *Server) SetLatency(action string, d time.Duration) { s.cloud.SetLatency(action, d) }

// SetQPS limits calls of action to qps per second per region with a token
// bucket (burst max(1, qps)), as Aliyun throttles per API and region. Action ""
// sets the limit of every action without its own limit (each action still has
// its own bucket). qps <= 0 removes the limit. Calls beyond the limit fail
// with Throttling.User, HTTP 400.
func (s *Server) SetQPS(action string, qps float64) {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if qps <= 0 {
		delete(s.ctl.qps, action)
	} else {
		s.ctl.qps[action] = qps
	}
	clear(s.ctl.buckets)
}

// InjectFault adds a fault to the simulated cloud (see sim.Fault): Action
// is the API action ("RunInstances"), Region the RegionId. A FaultError
// answers with Code and Status when set, else with the Aliyun code and
// status of its Class (see faultError); FaultReset closes the connection
// before the call is authenticated, and FaultLost, FaultSlow and
// FaultGarbled act on the response of a processed call, whatever its
// outcome. Faults are tried in the order they were added; the first that
// fires decides the call. The draws of Rate come from the source
// WithRandSeed seeds.
func (s *Server) InjectFault(f sim.Fault) { s.cloud.InjectFault(f) }

// ClearFaults removes every fault of the given kinds, or every fault.
func (s *Server) ClearFaults(kinds ...sim.FaultKind) { s.cloud.ClearFaults(kinds...) }

// before applies latency, throttling and error faults to a call.
func (s *Server) before(ctx context.Context, action, region string) error {
	f, err := s.cloud.Enter(ctx, action, region)
	if err != nil {
		return errCode(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	}
	if !s.ctl.allow(action, region) {
		return errCode(s.ctl.throttleStatus, "Throttling.User", "Request was denied due to user flow control.")
	}
	if f != nil {
		if e := f.Err(); e != nil {
			return faultError(e, s.ctl.throttleStatus)
		}
	}
	return nil
}

// allow takes a token from the (action, region) bucket.
func (c *controls) allow(action, region string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, ok := c.qps[action]
	if !ok {
		q, ok = c.qps[""]
	}
	if !ok {
		return true
	}
	now := c.realTime()
	k := bucketKey{action, region}
	b := c.buckets[k]
	if b == nil {
		burst := math.Max(1, q)
		b = &bucket{rate: q, burst: burst, tokens: burst, last: now}
		c.buckets[k] = b
	}
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// classCodes are the Aliyun error code and status of each sim class, for
// faults that name a class but no code of their own.
var classCodes = map[sim.Class]struct {
	code   string
	status int
}{
	sim.ClassNotFound:            {"InvalidParameter.NotFound", 404},
	sim.ClassIncorrectState:      {"IncorrectInstanceStatus", 403},
	sim.ClassConflict:            {"OperationConflict", 400},
	sim.ClassQuotaExceeded:       {"QuotaExceeded", 400},
	sim.ClassNoStock:             {"OperationDenied.NoStock", 403},
	sim.ClassInvalidParameter:    {"InvalidParameter", 400},
	sim.ClassIdempotentMismatch:  {"IdempotentParameterMismatch", 400},
	sim.ClassThrottled:           {"Throttling.User", 400},
	sim.ClassDependencyViolation: {"DependencyViolation", 400},
	sim.ClassUnavailable:         {"ServiceUnavailable", 503},
	sim.ClassInternal:            {"InternalError", 500},
}

// faultError is the Aliyun answer to an injected error fault: its Code,
// else its class's code; its Status, else 400 for a code starting with
// "Throttling", 503 for ServiceUnavailable, the class's status for the
// class's code and 500 for other codes; its Message, else a generic one.
func faultError(e *sim.Error, throttleStatus int) *apiError {
	cc := classCodes[e.Class]
	code := e.Code
	if code == "" {
		code = cc.code
		if code == "" {
			code = "InternalError"
		}
	}
	status := e.Status
	if status == 0 {
		switch {
		case strings.HasPrefix(code, "Throttling"):
			status = http.StatusBadRequest
			if e.Code == "" {
				status = throttleStatus
			}
		case code == "ServiceUnavailable":
			status = http.StatusServiceUnavailable
		case code == cc.code:
			status = cc.status
		default:
			status = http.StatusInternalServerError
		}
	}
	msg := e.Message
	if msg == "" {
		switch {
		case status == http.StatusServiceUnavailable:
			msg = "The request has failed due to a temporary failure of the server."
		case strings.HasPrefix(code, "Throttling"):
			msg = "Request was denied due to user flow control."
		default:
			msg = "The request processing has failed due to some unknown error."
		}
	}
	return &apiError{status: status, code: code, msg: msg}
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // aborts the response where hijacking is not supported
}

// apiErrorOf is the Aliyun answer to a state error of the simulated cloud
// that a handler did not answer with a code of its own: the code and
// status of its class.
func apiErrorOf(err error) *apiError {
	var e *sim.Error
	if !errors.As(err, &e) {
		return &apiError{status: 500, code: "InternalError", msg: "The request processing has failed due to some unknown error."}
	}
	cc, ok := classCodes[e.Class]
	if !ok {
		cc = classCodes[sim.ClassInternal]
	}
	return &apiError{status: cc.status, code: cc.code, msg: "The operation failed: " + e.Error() + "."}
}
