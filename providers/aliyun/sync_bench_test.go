package aliyun_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// BenchmarkSyncEmulator and its emulator process are configured through
// the environment: the benchmark takes about a minute a run, so plain
// go test skips it.
const (
	// benchSyncEnv, when set, runs BenchmarkSyncEmulator.
	benchSyncEnv = "MULTICLOUD_BENCH_SYNC"
	// benchConcurrencyEnv overrides the sync's concurrency (default
	// inventory.DefaultConcurrency).
	benchConcurrencyEnv = "MULTICLOUD_BENCH_SYNC_CONCURRENCY"
	// emulatorChildEnv holds the JSON emulatorSpec of the emulator that
	// TestEmulatorChild serves.
	emulatorChildEnv = "MULTICLOUD_SYNC_EMULATOR_CHILD"
)

// emulatorSpec is what the emulator process seeds and how it answers.
type emulatorSpec struct {
	Regions   []string      `json:"regions"`
	PerRegion int           `json:"per_region"`
	Latency   time.Duration `json:"latency"`
	// QPS and Burst are the account's API budget: one token bucket over
	// every call, whatever its action and region.
	QPS   float64 `json:"qps"`
	Burst int     `json:"burst"`
	// RegionQPS, when set, is the emulator's own limit per (region,
	// action), as Aliyun throttles (aliyuntest's SetQPS).
	RegionQPS float64 `json:"region_qps"`
}

// emulatorStats is what the emulator process reports at /stats.
type emulatorStats struct {
	Calls     map[string]int `json:"calls"`     // authenticated calls per action (aliyuntest's CallCount)
	Pages     map[string]int `json:"pages"`     // DescribeInstances + DescribeDisks calls served, per region
	Throttled int            `json:"throttled"` // calls refused by the account's budget
	Instances int            `json:"instances"` // instances seeded
	// RegionActions counts the DescribeInstances and DescribeDisks calls
	// served per "region action".
	RegionActions map[string]int `json:"region_actions"`
}

// benchRegions returns n regions (all of them when n < 0): the
// emulator's defaults, then more real ones with default zones.
func benchRegions(n int) []aliyuntest.Region {
	rs := aliyuntest.DefaultRegions()
	for _, id := range []string{"cn-huhehaote", "cn-wulanchabu", "cn-heyuan", "cn-guangzhou", "cn-nanjing", "cn-fuzhou",
		"ap-northeast-1", "ap-southeast-3", "ap-southeast-5", "eu-central-1", "eu-west-1", "us-east-1",
		"ap-northeast-2", "ap-southeast-6", "ap-southeast-7", "cn-wuhan-lr", "me-central-1", "me-east-1"} {
		rs = append(rs, aliyuntest.Region{ID: id})
	}
	if n < 0 || n > len(rs) {
		return rs
	}
	return rs[:n]
}

