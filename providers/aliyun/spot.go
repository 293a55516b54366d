package aliyun

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/multicloud-ecs/multicloud"
)

// SpotPriceSource is the Source of a spot price read from
// DescribeSpotPriceHistory.
const SpotPriceSource = "spot-history"

// spotStrategy is the SpotStrategy of the provider's spot instances: pay
// the market price, whatever it is (the documented alternative,
// SpotWithPriceLimit, needs a price limit the portable request does not
// carry).
const spotStrategy = "SpotAsPriceGo"

// maxSpotPages bounds the pages of one DescribeSpotPriceHistory read: the
// default window (3 hours) is one page.
const maxSpotPages = 10

// spotCache holds the latest spot price per zone of each (region,
// instance type) for Options.SpotPriceTTL, with one call in flight per key
// whatever the number of callers.
type spotCache struct {
	mu      sync.Mutex
	entries map[string]spotEntry
	flight  singleflight.Group
}

type spotEntry struct {
	prices  map[string]multicloud.Price // by zone
	expires time.Time
}

func (c *spotCache) cached(key string, now time.Time) (map[string]multicloud.Price, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.prices, true
}

// spotPrices returns the spot price of typ in each zone of region that has
// one: the latest point of DescribeSpotPriceHistory's default window (the
// last 3 hours), in the response's currency, per hour, with Source
// SpotPriceSource and AsOf the time of the read (the price was in force
// then; its Timestamp is when it last changed). Cached for
// Options.SpotPriceTTL; concurrent callers share one read. Errors are the
// call's, classified.
func (p *Provider) spotPrices(ctx context.Context, region, typ string) (map[string]multicloud.Price, error) {
	key := region + "|" + typ
	if m, ok := p.spot.cached(key, time.Now()); ok {
		return m, nil
	}
	ch := p.spot.flight.DoChan(key, func() (any, error) {
		if m, ok := p.spot.cached(key, time.Now()); ok {
			return m, nil
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		type point struct {
			price float64
			at    string
		}
		latest := map[string]point{}
		currency := ""
		offset := 0
		for range maxSpotPages {
			req := ecs.CreateDescribeSpotPriceHistoryRequest()
			req.NetworkType, req.InstanceType = "vpc", typ
			if offset > 0 {
				req.Offset = requests.NewInteger(offset)
			}
			resp := ecs.CreateDescribeSpotPriceHistoryResponse()
			if err := p.do(cctx, region, productECS, req, resp); err != nil {
				return nil, err
			}
			currency = resp.Currency
			for _, sp := range resp.SpotPrices.SpotPriceType {
				// Timestamps share one layout (yyyy-MM-ddTHH:mm:ssZ), so
				// they order as strings.
				if cur, ok := latest[sp.ZoneId]; !ok || sp.Timestamp >= cur.at {
					latest[sp.ZoneId] = point{sp.SpotPrice, sp.Timestamp}
				}
			}
			if resp.NextOffset <= offset || len(resp.SpotPrices.SpotPriceType) == 0 {
				break
			}
			offset = resp.NextOffset
		}
		at := time.Now()
		if currency == "" {
			currency = "CNY" // the China site's; the response names it when it says
		}
		prices := make(map[string]multicloud.Price, len(latest))
		for z, pt := range latest {
			if pt.price > 0 {
				prices[z] = multicloud.Price{Amount: pt.price, Currency: currency, Unit: "hour", Source: SpotPriceSource, AsOf: at}
			}
		}
		p.spot.mu.Lock()
		if p.spot.entries == nil {
			p.spot.entries = map[string]spotEntry{}
		}
		p.spot.entries[key] = spotEntry{prices: prices, expires: at.Add(p.opts.SpotPriceTTL)}
		p.spot.mu.Unlock()
		return prices, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(map[string]multicloud.Price), nil
	case <-ctx.Done():
		return nil, canceled("DescribeSpotPriceHistory", region, ctx.Err())
	}
}

// CachedTypePrices implements multicloud.TypePricer: for multicloud.Spot,
// the spot prices of types by zone while every type's are younger than
// Options.SpotPriceTTL, without a call; for other charge modes nil (the
// offerings' prices stand).
func (p *Provider) CachedTypePrices(region string, mode multicloud.ChargeMode, types []string) (map[string]map[string]multicloud.Price, bool) {
	if mode != multicloud.Spot {
		return nil, true
	}
	now := time.Now()
	out := make(map[string]map[string]multicloud.Price, len(types))
	for _, t := range types {
		m, ok := p.spot.cached(region+"|"+t, now)
		if !ok {
			return nil, false
		}
		out[t] = m
	}
	return out, true
}

// TypePrices implements multicloud.TypePricer: for multicloud.Spot, the
// latest spot price of each type in each zone (see spotPrices): one
// DescribeSpotPriceHistory per type not cached, at most 4 at once; for
// other charge modes nil. A type whose read fails is left out of the map
// (its offerings keep their unknown price); the error, classified, is
// returned only when every read failed.
func (p *Provider) TypePrices(ctx context.Context, region string, mode multicloud.ChargeMode, types []string) (map[string]map[string]multicloud.Price, error) {
	if mode != multicloud.Spot {
		return nil, nil
	}
	out := make(map[string]map[string]multicloud.Price, len(types))
	var (
		mu    sync.Mutex
		first error
	)
	var g errgroup.Group
	g.SetLimit(4)
	for _, t := range types {
		g.Go(func() error {
			m, err := p.spotPrices(ctx, region, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				first = cmp.Or(first, err)
				return nil
			}
			out[t] = m
			return nil
		})
	}
	_ = g.Wait()
	if len(out) == 0 && first != nil {
		return nil, first
	}
	return out, nil
}
