package aliyun_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// These tests run the whole sync chain: the aliyuntest emulator, the real
// SDK, the aliyun Discoverer, the inventory sync engine and a SQLite
// store in a file.

// countingStore is an inventory.Store that counts the rows written to it:
// assets upserted and assets marked deleted, and, when ids is set, which.
// It forwards the wrapped store's event log, so that the Service keeps
// its events where it would without the wrapper.
type countingStore struct {
	inventory.Store
	events inventory.EventLog

	mu       sync.Mutex
	upserts  int
	marks    int
	ids      bool
	upserted map[string]int // asset ID -> times upserted
	marked   map[string]int // asset ID -> times marked deleted
}

func newCountingStore(s inventory.Store, ids bool) *countingStore {
	c := &countingStore{Store: s, ids: ids}
	if ev, ok := s.(inventory.EventLog); ok {
		c.events = ev
	} else {
		// What the Service keeps for a store without one.
		c.events = &inventory.MemEventLog{Max: inventory.DefaultMemEvents}
	}
	c.reset()
	return c
}

func (c *countingStore) AppendEvents(ctx context.Context, events []inventory.AssetEvent) error {
	return c.events.AppendEvents(ctx, events)
}

func (c *countingStore) EventsAfter(ctx context.Context, after int64, limit int) ([]inventory.AssetEvent, error) {
	return c.events.EventsAfter(ctx, after, limit)
}

func (c *countingStore) UpsertAssets(ctx context.Context, assets []inventory.Asset) error {
	err := c.Store.UpsertAssets(ctx, assets)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.upserts += len(assets)
	if c.ids {
		for i := range assets {
			c.upserted[assets[i].AssetID]++
		}
	}
	return nil
}

func (c *countingStore) MarkDeleted(ctx context.Context, s inventory.Scope, assetIDs []string, at time.Time) (int, error) {
	n, err := c.Store.MarkDeleted(ctx, s, assetIDs, at)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.marks += n
	if c.ids {
		for _, id := range assetIDs {
			c.marked[id]++
		}
	}
	return n, err
}

// reset forgets the writes counted so far.
func (c *countingStore) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.upserts, c.marks = 0, 0
	c.upserted, c.marked = map[string]int{}, map[string]int{}
}

// writes returns the rows upserted and marked deleted since the last reset.
func (c *countingStore) writes() (upserts, marks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upserts, c.marks
}

// writtenIDs returns the sorted asset IDs upserted and marked deleted since
// the last reset.
func (c *countingStore) writtenIDs() (upserted, marked []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.upserted)), slices.Sorted(maps.Keys(c.marked))
}

// openSQLite opens a SQLite store in a file under dir.
func openSQLite(t testing.TB, dir string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), filepath.Join(dir, "inventory.db"))
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newInventory returns a Service over store whose aliyun connector talks
// to the emulator at host, with a fresh AES-256 key.
func newInventory(t testing.TB, store inventory.Store, host string, opts ...inventory.Option) *inventory.Service {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	kp, err := inventory.NewAESGCMKeyProvider(key)
	if err != nil {
		t.Fatalf("NewAESGCMKeyProvider: %v", err)
	}
	connector := aliyun.NewConnector(func(o *aliyun.Options) { o.Endpoint, o.Scheme = host, "HTTP" })
	svc, err := inventory.New(store, append([]inventory.Option{
		inventory.WithKeyProvider(kp),
		inventory.WithConnector(aliyun.ProviderCode, connector),
	}, opts...)...)
	if err != nil {
		t.Fatalf("inventory.New: %v", err)
	}
	return svc
}

// createAccount stores an aliyun account with the emulator's access key ID
// and the given secret.
func createAccount(t testing.TB, svc *inventory.Service, name string, secret multicloud.Secret) inventory.CloudAccount {
	t.Helper()
	acct, err := svc.CreateAccount(context.Background(), inventory.CloudAccount{
		Name: name, Provider: aliyun.ProviderCode, Environment: "test",
		AccessKeyID: aliyuntest.DefaultAccessKeyID, AccessKeySecret: secret, Region: "cn-hangzhou",
	})
	if err != nil {
		t.Fatalf("CreateAccount %s: %v", name, err)
	}
	return acct
}

