package aliyun_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// incrementalLargeEnv, when set, runs TestIncrementalLarge.
const incrementalLargeEnv = "MULTICLOUD_TEST_INCREMENTAL_LARGE"

// TestIncrementalLarge syncs 100,000 instances over 10 regions into
// SQLite, changes 1% of them through the API (in each region 25
// created, 25 stopped, 25 retagged, 25 deleted), and checks that the
// incremental sync finds exactly those changes with at most 5% of a full
// sync's API calls, and that the store then equals a fresh listing. It
// takes a few minutes, so it runs only when incrementalLargeEnv is set;
// it logs the calls and times for BENCHMARKS.md.
func TestIncrementalLarge(t *testing.T) {
	if os.Getenv(incrementalLargeEnv) == "" {
		t.Skipf("set %s=1 to run (a few minutes)", incrementalLargeEnv)
	}
	ctx := context.Background()
	regions := regionIDs(10)
	srv := newServer(t, aliyuntest.WithRegions(regions...))
	srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: 10_000, RandSeed: 7})
	svc := newInventory(t, openSQLite(t, t.TempDir()), srv.Host())
	acct := createAccount(t, svc, "large", aliyuntest.DefaultAccessKeySecret)
	target := inventory.SyncTarget{AccountID: acct.ID}
	incremental := inventory.SyncOptions{Mode: inventory.SyncIncremental}

	full, err := svc.Sync(ctx, target, incremental)
	if err != nil || full.FullScopes != 10 || full.Added != 100_000 {
		t.Fatalf("first sync: got %d full scopes, %d added, %v; want 10 and 100000", full.FullScopes, full.Added, err)
	}
	t.Logf("full sync (first, from empty): %d API calls in %v", full.APICalls, full.Duration.Round(time.Millisecond))

	var want counts
	for _, r := range regions {
		ch := churn(t, srv, r.ID, churnSpec{create: 25, stop: 25, retag: 25, remove: 25})
		want.Added += len(ch.created)
		want.Updated += len(ch.updated)
		want.Deleted += len(ch.deleted)
	}
	inc, err := svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("incremental sync: %v", err)
	}
	if inc.IncrementalScopes != 10 {
		t.Errorf("incremental sync: %d scopes incremental, want 10: %v", inc.IncrementalScopes, inc.Scopes)
	}
	if diff := cmp.Diff(want, countsOf(inc), cmpIgnoreUnchanged); diff != "" {
		t.Errorf("incremental counts (-want +got):\n%s", diff)
	}
	t.Logf("incremental sync: %d API calls in %v (%.2f%% of the full sync's calls): %d added, %d updated, %d deleted",
		inc.APICalls, inc.Duration.Round(time.Millisecond), float64(inc.APICalls)*100/float64(full.APICalls), inc.Added, inc.Updated, inc.Deleted)
	if inc.APICalls*20 > full.APICalls {
		t.Errorf("incremental sync made %d calls, more than 5%% of the full sync's %d", inc.APICalls, full.APICalls)
	}
	var ids []string
	for _, r := range regions {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff(map[string][]string{}, storeMatchesTruth(t, svc, target, ids)); diff != "" {
		t.Errorf("store against the emulator (-want +got):\n%s", diff)
	}
	again, err := svc.Sync(ctx, target, inventory.SyncOptions{Mode: inventory.SyncFull})
	if err != nil || again.Added+again.Updated+again.Deleted != 0 {
		t.Errorf("full sync after the incremental one: got %+v, %v; want no change", countsOf(again), err)
	}
	t.Logf("full sync (steady state, nothing to write): %d API calls in %v", again.APICalls, again.Duration.Round(time.Millisecond))
}
