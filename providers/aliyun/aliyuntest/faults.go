package aliyuntest

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Fault makes matching calls fail with an error response.
type Fault struct {
	// Action is the API action to fail; "" matches every action.
	Action string
	// Code is the error code; default "InternalError".
	Code string
	// HTTPStatus is the response status; default 500, or 400 for codes starting
	// with "Throttling", 503 for "ServiceUnavailable".
	HTTPStatus int
	// Message is the error message; default a generic message for Code.
	Message string
	// Count fails the next Count matching calls (after AfterCalls); 0 = unlimited.
	Count int
	// Rate is the probability (0..1] that a matching call fails; 0 means always.
	// The random source is seeded with WithRandSeed.
	Rate float64
	// Region restricts the fault to calls with this RegionId; "" matches all.
	Region string
	// AfterCalls lets the first AfterCalls matching calls pass before failing,
	// e.g. AfterCalls: 2, Count: 1 fails the third page of a listing.
	AfterCalls int
}

type faultState struct {
	f     Fault
	seen  int
	fired int
}

// controls holds the runtime knobs: latency, throttling and faults.
type controls struct {
	mu      sync.Mutex
	latency map[string]time.Duration // action -> latency; "" = default
	qps     map[string]float64       // action -> limit; "" = default per action
	buckets map[bucketKey]*bucket
	faults  []*faultState
	// netFaults fail calls like a network (InjectNetFault).
	netFaults []*netFaultState
	rnd       *rand.Rand
	realTime  func() time.Time
	// throttleStatus is the HTTP status of Throttling.User (see WithThrottlingStatus).
	throttleStatus int
}

type bucketKey struct{ action, region string }

// bucket is a token bucket refilled at rate tokens per second, holding at most burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newControls(latency time.Duration, seed uint64, throttleStatus int) *controls {
	return &controls{
		throttleStatus: throttleStatus,
		latency:        map[string]time.Duration{"": latency},
		qps:            map[string]float64{},
		buckets:        map[bucketKey]*bucket{},
		rnd:            rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		realTime:       time.Now,
	}
}

// SetLatency delays calls of action by d; action "" sets the delay of every
// action that has no delay of its own. d = 0 removes an action's own delay.
func (s *Server) SetLatency(action string, d time.Duration) {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if d == 0 && action != "" {
		delete(s.ctl.latency, action)
		return
	}
	s.ctl.latency[action] = d
}

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

// InjectFault adds a fault. Faults are checked in the order they were added;
// the first one that fires decides the response.
func (s *Server) InjectFault(f Fault) {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	s.ctl.faults = append(s.ctl.faults, &faultState{f: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	s.ctl.faults = nil
}

// before applies latency, throttling and faults to a call.
func (c *controls) before(ctx context.Context, action, region string) error {
	c.mu.Lock()
	d, ok := c.latency[action]
	if !ok {
		d = c.latency[""]
	}
	c.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return errCode(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.allow(action, region) {
		return errCode(c.throttleStatus, "Throttling.User", "Request was denied due to user flow control.")
	}
	for _, fs := range c.faults {
		if e := fs.fire(action, region, c.rnd); e != nil {
			return e
		}
	}
	return nil
}

// allow takes a token from the (action, region) bucket; c.mu must be held.
func (c *controls) allow(action, region string) bool {
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

func (fs *faultState) fire(action, region string, rnd *rand.Rand) *apiError {
	f := fs.f
	if f.Action != "" && f.Action != action {
		return nil
	}
	if f.Region != "" && f.Region != region {
		return nil
	}
	fs.seen++
	if fs.seen <= f.AfterCalls {
		return nil
	}
	if f.Count > 0 && fs.fired >= f.Count {
		return nil
	}
	if f.Rate > 0 && f.Rate < 1 && rnd.Float64() >= f.Rate {
		return nil
	}
	fs.fired++
	code := f.Code
	if code == "" {
		code = "InternalError"
	}
	status := f.HTTPStatus
	if status == 0 {
		switch {
		case len(code) >= 10 && code[:10] == "Throttling":
			status = http.StatusBadRequest
		case code == "ServiceUnavailable":
			status = http.StatusServiceUnavailable
		default:
			status = http.StatusInternalServerError
		}
	}
	msg := f.Message
	if msg == "" {
		switch {
		case status == http.StatusServiceUnavailable:
			msg = "The request has failed due to a temporary failure of the server."
		case len(code) >= 10 && code[:10] == "Throttling":
			msg = "Request was denied due to user flow control."
		default:
			msg = "The request processing has failed due to some unknown error."
		}
	}
	return &apiError{status: status, code: code, msg: msg}
}

// NetFaultKind is how a NetFault fails a call, as a network would.
type NetFaultKind int

// The network faults.
const (
	// Reset closes the connection before the request is processed:
	// nothing happened, and the client sees a connection error.
	Reset NetFaultKind = iota + 1
	// Lost processes the request, then closes the connection without a
	// response: the call took effect, and the client cannot know it.
	Lost
	// Slow processes the request, then holds the response for
	// NetFault.Delay: a client that gives up earlier has its call take
	// effect all the same.
	Slow
	// Garbled processes the request and answers 200 with the first half
	// of the body only: the call took effect, and the answer cannot be
	// read.
	Garbled
)

// NetFault makes matching calls fail like a network: see NetFaultKind.
type NetFault struct {
	// Action is the API action; "" matches every action.
	Action string
	Kind   NetFaultKind
	// Rate is the probability (0..1] that a matching call is hit; 0 means
	// always. The draws come from the source WithRandSeed seeds.
	Rate float64
	// Count limits the fault to the next Count calls it hits; 0 is no limit.
	Count int
	// Delay is how long Slow holds the response; default 1s.
	Delay time.Duration
}

type netFaultState struct {
	f     NetFault
	fired int
}

// InjectNetFault adds a network fault. Network faults are drawn before
// the call is authenticated: a Reset fires before anything else (throttling
// and error faults included), Lost, Slow and Garbled after the call was
// processed, whatever its outcome.
func (s *Server) InjectNetFault(f NetFault) {
	if f.Kind == Slow && f.Delay <= 0 {
		f.Delay = time.Second
	}
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	s.ctl.netFaults = append(s.ctl.netFaults, &netFaultState{f: f})
}

// ClearNetFaults removes every network fault.
func (s *Server) ClearNetFaults() {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	s.ctl.netFaults = nil
}

// netFault returns the first network fault of one of kinds that fires on
// a call of action, or nil.
func (c *controls) netFault(action string, kinds ...NetFaultKind) *NetFault {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fs := range c.netFaults {
		f := fs.f
		if (f.Action != "" && f.Action != action) || !slices.Contains(kinds, f.Kind) {
			continue
		}
		if f.Count > 0 && fs.fired >= f.Count {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && c.rnd.Float64() >= f.Rate {
			continue
		}
		fs.fired++
		return &f
	}
	return nil
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
