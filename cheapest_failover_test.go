package multicloud_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// priceOrderScheduler is the naive baseline: every fitting placement in
// the allowed regions in price order, stock not consulted, nothing
// remembered, the first 5 returned.
type priceOrderScheduler struct{}

func (priceOrderScheduler) Schedule(ctx context.Context, req *multicloud.CreateInstanceRequest, reg *multicloud.Registry) ([]multicloud.Placement, error) {
	q := multicloud.RequirementsOf(req)
	type pc struct {
		pl   multicloud.Placement
		cost float64
	}
	var all []pc
	for _, code := range reg.Codes() {
		p, _ := reg.Get(code)
		regions, err := p.(multicloud.RegionLister).Regions(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range regions {
			groups, err := p.(multicloud.Offerer).Offerings(ctx, r, req.InstanceChargeMode)
			if err != nil {
				return nil, err
			}
			for _, g := range groups {
				if q.Misfit(g.Type) != "" {
					continue
				}
				for _, o := range g.Offers {
					all = append(all, pc{o.Placement, o.Price.Amount})
				}
			}
		}
	}
	slices.SortStableFunc(all, func(a, b pc) int { return cmp.Compare(a.cost, b.cost) })
	var out []multicloud.Placement
	for _, c := range all[:min(5, len(all))] {
		out = append(out, c.pl)
	}
	return out, nil
}

// failoverRun creates n instances one after another on a fake cloud where
// soldOut of the (zone, type) pairs have no stock and wrong of those are
// reported in stock, and returns the failed create attempts per
// successful create.
func failoverRun(t testing.TB, sched func(clock *fake.ManualClock) multicloud.Scheduler, n int, soldOut, wrong float64) (float64, int) {
	t.Helper()
	ctx := context.Background()
	clock := fake.NewManualClock(t0)
	cloud := fake.New(func(o *fake.Options) { o.Clock, o.Seed = clock, 42 })
	r := newRand(42)
	regions, _ := cloud.Regions(ctx)
	for _, region := range regions {
		groups, _ := cloud.Offerings(ctx, region, multicloud.OnDemand)
		for _, g := range groups {
			for _, o := range g.Offers {
				if r.Float64() < soldOut {
					cloud.SetStock(region, o.Zone, o.InstanceType, 0)
				}
			}
		}
	}
	cloud.SetWrongStockRate(wrong)
	reg, err := multicloud.NewRegistry(cloud)
	if err != nil {
		t.Fatal(err)
	}
	client, err := multicloud.New(reg, multicloud.UseScheduler(sched(clock)), multicloud.UseWaitForRunning(false, 0))
	if err != nil {
		t.Fatal(err)
	}
	kinds := []struct {
		gpu      string
		cpu, mem int
	}{{"A100", 0, 0}, {"T4", 0, 0}, {"A10", 0, 0}, {"V100", 0, 0}, {"L20", 0, 0}, {"", 2, 4}, {"", 4, 8}, {"", 8, 32}, {"", 16, 64}}
	ok, noStock := 0, 0
	for i := range n {
		req := multicloud.NewCreateInstanceRequest(
			multicloud.WithOwner("tenant-acme", fmt.Sprint("user-", i%7)),
			multicloud.WithName("job"),
			multicloud.WithImage("ubuntu-22.04"),
		)
		k := kinds[i%len(kinds)]
		if k.gpu != "" {
			req.GPUModel, req.GPUCount = k.gpu, 1
		}
		req.CPU, req.Memory = k.cpu, k.mem
		req.Constraints = &multicloud.Constraints{}
		if _, err := client.CreateInstance(ctx, req); err == nil {
			ok++
		} else if !errors.Is(err, multicloud.ErrNoStock) {
			t.Fatalf("create %d: %v", i, err)
		} else {
			noStock++
		}
		clock.Advance(5 * time.Second)
	}
	failed := 0
	for _, c := range cloud.Calls() {
		if (c.Action == "Resolve" || c.Action == "RunInstances") && errors.Is(c.Err, multicloud.ErrNoStock) {
			failed++
		}
	}
	if ok == 0 {
		t.Fatalf("no create succeeded (%d sold out)", noStock)
	}
	return float64(failed) / float64(ok), ok
}

func cheapestFor(clock *fake.ManualClock) multicloud.Scheduler {
	return multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) { o.Now = clock.Now })
}

func naiveFor(*fake.ManualClock) multicloud.Scheduler { return priceOrderScheduler{} }

// TestCheapestFailedAttemptsPerCreate: with 30% of the (zone, type) pairs
// sold out and 10% of those reported in stock, the cheapest scheduler
// makes at most 0.15 failed create attempts per successful create, and
// fewer than the naive price-order baseline on the same cloud.
func TestCheapestFailedAttemptsPerCreate(t *testing.T) {
	got, okGot := failoverRun(t, cheapestFor, 150, 0.3, 0.1)
	naive, okNaive := failoverRun(t, naiveFor, 150, 0.3, 0.1)
	t.Logf("failed attempts per successful create: cheapest %.3f (%d created), naive price order %.3f (%d created)", got, okGot, naive, okNaive)
	if got > 0.15 {
		t.Errorf("cheapest: got %.3f failed attempts per create, want at most 0.15", got)
	}
	if got >= naive {
		t.Errorf("cheapest %.3f, naive %.3f: want cheapest below the baseline", got, naive)
	}
}

// BenchmarkFailedAttemptsPerCreate reports the same figures as metrics.
func BenchmarkFailedAttemptsPerCreate(b *testing.B) {
	for b.Loop() {
		got, _ := failoverRun(b, cheapestFor, 300, 0.3, 0.1)
		naive, _ := failoverRun(b, naiveFor, 300, 0.3, 0.1)
		b.ReportMetric(got, "failed/create-cheapest")
		b.ReportMetric(naive, "failed/create-naive")
	}
}
