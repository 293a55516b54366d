package aliyun

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
)

// maxPricedBandwidth is the largest InternetMaxBandwidthOut DescribePrice
// accepts (0-100 Mbit/s).
const maxPricedBandwidth = 100

// Quote prices a plan with one DescribePrice call (ResourceType instance:
// instance type, system disk and bandwidth, Amount = quantity): by the
// hour for ON_DEMAND (PostPaid), by the month times the duration for
// PREPAID (PrePaid; 12-60 months are priced by the year, with the yearly
// discounts). The DetailInfos parts (instanceType, systemDisk, bandwidth)
// fill the breakdown with their trade prices.
//
// DescribePrice does not price elastic IPs. The bandwidth of an elastic IP
// is priced as the same instance bandwidth (PayByBandwidth for FIXED;
// PayByTraffic, which DescribePrice prices at 0 per hour, for TRAFFIC),
// an approximation that is not confirmed to match EIP list prices; above
// 100 Mbit/s the 100 Mbit/s price is scaled linearly. The API gives no
// validity: ValidUntil is now plus Options.QuoteTTL.
func (p *Provider) Quote(ctx context.Context, r pricing.Request) (*pricing.Quote, error) {
	const op = "Quote"
	if r.InstanceType == "" || r.Region == "" {
		return nil, errorf(op, r.Region, multicloud.CodeInvalidArgument, "", "quote needs a region and an instance type")
	}
	qty := max(r.Quantity, 1)
	req := ecs.CreateDescribePriceRequest()
	req.ResourceType = "instance"
	req.InstanceType, req.ZoneId, req.ImageId = r.InstanceType, r.Zone, r.ImageID
	req.InstanceNetworkType = "vpc"
	req.IoOptimized = "optimized"
	req.SystemDiskCategory = r.SystemDiskType
	if r.SystemDiskSizeGiB > 0 {
		req.SystemDiskSize = requests.NewInteger(r.SystemDiskSizeGiB)
	}
	req.Amount = requests.NewInteger(qty)
	bwScale := 1.0
	if r.BandwidthMbps > 0 {
		req.InternetChargeType = internetChargeType(string(r.BandwidthMode))
		bw := r.BandwidthMbps
		if bw > maxPricedBandwidth {
			bwScale = float64(bw) / maxPricedBandwidth
			bw = maxPricedBandwidth
		}
		req.InternetMaxBandwidthOut = requests.NewInteger(bw)
	}
	// months is how many months the priced period covers; scale multiplies
	// the price when the period cannot be asked for directly.
	months, scale := 0, 1.0
	if r.ChargeMode == pricing.Prepaid {
		d := max(r.DurationMonths, 1)
		switch {
		case d <= 9:
			req.PriceUnit, req.Period, months = "Month", requests.NewInteger(d), d
		case d%12 == 0 && d/12 <= 5:
			req.PriceUnit, req.Period, months = "Year", requests.NewInteger(d/12), d
		default:
			req.PriceUnit, req.Period, months, scale = "Month", requests.NewInteger(1), d, float64(d)
		}
	} else {
		req.PriceUnit = "Hour"
	}
	// A spot quote prices the instance at the market: the latest spot
	// price of the zone (the lowest of the region's zones when no zone is
	// given) from DescribeSpotPriceHistory; disks and bandwidth keep
	// DescribePrice's pay-as-you-go figures.
	var spot multicloud.Price
	if r.ChargeMode == pricing.Spot {
		req.SpotStrategy = spotStrategy
		prices, err := p.spotPrices(ctx, r.Region, r.InstanceType)
		if err != nil {
			return nil, err
		}
		for z, pr := range prices {
			if (r.Zone == "" || z == r.Zone) && (!spot.Known() || pr.Amount < spot.Amount) {
				spot = pr
			}
		}
		if !spot.Known() {
			return nil, errorf(op, r.Region, multicloud.CodeNotFound, "", "no spot price of %s in %s", r.InstanceType, cmp.Or(r.Zone, r.Region))
		}
	}
	resp := ecs.CreateDescribePriceResponse()
	if err := p.do(ctx, r.Region, productECS, req, resp); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	q := &pricing.Quote{
		Provider: ProviderCode, Region: r.Region, Zone: r.Zone, InstanceType: r.InstanceType,
		ChargeMode: r.ChargeMode, Quantity: qty, Currency: resp.PriceInfo.Price.Currency,
		QuotedAt: now, ValidUntil: now.Add(p.opts.QuoteTTL),
	}
	if q.ChargeMode == "" {
		q.ChargeMode = pricing.OnDemand
	}
	period := priceBreakdown(resp.PriceInfo.Price.TradePrice, priceParts(resp.GetHttpContentBytes()), bwScale).Scale(scale)
	if spot.Known() {
		inst := spot.Amount * float64(qty)
		period.Total += inst - period.Instance
		period.Instance = inst
		q.Currency = spot.Currency
	}
	if q.ChargeMode == pricing.Prepaid {
		q.DurationMonths = months
		q.Monthly = period.Scale(1 / float64(months))
		q.Hourly = q.Monthly.Scale(1.0 / pricing.HoursPerMonth)
		q.Upfront = period.Total
	} else {
		q.Hourly = period
		q.Monthly = period.Scale(pricing.HoursPerMonth)
	}
	if r.BandwidthMbps > 0 && r.BandwidthMode != pricing.Fixed {
		q.TrafficPerGB = p.opts.TrafficPricePerGB
	}
	return q, nil
}

// pricePart is one entry of DescribePrice's part list.
type pricePart struct {
	Resource   string  `json:"Resource"`
	TradePrice float64 `json:"TradePrice"`
}

// priceParts reads the part list of a DescribePrice response under either
// name the documentation and the SDKs use for it: DetailInfos.DetailInfo
// (this SDK, the API reference's sample) and DetailInfos.ResourcePriceModel
// (other SDKs' response models). An unreadable body has no parts.
func priceParts(body []byte) []pricePart {
	var r struct {
		PriceInfo struct {
			Price struct {
				DetailInfos struct {
					DetailInfo         []pricePart `json:"DetailInfo"`
					ResourcePriceModel []pricePart `json:"ResourcePriceModel"`
				} `json:"DetailInfos"`
			} `json:"Price"`
		} `json:"PriceInfo"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil
	}
	d := r.PriceInfo.Price.DetailInfos
	return append(d.DetailInfo, d.ResourcePriceModel...)
}

// priceBreakdown maps DescribePrice's parts into a breakdown of trade
// prices, scaling the bandwidth part by bwScale. Resource names are
// matched without regard to case (the documentation spells them
// "instanceType", "systemDisk", "bandwidth"; samples differ). Parts it
// does not know go to the instance; without parts, the whole trade price
// is the instance.
func priceBreakdown(trade float64, parts []pricePart, bwScale float64) pricing.Breakdown {
	var b pricing.Breakdown
	for _, d := range parts {
		switch strings.ToLower(d.Resource) {
		case "systemdisk", "datadisk":
			b.Disk += d.TradePrice
		case "bandwidth", "internetmaxbandwidthout":
			b.Bandwidth += d.TradePrice * bwScale
		default: // instanceType, image, ...
			b.Instance += d.TradePrice
		}
	}
	if len(parts) == 0 {
		b.Instance = trade
	}
	b.Total = b.Instance + b.Disk + b.Bandwidth
	return b
}
