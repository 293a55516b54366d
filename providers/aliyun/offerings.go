package aliyun

import (
	"context"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"golang.org/x/sync/singleflight"

	"github.com/multicloud-ecs/multicloud"
)

// CatalogPricesAsOf is how old the embedded catalog's reference prices are
// (cn-shanghai list prices of 2023-06, the rest estimated from them; see
// the catalog's notes): Offerings gives it as the prices' AsOf, so a
// scheduler can tell them from live quotes and rank them as stale.
var CatalogPricesAsOf = time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)

// stockCache holds DescribeAvailableResource answers per region and
// charge mode for Options.AvailabilityTTL, with one call in flight per
// key whatever the number of callers.
type stockCache struct {
	mu      sync.Mutex
	entries map[string]stockEntry
	flight  singleflight.Group
}

type stockEntry struct {
	groups  []multicloud.OfferingGroup
	expires time.Time
}

// chargeType is Aliyun's InstanceChargeType and SpotStrategy of a charge
// mode: a spot instance is a PostPaid one with a spot strategy.
func chargeType(mode multicloud.ChargeMode) (ct, spot string, ok bool) {
	switch mode {
	case multicloud.OnDemand, "":
		return "PostPaid", "", true
	case multicloud.Prepaid:
		return "PrePaid", "", true
	case multicloud.Spot:
		return "PostPaid", spotStrategy, true
	}
	return "", "", false
}

// ChargeModes implements multicloud.ChargeModer: pay-as-you-go
// (PostPaid), subscription (PrePaid) and spot (PostPaid with a spot
// strategy).
func (p *Provider) ChargeModes() []multicloud.ChargeMode {
	return []multicloud.ChargeMode{multicloud.OnDemand, multicloud.Prepaid, multicloud.Spot}
}

// CachedOfferings implements multicloud.CachedOfferer: the offerings of
// region and mode while their stock answer is younger than
// Options.AvailabilityTTL, without a call.
func (p *Provider) CachedOfferings(region string, mode multicloud.ChargeMode) ([]multicloud.OfferingGroup, bool) {
	ct, spot, ok := chargeType(mode)
	if !ok {
		return nil, true
	}
	p.stock.mu.Lock()
	defer p.stock.mu.Unlock()
	e, ok := p.stock.entries[region+"|"+ct+"|"+spot]
	if !ok || !time.Now().Before(e.expires) {
		return nil, false
	}
	return e.groups, true
}

// Offerings implements multicloud.Offerer: each catalog instance type that
// DescribeAvailableResource (DestinationResource=InstanceType, one call per
// region and charge mode, cached for Options.AvailabilityTTL, one call for
// any number of concurrent callers) lists in a zone, with its
// StatusCategory as the stock (WithStock, ClosedWithStock, WithoutStock,
// ClosedWithoutStock) and the catalog's reference hourly price in CNY as
// the price (Source "embedded catalog", AsOf CatalogPricesAsOf; the
// price a user pays comes from DescribePrice in Quote). Types the
// response lists but the catalog does not know are left out, since their
// specs are unknown. A charge mode Aliyun does not sell gives no
// offerings. Errors are the calls', classified.
//
// For multicloud.Spot the stock is DescribeAvailableResource's for
// PostPaid with SpotStrategy SpotAsPriceGo, and the prices are unknown:
// spot prices cost a call per instance type, which TypePrices makes for
// the types a decision keeps.
func (p *Provider) Offerings(ctx context.Context, region string, mode multicloud.ChargeMode) ([]multicloud.OfferingGroup, error) {
	if g, ok := p.CachedOfferings(region, mode); ok {
		return g, nil
	}
	ct, spot, _ := chargeType(mode)
	if mode == "" {
		mode = multicloud.OnDemand
	}
	key := region + "|" + ct + "|" + spot
	ch := p.stock.flight.DoChan(key, func() (any, error) {
		// A flight that ended between this caller's cache miss and its
		// DoChan has stored the answer: use it rather than ask again.
		if g, ok := p.CachedOfferings(region, mode); ok {
			return g, nil
		}
		// The call runs on its own context: a caller that gives up does
		// not fail the others waiting on the same answer.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		req := ecs.CreateDescribeAvailableResourceRequest()
		req.DestinationResource = "InstanceType"
		req.InstanceChargeType = ct
		req.SpotStrategy = spot
		resp := ecs.CreateDescribeAvailableResourceResponse()
		if err := p.do(cctx, region, productECS, req, resp); err != nil {
			return nil, err
		}
		at := time.Now()
		byType := map[string]*multicloud.OfferingGroup{}
		var order []string
		for _, z := range resp.AvailableZones.AvailableZone {
			for _, r := range z.AvailableResources.AvailableResource {
				for _, s := range r.SupportedResources.SupportedResource {
					t, ok := p.catalog.Type(s.Value)
					if !ok {
						continue
					}
					g := byType[t.ID]
					if g == nil {
						g = &multicloud.OfferingGroup{Type: multicloud.TypeSpec{ID: t.ID, Family: t.Family, VCPU: t.VCPU, MemoryGiB: t.MemoryGiB,
							GPUModel: t.GPUModel, GPUCount: t.GPUCount, GPUMemoryGiB: t.GPUMemoryGiB}}
						byType[t.ID] = g
						order = append(order, t.ID)
					}
					price := multicloud.Price{}
					if t.HourlyPrice > 0 && mode != multicloud.Spot {
						price = multicloud.Price{Amount: t.HourlyPrice, Currency: "CNY", Unit: "hour", Source: "embedded catalog", AsOf: CatalogPricesAsOf}
					}
					g.Offers = append(g.Offers, multicloud.Offering{
						Placement: multicloud.Placement{Provider: ProviderCode, Region: region, Zone: z.ZoneId, InstanceType: t.ID},
						Account:   p.opts.Account, ZoneID: z.ZoneId, // on Aliyun the zone ID is the zone name
						ChargeMode: mode, Type: g.Type, Stock: stockOf(s.StatusCategory, s.Status), StockAsOf: at, Price: price,
					})
				}
			}
		}
		groups := make([]multicloud.OfferingGroup, 0, len(order))
		for _, id := range order {
			groups = append(groups, *byType[id])
		}
		p.stock.mu.Lock()
		if p.stock.entries == nil {
			p.stock.entries = map[string]stockEntry{}
		}
		p.stock.entries[key] = stockEntry{groups: groups, expires: at.Add(p.opts.AvailabilityTTL)}
		p.stock.mu.Unlock()
		return groups, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.([]multicloud.OfferingGroup), nil
	case <-ctx.Done():
		return nil, canceled("Offerings", region, ctx.Err())
	}
}

// stockOf maps DescribeAvailableResource's StatusCategory (Status when it
// is missing) to a stock category.
func stockOf(category, status string) multicloud.StockStatus {
	switch category {
	case "WithStock":
		return multicloud.WithStock
	case "ClosedWithStock":
		return multicloud.ClosedWithStock
	case "WithoutStock":
		return multicloud.WithoutStock
	case "ClosedWithoutStock":
		return multicloud.ClosedWithoutStock
	}
	switch status {
	case "Available":
		return multicloud.WithStock
	case "SoldOut":
		return multicloud.WithoutStock
	}
	return multicloud.StockUnknown
}
