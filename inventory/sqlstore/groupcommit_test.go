package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// TestGroupCommitIsolatesFailures writes three calls in one group, the
// second of which fails: the first and third commit, the second leaves
// nothing behind, and the count tables match the stored assets.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "inventory.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	now := time.Now().UTC().Truncate(time.Microsecond)
	call := func(prefix string, n int) *writeReq {
		assets := make([]inventory.Asset, n)
		for i := range assets {
			assets[i] = inventory.Asset{Provider: "aliyun", Account: "a1", AssetType: "ecs", Region: "r1", Zone: "z1",
				AssetID: fmt.Sprintf("%s-%d", prefix, i), AssetName: prefix + " name", Status: "Running", Cost: 1,
				Tags: []inventory.Tag{{Key: "team", Value: prefix}}, CreateTime: now, UpdateTime: now, DiscoverTime: now}
			assets[i].Hash = inventory.ContentHash(&assets[i])
		}
		q, args, err := s.upsertQuery(assets)
		if err != nil {
			t.Fatal(err)
		}
		return &writeReq{ctx: ctx, stmts: []upsertStmt{{q, args, assets}}, done: make(chan error, 1)}
	}
	a, b, c := call("a", 3), call("b", 2), call("c", 4)
	// The failing call writes a chunk, then fails on its second.
	bad := call("b2", 1)
	bad.stmts[0].query = "INSERT INTO no_such_table (x) VALUES (1) RETURNING x"
	b.stmts = append(b.stmts, bad.stmts...)
	s.writeGroup([]*writeReq{a, b, c})
	if err := <-a.done; err != nil {
		t.Errorf("first call: %v", err)
	}
	if err := <-b.done; err == nil {
		t.Error("failing call: no error")
	}
	if err := <-c.done; err != nil {
		t.Errorf("third call: %v", err)
	}
	got, total, err := s.QueryAssets(ctx, inventory.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if total != 7 || len(got) != 7 {
		t.Fatalf("stored %d (total %d), want the 7 assets of the first and third calls", len(got), total)
	}
	for _, x := range got {
		if x.AssetID[0] == 'b' {
			t.Errorf("asset %s of the failed call stored", x.AssetID)
		}
	}
	st, err := s.Statistics(ctx, inventory.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if st.TotalAssets != 7 || st.TotalCost != 7 {
		t.Errorf("count tables say %d assets costing %v, want 7 and 7", st.TotalAssets, st.TotalCost)
	}
	for _, tag := range []string{"a", "b", "c"} {
		_, n, err := s.QueryAssets(ctx, inventory.Filter{Tags: []inventory.Tag{{Key: "team", Value: tag}}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"a": 3, "b": 0, "c": 4}[tag]; n != want {
			t.Errorf("team=%s: %d assets, want %d", tag, n, want)
		}
	}
	if d, err := TrigramCountsDiff(s); err != nil || d != "" {
		t.Errorf("trigram counts: %q, %v", d, err)
	}
}
