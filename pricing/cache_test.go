package pricing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a settable time source for the cache.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// counter is a QuoteFunc that counts its calls and prices a request by its
// instance type.
type counter struct {
	calls atomic.Int64
	valid time.Duration // ValidUntil = now + valid; 0 leaves it zero
	clk   *clock
	err   error
}

func (f *counter) quote(ctx context.Context, req Request) (*Quote, error) {
	n := f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	q := &Quote{Provider: req.Provider, InstanceType: req.InstanceType, Quantity: max(req.Quantity, 1), Currency: "CNY",
		Hourly: Breakdown{Instance: float64(n), Total: float64(n)}}
	if f.valid != 0 {
		q.ValidUntil = f.clk.Now().Add(f.valid)
	}
	return q, nil
}

func withClock(clk *clock) func(*CacheOptions) { return func(o *CacheOptions) { o.Now = clk.Now } }

func TestCacheHitMissExpiry(t *testing.T) {
	tests := []struct {
		name    string
		valid   time.Duration // quote validity; 0 for none
		opts    func(*CacheOptions)
		advance time.Duration
		want    int64 // calls after two quotes separated by advance
	}{
		{"hit within default ttl", 0, nil, 4 * time.Minute, 1},
		{"miss after default ttl", 0, nil, 5 * time.Minute, 2},
		{"hit within valid until", 30 * time.Minute, nil, 29 * time.Minute, 1},
		{"miss after valid until", 30 * time.Minute, nil, 30 * time.Minute, 2},
		{"valid until capped by max ttl", 3 * time.Hour, nil, time.Hour, 2},
		{"custom default ttl", 0, func(o *CacheOptions) { o.DefaultTTL = time.Minute }, time.Minute, 2},
		{"custom max ttl", 30 * time.Minute, func(o *CacheOptions) { o.MaxTTL = 10 * time.Minute }, 11 * time.Minute, 2},
		{"already expired quote not cached", -time.Second, nil, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			f := &counter{valid: tt.valid, clk: clk}
			opts := []func(*CacheOptions){withClock(clk)}
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			c := NewCache(f.quote, opts...)
			req := Request{Provider: "fake", Region: "r", InstanceType: "t"}
			if _, err := c.Quote(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			clk.Advance(tt.advance)
			if _, err := c.Quote(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if got := f.calls.Load(); got != tt.want {
				t.Errorf("got %d calls, want %d", got, tt.want)
			}
		})
	}
}

func TestCacheCollapsesConcurrentCalls(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	fn := func(ctx context.Context, req Request) (*Quote, error) {
		calls.Add(1)
		<-release
		return &Quote{InstanceType: req.InstanceType, Hourly: Breakdown{Total: 2}}, nil
	}
	c := NewCache(fn)
	req := Request{Provider: "fake", InstanceType: "t"}

	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			q, err := c.Quote(context.Background(), req)
			if err == nil && q.Cost() != 2 {
				err = fmt.Errorf("got cost %v, want 2", q.Cost())
			}
			errs <- err
		})
	}
	waitFor(t, func() bool { return c.waiters(req) == n })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("got %d calls for %d concurrent identical quotes, want 1", got, n)
	}
}

// waiters reports how many callers wait for the call in flight for req.
func (c *Cache) waiters(req Request) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.inflight[key(req)]; ok {
		return cl.waiters
	}
	return 0
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCacheErrorsNotCached(t *testing.T) {
	boom := errors.New("boom")
	f := &counter{err: boom}
	c := NewCache(f.quote)
	req := Request{InstanceType: "t"}
	for i := range 2 {
		q, err := c.Quote(context.Background(), req)
		if !errors.Is(err, boom) || q != nil {
			t.Fatalf("call %d: got (%v, %v), want (nil, %v)", i, q, err, boom)
		}
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("got %d calls, want 2: errors must not be cached", got)
	}
	if got := c.Len(); got != 0 {
		t.Errorf("got Len %d, want 0", got)
	}

	f.err = nil // the provider recovers
	if _, err := c.Quote(context.Background(), req); err != nil {
		t.Fatalf("after recovery: got %v, want nil", err)
	}
}