// regionIDs returns the IDs of the first n default emulator regions.
func regionIDs(n int) []aliyuntest.Region {
	return aliyuntest.DefaultRegions()[:n]
}

// liveTotal returns the number of live assets a Query with f finds.
func liveTotal(t testing.TB, svc *inventory.Service, f inventory.Filter) int {
	t.Helper()
	f.Limit = 1
	res, err := svc.Query(context.Background(), f)
	if err != nil {
		t.Fatalf("Query %+v: %v", f, err)
	}
	return res.Total
}

// regionAssets returns every stored asset of region, deleted ones
// included, in asset ID order.
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

func TestSyncE2E(t *testing.T) {
	// 8 regions x 2,000 instances, as the inventory's acceptance asks;
	// under the race detector 8 x 500, the same paths at a quarter of the
	// volume (more than four pages a region, so the failure after three
	// pages below still strikes mid-listing).
	perRegion := 2000
	if raceEnabled {
		perRegion = 500
	}
	testSyncE2E(t, openSQLite(t, t.TempDir()), perRegion)
}

// testSyncE2E runs the sync chain into st, an empty store, with
// perRegion instances in each of 8 regions (a multiple of the page size,
// at least 5 pages).
func testSyncE2E(t *testing.T, st inventory.Store, perRegion int) {
	regions := regionIDs(8)
	srv := newServer(t, aliyuntest.WithRegions(regions...))
	seeded := srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: perRegion, RandSeed: 11})
	if len(seeded) != len(regions)*perRegion {
		t.Fatalf("seeded %d instances, want %d", len(seeded), len(regions)*perRegion)
	}
	store := newCountingStore(st, true)
	svc := newInventory(t, store, srv.Host(),
		inventory.WithConcurrency(len(regions)),
		inventory.WithRateLimit(rate.Inf, 0),
		inventory.WithRetry(multicloud.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	acct := createAccount(t, svc, "e2e", aliyuntest.DefaultAccessKeySecret)
	target := inventory.SyncTarget{AccountID: acct.ID}
	ecsOnly := inventory.Filter{Provider: aliyun.ProviderCode, Account: acct.ID, AssetType: inventory.AssetTypeECS}
	// ids lists every region's instances, in region then ID order.
	var ids []string
	for _, r := range regions {
		ids = append(ids, srv.InstanceIDs(r.ID)...)
	}
	// Longer than testCtx: on FerretDB under the race detector the whole
	// chain takes minutes. Up to the test binary's deadline, less a
	// margin for reporting, when it has one.
	limit := 6 * time.Minute
	if d, ok := t.Deadline(); ok {
		limit = max(limit, time.Until(d)-30*time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)

	if !t.Run("full sync stores every instance", func(t *testing.T) {
		rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if rep.Added != len(seeded) || rep.Updated+rep.Unchanged+rep.Deleted+rep.Failed != 0 || len(rep.Scopes) != len(regions) {
			t.Fatalf("report: got added %d, updated %d, unchanged %d, deleted %d, failed %d in %d scopes, want %d added in %d scopes",
				rep.Added, rep.Updated, rep.Unchanged, rep.Deleted, rep.Failed, len(rep.Scopes), len(seeded), len(regions))
		}
		for _, sr := range rep.Scopes {
			if sr.Added != perRegion || sr.Pages != perRegion/aliyun.MaxPageSize {
				t.Errorf("scope %s: got %d added in %d pages, want %d in %d", sr.Region, sr.Added, sr.Pages, perRegion, perRegion/aliyun.MaxPageSize)
			}
		}
		if ups, _ := store.writes(); ups != len(seeded) {
			t.Errorf("rows upserted: got %d, want %d", ups, len(seeded))
		}
		if got := liveTotal(t, svc, ecsOnly); got != len(seeded) {
			t.Errorf("Query total: got %d, want %d", got, len(seeded))
		}
		stats, err := svc.Statistics(ctx, inventory.StatsFilter{Provider: aliyun.ProviderCode})
		if err != nil {
			t.Fatalf("Statistics: %v", err)
		}
		wantRegions := map[string]int{}
		for _, r := range regions {
			wantRegions[r.ID] = perRegion
		}
		if stats.TotalAssets != len(seeded) || stats.AssetTypeStats[inventory.AssetTypeECS] != len(seeded) ||
			stats.StatusStats["Running"] != len(seeded) || !maps.Equal(stats.RegionStats, wantRegions) {
			t.Errorf("Statistics: got %+v, want %d Running ECS assets, %d per region", stats, len(seeded), perRegion)
		}
		// Exactly the seeded instances, no more, no fewer.
		var stored []string
		for _, r := range regions {
			st, err := store.ScopeStates(ctx, inventory.Scope{Provider: aliyun.ProviderCode, Account: acct.ID,
				AssetType: inventory.AssetTypeECS, Region: r.ID})
			if err != nil {
				t.Fatalf("ScopeStates %s: %v", r.ID, err)
			}
			stored = append(stored, slices.Collect(maps.Keys(st))...)
		}
		slices.Sort(stored)
		if diff := cmp.Diff(slices.Sorted(slices.Values(seeded)), stored); diff != "" {
			t.Errorf("stored asset IDs (-seeded +stored):\n%s", diff)
		}
		// Names seed-400 (public IP, n%4 == 0), seed-401 (none) and the last in two
		// regions: the metadata must be what the API says of the instance
		// and its disks.
		for _, r := range []string{regions[0].ID, regions[5].ID} {
			for _, n := range []int{400, 401, perRegion - 1} {
				checkAgainstAPI(t, svc, srv, r, "seed-"+strconv.Itoa(n), n%4 == 0)
			}
		}
	}) {
		return
	}

	// Delete 100 and stop 50, spread evenly over every region.
	var deleted, stopped []string
	step := len(ids) / 100
	for i := range 100 {
		deleted = append(deleted, ids[i*step])
	}
	for i := range 50 {
		stopped = append(stopped, ids[i*2*step+7])
	}
	if !t.Run("resync writes only what changed", func(t *testing.T) {
		for _, id := range deleted {
			if err := srv.RemoveInstance(id); err != nil {
				t.Fatalf("RemoveInstance: %v", err)
			}
		}
		for _, id := range stopped {
			if err := srv.SetInstanceStatus(id, "Stopped"); err != nil {
				t.Fatalf("SetInstanceStatus: %v", err)
			}
		}
		store.reset()
		rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if rep.Deleted != 100 || rep.Updated != 50 || rep.Unchanged != len(seeded)-150 || rep.Added+rep.Undeleted+rep.Failed != 0 {
			t.Errorf("report: got deleted %d, updated %d, unchanged %d, added %d, undeleted %d, failed %d; want 100, 50, %d, 0, 0, 0",
				rep.Deleted, rep.Updated, rep.Unchanged, rep.Added, rep.Undeleted, rep.Failed, len(seeded)-150)
		}
		ups, marks := store.writes()
		upIDs, markIDs := store.writtenIDs()
		if ups != 50 || marks != 100 {
			t.Errorf("rows written: got %d upserted and %d marked deleted, want 50 and 100", ups, marks)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(stopped)), upIDs); diff != "" {
			t.Errorf("upserted IDs (-stopped +upserted):\n%s", diff)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(deleted)), markIDs); diff != "" {
			t.Errorf("marked IDs (-deleted +marked):\n%s", diff)
		}
		if got := liveTotal(t, svc, ecsOnly); got != len(seeded)-100 {
			t.Errorf("live Query total: got %d, want %d", got, len(seeded)-100)
		}
		all := ecsOnly
		all.IncludeDeleted = true
		if got := liveTotal(t, svc, all); got != len(seeded) {
			t.Errorf("Query total with deleted: got %d, want %d", got, len(seeded))
		}
		st := ecsOnly
		st.Status = "Stopped"
		if got := liveTotal(t, svc, st); got != 50 {
			t.Errorf("Stopped: got %d, want 50", got)
		}
		stats, err := svc.Statistics(ctx, inventory.StatsFilter{Provider: aliyun.ProviderCode})
		if err != nil {
			t.Fatalf("Statistics: %v", err)
		}
		if stats.TotalAssets != len(seeded)-100 || stats.StatusStats["Stopped"] != 50 || stats.StatusStats["Running"] != len(seeded)-150 {
			t.Errorf("Statistics: got total %d, status %v, want %d, 50 Stopped", stats.TotalAssets, stats.StatusStats, len(seeded)-100)
		}
	}) {
		return
	}

	t.Run("a region failing mid-listing is left untouched", func(t *testing.T) {
		failing := regions[3].ID
		before := regionAssets(t, svc, failing)
		// In the failing region, change instances past the three pages
		// listed before the failure (instances are listed in ID order);
		// elsewhere, one removal and one stop each. The failing region's
		// changes must not reach the store: its listing is incomplete.
		var wantUpserted, wantMarked []string
		for _, r := range regions {
			// Running instances past the fourth page.
			rids := slices.DeleteFunc(srv.InstanceIDs(r.ID)[4*aliyun.MaxPageSize:], func(id string) bool {
				return slices.Contains(stopped, id)
			})
			n := 1
			if r.ID == failing {
				n = 10
			}
			for i := range n {
				rm, stop := rids[2*i], rids[2*i+1]
				if err := srv.RemoveInstance(rm); err != nil {
					t.Fatalf("RemoveInstance: %v", err)
				}
				if err := srv.SetInstanceStatus(stop, "Stopped"); err != nil {
					t.Fatalf("SetInstanceStatus: %v", err)
				}
				if r.ID != failing {
					wantMarked, wantUpserted = append(wantMarked, rm), append(wantUpserted, stop)
				}
			}
		}
		srv.InjectFault(sim.Fault{Action: "DescribeInstances", Region: failing, Code: "InternalError", Status: 500, AfterCalls: 3})
		t.Cleanup(func() { srv.ClearFaults() })
		store.reset()
		rep, err := svc.Sync(ctx, target, inventory.SyncOptions{})
		if err == nil || !strings.Contains(err.Error(), failing) || !strings.Contains(err.Error(), "InternalError") {
			t.Errorf("Sync error: got %v, want one naming %s and InternalError", err, failing)
		}
		if rep == nil {
			t.Fatal("Sync returned no report")
		}
		if rep.Failed != 1 || rep.Deleted != len(regions)-1 || rep.Updated != len(regions)-1 || rep.Added+rep.Undeleted != 0 {
			t.Errorf("report: got failed %d, deleted %d, updated %d, added %d, undeleted %d; want 1, %d, %d, 0, 0",
				rep.Failed, rep.Deleted, rep.Updated, rep.Added, rep.Undeleted, len(regions)-1, len(regions)-1)
		}
		for _, sr := range rep.Scopes {
			if sr.Region != failing {
				if sr.Failed || sr.Deleted != 1 || sr.Updated != 1 {
					t.Errorf("scope %s: got failed %v (%s), deleted %d, updated %d, want synced with 1 deleted and 1 updated",
						sr.Region, sr.Failed, sr.Error, sr.Deleted, sr.Updated)
				}
				continue
			}
			if !sr.Failed || !strings.Contains(sr.Error, "InternalError") || sr.Pages != 3 || sr.Deleted+sr.Updated+sr.Added != 0 {
				t.Errorf("failing scope %s: got failed %v, error %q, %d pages, deleted %d, updated %d, added %d; want failed with InternalError after 3 pages, nothing written",
					sr.Region, sr.Failed, sr.Error, sr.Pages, sr.Deleted, sr.Updated, sr.Added)
			}
		}
		upIDs, markIDs := store.writtenIDs()
		if diff := cmp.Diff(slices.Sorted(slices.Values(wantUpserted)), upIDs); diff != "" {
			t.Errorf("upserted IDs (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(wantMarked)), markIDs); diff != "" {
			t.Errorf("marked IDs (-want +got):\n%s", diff)
		}
		// DeepEqual first: cmp.Diff of thousands of assets takes seconds.
		if after := regionAssets(t, svc, failing); !reflect.DeepEqual(before, after) {
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("assets of the failing region changed (-before +after):\n%s", diff)
			}
		}
		got, err := svc.GetAccount(ctx, acct.ID)
		if err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		if got.LastSyncStatus != "partial" || !strings.Contains(got.LastSyncError, failing) {
			t.Errorf("account: got last sync %q (%q), want partial naming %s", got.LastSyncStatus, got.LastSyncError, failing)
		}
	})
}

