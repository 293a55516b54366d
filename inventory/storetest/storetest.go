// Package storetest is the conformance suite every inventory.Store must
// pass. A store's tests call Run with a constructor of empty stores.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// Run runs the conformance suite. newStore must return an empty store
// isolated from every other store it returned; Run closes nothing, so
// newStore registers its own cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) inventory.Store) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, newStore(t)) })
	t.Run("AccountSecretNotStored", func(t *testing.T) { testAccountSecret(t, newStore(t)) })
	t.Run("Upsert", func(t *testing.T) { testUpsert(t, newStore(t)) })
	t.Run("ScopeStatesAndMarkDeleted", func(t *testing.T) { testScope(t, newStore(t)) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, newStore(t)) })
	t.Run("PaginationAndSort", func(t *testing.T) { testPagination(t, newStore(t)) })
	t.Run("InvalidFilters", func(t *testing.T) { testInvalidFilters(t, newStore(t)) })
	t.Run("HostileStrings", func(t *testing.T) { testHostile(t, newStore(t)) })
	t.Run("Statistics", func(t *testing.T) { testStatistics(t, newStore(t)) })
	t.Run("ConcurrentUpserts", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("Counts", func(t *testing.T) { testCounts(t, newStore(t)) })
	t.Run("NameSearch", func(t *testing.T) { testNameSearch(t, newStore(t)) })
	t.Run("EventLog", func(t *testing.T) { testEventLog(t, newStore(t)) })
	t.Run("Incremental", func(t *testing.T) { testIncremental(t, newStore(t)) })
}

// base is a fixed instant, whole seconds in UTC, which every store keeps
// exactly.
var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

var assetOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(inventory.Asset{}, "ID"),
}

func account(id, name string) *inventory.StoredAccount {
	return &inventory.StoredAccount{
		CloudAccount: inventory.CloudAccount{
			ID: id, Name: name, Provider: "aliyun", Environment: "production",
			AccessKeyID: "LTAI" + strings.ToUpper(id) + "KEYID", Region: "cn-hangzhou", Description: "it's \"quoted\"",
			Config: inventory.AccountConfig{EnableAutoSync: true, SyncInterval: time.Hour,
				SupportedRegions: []string{"cn-hangzhou", "cn-beijing"}, SupportedAssetTypes: []string{"ecs"}},
			Status: inventory.AccountActive, CreateTime: base, UpdateTime: base,
		},
		SecretCiphertext: []byte{0, 1, 2, 255, 'x'},
		SecretKeyID:      "key-1",
	}
}

func testAccounts(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	a, b := account("acc-b", "zeta"), account("acc-a", "alpha")
	for _, acc := range []*inventory.StoredAccount{a, b} {
		if err := s.CreateAccount(ctx, acc); err != nil {
			t.Fatalf("CreateAccount(%s): %v", acc.ID, err)
		}
	}
	if err := s.CreateAccount(ctx, account("acc-b", "other")); !errors.Is(err, multicloud.ErrAlreadyExists) {
		t.Errorf("CreateAccount(duplicate id): got %v, want ErrAlreadyExists", err)
	}
	if err := s.CreateAccount(ctx, account("acc-c", "zeta")); !errors.Is(err, multicloud.ErrAlreadyExists) {
		t.Errorf("CreateAccount(duplicate name): got %v, want ErrAlreadyExists", err)
	}
	got, err := s.GetAccount(ctx, "acc-b")
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if diff := cmp.Diff(a, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("GetAccount mismatch (-want +got):\n%s", diff)
	}
	list, err := s.ListAccounts(ctx)
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	if diff := cmp.Diff([]inventory.StoredAccount{*b, *a}, list, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ListAccounts mismatch (-want +got):\n%s", diff)
	}

	upd := account("acc-b", "zeta2")
	synced := base.Add(time.Minute)
	upd.LastSyncTime, upd.LastSyncStatus, upd.LastSyncError = &synced, "partial", "cn-beijing: boom"
	upd.LastTestTime, upd.LastTestOK = &synced, true
	upd.Config.SupportedRegions = nil
	upd.SecretCiphertext, upd.SecretKeyID = []byte("new"), "key-2"
	if err := s.UpdateAccount(ctx, upd); err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	got, err = s.GetAccount(ctx, "acc-b")
	if err != nil {
		t.Fatalf("GetAccount after update: %v", err)
	}
	if diff := cmp.Diff(upd, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("GetAccount after update mismatch (-want +got):\n%s", diff)
	}
	if err := s.UpdateAccount(ctx, account("acc-b", "alpha")); !errors.Is(err, multicloud.ErrAlreadyExists) {
		t.Errorf("UpdateAccount(taken name): got %v, want ErrAlreadyExists", err)
	}
	if err := s.UpdateAccount(ctx, account("nope", "nope")); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("UpdateAccount(missing): got %v, want ErrNotFound", err)
	}
	if err := s.DeleteAccount(ctx, "acc-b"); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	if _, err := s.GetAccount(ctx, "acc-b"); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("GetAccount(deleted): got %v, want ErrNotFound", err)
	}
	if err := s.DeleteAccount(ctx, "acc-b"); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("DeleteAccount(deleted): got %v, want ErrNotFound", err)
	}
	if _, err := s.GetAccount(ctx, "' OR 1=1 --"); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("GetAccount(hostile id): got %v, want ErrNotFound", err)
	}
}