func TestCacheNilQuoteIsAnError(t *testing.T) {
	c := NewCache(func(context.Context, Request) (*Quote, error) { return nil, nil })
	if q, err := c.Quote(context.Background(), Request{}); err == nil {
		t.Fatalf("got (%v, nil), want an error", q)
	}
}

func TestCacheKeysOnTheWholeRequest(t *testing.T) {
	f := &counter{}
	c := NewCache(f.quote)
	base := Request{Provider: "aliyun", Region: "cn-hangzhou", InstanceType: "ecs.g7.large", ChargeMode: OnDemand, Quantity: 1}
	variants := []Request{
		base,
		func() Request { r := base; r.Region = "cn-shanghai"; return r }(),
		func() Request { r := base; r.InstanceType = "ecs.g7.xlarge"; return r }(),
		func() Request { r := base; r.ChargeMode = Prepaid; r.DurationMonths = 1; return r }(),
		func() Request { r := base; r.BandwidthMbps = 5; return r }(),
		func() Request { r := base; r.Quantity = 2; return r }(),
	}
	got := map[float64]bool{}
	for _, r := range variants {
		q, err := c.Quote(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		got[q.Cost()] = true
	}
	if len(got) != len(variants) {
		t.Errorf("got %d distinct quotes for %d distinct requests, want one each", len(got), len(variants))
	}
	// Quantity 0 means 1: the same price, served from the cache.
	zero := base
	zero.Quantity = 0
	if _, err := c.Quote(context.Background(), zero); err != nil {
		t.Fatal(err)
	}
	if got, want := f.calls.Load(), int64(len(variants)); got != want {
		t.Errorf("got %d calls, want %d: quantity 0 should share quantity 1's entry", got, want)
	}
}

func TestCacheReturnsCopies(t *testing.T) {
	f := &counter{}
	c := NewCache(f.quote)
	req := Request{InstanceType: "t"}
	q1, err := c.Quote(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := *q1
	q1.Hourly.Total = 999
	q1.InstanceType = "changed"
	q2, err := c.Quote(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, *q2); diff != "" {
		t.Errorf("cached quote changed through a returned copy (-want +got):\n%s", diff)
	}
	if q1 == q2 {
		t.Error("got the same pointer twice, want a copy per call")
	}
}

func TestCacheEviction(t *testing.T) {
	clk := newClock()
	f := &counter{clk: clk}
	c := NewCache(f.quote, withClock(clk), func(o *CacheOptions) { o.MaxEntries = 3; o.DefaultTTL = 10 * time.Minute })
	ctx := context.Background()
	req := func(id string) Request { return Request{InstanceType: id} }
	quote := func(id string) {
		t.Helper()
		if _, err := c.Quote(ctx, req(id)); err != nil {
			t.Fatal(err)
		}
	}

	// Full of valid quotes: the oldest goes.
	quote("a")
	quote("b")
	quote("c")
	quote("d")
	if got := c.Len(); got != 3 {
		t.Fatalf("got Len %d, want 3", got)
	}
	calls := f.calls.Load()
	quote("b")
	quote("c")
	quote("d")
	if got := f.calls.Load(); got != calls {
		t.Errorf("got %d calls, want %d: b, c and d should still be cached", got, calls)
	}
	quote("a")
	if got := f.calls.Load(); got != calls+1 {
		t.Errorf("got %d calls, want %d: a should have been evicted", got, calls+1)
	}
}

func TestCacheEvictsExpiredBeforeOldest(t *testing.T) {
	clk := newClock()
	ttl := map[string]time.Duration{"long": 50 * time.Minute, "short": time.Minute, "mid": 50 * time.Minute, "new": 50 * time.Minute}
	var calls atomic.Int64
	fn := func(ctx context.Context, req Request) (*Quote, error) {
		calls.Add(1)
		return &Quote{InstanceType: req.InstanceType, ValidUntil: clk.Now().Add(ttl[req.InstanceType])}, nil
	}
	c := NewCache(fn, withClock(clk), func(o *CacheOptions) { o.MaxEntries = 3 })
	ctx := context.Background()
	for _, id := range []string{"long", "short", "mid"} {
		if _, err := c.Quote(ctx, Request{InstanceType: id}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute) // short expired; long is the oldest but valid
	if _, err := c.Quote(ctx, Request{InstanceType: "new"}); err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	for _, id := range []string{"long", "mid", "new"} {
		if _, err := c.Quote(ctx, Request{InstanceType: id}); err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != before {
		t.Errorf("got %d calls, want %d: a valid entry was evicted while an expired one was there", got, before)
	}
	if got := c.Len(); got != 3 {
		t.Errorf("got Len %d, want 3", got)
	}
}

func TestCacheInvalidate(t *testing.T) {
	f := &counter{}
	c := NewCache(f.quote)
	req := Request{InstanceType: "t"}
	for range 2 {
		if _, err := c.Quote(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	c.Invalidate(req)
	if got := c.Len(); got != 0 {
		t.Errorf("after Invalidate: got Len %d, want 0", got)
	}
	if _, err := c.Quote(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("got %d calls, want 2", got)
	}
}

func TestCacheCancelledCallerDoesNotCancelOthers(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	fn := func(ctx context.Context, req Request) (*Quote, error) {
		calls.Add(1)
		select {
		case <-release:
			return &Quote{Hourly: Breakdown{Total: 1}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := NewCache(fn)
	req := Request{InstanceType: "t"}

	ctx1, cancel1 := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := c.Quote(ctx1, req); first <- err }()
	waitFor(t, func() bool { return c.waiters(req) == 1 })
	second := make(chan error, 1)
	go func() { _, err := c.Quote(context.Background(), req); second <- err }()
	waitFor(t, func() bool { return c.waiters(req) == 2 })

	cancel1()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: got %v, want context.Canceled", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Errorf("other caller: got %v, want nil", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("got %d calls, want 1", got)
	}
	if got := c.Len(); got != 1 {
		t.Errorf("got Len %d, want 1", got)
	}
}

func TestCacheCallCancelledWhenEveryCallerLeaves(t *testing.T) {
	stopped := make(chan error, 1)
	fn := func(ctx context.Context, req Request) (*Quote, error) {
		<-ctx.Done()
		stopped <- ctx.Err()
		return nil, ctx.Err()
	}
	c := NewCache(fn)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Quote(ctx, Request{}); done <- err }()
	waitFor(t, func() bool { return c.waiters(Request{}) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("shared call: got %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the shared call was not cancelled after its last caller left")
	}
}

func TestCacheAlreadyCancelled(t *testing.T) {
	f := &counter{}
	c := NewCache(f.quote)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Quote(ctx, Request{}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if got := f.calls.Load(); got != 0 {
		t.Errorf("got %d calls, want 0", got)
	}
}

func TestCacheConcurrentMixed(t *testing.T) {
	f := &counter{}
	c := NewCache(f.quote, func(o *CacheOptions) { o.MaxEntries = 8 })
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				req := Request{InstanceType: fmt.Sprint((i + j) % 12)}
				if _, err := c.Quote(context.Background(), req); err != nil {
					t.Error(err)
					return
				}
				if j%17 == 0 {
					c.Invalidate(req)
				}
				_ = c.Len()
			}
		})
	}
	wg.Wait()
	if got := c.Len(); got > 8 {
		t.Errorf("got Len %d, want at most 8", got)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	f := &counter{}
	c := NewCache(f.quote)
	req := Request{Provider: "aliyun", Region: "cn-hangzhou", InstanceType: "ecs.gn7i-c8g1.2xlarge", ChargeMode: OnDemand, Quantity: 1}
	ctx := context.Background()
	if _, err := c.Quote(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Quote(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