// checkAgainstAPI finds the asset named name in region and compares its
// metadata with what DescribeInstances and DescribeDisks say of it.
func checkAgainstAPI(t *testing.T, svc *inventory.Service, srv *aliyuntest.Server, region, name string, wantPublicIP bool) {
	t.Helper()
	ctx := context.Background()
	res, err := svc.Query(ctx, inventory.Filter{Region: region, Name: name, Limit: inventory.MaxLimit})
	if err != nil {
		t.Fatalf("Query %s %s: %v", region, name, err)
	}
	i := slices.IndexFunc(res.Assets, func(a inventory.Asset) bool { return a.AssetName == name })
	if i < 0 {
		t.Fatalf("Query %s name %s: no asset so named among %d", region, name, len(res.Assets))
	}
	a := res.Assets[i]
	var m inventory.ECSMetadata
	if err := a.DecodeMetadata(&m); err != nil {
		t.Fatalf("metadata of %s: %v", a.AssetID, err)
	}

	client, _ := sdkClients(t, srv)
	ireq := ecs.CreateDescribeInstancesRequest()
	ireq.RegionId = region
	ids, _ := json.Marshal([]string{a.AssetID})
	ireq.InstanceIds = string(ids)
	iresp, err := client.DescribeInstances(ireq)
	if err != nil || len(iresp.Instances.Instance) != 1 {
		t.Fatalf("DescribeInstances %s: got %v, %v, want the instance", a.AssetID, iresp, err)
	}
	in := iresp.Instances.Instance[0]
	dreq := ecs.CreateDescribeDisksRequest()
	dreq.RegionId, dreq.InstanceId, dreq.PageSize = region, a.AssetID, "100"
	dresp, err := client.DescribeDisks(dreq)
	if err != nil || len(dresp.Disks.Disk) == 0 {
		t.Fatalf("DescribeDisks %s: got %v, %v, want its disks", a.AssetID, dresp, err)
	}

	var wantSys inventory.DataDisk
	var wantData []string
	for _, d := range dresp.Disks.Disk {
		if d.Type == "system" {
			wantSys = inventory.DataDisk{Category: d.Category, Size: d.Size}
		} else {
			wantData = append(wantData, d.DiskId+"/"+d.Category+"/"+strconv.Itoa(d.Size))
		}
	}
	var gotData []string
	for _, d := range m.DataDisks {
		gotData = append(gotData, d.DiskID+"/"+d.Category+"/"+strconv.Itoa(d.Size))
	}
	slices.Sort(wantData)
	var wantTags []inventory.Tag
	for _, tg := range in.Tags.Tag {
		wantTags = append(wantTags, inventory.Tag{Key: tg.TagKey, Value: tg.TagValue})
	}
	slices.SortFunc(wantTags, func(x, y inventory.Tag) int { return strings.Compare(x.Key, y.Key) })
	type facts struct {
		ID, Status, Zone, Type, VPC, VSwitch string
		CPU, MemoryMiB                       int
		SystemDisk                           inventory.DataDisk
		DataDisks                            []string
		PrivateIP                            []string
		HasPublicIP                          bool
		Tags                                 []inventory.Tag
	}
	got := facts{a.AssetID, a.Status, a.Zone, m.InstanceType, m.VPCID, m.VSwitchID, m.CPU, m.Memory,
		inventory.DataDisk{Category: m.SystemDiskCategory, Size: m.SystemDiskSize}, gotData, m.PrivateIP, len(m.PublicIP) > 0, m.Tags}
	want := facts{in.InstanceId, in.Status, in.ZoneId, in.InstanceType, in.VpcAttributes.VpcId, in.VpcAttributes.VSwitchId,
		in.Cpu, in.Memory, wantSys, wantData, in.VpcAttributes.PrivateIpAddress.IpAddress, wantPublicIP, wantTags}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %s (%s): metadata differs from the API (-api +stored):\n%s", region, name, a.AssetID, diff)
	}
	if m.CPU == 0 || m.Memory < 1024 || m.VPCID == "" || len(m.PrivateIP) == 0 || wantSys.Size == 0 {
		t.Errorf("%s %s: cpu %d, memory %d MiB, vpc %q, private %v, system disk %+v: want all set", region, name, m.CPU, m.Memory, m.VPCID, m.PrivateIP, wantSys)
	}
	if !slices.Equal(a.Tags, m.Tags) || !slices.ContainsFunc(a.Tags, func(tg inventory.Tag) bool { return tg.Key == aliyuntest.OwnerTagKey && tg.Value == "seed" }) {
		t.Errorf("%s %s: asset tags %v, metadata tags %v, want equal and holding %s=seed", region, name, a.Tags, m.Tags, aliyuntest.OwnerTagKey)
	}
}

