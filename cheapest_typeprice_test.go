package multicloud_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// marketProvider sells spot offerings without prices in regions r1 and r2
// (zones a and b) and prices them per type through TypePricer; it says
// through ImageChecker which regions lack the image.
type marketProvider struct {
	multicloud.Provider
	groups   []multicloud.OfferingGroup // per region, Zone and Region filled per call
	prices   map[string]map[string]multicloud.Price
	priceErr error
	noImage  map[string]bool
	label    multicloud.ChargeMode // when set, the charge mode every offering is labelled with

	mu    sync.Mutex
	asked map[string][]string // region -> types asked
}

func (p *marketProvider) Code() string                              { return "market" }
func (p *marketProvider) Regions(context.Context) ([]string, error) { return []string{"r1", "r2"}, nil }
func (p *marketProvider) Offerings(_ context.Context, region string, mode multicloud.ChargeMode) ([]multicloud.OfferingGroup, error) {
	var out []multicloud.OfferingGroup
	for _, g := range p.groups {
		g2 := multicloud.OfferingGroup{Type: g.Type}
		for _, o := range g.Offers {
			o.Provider, o.Region, o.ChargeMode, o.Type = "market", region, mode, g.Type
			if p.label != "" {
				o.ChargeMode = p.label
			}
			g2.Offers = append(g2.Offers, o)
		}
		out = append(out, g2)
	}
	return out, nil
}
func (p *marketProvider) CachedTypePrices(string, multicloud.ChargeMode, []string) (map[string]map[string]multicloud.Price, bool) {
	return nil, false
}
func (p *marketProvider) TypePrices(_ context.Context, region string, _ multicloud.ChargeMode, types []string) (map[string]map[string]multicloud.Price, error) {
	p.mu.Lock()
	if p.asked == nil {
		p.asked = map[string][]string{}
	}
	p.asked[region] = slices.Sorted(slices.Values(types))
	p.mu.Unlock()
	if p.priceErr != nil {
		return nil, p.priceErr
	}
	out := map[string]map[string]multicloud.Price{}
	for _, t := range types {
		out[t] = p.prices[t]
	}
	return out, nil
}
func (p *marketProvider) ChargeModes() []multicloud.ChargeMode {
	return []multicloud.ChargeMode{multicloud.Spot}
}
func (p *marketProvider) ImageAvailable(_ context.Context, region, _ string) (bool, error) {
	return !p.noImage[region], nil
}

func newMarket() *marketProvider {
	a100 := func(id string, cpu int, mem float64) multicloud.TypeSpec {
		return multicloud.TypeSpec{ID: id, Family: id, VCPU: cpu, MemoryGiB: mem, GPUModel: "A100", GPUCount: 1}
	}
	offer := func(zone string, s multicloud.StockStatus) multicloud.Offering {
		return multicloud.Offering{Placement: multicloud.Placement{Zone: zone, InstanceType: ""}, Stock: s}
	}
	groups := []multicloud.OfferingGroup{
		{Type: a100("gpu-a", 12, 96), Offers: []multicloud.Offering{offer("a", multicloud.WithStock), offer("b", multicloud.WithStock)}},
		{Type: a100("gpu-b", 16, 128), Offers: []multicloud.Offering{offer("a", multicloud.WithStock), offer("b", multicloud.WithoutStock)}},
		{Type: multicloud.TypeSpec{ID: "cpu", Family: "cpu", VCPU: 16, MemoryGiB: 128}, Offers: []multicloud.Offering{offer("a", multicloud.WithStock)}},
	}
	for gi := range groups {
		for i := range groups[gi].Offers {
			groups[gi].Offers[i].InstanceType = groups[gi].Type.ID
		}
	}
	spot := func(v float64) multicloud.Price {
		return multicloud.Price{Amount: v, Currency: "CNY", Unit: "hour", Source: "spot-history", AsOf: t0}
	}
	return &marketProvider{groups: groups, prices: map[string]map[string]multicloud.Price{
		"gpu-a": {"a": spot(9), "b": spot(4)},
		"gpu-b": {"a": spot(3)}, // zone b has no spot price
	}}
}

func spotA100() *multicloud.CreateInstanceRequest {
	r := multicloud.NewCreateInstanceRequest(multicloud.WithGPU("A100", 1), multicloud.WithImage("ubuntu-22.04"), multicloud.WithSpot())
	r.CPU, r.Memory = 12, 90
	r.Constraints = &multicloud.Constraints{}
	r.Normalize()
	return r
}

