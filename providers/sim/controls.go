package sim

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// FaultKind is how a Fault fails a call.
type FaultKind int

// The kinds of fault.
const (
	// FaultError fails the call with an *Error before it is processed:
	// nothing happens. A FaultError with no Class only adds its Latency.
	FaultError FaultKind = iota
	// FaultReset resets the connection before the call is processed:
	// nothing happens, and the caller sees a connection error.
	FaultReset
	// FaultLost processes the call, then loses the response: the call
	// takes effect, and the caller cannot know it.
	FaultLost
	// FaultSlow processes the call, then holds the response for
	// Fault.Latency (default 1s): a caller that gives up earlier has its
	// call take effect all the same.
	FaultSlow
	// FaultGarbled processes the call and answers with a response that
	// cannot be read: the call takes effect.
	FaultGarbled
)

var faultKindNames = [...]string{"error", "reset", "lost", "slow", "garbled"}

// String returns "error", "reset", "lost", "slow" or "garbled".
func (k FaultKind) String() string {
	if int(k) < len(faultKindNames) && k >= 0 {
		return faultKindNames[k]
	}
	return "unknown"
}

// IsResponse reports whether the kind acts on the response of a
// processed call (lost, slow, garbled).
func (k FaultKind) IsResponse() bool { return k == FaultLost || k == FaultSlow || k == FaultGarbled }

// Fault makes matching calls fail, or wait, or both. Faults are tried in
// the order they were added; the first that fires decides the call.
type Fault struct {
	// Action is the face's own name of the call ("RunInstances",
	// "AllocateAddress", ...); "" matches every call.
	Action string
	// Region restricts the fault to calls in this region; "" matches all.
	Region string
	// Kind says how the call fails; the zero FaultError is an error
	// response.
	Kind FaultKind
	// Class is the class of a FaultError's *Error (default ClassInternal
	// when Code or Status is set). A FaultError with neither Class, Code
	// nor Status only adds Latency.
	Class Class
	// Code and Status are the face's own error code and HTTP status of a
	// FaultError, for faces to show as is; empty, each face maps Class.
	Code   string
	Status int
	// Message is the error message; default a face's own.
	Message string
	// Rate is the probability (0..1] that a matching call is hit; 0 means
	// always. The draws come from a source seeded by Options.Seed.
	Rate float64
	// AfterCalls lets the first AfterCalls matching calls pass, e.g.
	// AfterCalls: 2, Count: 1 fails the third page of a listing.
	AfterCalls int
	// Count limits the fault to the next Count calls it fires on; 0 fires
	// on every matching call.
	Count int
	// Latency is added before a FaultError (or latency-only) call is
	// processed when the fault fires; for FaultSlow it is how long the
	// response is held (default 1s). Other kinds ignore it.
	Latency time.Duration
}

// Err returns the *Error a FaultError fault fails its call with, or nil
// for a latency-only fault or another kind.
func (f *Fault) Err() *Error {
	if f.Kind != FaultError || (f.Class == "" && f.Code == "" && f.Status == 0) {
		return nil
	}
	class := f.Class
	if class == "" {
		class = ClassInternal
	}
	return &Error{Class: class, Code: f.Code, Status: f.Status, Message: f.Message, Reason: "InjectedFault"}
}

type faultState struct {
	f     Fault
	seen  int
	fired int
}

// Call is one entry of the call log.
type Call struct {
	At     time.Time // when the call started, on the Cloud's clock
	Action string    // the face's own name of the call
	Region string
	// Target is the resource the call acted on; for a create, the IDs
	// created (comma-separated); "" when none.
	Target string
	Err    error // what the call returned; nil on success
}

// controls holds faults, latency and the call log under their own lock,
// so that waiting out latency never holds the state lock.
type controls struct {
	mu       sync.Mutex
	faults   []*faultState
	latency  map[string]time.Duration
	rnd      *rand.Rand
	calls    []Call
	counts   map[string]int
	total    int
	maxCalls int
}

func (c *controls) init(seed uint64, maxCalls int) {
	c.latency = make(map[string]time.Duration)
	c.counts = make(map[string]int)
	c.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c.maxCalls = maxCalls
}

// InjectFault adds f after the faults already there.
func (c *Cloud) InjectFault(f Fault) {
	if f.Kind == FaultSlow && f.Latency <= 0 {
		f.Latency = time.Second
	}
	c.ctl.mu.Lock()
	c.ctl.faults = append(c.ctl.faults, &faultState{f: f})
	c.ctl.mu.Unlock()
}

// ClearFaults removes every fault of the given kinds, or every fault when
// none is given. Latency set with SetLatency stays.
func (c *Cloud) ClearFaults(kinds ...FaultKind) {
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	if len(kinds) == 0 {
		c.ctl.faults = nil
		return
	}
	c.ctl.faults = slices.DeleteFunc(c.ctl.faults, func(fs *faultState) bool { return slices.Contains(kinds, fs.f.Kind) })
}