// testAccountSecret hands the store an account whose AccessKeySecret is
// set against the contract and checks the store did not keep it.
func testAccountSecret(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	const canary = "plaintext-secret-canary-0123456789"
	a := account("acc-s", "secretive")
	a.AccessKeySecret = canary
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	a.Description = "updated"
	if err := s.UpdateAccount(ctx, a); err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	got, err := s.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	list, err := s.ListAccounts(ctx)
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	for _, acc := range append(list, *got) {
		if acc.AccessKeySecret.Reveal() != "" || strings.Contains(fmt.Sprintf("%+v %s", acc, acc.SecretCiphertext), canary) {
			t.Errorf("account %s carries the plaintext secret", acc.ID)
		}
	}
}

// asset returns a distinct asset; i picks its attributes.
func asset(i int) inventory.Asset {
	providers := []string{"aliyun", "aws"}
	regions := []string{"cn-hangzhou", "cn-beijing", "us-west-1"}
	statuses := []string{"Running", "Stopped", "Starting"}
	a := inventory.Asset{
		AssetID:      fmt.Sprintf("i-%04d", i),
		AssetName:    fmt.Sprintf("web-%04d", i),
		AssetType:    inventory.AssetTypeECS,
		Provider:     providers[i%2],
		Account:      fmt.Sprintf("acct-%d", i%4/2),
		Region:       regions[i%3],
		Zone:         regions[i%3] + "-" + string(rune('a'+i%2)),
		Status:       statuses[i%3],
		Tags:         []inventory.Tag{{Key: "env", Value: []string{"prod", "dev"}[i%2]}, {Key: "team", Value: fmt.Sprintf("t%d", i%5)}},
		Metadata:     []byte(fmt.Sprintf(`{"instance_id":"i-%04d","cpu":%d,"memory":%d}`, i, 2+i%3, 4096)),
		Cost:         float64(i%7) + 0.5,
		CreateTime:   base.Add(time.Duration(i) * time.Second),
		UpdateTime:   base.Add(time.Duration(i) * time.Second),
		DiscoverTime: base.Add(time.Duration(i) * time.Minute),
	}
	if i%6 == 5 {
		a.AssetType = "disk"
	}
	a.Hash = inventory.ContentHash(&a)
	return a
}

func seed(t *testing.T, s inventory.Store, n int) []inventory.Asset {
	t.Helper()
	var all []inventory.Asset
	for i := range n {
		all = append(all, asset(i))
	}
	if err := s.UpsertAssets(context.Background(), all); err != nil {
		t.Fatalf("UpsertAssets: %v", err)
	}
	return all
}

func query(t *testing.T, s inventory.Store, f inventory.Filter) ([]inventory.Asset, int) {
	t.Helper()
	got, total, err := s.QueryAssets(context.Background(), f)
	if err != nil {
		t.Fatalf("QueryAssets(%+v): %v", f, err)
	}
	return got, total
}