// TestCheapestTypePricer: the scheduler asks a TypePricer for the fitting
// types with stock only and ranks by its prices; a zone it gives no price
// has an unknown price; an error keeps the offerings' prices; a region
// whose ImageChecker says the image is missing is rejected as
// image_unavailable and not priced.
func TestCheapestTypePricer(t *testing.T) {
	ctx := context.Background()
	t.Run("prices", func(t *testing.T) {
		p := newMarket()
		reg, err := multicloud.NewRegistry(p)
		if err != nil {
			t.Fatal(err)
		}
		s := newCheapest(fake.NewManualClock(t0), nil)
		e, err := s.Explain(ctx, spotA100(), reg)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"r1": {"gpu-a", "gpu-b"}, "r2": {"gpu-a", "gpu-b"}}
		if diff := cmp.Diff(want, p.asked); diff != "" {
			t.Errorf("types asked per region (-want +got):\n%s", diff)
		}
		var got []string
		for _, c := range e.Chosen {
			got = append(got, c.Placement.String())
		}
		wantChosen := []string{"market/r1/a/gpu-b", "market/r2/a/gpu-b", "market/r1/b/gpu-a", "market/r2/b/gpu-a", "market/r1/a/gpu-a"}
		if diff := cmp.Diff(wantChosen, got); diff != "" {
			t.Errorf("chosen (-want +got):\n%s", diff)
		}
		if c := e.Chosen[0]; c.Price.Source != "spot-history" || c.Price.Amount != 3 {
			t.Errorf("first choice's price %+v, want 3 from spot-history", c.Price)
		}
		// The provider's own offerings keep no price.
		groups, _ := p.Offerings(ctx, "r1", multicloud.Spot)
		for _, g := range groups {
			for _, o := range g.Offers {
				if o.Price.Known() {
					t.Errorf("%s: offering changed to %+v", o.Placement, o.Price)
				}
			}
		}
	})
	t.Run("error keeps offering prices", func(t *testing.T) {
		p := newMarket()
		p.priceErr = errors.New("throttled")
		reg, _ := multicloud.NewRegistry(p)
		e, err := newCheapest(fake.NewManualClock(t0), nil).Explain(ctx, spotA100(), reg)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range e.Chosen {
			if c.Price.Known() {
				t.Errorf("%s: price %+v, want the offering's unknown price", c.Placement, c.Price)
			}
		}
		if len(e.Chosen) == 0 {
			t.Error("nothing chosen: unknown prices still rank")
		}
	})
	t.Run("image unavailable", func(t *testing.T) {
		p := newMarket()
		p.noImage = map[string]bool{"r2": true}
		reg, _ := multicloud.NewRegistry(p)
		e, err := newCheapest(fake.NewManualClock(t0), nil).Explain(ctx, spotA100(), reg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.asked["r2"]; ok {
			t.Error("r2 priced although its image is missing")
		}
		reasons := map[string]multicloud.Reason{}
		for _, c := range e.Rejected {
			if c.Region == "r2" {
				reasons[c.Zone+"/"+c.InstanceType] = c.Reason
			}
		}
		want := map[string]multicloud.Reason{"a/gpu-a": multicloud.RejectImageUnavailable, "b/gpu-a": multicloud.RejectImageUnavailable,
			"a/gpu-b": multicloud.RejectImageUnavailable, "b/gpu-b": multicloud.RejectImageUnavailable, "a/cpu": multicloud.RejectNoGPUMatch}
		if diff := cmp.Diff(want, reasons); diff != "" {
			t.Errorf("r2 rejections (-want +got):\n%s", diff)
		}
		if n := len(e.Chosen) + len(e.Rejected); n != 10 {
			t.Errorf("chosen + rejected: got %d, want the 10 candidates", n)
		}
	})
}

// TestCheapestChargeModeUnsupported: a provider whose ChargeModes lack the
// request's mode is rejected as a whole, its offerings not read.
func TestCheapestChargeModeUnsupported(t *testing.T) {
	p := newMarket()
	reg, _ := multicloud.NewRegistry(p)
	req := spotA100()
	req.InstanceChargeMode = multicloud.OnDemand
	e, err := newCheapest(fake.NewManualClock(t0), nil).Explain(context.Background(), req, reg)
	if multicloud.CodeOf(err) != multicloud.CodeNoPlacement {
		t.Fatalf("got %v, want NO_PLACEMENT", err)
	}
	if len(e.Rejected) != 1 || e.Rejected[0].Reason != multicloud.RejectChargeModeUnsupported || e.Rejected[0].Provider != "market" {
		t.Errorf("rejected %+v, want the market provider as %s", e.Rejected, multicloud.RejectChargeModeUnsupported)
	}
	if len(p.asked) != 0 {
		t.Errorf("priced %v for an unsupported mode", p.asked)
	}
}

// TestCheapestOfferedInAnotherMode: offerings labelled with another charge
// mode than the request's (a provider that sells only on-demand answering
// a spot request) are rejected as charge_mode_unsupported, never placed.
func TestCheapestOfferedInAnotherMode(t *testing.T) {
	p := newMarket()
	p.label = multicloud.OnDemand
	reg, _ := multicloud.NewRegistry(p)
	e, err := newCheapest(fake.NewManualClock(t0), nil).Explain(context.Background(), spotA100(), reg)
	if multicloud.CodeOf(err) != multicloud.CodeNoPlacement {
		t.Fatalf("got %v (%d chosen), want NO_PLACEMENT", err, len(e.Chosen))
	}
	n := 0
	for _, c := range e.Rejected {
		if c.Reason == multicloud.RejectChargeModeUnsupported {
			n++
		}
	}
	if n != 8 { // the A100 offerings of both regions; the CPU type does not fit
		t.Errorf("charge_mode_unsupported rejections: got %d, want 8", n)
	}
}
