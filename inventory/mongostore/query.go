package mongostore

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// assetFilter returns the query document of a normalized Filter. Values
// only ever travel as BSON values: the needle of a name search is quoted
// with regexp.QuoteMeta, whose escapes PCRE (MongoDB) and Go's regexp
// (FerretDB) read as the literal characters.
func assetFilter(f *inventory.Filter) bson.D {
	var d bson.D
	if !f.IncludeDeleted {
		// Matches null, which live assets store.
		d = append(d, bson.E{Key: "deleted_at", Value: nil})
	}
	for _, c := range []struct{ field, v string }{
		{"provider", f.Provider}, {"account", f.Account}, {"asset_type", f.AssetType},
		{"region", f.Region}, {"zone", f.Zone}, {"status", f.Status},
	} {
		if c.v != "" {
			d = append(d, bson.E{Key: c.field, Value: c.v})
		}
	}
	if f.Name != "" {
		d = append(d, bson.E{Key: "asset_name", Value: bson.D{{Key: "$regex", Value: regexp.QuoteMeta(f.Name)}}})
	}
	var tags bson.A
	for _, t := range f.Tags {
		// An equality match on one element of an indexed array.
		tags = append(tags, bson.D{{Key: "tag_pairs", Value: tagPair(t)}})
	}
	for _, k := range f.TagKeys {
		tags = append(tags, bson.D{{Key: "tag_keys", Value: k}})
	}
	// The first as a field of the filter, the others under $and: the
	// same match, and FerretDB 1.x over PostgreSQL sends a top-level
	// equality to PostgreSQL (an array holding the value contains it
	// there too) but nothing under an operator.
	if len(tags) > 0 {
		d = append(d, tags[0].(bson.D)...)
	}
	if len(tags) > 1 {
		d = append(d, bson.E{Key: "$and", Value: tags[1:]})
	}
	if d == nil {
		d = bson.D{}
	}
	return d
}

// QueryAssets implements inventory.Store. The page and the total are two
// reads, not one snapshot: a write between them can make the total
// disagree with the page by what it changed. The total is exact for the
// moment it is counted; when the page itself shows it (a last page), it
// is not counted apart.
func (s *Store) QueryAssets(ctx context.Context, f inventory.Filter) ([]inventory.Asset, int, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, 0, err
	}
	col, desc, _ := inventory.ParseSort(f.Sort)
	dir := 1
	if desc {
		dir = -1
	}
	sort := bson.D{{Key: col, Value: dir}}
	if col != "id" {
		sort = append(sort, bson.E{Key: "id", Value: dir})
	}
	q := assetFilter(&f)
	cur, err := s.assets.Find(ctx, q, options.Find().SetSort(sort).SetSkip(int64(f.Offset)).SetLimit(int64(f.Limit)))
	if err != nil {
		return nil, 0, wrap("query assets", err)
	}
	var docs []assetDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, wrap("query assets", err)
	}
	out := make([]inventory.Asset, len(docs))
	for i := range docs {
		out[i] = docs[i].asset()
	}
	if len(out) > 0 && len(out) < f.Limit || len(out) == 0 && f.Offset == 0 {
		return out, f.Offset + len(out), nil
	}
	n, err := s.assets.CountDocuments(ctx, q)
	if err != nil {
		return nil, 0, wrap("count assets", err)
	}
	return out, int(n), nil
}

// Statistics implements inventory.Store with one aggregation: the live
// assets f selects, grouped by (provider, asset type, region, status).
// It reads the assets themselves, so it is exact at the moment it runs
// whatever writers ran before.
func (s *Store) Statistics(ctx context.Context, f inventory.StatsFilter) (*inventory.Statistics, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	match := bson.D{{Key: "deleted_at", Value: nil}}
	for _, c := range []struct{ field, v string }{
		{"provider", f.Provider}, {"account", f.Account}, {"asset_type", f.AssetType},
	} {
		if c.v != "" {
			match = append(match, bson.E{Key: c.field, Value: c.v})
		}
	}
	if s.plan == PlanScans || s.plan == PlanPushdown {
		return s.statisticsByScan(ctx, match)
	}
	rows, err := s.groups(ctx, match, bson.D{{Key: "$sum", Value: "$cost"}}, bson.D{{Key: "$sum", Value: 1}})
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(rows, func(r statsRow) bool { return r.Second == 0 }) {
		// Every group counts at least one asset: a zero count means
		// the server computed only the first accumulator of the
		// $group, as FerretDB 1.x does. Count in a $group of its own.
		counts, err := s.groups(ctx, match, bson.D{{Key: "$sum", Value: 1}}, nil)
		if err != nil {
			return nil, err
		}
		rows = rows[:0]
		for _, c := range counts {
			c.First, c.Second = 0, c.First
			rows = append(rows, c)
		}
		costs, err := s.groups(ctx, match, bson.D{{Key: "$sum", Value: "$cost"}}, nil)
		if err != nil {
			return nil, err
		}
		byGroup := map[statsGroup]float64{}
		for _, c := range costs {
			byGroup[c.Group] = c.First
		}
		for i := range rows {
			rows[i].First = byGroup[rows[i].Group]
		}
	}
	st := inventory.NewStatistics()
	for _, r := range rows {
		st.AddGroup(r.Group.Provider, r.Group.AssetType, r.Group.Region, r.Group.Status, int(r.Second), r.First, time.Time{})
	}
	// The latest discover time: the first of the matching assets in
	// discover_time order. (A $max accumulator would do in the $group,
	// but FerretDB 1.x does not implement it.)
	var latest struct {
		DiscoverTime time.Time `bson:"discover_time"`
	}
	err = s.assets.FindOne(ctx, match, options.FindOne().SetSort(bson.D{{Key: "discover_time", Value: -1}}).
		SetProjection(bson.D{{Key: "discover_time", Value: 1}})).Decode(&latest)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
	case err != nil:
		return nil, wrap("statistics", err)
	case !latest.DiscoverTime.IsZero():
		t := latest.DiscoverTime.UTC()
		st.LastDiscoverTime = &t
	}
	return st, nil
}

// statsGroup is the key of a Statistics group.
type statsGroup struct {
	Provider  string `bson:"p"`
	AssetType string `bson:"t"`
	Region    string `bson:"r"`
	Status    string `bson:"s"`
}

// statsRow is a result of groups: the values of its accumulators.
type statsRow struct {
	Group  statsGroup `bson:"_id"`
	First  float64    `bson:"first"`
	Second float64    `bson:"second"`
}

// groups aggregates the assets match selects by (provider, asset type,
// region, status) with the accumulators first and, unless nil, second.
func (s *Store) groups(ctx context.Context, match, first, second bson.D) ([]statsRow, error) {
	group := bson.D{
		{Key: "_id", Value: bson.D{{Key: "p", Value: "$provider"}, {Key: "t", Value: "$asset_type"},
			{Key: "r", Value: "$region"}, {Key: "s", Value: "$status"}}},
		{Key: "first", Value: first},
	}
	if second != nil {
		group = append(group, bson.E{Key: "second", Value: second})
	}
	cur, err := s.assets.Aggregate(ctx, bson.A{bson.D{{Key: "$match", Value: match}}, bson.D{{Key: "$group", Value: group}}})
	if err != nil {
		return nil, wrap("statistics", err)
	}
	var rows []statsRow
	if err := cur.All(ctx, &rows); err != nil {
		return nil, wrap("statistics", err)
	}
	return rows, nil
}
