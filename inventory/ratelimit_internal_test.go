package inventory

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestAdaptiveLimit(t *testing.T) {
	a := newAdaptive(20, 20, 40, 10*time.Millisecond)
	steps := []struct {
		name      string
		throttled bool
		wait      time.Duration
		want      rate.Limit
	}{
		{"quiet, but not long enough", false, 0, 20},
		{"throttled halves", true, 0, 10},
		{"throttled again", true, 0, 5},
		{"not yet quiet long enough", false, 0, 5},
		{"quiet period raises a tenth", false, 15 * time.Millisecond, 5.5},
		{"floor", true, 0, 2.75},
		{"floor holds", true, 0, 1.375},
		{"never below the floor", true, 0, DefaultRateFloor},
	}
	for _, s := range steps {
		time.Sleep(s.wait)
		a.observe(s.throttled)
		if got := a.Limit(); got != s.want {
			t.Errorf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
	// Probing stops at the ceiling.
	b := newAdaptive(38, 20, 40, time.Millisecond)
	for range 5 {
		time.Sleep(2 * time.Millisecond)
		b.observe(false)
	}
	if got := b.Limit(); got != 40 {
		t.Errorf("probing past the ceiling: got %v, want 40", got)
	}
}

func TestBucketsPerRegionAndAction(t *testing.T) {
	o := Options{RateLimit: 1, RateBurst: 1, RateCeiling: 1, RateProbe: time.Hour, AccountRateLimit: 2, AccountRateBurst: 3}
	r := newRateLimiters(o)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// Distinct (region, action) pairs each have their own burst ...
	for _, k := range []bucketKey{{"a", "r1", "X"}, {"a", "r2", "X"}, {"a", "r1", "Y"}} {
		if err := r.bucket(k).Wait(ctx); err != nil {
			t.Errorf("first call of %v waited: %v", k, err)
		}
	}
	// ... and the same pair waits for its next token.
	if err := r.bucket(bucketKey{"a", "r1", "X"}).Wait(ctx); err == nil {
		t.Errorf("second call of one bucket within 50 ms: got no wait, want one")
	}
	a1, a2, b := r.accountCap("a"), r.accountCap("a"), r.accountCap("b")
	if a1 == nil || a1 != a2 || a1 == b {
		t.Errorf("account caps: want one per account")
	}
	if newRateLimiters(Options{RateLimit: 1}).accountCap("a") != nil {
		t.Errorf("account cap without AccountRateLimit: got one, want nil")
	}
}
