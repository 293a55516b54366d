package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// migration is one version of the database layout. apply must be
// idempotent: two stores opening at once may both run it before either
// records it, and a failure between apply and the record runs it again.
type migration struct {
	version int
	name    string
	apply   func(ctx context.Context, db *mongo.Database) error
}

// migrations returns the layout versions in order. A new collection is a
// new entry: its createCollection and createIndexes calls, with a version
// above the last.
func migrations() []migration {
	return []migration{
		{1, "accounts, assets and the asset ID sequence", func(ctx context.Context, db *mongo.Database) error {
			if err := createCollections(ctx, db, AccountsCollection, AssetsCollection, CountersCollection); err != nil {
				return err
			}
			// The asset ID sequence exists before any writer asks for an
			// ID, so no two writers race to create it.
			if _, err := db.Collection(CountersCollection).UpdateOne(ctx, idFilter(assetSequence),
				bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "seq", Value: int64(0)}}}},
				options.UpdateOne().SetUpsert(true)); err != nil && !mongo.IsDuplicateKeyError(err) {
				return fmt.Errorf("create the asset ID sequence: %w", err)
			}
			if err := createIndexes(ctx, db.Collection(AccountsCollection),
				index("name_unique", true, "name", 1),
			); err != nil {
				return err
			}
			return createIndexes(ctx, db.Collection(AssetsCollection),
				// The asset ID; the identity is the _id.
				index("id", true, "id", 1),
				// A reconcile scope: ScopeStates, MarkDeleted and
				// account filters.
				index("scope", false, "account", 1, "region", 1, "asset_type", 1, "provider", 1),
				// A tag filter is an equality match on one element of
				// an array: tag_pairs for key=value, tag_keys for a key.
				index("tag_pairs", false, "tag_pairs", 1),
				index("tag_keys", false, "tag_keys", 1),
				// Name search scans this index's keys; it also serves
				// the sort by name.
				index("asset_name", false, "asset_name", 1, "id", 1),
				// The default sort, newest first, and the other filters.
				index("create_time", false, "create_time", 1, "id", 1),
				// The latest discover time of Statistics.
				index("discover_time", false, "discover_time", 1),
				index("region", false, "region", 1, "status", 1),
				index("status", false, "status", 1),
				index("provider_type", false, "provider", 1, "asset_type", 1),
			)
		}},
	}
}

// index describes an index over keys, given as name, direction pairs.
func index(name string, unique bool, keys ...any) mongo.IndexModel {
	var d bson.D
	for i := 0; i+1 < len(keys); i += 2 {
		d = append(d, bson.E{Key: keys[i].(string), Value: keys[i+1]})
	}
	o := options.Index().SetName(name)
	if unique {
		o.SetUnique(true)
	}
	return mongo.IndexModel{Keys: d, Options: o}
}

// createCollections creates the named collections, leaving existing ones.
func createCollections(ctx context.Context, db *mongo.Database, names ...string) error {
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return err
	}
	for _, n := range names {
		exists := false
		for _, h := range have {
			exists = exists || h == n
		}
		if exists {
			continue
		}
		if err := db.CreateCollection(ctx, n); err != nil && !isNamespaceExists(err) {
			return fmt.Errorf("create collection %s: %w", n, err)
		}
	}
	return nil
}

// isNamespaceExists reports the error of creating a collection that a
// concurrent Open created first.
func isNamespaceExists(err error) bool {
	var se mongo.ServerError
	return errors.As(err, &se) && se.HasErrorCode(48)
}

// createIndexes creates the indexes; an index that exists with the same
// name and keys is left as it is.
func createIndexes(ctx context.Context, c *mongo.Collection, models ...mongo.IndexModel) error {
	if _, err := c.Indexes().CreateMany(ctx, models); err != nil {
		return fmt.Errorf("create indexes on %s: %w", c.Name(), err)
	}
	return nil
}

// migrate applies, in order, the migrations that MigrationsCollection does
// not list, recording each after it is applied.
func (s *Store) migrate(ctx context.Context) error {
	coll := s.db.Collection(MigrationsCollection)
	for _, m := range migrations() {
		n, err := coll.CountDocuments(ctx, idFilter(m.version))
		if err != nil {
			return wrap("migrate", err)
		}
		if n > 0 {
			continue
		}
		if err := m.apply(ctx, s.db); err != nil {
			return wrap(fmt.Sprintf("migration %d (%s)", m.version, m.name), err)
		}
		_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: m.version}, {Key: "name", Value: m.name},
			{Key: "applied_at", Value: time.Now().UTC()}})
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			return wrap("migrate", err)
		}
	}
	return nil
}
