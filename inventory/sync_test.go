package inventory_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"golang.org/x/time/rate"
)

func newService(t *testing.T, store inventory.Store, opts ...inventory.Option) *inventory.Service {
	t.Helper()
	opts = append([]inventory.Option{
		inventory.WithRateLimit(rate.Inf, 1),
		inventory.WithRetry(multicloud.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
	}, opts...)
	s, err := inventory.New(store, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func fakeTarget(f *fakeCloud) inventory.SyncTarget {
	return inventory.SyncTarget{Discoverer: f, Provider: "fake", Account: "acct-1"}
}

// counts is the part of a report the tests compare.
type counts struct{ Added, Updated, Unchanged, Deleted, Undeleted, Failed int }

func countsOf(r *inventory.SyncReport) counts {
	return counts{r.Added, r.Updated, r.Unchanged, r.Deleted, r.Undeleted, r.Failed}
}

func liveTotal(t *testing.T, s *inventory.Service, f inventory.Filter) int {
	t.Helper()
	res, err := s.Query(context.Background(), f)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	return res.Total
}

func TestSyncReconcile(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud(3, 250)
	store := &countingStore{Store: inventory.NewMemStore()}
	svc := newService(t, store, inventory.WithBatchSize(100))

	// First sync: everything is new.
	r, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if diff := cmp.Diff(counts{Added: 750}, countsOf(r)); diff != "" {
		t.Errorf("first sync counts (-want +got):\n%s", diff)
	}
	want := []inventory.ScopeReport{
		{Region: "region-00", AssetType: "ecs", Added: 250, APICalls: 3, Pages: 3, Mode: inventory.SyncFull, Reason: inventory.ReasonRequested},
		{Region: "region-01", AssetType: "ecs", Added: 250, APICalls: 3, Pages: 3, Mode: inventory.SyncFull, Reason: inventory.ReasonRequested},
		{Region: "region-02", AssetType: "ecs", Added: 250, APICalls: 3, Pages: 3, Mode: inventory.SyncFull, Reason: inventory.ReasonRequested},
	}
	if diff := cmp.Diff(want, r.Scopes, cmpopts.IgnoreFields(inventory.ScopeReport{}, "Duration")); diff != "" {
		t.Errorf("first sync scopes (-want +got):\n%s", diff)
	}
	if got := liveTotal(t, svc, inventory.Filter{}); got != 750 {
		t.Errorf("stored assets: got %d, want 750", got)
	}

	// Unchanged re-sync writes nothing.
	store.rowsWritten.Store(0)
	store.upsertCalls.Store(0)
	r, err = svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{})
	if err != nil {
		t.Fatalf("re-sync: %v", err)
	}
	if diff := cmp.Diff(counts{Unchanged: 750}, countsOf(r)); diff != "" {
		t.Errorf("re-sync counts (-want +got):\n%s", diff)
	}
	if n, c := store.rowsWritten.Load(), store.upsertCalls.Load(); n != 0 || c != 0 {
		t.Errorf("re-sync of unchanged data: got %d rows in %d upserts, want 0", n, c)
	}

	// Delete 100 and change 50 in region-01.
	cloud.edit(func(regions map[string][]inventory.Asset) {
		rs := regions["region-01"]
		for i := range 50 {
			rs[i].Status = "Stopped"
			rs[i].AssetName += "-renamed"
		}
		regions["region-01"] = append(rs[:50:50], rs[150:]...)
	})
	r, err = svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{})
	if err != nil {
		t.Fatalf("sync after changes: %v", err)
	}
	if diff := cmp.Diff(counts{Updated: 50, Deleted: 100, Unchanged: 600}, countsOf(r)); diff != "" {
		t.Errorf("sync after changes counts (-want +got):\n%s", diff)
	}
	if got := liveTotal(t, svc, inventory.Filter{}); got != 650 {
		t.Errorf("live assets: got %d, want 650", got)
	}
	if got := liveTotal(t, svc, inventory.Filter{IncludeDeleted: true}); got != 750 {
		t.Errorf("assets with deleted: got %d, want 750", got)
	}
	if got := liveTotal(t, svc, inventory.Filter{Name: "-renamed"}); got != 50 {
		t.Errorf("renamed assets: got %d, want 50", got)
	}

	// Ten deleted instances come back.
	cloud.edit(func(regions map[string][]inventory.Asset) {
		for i := 50; i < 60; i++ {
			regions["region-01"] = append(regions["region-01"], fakeInstance("region-01", i))
		}
	})
	r, err = svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{})
	if err != nil {
		t.Fatalf("sync after return: %v", err)
	}
	if diff := cmp.Diff(counts{Undeleted: 10, Unchanged: 650}, countsOf(r)); diff != "" {
		t.Errorf("sync after return counts (-want +got):\n%s", diff)
	}
	if got := liveTotal(t, svc, inventory.Filter{}); got != 660 {
		t.Errorf("live assets after return: got %d, want 660", got)
	}
}

