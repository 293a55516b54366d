package aliyun_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

const gn7e = "ecs.gn7e-c16g1.4xlarge"

// chargeModeServer is an emulator whose gn7 stock differs by charge mode in
// cn-hangzhou: spot sold out in zone i, pay-as-you-go in j, subscription in
// h; and whose spot market prices gn7 at 9, 5, 7 and 12 in zones h to k and
// gn7e at 20 everywhere.
func chargeModeServer(t *testing.T) *aliyuntest.Server {
	t.Helper()
	srv := newServer(t, aliyuntest.WithClock(sim.NewManualClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)).Now))
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-i", gn7, aliyuntest.ChargeSpot, aliyuntest.WithoutStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-j", gn7, aliyuntest.ChargePostPaid, aliyuntest.WithoutStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-h", gn7, aliyuntest.ChargePrePaid, aliyuntest.WithoutStock)
	for z, price := range map[string]float64{"cn-hangzhou-h": 9, "cn-hangzhou-i": 5, "cn-hangzhou-j": 7, "cn-hangzhou-k": 12} {
		srv.SetSpotPrice("cn-hangzhou", z, gn7, price)
		srv.SetSpotPrice("cn-hangzhou", z, gn7e, 20)
	}
	return srv
}

// TestOfferingsPerChargeMode: the provider's offerings read each charge
// mode's own stock, and spot prices come from the spot history per type.
func TestOfferingsPerChargeMode(t *testing.T) {
	srv := chargeModeServer(t)
	p := newProvider(t, srv)
	tests := []struct {
		mode multicloud.ChargeMode
		want map[string]multicloud.StockStatus
	}{
		{multicloud.OnDemand, map[string]multicloud.StockStatus{"cn-hangzhou-h": multicloud.WithStock, "cn-hangzhou-i": multicloud.WithStock, "cn-hangzhou-j": multicloud.WithoutStock, "cn-hangzhou-k": multicloud.WithStock}},
		{multicloud.Prepaid, map[string]multicloud.StockStatus{"cn-hangzhou-h": multicloud.WithoutStock, "cn-hangzhou-i": multicloud.WithStock, "cn-hangzhou-j": multicloud.WithStock, "cn-hangzhou-k": multicloud.WithStock}},
		{multicloud.Spot, map[string]multicloud.StockStatus{"cn-hangzhou-h": multicloud.WithStock, "cn-hangzhou-i": multicloud.WithoutStock, "cn-hangzhou-j": multicloud.WithStock, "cn-hangzhou-k": multicloud.WithStock}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, stockByZone(t, p, "cn-hangzhou", tt.mode, gn7)); diff != "" {
			t.Errorf("%s: stock of %s by zone (-want +got):\n%s", tt.mode, gn7, diff)
		}
	}

	// Spot offerings leave prices to TypePrices: one
	// DescribeSpotPriceHistory per type asked for, none while cached.
	groups, err := p.Offerings(testCtx(t), "cn-hangzhou", multicloud.Spot)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		for _, o := range g.Offers {
			if o.Price.Known() {
				t.Errorf("%s: spot offering priced %+v, want unknown until TypePrices", o.Placement, o.Price)
			}
		}
	}
	if got := srv.CallCount("DescribeSpotPriceHistory"); got != 0 {
		t.Errorf("DescribeSpotPriceHistory calls of Offerings: got %d, want 0", got)
	}
	if _, ok := p.CachedTypePrices("cn-hangzhou", multicloud.Spot, []string{gn7}); ok {
		t.Error("spot prices cached before any read")
	}
	tp, err := p.TypePrices(testCtx(t), "cn-hangzhou", multicloud.Spot, []string{gn7, gn7e})
	if err != nil {
		t.Fatal(err)
	}
	prices := map[string]float64{}
	for z, pr := range tp[gn7] {
		if pr.Source != aliyun.SpotPriceSource || pr.Currency != "CNY" || pr.Unit != "hour" || pr.AsOf.IsZero() {
			t.Errorf("%s: price %+v, want CNY per hour from %s with an as-of time", z, pr, aliyun.SpotPriceSource)
		}
		prices[z] = pr.Amount
	}
	if diff := cmp.Diff(map[string]float64{"cn-hangzhou-h": 9, "cn-hangzhou-i": 5, "cn-hangzhou-j": 7, "cn-hangzhou-k": 12}, prices); diff != "" {
		t.Errorf("spot prices of %s by zone (-want +got):\n%s", gn7, diff)
	}
	if len(tp[gn7e]) != 4 {
		t.Errorf("spot prices of %s: got %d zones, want 4", gn7e, len(tp[gn7e]))
	}
	cached, ok := p.CachedTypePrices("cn-hangzhou", multicloud.Spot, []string{gn7, gn7e})
	if !ok || !cmp.Equal(cached, tp) {
		t.Errorf("cached spot prices: got %v (%v), want the read ones", cached, ok)
	}
	if _, err := p.TypePrices(testCtx(t), "cn-hangzhou", multicloud.Spot, []string{gn7}); err != nil {
		t.Fatal(err)
	}
	if got := srv.CallCount("DescribeSpotPriceHistory"); got != 2 {
		t.Errorf("DescribeSpotPriceHistory calls: got %d, want 2 (one per type)", got)
	}
	if got := srv.CallCount("DescribeAvailableResource"); got != 3 {
		t.Errorf("DescribeAvailableResource calls: got %d, want 3 (one per charge mode)", got)
	}
	if m, ok := p.CachedTypePrices("cn-hangzhou", multicloud.OnDemand, []string{gn7}); !ok || m != nil {
		t.Errorf("on-demand type prices: got %v, %v; want nil, true (the offerings' prices stand)", m, ok)
	}
}

