package multicloud

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// RetryPolicy decides how provider calls are retried. The zero value of
// each field picks the default in its comment.
type RetryPolicy struct {
	// MaxAttempts is the number of tries in all, the first included;
	// default 5. 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second try; it doubles on each
	// further try; default 200ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff; default 10s.
	MaxDelay time.Duration
	// Retryable decides whether an error is worth another try; default
	// IsRetryable (throttling and transient server failures).
	Retryable func(error) bool
}

// DefaultRetryPolicy is the policy a Client uses unless told otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second}

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
// exponential with full jitter, in [BaseDelay/2, min(MaxDelay, BaseDelay*2^(attempt-1))].
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
// attempts run out or ctx ends. It never retries once ctx is done and
// returns fn's last error (or ctx's, if ctx ended during a backoff).
func (p RetryPolicy) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	p = p.withDefaults()
	var err error
	for attempt := 1; ; attempt++ {
		err = fn(ctx)
		if err == nil || attempt >= p.MaxAttempts || !p.Retryable(err) {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			if errors.Is(err, cerr) {
				return err
			}
			return errors.Join(err, cerr)
		}
		t := time.NewTimer(p.Backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}
