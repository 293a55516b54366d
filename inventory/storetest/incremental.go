package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// testIncremental checks inventory.IncrementalStore: cursors per scope,
// and assets by ID within one scope. Stores without it skip.
func testIncremental(t *testing.T, s inventory.Store) {
	is, ok := s.(inventory.IncrementalStore)
	if !ok {
		t.Skip("store does not implement inventory.IncrementalStore")
	}
	ctx := context.Background()
	sc := inventory.Scope{Provider: "aliyun", Account: "acct-0", AssetType: inventory.AssetTypeECS, Region: "cn-hangzhou"}
	if _, ok, err := is.SyncCursor(ctx, sc); ok || err != nil {
		t.Fatalf("SyncCursor of a new scope: got ok %v, %v; want false, nil", ok, err)
	}
	c1 := inventory.SyncCursor{FeedTime: base.Add(time.Hour), FullTime: base}
	c2 := inventory.SyncCursor{FeedTime: base.Add(2 * time.Hour), FullTime: base.Add(2 * time.Hour)}
	other := sc
	other.Region = "cn-beijing"
	for _, step := range []struct {
		sc inventory.Scope
		c  inventory.SyncCursor
	}{{sc, c1}, {other, c2}, {sc, c2}, {sc, c1}} {
		if err := is.PutSyncCursor(ctx, step.sc, step.c); err != nil {
			t.Fatalf("PutSyncCursor: %v", err)
		}
		got, ok, err := is.SyncCursor(ctx, step.sc)
		if err != nil || !ok {
			t.Fatalf("SyncCursor: got ok %v, %v", ok, err)
		}
		if diff := cmp.Diff(step.c, got); diff != "" {
			t.Errorf("cursor of %s (-want +got):\n%s", step.sc.Region, diff)
		}
	}
	if got, _, _ := is.SyncCursor(ctx, other); !got.FeedTime.Equal(c2.FeedTime) {
		t.Errorf("cursor of the other scope: got %v, want %v", got.FeedTime, c2.FeedTime)
	}

	all := seed(t, s, 60)
	var want []inventory.Asset
	var ids []string
	for _, a := range all {
		if a.Scope() == sc {
			want = append(want, a)
			ids = append(ids, a.AssetID)
		}
	}
	if len(want) < 3 {
		t.Fatalf("seed has %d assets in the scope, want at least 3", len(want))
	}
	// Ask for two of the scope, one of another scope and one unknown ID.
	var foreign string
	for _, a := range all {
		if a.Scope() != sc {
			foreign = a.AssetID
			break
		}
	}
	if _, err := s.MarkDeleted(ctx, sc, []string{ids[1]}, base); err != nil {
		t.Fatal(err)
	}
	want[1].DeletedAt = &base
	got, err := is.AssetsByID(ctx, sc, []string{ids[0], ids[1], foreign, "i-none"})
	if err != nil {
		t.Fatalf("AssetsByID: %v", err)
	}
	slices.SortFunc(got, func(a, b inventory.Asset) int { return strings.Compare(a.AssetID, b.AssetID) })
	if diff := cmp.Diff(want[:2], got, assetOpts); diff != "" {
		t.Errorf("AssetsByID (-want +got):\n%s", diff)
	}
	if got, err := is.AssetsByID(ctx, sc, nil); err != nil || len(got) != 0 {
		t.Errorf("AssetsByID of no IDs: got %d assets, %v", len(got), err)
	}
}
