package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	ptypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/multicloud-ecs/multicloud"
	mcpricing "github.com/multicloud-ecs/multicloud/pricing"
)

// Currency is the currency of every AWS price: the Price List's USD.
const Currency = "USD"

// regionLocations are the Price List's "location" attribute of regions
// (the region's long name). A region not listed is filtered by
// "regionCode", an attribute newer price lists carry (not confirmed for
// every offer file).
var regionLocations = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
	"us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
	"ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
	"eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
	"eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)", "eu-south-1": "EU (Milan)",
	"ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
	"ap-northeast-3": "Asia Pacific (Osaka)", "ap-southeast-1": "Asia Pacific (Singapore)",
	"ap-southeast-2": "Asia Pacific (Sydney)", "ap-south-1": "Asia Pacific (Mumbai)",
	"ap-east-1": "Asia Pacific (Hong Kong)", "me-south-1": "Middle East (Bahrain)",
	"af-south-1": "Africa (Cape Town)",
}

type priceKey struct{ region, typ string }

type priceHit struct {
	usd     float64
	asOf    time.Time
	expires time.Time
}

// productFilters are the GetProducts filters of the Linux, shared-tenancy,
// on-demand price of typ in region, without pre-installed software.
func productFilters(region, typ string) []ptypes.Filter {
	f := func(field, value string) ptypes.Filter {
		return ptypes.Filter{Type: ptypes.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(value)}
	}
	loc := f("regionCode", region)
	if l, ok := regionLocations[region]; ok {
		loc = f("location", l)
	}
	return []ptypes.Filter{
		f("instanceType", typ), loc, f("operatingSystem", "Linux"), f("tenancy", "Shared"),
		f("capacitystatus", "Used"), f("preInstalledSw", "NA"),
	}
}

// OnDemandPrice returns the hourly on-demand price in USD of one Linux
// instance of typ in region, from the Price List Query API
// (pricing.GetProducts, ServiceCode AmazonEC2, see productFilters),
// cached for Options.PriceTTL. A type the price list does not know is
// ErrPriceFailed.
func (p *Provider) OnDemandPrice(ctx context.Context, region, typ string) (float64, time.Time, error) {
	const op = "GetProducts"
	k := priceKey{region, typ}
	p.mu.Lock()
	hit, ok := p.prices[k]
	p.mu.Unlock()
	if ok && time.Now().Before(hit.expires) {
		return hit.usd, hit.asOf, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, time.Time{}, canceled(op, region, err)
	}
	cctx, cancel := context.WithTimeout(ctx, p.opts.ReadTimeout)
	defer cancel()
	var docs []string
	var next *string
	for page := 0; page < 10; page++ {
		out, err := p.pricingClient().GetProducts(cctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"),
			Filters: productFilters(region, typ), FormatVersion: aws.String("aws_v1"), MaxResults: aws.Int32(100), NextToken: next})
		if err != nil {
			if ctx.Err() != nil {
				err = errors.Join(err, ctx.Err())
			}
			return 0, time.Time{}, classify(op, region, err)
		}
		docs = append(docs, out.PriceList...)
		if next = out.NextToken; aws.ToString(next) == "" {
			break
		}
	}
	usd, err := onDemandHourly(docs)
	if err != nil {
		return 0, time.Time{}, errorf(op, region, multicloud.CodePriceFailed, "", "no on-demand price of %s in %s: %v", typ, region, err)
	}
	now := time.Now().UTC()
	p.mu.Lock()
	p.prices[k] = priceHit{usd: usd, asOf: now, expires: now.Add(p.opts.PriceTTL)}
	p.mu.Unlock()
	return usd, now, nil
}