func TestSyncRegionFailureMarksNothing(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud(3, 300)
	svc := newService(t, inventory.NewMemStore(), inventory.WithBatchSize(50))
	if _, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{}); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	// region-01 loses 150 instances but its listing fails on page 1;
	// region-02 loses 100 and lists fine.
	cloud.edit(func(regions map[string][]inventory.Asset) {
		regions["region-01"] = regions["region-01"][:150]
		regions["region-02"] = regions["region-02"][:200]
	})
	cloud.failRegion, cloud.failPage = "region-01", 1
	r, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{})
	if err == nil || !strings.Contains(err.Error(), "region-01") {
		t.Errorf("Sync error: got %v, want one naming region-01", err)
	}
	if diff := cmp.Diff(counts{Unchanged: 600, Deleted: 100, Failed: 1}, countsOf(r)); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	for _, sr := range r.Scopes {
		if got, want := sr.Failed, sr.Region == "region-01"; got != want {
			t.Errorf("scope %s failed: got %v, want %v", sr.Region, got, want)
		}
		if sr.Failed && !strings.Contains(sr.Error, "injected failure") {
			t.Errorf("scope %s error: got %q, want the listing's error", sr.Region, sr.Error)
		}
	}
	if got := liveTotal(t, svc, inventory.Filter{Region: "region-01"}); got != 300 {
		t.Errorf("region-01 live assets after failed listing: got %d, want 300", got)
	}
	if got := liveTotal(t, svc, inventory.Filter{Region: "region-02"}); got != 200 {
		t.Errorf("region-02 live assets: got %d, want 200", got)
	}
}

func TestSyncRetriesThrottling(t *testing.T) {
	cloud := newFakeCloud(2, 450)
	cloud.throttleEvery = 3
	svc := newService(t, inventory.NewMemStore())
	r, err := svc.Sync(context.Background(), fakeTarget(cloud), inventory.SyncOptions{Regions: []string{"region-00", "region-01"}})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if r.Added != 900 {
		t.Errorf("added: got %d, want 900", r.Added)
	}
	pages := 0
	for _, sr := range r.Scopes {
		pages += sr.Pages
	}
	if pages != 10 || r.APICalls <= pages {
		t.Errorf("got %d pages in %d API calls, want 10 pages and retries on top", pages, r.APICalls)
	}
	if got := cloud.calls.Load(); int(got) != r.APICalls {
		t.Errorf("report API calls: got %d, want the %d the cloud saw", r.APICalls, got)
	}

	// A cloud that always throttles gives up after MaxAttempts.
	cloud.throttleEvery = 1
	cloud.calls.Store(0)
	r, err = svc.Sync(context.Background(), fakeTarget(cloud), inventory.SyncOptions{Regions: []string{"region-00"}})
	if !errors.Is(err, multicloud.ErrThrottled) {
		t.Errorf("always throttled: got %v, want ErrThrottled", err)
	}
	if r == nil || r.APICalls != 4 {
		t.Errorf("always throttled: got report %+v, want 4 API calls", r)
	}
}

