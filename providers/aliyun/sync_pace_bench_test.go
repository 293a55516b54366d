package aliyun_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// benchPaceEnv, when set, runs BenchmarkSyncAPIPace.
const benchPaceEnv = "MULTICLOUD_BENCH_SYNC_PACE"

// apiFloor is the least time the API lets a sync take: every region and
// action runs at once (the API limits each (region, action) apart), and
// an action's n calls in a region take n x latency one after another
// (NextToken chains them), or, beyond the bucket's burst, (n - burst) /
// qps plus one latency, whichever is longer. seq is the same with each
// region's actions one after another, as a listing that joins disks to
// instances makes them.
func apiFloor(regionActions map[string]int, latency time.Duration, qps float64, burst int) (floor, seq time.Duration) {
	perRegion := map[string][2]time.Duration{} // max and sum over actions
	for k, n := range regionActions {
		region, _, _ := strings.Cut(k, " ")
		t := time.Duration(n) * latency
		if n > burst {
			t = max(t, latency+time.Duration(float64(n-burst)/qps*float64(time.Second)))
		}
		p := perRegion[region]
		perRegion[region] = [2]time.Duration{max(p[0], t), p[1] + t}
	}
	for _, p := range perRegion {
		floor, seq = max(floor, p[0]), max(seq, p[1])
	}
	return floor, seq
}

// BenchmarkSyncAPIPace syncs 28 regions x 1,000 instances from the
// emulator (in a child process), which answers each call after 20 ms and
// throttles each (region, action) at 20 calls/s as Aliyun does, into
// SQLite, with the inventory's default settings. It reports the wall
// time against apiFloor (target within 1.3x), the calls per 100
// instances, and the process's peak RSS (target < 100 MB). Run it with
// -benchtime=1x.
func BenchmarkSyncAPIPace(b *testing.B) {
	if os.Getenv(benchPaceEnv) == "" {
		b.Skipf("set %s=1 to run (use -benchtime=1x)", benchPaceEnv)
	}
	const (
		regions   = 28
		perRegion = 1000
		latency   = 20 * time.Millisecond
		qps       = 20
	)
	var ids []string
	for _, r := range benchRegions(regions) {
		ids = append(ids, r.ID)
	}
	if len(ids) != regions {
		b.Fatalf("%d regions available, want %d", len(ids), regions)
	}
	for range b.N {
		b.StopTimer()
		host := startEmulator(b, emulatorSpec{Regions: ids, PerRegion: perRegion, Latency: latency, RegionQPS: qps})
		store := openSQLite(b, b.TempDir())
		var opts []inventory.Option
		if v := os.Getenv(benchConcurrencyEnv); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				b.Fatalf("%s=%q: want a positive integer", benchConcurrencyEnv, v)
			}
			opts = append(opts, inventory.WithConcurrency(n))
		}
		svc := newInventory(b, store, host, opts...)
		acct := createAccount(b, svc, "bench", aliyuntest.DefaultAccessKeySecret)
		ctx := context.Background()
		base := fetchStats(b, host)
		_, cpu0 := usage(b)
		b.StartTimer()
		rep, err := svc.Sync(ctx, inventory.SyncTarget{AccountID: acct.ID}, inventory.SyncOptions{Regions: ids})
		b.StopTimer()
		if err != nil {
			b.Fatalf("Sync: %v", err)
		}
		// The sync's CPU time (the emulator is another process): on a
		// shared machine the wall time also counts others' load.
		rss, cpu1 := usage(b)
		st := fetchStats(b, host)
		for k, n := range base.RegionActions {
			st.RegionActions[k] -= n
		}
		floor, seq := apiFloor(st.RegionActions, latency, qps, qps)
		calls := 0
		for _, n := range st.RegionActions {
			calls += n
		}
		throttled := st.Calls["DescribeInstances"] + st.Calls["DescribeDisks"] - base.Calls["DescribeInstances"] - base.Calls["DescribeDisks"] - calls
		// A resync of unchanged data writes nothing: the API's pace alone.
		again := fetchStats(b, host)
		re, err := svc.Sync(ctx, inventory.SyncTarget{AccountID: acct.ID}, inventory.SyncOptions{Regions: ids})
		if err != nil {
			b.Fatalf("resync: %v", err)
		}
		st2 := fetchStats(b, host)
		for k, n := range again.RegionActions {
			st2.RegionActions[k] -= n
		}
		refloor, _ := apiFloor(st2.RegionActions, latency, qps, qps)
		rss2, _ := usage(b)
		b.ReportMetric(re.Duration.Seconds(), "resync-wall-s")
		b.ReportMetric(re.Duration.Seconds()/refloor.Seconds(), "resync-wall/floor")
		b.ReportMetric(rss2, "peak-rss-after-resync-MB")
		b.ReportMetric((cpu1 - cpu0).Seconds(), "cpu-s")
		b.ReportMetric(rep.Duration.Seconds(), "wall-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(rep.Duration.Seconds()/floor.Seconds(), "wall/floor")
		b.ReportMetric(seq.Seconds(), "seq-floor-s")
		b.ReportMetric(float64(calls)*100/float64(st.Instances), "calls/100inst")
		b.ReportMetric(rss, "peak-rss-MB")
		b.ReportMetric(float64(rep.Added), "added")
		b.Logf("%d instances, %d listing calls (%d answered Throttling), wall %v, API floor %v (regions' actions one after another: %v), peak RSS %.0f MB; "+
			"resync of unchanged data %v against a floor of %v",
			st.Instances, calls, throttled, rep.Duration.Round(time.Millisecond), floor, seq, rss,
			re.Duration.Round(time.Millisecond), refloor)
		if rep.Added != st.Instances {
			b.Errorf("added %d of %d", rep.Added, st.Instances)
		}
	}
}
