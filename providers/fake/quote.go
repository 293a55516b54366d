package fake

import (
	"context"
	"math"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
)

// QuoteValidity is how long a quote of the fake stays valid.
const QuoteValidity = 10 * time.Minute

// Quote prices req from the price table (Options.Prices), in Prices.Currency, for all
// of its instances: the instance, its system disk and, for FIXED
// bandwidth, the reserved Mbit/s; TRAFFIC bandwidth is priced per GB in
// TrafficPerGB. A PREPAID quote takes Options.Prices.PrepaidDiscount off
// the monthly price and pays Monthly.Total times the duration Upfront. An
// unknown region or instance type, a bad charge mode or a PREPAID quote
// without a duration is ErrInvalidArgument.
func (p *Provider) Quote(ctx context.Context, req pricing.Request) (_ *pricing.Quote, err error) {
	const op = "Quote"
	defer p.track(op, req.Region, req.InstanceType, p.now(), &err)
	defer p.leave(ctx, op, req.Region, &err)
	if err := p.enter(ctx, op, req.Region); err != nil {
		return nil, err
	}
	if _, err := p.region(op, req.Region); err != nil {
		return nil, err
	}
	sold := p.sells(req.Region, req.InstanceType)
	price, ok := p.typePrice(req.InstanceType)
	if !ok || !sold {
		return nil, p.errorf(op, req.Region, multicloud.CodeInvalidArgument, "InvalidInstanceType.ValueNotSupported",
			"no price for instance type %q in %s", req.InstanceType, req.Region)
	}
	per := pricing.Breakdown{Instance: price, Disk: float64(req.SystemDiskSizeGiB) * p.prices.DiskGiBHour}
	q := &pricing.Quote{
		Provider: p.code, Region: req.Region, Zone: req.Zone, InstanceType: req.InstanceType,
		ChargeMode: req.ChargeMode, Quantity: max(req.Quantity, 1), Currency: p.prices.Currency,
	}
	if req.BandwidthMbps > 0 {
		if req.BandwidthMode == pricing.Fixed {
			per.Bandwidth = float64(req.BandwidthMbps) * p.prices.BandwidthMbpsHour
		} else {
			q.TrafficPerGB = p.prices.TrafficPerGB
		}
	}
	per.Total = per.Instance + per.Disk + per.Bandwidth
	q.Hourly = round(per.Scale(float64(q.Quantity)))
	q.Monthly = round(q.Hourly.Scale(pricing.HoursPerMonth))
	switch req.ChargeMode {
	case pricing.OnDemand, "":
		q.ChargeMode = pricing.OnDemand
	case pricing.Prepaid:
		if req.DurationMonths < 1 {
			return nil, p.errorf(op, req.Region, multicloud.CodeInvalidArgument, "InvalidPeriod", "PREPAID needs a duration, got %d months", req.DurationMonths)
		}
		q.DurationMonths = req.DurationMonths
		q.Monthly = round(q.Monthly.Scale(1 - p.prices.PrepaidDiscount))
		q.Hourly = round(q.Monthly.Scale(1.0 / pricing.HoursPerMonth))
		q.Upfront = roundF(q.Monthly.Total * float64(req.DurationMonths))
	default:
		return nil, p.errorf(op, req.Region, multicloud.CodeInvalidArgument, "InvalidInstanceChargeType", "unknown charge mode %q", req.ChargeMode)
	}
	q.QuotedAt = p.now()
	q.ValidUntil = q.QuotedAt.Add(QuoteValidity)
	return q, nil
}

// typePrice returns the hourly price of an instance type: the simulated
// cloud's (Prices.Types, or sim.Cloud.SetPrice), else the catalog's
// reference price, else an estimate from its specs.
func (p *Provider) typePrice(typ string) (float64, bool) {
	if v, ok := p.cloud.Price(typ); ok {
		return v.Amount, true
	}
	t, ok := p.catalog.Type(typ)
	if !ok {
		return 0, false
	}
	if t.HourlyPrice > 0 {
		return t.HourlyPrice, true
	}
	return 0.1*float64(t.VCPU) + 0.05*t.MemoryGiB, true
}

// round rounds every part to 1/10000 of the currency, as price APIs do.
func round(b pricing.Breakdown) pricing.Breakdown {
	return pricing.Breakdown{Instance: roundF(b.Instance), Disk: roundF(b.Disk), Bandwidth: roundF(b.Bandwidth), Total: roundF(b.Total)}
}

func roundF(f float64) float64 { return math.Round(f*1e4) / 1e4 }