// TestEmulatorChild is not a test: BenchmarkSyncEmulator runs the test
// binary again with only this function and emulatorChildEnv set, so
// that the emulator's memory is not counted in the syncing process's
// peak RSS. It serves the emulator, prints "EMULATOR host:port" and
// serves until its standard input closes.
//
// The aliyuntest throttle is per action and region, as Aliyun's is; the
// benchmark's budget is the account's, so one token bucket in front of
// the emulator refuses calls beyond it with Aliyun's Throttling.User
// (HTTP 400) after the same latency as an answered call.
func TestEmulatorChild(t *testing.T) {
	raw := os.Getenv(emulatorChildEnv)
	if raw == "" {
		t.Skip("serves BenchmarkSyncEmulator's emulator in a child process")
	}
	var spec emulatorSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatalf("%s: %v", emulatorChildEnv, err)
	}
	var regions []aliyuntest.Region
	for _, r := range benchRegions(-1) {
		if slices.Contains(spec.Regions, r.ID) {
			regions = append(regions, r)
		}
	}
	srv := aliyuntest.NewServer(aliyuntest.WithRegions(regions...), aliyuntest.WithLatency(spec.Latency))
	defer srv.Close()
	seeded := srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: spec.PerRegion, RandSeed: 1})
	if spec.RegionQPS > 0 {
		srv.SetQPS("", spec.RegionQPS)
	}
	regionActions := map[string]int{}

	budget := rate.NewLimiter(rate.Inf, 0)
	if spec.QPS > 0 {
		budget = rate.NewLimiter(rate.Limit(spec.QPS), max(1, spec.Burst))
	}
	var (
		throttled atomic.Int64
		mu        sync.Mutex
		pages     = map[string]int{}
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stats" {
			mu.Lock()
			st := emulatorStats{Calls: srv.Cloud().CallCounts(), Pages: maps.Clone(pages), Throttled: int(throttled.Load()), Instances: len(seeded),
				RegionActions: maps.Clone(regionActions)}
			mu.Unlock()
			json.NewEncoder(w).Encode(st)
			return
		}
		if !budget.Allow() {
			throttled.Add(1)
			time.Sleep(spec.Latency)
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"RequestId":"%d","HostId":"ecs.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`,
				time.Now().UnixNano())
			return
		}
		if err := r.ParseForm(); err == nil {
			if a := r.Form.Get("Action"); a == "DescribeInstances" || a == "DescribeDisks" {
				mu.Lock()
				pages[r.Form.Get("RegionId")]++
				regionActions[r.Form.Get("RegionId")+" "+a]++
				mu.Unlock()
			}
		}
		srv.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	defer hs.Close()
	fmt.Printf("EMULATOR %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
}

// startEmulator runs TestEmulatorChild in a child process with spec and
// returns its host:port. The child ends when the benchmark does.
func startEmulator(b *testing.B, spec emulatorSpec) string {
	b.Helper()
	raw, err := json.Marshal(spec)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmulatorChild$", "-test.bench=^$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), emulatorChildEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start emulator process: %v", err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "EMULATOR "); ok {
			go io.Copy(io.Discard, stdout)
			return addr
		}
	}
	b.Fatalf("emulator process ended without an address: %v", sc.Err())
	return ""
}

// fetchStats reads the emulator process's counters.
func fetchStats(b *testing.B, host string) emulatorStats {
	b.Helper()
	resp, err := http.Get("http://" + host + "/stats")
	if err != nil {
		b.Fatalf("emulator stats: %v", err)
	}
	defer resp.Body.Close()
	var st emulatorStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		b.Fatalf("emulator stats: %v", err)
	}
	return st
}

// usage returns the process's peak resident set size in MiB and the CPU
// time it has used (user and system).
func usage(b *testing.B) (peakRSSMB float64, cpu time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return float64(ru.Maxrss) / 1024, cpu // Maxrss is in KiB on Linux
}

