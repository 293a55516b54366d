package multicloud_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/internal/placementtest"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

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
	ok, _ := placementtest.Run(t, client, n, nil, "ubuntu-22.04", "", func() { clock.Advance(5 * time.Second) })
	failed := 0
	for _, c := range cloud.Calls() {
		if (c.Action == "Resolve" || c.Action == "RunInstances") && errors.Is(c.Err, multicloud.ErrNoStock) {
			failed++
		}
	}
	return float64(failed) / float64(ok), ok
}

func cheapestFor(clock *fake.ManualClock) multicloud.Scheduler {
	return multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) { o.Now = clock.Now })
}

func naiveFor(*fake.ManualClock) multicloud.Scheduler { return placementtest.PriceOrder{} }

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
