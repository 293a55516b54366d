package pricing

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// QuoteFunc prices a request, usually by asking the provider. A nil quote
// with a nil error is treated as an error by Cache.
type QuoteFunc func(ctx context.Context, req Request) (*Quote, error)

// CacheOptions configures a Cache. NewCache applies its option functions to
// a copy of the defaults, in order; zero or negative values keep the
// default.
type CacheOptions struct {
	// DefaultTTL is how long a quote without ValidUntil is served from the
	// cache. Default 5 minutes.
	DefaultTTL time.Duration
	// MaxTTL caps how long any quote is served, whatever its ValidUntil.
	// Default 1 hour.
	MaxTTL time.Duration
	// MaxEntries bounds the number of cached quotes. When a new quote does
	// not fit, expired quotes are dropped first, then the oldest stored.
	// Default 10,000.
	MaxEntries int
	// Now returns the current time; tests inject a clock. Default time.Now.
	Now func() time.Time
}

// The CacheOptions defaults.
const (
	DefaultQuoteTTL   = 5 * time.Minute
	DefaultMaxTTL     = time.Hour
	DefaultMaxEntries = 10_000
)

// Cache serves quotes from memory while they are valid and asks its
// QuoteFunc otherwise, once for any number of concurrent identical
// requests. It is safe for concurrent use. The zero Cache is not usable;
// build one with NewCache.
type Cache struct {
	fn   QuoteFunc
	opts CacheOptions

	mu       sync.RWMutex
	entries  map[Request]*entry
	order    *list.List // of Request, oldest stored first
	inflight map[Request]*call
}

type entry struct {
	quote   Quote
	expires time.Time
	elem    *list.Element
}

// call is one shared QuoteFunc call and the callers waiting for it.
type call struct {
	done    chan struct{} // closed when quote and err are set
	quote   *Quote
	err     error
	waiters int                // callers still waiting; guarded by Cache.mu
	cancel  context.CancelFunc // cancels the call once no caller waits
}

// NewCache returns a cache in front of fn, configured by opts. fn must not
// be nil: NewCache panics if it is, as that is a programming error.
func NewCache(fn QuoteFunc, opts ...func(*CacheOptions)) *Cache {
	if fn == nil {
		panic("pricing: NewCache with a nil QuoteFunc")
	}
	o := CacheOptions{DefaultTTL: DefaultQuoteTTL, MaxTTL: DefaultMaxTTL, MaxEntries: DefaultMaxEntries, Now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.DefaultTTL <= 0 {
		o.DefaultTTL = DefaultQuoteTTL
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = DefaultMaxTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cache{
		fn:       fn,
		opts:     o,
		entries:  make(map[Request]*entry),
		order:    list.New(),
		inflight: make(map[Request]*call),
	}
}

// key is the cache key of req: requests that get the same price share it.
func key(req Request) Request {
	if req.Quantity == 0 {
		req.Quantity = 1
	}
	return req
}

// Quote returns the quote of req: a cached one while it is valid, else the
// result of calling the QuoteFunc. A quote is valid until its ValidUntil
// (DefaultTTL after it was stored when ValidUntil is zero), and never longer
// than MaxTTL; a quote already past its ValidUntil is returned but not
// cached.
//
// Concurrent calls for the same request share one QuoteFunc call. That call
// runs with a context detached from any one caller's cancellation (its
// values are those of the caller that started it), so a caller that gives
// up returns ctx's error at once without failing the others; the call is
// cancelled only when every caller waiting for it has given up. Errors are
// returned to every waiting caller and never cached. The quote returned is
// the caller's own copy.
func (c *Cache) Quote(ctx context.Context, req Request) (*Quote, error) {
	k := key(req)
	now := c.opts.Now()

	if q, ok := c.Cached(req); ok {
		return q, nil
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}

	c.mu.Lock()
	if e, ok := c.entries[k]; ok && now.Before(e.expires) { // stored while we waited for the lock
		q := e.quote
		c.mu.Unlock()
		return &q, nil
	}
	cl, ok := c.inflight[k]
	if !ok {
		shared, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cl = &call{done: make(chan struct{}), cancel: cancel}
		c.inflight[k] = cl
		go c.run(shared, k, req, cl)
	}
	cl.waiters++
	c.mu.Unlock()

	select {
	case <-cl.done:
		if cl.err != nil {
			return nil, cl.err
		}
		q := *cl.quote
		return &q, nil
	case <-ctx.Done():
		c.mu.Lock()
		cl.waiters--
		if cl.waiters == 0 {
			cl.cancel()
			if c.inflight[k] == cl {
				delete(c.inflight, k) // later callers start afresh rather than join a cancelled call
			}
		}
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

// Cached returns a copy of the valid cached quote for req, without calling
// the QuoteFunc; ok is false when there is none.
func (c *Cache) Cached(req Request) (q *Quote, ok bool) {
	now := c.opts.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key(req)]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	cp := e.quote
	return &cp, true
}

// run makes the shared call cl and stores its result.
func (c *Cache) run(ctx context.Context, k, req Request, cl *call) {
	defer cl.cancel()
	q, err := c.fn(ctx, req)
	if err == nil && q == nil {
		err = errors.New("quote function returned no quote")
	}
	if err == nil {
		cp := *q // the cache's own copy: Quote holds no references
		cl.quote = &cp
	}
	cl.err = err

	c.mu.Lock()
	if c.inflight[k] == cl {
		delete(c.inflight, k)
		if err == nil {
			c.storeLocked(k, *cl.quote)
		}
	}
	c.mu.Unlock()
	close(cl.done)
}

// storeLocked caches q under k for its TTL. c.mu must be held for writing.
func (c *Cache) storeLocked(k Request, q Quote) {
	now := c.opts.Now()
	ttl := c.opts.DefaultTTL
	if !q.ValidUntil.IsZero() {
		ttl = q.ValidUntil.Sub(now)
	}
	ttl = min(ttl, c.opts.MaxTTL)
	if ttl <= 0 {
		return
	}
	if old, ok := c.entries[k]; ok {
		c.order.Remove(old.elem)
		delete(c.entries, k)
	}
	if len(c.entries) >= c.opts.MaxEntries {
		c.evictLocked(now)
	}
	c.entries[k] = &entry{quote: q, expires: now.Add(ttl), elem: c.order.PushBack(k)}
}

// evictLocked makes room for one entry: it drops every expired entry and,
// if none was, the oldest stored. It scans the entries, which costs far
// less than the provider call that precedes it.
func (c *Cache) evictLocked(now time.Time) {
	c.dropExpiredLocked(now)
	for len(c.entries) >= c.opts.MaxEntries {
		front := c.order.Front()
		k := front.Value.(Request)
		c.order.Remove(front)
		delete(c.entries, k)
	}
}

func (c *Cache) dropExpiredLocked(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			c.order.Remove(e.elem)
			delete(c.entries, k)
		}
	}
}

// Invalidate drops the cached quote of req, if any, and detaches a call in
// flight for it: callers already waiting still get its result, but the
// result is not cached and later callers make a new call.
func (c *Cache) Invalidate(req Request) {
	k := key(req)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		c.order.Remove(e.elem)
		delete(c.entries, k)
	}
	delete(c.inflight, k)
}

// Len returns the number of valid quotes cached. It drops expired ones on
// the way, so it costs a scan of the cache.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropExpiredLocked(c.opts.Now())
	return len(c.entries)
}
