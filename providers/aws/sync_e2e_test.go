package aws_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// These tests run the whole sync chain: the awstest emulator, the real
// SDK, the aws Discoverer, the inventory sync engine and a SQLite store
// in a file.

// countingStore is an inventory.Store that records which assets were
// upserted and marked deleted.
type countingStore struct {
	inventory.Store

	mu       sync.Mutex
	upserted map[string]int
	marked   map[string]int
}

func (c *countingStore) UpsertAssets(ctx context.Context, assets []inventory.Asset) error {
	if err := c.Store.UpsertAssets(ctx, assets); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range assets {
		c.upserted[assets[i].AssetID]++
	}
	return nil
}

func (c *countingStore) MarkDeleted(ctx context.Context, s inventory.Scope, ids []string, at time.Time) (int, error) {
	n, err := c.Store.MarkDeleted(ctx, s, ids, at)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.marked[id]++
	}
	return n, err
}

func (c *countingStore) reset() {
	c.mu.Lock()
	c.upserted, c.marked = map[string]int{}, map[string]int{}
	c.mu.Unlock()
}

// written returns the IDs upserted and marked deleted since reset, and
// the number of rows of each.
func (c *countingStore) written() (ups, marks []string, nUps, nMarks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.upserted {
		nUps += n
	}
	for _, n := range c.marked {
		nMarks += n
	}
	return slices.Sorted(maps.Keys(c.upserted)), slices.Sorted(maps.Keys(c.marked)), nUps, nMarks
}

