package network

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// backoff paces the polls and retries of one wait: the interval starts at
// Options.PollInterval and doubles up to 8 times that, and the wait gives
// up after Options.WaitTimeout.
type backoff struct {
	next, max time.Duration
	timeout   time.Duration
	deadline  time.Time
}

func (p *Provisioner) backoff() *backoff {
	return &backoff{
		next:     p.opts.PollInterval,
		max:      8 * p.opts.PollInterval,
		timeout:  p.opts.WaitTimeout,
		deadline: time.Now().Add(p.opts.WaitTimeout),
	}
}

// wait sleeps for the next interval. It returns ctx.Err() when ctx ends
// first, and last (wrapped with the time waited) when the wait is over.
func (b *backoff) wait(ctx context.Context, last error) error {
	d := b.next
	if left := time.Until(b.deadline); left <= 0 {
		return fmt.Errorf("gave up after %s: %w", b.timeout, last)
	} else if d > left {
		d = left
	}
	b.next = min(2*b.next, b.max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retry calls fn until it succeeds or fails with an error that is not
// transient, pacing the calls with a backoff. Every call retried this way
// is idempotent (a find, a get, or a create with a token).
func (p *Provisioner) retry(ctx context.Context, fn func() error) error {
	b := p.backoff()
	for {
		err := fn()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if err := b.wait(ctx, err); err != nil {
			return err
		}
	}
}

// afterLaunchAttempts bounds the tries of a step that runs once the
// instances exist (allocating, binding, opening ports) on throttling or a
// server failure; a state conflict is waited out for Options.WaitTimeout.
// Those steps are not retried by the Client (it never retries a create
// that returned instances), so this is their one retry layer.
const afterLaunchAttempts = 8

// retryAfterLaunch is retry for the steps that complete instances that
// exist: a failure there is a warning on the instances, so throttling and
// server failures get afterLaunchAttempts tries, paced as retry paces.
func (p *Provisioner) retryAfterLaunch(ctx context.Context, fn func() error) error {
	b := p.backoff()
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || ctx.Err() != nil || !settling(err) {
			return err
		}
		if !transient(err) && attempt >= afterLaunchAttempts {
			return err
		}
		if err := b.wait(ctx, err); err != nil {
			return err
		}
	}
}

// transient reports whether err is worth waiting out: a state conflict (a
// resource not ready yet). Throttling and server failures are not retried
// here: the multicloud.Client is the one retry layer, and retries the
// whole create with the same tokens.
func transient(err error) bool {
	return errors.Is(err, multicloud.ErrConflict)
}

// settling reports whether err is worth waiting out while releasing what
// exists already, where giving up leaks: a state conflict, throttling or a
// transient server failure.
func settling(err error) bool {
	return transient(err) || multicloud.IsRetryable(err)
}

// fail wraps the error of step once, as the flow's error: a quota failure
// keeps its code so that a scheduler can fail over, anything else becomes
// multicloud.CodeNetwork. When ctx has ended, the context's error is
// returned instead, so that Ensure reports a cancellation as one.
func (p *Provisioner) fail(ctx context.Context, scope Scope, step string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	code := multicloud.CodeNetwork
	switch c := multicloud.CodeOf(err); {
	case errors.Is(err, multicloud.ErrQuotaExceeded):
		code = multicloud.CodeQuotaExceeded
	case c == multicloud.CodeThrottled || c == multicloud.CodeUnavailable:
		code = c // the Client retries these
	}
	return &multicloud.Error{Op: "EnsureNetwork", Provider: scope.Provider, Region: scope.Region, Code: code, Message: step, Err: err}
}

// canceled is the error of a flow whose context ended with err.
func canceled(scope Scope, err error) error {
	return &multicloud.Error{Op: "EnsureNetwork", Provider: scope.Provider, Region: scope.Region, Code: multicloud.CodeCanceled, Err: err}
}
