package inventory

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
)

// Quoter prices instances; aliyun.Provider is one. A Service with a
// Quoter for an asset's provider sets the asset's Cost during Sync.
// Implementations must be safe for concurrent use.
type Quoter interface {
	Quote(ctx context.Context, r pricing.Request) (*pricing.Quote, error)
}

// Cost cache lifetimes.
const (
	// DefaultCostTTL is how long a price is used for Cost, at most (a
	// quote's ValidUntil may end it earlier).
	DefaultCostTTL = time.Hour
	// costErrorTTL is how long a failed quote is not asked again, so a
	// region without prices costs one call a minute, not one per asset.
	costErrorTTL = time.Minute
)

// WithQuoter registers q as the Quoter of provider code provider: with
// it, Sync sets each ECS asset's Cost to the current hourly price, in the
// quote's currency, of one instance of its type and charge mode in its
// region (the instance type's own price, disks and bandwidth excluded
// from the key but included when the quoter prices them). Prices are
// cached per (provider, region, instance type, charge mode) for
// Options.CostTTL, so a sync asks once per type and region. A failed
// quote leaves Cost at 0 and is logged.
func WithQuoter(provider string, q Quoter) Option {
	return func(o *Options) {
		if o.Quoters == nil {
			o.Quoters = map[string]Quoter{}
		}
		o.Quoters[provider] = q
	}
}

// costKey is what a cached price depends on.
type costKey struct {
	provider, region, instanceType string
	mode                           pricing.ChargeMode
}

// costEntry is one price, or the call that fetches it.
type costEntry struct {
	done    chan struct{} // closed once hourly, err and expires are set
	hourly  float64
	err     error
	expires time.Time
}

// costCache holds prices, one QuoteFunc call per key at a time.
type costCache struct {
	mu      sync.Mutex
	entries map[costKey]*costEntry
}

// chargeMode maps a provider's charge type to the pricing charge mode:
// Aliyun's "PrePaid" is a subscription, anything else pay-as-you-go.
func chargeMode(chargeType string) pricing.ChargeMode {
	switch chargeType {
	case "PrePaid", "PREPAID", "Prepaid":
		return pricing.Prepaid
	}
	return pricing.OnDemand
}

// priceAsset sets a's Cost from its provider's Quoter, when there is one
// and a is an ECS asset with an instance type. It never fails: a price
// that cannot be had leaves Cost as it was.
func (s *Service) priceAsset(ctx context.Context, a *Asset) {
	q, ok := s.opts.Quoters[a.Provider]
	if !ok || a.AssetType != AssetTypeECS || len(a.Metadata) == 0 {
		return
	}
	var m struct {
		InstanceType string `json:"instance_type"`
		ChargeType   string `json:"charge_type"`
	}
	if err := json.Unmarshal(a.Metadata, &m); err != nil || m.InstanceType == "" {
		return
	}
	k := costKey{a.Provider, a.Region, m.InstanceType, chargeMode(m.ChargeType)}
	hourly, err := s.price(ctx, q, k)
	if err != nil {
		return
	}
	a.Cost = hourly
}

// price returns the hourly price of k, cached.
func (s *Service) price(ctx context.Context, q Quoter, k costKey) (float64, error) {
	c := &s.costs
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[costKey]*costEntry{}
	}
	e, ok := c.entries[k]
	if ok {
		select {
		case <-e.done:
			if s.now().After(e.expires) {
				ok = false
			}
		default: // in flight: wait for it below
		}
	}
	if !ok {
		e = &costEntry{done: make(chan struct{})}
		c.entries[k] = e
		c.mu.Unlock()
		s.fetchPrice(ctx, q, k, e)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-e.done:
		return e.hourly, e.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// fetchPrice asks q for k's price and fills e.
func (s *Service) fetchPrice(ctx context.Context, q Quoter, k costKey, e *costEntry) {
	defer close(e.done)
	req := pricing.Request{Provider: k.provider, Region: k.region, InstanceType: k.instanceType, ChargeMode: k.mode, Quantity: 1}
	if k.mode == pricing.Prepaid {
		req.DurationMonths = 1
	}
	quote, err := q.Quote(ctx, req)
	now := s.now()
	switch {
	case err == nil && quote == nil:
		err = multicloud.Errorf(multicloud.CodePriceFailed, "inventory: quoter returned no quote")
		fallthrough
	case err != nil:
		e.err, e.expires = err, now.Add(costErrorTTL)
		if ctx.Err() != nil {
			e.expires = now // a cancelled sync must not block the next one's prices
		}
		s.log.WarnContext(ctx, "price asset type", "provider", k.provider, "region", k.region,
			"instance_type", k.instanceType, "charge_mode", k.mode, "error", err)
		return
	}
	// Rounded to a millionth, so sums of prices read as prices.
	e.hourly = math.Round(quote.Hourly.Total/float64(max(quote.Quantity, 1))*1e6) / 1e6
	e.expires = now.Add(s.opts.CostTTL)
	if !quote.ValidUntil.IsZero() && quote.ValidUntil.Before(e.expires) && quote.ValidUntil.After(now) {
		e.expires = quote.ValidUntil
	}
}
