package aws

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	mcpricing "github.com/multicloud-ecs/multicloud/pricing"
)

// m6iLarge is a GetProducts PriceList entry in the Price List's
// published layout (product, serviceCode, terms.OnDemand with price
// dimensions), for m6i.large in us-east-1.
const m6iLarge = `{"product":{"productFamily":"Compute Instance","attributes":{"instanceType":"m6i.large","location":"US East (N. Virginia)","operatingSystem":"Linux","tenancy":"Shared","capacitystatus":"Used","preInstalledSw":"NA","regionCode":"us-east-1"},"sku":"8Z3S7J6ZTY2UKQ3C"},"serviceCode":"AmazonEC2","terms":{"OnDemand":{"8Z3S7J6ZTY2UKQ3C.JRTCKXETXF":{"priceDimensions":{"8Z3S7J6ZTY2UKQ3C.JRTCKXETXF.6YS6EN2CT7":{"unit":"Hrs","endRange":"Inf","description":"$0.096 per On Demand Linux m6i.large Instance Hour","appliesTo":[],"rateCode":"8Z3S7J6ZTY2UKQ3C.JRTCKXETXF.6YS6EN2CT7","beginRange":"0","pricePerUnit":{"USD":"0.0960000000"}}},"sku":"8Z3S7J6ZTY2UKQ3C","effectiveDate":"2025-11-01T00:00:00Z","offerTermCode":"JRTCKXETXF","termAttributes":{}}}},"version":"20251101000000","publicationDate":"2025-11-01T00:00:00Z"}`

func TestOnDemandHourly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		docs    []string
		want    float64
		wantErr bool
	}{
		{"one product", []string{m6iLarge}, 0.096, false},
		{"highest of two", []string{m6iLarge, `{"terms":{"OnDemand":{"x":{"priceDimensions":{"y":{"unit":"Hrs","pricePerUnit":{"USD":"0.1200000000"}}}}}}}`}, 0.12, false},
		{"zero price ignored", []string{`{"terms":{"OnDemand":{"x":{"priceDimensions":{"y":{"unit":"Hrs","pricePerUnit":{"USD":"0.0000000000"}}}}}}}`}, 0, true},
		{"other unit", []string{`{"terms":{"OnDemand":{"x":{"priceDimensions":{"y":{"unit":"Quantity","pricePerUnit":{"USD":"100"}}}}}}}`}, 0, true},
		{"no products", nil, 0, true},
		{"unreadable", []string{`{`}, 0, true},
	} {
		got, err := onDemandHourly(tc.docs)
		if (err != nil) != tc.wantErr || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: got %v, %v; want %v, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestProductFilters(t *testing.T) {
	fs := productFilters("us-east-1", "g5.xlarge")
	got := map[string]string{}
	for _, f := range fs {
		got[aws.ToString(f.Field)] = aws.ToString(f.Value)
	}
	want := map[string]string{"instanceType": "g5.xlarge", "location": "US East (N. Virginia)", "operatingSystem": "Linux",
		"tenancy": "Shared", "capacitystatus": "Used", "preInstalledSw": "NA"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	if got := productFilters("xx-new-1", "t3.large"); aws.ToString(got[1].Field) != "regionCode" {
		t.Errorf("unknown region filtered by %q, want regionCode", aws.ToString(got[1].Field))
	}
}

// TestQuoteParts checks the quote's arithmetic from a cached price: the
// instance, gp3 disk per GiB-month and the public IPv4 hour, times the
// quantity, in USD; PREPAID is refused.
func TestQuoteParts(t *testing.T) {
	p := newTestProvider(t)
	p.prices[priceKey{"us-east-1", "m6i.large"}] = priceHit{usd: 0.096, asOf: time.Now(), expires: time.Now().Add(time.Hour)}
	q, err := p.Quote(context.Background(), mcpricing.Request{Region: "us-east-1", InstanceType: "m6i.large",
		SystemDiskSizeGiB: 73, BandwidthMbps: 5, Quantity: 2})
	if err != nil {
		t.Fatalf("Quote: %v", err)
	}
	disk := 73 * 0.08 / 730
	want := mcpricing.Breakdown{Instance: 2 * 0.096, Disk: 2 * disk, Bandwidth: 2 * 0.005, Total: 2 * (0.096 + disk + 0.005)}
	if diff := cmp.Diff(want, q.Hourly, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
		t.Errorf("hourly (-want +got):\n%s", diff)
	}
	if q.Currency != "USD" || q.Provider != "aws" || q.TrafficPerGB != 0.09 {
		t.Errorf("quote: currency %q provider %q traffic %v, want USD, aws, 0.09", q.Currency, q.Provider, q.TrafficPerGB)
	}
	_, err = p.Quote(context.Background(), mcpricing.Request{Region: "us-east-1", InstanceType: "m6i.large", ChargeMode: mcpricing.Prepaid})
	if !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("prepaid quote: got %v, want ErrInvalidArgument", err)
	}
}