func testUpsert(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	a := asset(1)
	if err := s.UpsertAssets(ctx, []inventory.Asset{a}); err != nil {
		t.Fatalf("UpsertAssets(insert): %v", err)
	}
	got, total := query(t, s, inventory.Filter{})
	if total != 1 || len(got) != 1 {
		t.Fatalf("after insert: got %d assets (total %d), want 1", len(got), total)
	}
	if diff := cmp.Diff(a, got[0], assetOpts); diff != "" {
		t.Errorf("inserted asset mismatch (-want +got):\n%s", diff)
	}
	if got[0].ID == 0 {
		t.Errorf("inserted asset has ID 0, want a store key")
	}
	id := got[0].ID

	// Same batch twice: idempotent.
	if err := s.UpsertAssets(ctx, []inventory.Asset{a}); err != nil {
		t.Fatalf("UpsertAssets(again): %v", err)
	}
	// Update: every field but identity, ID and CreateTime is replaced.
	b := a
	b.AssetName, b.Status, b.Zone, b.Cost = "renamed 'web'", "Stopped", "cn-beijing-z", 42.25
	b.Tags = []inventory.Tag{{Key: "owner", Value: "ops"}}
	b.Metadata = []byte(`{"instance_id":"i-0001","cpu":64}`)
	b.CreateTime = base.Add(time.Hour)
	b.UpdateTime, b.DiscoverTime = base.Add(2*time.Hour), base.Add(2*time.Hour)
	b.Hash = inventory.ContentHash(&b)
	if err := s.UpsertAssets(ctx, []inventory.Asset{b}); err != nil {
		t.Fatalf("UpsertAssets(update): %v", err)
	}
	got, total = query(t, s, inventory.Filter{})
	if total != 1 || len(got) != 1 {
		t.Fatalf("after update: got %d assets (total %d), want 1", len(got), total)
	}
	want := b
	want.CreateTime = a.CreateTime
	if diff := cmp.Diff(want, got[0], assetOpts); diff != "" {
		t.Errorf("updated asset mismatch (-want +got):\n%s", diff)
	}
	if got[0].ID != id {
		t.Errorf("updated asset ID: got %d, want %d", got[0].ID, id)
	}
	if _, total := query(t, s, inventory.Filter{TagKeys: []string{"env"}}); total != 0 {
		t.Errorf("old tag still matches after update: total %d, want 0", total)
	}
	// A batch holding one identity twice: the last wins.
	c1, c2 := asset(2), asset(2)
	c2.AssetName = "last"
	if err := s.UpsertAssets(ctx, []inventory.Asset{c1, c2}); err != nil {
		t.Fatalf("UpsertAssets(duplicate in batch): %v", err)
	}
	got, _ = query(t, s, inventory.Filter{Name: "last"})
	if len(got) != 1 {
		t.Errorf("duplicate in batch: got %d assets named last, want 1", len(got))
	}
	if err := s.UpsertAssets(ctx, nil); err != nil {
		t.Errorf("UpsertAssets(nil): %v", err)
	}
	// Same asset ID under another account or type is another asset.
	d := a
	d.Account, d.AssetType = "acct-other", "disk"
	if err := s.UpsertAssets(ctx, []inventory.Asset{d}); err != nil {
		t.Fatalf("UpsertAssets(other identity): %v", err)
	}
	if _, total := query(t, s, inventory.Filter{}); total != 3 {
		t.Errorf("assets: got %d, want 3", total)
	}
}

func testScope(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	all := seed(t, s, 60)
	scope := all[0].Scope()
	want := map[string]inventory.AssetState{}
	for _, a := range all {
		if a.Scope() == scope {
			want[a.AssetID] = inventory.AssetState{Hash: a.Hash, Status: a.Status}
		}
	}
	if len(want) < 3 {
		t.Fatalf("scope %+v has %d assets, the test needs 3", scope, len(want))
	}
	got, err := s.ScopeStates(ctx, scope)
	if err != nil {
		t.Fatalf("ScopeStates: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ScopeStates mismatch (-want +got):\n%s", diff)
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range want {
			if !yield(id) {
				return
			}
		}
	})
	gone := ids[:2]
	at := base.Add(24 * time.Hour)
	// An ID of another scope and an unknown ID are not marked.
	other := all[1]
	n, err := s.MarkDeleted(ctx, scope, append(slices.Clone(gone), other.AssetID, "i-unknown"), at)
	if err != nil {
		t.Fatalf("MarkDeleted: %v", err)
	}
	if n != 2 {
		t.Errorf("MarkDeleted: got %d marked, want 2", n)
	}
	if n, _ := s.MarkDeleted(ctx, scope, gone, at.Add(time.Hour)); n != 0 {
		t.Errorf("MarkDeleted(already deleted): got %d marked, want 0", n)
	}
	for _, id := range gone {
		want[id] = inventory.AssetState{Hash: want[id].Hash, Deleted: true, Status: want[id].Status}
	}
	got, err = s.ScopeStates(ctx, scope)
	if err != nil {
		t.Fatalf("ScopeStates: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScopeStates after MarkDeleted mismatch (-want +got):\n%s", diff)
	}
	live, total := query(t, s, inventory.Filter{Limit: inventory.MaxLimit})
	if total != len(all)-2 || len(live) != total {
		t.Errorf("live assets: got %d (total %d), want %d", len(live), total, len(all)-2)
	}
	withDeleted, total := query(t, s, inventory.Filter{IncludeDeleted: true, Provider: scope.Provider,
		Account: scope.Account, AssetType: scope.AssetType, Region: scope.Region, Limit: inventory.MaxLimit})
	if total != len(want) {
		t.Errorf("with deleted: got total %d, want %d", total, len(want))
	}
	for _, a := range withDeleted {
		if slices.Contains(gone, a.AssetID) != (a.DeletedAt != nil) {
			t.Errorf("asset %s: DeletedAt %v, want set only for %v", a.AssetID, a.DeletedAt, gone)
		} else if a.DeletedAt != nil && !a.DeletedAt.Equal(at) {
			t.Errorf("asset %s: DeletedAt %v, want %v", a.AssetID, a.DeletedAt, at)
		}
	}
	// Re-upserting a deleted asset brings it back.
	var back inventory.Asset
	for _, a := range all {
		if a.AssetID == gone[0] && a.Scope() == scope {
			back = a
		}
	}
	if err := s.UpsertAssets(ctx, []inventory.Asset{back}); err != nil {
		t.Fatalf("UpsertAssets(undelete): %v", err)
	}
	got, _ = s.ScopeStates(ctx, scope)
	if got[gone[0]].Deleted {
		t.Errorf("asset %s still deleted after re-upsert", gone[0])
	}
	if _, total := query(t, s, inventory.Filter{}); total != len(all)-1 {
		t.Errorf("live assets after undelete: got %d, want %d", total, len(all)-1)
	}
	if got, err := s.ScopeStates(ctx, inventory.Scope{Provider: "none"}); err != nil || len(got) != 0 {
		t.Errorf("ScopeStates(empty scope): got %v, %v, want empty", got, err)
	}
}

