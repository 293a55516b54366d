package inventory

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the adaptive rate limiter (see Options.RateLimit).
const (
	// DefaultRateLimit is the starting rate of one (account, region,
	// action) bucket, in calls per second. Aliyun throttles ECS per API,
	// per region and per account, and publishes no per-API figure; 20/s
	// is a conservative start that the limiter probes upward from.
	DefaultRateLimit = rate.Limit(20)
	DefaultRateBurst = 20
	// DefaultRateProbe is the quiet period after which a bucket raises
	// its rate (by a tenth, up to Options.RateCeiling).
	DefaultRateProbe = 5 * time.Second
	// DefaultRateFloor is the lowest rate throttling backs a bucket off
	// to: Aliyun's advice after throttling is to probe at 1 call/s.
	DefaultRateFloor = rate.Limit(1)
)

// rateLimiters holds the buckets of a Service: one adaptive bucket per
// (account, region, action), and one optional cap per account.
type rateLimiters struct {
	opts Options

	mu      sync.Mutex
	buckets map[bucketKey]*adaptive
	caps    map[string]*rate.Limiter
}

type bucketKey struct{ account, region, action string }

func newRateLimiters(o Options) *rateLimiters {
	return &rateLimiters{opts: o, buckets: map[bucketKey]*adaptive{}, caps: map[string]*rate.Limiter{}}
}

// bucket returns the adaptive bucket of k, creating it at the starting rate.
func (r *rateLimiters) bucket(k bucketKey) *adaptive {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.buckets[k]
	if !ok {
		b = newAdaptive(r.opts.RateLimit, r.opts.RateBurst, r.opts.RateCeiling, r.opts.RateProbe)
		r.buckets[k] = b
	}
	return b
}

// accountCap returns the account-wide cap, or nil when none is set.
func (r *rateLimiters) accountCap(account string) *rate.Limiter {
	if r.opts.AccountRateLimit == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.caps[account]
	if !ok {
		l = rate.NewLimiter(r.opts.AccountRateLimit, max(1, r.opts.AccountRateBurst))
		r.caps[account] = l
	}
	return l
}

// adaptive is a token bucket whose rate follows the cloud's answers, in
// the spirit of aws-sdk-go-v2's adaptive client-side rate limiter
// without its cubic curve: a throttled call halves the rate (never below
// DefaultRateFloor), and each call after a quiet period of probe with no
// throttling raises it by a tenth, up to ceiling, then starts a new
// quiet period. It is safe for concurrent use.
type adaptive struct {
	lim     *rate.Limiter
	ceiling rate.Limit
	probe   time.Duration
	burst   int // the starting burst, restored as the rate recovers

	mu        sync.Mutex
	quietFrom time.Time // start of the current quiet period
}

func newAdaptive(start rate.Limit, burst int, ceiling rate.Limit, probe time.Duration) *adaptive {
	return &adaptive{lim: rate.NewLimiter(start, burst), ceiling: ceiling, probe: probe, burst: burst, quietFrom: time.Now()}
}

// Wait blocks until a call may go.
func (a *adaptive) Wait(ctx context.Context) error { return a.lim.Wait(ctx) }

// Limit returns the bucket's current rate.
func (a *adaptive) Limit() rate.Limit { return a.lim.Limit() }

// observe adapts the rate to a call's outcome.
func (a *adaptive) observe(throttled bool) {
	if a.lim.Limit() == rate.Inf {
		return
	}
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.lim.Limit()
	if throttled {
		a.lim.SetLimitAt(now, max(DefaultRateFloor, cur/2))
		// A throttled bucket must not keep its saved-up burst either.
		a.lim.SetBurstAt(now, max(1, min(a.lim.Burst(), int(cur/2))))
		a.quietFrom = now
		return
	}
	if now.Sub(a.quietFrom) < a.probe || (a.ceiling != rate.Inf && cur >= a.ceiling) {
		return
	}
	next := cur * 1.1
	if a.ceiling != rate.Inf {
		next = min(next, a.ceiling)
	}
	a.lim.SetLimitAt(now, next)
	a.lim.SetBurstAt(now, min(a.burst, max(a.lim.Burst(), int(next))))
	a.quietFrom = now
}
