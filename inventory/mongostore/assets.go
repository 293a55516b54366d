package mongostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/multicloud-ecs/multicloud/inventory"
)

const (
	// writeChunk is the most assets one bulk write carries.
	writeChunk = 1000
	// idChunk is the most asset IDs one $in list carries.
	idChunk = 1000
	// dupRetries bounds how often UpsertAssets writes again the inserts
	// that lost a race with a concurrent insert of the same identity.
	dupRetries = 5
	// assetSequence names the asset ID sequence in CountersCollection:
	// the prefix of its block claims (see IDBlockSize) and the _id of the
	// counter layout version 1 kept.
	assetSequence = "assets"
)

// assetDoc is a document of AssetsCollection, in the asset JSON's field
// names. _id is the asset's identity (see assetKey); id is its ID.
type assetDoc struct {
	Key          string     `bson:"_id"`
	ID           int64      `bson:"id"`
	AssetID      string     `bson:"asset_id"`
	AssetName    string     `bson:"asset_name"`
	AssetType    string     `bson:"asset_type"`
	Provider     string     `bson:"provider"`
	Account      string     `bson:"account"`
	Region       string     `bson:"region"`
	Zone         string     `bson:"zone"`
	Status       string     `bson:"status"`
	Tags         []tagDoc   `bson:"tags"`
	TagPairs     []string   `bson:"tag_pairs"` // tagPair of each tag: what a key=value filter matches
	TagKeys      []string   `bson:"tag_keys"`  // each tag's key: what a key filter matches
	Metadata     *string    `bson:"metadata"`  // the JSON text; null when none
	Cost         float64    `bson:"cost"`
	Hash         string     `bson:"content_hash"`
	CreateTime   time.Time  `bson:"create_time"`
	UpdateTime   time.Time  `bson:"update_time"`
	DiscoverTime time.Time  `bson:"discover_time"`
	DeletedAt    *time.Time `bson:"deleted_at"`
}

// tagDoc is one element of an asset's tags.
type tagDoc struct {
	Key   string `bson:"key"`
	Value string `bson:"value"`
}

func tagDocs(tags []inventory.Tag) []tagDoc {
	out := make([]tagDoc, len(tags))
	for i, t := range tags {
		out[i] = tagDoc(t)
	}
	return out
}