// priceDoc is the part of a Price List product document that is read.
type priceDoc struct {
	Product struct {
		Attributes map[string]string `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// onDemandHourly reads the hourly USD on-demand price from GetProducts'
// PriceList documents (each a JSON string): the OnDemand term's price
// dimension with unit "Hrs". With several products (filters that match
// more than one), the highest price is taken, so that a quote never
// undercuts; none is an error.
func onDemandHourly(docs []string) (float64, error) {
	best, found := 0.0, false
	for i, d := range docs {
		var doc priceDoc
		if err := json.Unmarshal([]byte(d), &doc); err != nil {
			return 0, fmt.Errorf("price list document %d: %w", i, err)
		}
		for _, term := range doc.Terms.OnDemand {
			for _, dim := range term.PriceDimensions {
				if dim.Unit != "Hrs" {
					continue
				}
				s, ok := dim.PricePerUnit["USD"]
				if !ok {
					continue
				}
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return 0, fmt.Errorf("price %q: %w", s, err)
				}
				if v > 0 && (!found || v > best) {
					best, found = v, true
				}
			}
		}
	}
	if !found {
		return 0, errors.New("no hourly USD price in the price list")
	}
	return best, nil
}

// Quote prices a plan in USD: the instance's on-demand hourly price (see
// OnDemandPrice), the system disk as gp3 per GiB-month
// (Options.Prices.GP3PerGiBMonth, spread over pricing.HoursPerMonth) and,
// with a public address, its public IPv4 charge per hour
// (Options.Prices.PublicIPv4PerHour), each times the quantity; traffic
// out is TrafficPerGB. PREPAID is refused (ErrInvalidArgument): EC2 sells
// no prepaid instances; its commitments (Savings Plans, Reserved
// Instances) are bought apart from instances. ValidUntil is now plus
// Options.QuoteTTL.
func (p *Provider) Quote(ctx context.Context, r mcpricing.Request) (*mcpricing.Quote, error) {
	const op = "Quote"
	if r.InstanceType == "" || r.Region == "" {
		return nil, errorf(op, r.Region, multicloud.CodeInvalidArgument, "", "quote needs a region and an instance type")
	}
	if r.ChargeMode == mcpricing.Prepaid {
		return nil, errorf(op, r.Region, multicloud.CodeInvalidArgument, "", "aws sells no prepaid instances (savings plans and reserved instances are bought apart); use ON_DEMAND")
	}
	usd, _, err := p.OnDemandPrice(ctx, r.Region, r.InstanceType)
	if err != nil {
		return nil, err
	}
	qty := max(r.Quantity, 1)
	b := mcpricing.Breakdown{Instance: usd}
	if r.SystemDiskSizeGiB > 0 {
		b.Disk = float64(r.SystemDiskSizeGiB) * p.opts.Prices.GP3PerGiBMonth / mcpricing.HoursPerMonth
	}
	if r.BandwidthMbps > 0 {
		b.Bandwidth = p.opts.Prices.PublicIPv4PerHour
	}
	b.Total = b.Instance + b.Disk + b.Bandwidth
	hourly := b.Scale(float64(qty))
	now := time.Now().UTC()
	q := &mcpricing.Quote{
		Provider: ProviderCode, Region: r.Region, Zone: r.Zone, InstanceType: r.InstanceType,
		ChargeMode: mcpricing.OnDemand, Quantity: qty, Currency: Currency,
		Hourly: hourly, Monthly: hourly.Scale(mcpricing.HoursPerMonth),
		QuotedAt: now, ValidUntil: now.Add(p.opts.QuoteTTL),
	}
	if r.BandwidthMbps > 0 {
		q.TrafficPerGB = p.opts.Prices.TrafficPerGB
	}
	return q, nil
}

// regionPricePages bounds the GetProducts pages of one region's price
// list (100 products a page; a region sells several hundred types).
const regionPricePages = 30

// loadRegionPrices reads the hourly on-demand prices of every instance
// type of region from the Price List (GetProducts with the filters of
// productFilters but the instance type, every page) into the price cache,
// once per Options.PriceTTL. Documents without an instanceType attribute
// or an hourly USD price are skipped.
func (p *Provider) loadRegionPrices(ctx context.Context, region string) error {
	const op = "GetProducts"
	p.mu.Lock()
	at, ok := p.pricesLoaded[region]
	p.mu.Unlock()
	if ok && time.Since(at) < p.opts.PriceTTL {
		return nil
	}
	filters := productFilters(region, "")[1:] // all but instanceType
	var next *string
	now := time.Now().UTC()
	got := map[string]float64{}
	for page := 0; page < regionPricePages; page++ {
		cctx, cancel := context.WithTimeout(ctx, p.opts.ReadTimeout)
		out, err := p.pricingClient().GetProducts(cctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"),
			Filters: filters, FormatVersion: aws.String("aws_v1"), MaxResults: aws.Int32(100), NextToken: next})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				err = errors.Join(err, ctx.Err())
			}
			return classify(op, region, err)
		}
		for _, d := range out.PriceList {
			var doc priceDoc
			if json.Unmarshal([]byte(d), &doc) != nil {
				continue
			}
			typ := doc.Product.Attributes["instanceType"]
			usd, err := onDemandHourly([]string{d})
			if typ == "" || err != nil {
				continue
			}
			got[typ] = max(got[typ], usd)
		}
		if next = out.NextToken; aws.ToString(next) == "" {
			break
		}
	}
	p.mu.Lock()
	for typ, usd := range got {
		p.prices[priceKey{region, typ}] = priceHit{usd: usd, asOf: now, expires: now.Add(p.opts.PriceTTL)}
	}
	p.pricesLoaded[region] = now
	p.mu.Unlock()
	return nil
}
