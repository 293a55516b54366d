package aliyun_test

import (
	"sync"
	"testing"

	"github.com/multicloud-ecs/multicloud"
)

// TestOfferingsFromStock reads the emulator's stock through
// DescribeAvailableResource: one call per region and charge mode for any
// number of concurrent callers, a sold-out zone as WithoutStock, and a
// CheapestScheduler that places an A100 where there is stock.
func TestOfferingsFromStock(t *testing.T) {
	ctx := testCtx(t)
	srv := newServer(t)
	srv.SetStock("cn-hangzhou", "cn-hangzhou-h", "ecs.gn7-c12g1.3xlarge", 0)
	p := newProvider(t, srv)

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := p.Offerings(ctx, "cn-hangzhou", multicloud.OnDemand); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := srv.CallCount("DescribeAvailableResource"); got != 1 {
		t.Errorf("DescribeAvailableResource calls for 20 concurrent readers: got %d, want 1", got)
	}
	groups, ok := p.CachedOfferings("cn-hangzhou", multicloud.OnDemand)
	if !ok {
		t.Fatal("got no cached offerings after a read, want them")
	}
	stock := map[string]multicloud.StockStatus{}
	for _, g := range groups {
		if g.Type.ID != "ecs.gn7-c12g1.3xlarge" {
			continue
		}
		for _, o := range g.Offers {
			stock[o.Zone] = o.Stock
			if o.Price.Currency != "CNY" || o.Price.Source != "embedded catalog" || o.ZoneID != o.Zone {
				t.Errorf("%s: got price %+v zone ID %q, want a CNY catalog price and the zone name as ID", o.Placement, o.Price, o.ZoneID)
			}
		}
	}
	if stock["cn-hangzhou-h"] != multicloud.WithoutStock || len(stock) < 2 {
		t.Errorf("stock of ecs.gn7-c12g1.3xlarge by zone: got %v, want cn-hangzhou-h WithoutStock and other zones", stock)
	}

	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatal(err)
	}
	s := multicloud.NewCheapestScheduler()
	req := multicloud.NewCreateInstanceRequest(multicloud.WithGPU("A100", 1))
	req.CPU, req.Memory = 12, 90
	req.Constraints = &multicloud.Constraints{Regions: []string{"cn-hangzhou"}}
	req.Normalize()
	pls, err := s.Schedule(ctx, req, reg)
	if err != nil {
		t.Fatal(err)
	}
	if pls[0].InstanceType != "ecs.gn7-c12g1.3xlarge" || pls[0].Zone == "cn-hangzhou-h" {
		t.Errorf("first placement: got %s, want ecs.gn7-c12g1.3xlarge outside cn-hangzhou-h", pls[0])
	}
	if got := srv.CallCount("DescribeAvailableResource"); got != 1 {
		t.Errorf("DescribeAvailableResource calls after a warm decision: got %d, want 1", got)
	}
}
