package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/pricing"
)

// typedCloud lists n ECS instances in one region, of types instance
// types in turn, 100 a page.
type typedCloud struct {
	n, types int
}

func (c typedCloud) Regions(context.Context, inventory.CallFunc) ([]string, error) {
	return []string{"cn-test"}, nil
}

func (c typedCloud) Discover(ctx context.Context, region, _ string, _ inventory.CallFunc, emit func(context.Context, []inventory.Asset) error) error {
	page := make([]inventory.Asset, 0, 100)
	for i := range c.n {
		m := inventory.ECSMetadata{InstanceID: fmt.Sprintf("i-%05d", i), InstanceType: fmt.Sprintf("ecs.t%02d.large", i%c.types),
			ChargeType: []string{"PostPaid", "PrePaid"}[i%c.types%2], Region: region}
		a := inventory.Asset{AssetID: m.InstanceID, Status: "Running"}
		if err := a.SetMetadata(m); err != nil {
			return err
		}
		page = append(page, a)
		if len(page) == cap(page) || i == c.n-1 {
			if err := emit(ctx, page); err != nil {
				return err
			}
			page = page[:0]
		}
	}
	return nil
}

// countingQuoter prices type ecs.tNN.large at NN+1 per hour (prepaid:
// per month, 730 times that), counting calls.
type countingQuoter struct {
	mu    sync.Mutex
	calls map[pricing.Request]int
}

func (q *countingQuoter) Quote(_ context.Context, r pricing.Request) (*pricing.Quote, error) {
	q.mu.Lock()
	q.calls[r]++
	q.mu.Unlock()
	var n int
	if _, err := fmt.Sscanf(r.InstanceType, "ecs.t%02d.large", &n); err != nil {
		return nil, err
	}
	hourly := float64(n + 1)
	return &pricing.Quote{Provider: r.Provider, Region: r.Region, InstanceType: r.InstanceType, ChargeMode: r.ChargeMode,
		Quantity: 1, Currency: "CNY", Hourly: pricing.Breakdown{Instance: hourly, Total: hourly},
		Monthly: pricing.Breakdown{Total: hourly * pricing.HoursPerMonth}}, nil
}

func TestSyncCostsOneQuotePerTypeAndRegion(t *testing.T) {
	ctx := context.Background()
	q := &countingQuoter{calls: map[pricing.Request]int{}}
	svc := newService(t, inventory.NewMemStore(), inventory.WithQuoter("fake", q))
	cloud := typedCloud{n: 10_000, types: 20}
	target := inventory.SyncTarget{Discoverer: cloud, Provider: "fake", Account: "acct-1"}
	for range 2 { // the second sync is served from the cache
		if _, err := svc.Sync(ctx, target, inventory.SyncOptions{}); err != nil {
			t.Fatalf("Sync: %v", err)
		}
	}
	total := 0
	for r, n := range q.calls {
		total += n
		if n != 1 {
			t.Errorf("quote %+v: got %d calls, want 1", r, n)
		}
		var typ int
		fmt.Sscanf(r.InstanceType, "ecs.t%02d.large", &typ)
		if want := []pricing.ChargeMode{pricing.OnDemand, pricing.Prepaid}[typ%2]; r.ChargeMode != want {
			t.Errorf("quote of %s: got charge mode %s, want %s", r.InstanceType, r.ChargeMode, want)
		}
	}
	if total != 20 {
		t.Errorf("price calls for 10,000 assets of 20 types: got %d, want 20", total)
	}
	res, err := svc.Query(ctx, inventory.Filter{Limit: inventory.MaxLimit, Sort: "asset_id"})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	for i, a := range res.Assets {
		if want := float64(i%20 + 1); a.Cost != want {
			t.Fatalf("asset %s: got cost %v, want %v", a.AssetID, a.Cost, want)
		}
	}
	stats, err := svc.Statistics(ctx, inventory.StatsFilter{})
	if err != nil {
		t.Fatalf("Statistics: %v", err)
	}
	// 500 assets of each type, priced 1..20.
	if want := 500.0 * 210; math.Abs(stats.TotalCost-want) > 1e-6 {
		t.Errorf("total cost: got %v, want %v", stats.TotalCost, want)
	}
}

// failingQuoter fails every quote, counting calls.
type failingQuoter struct{ calls atomic.Int64 }

func (q *failingQuoter) Quote(context.Context, pricing.Request) (*pricing.Quote, error) {
	q.calls.Add(1)
	return nil, errors.New("no price list for this region")
}

func TestSyncCostQuoteFailure(t *testing.T) {
	q := &failingQuoter{}
	svc := newService(t, inventory.NewMemStore(), inventory.WithQuoter("fake", q))
	cloud := typedCloud{n: 1000, types: 2}
	target := inventory.SyncTarget{Discoverer: cloud, Provider: "fake", Account: "acct-1"}
	if _, err := svc.Sync(context.Background(), target, inventory.SyncOptions{}); err != nil {
		t.Fatalf("Sync: got %v, want a sync that completes without prices", err)
	}
	if n := q.calls.Load(); n != 2 {
		t.Errorf("failed quotes: got %d calls for 1,000 assets of 2 types, want 2 (failures are cached)", n)
	}
	stats, err := svc.Statistics(context.Background(), inventory.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.TotalAssets != 1000 || stats.TotalCost != 0 {
		t.Errorf("statistics: got %d assets costing %v, want 1000 costing 0", stats.TotalAssets, stats.TotalCost)
	}
}