// tagPair encodes a tag as one string, "key=value" with "\\" and "=" in
// the key escaped by a backslash, so that no two tags share an encoding.
func tagPair(t inventory.Tag) string {
	return strings.NewReplacer(`\`, `\\`, "=", `\=`).Replace(t.Key) + "=" + t.Value
}

// tagIndex returns the tag_pairs and tag_keys of tags.
func tagIndex(tags []inventory.Tag) (pairs, keys []string) {
	pairs, keys = make([]string, 0, len(tags)), make([]string, 0, len(tags))
	for _, t := range tags {
		pairs = append(pairs, tagPair(t))
		if !slices.Contains(keys, t.Key) {
			keys = append(keys, t.Key)
		}
	}
	return pairs, keys
}

func (d *assetDoc) asset() inventory.Asset {
	a := inventory.Asset{
		ID: d.ID, AssetID: d.AssetID, AssetName: d.AssetName, AssetType: d.AssetType, Provider: d.Provider,
		Account: d.Account, Region: d.Region, Zone: d.Zone, Status: d.Status, Cost: d.Cost, Hash: d.Hash,
		CreateTime: d.CreateTime.UTC(), UpdateTime: d.UpdateTime.UTC(), DiscoverTime: d.DiscoverTime.UTC(),
		DeletedAt: utcPtr(d.DeletedAt),
	}
	a.Tags = make([]inventory.Tag, len(d.Tags))
	for i, t := range d.Tags {
		a.Tags[i] = inventory.Tag(t)
	}
	if d.Metadata != nil {
		a.Metadata = []byte(*d.Metadata)
	}
	return a
}

// assetKey is the _id of the asset with the given identity: provider,
// account, asset type and asset ID joined by "/", each with "\\" and "/"
// escaped by a backslash, so no two identities share a key. Keying
// documents by identity makes an upsert a single-document write on _id,
// which MongoDB does atomically, and the one lookup FerretDB 1.x serves
// from SQLite's primary key.
func assetKey(a *inventory.Asset) string {
	return identityKey(a.Provider, a.Account, a.AssetType, a.AssetID)
}

// keyEscaper escapes the parts of an identity key.
var keyEscaper = strings.NewReplacer(`\`, `\\`, "/", `\/`)

// identityKey is assetKey of the asset with the given identity.
func identityKey(provider, account, assetType, assetID string) string {
	return keyEscaper.Replace(provider) + "/" + keyEscaper.Replace(account) + "/" + keyEscaper.Replace(assetType) + "/" + keyEscaper.Replace(assetID)
}

// scopeFilter selects the assets of a scope.
func scopeFilter(sc inventory.Scope) bson.D {
	return bson.D{{Key: "account", Value: sc.Account}, {Key: "region", Value: sc.Region},
		{Key: "asset_type", Value: sc.AssetType}, {Key: "provider", Value: sc.Provider}}
}

// fields returns the $set of an upsert of a: every field but _id, id and
// create_time.
func fields(a *inventory.Asset) bson.D {
	var meta any
	if len(a.Metadata) > 0 {
		meta = string(a.Metadata)
	}
	var deleted any
	if a.DeletedAt != nil {
		deleted = a.DeletedAt.UTC()
	}
	pairs, keys := tagIndex(a.Tags)
	return bson.D{
		{Key: "asset_id", Value: a.AssetID}, {Key: "asset_type", Value: a.AssetType}, {Key: "provider", Value: a.Provider},
		{Key: "account", Value: a.Account}, {Key: "asset_name", Value: a.AssetName}, {Key: "region", Value: a.Region}, {Key: "zone", Value: a.Zone},
		{Key: "status", Value: a.Status}, {Key: "tags", Value: tagDocs(a.Tags)}, {Key: "tag_pairs", Value: pairs},
		{Key: "tag_keys", Value: keys}, {Key: "metadata", Value: meta},
		{Key: "cost", Value: a.Cost}, {Key: "content_hash", Value: a.Hash}, {Key: "update_time", Value: a.UpdateTime.UTC()},
		{Key: "discover_time", Value: a.DiscoverTime.UTC()}, {Key: "deleted_at", Value: deleted},
	}
}

// ScopeStates implements inventory.Store.
func (s *Store) ScopeStates(ctx context.Context, sc inventory.Scope) (map[string]inventory.AssetState, error) {
	if s.plan == PlanScans {
		return s.scopeStatesShared(ctx, sc)
	}
	cur, err := s.assets.Find(ctx, scopeFilter(sc), options.Find().SetProjection(
		bson.D{{Key: "asset_id", Value: 1}, {Key: "content_hash", Value: 1}, {Key: "deleted_at", Value: 1}, {Key: "status", Value: 1}}))
	if err != nil {
		return nil, wrap("scope states", err)
	}
	defer cur.Close(ctx)
	out := map[string]inventory.AssetState{}
	for cur.Next(ctx) {
		var d struct {
			AssetID   string     `bson:"asset_id"`
			Hash      string     `bson:"content_hash"`
			DeletedAt *time.Time `bson:"deleted_at"`
			Status    string     `bson:"status"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, wrap("scope states", err)
		}
		out[d.AssetID] = inventory.AssetState{Hash: d.Hash, Deleted: d.DeletedAt != nil, Status: d.Status}
	}
	return out, wrap("scope states", cur.Err())
}

type ident struct{ provider, account, assetType, assetID string }

func identOf(a *inventory.Asset) ident { return ident{a.Provider, a.Account, a.AssetType, a.AssetID} }

