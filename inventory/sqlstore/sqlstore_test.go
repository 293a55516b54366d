package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"github.com/multicloud-ecs/multicloud/inventory/storetest"
)

func openSQLite(t testing.TB) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "inventory.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inventory.Store { return openSQLite(t) })
}

func TestSQLiteMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inventory.Store {
		s, err := sqlstore.Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestSQLiteTagProbes runs the suite with every tag filter checked per
// asset, the plan of common tags, which small stores otherwise never use.
func TestSQLiteTagProbes(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inventory.Store {
		s, err := sqlstore.Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		sqlstore.SetDriveLimit(s, -1)
		return s
	})
}
