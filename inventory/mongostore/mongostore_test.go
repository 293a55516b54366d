package mongostore_test

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
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
	"github.com/multicloud-ecs/multicloud/inventory/storetest"
)

// TestConformance runs the suite under each plan on each test server:
// on FerretDB over SQLite, PlanIndexes is slower but must be right, as
// PlanScans on MongoDB.
func TestConformance(t *testing.T) {
	for _, srv := range mongostoretest.Servers(t) {
		for _, plan := range []mongostore.Plan{mongostore.PlanIndexes, mongostore.PlanPushdown, mongostore.PlanScans} {
			t.Run(srv.Name+"/"+string(plan), func(t *testing.T) {
				storetest.Run(t, func(t *testing.T) inventory.Store {
					s := mongostoretest.OpenOn(t, srv.URI, func(o *mongostore.Options) { o.Plan = plan })
					if s.Plan() != plan {
						t.Fatalf("Plan: got %q, want %q", s.Plan(), plan)
					}
					return s
				})
			})
		}
	}
}

// TestPlanDetection checks the plan Open picks on each test server:
// PlanIndexes on any server but FerretDB 1.x, and on FerretDB 1.x
// PlanPushdown when it pushes an equality filter down to its backend,
// which its PostgreSQL handler does, else (its SQLite handler) PlanScans.
func TestPlanDetection(t *testing.T) {
	for _, srv := range mongostoretest.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			s := mongostoretest.OpenOn(t, srv.URI)
			var info struct {
				FerretDB string `bson:"ferretdbVersion"`
			}
			if err := s.Database().RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
				t.Fatalf("buildInfo: %v", err)
			}
			want := mongostore.PlanIndexes
			if strings.HasPrefix(info.FerretDB, "v1.") {
				// Another field than the one Open's probe filters on.
				var ex struct {
					FilterPushdown bool `bson:"filterPushdown"`
				}
				err := s.Database().RunCommand(ctx, bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: mongostore.AssetsCollection},
					{Key: "filter", Value: bson.D{{Key: "region", Value: "r"}}}}}}).Decode(&ex)
				if err != nil {
					t.Fatalf("explain: %v", err)
				}
				want = mongostore.PlanPushdown
				if !ex.FilterPushdown {
					want = mongostore.PlanScans
				}
				if srv.Name == "ferretdb-pg" && !ex.FilterPushdown {
					t.Errorf("FerretDB over PostgreSQL pushed no equality filter down")
				}
			}
			if s.Plan() != want {
				t.Errorf("Plan on a server with ferretdbVersion %q: got %q, want %q", info.FerretDB, s.Plan(), want)
			}
			_, err := mongostore.Open(ctx, srv.URI, func(o *mongostore.Options) {
				o.Database, o.Plan = mongostoretest.NewDatabaseName(), "fast"
			})
			if !errors.Is(err, multicloud.ErrInvalidArgument) {
				t.Errorf("Open with an unknown plan: got %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestOpenIsIdempotent(t *testing.T) {
	uri := mongostoretest.URI(t)
	ctx := context.Background()
	db := mongostoretest.NewDatabaseName()
	open := func() *mongostore.Store {
		t.Helper()
		s, err := mongostore.Open(ctx, uri, func(o *mongostore.Options) { o.Database = db })
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	}
	first := open()
	t.Cleanup(func() { dropCollections(first.Database()); first.Close() })
	if err := first.UpsertAssets(ctx, []inventory.Asset{testAsset(1, "Running")}); err != nil {
		t.Fatalf("UpsertAssets: %v", err)
	}
	// Opening again, twice at once, changes nothing and keeps the data.
	var wg sync.WaitGroup
	stores := make([]*mongostore.Store, 2)
	for i := range stores {
		wg.Go(func() { stores[i] = open() })
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			s.Close()
		}
	}
	n, err := first.Database().Collection(mongostore.MigrationsCollection).CountDocuments(ctx, bson.D{})
	if err != nil || n != 1 {
		t.Errorf("schema_migrations: got %d documents (%v), want 1", n, err)
	}
	specs, err := first.Database().Collection(mongostore.AssetsCollection).Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatalf("ListSpecifications: %v", err)
	}
	var names []string
	unique := map[string]bool{}
	for _, s := range specs {
		names = append(names, s.Name)
		unique[s.Name] = s.Unique != nil && *s.Unique
	}
	for _, want := range []string{"id", "scope", "tag_pairs", "tag_keys", "asset_name", "create_time"} {
		if !slices.Contains(names, want) {
			t.Errorf("assets indexes: got %v, want one named %s", names, want)
		}
	}
	if !unique["id"] {
		t.Errorf("index id is not unique")
	}
	if _, total, err := first.QueryAssets(ctx, inventory.Filter{}); err != nil || total != 1 {
		t.Errorf("after reopening: got %d assets (%v), want 1", total, err)
	}
}