// BenchmarkSyncEmulator syncs 16 regions x 10,000 instances from the
// emulator, answering each call after 10 ms, into SQLite, under an API
// budget of 100 calls per second: the inventory's rate limiter is set to
// 100 QPS, and the emulator process refuses calls beyond 100 QPS overall
// (see TestEmulatorChild), so a burst the limiter lets through is really
// throttled and retried. One sync per iteration, from an empty store;
// run it with -benchtime=1x.
//
// It reports the sync's wall time, the limit it is measured against
// (the larger of total pages / QPS and the longest region's pages x
// latency, pages counted by the emulator), their ratio (target <= 1.2),
// assets lost (stored - seeded, target 0), the process's peak RSS
// (target < 200 MB) and the rows a resync of unchanged data writes
// (target 0).
func BenchmarkSyncEmulator(b *testing.B) {
	if os.Getenv(benchSyncEnv) == "" {
		b.Skipf("set %s=1 to run (about a minute a run; use -benchtime=1x)", benchSyncEnv)
	}
	const (
		regions   = 16
		perRegion = 10_000
		latency   = 10 * time.Millisecond
		qps       = 100
	)
	concurrency := inventory.DefaultConcurrency
	if v := os.Getenv(benchConcurrencyEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive integer", benchConcurrencyEnv, v)
		}
		concurrency = n
	}
	var ids []string
	for _, r := range benchRegions(regions) {
		ids = append(ids, r.ID)
	}
	for range b.N {
		b.StopTimer()
		host := startEmulator(b, emulatorSpec{Regions: ids, PerRegion: perRegion, Latency: latency, QPS: qps, Burst: 10})
		store := newCountingStore(openSQLite(b, b.TempDir()), false)
		svc := newInventory(b, store, host, inventory.WithConcurrency(concurrency),
			inventory.WithRateLimit(rate.Inf, 1), inventory.WithAccountRateLimit(qps, 10))
		acct := createAccount(b, svc, "bench", aliyuntest.DefaultAccessKeySecret)
		ctx := context.Background()
		base := fetchStats(b, host)
		_, cpu0 := usage(b)

		b.StartTimer()
		rep, err := svc.Sync(ctx, inventory.SyncTarget{AccountID: acct.ID}, inventory.SyncOptions{})
		b.StopTimer()
		if err != nil {
			b.Fatalf("Sync: %v", err)
		}
		wall := rep.Duration
		rss, cpu := usage(b)
		cpu -= cpu0
		st := fetchStats(b, host)
		total := st.Calls["DescribeInstances"] + st.Calls["DescribeDisks"] - base.Calls["DescribeInstances"] - base.Calls["DescribeDisks"]
		longest := 0
		for _, n := range st.Pages {
			longest = max(longest, n)
		}
		limit := time.Duration(math.Max(float64(total)/qps*float64(time.Second), float64(longest)*float64(latency)))
		res, err := svc.Query(ctx, inventory.Filter{Account: acct.ID, Limit: 1})
		if err != nil {
			b.Fatalf("Query: %v", err)
		}
		lost := st.Instances - res.Total

		store.reset()
		re, err := svc.Sync(ctx, inventory.SyncTarget{AccountID: acct.ID}, inventory.SyncOptions{})
		if err != nil {
			b.Fatalf("resync: %v", err)
		}
		ups, marks := store.writes()
		rssResync, _ := usage(b)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)

		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(limit.Seconds(), "limit-s")
		b.ReportMetric(wall.Seconds()/limit.Seconds(), "wall/limit")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(rss, "peak-rss-MB")
		b.ReportMetric(float64(ups+marks), "resync-rows")
		b.ReportMetric(re.Duration.Seconds(), "resync-s")
		b.ReportMetric(float64(total), "pages")
		b.ReportMetric(float64(rep.APICalls), "api-calls")
		b.ReportMetric(float64(st.Throttled), "throttled")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(rssResync, "peak-rss-resync-MB")
		b.Logf("concurrency %d: %d assets added of %d seeded, %d pages (longest region %d), %d API calls, %d throttled; "+
			"wall %v, limit %v, CPU %v; peak RSS %.0f MB after the sync, %.0f MB after the resync, which wrote %d rows in %v; "+
			"the Go runtime took %d MB from the OS (the rest is SQLite's C heap and the binary)",
			concurrency, rep.Added, st.Instances, total, longest, rep.APICalls, st.Throttled,
			wall.Round(time.Millisecond), limit.Round(time.Millisecond), cpu.Round(time.Millisecond),
			rss, rssResync, ups+marks, re.Duration.Round(time.Millisecond), ms.Sys>>20)
		if lost != 0 || rep.Added != st.Instances || ups+marks != 0 {
			b.Errorf("got %d stored of %d seeded (%d added) and %d rows written by the resync, want all stored and 0 rewritten",
				res.Total, st.Instances, rep.Added, ups+marks)
		}
	}
}
