package aliyun_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

const gn7 = "ecs.gn7-c12g1.3xlarge"

// stockByZone returns the stock of typ by zone in the offerings of region
// and mode.
func stockByZone(t *testing.T, p multicloud.Offerer, region string, mode multicloud.ChargeMode, typ string) map[string]multicloud.StockStatus {
	t.Helper()
	groups, err := p.Offerings(testCtx(t), region, mode)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]multicloud.StockStatus{}
	for _, g := range groups {
		if g.Type.ID != typ {
			continue
		}
		for _, o := range g.Offers {
			if o.ChargeMode != mode {
				t.Errorf("%s: got charge mode %q, want %q", o.Placement, o.ChargeMode, mode)
			}
			got[o.Zone] = o.Stock
		}
	}
	return got
}

// TestOfferingsStockCategories reads the four documented StatusCategory
// values from DescribeAvailableResource, per charge mode.
func TestOfferingsStockCategories(t *testing.T) {
	srv := newServer(t)
	set := func(mode string, cats ...string) {
		for i, z := range []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"} {
			srv.SetStockCategory("cn-hangzhou", z, gn7, mode, cats[i])
		}
	}
	set(aliyuntest.ChargePostPaid, aliyuntest.WithStock, aliyuntest.ClosedWithStock, aliyuntest.WithoutStock, aliyuntest.ClosedWithoutStock)
	set(aliyuntest.ChargePrePaid, aliyuntest.ClosedWithoutStock, aliyuntest.WithoutStock, aliyuntest.ClosedWithStock, aliyuntest.WithStock)
	p := newProvider(t, srv)

	tests := []struct {
		mode multicloud.ChargeMode
		want map[string]multicloud.StockStatus
	}{
		{multicloud.OnDemand, map[string]multicloud.StockStatus{
			"cn-hangzhou-h": multicloud.WithStock, "cn-hangzhou-i": multicloud.ClosedWithStock,
			"cn-hangzhou-j": multicloud.WithoutStock, "cn-hangzhou-k": multicloud.ClosedWithoutStock}},
		{multicloud.Prepaid, map[string]multicloud.StockStatus{
			"cn-hangzhou-h": multicloud.ClosedWithoutStock, "cn-hangzhou-i": multicloud.WithoutStock,
			"cn-hangzhou-j": multicloud.ClosedWithStock, "cn-hangzhou-k": multicloud.WithStock}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			got := stockByZone(t, p, "cn-hangzhou", tt.mode, gn7)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stock of %s by zone (-want +got):\n%s", gn7, diff)
			}
		})
	}
	if got := srv.CallCount("DescribeAvailableResource"); got != 2 {
		t.Errorf("DescribeAvailableResource calls: got %d, want 2 (one per charge mode)", got)
	}
}

// TestCheapestClosedWithStockLast places an A100 on the emulator where
// every zone has the same price: WithStock first, ClosedWithStock after,
// sold-out zones never, and the order follows the request's charge mode.
func TestCheapestClosedWithStockLast(t *testing.T) {
	srv := newServer(t)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-h", gn7, aliyuntest.ChargePostPaid, aliyuntest.ClosedWithStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-i", gn7, aliyuntest.ChargePostPaid, aliyuntest.WithoutStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-j", gn7, aliyuntest.ChargePostPaid, aliyuntest.WithStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-k", gn7, aliyuntest.ChargePostPaid, aliyuntest.ClosedWithoutStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-h", gn7, aliyuntest.ChargePrePaid, aliyuntest.WithStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-i", gn7, aliyuntest.ChargePrePaid, aliyuntest.ClosedWithStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-j", gn7, aliyuntest.ChargePrePaid, aliyuntest.ClosedWithoutStock)
	srv.SetStockCategory("cn-hangzhou", "cn-hangzhou-k", gn7, aliyuntest.ChargePrePaid, aliyuntest.WithoutStock)
	reg, err := multicloud.NewRegistry(newProvider(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode multicloud.ChargeMode
		want []string
	}{
		{multicloud.OnDemand, []string{"cn-hangzhou-j", "cn-hangzhou-h"}},
		{multicloud.Prepaid, []string{"cn-hangzhou-h", "cn-hangzhou-i"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			req := multicloud.NewCreateInstanceRequest(multicloud.WithGPU("A100", 1))
			req.CPU, req.Memory = 12, 90
			req.InstanceChargeMode = tt.mode
			req.Constraints = &multicloud.Constraints{Regions: []string{"cn-hangzhou"}}
			req.Normalize()
			pls, err := multicloud.NewCheapestScheduler().Schedule(testCtx(t), req, reg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pl := range pls {
				if pl.InstanceType == gn7 {
					got = append(got, pl.Zone)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("zones of %s in placement order (-want +got):\n%s", gn7, diff)
			}
		})
	}
}