func newInventory(t testing.TB, store inventory.Store, srv *awstest.Server, pageSize int32) *inventory.Service {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	kp, err := inventory.NewAESGCMKeyProvider(key)
	if err != nil {
		t.Fatalf("NewAESGCMKeyProvider: %v", err)
	}
	svc, err := inventory.New(store,
		inventory.WithKeyProvider(kp),
		inventory.WithConnector(aws.ProviderCode, aws.NewConnector(func(o *aws.Options) {
			o.BaseEndpoint, o.DiscoverPageSize, o.HTTPClient = srv.URL(), pageSize, srv.HTTPClient()
		})),
		inventory.WithConcurrency(8),
		inventory.WithRateLimit(rate.Inf, 0),
		inventory.WithRetry(multicloud.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	if err != nil {
		t.Fatalf("inventory.New: %v", err)
	}
	return svc
}

func liveTotal(t testing.TB, svc *inventory.Service, f inventory.Filter) int {
	t.Helper()
	f.Limit = 1
	res, err := svc.Query(context.Background(), f)
	if err != nil {
		t.Fatalf("Query %+v: %v", f, err)
	}
	return res.Total
}

func regionAssets(t testing.TB, svc *inventory.Service, region string) []inventory.Asset {
	t.Helper()
	var out []inventory.Asset
	for {
		res, err := svc.Query(context.Background(), inventory.Filter{Region: region, IncludeDeleted: true,
			Limit: inventory.MaxLimit, Offset: len(out), Sort: "asset_id"})
		if err != nil {
			t.Fatalf("Query region %s: %v", region, err)
		}
		out = append(out, res.Assets...)
		if len(res.Assets) == 0 || len(out) >= res.Total {
			return out
		}
	}
}

// seed creates perRegion running instances with a root volume in every
// region of the simulated cloud, straight in the model.
func seed(t testing.TB, c *sim.Cloud, perRegion int) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range c.Regions() {
		z := r.Zones[0].Name
		c.SetStock(r.ID, z, "m5.large", perRegion)
		for i := range perRegion {
			ins, err := c.CreateInstances(sim.InstanceSpec{Region: r.ID, Zone: z, Type: "m5.large", VCPU: 2, ImageID: "ami-0seed",
				Name: fmt.Sprintf("seed-%d", i), Tags: map[string]string{"Name": fmt.Sprintf("seed-%d", i), "team": "e2e"},
				Disks: []sim.Disk{{Category: "gp3", SizeGiB: 8, System: true, DeleteWithInstance: true}}})
			if err != nil {
				t.Fatalf("seed %s: %v", r.ID, err)
			}
			out[r.ID] = append(out[r.ID], ins[0].ID)
		}
		slices.Sort(out[r.ID])
	}
	return out
}

// TestSyncE2E syncs 8 regions x 2,000 instances (x 500 under the race
// detector) into SQLite: every instance stored exactly; a re-sync after
// 100 removals and 50 stops writes those 150 rows only; a region failing
// mid-listing is left untouched while the others sync.
func TestSyncE2E(t *testing.T) {
	perRegion, pageSize := 2000, 1000
	if raceEnabled || testing.Short() {
		perRegion, pageSize = 500, 100
	}
	srv := newServer(t)
	cloud := srv.Cloud()
	ids := seed(t, cloud, perRegion)
	regions := slices.Sorted(maps.Keys(ids))
	if len(regions) != 8 {
		t.Fatalf("emulator regions: %v, want 8", regions)
	}
	var all []string
	for _, r := range regions {
		all = append(all, ids[r]...)
	}
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "inventory.db"))
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	store := &countingStore{Store: st}
	store.reset()
	svc := newInventory(t, store, srv, int32(pageSize))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	acct, err := svc.CreateAccount(ctx, inventory.CloudAccount{Name: "e2e", Provider: aws.ProviderCode, Environment: "test",
		AccessKeyID: awstest.DefaultAccessKeyID, AccessKeySecret: awstest.DefaultSecretAccessKey, Region: region})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	target := inventory.SyncTarget{AccountID: acct.ID}
	ec2Only := inventory.Filter{Provider: aws.ProviderCode, Account: acct.ID, AssetType: inventory.AssetTypeEC2}
	pages := (perRegion + pageSize - 1) / pageSize

	if !t.Run("full sync stores every instance", func(t *testing.T) {
		rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if rep.Added != len(all) || rep.Updated+rep.Unchanged+rep.Deleted+rep.Failed != 0 || len(rep.Scopes) != len(regions) {
			t.Fatalf("report: added %d, updated %d, unchanged %d, deleted %d, failed %d in %d scopes; want %d added in %d scopes",
				rep.Added, rep.Updated, rep.Unchanged, rep.Deleted, rep.Failed, len(rep.Scopes), len(all), len(regions))
		}
		for _, sr := range rep.Scopes {
			if sr.Added != perRegion || sr.Pages != pages {
				t.Errorf("scope %s: %d added in %d pages, want %d in %d", sr.Region, sr.Added, sr.Pages, perRegion, pages)
			}
		}
		ups, _, nUps, _ := store.written()
		if diff := cmp.Diff(slices.Sorted(slices.Values(all)), ups); diff != "" || nUps != len(all) {
			t.Errorf("upserted %d rows; IDs (-seeded +stored):\n%s", nUps, diff)
		}
		if got := liveTotal(t, svc, ec2Only); got != len(all) {
			t.Errorf("Query total: got %d, want %d", got, len(all))
		}
		// One asset's metadata is what the API says of it.
		res, err := svc.Query(ctx, inventory.Filter{Provider: aws.ProviderCode, Region: regions[2], Limit: 1, Sort: "asset_id"})
		if err != nil || len(res.Assets) != 1 {
			t.Fatalf("Query one: %v, %v", res, err)
		}
		var m inventory.EC2Metadata
		if err := res.Assets[0].DecodeMetadata(&m); err != nil {
			t.Fatalf("DecodeMetadata: %v", err)
		}
		if m.InstanceID != ids[regions[2]][0] || m.InstanceType != "m5.large" || m.State != "running" || len(m.Volumes) != 1 ||
			m.Volumes[0].Size != 8 || !strings.HasPrefix(m.InstanceName, "seed-") || m.AvailabilityZoneID == "" {
			t.Errorf("metadata: got %+v, want the seeded m5.large, running, with its 8 GiB root volume", m)
		}
	}) {
		return
	}

	// Remove 100 and stop 50, spread over every region.
	var removed, stopped []string
	step := len(all) / 100
	for i := range 100 {
		removed = append(removed, all[i*step])
	}
	for i := range 50 {
		stopped = append(stopped, all[i*2*step+7])
	}
	if !t.Run("resync writes only what changed", func(t *testing.T) {
		for _, id := range removed {
			if err := cloud.RemoveInstance(id); err != nil {
				t.Fatalf("RemoveInstance: %v", err)
			}
		}
		for _, id := range stopped {
			if err := cloud.SetInstanceState(id, sim.StateStopped); err != nil {
				t.Fatalf("SetInstanceState: %v", err)
			}
		}
		store.reset()
		rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if rep.Deleted != 100 || rep.Updated != 50 || rep.Unchanged != len(all)-150 || rep.Added+rep.Failed != 0 {
			t.Errorf("report: deleted %d, updated %d, unchanged %d, added %d, failed %d; want 100, 50, %d, 0, 0",
				rep.Deleted, rep.Updated, rep.Unchanged, rep.Added, rep.Failed, len(all)-150)
		}
		ups, marks, nUps, nMarks := store.written()
		if nUps != 50 || nMarks != 100 {
			t.Errorf("rows written: %d upserted, %d marked deleted; want 50 and 100", nUps, nMarks)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(stopped)), ups); diff != "" {
			t.Errorf("upserted IDs (-stopped +upserted):\n%s", diff)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(removed)), marks); diff != "" {
			t.Errorf("marked IDs (-removed +marked):\n%s", diff)
		}
		f := ec2Only
		f.Status = "stopped"
		if got := liveTotal(t, svc, f); got != 50 {
			t.Errorf("stopped: got %d, want 50", got)
		}
	}) {
		return
	}

	t.Run("a region failing mid-listing is left untouched", func(t *testing.T) {
		failing := regions[3]
		before := regionAssets(t, svc, failing)
		var wantUps, wantMarks []string
		for _, r := range regions {
			// Running instances past the first page, which the failing
			// region lists before its failure.
			rest := slices.DeleteFunc(slices.Clone(liveIDs(cloud, r)[pageSize:]), func(id string) bool {
				return slices.Contains(stopped, id)
			})
			n := 1
			if r == failing {
				n = 10
			}
			for i := range n {
				rm, stop := rest[2*i], rest[2*i+1]
				if err := cloud.RemoveInstance(rm); err != nil {
					t.Fatalf("RemoveInstance: %v", err)
				}
				if err := cloud.SetInstanceState(stop, sim.StateStopped); err != nil {
					t.Fatalf("SetInstanceState: %v", err)
				}
				if r != failing {
					wantMarks, wantUps = append(wantMarks, rm), append(wantUps, stop)
				}
			}
		}
		cloud.InjectFault(sim.Fault{Action: "DescribeInstances", Region: failing, Code: "InternalError", Status: 500, AfterCalls: 1})
		t.Cleanup(func() { cloud.ClearFaults() })
		store.reset()
		rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
		if err == nil || !strings.Contains(err.Error(), failing) {
			t.Errorf("Sync error: got %v, want one naming %s", err, failing)
		}
		if rep == nil {
			t.Fatal("Sync returned no report")
		}
		for _, sr := range rep.Scopes {
			if sr.Failed && sr.Region != failing {
				t.Errorf("scope %s failed: %s", sr.Region, sr.Error)
			}
		}
		if rep.Failed != 1 || rep.Deleted != len(regions)-1 || rep.Updated != len(regions)-1 || rep.Added != 0 {
			t.Errorf("report: failed %d, deleted %d, updated %d, added %d; want 1, %d, %d, 0",
				rep.Failed, rep.Deleted, rep.Updated, rep.Added, len(regions)-1, len(regions)-1)
		}
		ups, marks, _, _ := store.written()
		if diff := cmp.Diff(slices.Sorted(slices.Values(wantUps)), ups); diff != "" {
			t.Errorf("upserted IDs (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(wantMarks)), marks); diff != "" {
			t.Errorf("marked IDs (-want +got):\n%s", diff)
		}
		if after := regionAssets(t, svc, failing); !reflect.DeepEqual(before, after) {
			t.Errorf("assets of the failing region changed: %d before, %d after", len(before), len(after))
		}
	})
}

// liveIDs returns the IDs of region's instances not deleted, in ID order
// (the order DescribeInstances pages them in).
func liveIDs(c *sim.Cloud, region string) []string {
	var out []string
	for _, in := range c.Instances(region) {
		if in.State != sim.StateDeleted && in.State != sim.StateDeleting {
			out = append(out, in.ID)
		}
	}
	return out
}
