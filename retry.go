package multicloud

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryPolicy decides how provider calls are retried. It is the one retry
// layer of the module: providers classify their errors and never retry on
// their own (a bounded wait for a resource to become ready is not a retry),
// so the attempts of a call are exactly the ones counted here.
//
// With the defaults a call is tried at most 5 times; the 4 backoffs before
// the 2nd to 5th tries are drawn from [d/2, d] with d = 200ms, 400ms,
// 800ms and 1.6s, so a persistent failure surfaces after at most 3s of
// backoff plus the calls themselves. Each retry also spends RetryCost
// tokens of the Budget shared by every call of a Client; while it is
// empty, calls are tried once, so a throttling storm does not multiply the
// calls sent.
//
// The zero value of each field picks the default in its comment.
type RetryPolicy struct {
	// MaxAttempts is the number of tries in all, the first included;
	// default 5. 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second try; it doubles on each
	// further try; default 200ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff; default 5s.
	MaxDelay time.Duration
	// Retryable decides whether an error is worth another try; default
	// IsRetryable (throttling and transient server failures). It is never
	// asked once the context has ended.
	Retryable func(error) bool
	// Budget is the retry quota shared by the calls that use the policy;
	// nil means no quota. A Client built with a nil Budget gets a budget
	// of its own, shared by all its calls (NewRetryBudget(0)).
	Budget *RetryBudget
}

// DefaultRetryPolicy is the policy a Client uses unless told otherwise. It
// holds no Budget: New gives each Client its own.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryPolicy.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	if p.Retryable == nil {
		p.Retryable = IsRetryable
	}
	return p
}

// Backoff returns the wait before try attempt+1 (attempt counts from 1):
// exponential with jitter, in [d/2, d] where d = min(MaxDelay, BaseDelay*2^(attempt-1)).
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + rand.N(d-half+1)
}

// Do calls fn until it succeeds, returns an error p does not retry, the
// attempts or the budget run out, or ctx ends. It returns fn's last error,
// except when ctx has ended: then the error is an *Error of CodeCanceled
// (errors.Is matches ErrCanceled and ctx's error, never the error of the
// call that was in flight, and IsRetryable is false), whose message says
// what the last try had returned. Do is safe for concurrent use.
func (p RetryPolicy) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	p = p.withDefaults()
	spent := 0
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if nr, ok := err.(nonRetryable); ok && nr.err == nil {
			p.Budget.refund(spent) // a success that must not be retried
		}
		if err == nil {
			p.Budget.refund(spent)
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return canceledAfter(cerr, err)
		}
		if attempt >= p.MaxAttempts || !p.Retryable(err) {
			return err
		}
		cost := RetryCost
		if CodeOf(err) == CodeUnavailable {
			cost = RetryTimeoutCost
		}
		if !p.Budget.take(cost) {
			return err
		}
		spent += cost
		t := time.NewTimer(p.Backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return canceledAfter(ctx.Err(), err)
		case <-t.C:
		}
	}
}

// canceledAfter is the error of a call whose context ended: CodeCanceled
// with ctx's error as the cause, and the last attempt's error as text only,
// so that it neither matches that error's sentinel nor reads as retryable.
func canceledAfter(cerr, last error) error {
	if CodeOf(last) == CodeCanceled {
		var e *Error
		if errors.As(last, &e) {
			return last
		}
	}
	msg := "canceled"
	if last != nil && !errors.Is(last, cerr) {
		msg = fmt.Sprintf("canceled; last attempt: %s", Redact(last.Error()))
	}
	return &Error{Code: CodeCanceled, Message: msg, Err: cerr}
}

// The retry quota costs, as in aws-sdk-go-v2's standard retryer.
const (
	// DefaultRetryBudget is the capacity of a RetryBudget built with 0.
	DefaultRetryBudget = 500
	// RetryCost is what one retry of a throttled call takes from the budget.
	RetryCost = 5
	// RetryTimeoutCost is what one retry of a transient server failure or
	// timeout (ErrUnavailable) takes.
	RetryTimeoutCost = 10
	// NoRetryIncrement is what a call that succeeded at the first try
	// gives back.
	NoRetryIncrement = 1
)

// RetryBudget is a token bucket that retries draw from, shared across the
// calls of a Client: a retry takes RetryCost (RetryTimeoutCost for
// ErrUnavailable) tokens, a call that succeeds gives back what its retries
// took, or NoRetryIncrement when it needed none, up to the capacity. While
// the bucket cannot pay for a retry, calls fail after their first try. A
// nil *RetryBudget is an unlimited one. It is safe for concurrent use.
type RetryBudget struct {
	mu          sync.Mutex
	tokens, cap int
}

// NewRetryBudget returns a full budget of capacity tokens;
// capacity <= 0 means DefaultRetryBudget.
func NewRetryBudget(capacity int) *RetryBudget {
	if capacity <= 0 {
		capacity = DefaultRetryBudget
	}
	return &RetryBudget{tokens: capacity, cap: capacity}
}

// Available returns the tokens left; -1 for a nil (unlimited) budget.
func (b *RetryBudget) Available() int {
	if b == nil {
		return -1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

func (b *RetryBudget) take(n int) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

func (b *RetryBudget) refund(spent int) {
	if b == nil {
		return
	}
	if spent == 0 {
		spent = NoRetryIncrement
	}
	b.mu.Lock()
	b.tokens = min(b.cap, b.tokens+spent)
	b.mu.Unlock()
}
