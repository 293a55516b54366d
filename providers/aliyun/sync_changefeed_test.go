package aliyun_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// fakeClock is a settable clock shared by the emulator and the inventory.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// churnSpec is how many instances of a region change, and how.
type churnSpec struct{ create, stop, retag, remove int }

// churned is what a churn changed, by instance ID.
type churned struct{ created, updated, deleted []string }

// churn changes instances of region through the emulator's API, as a
// user would (so ActionTrail records it): RunInstances from the first
// instance's template, StopInstances and TagResources on the next
// instances, DeleteInstances (forced) on the ones after.
func churn(t testing.TB, srv *aliyuntest.Server, region string, spec churnSpec) churned {
	t.Helper()
	e, _ := sdkClients(t, srv)
	ids := srv.InstanceIDs(region)
	if need := spec.stop + spec.retag + spec.remove + 1; len(ids) < need {
		t.Fatalf("churn %s: %d instances, need %d", region, len(ids), need)
	}
	var out churned
	if spec.create > 0 {
		dreq := ecs.CreateDescribeInstancesRequest()
		dreq.RegionId = region
		raw, _ := json.Marshal(ids[:1])
		dreq.InstanceIds = string(raw)
		dresp, err := e.DescribeInstances(dreq)
		if err != nil || len(dresp.Instances.Instance) != 1 {
			t.Fatalf("DescribeInstances template: %v", err)
		}
		tpl := dresp.Instances.Instance[0]
		for left := spec.create; left > 0; left -= 100 {
			req := ecs.CreateRunInstancesRequest()
			req.RegionId, req.ImageId, req.InstanceType = region, tpl.ImageId, tpl.InstanceType
			req.VSwitchId, req.SecurityGroupId = tpl.VpcAttributes.VSwitchId, tpl.SecurityGroupIds.SecurityGroupId[0]
			req.Amount = requests.NewInteger(min(left, 100))
			req.InstanceName = "churn"
			resp, err := e.RunInstances(req)
			if err != nil {
				t.Fatalf("RunInstances: %v", err)
			}
			out.created = append(out.created, resp.InstanceIdSets.InstanceIdSet...)
		}
	}
	next := ids[1:]
	take := func(n int) []string { s := next[:n]; next = next[n:]; return s }
	for chunk := range slices.Chunk(take(spec.stop), 100) {
		req := ecs.CreateStopInstancesRequest()
		req.RegionId, req.InstanceId = region, &chunk
		if _, err := e.StopInstances(req); err != nil {
			t.Fatalf("StopInstances: %v", err)
		}
		out.updated = append(out.updated, chunk...)
	}
	for chunk := range slices.Chunk(take(spec.retag), 50) {
		req := ecs.CreateTagResourcesRequest()
		req.RegionId, req.ResourceType, req.ResourceId = region, "instance", &chunk
		req.Tag = &[]ecs.TagResourcesTag{{Key: "team", Value: "retagged"}}
		if _, err := e.TagResources(req); err != nil {
			t.Fatalf("TagResources: %v", err)
		}
		out.updated = append(out.updated, chunk...)
	}
	for chunk := range slices.Chunk(take(spec.remove), 100) {
		req := ecs.CreateDeleteInstancesRequest()
		req.RegionId, req.InstanceId, req.Force = region, &chunk, requests.NewBoolean(true)
		if _, err := e.DeleteInstances(req); err != nil {
			t.Fatalf("DeleteInstances: %v", err)
		}
		out.deleted = append(out.deleted, chunk...)
	}
	return out
}

