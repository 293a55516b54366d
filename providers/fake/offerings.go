package fake

import (
	"context"
	"hash/fnv"
	"strconv"
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
	p.mu.Lock()
	if closed {
		p.closed[stockKey{region, zone, instanceType}] = true
	} else {
		delete(p.closed, stockKey{region, zone, instanceType})
	}
	p.mu.Unlock()
}

// SetWrongStockRate makes Offerings report WithStock for that fraction of
// sold-out (zone, type) pairs, chosen by a hash of the pair and the
// provider's seed, as a cloud's stock answer is sometimes wrong: the
// create then fails with no stock. 0 (the default) answers truly.
func (p *Provider) SetWrongStockRate(rate float64) {
	p.mu.Lock()
	p.wrongStock = rate
	p.mu.Unlock()
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
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.regionLocked(op, region)
	if err != nil {
		return nil, err
	}
	out := make([]multicloud.OfferingGroup, 0, len(types))
	for _, t := range types {
		price, _ := p.typePrice(t.ID)
		spec := multicloud.TypeSpec{ID: t.ID, Family: t.Family, VCPU: t.VCPU, MemoryGiB: t.MemoryGiB,
			GPUModel: t.GPUModel, GPUCount: t.GPUCount, GPUMemoryGiB: t.GPUMemoryGiB}
		g := multicloud.OfferingGroup{Type: spec, Offers: make([]multicloud.Offering, 0, len(r.zones))}
		for _, z := range r.zones {
			k := stockKey{region, z, t.ID}
			in := p.stockLocked(k) > 0 || p.wrongLocked(k)
			st := multicloud.WithStock
			switch c, ok := p.modeCategoryLocked(k, mode); {
			case ok:
				st = c
			case p.closed[k] && in:
				st = multicloud.ClosedWithStock
			case p.closed[k]:
				st = multicloud.ClosedWithoutStock
			case !in:
				st = multicloud.WithoutStock
			}
			g.Offers = append(g.Offers, multicloud.Offering{
				Placement: multicloud.Placement{Provider: p.code, Region: region, Zone: z, InstanceType: t.ID},
				Account:   p.account, ZoneID: z, ChargeMode: mode, Type: spec, Stock: st, StockAsOf: stockAt,
				Price: multicloud.Price{Amount: roundF(price * factor), Currency: p.prices.Currency, Unit: "hour", Source: "fake price table", AsOf: now},
			})
		}
		out = append(out, g)
	}
	return out, nil
}

// wrongLocked reports whether the stock answer of a sold-out k is wrong.
func (p *Provider) wrongLocked(k stockKey) bool {
	if p.wrongStock <= 0 || p.stockLocked(k) > 0 {
		return false
	}
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatUint(p.opts.Seed, 10) + "|" + k.region + "|" + k.zone + "|" + k.typ))
	return float64(h.Sum64()%10000)/10000 < p.wrongStock
}

// episodes is a seeded schedule of sold-out episodes (SetSoldOutEpisodes).
type episodes struct {
	fraction float64
	period   time.Duration
}

// SetSoldOutEpisodes makes fraction of the (region, zone, instance type)
// pairs sold out during each period of the provider's Clock, chosen anew
// every period by a hash of the pair, the period's index and the seed, so
// that a run sees the same episodes every time: a pair's stock is 0 while
// its episode lasts, whatever SetStock gave it, and comes back after.
// A fraction of 0 ends the schedule.
func (p *Provider) SetSoldOutEpisodes(fraction float64, period time.Duration) {
	p.mu.Lock()
	p.episodes = episodes{fraction: fraction, period: max(period, time.Second)}
	p.mu.Unlock()
}

// soldOutEpisodeLocked reports whether k is in a sold-out episode now.
func (p *Provider) soldOutEpisodeLocked(k stockKey) bool {
	if p.episodes.fraction <= 0 {
		return false
	}
	idx := p.now().UnixNano() / int64(p.episodes.period)
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatUint(p.opts.Seed, 10) + "|" + strconv.FormatInt(idx, 10) + "|" + k.region + "|" + k.zone + "|" + k.typ))
	return float64(h.Sum64()%10000)/10000 < p.episodes.fraction
}
