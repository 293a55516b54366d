package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// TestTagRowsOfManySizes writes a batch whose tag rows go in INSERTs of
// many sizes (1,750 rows: 1,024 + 512 + 128 + 64 + 16 + 4 + 2), then a
// smaller one over it, and checks every tag filter finds its assets.
func TestTagRowsOfManySizes(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	batch := func(n int, group string) []inventory.Asset {
		out := make([]inventory.Asset, n)
		for i := range out {
			a := inventory.Asset{Provider: "aliyun", Account: "acct", AssetType: inventory.AssetTypeECS, AssetID: fmt.Sprintf("i-%04d", i),
				AssetName: "vm", Region: "cn-shanghai", Zone: "cn-shanghai-a", Status: "Running", Metadata: []byte(`{}`),
				CreateTime: now, UpdateTime: now, DiscoverTime: now,
				Tags: []inventory.Tag{{Key: "group", Value: group}, {Key: "id", Value: fmt.Sprintf("i-%04d", i)}}}
			if i%2 == 1 {
				a.Tags = append(a.Tags, inventory.Tag{Key: "odd", Value: "yes"})
			}
			a.Hash = inventory.ContentHash(&a)
			out[i] = a
		}
		return out
	}
	count := func(tags ...inventory.Tag) int {
		t.Helper()
		_, total, err := s.QueryAssets(ctx, inventory.Filter{Tags: tags})
		if err != nil {
			t.Fatalf("QueryAssets %v: %v", tags, err)
		}
		return total
	}
	if err := s.UpsertAssets(ctx, batch(700, "a")); err != nil {
		t.Fatalf("UpsertAssets: %v", err)
	}
	if got := count(inventory.Tag{Key: "group", Value: "a"}); got != 700 {
		t.Errorf("group=a: %d assets, want 700", got)
	}
	if got := count(inventory.Tag{Key: "odd", Value: "yes"}); got != 350 {
		t.Errorf("odd=yes: %d assets, want 350", got)
	}
	for _, i := range []int{0, 1, 511, 512, 699} {
		id := fmt.Sprintf("i-%04d", i)
		if got := count(inventory.Tag{Key: "id", Value: id}, inventory.Tag{Key: "group", Value: "a"}); got != 1 {
			t.Errorf("id=%s: %d assets, want 1", id, got)
		}
	}
	// 5 assets retagged: their rows replace the old ones.
	if err := s.UpsertAssets(ctx, batch(5, "b")); err != nil {
		t.Fatalf("UpsertAssets: %v", err)
	}
	if a, b := count(inventory.Tag{Key: "group", Value: "a"}), count(inventory.Tag{Key: "group", Value: "b"}); a != 695 || b != 5 {
		t.Errorf("after retagging 5: group=a %d, group=b %d assets, want 695 and 5", a, b)
	}
	if got := count(inventory.Tag{Key: "odd", Value: "yes"}); got != 350 {
		t.Errorf("odd=yes after retagging: %d assets, want 350", got)
	}
}
