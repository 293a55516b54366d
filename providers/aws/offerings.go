package aws

import (
	"context"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// CatalogPricesAsOf is when the embedded catalog's reference prices were
// read.
var CatalogPricesAsOf = time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)

var (
	_ multicloud.Offerer       = (*Provider)(nil)
	_ multicloud.CachedOfferer = (*Provider)(nil)
)

// Offerings implements multicloud.Offerer: each catalog instance type
// that DescribeInstanceTypeOfferings lists in a zone of region (cached
// for Options.AvailabilityTTL), keyed by the zone's ID ("use1-az2") with
// AnyAccount set, since EC2 capacity is physical and shared by every
// account in a zone ID. Stock is StockUnknown: AWS says a type is offered
// in a zone, not whether it has capacity now (RunInstances answers
// InsufficientInstanceCapacity). The price is the Price List's on-demand
// price (the region's whole list read once per Options.PriceTTL with
// GetProducts, 100 products a page), else, when the list cannot be read,
// the catalog's reference price in USD (Source "embedded catalog"). AWS sells no prepaid
// instances: PREPAID gives no offerings.
func (p *Provider) Offerings(ctx context.Context, region string, mode multicloud.ChargeMode) ([]multicloud.OfferingGroup, error) {
	if mode == multicloud.Prepaid {
		return nil, nil
	}
	z, err := p.availability(ctx, region)
	if err != nil {
		return nil, err
	}
	if err := p.loadRegionPrices(ctx, region); err != nil {
		// The catalog's reference prices stand in.
		p.log.Warn("price list not read; offerings carry catalog prices", "region", region, "err", err)
	}
	return p.offerings(region, z), nil
}

// CachedOfferings implements multicloud.CachedOfferer: the offerings of
// region while its zone cache is fresh, without any call.
func (p *Provider) CachedOfferings(region string, mode multicloud.ChargeMode) ([]multicloud.OfferingGroup, bool) {
	if mode == multicloud.Prepaid {
		return nil, true
	}
	p.mu.Lock()
	z, ok := p.zones[region]
	p.mu.Unlock()
	if !ok || !time.Now().Before(z.expires) {
		return nil, false
	}
	return p.offerings(region, z), true
}

func (p *Provider) offerings(region string, z zoneCache) []multicloud.OfferingGroup {
	var groups []multicloud.OfferingGroup
	now := time.Now()
	for _, t := range p.catalog.Types() {
		g := multicloud.OfferingGroup{Type: multicloud.TypeSpec{ID: t.ID, Family: t.Family, VCPU: t.VCPU, MemoryGiB: t.MemoryGiB,
			GPUModel: t.GPUModel, GPUCount: t.GPUCount, GPUMemoryGiB: t.GPUMemoryGiB}}
		price := multicloud.Price{}
		if t.HourlyPrice > 0 {
			price = multicloud.Price{Amount: t.HourlyPrice, Currency: Currency, Unit: "hour", Source: "embedded catalog", AsOf: CatalogPricesAsOf}
		}
		p.mu.Lock()
		if hit, ok := p.prices[priceKey{region, t.ID}]; ok && now.Before(hit.expires) {
			price = multicloud.Price{Amount: hit.usd, Currency: Currency, Unit: "hour", Source: "pricing.GetProducts", AsOf: hit.asOf}
		}
		p.mu.Unlock()
		for _, zone := range z.zones {
			if !z.offered(zone, t.ID) {
				continue
			}
			g.Offers = append(g.Offers, multicloud.Offering{
				Placement: multicloud.Placement{Provider: ProviderCode, Region: region, Zone: zone, InstanceType: t.ID},
				Account:   p.opts.Account, ZoneID: z.ids[zone], AnyAccount: true,
				ChargeMode: multicloud.OnDemand, Type: g.Type, Stock: multicloud.StockUnknown, Price: price,
			})
		}
		if len(g.Offers) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}
