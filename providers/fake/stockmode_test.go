package fake_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// zoneStock returns the stock of typ by zone in p's offerings for mode.
func zoneStock(t *testing.T, p *fake.Provider, mode multicloud.ChargeMode, typ string) map[string]multicloud.StockStatus {
	t.Helper()
	groups, err := p.Offerings(testCtx(t), "cn-hangzhou", mode)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]multicloud.StockStatus{}
	for _, g := range groups {
		for _, o := range g.Offers {
			if o.InstanceType == typ {
				got[o.Zone] = o.Stock
			}
		}
	}
	return got
}

func TestStockCategoryPerChargeMode(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	const zone = "cn-hangzhou-h"
	req := gpuRequest("dora", multicloud.WithPlacement("cn-hangzhou", zone))
	plan, err := p.Resolve(testCtx(t), req, multicloud.Placement{Provider: "fake", Region: "cn-hangzhou", Zone: zone})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	typ := plan.InstanceType
	p.SetStockCategory("cn-hangzhou", zone, typ, "", multicloud.WithoutStock)
	p.SetStockCategory("cn-hangzhou", zone, typ, multicloud.Prepaid, multicloud.ClosedWithStock)
	p.SetStockCategory("cn-hangzhou", "cn-hangzhou-i", typ, multicloud.Prepaid, multicloud.ClosedWithoutStock)

	tests := []struct {
		mode multicloud.ChargeMode
		want map[string]multicloud.StockStatus
	}{
		{multicloud.OnDemand, map[string]multicloud.StockStatus{zone: multicloud.WithoutStock, "cn-hangzhou-i": multicloud.WithStock}},
		{multicloud.Prepaid, map[string]multicloud.StockStatus{zone: multicloud.ClosedWithStock, "cn-hangzhou-i": multicloud.ClosedWithoutStock}},
	}
	for _, tt := range tests {
		got := zoneStock(t, p, tt.mode, typ)
		for z, w := range tt.want {
			if got[z] != w {
				t.Errorf("%s %s: got %q, want %q", tt.mode, z, got[z], w)
			}
		}
	}

	// Creates follow their own mode's answer.
	if _, err := c.CreateInstance(testCtx(t), gpuRequest("dora", multicloud.WithPlacement("cn-hangzhou", zone), multicloud.WithInstanceType(typ))); !errors.Is(err, multicloud.ErrNoStock) {
		t.Errorf("on-demand create in %s: got %v, want ErrNoStock", zone, err)
	}
	in := createOne(t, c, gpuRequest("dora", multicloud.WithPlacement("cn-hangzhou", zone), multicloud.WithInstanceType(typ), multicloud.WithPrepaid(1)))
	if in.Zone != zone || in.ChargeMode != multicloud.Prepaid {
		t.Errorf("prepaid create: got %s %s, want %s PREPAID", in.Zone, in.ChargeMode, zone)
	}
	// Candidates skip the sold-out mode's zone.
	cands, err := p.Candidates(testCtx(t), gpuRequest("dora", multicloud.WithInstanceType(typ), multicloud.WithPrepaid(1)), "cn-hangzhou")
	if err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, pl := range cands {
		if pl.InstanceType == typ {
			zones = append(zones, pl.Zone)
		}
	}
	if diff := cmp.Diff([]string{zone, "cn-hangzhou-j"}, zones); diff != "" {
		t.Errorf("prepaid candidates of %s (-want +got):\n%s", typ, diff)
	}

	// StockUnknown removes the setting: the count rules again.
	p.SetStockCategory("cn-hangzhou", zone, typ, multicloud.OnDemand, multicloud.StockUnknown)
	if got := zoneStock(t, p, multicloud.OnDemand, typ)[zone]; got != multicloud.WithStock {
		t.Errorf("after StockUnknown: got %q, want WithStock", got)
	}
}