func TestSyncE2EConnection(t *testing.T) {
	srv := newServer(t, aliyuntest.WithRegions(regionIDs(2)...))
	store := openSQLite(t, t.TempDir())
	svc := newInventory(t, store, srv.Host())
	ctx := testCtx(t)

	good := createAccount(t, svc, "good", aliyuntest.DefaultAccessKeySecret)
	if good.AccessKeySecret != inventory.MaskSecret(aliyuntest.DefaultAccessKeyID) {
		t.Errorf("CreateAccount returned secret %q, want the mask", string(good.AccessKeySecret))
	}
	stored, err := store.GetAccount(ctx, good.ID)
	if err != nil {
		t.Fatalf("store.GetAccount: %v", err)
	}
	if len(stored.SecretCiphertext) == 0 || strings.Contains(string(stored.SecretCiphertext), aliyuntest.DefaultAccessKeySecret) || stored.AccessKeySecret != "" {
		t.Errorf("stored account: ciphertext %q, secret %q, want a sealed secret only", stored.SecretCiphertext, string(stored.AccessKeySecret))
	}
	res, err := svc.TestConnection(ctx, good.ID)
	if err != nil || !res.OK || res.Latency <= 0 || res.ErrorKind != "" {
		t.Errorf("TestConnection good: got %+v, %v, want ok with a latency", res, err)
	}
	if got, err := svc.GetAccount(ctx, good.ID); err != nil || !got.LastTestOK || got.LastTestTime == nil {
		t.Errorf("account after a good test: got %+v, %v, want LastTestOK", got, err)
	}

	const wrong = "not-the-secret"
	bad := createAccount(t, svc, "bad", wrong)
	res, err = svc.TestConnection(ctx, bad.ID)
	if err != nil || res.OK || res.ErrorKind != inventory.ErrorSignatureMismatch {
		t.Errorf("TestConnection wrong secret: got %+v, %v, want a signature mismatch", res, err)
	}
	if strings.Contains(res.Error, wrong) {
		t.Errorf("TestConnection error %q reveals the secret", res.Error)
	}
	if got, err := svc.GetAccount(ctx, bad.ID); err != nil || got.LastTestOK || got.LastTestError == "" {
		t.Errorf("account after a failed test: got %+v, %v, want the failure recorded", got, err)
	}
	if _, err := svc.Sync(ctx, inventory.SyncTarget{AccountID: bad.ID}, inventory.SyncOptions{}); !errors.Is(err, multicloud.ErrPermissionDenied) {
		t.Errorf("Sync with a wrong secret: got %v, want ErrPermissionDenied", err)
	}
}
