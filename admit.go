package multicloud

import (
	"context"
	"sync"
	"time"
)

// PlacementAdmitter is an optional Scheduler capability: the Client asks
// it right before an attempt at one of its placements whether the attempt
// may go ahead, since a placement can become blocked between scheduling
// and trying (another request found it sold out meanwhile). A false
// answer skips the placement as if it had no stock.
type PlacementAdmitter interface {
	Admit(ctx context.Context, req *CreateInstanceRequest, pl Placement) bool
}

// probes lets one attempt at a time reach a placement whose stock no
// create has confirmed yet: concurrent requests for it wait (at most
// ProbeWait) for the first one's outcome, then go ahead after a success
// and skip after a no-stock. A placement with a recent success admits
// every attempt at once.
type probes struct {
	mu        sync.Mutex
	inflight  map[StockKey]chan struct{}
	confirmed map[StockKey]time.Time // success seen; admits freely until then
	writes    int
}

// Admit implements PlacementAdmitter: false when the placement is blocked
// in the negative cache; when no create has confirmed its stock lately,
// the first caller goes ahead and the others wait for its outcome (at most
// ProbeWait, or until ctx ends, after which they go ahead).
func (s *CheapestScheduler) Admit(ctx context.Context, req *CreateInstanceRequest, pl Placement) bool {
	v, ok := s.keys.Load(placementMode{pl, chargeModeOf(req)})
	if !ok {
		return true
	}
	k := v.(keyed)
	var timeout <-chan time.Time
	for {
		if _, blocked := s.opts.Cache.Blocked(k.key, k.family); blocked {
			return false
		}
		p := &s.probes
		p.mu.Lock()
		if until, ok := p.confirmed[k.key]; ok && s.opts.Now().Before(until) {
			p.mu.Unlock()
			return true
		}
		done, busy := p.inflight[k.key]
		if !busy {
			// Look again under the lock: a probe that ended between the
			// check above and here recorded its no-stock before it
			// released the key (Observe blocks, then settles).
			if _, blocked := s.opts.Cache.Blocked(k.key, k.family); blocked {
				p.mu.Unlock()
				return false
			}
			if p.inflight == nil {
				p.inflight = map[StockKey]chan struct{}{}
			}
			p.inflight[k.key] = make(chan struct{})
			p.mu.Unlock()
			return true
		}
		p.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(s.opts.ProbeWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-done:
		case <-timeout:
			return true
		case <-ctx.Done():
			return true // the attempt fails on ctx at once
		}
	}
}

// settle ends the probe of k, if any, after an outcome; a success
// confirms k's stock until the no-stock TTL's time from now.
func (s *CheapestScheduler) settle(k StockKey, success bool) {
	p := &s.probes
	now := s.opts.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if done, ok := p.inflight[k]; ok {
		delete(p.inflight, k)
		close(done)
	}
	if !success {
		delete(p.confirmed, k)
		return
	}
	if p.confirmed == nil {
		p.confirmed = map[StockKey]time.Time{}
	}
	p.confirmed[k] = now.Add(DefaultNoStockTTL)
	if p.writes++; p.writes%1024 == 0 {
		for key, until := range p.confirmed {
			if !now.Before(until) {
				delete(p.confirmed, key)
			}
		}
	}
}

// admit asks a PlacementAdmitter scheduler whether an attempt at pl may
// go ahead; a refusal is ErrNoStock.
func (c *Client) admit(ctx context.Context, r *CreateInstanceRequest, pl Placement) error {
	if a, ok := c.opts.Scheduler.(PlacementAdmitter); ok && !a.Admit(ctx, r, pl) {
		return &Error{Op: "Admit", Provider: pl.Provider, Region: pl.Region, Code: CodeNoStock,
			Message: "skipped: found sold out by another request since it was scheduled"}
	}
	return nil
}

// observe tells a PlacementObserver scheduler the outcome of an attempt.
func (c *Client) observe(r *CreateInstanceRequest, pl Placement, err error) {
	if o, ok := c.opts.Scheduler.(PlacementObserver); ok {
		o.Observe(r, pl, err)
	}
}