func testFilters(t *testing.T, s inventory.Store) {
	all := seed(t, s, 90)
	ctx := context.Background()
	if _, err := s.MarkDeleted(ctx, all[3].Scope(), []string{all[3].AssetID}, base); err != nil {
		t.Fatal(err)
	}
	all[3].DeletedAt = &base
	for _, f := range []inventory.Filter{
		{},
		{Provider: "aws"},
		{Account: "acct-1"},
		{AssetType: "disk"},
		{Region: "cn-beijing"},
		{Zone: "us-west-1-b"},
		{Status: "Stopped"},
		{Provider: "aliyun", Region: "cn-hangzhou", Status: "Running"},
		{Tags: []inventory.Tag{{Key: "env", Value: "prod"}}},
		{Tags: []inventory.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "t3"}}},
		{Tags: []inventory.Tag{{Key: "env", Value: "t3"}}},
		{TagKeys: []string{"team"}},
		{TagKeys: []string{"nope"}},
		{Name: "web-001"},
		{Name: "eb-00"},
		{IncludeDeleted: true},
		{IncludeDeleted: true, Region: all[3].Region},
		{Provider: "nope"},
	} {
		f.Limit = inventory.MaxLimit
		var want []string
		for i := range all {
			if f.Matches(&all[i]) {
				want = append(want, all[i].AssetID+"/"+all[i].Account+"/"+all[i].AssetType)
			}
		}
		got, total := query(t, s, f)
		var gotIDs []string
		for _, a := range got {
			gotIDs = append(gotIDs, a.AssetID+"/"+a.Account+"/"+a.AssetType)
		}
		slices.Sort(want)
		slices.Sort(gotIDs)
		if diff := cmp.Diff(want, gotIDs, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("QueryAssets(%+v) mismatch (-want +got):\n%s", f, diff)
		}
		if total != len(want) {
			t.Errorf("QueryAssets(%+v): got total %d, want %d", f, total, len(want))
		}
	}
}

func testPagination(t *testing.T, s inventory.Store) {
	all := seed(t, s, 45)
	for _, sort := range []string{"", "create_time", "-create_time", "asset_name", "-cost", "region", "-discover_time", "id", "status"} {
		want := slices.Clone(all)
		got, total := query(t, s, inventory.Filter{Sort: sort, Limit: inventory.MaxLimit})
		if total != len(all) {
			t.Fatalf("sort %q: got total %d, want %d", sort, total, len(all))
		}
		// IDs are store keys: compare with them set.
		ids := map[string]int64{}
		for _, a := range got {
			ids[a.AssetID] = a.ID
		}
		for i := range want {
			want[i].ID = ids[want[i].AssetID]
		}
		norm, _ := inventory.Filter{Sort: sort}.Normalize()
		slices.SortFunc(want, func(a, b inventory.Asset) int { return inventory.CompareAssets(norm.Sort, &a, &b) })
		if diff := cmp.Diff(ids2(want), ids2(got)); diff != "" {
			t.Errorf("sort %q order mismatch (-want +got):\n%s", sort, diff)
		}
		// Pages of 10 concatenate to the full order.
		var paged []inventory.Asset
		for off := 0; off < len(all)+10; off += 10 {
			page, total := query(t, s, inventory.Filter{Sort: sort, Limit: 10, Offset: off})
			if total != len(all) {
				t.Errorf("sort %q offset %d: got total %d, want %d", sort, off, total, len(all))
			}
			paged = append(paged, page...)
		}
		if diff := cmp.Diff(ids2(want), ids2(paged)); diff != "" {
			t.Errorf("sort %q paged order mismatch (-want +got):\n%s", sort, diff)
		}
	}
	got, total := query(t, s, inventory.Filter{})
	if len(got) != inventory.DefaultLimit || total != len(all) {
		t.Errorf("default limit: got %d assets (total %d), want %d (total %d)", len(got), total, inventory.DefaultLimit, len(all))
	}
	got, total = query(t, s, inventory.Filter{Offset: 1 << 40})
	if len(got) != 0 || total != len(all) {
		t.Errorf("huge offset: got %d assets (total %d), want 0 (total %d)", len(got), total, len(all))
	}
}