// SetLatency sets the latency of every call of action: it is waited out
// before the call is processed and ends early when the call's context
// ends. Action "" sets the latency of every action without its own; an
// action's own latency replaces it, not adds to it. d <= 0 removes the
// setting.
func (c *Cloud) SetLatency(action string, d time.Duration) {
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	if d <= 0 {
		delete(c.ctl.latency, action)
		return
	}
	c.ctl.latency[action] = d
}

// Latency returns the latency a call of action waits before faults add
// theirs.
func (c *Cloud) Latency(action string) time.Duration {
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	return c.ctl.latencyLocked(action)
}

func (c *controls) latencyLocked(action string) time.Duration {
	if d, ok := c.latency[action]; ok {
		return d
	}
	return c.latency[""]
}

// fireLocked decides whether fs fires on a call of action in region.
func (c *controls) fireLocked(fs *faultState, action, region string) bool {
	f := &fs.f
	if (f.Action != "" && f.Action != action) || (f.Region != "" && f.Region != region) {
		return false
	}
	fs.seen++
	if fs.seen <= f.AfterCalls {
		return false
	}
	if f.Count > 0 && fs.fired >= f.Count {
		return false
	}
	if f.Rate > 0 && f.Rate < 1 && c.rnd.Float64() >= f.Rate {
		return false
	}
	fs.fired++
	return true
}

// Enter runs the entry of a call of action in region: it draws the faults
// that act before the call (FaultError and FaultReset, in order), waits
// the action's latency plus the Latency of the latency-only and error
// faults that fired, ending early with ctx's error when ctx ends, and
// returns the fault that fails the call (a FaultError with an Err, or a
// FaultReset), or nil to go on. A context that has already ended returns
// its error at once.
func (c *Cloud) Enter(ctx context.Context, action, region string) (*Fault, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.ctl.mu.Lock()
	delay := c.ctl.latencyLocked(action)
	var fired *Fault
	for _, fs := range c.ctl.faults {
		if fs.f.Kind != FaultError && fs.f.Kind != FaultReset {
			continue
		}
		if !c.ctl.fireLocked(fs, action, region) {
			continue
		}
		f := fs.f
		if f.Kind == FaultReset {
			fired = &f
			break
		}
		delay += f.Latency
		if f.Err() != nil {
			fired = &f
			break
		}
	}
	c.ctl.mu.Unlock()
	if fired != nil && fired.Kind == FaultReset {
		return fired, nil
	}
	if err := Sleep(ctx, delay); err != nil {
		return nil, err
	}
	return fired, nil
}

// DrawFault returns the first fault of one of kinds that fires on a call
// of action in region, or nil; faces draw the response faults
// (FaultLost, FaultSlow, FaultGarbled) with it once a call was processed,
// and may draw FaultReset before anything else of a call.
func (c *Cloud) DrawFault(action, region string, kinds ...FaultKind) *Fault {
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	for _, fs := range c.ctl.faults {
		if !slices.Contains(kinds, fs.f.Kind) {
			continue
		}
		if c.ctl.fireLocked(fs, action, region) {
			f := fs.f
			return &f
		}
	}
	return nil
}

// Sleep waits d, or until ctx ends, returning ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Record adds a call to the call log; a zero At is the Cloud's now.
func (c *Cloud) Record(call Call) {
	if call.At.IsZero() {
		call.At = c.Now()
	}
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	c.ctl.calls = append(c.ctl.calls, call)
	if m := c.ctl.maxCalls; m > 0 && len(c.ctl.calls) > m {
		c.ctl.calls = slices.Delete(c.ctl.calls, 0, len(c.ctl.calls)-m)
	}
	c.ctl.counts[call.Action]++
	c.ctl.total++
}

// Calls returns a copy of the call log, oldest first.
func (c *Cloud) Calls() []Call {
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	return slices.Clone(c.ctl.calls)
}

// CallCount returns how many calls of action were recorded since the
// last ResetCalls ("" counts every call), including those Options.MaxCalls
// dropped from the log.
func (c *Cloud) CallCount(action string) int {
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	if action == "" {
		return c.ctl.total
	}
	return c.ctl.counts[action]
}

// CallCounts returns how many calls of each action were recorded since
// the last ResetCalls.
func (c *Cloud) CallCounts() map[string]int {
	c.ctl.mu.Lock()
	defer c.ctl.mu.Unlock()
	out := make(map[string]int, len(c.ctl.counts))
	for k, v := range c.ctl.counts {
		out[k] = v
	}
	return out
}

// ResetCalls empties the call log and its counts.
func (c *Cloud) ResetCalls() {
	c.ctl.mu.Lock()
	c.ctl.calls = nil
	clear(c.ctl.counts)
	c.ctl.total = 0
	c.ctl.mu.Unlock()
}
