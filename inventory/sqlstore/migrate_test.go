package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	_ "modernc.org/sqlite"
)

// v1Assets are the assets a version 1 database holds before it migrates:
// several groups, tags, deleted ones and one without a discover time.
func v1Assets() []inventory.Asset {
	var out []inventory.Asset
	for i := range 90 {
		a := inventory.Asset{
			AssetID: fmt.Sprintf("i-%03d", i), AssetName: fmt.Sprintf("web-%03d", i), AssetType: []string{"ecs", "disk"}[i%2],
			Provider: []string{"aliyun", "aws"}[i%3%2], Account: fmt.Sprintf("acct-%d", i%4), Region: fmt.Sprintf("r-%d", i%3),
			Zone: fmt.Sprintf("z-%d", i%5), Status: []string{"Running", "Stopped"}[i%7%2], Cost: float64(i%11) + 0.25,
			Tags:       []inventory.Tag{{Key: "env", Value: []string{"prod", "dev"}[i%2]}, {Key: "team", Value: fmt.Sprint(i % 6)}},
			CreateTime: time.Unix(int64(1e9+i), 0).UTC(), UpdateTime: time.Unix(1e9, 0).UTC(),
			DiscoverTime: time.Unix(int64(1e9+i*i), 0).UTC(),
		}
		if i%9 == 4 {
			d := time.Unix(2e9, 0).UTC()
			a.DeletedAt = &d
		}
		if i == 17 {
			a.DiscoverTime = time.Time{}
		}
		a.Hash = inventory.ContentHash(&a)
		out = append(out, a)
	}
	return out
}

// writeV1 creates the version 1 schema in db and stores assets in it as
// that version did.
func writeV1(t *testing.T, db *sql.DB, dialect string, ph func(int) string, assets []inventory.Asset) {
	t.Helper()
	ctx := context.Background()
	body, err := os.ReadFile(filepath.Join("migrations", dialect, "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"}
	stmts = append(stmts, strings.Split(string(body), ";\n")...)
	stmts = append(stmts, "INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)")
	for _, s := range stmts {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	var phs []string
	for i := range 15 {
		phs = append(phs, ph(i+1))
	}
	insert := "INSERT INTO assets (provider, account, asset_type, asset_id, asset_name, region, zone, status, tags, cost," +
		" content_hash, create_time, update_time, discover_time, deleted_at) VALUES (" + strings.Join(phs, ", ") + ") RETURNING id"
	for _, a := range assets {
		tags, _ := json.Marshal(a.Tags)
		var deleted any
		if a.DeletedAt != nil {
			deleted = a.DeletedAt.UnixMicro()
		}
		var id int64
		if err := db.QueryRowContext(ctx, insert, a.Provider, a.Account, a.AssetType, a.AssetID, a.AssetName, a.Region, a.Zone,
			a.Status, string(tags), a.Cost, a.Hash, a.CreateTime.UnixMicro(), a.UpdateTime.UnixMicro(),
			a.DiscoverTime.UnixMicro(), deleted).Scan(&id); err != nil {
			t.Fatalf("insert v1 asset: %v", err)
		}
		for _, tg := range a.Tags {
			if _, err := db.ExecContext(ctx, "INSERT INTO asset_tags (asset, key, value) VALUES ("+ph(1)+", "+ph(2)+", "+ph(3)+")",
				id, tg.Key, tg.Value); err != nil {
				t.Fatalf("insert v1 tag: %v", err)
			}
		}
	}
}

// checkMigrated compares the migrated store's statistics and totals with
// a MemStore holding the same assets.
func checkMigrated(t *testing.T, s *sqlstore.Store, assets []inventory.Asset) {
	t.Helper()
	ctx := context.Background()
	mem := inventory.NewMemStore()
	if err := mem.UpsertAssets(ctx, assets); err != nil {
		t.Fatal(err)
	}
	for _, f := range []inventory.StatsFilter{{}, {Provider: "aws"}, {Account: "acct-1", AssetType: "disk"}} {
		want, _ := mem.Statistics(ctx, f)
		got, err := s.Statistics(ctx, f)
		if err != nil {
			t.Fatalf("Statistics(%+v): %v", f, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("Statistics(%+v) after migration mismatch (-want +got):\n%s", f, diff)
		}
	}
	for _, f := range []inventory.Filter{
		{}, {IncludeDeleted: true}, {Region: "r-1", Status: "Stopped"}, {Zone: "z-3", IncludeDeleted: true},
		{Tags: []inventory.Tag{{Key: "team", Value: "2"}}}, {TagKeys: []string{"env"}, Account: "acct-3", IncludeDeleted: true},
		{Name: "web-0"},
	} {
		f.Limit = 1
		_, want, _ := mem.QueryAssets(ctx, f)
		_, got, err := s.QueryAssets(ctx, f)
		if err != nil {
			t.Fatalf("QueryAssets(%+v): %v", f, err)
		}
		if got != want {
			t.Errorf("QueryAssets(%+v) after migration: got total %d, want %d", f, got, want)
		}
	}
	checkTrigramCounts(t, s, "after migration")
}

func TestMigrateFromV1SQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	assets := v1Assets()
	writeV1(t, db, "sqlite", func(int) string { return "?" }, assets)
	db.Close()
	s, err := sqlstore.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(v1 database): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	checkMigrated(t, s, assets)
}

func TestMigrateFromV1Postgres(t *testing.T) {
	dsn := postgresDSN(t)
	schema := newPostgresSchema(t, dsn)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	assets := v1Assets()
	writeV1(t, db, "postgres", func(n int) string { return fmt.Sprintf("$%d", n) }, assets)
	db.Close()
	s, err := sqlstore.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("Open(v1 database): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	checkMigrated(t, s, assets)
}