// UpsertAssets implements inventory.Store without a multi-document
// transaction. Each asset is one document, keyed by its identity, written
// whole by one single-document write: an insert when the identity is
// new, with a fresh ID from the store's claimed block (see IDBlockSize)
// and the create time, else an upsert on _id that sets every other field.
// IDs are unique across every writer of the database but not dense: a
// write that updates leaves its reserved ID unused. A write that meets a concurrent write of the same identity
// fails on the unique _id and is written again, then updating. A batch
// that fails part way leaves the assets it wrote written, each document
// whole; writing the batch again completes it. The sync engine writes
// only the assets whose content hash changed; MongoDB does not write a
// document that an update leaves as it is.
func (s *Store) UpsertAssets(ctx context.Context, assets []inventory.Asset) error {
	if len(assets) == 0 {
		return ctx.Err()
	}
	// Keep the last of each identity.
	last := make(map[ident]int, len(assets))
	for i := range assets {
		last[identOf(&assets[i])] = i
	}
	batch := make([]*inventory.Asset, 0, len(last))
	for i := range assets {
		if last[identOf(&assets[i])] == i {
			batch = append(batch, &assets[i])
		}
	}
	for start := 0; start < len(batch); start += writeChunk {
		chunk := batch[start:min(start+writeChunk, len(batch))]
		for attempt := 0; len(chunk) > 0; attempt++ {
			if attempt > dupRetries {
				return fmt.Errorf("mongostore: upsert assets: %d upserts still conflict after %d attempts", len(chunk), attempt)
			}
			var err error
			s.lockWrites()
			chunk, err = s.upsertChunk(ctx, chunk)
			s.unlockWrites()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// upsertChunk writes the chunk and returns the assets whose write failed
// on a unique index, for the caller to write again. It inserts the chunk
// first, the whole of a first sync in one command, then upserts the
// assets whose identity was stored already.
func (s *Store) upsertChunk(ctx context.Context, chunk []*inventory.Asset) ([]*inventory.Asset, error) {
	ids, err := s.nextIDs(ctx, len(chunk))
	if err != nil {
		return nil, err
	}
	docs := make([]any, len(chunk))
	for i, a := range chunk {
		docs[i] = append(bson.D{{Key: "_id", Value: assetKey(a)}, {Key: "id", Value: ids[i]},
			{Key: "create_time", Value: a.CreateTime.UTC()}}, fields(a)...)
	}
	_, err = s.assets.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	stored, err := duplicates(err, len(chunk))
	if err != nil {
		return nil, wrap("upsert assets: insert", err)
	}
	if len(stored) == 0 {
		return nil, nil
	}
	models := make([]mongo.WriteModel, len(stored))
	for i, k := range stored {
		a := chunk[k]
		// An update-many of one _id is the same write as an update-one.
		// FerretDB 1.x holds a SQLite connection per update-one
		// statement until the whole command ends, so a few commands of
		// hundreds of them exhaust its pool and wait forever; an
		// update-many releases it per statement.
		models[i] = mongo.NewUpdateManyModel().SetFilter(idFilter(assetKey(a))).SetUpsert(true).SetUpdate(bson.D{
			{Key: "$set", Value: fields(a)},
			{Key: "$setOnInsert", Value: bson.D{{Key: "id", Value: ids[k]}, {Key: "create_time", Value: a.CreateTime.UTC()}}},
		})
	}
	_, err = s.assets.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	failed, err := duplicates(err, len(models))
	if err != nil {
		return nil, wrap("upsert assets", err)
	}
	// The upserts that failed on a unique index: their identity was
	// deleted and inserted again since the insert (written again, they
	// update it), or their ID collided with one that a store of an older
	// layout gave from its $inc counter (written again, they take a new
	// one).
	var again []*inventory.Asset
	for _, i := range failed {
		again = append(again, chunk[stored[i]])
	}
	return again, nil
}

// duplicates returns the indexes of the writes of an unordered bulk of n
// that err reports as failed on a unique index. Any other error is
// returned.
func duplicates(err error, n int) ([]int, error) {
	if err == nil {
		return nil, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return nil, err
	}
	var out []int
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) || we.Index < 0 || we.Index >= n {
			return nil, err
		}
		out = append(out, we.Index)
	}
	return out, nil
}

// MarkDeleted implements inventory.Store, under either plan: one update
// per chunk of IDs, of the live documents with those _ids in the scope's
// region. MongoDB marks each document at most once, so the count is exact
// whatever runs at the same time.
func (s *Store) MarkDeleted(ctx context.Context, sc inventory.Scope, assetIDs []string, at time.Time) (int, error) {
	total := 0
	for start := 0; start < len(assetIDs); start += idChunk {
		chunk := assetIDs[start:min(start+idChunk, len(assetIDs))]
		keys := make([]string, len(chunk))
		for i, id := range chunk {
			keys[i] = identityKey(sc.Provider, sc.Account, sc.AssetType, id)
		}
		f := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: keys}}}, {Key: "region", Value: sc.Region},
			{Key: "deleted_at", Value: nil}}
		s.lockWrites()
		res, err := s.assets.UpdateMany(ctx, f, bson.D{{Key: "$set", Value: bson.D{{Key: "deleted_at", Value: at.UTC()}}}})
		s.unlockWrites()
		if err != nil {
			return total, wrap("mark deleted", err)
		}
		total += int(res.ModifiedCount)
	}
	return total, nil
}
