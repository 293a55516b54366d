package aliyun_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// coldClouds is the emulated Aliyun and a fake cloud, 10 regions each,
// every call taking latency.
func coldClouds(t testing.TB, latency time.Duration) (*aliyuntest.Server, *multicloud.Registry) {
	t.Helper()
	var aregions []aliyuntest.Region
	var fregions []fake.Region
	for i := range 10 {
		id := fmt.Sprintf("cn-r%02d", i)
		if i == 0 {
			id = "cn-hangzhou" // the provider's home region, where DescribeRegions goes
		}
		aregions = append(aregions, aliyuntest.Region{ID: id, Zones: []string{id + "-a", id + "-b", id + "-c"}})
		fregions = append(fregions, fake.Region{ID: fmt.Sprintf("us-r%02d", i), Zones: []string{"a", "b", "c"}})
	}
	srv := newServer(t, aliyuntest.WithRegions(aregions...), aliyuntest.WithLatency(latency))
	p := newProvider(t, srv, func(o *aliyun.Options) { o.Regions = nil })
	f := fake.New(func(o *fake.Options) { o.Code, o.Regions = "other", fregions })
	f.SetLatency("Offerings", latency)
	f.SetLatency("CheckHealth", latency)
	reg, err := multicloud.NewRegistry(p, f)
	if err != nil {
		t.Fatal(err)
	}
	return srv, reg
}

func anyRegionA100() *multicloud.CreateInstanceRequest {
	req := multicloud.NewCreateInstanceRequest(multicloud.WithGPU("A100", 1))
	req.CPU, req.Memory = 12, 90
	req.Constraints = &multicloud.Constraints{}
	req.Normalize()
	return req
}

// TestCheapestColdCalls: 100 concurrent cold decisions over 2 providers ×
// 10 regions make the calls of one: DescribeRegions twice (health check,
// region list) and one DescribeAvailableResource per region.
func TestCheapestColdCalls(t *testing.T) {
	srv, reg := coldClouds(t, 20*time.Millisecond)
	s := multicloud.NewCheapestScheduler()
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if _, err := s.Schedule(ctx, anyRegionA100(), reg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	calls := srv.Cloud().CallCounts()
	if calls["DescribeAvailableResource"] != 10 || calls["DescribeRegions"] > 2 {
		t.Errorf("calls: got %v, want 10 DescribeAvailableResource and at most 2 DescribeRegions", calls)
	}
	for action, n := range calls {
		if action != "DescribeAvailableResource" && action != "DescribeRegions" {
			t.Errorf("unexpected %d %s calls", n, action)
		}
	}
}

// BenchmarkCheapestCold is a cold decision over 2 providers × 10 regions
// with 150 ms per call: a new scheduler and new providers each time.
func BenchmarkCheapestCold(b *testing.B) {
	ctx := context.Background()
	var durs []time.Duration
	calls := 0
	for b.Loop() {
		b.StopTimer()
		srv, reg := coldClouds(b, 150*time.Millisecond)
		s := multicloud.NewCheapestScheduler()
		b.StartTimer()
		start := time.Now()
		if _, err := s.Schedule(ctx, anyRegionA100(), reg); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
		for _, n := range srv.Cloud().CallCounts() {
			calls += n
		}
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(durs[(len(durs)*95)/100].Milliseconds()), "p95-ms")
	b.ReportMetric(float64(calls)/float64(len(durs)), "aliyun-calls/decision")
}
