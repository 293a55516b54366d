package mongostore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
)

// benchEnv turns TestStoreFigures on: the number of assets to load.
const benchEnv = "MULTICLOUD_BENCH_MONGO_ASSETS"

var benchBase = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// benchAsset is asset i of a fleet spread over 2 providers, 10 accounts,
// 20 regions of 3 zones, 4 statuses and 50 teams, with ECS metadata (the
// fleet of inventory/sqlstore's benchmarks).
func benchAsset(i int) inventory.Asset {
	region := fmt.Sprintf("region-%02d", i%20)
	status := []string{"Running", "Stopped", "Starting", "Stopping"}[i%4]
	m := inventory.ECSMetadata{InstanceID: fmt.Sprintf("i-%08d", i), InstanceName: fmt.Sprintf("web-%07d", i),
		Status: status, Region: region, Zone: region + "-" + string(rune('a'+i%3)), InstanceType: "ecs.g7.large",
		InstanceTypeFamily: "ecs.g7", CPU: 2, Memory: 8192, OSType: "linux", OSName: "Ubuntu 22.04 64 bit",
		ImageID: "ubuntu_22_04_x64", PrivateIP: []string{"172.16.0.1"}, VPCID: "vpc-1", VSwitchID: "vsw-1",
		SecurityGroups: []string{"sg-1"}, SystemDiskCategory: "cloud_essd", SystemDiskSize: 40, ChargeType: "PostPaid",
		NetworkType: "vpc", InstanceNetworkType: "vpc", Provider: "aliyun"}
	a := inventory.Asset{
		AssetID: m.InstanceID, AssetName: m.InstanceName, AssetType: inventory.AssetTypeECS,
		Provider: []string{"aliyun", "aws"}[i%2], Account: fmt.Sprintf("acct-%d", i%10), Region: region, Zone: m.Zone,
		Status: status, Cost: float64(i%97) / 10,
		Tags:       []inventory.Tag{{Key: "env", Value: []string{"prod", "dev", "test"}[i%3]}, {Key: "team", Value: "t" + strconv.Itoa(i%50)}},
		CreateTime: benchBase.Add(time.Duration(i) * time.Second), UpdateTime: benchBase, DiscoverTime: benchBase,
	}
	m.Tags = a.Tags
	a.SetMetadata(m)
	a.Hash = inventory.ContentHash(&a)
	return a
}

