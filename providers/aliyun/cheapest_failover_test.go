package aliyun_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/internal/placementtest"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// failoverT0 starts a day, so that a run of sold-out episodes of a day's
// period sees one schedule throughout.
var failoverT0 = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// emulatorFailoverRun creates n instances one after another through the
// Aliyun provider on its emulator, where soldOut of the (region, zone,
// type) cells are in a sold-out episode for the whole run and wrong of
// those are reported WithStock by DescribeAvailableResource, and returns
// the RunInstances calls that failed with OperationDenied.NoStock per
// successful create, and the successful creates.
func emulatorFailoverRun(t testing.TB, sched func(*sim.ManualClock) multicloud.Scheduler, mode multicloud.ChargeMode, n int, soldOut, wrong float64) (float64, int) {
	t.Helper()
	clock := sim.NewManualClock(failoverT0)
	srv := newServer(t, aliyuntest.WithClock(clock.Now), aliyuntest.WithRandSeed(42))
	srv.SetSoldOutEpisodes(soldOut, 24*time.Hour)
	srv.SetWrongStockRate(wrong)
	p := newProvider(t, srv)
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatal(err)
	}
	client, err := multicloud.New(reg, multicloud.UseScheduler(sched(clock)), multicloud.UseWaitForRunning(false, 0),
		multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := placementtest.Run(t, client, n, emulatorKinds, "ubuntu-22.04", mode, func() { clock.Advance(5 * time.Second) })
	failed := 0
	for _, c := range srv.Cloud().Calls() {
		if c.Action == "RunInstances" && c.Err != nil && strings.HasPrefix(c.Err.Error(), "OperationDenied.NoStock") {
			failed++
		}
	}
	return float64(failed) / float64(ok), ok
}

// emulatorKinds are placementtest.Kinds with the largest general-purpose
// size, which the emulator's catalog lacks, replaced by a memory-heavy one.
var emulatorKinds = append(placementtest.Kinds[:len(placementtest.Kinds)-1:len(placementtest.Kinds)-1], placementtest.Kind{CPU: 2, Memory: 16})

func emulatorCheapest(clock *sim.ManualClock) multicloud.Scheduler {
	return multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) { o.Now = clock.Now })
}

func emulatorNaive(*sim.ManualClock) multicloud.Scheduler { return placementtest.PriceOrder{} }

// TestCheapestFailedRunInstancesPerCreate: on the Aliyun emulator with 30%
// of the cells sold out and 10% of those reported in stock, the cheapest
// scheduler makes at most 0.15 failed RunInstances per successful create,
// and fewer than the naive price-order baseline measured in the same run.
func TestCheapestFailedRunInstancesPerCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 2 × 150 instances on the emulator")
	}
	got, okGot := emulatorFailoverRun(t, emulatorCheapest, "", 150, 0.3, 0.1)
	naive, okNaive := emulatorFailoverRun(t, emulatorNaive, "", 150, 0.3, 0.1)
	t.Logf("failed RunInstances per successful create: cheapest %.3f (%d created), naive price order %.3f (%d created)", got, okGot, naive, okNaive)
	if got > 0.15 {
		t.Errorf("cheapest: got %.3f failed RunInstances per create, want at most 0.15", got)
	}
	if got >= naive {
		t.Errorf("cheapest %.3f, naive %.3f: want cheapest below the baseline", got, naive)
	}
}

// BenchmarkFailedRunInstancesPerCreate reports the same figures, over 300
// creates each, as metrics.
func BenchmarkFailedRunInstancesPerCreate(b *testing.B) {
	for b.Loop() {
		got, _ := emulatorFailoverRun(b, emulatorCheapest, "", 300, 0.3, 0.1)
		naive, _ := emulatorFailoverRun(b, emulatorNaive, "", 300, 0.3, 0.1)
		b.ReportMetric(got, "failed/create-cheapest")
		b.ReportMetric(naive, "failed/create-naive")
	}
}

// TestCheapestFailedRunInstancesPerSpotCreate is the same run for spot
// instances: spot prices from the spot history, spot stock, the same
// sold-out cells.
func TestCheapestFailedRunInstancesPerSpotCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 2 × 150 instances on the emulator")
	}
	got, okGot := emulatorFailoverRun(t, emulatorCheapest, multicloud.Spot, 150, 0.3, 0.1)
	naive, okNaive := emulatorFailoverRun(t, emulatorNaive, multicloud.Spot, 150, 0.3, 0.1)
	t.Logf("spot: failed RunInstances per successful create: cheapest %.3f (%d created), naive %.3f (%d created)", got, okGot, naive, okNaive)
	if got > 0.15 {
		t.Errorf("cheapest: got %.3f failed RunInstances per spot create, want at most 0.15", got)
	}
	if got >= naive {
		t.Errorf("cheapest %.3f, naive %.3f: want cheapest below the baseline", got, naive)
	}
}