func TestNewOverClient(t *testing.T) {
	uri := mongostoretest.URI(t)
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { client.Disconnect(ctx) })
	db := mongostoretest.NewDatabaseName()
	s, err := mongostore.New(ctx, client, func(o *mongostore.Options) { o.Database = db })
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { dropCollections(client.Database(db)) })
	if err := s.CreateAccount(ctx, &inventory.StoredAccount{CloudAccount: inventory.CloudAccount{ID: "a", Name: "a"}}); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The client stays the caller's: still connected after Close.
	n, err := client.Database(db).Collection(mongostore.AccountsCollection).CountDocuments(ctx, bson.D{})
	if err != nil || n != 1 {
		t.Errorf("accounts through the caller's client after Close: got %d (%v), want 1", n, err)
	}
	if _, err := mongostore.New(ctx, nil); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("New(nil client): got %v, want ErrInvalidArgument", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, uri := range []string{"postgres://localhost/db", "", "mongodb://user:pw@[::1"} {
		if _, err := mongostore.Open(ctx, uri); !errors.Is(err, multicloud.ErrInvalidArgument) {
			t.Errorf("Open(%q): got %v, want ErrInvalidArgument", uri, err)
		}
	}
	// Nothing listens on port 1: unavailable, and the password is not in the error.
	const pw = "s3cret-password-canary"
	_, err := mongostore.Open(ctx, "mongodb://user:"+pw+"@127.0.0.1:1/db?serverSelectionTimeoutMS=300&connectTimeoutMS=300",
		func(o *mongostore.Options) { o.ConnectTimeout = 2 * time.Second })
	if !errors.Is(err, multicloud.ErrUnavailable) {
		t.Errorf("Open(unreachable): got %v, want ErrUnavailable", err)
	}
	if err != nil && strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), pw) {
		t.Errorf("Open(unreachable) error carries the password: %v", err)
	}
}

// dropCollections drops the collections of db, leaving the (empty)
// database: see mongostoretest.Open.
func dropCollections(db *mongo.Database) {
	ctx := context.Background()
	names, _ := db.ListCollectionNames(ctx, bson.D{})
	for _, n := range names {
		db.Collection(n).Drop(ctx)
	}
}

// testAsset is a distinct asset of one of two scopes.
func testAsset(i int, status string) inventory.Asset {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := inventory.Asset{
		AssetID: fmt.Sprintf("i-%05d", i), AssetName: fmt.Sprintf("vm-%05d", i), AssetType: inventory.AssetTypeECS,
		Provider: "aliyun", Account: "acct", Region: []string{"cn-hangzhou", "cn-beijing"}[i%2], Zone: "z",
		Status: status, Tags: []inventory.Tag{{Key: "env", Value: "prod"}}, Cost: float64(i%5) + 0.25,
		CreateTime: base, UpdateTime: base, DiscoverTime: base.Add(time.Duration(i) * time.Second),
		Metadata: []byte(fmt.Sprintf(`{"instance_id":"i-%05d"}`, i)),
	}
	a.Hash = inventory.ContentHash(&a)
	return a
}