func ids2(as []inventory.Asset) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.AssetID + "/" + a.Account + "/" + a.AssetType
	}
	return out
}

func testInvalidFilters(t *testing.T, s inventory.Store) {
	seed(t, s, 5)
	ctx := context.Background()
	for _, f := range []inventory.Filter{
		{Limit: 1_000_000_000},
		{Limit: inventory.MaxLimit + 1},
		{Limit: -1},
		{Offset: -5},
		{Sort: "asset_name; DROP TABLE assets"},
		{Sort: "--create_time"},
		{Sort: "metadata"},
		{Provider: "bad\x00nul"},
		{Region: "\xff\xfe"},
		{Name: strings.Repeat("x", inventory.MaxFilterValueLen+1)},
		{Tags: []inventory.Tag{{Key: "", Value: "v"}}},
	} {
		_, _, err := s.QueryAssets(ctx, f)
		if !errors.Is(err, multicloud.ErrInvalidArgument) {
			t.Errorf("QueryAssets(%+v): got %v, want ErrInvalidArgument", f, err)
		}
	}
	if _, err := s.Statistics(ctx, inventory.StatsFilter{Provider: "a\x00b"}); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("Statistics(NUL): got %v, want ErrInvalidArgument", err)
	}
	if _, total := query(t, s, inventory.Filter{}); total != 5 {
		t.Errorf("after invalid filters: got %d assets, want 5", total)
	}
}

