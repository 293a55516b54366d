package fake

import (
	"context"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// StockRefreshInterval is how often the fake's stock answers are read
// afresh, as a provider refreshes its cached stock table: Offerings gives
// the start of the current interval as their StockAsOf.
const StockRefreshInterval = time.Minute

// SetClosed closes (or reopens) instanceType in zone to new buyers, as a
// cloud retires a type: a closed type with stock is ClosedWithStock in
// Offerings and still sells; a closed type without stock is
// ClosedWithoutStock.
func (p *Provider) SetClosed(region, zone, instanceType string, closed bool) {
	p.cloud.SetClosed(region, zone, instanceType, closed)
}

// SetWrongStockRate makes Offerings report WithStock for that fraction of
// sold-out (zone, type) pairs, chosen by a hash of the pair and the
// provider's seed, as a cloud's stock answer is sometimes wrong: the
// create then fails with no stock. 0 (the default) answers truly.
func (p *Provider) SetWrongStockRate(rate float64) { p.cloud.SetWrongStockRate(rate) }

// SetSoldOutEpisodes makes fraction of the (region, zone, instance type)
// pairs sold out during each period of the provider's Clock, chosen anew
// every period by a hash of the pair, the period's index and the seed, so
// that a run sees the same episodes every time: a pair's stock is 0 while
// its episode lasts, whatever SetStock gave it, and comes back after.
// A fraction of 0 ends the schedule.
func (p *Provider) SetSoldOutEpisodes(fraction float64, period time.Duration) {
	p.cloud.SetSoldOutEpisodes(fraction, period)
}

// Offerings returns every (zone, instance type) of region for mode, by
// type, with
// the stock category the fake's stock table gives (WithStock, WithoutStock,
// and their Closed forms after SetClosed, or the mode's SetStockCategory) and the hourly price of one
// instance in Prices.Currency, PREPAID with the prepaid discount. It
// implements multicloud.Offerer and makes no call to the fault machinery
// beyond a region check: it stands for the cached stock and price tables
// a real provider keeps. An unknown region is ErrInvalidArgument.
func (p *Provider) Offerings(ctx context.Context, region string, mode multicloud.ChargeMode) (_ []multicloud.OfferingGroup, err error) {
	const op = "Offerings"
	defer p.track(op, region, "", p.now(), &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	factor := 1.0
	switch mode {
	case multicloud.OnDemand, "":
		mode = multicloud.OnDemand
	case multicloud.Prepaid:
		factor = 1 - p.prices.PrepaidDiscount
	default:
		return nil, nil
	}
	types := p.catalog.Types()
	now := p.now()
	stockAt := now.Truncate(StockRefreshInterval)
	r, err := p.region(op, region)
	if err != nil {
		return nil, err
	}
	smode := simMode(mode)
	out := make([]multicloud.OfferingGroup, 0, len(types))
	for _, t := range types {
		price, _ := p.typePrice(t.ID)
		spec := multicloud.TypeSpec{ID: t.ID, Family: t.Family, VCPU: t.VCPU, MemoryGiB: t.MemoryGiB,
			GPUModel: t.GPUModel, GPUCount: t.GPUCount, GPUMemoryGiB: t.GPUMemoryGiB}
		g := multicloud.OfferingGroup{Type: spec, Offers: make([]multicloud.Offering, 0, len(r.Zones))}
		for _, z := range r.Zones {
			g.Offers = append(g.Offers, multicloud.Offering{
				Placement: multicloud.Placement{Provider: p.code, Region: region, Zone: z.Name, InstanceType: t.ID},
				Account:   p.account, ZoneID: z.ID, ChargeMode: mode, Type: spec,
				Stock: stockStatus(p.cloud.StockCategory(region, z.Name, t.ID, smode)), StockAsOf: stockAt,
				Price: multicloud.Price{Amount: roundF(price * factor), Currency: p.prices.Currency, Unit: "hour", Source: "fake price table", AsOf: now},
			})
		}
		out = append(out, g)
	}
	return out, nil
}
