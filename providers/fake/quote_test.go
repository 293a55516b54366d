package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

func TestQuote(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	p := fake.New(func(o *fake.Options) {
		o.Clock = fake.NewManualClock(now)
		o.Prices = fake.Prices{Types: map[string]float64{"ecs.g7.large": 1}, DiskGiBHour: 0.01, BandwidthMbpsHour: 0.1, TrafficPerGB: 0.5, PrepaidDiscount: 0.2}
	})
	base := pricing.Request{Provider: "fake", Region: "cn-hangzhou", Zone: "cn-hangzhou-h", InstanceType: "ecs.g7.large",
		SystemDiskType: "cloud_essd", SystemDiskSizeGiB: 40, Quantity: 2}
	tests := []struct {
		name string
		edit func(*pricing.Request)
		want pricing.Quote
	}{
		{
			name: "on demand, traffic",
			edit: func(r *pricing.Request) {
				r.ChargeMode, r.BandwidthMode, r.BandwidthMbps = pricing.OnDemand, pricing.Traffic, 10
			},
			want: pricing.Quote{ChargeMode: pricing.OnDemand, TrafficPerGB: 0.5,
				Hourly:  pricing.Breakdown{Instance: 2, Disk: 0.8, Total: 2.8},
				Monthly: pricing.Breakdown{Instance: 1460, Disk: 584, Total: 2044}},
		},
		{
			name: "prepaid, fixed",
			edit: func(r *pricing.Request) {
				r.ChargeMode, r.DurationMonths, r.BandwidthMode, r.BandwidthMbps = pricing.Prepaid, 3, pricing.Fixed, 10
			},
			want: pricing.Quote{ChargeMode: pricing.Prepaid, DurationMonths: 3,
				Hourly:  pricing.Breakdown{Instance: 1.6, Disk: 0.64, Bandwidth: 1.6, Total: 3.84},
				Monthly: pricing.Breakdown{Instance: 1168, Disk: 467.2, Bandwidth: 1168, Total: 2803.2},
				Upfront: 8409.6},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := base
			tc.edit(&req)
			got, err := p.Quote(context.Background(), req)
			if err != nil {
				t.Fatalf("Quote: %v", err)
			}
			want := tc.want
			want.Provider, want.Region, want.Zone, want.InstanceType, want.Quantity, want.Currency = "fake", "cn-hangzhou", "cn-hangzhou-h", "ecs.g7.large", 2, "CNY"
			want.QuotedAt, want.ValidUntil = now, now.Add(10*time.Minute)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("quote (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []pricing.Request{
		{Region: "mars-1", InstanceType: "ecs.g7.large"},
		{Region: "cn-hangzhou", InstanceType: "ecs.nonexistent"},
		{Region: "cn-hangzhou", InstanceType: "ecs.g7.large", ChargeMode: pricing.Prepaid},
	} {
		if _, err := p.Quote(context.Background(), bad); !errors.Is(err, multicloud.ErrInvalidArgument) {
			t.Errorf("Quote(%+v): got %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestResolve(t *testing.T) {
	p := fake.New()
	ctx := context.Background()
	req := func(opts ...multicloud.RequestOption) *multicloud.CreateInstanceRequest {
		r := gpuRequest("pia", opts...)
		r.Normalize()
		return r
	}
	tests := []struct {
		name    string
		req     *multicloud.CreateInstanceRequest
		pl      multicloud.Placement
		want    *multicloud.Plan
		wantErr error
		errHas  string
	}{
		{
			name: "gpu model, first zone with stock",
			req:  req(),
			pl:   multicloud.Placement{Region: "cn-hangzhou"},
			want: &multicloud.Plan{Placement: multicloud.Placement{Provider: "fake", Region: "cn-hangzhou", Zone: "cn-hangzhou-h", InstanceType: "ecs.gn7i-c8g1.2xlarge"},
				ImageID: "ubuntu_20_04_x64_20G_alibase_20230815.vhd"},
		},
		{
			name: "placement zone and type win",
			req:  req(),
			pl:   multicloud.Placement{Region: "cn-shanghai", Zone: "cn-shanghai-g", InstanceType: "ecs.g7.large"},
			want: &multicloud.Plan{Placement: multicloud.Placement{Provider: "fake", Region: "cn-shanghai", Zone: "cn-shanghai-g", InstanceType: "ecs.g7.large"},
				ImageID: "ubuntu_20_04_x64_20G_alibase_20230815.vhd"},
		},
		{name: "unknown region", req: req(), pl: multicloud.Placement{Region: "mars-1"}, wantErr: multicloud.ErrInvalidArgument, errHas: "known regions: cn-hangzhou, cn-shanghai"},
		{name: "unknown zone", req: req(), pl: multicloud.Placement{Region: "cn-hangzhou", Zone: "cn-hangzhou-z"}, wantErr: multicloud.ErrInvalidArgument, errHas: "cn-hangzhou-h"},
		{name: "unknown image", req: req(multicloud.WithImage("windows-95")), pl: multicloud.Placement{Region: "cn-hangzhou"}, wantErr: multicloud.ErrInvalidArgument, errHas: "ubuntu-22.04"},
		{name: "unknown gpu", req: req(multicloud.WithGPU("Z9000", 1)), pl: multicloud.Placement{Region: "cn-hangzhou"}, wantErr: multicloud.ErrInvalidArgument, errHas: "A100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Resolve(ctx, tc.req, tc.pl)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("got %v, want %v mentioning %q", err, tc.wantErr, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}

	// Out of stock in the first zone: the next one; everywhere: ErrNoStock.
	typ := "ecs.gn7i-c8g1.2xlarge"
	p.SetStock("cn-hangzhou", "cn-hangzhou-h", typ, 0)
	got, err := p.Resolve(ctx, req(multicloud.WithInstanceType(typ)), multicloud.Placement{Region: "cn-hangzhou"})
	if err != nil || got.Zone != "cn-hangzhou-i" {
		t.Errorf("first zone sold out: got %+v, %v; want cn-hangzhou-i", got, err)
	}
	for _, z := range []string{"cn-hangzhou-i", "cn-hangzhou-j"} {
		p.SetStock("cn-hangzhou", z, typ, 0)
	}
	if _, err := p.Resolve(ctx, req(multicloud.WithInstanceType(typ)), multicloud.Placement{Region: "cn-hangzhou"}); !errors.Is(err, multicloud.ErrNoStock) {
		t.Errorf("sold out everywhere: got %v, want ErrNoStock", err)
	}
	// Without an explicit type, the next cheapest A10 type with stock.
	got, err = p.Resolve(ctx, req(), multicloud.Placement{Region: "cn-hangzhou"})
	if err != nil || got.InstanceType == typ || got.Zone != "cn-hangzhou-h" {
		t.Errorf("cheapest A10 type sold out: got %+v, %v; want another A10 type in cn-hangzhou-h", got, err)
	}
}

func TestCandidatesAndRegions(t *testing.T) {
	p := fake.New(func(o *fake.Options) {
		o.Regions = []fake.Region{{ID: "r1", Zones: []string{"r1-a", "r1-b"}}}
	})
	ctx := context.Background()
	regions, err := p.Regions(ctx)
	if diff := cmp.Diff([]string{"r1"}, regions); diff != "" || err != nil {
		t.Errorf("Regions: %v (-want +got):\n%s", err, diff)
	}
	r := gpuRequest("quinn", multicloud.WithInstanceType("ecs.g7.large"))
	p.SetStock("r1", "r1-a", "ecs.g7.large", 0)
	got, err := p.Candidates(ctx, r, "r1")
	want := []multicloud.Placement{{Provider: "fake", Region: "r1", Zone: "r1-b", InstanceType: "ecs.g7.large"}}
	if diff := cmp.Diff(want, got); diff != "" || err != nil {
		t.Errorf("Candidates: %v (-want +got):\n%s", err, diff)
	}
	all, err := p.Candidates(ctx, gpuRequest("quinn", multicloud.WithGPU("A10", 1)), "r1")
	if err != nil || len(all) < 2 || all[0].Zone != "r1-a" || all[1].Zone != "r1-b" || all[0].InstanceType != all[1].InstanceType {
		t.Errorf("Candidates for an A10: got %v, %v; want each zone of the cheapest type first", all, err)
	}
}