// hostile are filter values that break naive SQL or LIKE handling.
var hostile = []string{
	`' OR 1=1 --`, `'; DROP TABLE assets; --`, `" OR ""="`, `%`, `_`, `\`, `\%`, `%_%`, `*`, `[a]`,
	`$1`, `?`, `:name`, `)) OR ((1=1`, "日本語サーバー", "emoji 🚀", "tab\tnewline\n", `O'Brien`,
}

// hostileKey makes h a valid tag key filter: keys may not contain "=".
func hostileKey(h string) string { return strings.ReplaceAll(h, "=", "-") }

func testHostile(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	var assets []inventory.Asset
	for i, h := range hostile {
		a := asset(i)
		a.AssetID = fmt.Sprintf("h-%02d", i)
		a.AssetName = "name " + h + " end"
		a.Status = h
		a.Tags = []inventory.Tag{{Key: hostileKey(h), Value: h}}
		a.Hash = inventory.ContentHash(&a)
		assets = append(assets, a)
	}
	plain := asset(99)
	plain.AssetName = "plain"
	assets = append(assets, plain)
	if err := s.UpsertAssets(ctx, assets); err != nil {
		t.Fatalf("UpsertAssets(hostile): %v", err)
	}
	for i, h := range hostile {
		for _, f := range []inventory.Filter{
			{Name: h}, {Status: h}, {Tags: []inventory.Tag{{Key: hostileKey(h), Value: h}}}, {TagKeys: []string{hostileKey(h)}},
		} {
			f.Limit = inventory.MaxLimit
			var want []string
			for j := range assets {
				if f.Matches(&assets[j]) {
					want = append(want, assets[j].AssetID)
				}
			}
			got, total := query(t, s, f)
			var gotIDs []string
			for _, a := range got {
				gotIDs = append(gotIDs, a.AssetID)
			}
			slices.Sort(want)
			slices.Sort(gotIDs)
			if diff := cmp.Diff(want, gotIDs, cmpopts.EquateEmpty()); diff != "" || total != len(want) {
				t.Errorf("hostile %d %q filter %+v: total %d, mismatch (-want +got):\n%s", i, h, f, total, diff)
			}
		}
		for _, v := range []string{h, "' OR 1=1 --"} {
			if _, err := s.Statistics(ctx, inventory.StatsFilter{Provider: v, Account: v}); err != nil {
				t.Errorf("Statistics(%q): %v", v, err)
			}
		}
	}
	if _, total := query(t, s, inventory.Filter{}); total != len(assets) {
		t.Errorf("after hostile queries: got %d assets, want %d", total, len(assets))
	}
}

func testStatistics(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	empty, err := s.Statistics(ctx, inventory.StatsFilter{})
	if err != nil {
		t.Fatalf("Statistics(empty store): %v", err)
	}
	if diff := cmp.Diff(inventory.NewStatistics(), empty); diff != "" {
		t.Errorf("Statistics(empty store) mismatch (-want +got):\n%s", diff)
	}
	all := seed(t, s, 70)
	deleted := map[int]bool{0: true, 7: true, 69: true}
	for i := range deleted {
		if _, err := s.MarkDeleted(ctx, all[i].Scope(), []string{all[i].AssetID}, base); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []inventory.StatsFilter{{}, {Provider: "aws"}, {Account: "acct-0", AssetType: "ecs"}, {Provider: "none"}} {
		want := inventory.NewStatistics()
		for i, a := range all {
			if deleted[i] || f.Provider != "" && a.Provider != f.Provider || f.Account != "" && a.Account != f.Account ||
				f.AssetType != "" && a.AssetType != f.AssetType {
				continue
			}
			want.TotalAssets++
			want.ProviderStats[a.Provider]++
			want.AssetTypeStats[a.AssetType]++
			want.RegionStats[a.Region]++
			want.StatusStats[a.Status]++
			want.TotalCost += a.Cost
			if want.LastDiscoverTime == nil || a.DiscoverTime.After(*want.LastDiscoverTime) {
				d := a.DiscoverTime
				want.LastDiscoverTime = &d
			}
		}
		got, err := s.Statistics(ctx, f)
		if err != nil {
			t.Fatalf("Statistics(%+v): %v", f, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("Statistics(%+v) mismatch (-want +got):\n%s", f, diff)
		}
	}
}

func testConcurrent(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	const workers, batches, per = 4, 5, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*batches)
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				var batch []inventory.Asset
				for i := range per {
					// Workers overlap on half the identities.
					a := asset((w%2)*1000 + b*per + i)
					a.AssetName = fmt.Sprintf("w%d", w)
					batch = append(batch, a)
				}
				if err := s.UpsertAssets(ctx, batch); err != nil {
					errs <- err
					return
				}
				if _, _, err := s.QueryAssets(ctx, inventory.Filter{Provider: "aws"}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent upsert: %v", err)
	}
	if _, total := query(t, s, inventory.Filter{}); total != 2*batches*per {
		t.Errorf("after concurrent upserts: got %d assets, want %d", total, 2*batches*per)
	}
}

// countFilters are the filters whose totals checkCounts compares: column
// filters, one tag, one tag key, several tags, a name, with and without
// deleted assets.
var countFilters = []inventory.Filter{
	{},
	{Provider: "aws"},
	{Account: "acct-1", Region: "cn-beijing"},
	{AssetType: "disk", Status: "Stopped"},
	{Zone: "cn-hangzhou-a"},
	{Status: "Moved"},
	{Tags: []inventory.Tag{{Key: "env", Value: "prod"}}},
	{Tags: []inventory.Tag{{Key: "team", Value: "t2"}}, Region: "us-west-1"},
	{TagKeys: []string{"team"}},
	{TagKeys: []string{"extra"}},
	{Tags: []inventory.Tag{{Key: "extra", Value: "x"}}, Provider: "aws"},
	{Tags: []inventory.Tag{{Key: "env", Value: "dev"}, {Key: "team", Value: "t1"}}},
	{Name: "web-00"},
}

// checkCounts compares Statistics and QueryAssets totals with what the
// stored assets themselves say, so counts a store keeps apart from its
// assets cannot drift unnoticed.
func checkCounts(t *testing.T, s inventory.Store, label string) {
	t.Helper()
	ctx := context.Background()
	var all []inventory.Asset
	for off := 0; ; off += inventory.MaxLimit {
		page, _ := query(t, s, inventory.Filter{IncludeDeleted: true, Limit: inventory.MaxLimit, Offset: off, Sort: "id"})
		all = append(all, page...)
		if len(page) < inventory.MaxLimit {
			break
		}
	}
	for _, f := range countFilters {
		for _, deleted := range []bool{false, true} {
			f.IncludeDeleted = deleted
			want := 0
			for i := range all {
				if f.Matches(&all[i]) {
					want++
				}
			}
			// Limit 1 leaves the page full, so the store must count.
			f.Limit = 1
			if _, total := query(t, s, f); total != want {
				t.Errorf("%s: QueryAssets(%+v): got total %d, want %d", label, f, total, want)
			}
			// A page past the end shows no total either; stores
			// that count names and several tags with the page must
			// still count them.
			if f.Name == "" && len(f.Tags)+len(f.TagKeys) < 2 {
				continue
			}
			f.Offset = want + 5
			if _, total := query(t, s, f); total != want {
				t.Errorf("%s: QueryAssets(%+v): got total %d, want %d", label, f, total, want)
			}
		}
	}
	for _, f := range []inventory.StatsFilter{{}, {Provider: "aws"}, {Account: "acct-0"}, {AssetType: "ecs", Provider: "aliyun"}} {
		want := inventory.NewStatistics()
		for _, a := range all {
			if a.DeletedAt != nil || f.Provider != "" && a.Provider != f.Provider ||
				f.Account != "" && a.Account != f.Account || f.AssetType != "" && a.AssetType != f.AssetType {
				continue
			}
			want.AddGroup(a.Provider, a.AssetType, a.Region, a.Status, 1, a.Cost, a.DiscoverTime)
		}
		got, err := s.Statistics(ctx, f)
		if err != nil {
			t.Fatalf("%s: Statistics(%+v): %v", label, f, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
			t.Errorf("%s: Statistics(%+v) mismatch (-want +got):\n%s", label, f, diff)
		}
	}
}

// testCounts changes assets in every way a sync does and checks after
// each step that statistics and totals still agree with the assets.
func testCounts(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	all := seed(t, s, 60)
	checkCounts(t, s, "seeded")

	upsert := func(label string, as ...inventory.Asset) {
		t.Helper()
		for i := range as {
			as[i].Hash = inventory.ContentHash(&as[i])
		}
		if err := s.UpsertAssets(ctx, as); err != nil {
			t.Fatalf("%s: UpsertAssets: %v", label, err)
		}
		checkCounts(t, s, label)
	}
	mark := func(label string, a inventory.Asset, at time.Time) {
		t.Helper()
		if _, err := s.MarkDeleted(ctx, a.Scope(), []string{a.AssetID}, at); err != nil {
			t.Fatalf("%s: MarkDeleted: %v", label, err)
		}
		checkCounts(t, s, label)
	}

	// The asset discovered last changes status: the latest discover time
	// of its old group falls back.
	latest := all[59]
	latest.Status = "Moved"
	upsert("status change of the latest", latest)
	moved := all[10]
	moved.Region, moved.Zone, moved.Cost = "eu-central-1", "eu-central-1-a", 123.25
	moved.DiscoverTime = base.Add(-time.Hour)
	upsert("region, zone, cost and an earlier discover time", moved)
	retag := all[11]
	retag.Tags = []inventory.Tag{{Key: "extra", Value: "x"}, {Key: "extra", Value: "x"}, {Key: "env", Value: "prod"}}
	upsert("tags changed, one repeated", retag)
	untag := all[12]
	untag.Tags = nil
	upsert("tags removed", untag)
	upsert("unchanged rewrite", all[13], all[14])
	dup1, dup2 := all[15], all[15]
	dup1.Status, dup2.Status = "First", "Moved"
	upsert("one identity twice in a batch", dup1, dup2)

	at := base.Add(48 * time.Hour)
	mark("delete", all[20], at)
	mark("delete the moved asset", moved, at)
	mark("delete the latest", latest, at)
	mark("delete again", all[20], at.Add(time.Hour))
	back := all[20]
	back.Status = "Moved"
	upsert("undelete with a new status", back)
	gone := all[21]
	gone.DeletedAt = &at
	upsert("upsert as deleted", gone)
	fresh := asset(500)
	fresh.DeletedAt = &at
	upsert("insert as deleted", fresh)
	zero := asset(501)
	zero.DiscoverTime = time.Time{}
	upsert("insert without a discover time", zero)

	// Empty a whole group, then refill it.
	var grp []inventory.Asset
	for _, a := range all {
		if a.Provider == "aws" && a.Account == "acct-1" && a.AssetType == "ecs" && a.Region == "cn-hangzhou" && a.DeletedAt == nil {
			grp = append(grp, a)
		}
	}
	if len(grp) == 0 {
		t.Fatal("no asset in the group to empty")
	}
	for _, a := range grp {
		if _, err := s.MarkDeleted(ctx, a.Scope(), []string{a.AssetID}, at); err != nil {
			t.Fatalf("MarkDeleted: %v", err)
		}
	}
	checkCounts(t, s, "group emptied")
	upsert("group refilled", grp...)

	// Concurrent writers overlap on identities with different states,
	// while others mark some of them deleted.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 4 {
		wg.Go(func() {
			for b := range 5 {
				var batch []inventory.Asset
				for i := range 12 {
					a := asset(b*12 + i)
					a.Status = []string{"Running", "Stopped", "Moved"}[(w+i)%3]
					a.Cost = float64(w)
					a.DiscoverTime = base.Add(time.Duration(w*10+b) * time.Hour)
					a.Tags = append(a.Tags, inventory.Tag{Key: "extra", Value: fmt.Sprint(w)})
					a.Hash = inventory.ContentHash(&a)
					batch = append(batch, a)
				}
				if err := s.UpsertAssets(ctx, batch); err != nil {
					errs <- err
					return
				}
				a := batch[w]
				if _, err := s.MarkDeleted(ctx, a.Scope(), []string{a.AssetID}, at); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent writes: %v", err)
	}
	checkCounts(t, s, "concurrent writes")
}

// nameNeedles are Name filters over nameSearchNames: repeated and
// overlapping trigrams, case, unicode, LIKE and GLOB wildcards, quotes,
// backslashes and names sharing long prefixes.
var nameNeedles = []string{
	"aaa", "aaaa", "aaaaaaa", "abab", "bab", "ababab", "web", "Web", "WEB", "eb-0", "0001", "web-0001",
	"日本語", "本語サ", "サーバー日本", "école", "ÉCO", "cole", "% _", "_x_", "100%", `\pa`, `\`, `h\`,
	`a"b`, `"b"`, `"`, "prefix-common-long-00", "prefix-common-long-001", "long-0010", "-0010", "*y?", "[z]",
	"x*y", "ab", "b", "é", "nomatch", "café-ü", "fé-ü", "🚀🚀🚀", "🚀🚀", "e 🚀", "'; --", "  ",
}

var nameSearchNames = []string{
	"web-0001", "aaaaaa", "aaa", "abababab", "Web-0001", "WEB-0001", "日本語サーバー日本", "ÉCOLE école",
	`100% _x_ \path\`, `a"b"c`, "prefix-common-long-0001", "prefix-common-long-0002", "prefix-common-long-0010",
	"x*y?[z]", "", "ab", "café-ü", "rocket 🚀🚀🚀", "'; -- drop", "two  spaces",
}

func testNameSearch(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	var assets []inventory.Asset
	for i, name := range nameSearchNames {
		a := asset(i)
		a.AssetName = name
		a.Hash = inventory.ContentHash(&a)
		assets = append(assets, a)
	}
	check := func(label string) {
		t.Helper()
		for _, deleted := range []bool{false, true} {
			for _, needle := range nameNeedles {
				f := inventory.Filter{Name: needle, IncludeDeleted: deleted, Limit: inventory.MaxLimit}
				var want []string
				for i := range assets {
					if f.Matches(&assets[i]) {
						want = append(want, assets[i].AssetID)
					}
				}
				got, total := query(t, s, f)
				var gotIDs []string
				for _, a := range got {
					gotIDs = append(gotIDs, a.AssetID)
				}
				slices.Sort(want)
				slices.Sort(gotIDs)
				if diff := cmp.Diff(want, gotIDs, cmpopts.EquateEmpty()); diff != "" || total != len(want) {
					t.Errorf("%s: QueryAssets(Name %q, IncludeDeleted %v): total %d, want %d, mismatch (-want +got):\n%s",
						label, needle, deleted, total, len(want), diff)
				}
			}
		}
	}
	if err := s.UpsertAssets(ctx, assets); err != nil {
		t.Fatalf("UpsertAssets: %v", err)
	}
	check("after insert")
	// Renames move names between needles; a deleted asset keeps its name.
	for i := range assets {
		if i%3 == 0 {
			assets[i].AssetName = nameSearchNames[(i+5)%len(nameSearchNames)] + "-renamed"
			assets[i].Hash = inventory.ContentHash(&assets[i])
		}
	}
	if err := s.UpsertAssets(ctx, assets); err != nil {
		t.Fatalf("UpsertAssets(renamed): %v", err)
	}
	at := base.Add(time.Hour)
	a := assets[1]
	if _, err := s.MarkDeleted(ctx, inventory.Scope{Provider: a.Provider, Account: a.Account, Region: a.Region, AssetType: a.AssetType},
		[]string{a.AssetID}, at); err != nil {
		t.Fatalf("MarkDeleted: %v", err)
	}
	assets[1].DeletedAt = &at
	check("after renames")
}