// storeMatchesTruth reports, per region, the live assets whose stored
// hash differs from a fresh listing's (or that only one side has).
func storeMatchesTruth(t testing.TB, svc *inventory.Service, target inventory.SyncTarget, regions []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range regions {
		truth, err := svc.Discover(context.Background(), target, r, "")
		if err != nil {
			t.Fatalf("Discover %s: %v", r, err)
		}
		want := map[string]string{}
		for i := range truth {
			want[truth[i].AssetID] = inventory.ContentHash(&truth[i])
		}
		got := map[string]string{}
		for _, a := range regionAssets(t, svc, r) {
			if a.DeletedAt == nil {
				got[a.AssetID] = a.Hash
			}
		}
		for _, id := range slices.Sorted(maps.Keys(want)) {
			if got[id] != want[id] {
				out[r] = append(out[r], id)
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				out[r] = append(out[r], id)
			}
		}
		slices.Sort(out[r])
	}
	return out
}

func discovererTarget(t testing.TB, srv *aliyuntest.Server, delay time.Duration) inventory.SyncTarget {
	t.Helper()
	p := newProvider(t, srv, func(o *aliyun.Options) { o.TrailDelay = delay })
	return inventory.SyncTarget{Discoverer: p.Discoverer(), Provider: aliyun.ProviderCode, Account: "acct"}
}

// scopeModes returns each scope's mode and reason.
func scopeModes(r *inventory.SyncReport) map[string]string {
	out := map[string]string{}
	for _, s := range r.Scopes {
		out[s.Region] = string(s.Mode) + ": " + s.Reason
	}
	return out
}