func TestSyncConcurrencyAndProgress(t *testing.T) {
	cloud := newFakeCloud(12, 150)
	cloud.delay = 3 * time.Millisecond
	svc := newService(t, inventory.NewMemStore(), inventory.WithConcurrency(8))
	var (
		mu     sync.Mutex
		events []inventory.SyncProgress
	)
	r, err := svc.Sync(context.Background(), fakeTarget(cloud), inventory.SyncOptions{
		Concurrency: 3,
		Progress: func(p inventory.SyncProgress) {
			mu.Lock()
			events = append(events, p)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got := cloud.maxInFlight.Load(); got > 3 || got < 2 {
		t.Errorf("regions listed at once: got %d, want 2..3", got)
	}
	done, pages := 0, 0
	for _, e := range events {
		if e.ScopeDone {
			done++
		} else {
			pages++
		}
		if e.ScopesTotal != 12 {
			t.Errorf("progress ScopesTotal: got %d, want 12", e.ScopesTotal)
		}
	}
	if done != 12 || pages != 24 {
		t.Errorf("progress events: got %d scope ends and %d pages, want 12 and 24", done, pages)
	}
	if last := events[len(events)-1]; last.ScopesDone != 12 {
		t.Errorf("last progress event: got %d scopes done, want 12", last.ScopesDone)
	}
	if r.Added != 1800 {
		t.Errorf("added: got %d, want 1800", r.Added)
	}
}

func TestSyncRefreshMarksNothing(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud(1, 100)
	svc := newService(t, inventory.NewMemStore())
	if _, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	cloud.edit(func(regions map[string][]inventory.Asset) {
		regions["region-00"] = regions["region-00"][:40]
		regions["region-00"][0].Status = "Deleted?"
	})
	r, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{Mode: inventory.SyncRefresh})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(counts{Updated: 1, Unchanged: 39}, countsOf(r)); diff != "" {
		t.Errorf("refresh counts (-want +got):\n%s", diff)
	}
	if got := liveTotal(t, svc, inventory.Filter{}); got != 100 {
		t.Errorf("live assets after refresh: got %d, want 100", got)
	}
}

func TestSyncCancelled(t *testing.T) {
	cloud := newFakeCloud(4, 500)
	cloud.delay = 20 * time.Millisecond
	svc := newService(t, inventory.NewMemStore())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	r, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{})
	if err == nil {
		t.Fatalf("Sync with a short deadline: got nil error, want one")
	}
	if r.Deleted != 0 {
		t.Errorf("cancelled sync deleted %d assets, want 0", r.Deleted)
	}
}

func TestSyncBadInput(t *testing.T) {
	svc := newService(t, inventory.NewMemStore())
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		target inventory.SyncTarget
		opts   inventory.SyncOptions
		want   error
	}{
		{"empty target", inventory.SyncTarget{}, inventory.SyncOptions{}, multicloud.ErrInvalidArgument},
		{"discoverer without labels", inventory.SyncTarget{Discoverer: newFakeCloud(1, 1)}, inventory.SyncOptions{}, multicloud.ErrInvalidArgument},
		{"both", inventory.SyncTarget{AccountID: "x", Discoverer: newFakeCloud(1, 1), Provider: "p", Account: "a"}, inventory.SyncOptions{}, multicloud.ErrInvalidArgument},
		{"bad mode", fakeTarget(newFakeCloud(1, 1)), inventory.SyncOptions{Mode: "sideways"}, multicloud.ErrInvalidArgument},
		{"missing account", inventory.SyncTarget{AccountID: "acc-none"}, inventory.SyncOptions{}, multicloud.ErrNotFound},
	} {
		if _, err := svc.Sync(ctx, tc.target, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDiscoverDoesNotSave(t *testing.T) {
	svc := newService(t, inventory.NewMemStore())
	got, err := svc.Discover(context.Background(), fakeTarget(newFakeCloud(2, 130)), "region-01", "")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if len(got) != 130 || got[0].Region != "region-01" || got[0].Provider != "fake" || got[0].AssetType != "ecs" {
		t.Errorf("Discover: got %d assets, first %+v; want 130 in region-01 of fake", len(got), got[0])
	}
	var m inventory.ECSMetadata
	if err := got[0].DecodeMetadata(&m); err != nil || m.Memory != 8192 || m.InstanceID != got[0].AssetID {
		t.Errorf("metadata: got %+v, %v", m, err)
	}
	if n := liveTotal(t, svc, inventory.Filter{}); n != 0 {
		t.Errorf("Discover stored %d assets, want 0", n)
	}
}