// TestStoreFigures measures, when MULTICLOUD_BENCH_MONGO_ASSETS is set,
// the ingest rate and the query and statistics times of the Mongo store
// on each test server (see mongostoretest.Servers) beside a SQLite store
// in a file, over the same fleet, and logs them as a table:
//
//	MULTICLOUD_TEST_MONGO_URI=mongodb://127.0.0.1:27217/ MULTICLOUD_TEST_MONGO_PG_URI=mongodb://127.0.0.1:27218/ \
//	  MULTICLOUD_BENCH_MONGO_ASSETS=100000 go test -run TestStoreFigures -v -timeout 120m ./inventory/mongostore
//
// MULTICLOUD_BENCH_ITERATIONS (default 20) is the number of runs of each
// query shape, MULTICLOUD_BENCH_SHAPES a regular expression selecting
// shapes by name.
//
// Figures, not assertions: the machine is shared and noisy.
func TestStoreFigures(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(benchEnv))
	if err != nil || n <= 0 {
		t.Skipf("%s is not set", benchEnv)
	}
	iters := 20
	if v, err := strconv.Atoi(os.Getenv("MULTICLOUD_BENCH_ITERATIONS")); err == nil && v > 0 {
		iters = v
	}
	sq, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "bench.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	type namedStore struct {
		name string
		s    inventory.Store
	}
	stores := []namedStore{{"SQLite", sq}}
	for _, srv := range mongostoretest.Servers(t) {
		s := mongostoretest.OpenOn(t, srv.URI)
		stores = append(stores, namedStore{fmt.Sprintf("Mongo store on %s (plan %s)", srv.Name, s.Plan()), s})
	}
	stats := []statsShape{{"statistics, all", inventory.StatsFilter{}}, {"statistics, one account", inventory.StatsFilter{Account: "acct-3"}}}
	shapes := []queryShape{
		{"no filter", inventory.Filter{}},
		{"provider", inventory.Filter{Provider: "aws"}},
		{"account + region", inventory.Filter{Account: "acct-3", Region: "region-07"}},
		{"region + status", inventory.Filter{Region: "region-11", Status: "Stopped"}},
		{"one tag", inventory.Filter{Tags: []inventory.Tag{{Key: "team", Value: "t7"}}}},
		{"tag + region", inventory.Filter{Tags: []inventory.Tag{{Key: "env", Value: "prod"}}, Region: "region-03"}},
		{"sort by cost, offset 1000, page 50", inventory.Filter{Sort: "-cost", Offset: 1000, Limit: 50}},
		{"name substring", inventory.Filter{Name: "web-00123"}},
	}
	if re := os.Getenv("MULTICLOUD_BENCH_SHAPES"); re != "" {
		// Only the query shapes whose name matches (the statistics too
		// when "statistics" does).
		m := regexp.MustCompile(re)
		shapes = slices.DeleteFunc(shapes, func(sh queryShape) bool { return !m.MatchString(sh.name) })
		if !m.MatchString("statistics") {
			stats = nil
		}
	}
	results := map[string][]string{}
	for _, st := range stores {
		ctx := context.Background()
		start := time.Now()
		const batch = 1000
		for lo := 0; lo < n; lo += batch {
			assets := make([]inventory.Asset, 0, batch)
			for i := lo; i < min(lo+batch, n); i++ {
				assets = append(assets, benchAsset(i))
			}
			if err := st.s.UpsertAssets(ctx, assets); err != nil {
				t.Fatalf("%s: UpsertAssets: %v", st.name, err)
			}
		}
		rate := float64(n) / time.Since(start).Seconds()
		t.Logf("%s: %d assets written at %.0f/s", st.name, n, rate)
		results["ingest (assets/s)"] = append(results["ingest (assets/s)"], fmt.Sprintf("%.0f", rate))
		for _, sh := range shapes {
			var times []time.Duration
			for range iters {
				t0 := time.Now()
				if _, _, err := st.s.QueryAssets(ctx, sh.f); err != nil {
					t.Fatalf("%s: QueryAssets(%s): %v", st.name, sh.name, err)
				}
				times = append(times, time.Since(t0))
			}
			results[sh.name] = append(results[sh.name], ms(p95(times)))
		}
		for _, sf := range stats {
			var times []time.Duration
			for range max(iters/4, 3) {
				t0 := time.Now()
				if _, err := st.s.Statistics(ctx, sf.f); err != nil {
					t.Fatalf("%s: Statistics: %v", st.name, err)
				}
				times = append(times, time.Since(t0))
			}
			slices.Sort(times)
			results[sf.name+" (median)"] = append(results[sf.name+" (median)"], ms(times[len(times)/2]))
		}
	}
	t.Logf("%d assets, %d iterations per query shape", n, iters)
	head, rule := "| |", "|---|"
	for _, st := range stores {
		head, rule = head+" "+st.name+" |", rule+"---|"
	}
	t.Logf("%s", head)
	t.Logf("%s", rule)
	rows := []string{"ingest (assets/s)"}
	for _, sh := range shapes {
		rows = append(rows, sh.name)
	}
	for _, sf := range stats {
		rows = append(rows, sf.name+" (median)")
	}
	for _, r := range rows {
		t.Logf("| %s | %s |", r, strings.Join(results[r], " | "))
	}
}

// queryShape is a query TestStoreFigures times, by name.
type queryShape struct {
	name string
	f    inventory.Filter
}

// statsShape is a Statistics call TestStoreFigures times, by name.
type statsShape struct {
	name string
	f    inventory.StatsFilter
}

func p95(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[(len(ds)*95+99)/100-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