// TestRunInstancesPerChargeMode: a create in a zone is refused for the
// charge mode whose stock is out there and succeeds for the others.
func TestRunInstancesPerChargeMode(t *testing.T) {
	srv := chargeModeServer(t)
	p := newProvider(t, srv)
	client := newClient(t, p, multicloud.UseWaitForRunning(false, 0))
	tests := []struct {
		zone    string
		mode    multicloud.ChargeMode
		noStock bool
	}{
		{"cn-hangzhou-i", multicloud.Spot, true},
		{"cn-hangzhou-i", multicloud.OnDemand, false},
		{"cn-hangzhou-j", multicloud.OnDemand, true},
		{"cn-hangzhou-j", multicloud.Spot, false},
		{"cn-hangzhou-h", multicloud.Prepaid, true},
		{"cn-hangzhou-h", multicloud.OnDemand, false},
	}
	for i, tt := range tests {
		t.Run(tt.zone+" "+string(tt.mode), func(t *testing.T) {
			req := request("tenant-a", "user-"+string(rune('a'+i)), multicloud.WithPlacement("cn-hangzhou", tt.zone), multicloud.WithInstanceType(gn7))
			switch tt.mode {
			case multicloud.Prepaid:
				req.InstanceChargeMode, req.Duration = multicloud.Prepaid, 1
			case multicloud.Spot:
				multicloud.WithSpot()(req)
			}
			insts, err := client.CreateInstance(testCtx(t), req)
			if tt.noStock {
				if !errors.Is(err, multicloud.ErrNoStock) {
					t.Fatalf("got %v, want ErrNoStock", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Get(testCtx(t), "cn-hangzhou", insts[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ChargeMode != tt.mode || insts[0].ChargeMode != tt.mode {
				t.Errorf("charge mode: created %q, read back %q, want %q", insts[0].ChargeMode, got.ChargeMode, tt.mode)
			}
		})
	}
}

// TestCheapestSpot: a spot request is ranked by spot-history prices read
// for the fitting types only, the zone whose spot stock is out is skipped, and the created instance's
// quote prices it at the zone's spot price.
func TestCheapestSpot(t *testing.T) {
	srv := chargeModeServer(t)
	p := newProvider(t, srv)
	s := multicloud.NewCheapestScheduler()
	req := request("tenant-a", "user-spot", multicloud.WithSpot())
	req.Zone, req.InstanceType = "", ""
	req.GPUModel, req.GPUCount, req.CPU, req.Memory = "A100", 1, 12, 90
	req.Constraints = &multicloud.Constraints{Regions: []string{"cn-hangzhou"}}
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Explain(testCtx(t), req, reg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range e.Chosen {
		got = append(got, c.Zone+" "+c.InstanceType)
		if c.Price.Source != aliyun.SpotPriceSource {
			t.Errorf("%s: price source %q, want %q", c.Placement, c.Price.Source, aliyun.SpotPriceSource)
		}
	}
	want := []string{"cn-hangzhou-j " + gn7, "cn-hangzhou-h " + gn7, "cn-hangzhou-k " + gn7, "cn-hangzhou-h " + gn7e, "cn-hangzhou-i " + gn7e}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spot placements (-want +got):\n%s", diff)
	}
	// Spot prices are read for the two types that fit (1×A100), not for
	// every type of the region.
	if got := srv.CallCount("DescribeSpotPriceHistory"); got != 2 {
		t.Errorf("DescribeSpotPriceHistory calls: got %d, want 2 (the fitting types)", got)
	}
	for _, c := range e.Rejected {
		if c.InstanceType == gn7 && c.Zone == "cn-hangzhou-i" && c.Reason != multicloud.RejectNoStock {
			t.Errorf("%s: rejected as %s, want %s", c.Placement, c.Reason, multicloud.RejectNoStock)
		}
	}

	client := newClient(t, p, multicloud.UseScheduler(s), multicloud.UseWaitForRunning(false, 0))
	insts, err := client.CreateInstance(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	in := insts[0]
	if in.Zone != "cn-hangzhou-j" || in.ChargeMode != multicloud.Spot {
		t.Errorf("created in %s as %s, want cn-hangzhou-j as SPOT", in.Zone, in.ChargeMode)
	}
	if in.Quote == nil || in.Quote.Hourly.Instance != 7 || in.Quote.ChargeMode != multicloud.Spot {
		t.Errorf("quote %v, want SPOT with the instance at 7 per hour", in.Quote)
	}
}

// TestCandidatesPerChargeMode: resolving a region without a zone keeps
// only the zones whose stock in the request's charge mode has the type.
func TestCandidatesPerChargeMode(t *testing.T) {
	srv := chargeModeServer(t)
	p := newProvider(t, srv)
	tests := []struct {
		mode multicloud.ChargeMode
		want []string
	}{
		{multicloud.OnDemand, []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-k"}},
		{multicloud.Spot, []string{"cn-hangzhou-h", "cn-hangzhou-j", "cn-hangzhou-k"}},
		{multicloud.Prepaid, []string{"cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"}},
	}
	for _, tt := range tests {
		req := request("tenant-a", "user-a", multicloud.WithPlacement("cn-hangzhou", ""), multicloud.WithInstanceType(gn7))
		req.InstanceChargeMode = tt.mode
		pls, err := p.Candidates(testCtx(t), req, "cn-hangzhou")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, pl := range pls {
			got = append(got, pl.Zone)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: zones (-want +got):\n%s", tt.mode, diff)
		}
	}
}

// TestSpotPricesShared: 50 concurrent cold spot decisions read each
// fitting type's spot history once.
func TestSpotPricesShared(t *testing.T) {
	srv := chargeModeServer(t)
	reg, err := multicloud.NewRegistry(newProvider(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	s := multicloud.NewCheapestScheduler()
	req := multicloud.NewCreateInstanceRequest(multicloud.WithGPU("A100", 1), multicloud.WithSpot())
	req.CPU, req.Memory = 12, 90
	req.Constraints = &multicloud.Constraints{Regions: []string{"cn-hangzhou"}}
	req.Normalize()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			pls, err := s.Schedule(testCtx(t), req, reg)
			if err != nil {
				t.Error(err)
				return
			}
			if pls[0].Zone != "cn-hangzhou-j" || pls[0].InstanceType != gn7 {
				t.Errorf("first placement %s, want cn-hangzhou-j %s", pls[0], gn7)
			}
		})
	}
	wg.Wait()
	if got := srv.CallCount("DescribeSpotPriceHistory"); got != 2 {
		t.Errorf("DescribeSpotPriceHistory calls: got %d, want 2 (one per fitting type)", got)
	}
	if got := srv.CallCount("DescribeAvailableResource"); got != 1 {
		t.Errorf("DescribeAvailableResource calls: got %d, want 1", got)
	}
}

// TestTypePricesPartial: a type whose spot history cannot be read is left
// out, the others priced; only when every read fails is there an error.
func TestTypePricesPartial(t *testing.T) {
	srv := chargeModeServer(t)
	p := newProvider(t, srv)
	got, err := p.TypePrices(testCtx(t), "cn-hangzhou", multicloud.Spot, []string{gn7, "ecs.no-such-type"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["ecs.no-such-type"]; ok || len(got[gn7]) != 4 {
		t.Errorf("prices %v: want %s in 4 zones and no entry for the unknown type", got, gn7)
	}
	if _, err := p.TypePrices(testCtx(t), "cn-hangzhou", multicloud.Spot, []string{"ecs.no-such-type"}); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("every read failing: got %v, want ErrInvalidArgument", err)
	}
}
