package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
)

// benchSize is the number of assets the query benchmarks run over:
// MULTICLOUD_BENCH_ASSETS, default 20,000.
func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("MULTICLOUD_BENCH_ASSETS")); err == nil && n > 0 {
		return n
	}
	return 20000
}

var benchBase = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// benchAsset is asset i of a fleet spread over 2 providers, 10 accounts,
// 20 regions of 3 zones, 4 statuses and 50 teams.
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

// fill loads n assets into s unless it holds them already (the SQLite
// file and PostgreSQL schema are kept between runs), in large batches.
func fill(b *testing.B, s *sqlstore.Store, n int) {
	b.Helper()
	ctx := context.Background()
	var have int
	if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM assets").Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have == n {
		return
	}
	if have != 0 {
		b.Fatalf("bench store holds %d assets, want 0 or %d: remove it", have, n)
	}
	start := time.Now()
	const batch = 10000
	for lo := 0; lo < n; lo += batch {
		assets := make([]inventory.Asset, 0, batch)
		for i := lo; i < min(lo+batch, n); i++ {
			assets = append(assets, benchAsset(i))
		}
		if err := s.UpsertAssets(ctx, assets); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d assets in %v (%.0f/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())
}

func openSQLiteBench(b *testing.B) *sqlstore.Store {
	n := benchSize()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("multicloud-inventory-bench-%d.db", n))
	s, err := sqlstore.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	fill(b, s, n)
	return s
}

// openPostgresBench uses the schema inventory_bench_<n>, kept between
// runs. A new schema is loaded with COPY into the version 1 tables, and
// Open then migrates it as it would an existing database: the count
// tables and indexes of later versions are built from the loaded rows.
func openPostgresBench(b *testing.B) *sqlstore.Store {
	dsn := postgresDSN(b)
	n := benchSize()
	schema := fmt.Sprintf("inventory_bench_%d", n)
	ctx := context.Background()
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		b.Fatal(err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('assets') IS NOT NULL").Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		copyPostgresV1(b, conn, n)
	}
	s, err := sqlstore.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	fill(b, s, n)
	return s
}

// copyPostgresV1 creates the version 1 schema on conn and loads assets
// 0..n-1 into it with COPY.
func copyPostgresV1(b *testing.B, conn *pgx.Conn, n int) {
	ctx := context.Background()
	start := time.Now()
	body, err := os.ReadFile(filepath.Join("migrations", "postgres", "0001_init.sql"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at BIGINT NOT NULL); INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0); `+string(body)); err != nil {
		b.Fatal(err)
	}
	const batch = 50000
	for lo := 0; lo < n; lo += batch {
		var assets, meta, tags [][]any
		for i := lo; i < min(lo+batch, n); i++ {
			a := benchAsset(i)
			id := int64(i + 1)
			tj, _ := json.Marshal(a.Tags)
			assets = append(assets, []any{id, a.Provider, a.Account, a.AssetType, a.AssetID, a.AssetName, a.Region, a.Zone,
				a.Status, string(tj), a.Cost, a.Hash, a.CreateTime.UnixMicro(), a.UpdateTime.UnixMicro(), a.DiscoverTime.UnixMicro(), nil})
			meta = append(meta, []any{id, string(a.Metadata)})
			for _, t := range a.Tags {
				tags = append(tags, []any{id, t.Key, t.Value})
			}
		}
		for _, c := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"assets", []string{"id", "provider", "account", "asset_type", "asset_id", "asset_name", "region", "zone", "status",
				"tags", "cost", "content_hash", "create_time", "update_time", "discover_time", "deleted_at"}, assets},
			{"asset_metadata", []string{"asset", "metadata"}, meta},
			{"asset_tags", []string{"asset", "key", "value"}, tags},
		} {
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				b.Fatalf("copy %s: %v", c.table, err)
			}
		}
	}
	if _, err := conn.Exec(ctx, "SELECT setval(pg_get_serial_sequence('assets', 'id'), $1)", int64(n)); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("copied %d assets in %v", n, time.Since(start))
}

// benchQueries are the query shapes measured: a list page with its total.
var benchQueries = []struct {
	name string
	f    inventory.Filter
}{
	{"all", inventory.Filter{}},
	{"provider", inventory.Filter{Provider: "aws"}},
	{"account_region", inventory.Filter{Account: "acct-3", Region: "region-03"}},
	{"region_status", inventory.Filter{Region: "region-07", Status: "Stopping"}},
	{"zone", inventory.Filter{Zone: "region-11-c"}},
	{"tag", inventory.Filter{Tags: []inventory.Tag{{Key: "team", Value: "t17"}}}},
	{"tag_region", inventory.Filter{Region: "region-05", Tags: []inventory.Tag{{Key: "env", Value: "prod"}}}},
	{"name", inventory.Filter{Name: "web-00123"}},
	{"sort_cost_page50", inventory.Filter{Account: "acct-2", Sort: "-cost", Offset: 1000}},
}

func benchQuery(b *testing.B, s *sqlstore.Store) {
	ctx := context.Background()
	for _, q := range benchQueries {
		b.Run(q.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, _, err := s.QueryAssets(ctx, q.f); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

func benchStatistics(b *testing.B, s *sqlstore.Store) {
	ctx := context.Background()
	for _, f := range []struct {
		name string
		f    inventory.StatsFilter
	}{{"all", inventory.StatsFilter{}}, {"account", inventory.StatsFilter{Account: "acct-4"}}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				st, err := s.Statistics(ctx, f.f)
				if err != nil {
					b.Fatal(err)
				}
				if st.TotalAssets == 0 {
					b.Fatal("no assets")
				}
			}
		})
	}
}

// BenchmarkQuerySQLite measures list queries at MULTICLOUD_BENCH_ASSETS
// assets, reporting the 95th percentile latency.
func BenchmarkQuerySQLite(b *testing.B) { benchQuery(b, openSQLiteBench(b)) }

// BenchmarkStatisticsSQLite measures Statistics at MULTICLOUD_BENCH_ASSETS assets.
func BenchmarkStatisticsSQLite(b *testing.B) { benchStatistics(b, openSQLiteBench(b)) }

// BenchmarkQueryPostgres is BenchmarkQuerySQLite on PostgreSQL.
func BenchmarkQueryPostgres(b *testing.B) { benchQuery(b, openPostgresBench(b)) }

// BenchmarkStatisticsPostgres is BenchmarkStatisticsSQLite on PostgreSQL.
func BenchmarkStatisticsPostgres(b *testing.B) { benchStatistics(b, openPostgresBench(b)) }
