package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"github.com/multicloud-ecs/multicloud/inventory/storetest"
)

// openDB opens a database/sql handle the way an application would, closed
// when the test ends.
func openDB(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteDSN(t *testing.T, pragmas string) string {
	return "file:" + filepath.Join(t.TempDir(), "app.db") + "?" + pragmas
}

func TestOpenDBSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inventory.Store {
		db := openDB(t, "sqlite", sqliteDSN(t, "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate"))
		s, err := sqlstore.OpenDB(context.Background(), db)
		if err != nil {
			t.Fatalf("OpenDB: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestOpenDBLeavesTheDatabaseOpen(t *testing.T) {
	db := openDB(t, "sqlite", sqliteDSN(t, "_pragma=foreign_keys(1)"))
	s, err := sqlstore.OpenDB(context.Background(), db)
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	if got := s.Dialect(); got != "sqlite" {
		t.Errorf("Dialect: got %q, want sqlite", got)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Ping(); err != nil {
		t.Errorf("the caller's database after Close: got %v, want it open", err)
	}
	// Opening again finds the schema migrated.
	s, err = sqlstore.OpenDB(context.Background(), db)
	if err != nil {
		t.Fatalf("OpenDB again: %v", err)
	}
	s.Close()
}

func TestOpenDBRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) *sql.DB
	}{
		{"nil", func(t *testing.T) *sql.DB { return nil }},
		{"sqlite without foreign keys", func(t *testing.T) *sql.DB { return openDB(t, "sqlite", sqliteDSN(t, "")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlstore.OpenDB(context.Background(), tc.db(t))
			if !errors.Is(err, multicloud.ErrInvalidArgument) {
				if s != nil {
					s.Close()
				}
				t.Errorf("OpenDB: got %v, want an error matching ErrInvalidArgument", err)
			}
		})
	}
}

func TestOpenDBPostgres(t *testing.T) {
	dsn := postgresDSN(t)
	schema := newPostgresSchema(t, dsn)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db := openDB(t, "pgx", u.String())
	s, err := sqlstore.OpenDB(context.Background(), db)
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	defer s.Close()
	if got := s.Dialect(); got != "postgres" {
		t.Errorf("Dialect: got %q, want postgres", got)
	}
	ctx := context.Background()
	if err := s.UpsertAssets(ctx, []inventory.Asset{{AssetID: "i-1", AssetName: "one", AssetType: inventory.AssetTypeECS, Provider: "aliyun", Region: "cn-hangzhou"}}); err != nil {
		t.Fatalf("UpsertAssets: %v", err)
	}
}