// TestStatisticsExactUnderConcurrentSyncsAndRetries runs syncs of the same
// scopes at once, each writing its own view of the assets, marking some
// deleted and replaying batches whose first attempt was cut off by a
// context deadline, then checks Statistics and totals against the stored
// documents.
func TestStatisticsExactUnderConcurrentSyncsAndRetries(t *testing.T) {
	s := mongostoretest.Open(t)
	ctx := context.Background()
	const n, writers, rounds = 120, 4, 2
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*4)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				var batch []inventory.Asset
				for i := range n {
					a := testAsset(i, []string{"Running", "Stopped", "Starting"}[(w+r+i)%3])
					a.Cost = float64(w*10 + r)
					a.Hash = inventory.ContentHash(&a)
					batch = append(batch, a)
				}
				// A first attempt that runs out of time part way, as a
				// lost connection would, then the retry of the batch.
				cut, cancel := context.WithTimeout(ctx, time.Duration(1+w)*time.Millisecond)
				s.UpsertAssets(cut, batch)
				cancel()
				if err := s.UpsertAssets(ctx, batch); err != nil {
					errs <- err
					return
				}
				// A completed listing that missed a few assets.
				for _, sc := range []inventory.Scope{batch[0].Scope(), batch[1].Scope()} {
					var gone []string
					for i := w + r; i < n; i += 17 {
						if batch[i].Scope() == sc {
							gone = append(gone, batch[i].AssetID)
						}
					}
					if _, err := s.MarkDeleted(ctx, sc, gone, time.Now()); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent sync: %v", err)
	}
	// What the documents say.
	var all []inventory.Asset
	for off := 0; ; off += inventory.MaxLimit {
		page, _, err := s.QueryAssets(ctx, inventory.Filter{IncludeDeleted: true, Limit: inventory.MaxLimit, Offset: off, Sort: "id"})
		if err != nil {
			t.Fatalf("QueryAssets: %v", err)
		}
		all = append(all, page...)
		if len(page) < inventory.MaxLimit {
			break
		}
	}
	if len(all) != n {
		t.Fatalf("stored assets: got %d, want %d (one per identity)", len(all), n)
	}
	ids := map[int64]bool{}
	want := inventory.NewStatistics()
	live := 0
	for _, a := range all {
		ids[a.ID] = true
		if a.DeletedAt == nil {
			live++
			want.AddGroup(a.Provider, a.AssetType, a.Region, a.Status, 1, a.Cost, a.DiscoverTime)
		}
	}
	if len(ids) != n {
		t.Errorf("distinct IDs: got %d, want %d", len(ids), n)
	}
	got, err := s.Statistics(ctx, inventory.StatsFilter{})
	if err != nil {
		t.Fatalf("Statistics: %v", err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("Statistics mismatch (-documents +statistics):\n%s", diff)
	}
	if _, total, err := s.QueryAssets(ctx, inventory.Filter{Limit: 1}); err != nil || total != live {
		t.Errorf("live total: got %d (%v), want %d", total, err, live)
	}
}

// TestSharedScopeStates calls ScopeStates for both regions of the test
// assets at once under PlanScans, so that the calls share a scan, and
// compares each answer with PlanIndexes' over the same database, after
// writes made between calls.
func TestSharedScopeStates(t *testing.T) {
	s := mongostoretest.Open(t, func(o *mongostore.Options) { o.Plan = mongostore.PlanScans })
	ctx := context.Background()
	indexed, err := mongostore.New(ctx, s.Database().Client(), func(o *mongostore.Options) {
		o.Database, o.Plan = s.Database().Name(), mongostore.PlanIndexes
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var batch []inventory.Asset
	for i := range 40 {
		batch = append(batch, testAsset(i, "Running"))
	}
	for round := range 3 {
		if round > 0 {
			// Between rounds: a status change and a deletion.
			a := testAsset(round, "Stopped")
			if err := s.UpsertAssets(ctx, []inventory.Asset{a}); err != nil {
				t.Fatalf("UpsertAssets: %v", err)
			}
			if _, err := s.MarkDeleted(ctx, batch[10+round].Scope(), []string{batch[10+round].AssetID}, time.Now()); err != nil {
				t.Fatalf("MarkDeleted: %v", err)
			}
		} else if err := s.UpsertAssets(ctx, batch); err != nil {
			t.Fatalf("UpsertAssets: %v", err)
		}
		scopes := []inventory.Scope{batch[0].Scope(), batch[1].Scope(), batch[0].Scope()}
		got := make([]map[string]inventory.AssetState, len(scopes))
		errs := make([]error, len(scopes))
		var wg sync.WaitGroup
		for i, sc := range scopes {
			wg.Go(func() { got[i], errs[i] = s.ScopeStates(ctx, sc) })
		}
		wg.Wait()
		for i, sc := range scopes {
			if errs[i] != nil {
				t.Fatalf("ScopeStates(%s): %v", sc.Region, errs[i])
			}
			want, err := indexed.ScopeStates(ctx, sc)
			if err != nil {
				t.Fatalf("ScopeStates under PlanIndexes: %v", err)
			}
			if len(want) != 20 {
				t.Fatalf("round %d, %s: PlanIndexes found %d assets, want 20", round, sc.Region, len(want))
			}
			if diff := cmp.Diff(want, got[i]); diff != "" {
				t.Errorf("round %d, %s: shared scan differs (-indexes +shared):\n%s", round, sc.Region, diff)
			}
		}
	}
}
