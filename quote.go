package multicloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud/pricing"
)

// resolve returns the plan of request r at placement pl and the
// placement's idempotency token. The plan is, in order: the one resolved
// for the same token before (a retry, or a Quote of the request with the
// same IdempotencyKey); the one a Quote of an identical request resolved
// within QuoteTTL (quoteKey: a Quote and a CreateInstance of the same
// request without a key); a fresh resolution. So what is created is what
// was priced, even when stock moved the provider's choice in between.
func (c *Client) resolve(ctx context.Context, prov Provider, r *CreateInstanceRequest, pl Placement) (*Plan, string, error) {
	token := Token(r.IdempotencyKey, pl)
	if plan, ok := c.plans.get(token); ok {
		return plan, token, nil
	}
	var plan *Plan
	ok := false
	if c.quoted.Load() { // a create of a client that never quoted skips the hash
		plan, ok = c.plans.get(quoteKey(r, pl))
	}
	if !ok {
		var err error
		if plan, err = c.resolveFresh(ctx, prov, r, pl); err != nil {
			return nil, token, err
		}
	}
	c.plans.put(token, plan, planTTL)
	return plan, token, nil
}

// resolveQuoted returns the plan of request r at pl for a Quote, and
// remembers it for an identical request's CreateInstance within QuoteTTL
// and, when the caller set an IdempotencyKey, for the key's token.
func (c *Client) resolveQuoted(ctx context.Context, prov Provider, r *CreateInstanceRequest, pl Placement, keyed bool) (*Plan, error) {
	if keyed {
		if plan, ok := c.plans.get(Token(r.IdempotencyKey, pl)); ok {
			return plan, nil
		}
	}
	qk := quoteKey(r, pl)
	plan, ok := c.plans.get(qk)
	if !ok {
		var err error
		if plan, err = c.resolveFresh(ctx, prov, r, pl); err != nil {
			return nil, err
		}
		c.quoted.Store(true)
		c.plans.put(qk, plan, c.opts.QuoteTTL)
	}
	if keyed {
		c.plans.put(Token(r.IdempotencyKey, pl), plan, planTTL)
	}
	return plan, nil
}

func (c *Client) resolveFresh(ctx context.Context, prov Provider, r *CreateInstanceRequest, pl Placement) (plan *Plan, err error) {
	err = c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
		plan, err = prov.Resolve(ctx, r, pl)
		return err
	})
	return plan, err
}

// quoteKey identifies a request at a placement regardless of its
// IdempotencyKey: a hash of its JSON form (which holds no password) with
// the key left out, and of the placement. Two requests with the same
// quoteKey resolve alike.
func quoteKey(r *CreateInstanceRequest, pl Placement) string {
	cp := *r
	cp.IdempotencyKey = ""
	b, err := json.Marshal(&cp)
	if err != nil {
		return "" // cannot happen: every field marshals
	}
	h := sha256.New()
	h.Write(b)
	for _, s := range []string{strings.ToLower(pl.Provider), pl.Region, pl.Zone, pl.InstanceType} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return "quote:" + hex.EncodeToString(h.Sum(nil))
}

// planMemo remembers plans by token (the client's own retries of a
// request, and a caller's retry within planTTL, create exactly what the
// first try planned) and by quoteKey (a CreateInstance creates what a Quote
// of the same request priced). It holds at most planMemoSize entries;
// expired ones are dropped from the front of the insertion queue, and
// lookups ignore any that expired further back.
type planMemo struct {
	mu    sync.Mutex
	plans map[string]memoPlan
	order []memoKey // insertion order
}

type memoPlan struct {
	plan    Plan
	expires time.Time
}

type memoKey struct {
	key     string
	expires time.Time
}

const (
	planTTL      = time.Hour
	planMemoSize = 10_000
)

// get returns the live plan remembered under key.
func (m *planMemo) get(key string) (*Plan, bool) {
	if key == "" {
		return nil, false
	}
	m.mu.Lock()
	mp, ok := m.plans[key]
	m.mu.Unlock()
	if !ok || !time.Now().Before(mp.expires) {
		return nil, false
	}
	p := mp.plan
	return &p, true
}

// put remembers plan under key for ttl.
func (m *planMemo) put(key string, plan *Plan, ttl time.Duration) {
	if key == "" {
		return
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.plans == nil {
		m.plans = make(map[string]memoPlan)
	}
	for len(m.order) > 0 && (len(m.plans) >= planMemoSize || !now.Before(m.order[0].expires)) {
		k := m.order[0]
		m.order = m.order[1:]
		if mp, ok := m.plans[k.key]; ok && mp.expires.Equal(k.expires) {
			delete(m.plans, k.key)
		}
	}
	exp := now.Add(ttl)
	m.plans[key] = memoPlan{plan: *plan, expires: exp}
	m.order = append(m.order, memoKey{key, exp})
}

// Quote prices req where the scheduler would put it first, without
// creating anything: hourly and monthly totals with instance, disk and
// bandwidth parts. Quotes are cached until they expire, and concurrent
// identical quotes share one provider call. The plan priced is the plan
// created: a CreateInstance of the same request, with the same
// IdempotencyKey (within an hour) or, without a key, identical in every
// other field (within QuoteTTL), builds the quoted zone and instance type
// even if stock has moved since; the safe pattern is to set the key (the
// order ID) before quoting. Errors are ErrInvalidArgument for a bad
// request (with the provider's own rules), ErrPriceFailed (with the cause)
// when the provider cannot price it, and ErrNoPlacement when no placement
// could be resolved. Quote is safe for concurrent use.
func (c *Client) Quote(ctx context.Context, req *CreateInstanceRequest) (*pricing.Quote, error) {
	const op = "Quote"
	p, err := c.prepare(op, req)
	if err != nil {
		return nil, err
	}
	r := p.CreateInstanceRequest
	placements, err := c.schedule(ctx, op, r)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, pl := range placements {
		pr, err := c.requestFor(p, pl)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", pl, err))
			continue
		}
		prov, err := c.reg.Get(pl.Provider)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r := pr
		plan, err := c.resolveQuoted(ctx, prov, r, pl, req.IdempotencyKey != "")
		if err != nil {
			if !IsCapacity(err) {
				return nil, wrap(op, pl.Provider, pl.Region, err)
			}
			errs = append(errs, fmt.Errorf("%s: %w", pl, err))
			continue
		}
		q, err := c.quotes.Quote(ctx, pricingRequest(r, plan))
		if err != nil {
			return nil, &Error{Op: op, Provider: plan.Provider, Region: plan.Region, Code: CodePriceFailed, Err: err}
		}
		return q, nil
	}
	return nil, &Error{Op: op, Region: r.Region, Code: CodeNoPlacement, Message: "no placement could be priced", Err: errors.Join(errs...)}
}

func (c *Client) quoteUncached(ctx context.Context, pr pricing.Request) (*pricing.Quote, error) {
	prov, err := c.reg.Get(pr.Provider)
	if err != nil {
		return nil, err
	}
	var q *pricing.Quote
	err = c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
		q, err = prov.Quote(ctx, pr)
		return err
	})
	return q, err
}