func TestSyncChangeFeed(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	regions := regionIDs(2)
	srv := newServer(t, aliyuntest.WithRegions(regions...), aliyuntest.WithClock(clk.now))
	srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: 250, RandSeed: 3})
	a, b := regions[0].ID, regions[1].ID
	svc, err := inventory.New(inventory.NewMemStore(), inventory.WithClock(clk.now), inventory.WithRateLimit(rate.Inf, 1))
	if err != nil {
		t.Fatal(err)
	}
	target := discovererTarget(t, srv, 5*time.Minute)
	incremental := inventory.SyncOptions{Mode: inventory.SyncIncremental}

	r, err := svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("first sync: %v", err)
	}
	first := "full: " + inventory.ReasonFirstSync
	if diff := cmp.Diff(map[string]string{a: first, b: first}, scopeModes(r)); diff != "" {
		t.Errorf("first sync modes (-want +got):\n%s", diff)
	}
	fullCalls := r.APICalls

	// Changes a minute later, delivered two minutes after that.
	clk.advance(time.Minute)
	srv.SetTrailDelay(2 * time.Minute)
	churn(t, srv, a, churnSpec{create: 5, stop: 5, retag: 5, remove: 5})
	// A change no trail records: only a full sync sees it.
	silent := srv.InstanceIDs(b)[0]
	if err := srv.SetInstanceStatus(silent, "Stopped"); err != nil {
		t.Fatal(err)
	}

	r, err = svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("sync before delivery: %v", err)
	}
	inc := "incremental: " + inventory.ReasonChangeFeed
	if diff := cmp.Diff(map[string]string{a: inc, b: inc}, scopeModes(r)); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
	if r.Added+r.Updated+r.Deleted != 0 {
		t.Errorf("before delivery: got %d added, %d updated, %d deleted, want none", r.Added, r.Updated, r.Deleted)
	}

	// Once delivered, the next read overlaps the last window by the
	// delivery delay and finds every change.
	clk.advance(3 * time.Minute)
	r, err = svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("sync after delivery: %v", err)
	}
	if diff := cmp.Diff(counts{Added: 5, Updated: 10, Deleted: 5}, countsOf(r), cmpIgnoreUnchanged); diff != "" {
		t.Errorf("incremental counts (-want +got):\n%s", diff)
	}
	// One LookupEvents and one DescribeInstanceHistoryEvents page per
	// region, then for the changed region one DescribeInstances of the
	// changed IDs and one DescribeDisks of the new instances.
	if r.APICalls != 6 || fullCalls != 8 {
		t.Errorf("calls: got %d incremental and %d full, want 6 and 8", r.APICalls, fullCalls)
	}
	if diff := cmp.Diff(map[string][]string{b: {silent}}, storeMatchesTruth(t, svc, target, []string{a, b})); diff != "" {
		t.Errorf("store against the emulator after incremental sync (-want +got):\n%s", diff)
	}

	// Replays are harmless: the same window again changes nothing.
	r, err = svc.Sync(ctx, target, incremental)
	if err != nil || r.Added+r.Updated+r.Deleted != 0 {
		t.Errorf("replayed window: got %+v, %v; want no change", countsOf(r), err)
	}

	// System events: an instance stopped for an overdue payment, another
	// released at expiry. The trail has no event of them; the system
	// events do, and the incremental sync catches both.
	clk.advance(time.Minute)
	var sysIDs []string
	for _, id := range srv.InstanceIDs(b) {
		if id != silent && len(sysIDs) < 2 {
			sysIDs = append(sysIDs, id)
		}
	}
	if _, err := srv.RunSystemEvent(sysIDs[0], "AccountUnbalanced.Stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.RunSystemEvent(sysIDs[1], "InstanceExpiration.Delete"); err != nil {
		t.Fatal(err)
	}
	r, err = svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("sync after system events: %v", err)
	}
	if diff := cmp.Diff(map[string]string{a: inc, b: inc}, scopeModes(r)); diff != "" {
		t.Errorf("modes after system events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(counts{Updated: 1, Deleted: 1}, countsOf(r), cmpIgnoreUnchanged); diff != "" {
		t.Errorf("counts after system events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{b: {silent}}, storeMatchesTruth(t, svc, target, []string{a, b})); diff != "" {
		t.Errorf("store against the emulator after system events (-want +got):\n%s", diff)
	}

	// Without permission for the feed, scopes sync in full, which also
	// catches the untracked change.
	srv.InjectFault(sim.Fault{Action: "LookupEvents", Code: "Forbidden.RAM", Status: 403, Count: 2})
	r, err = svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("sync without feed permission: %v", err)
	}
	denied := "full: " + inventory.ReasonFeedDenied
	if diff := cmp.Diff(map[string]string{a: denied, b: denied}, scopeModes(r)); diff != "" {
		t.Errorf("modes without permission (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{}, storeMatchesTruth(t, svc, target, []string{a, b})); diff != "" {
		t.Errorf("store against the emulator after full sync (-want +got):\n%s", diff)
	}
	// So without permission for the system events.
	srv.InjectFault(sim.Fault{Action: "DescribeInstanceHistoryEvents", Code: "Forbidden.RAM", Status: 403, Count: 2})
	r, err = svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("sync without system events permission: %v", err)
	}
	if diff := cmp.Diff(map[string]string{a: denied, b: denied}, scopeModes(r)); diff != "" {
		t.Errorf("modes without system events permission (-want +got):\n%s", diff)
	}

	// A day later the periodic full sync is due; past the retention the
	// cursor is too old.
	clk.advance(inventory.DefaultFullSyncEvery)
	r, _ = svc.Sync(ctx, target, incremental)
	due := "full: " + inventory.ReasonFullDue
	if diff := cmp.Diff(map[string]string{a: due, b: due}, scopeModes(r)); diff != "" {
		t.Errorf("modes a day later (-want +got):\n%s", diff)
	}
	clk.advance(aliyun.TrailRetention)
	r, _ = svc.Sync(ctx, target, incremental)
	old := "full: " + inventory.ReasonCursorExpired
	if diff := cmp.Diff(map[string]string{a: old, b: old}, scopeModes(r)); diff != "" {
		t.Errorf("modes past retention (-want +got):\n%s", diff)
	}
}

// counts is the part of a report the change-feed tests compare.
type counts struct{ Added, Updated, Unchanged, Deleted, Undeleted, Failed int }

var cmpIgnoreUnchanged = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Unchanged" }, cmp.Ignore())

func countsOf(r *inventory.SyncReport) counts {
	return counts{r.Added, r.Updated, r.Unchanged, r.Deleted, r.Undeleted, r.Failed}
}
