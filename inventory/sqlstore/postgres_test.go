package sqlstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"github.com/multicloud-ecs/multicloud/inventory/storetest"
)

// postgresDSN returns the test server's DSN from
// MULTICLOUD_TEST_POSTGRES_DSN. It skips the test when the variable is
// unset or the server unreachable, unless CI=true, where that fails it.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("MULTICLOUD_TEST_POSTGRES_DSN")
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if dsn == "" {
		fail("MULTICLOUD_TEST_POSTGRES_DSN is not set")
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		fail("postgres at MULTICLOUD_TEST_POSTGRES_DSN is unreachable: %v", err)
		return ""
	}
	conn.Close(ctx)
	return dsn
}

// newPostgresSchema creates a fresh schema on the test server, dropped
// when the test ends, so tests and packages running at once never share
// tables.
func newPostgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "inventory_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connect for cleanup: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return schema
}

// openPostgres opens a Store in a fresh schema of the test server.
func openPostgres(t testing.TB) *sqlstore.Store {
	t.Helper()
	dsn := postgresDSN(t)
	schema := newPostgresSchema(t, dsn)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := sqlstore.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inventory.Store { return openPostgres(t) })
}

// TestPostgresTagProbes is TestSQLiteTagProbes on PostgreSQL.
func TestPostgresTagProbes(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inventory.Store {
		s := openPostgres(t)
		sqlstore.SetDriveLimit(s, -1)
		return s
	})
}
