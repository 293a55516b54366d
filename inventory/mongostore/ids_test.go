package mongostore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
)

// openSecond opens another Store, over a client of its own, on the
// database of s: a writer in another process, as far as the server can
// tell.
func openSecond(t *testing.T, s *mongostore.Store) *mongostore.Store {
	t.Helper()
	other, err := mongostore.Open(context.Background(), mongostoretest.URI(t),
		func(o *mongostore.Options) { o.Database = s.Database().Name() })
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// storedIDs returns the asset ID of every stored document, by identity.
func storedIDs(t *testing.T, s *mongostore.Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	cur, err := s.Database().Collection(mongostore.AssetsCollection).Find(ctx, bson.D{},
		options.Find().SetProjection(bson.D{{Key: "id", Value: 1}}))
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	var docs []struct {
		Key string `bson:"_id"`
		ID  int64  `bson:"id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatalf("Find: %v", err)
	}
	out := map[string]int64{}
	for _, d := range docs {
		out[d.Key] = d.ID
	}
	return out
}

// TestIDsUniqueAcrossClients writes new assets through two stores with
// separate clients at once, several writers each, the identities of the
// writers overlapping, and checks that every identity is stored once with
// an ID no other document has.
func TestIDsUniqueAcrossClients(t *testing.T) {
	a := mongostoretest.Open(t)
	b := openSecond(t, a)
	ctx := context.Background()
	const writers, batches, batchSize = 3, 4, 60
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*batches)
	want := map[string]bool{}
	for si, s := range []*mongostore.Store{a, b} {
		for w := range writers {
			var all [][]inventory.Asset
			for k := range batches {
				var batch []inventory.Asset
				for i := range batchSize {
					// Half of each batch is the writer's own, half is
					// shared by the same writer number of both stores.
					n := (w*batches+k)*batchSize + i
					if i%2 == 0 {
						n += (si + 1) * 100000
					}
					as := testAsset(n, "Running")
					want[as.AssetID] = true
					batch = append(batch, as)
				}
				all = append(all, batch)
			}
			wg.Go(func() {
				for _, batch := range all {
					if err := s.UpsertAssets(ctx, batch); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("UpsertAssets: %v", err)
	}
	got := storedIDs(t, a)
	if len(got) != len(want) {
		t.Errorf("stored documents: got %d, want %d, one per identity", len(got), len(want))
	}
	owner := map[int64]string{}
	for key, id := range got {
		if id <= 0 {
			t.Errorf("%s: ID %d, want a positive one", key, id)
		}
		if prev, dup := owner[id]; dup {
			t.Errorf("ID %d given to %s and %s", id, prev, key)
		}
		owner[id] = key
	}
	// Every asset reads back, with its ID, through either store.
	for _, s := range []*mongostore.Store{a, b} {
		_, total, err := s.QueryAssets(ctx, inventory.Filter{Limit: 1})
		if err != nil || total != len(want) {
			t.Errorf("QueryAssets total: got %d (%v), want %d", total, err, len(want))
		}
	}
}

// TestIDsAfterTakenBlocksAndOldCounter checks where a new store starts:
// above every claimed block, and above the IDs the $inc counter of layout
// version 1 gave.
func TestIDsAfterTakenBlocksAndOldCounter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		seq    int64 // the old counter; 0 for none
		claims []int64
		min    int64 // the least ID the first insert may get
	}{
		{"empty", 0, nil, 1},
		{"old counter", 4321, nil, 4322},
		{"old counter at a block's end", 3 * mongostore.IDBlockSize, nil, 3*mongostore.IDBlockSize + 1},
		{"claimed blocks", 0, []int64{0, 1, 5}, 6*mongostore.IDBlockSize + 1},
		{"both", 10*mongostore.IDBlockSize + 1, []int64{2}, 11*mongostore.IDBlockSize + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mongostoretest.Open(t)
			ctx := context.Background()
			counters := s.Database().Collection(mongostore.CountersCollection)
			if _, err := counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: "assets"}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: tc.seq}}}}, options.UpdateOne().SetUpsert(true)); err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.claims {
				if _, err := counters.InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("assets/%016d", c)}}); err != nil {
					t.Fatal(err)
				}
			}
			// A fresh store, which has not looked at the claims yet.
			fresh := openSecond(t, s)
			if err := fresh.UpsertAssets(ctx, []inventory.Asset{testAsset(1, "Running"), testAsset(2, "Running")}); err != nil {
				t.Fatalf("UpsertAssets: %v", err)
			}
			ids := storedIDs(t, s)
			if len(ids) != 2 {
				t.Fatalf("stored: got %v, want 2 documents", ids)
			}
			for key, id := range ids {
				if id < tc.min || id >= tc.min+mongostore.IDBlockSize {
					t.Errorf("%s: got ID %d, want one of the first free block, from %d", key, id, tc.min)
				}
			}
		})
	}
}
