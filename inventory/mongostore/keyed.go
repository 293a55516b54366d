package mongostore

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// This file holds the reads and MarkDeleted of PlanKeyLookups: on a
// server that decodes the whole collection for any filter but an _id
// equality, each call scans at most once and fetches the rest by _id.

const (
	// lookupWorkers bounds the fetches by _id one call runs at once.
	lookupWorkers = 8
	// scanGather is how long a ScopeStates scan waits for the calls of
	// the other regions of its account and asset type, which a sync
	// makes together, before it starts.
	scanGather = 50 * time.Millisecond
)

// stateDoc is what ScopeStates reads of an asset.
type stateDoc struct {
	AssetID   string     `bson:"asset_id"`
	Region    string     `bson:"region"`
	Hash      string     `bson:"content_hash"`
	DeletedAt *time.Time `bson:"deleted_at"`
	Status    string     `bson:"status"`
}

var stateProjection = bson.D{{Key: "asset_id", Value: 1}, {Key: "region", Value: 1}, {Key: "content_hash", Value: 1},
	{Key: "deleted_at", Value: 1}, {Key: "status", Value: 1}}

// scanKey is what one shared ScopeStates scan covers: every region of an
// account's assets of one type.
type scanKey struct{ provider, account, assetType string }

// scopeScan is one shared scan: its callers wait for done.
type scopeScan struct {
	done     chan struct{}
	byRegion map[string]map[string]inventory.AssetState
	err      error
}

// scopeScans gathers the ScopeStates calls that may share a scan. A call
// joins only a scan that has not started, so every scan starts after each
// of its callers: a caller sees every write that completed before it
// called, as a scan of its own would show it.
type scopeScans struct {
	mu      sync.Mutex
	pending map[scanKey]*scopeScan
}

// scopeStatesShared implements ScopeStates under PlanKeyLookups.
func (s *Store) scopeStatesShared(ctx context.Context, sc inventory.Scope) (map[string]inventory.AssetState, error) {
	k := scanKey{sc.Provider, sc.Account, sc.AssetType}
	s.scans.mu.Lock()
	sh, joined := s.scans.pending[k]
	if !joined {
		sh = &scopeScan{done: make(chan struct{})}
		if s.scans.pending == nil {
			s.scans.pending = map[scanKey]*scopeScan{}
		}
		s.scans.pending[k] = sh
	}
	s.scans.mu.Unlock()
	if !joined {
		t := time.NewTimer(scanGather)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		s.scans.mu.Lock()
		delete(s.scans.pending, k)
		s.scans.mu.Unlock()
		sh.byRegion, sh.err = s.scanStates(ctx, k)
		close(sh.done)
	} else {
		select {
		case <-sh.done:
		case <-ctx.Done():
			return nil, wrap("scope states", ctx.Err())
		}
		if sh.err != nil && ctx.Err() == nil && (errors.Is(sh.err, context.Canceled) || errors.Is(sh.err, context.DeadlineExceeded)) {
			// The caller that ran the scan gave up; this one has not.
			m, err := s.scanStates(ctx, k)
			if err != nil {
				return nil, err
			}
			return regionStates(m, sc.Region), nil
		}
	}
	if sh.err != nil {
		return nil, sh.err
	}
	return regionStates(sh.byRegion, sc.Region), nil
}

// regionStates returns a copy of the states of region, the callers of a
// shared scan each owning their map.
func regionStates(byRegion map[string]map[string]inventory.AssetState, region string) map[string]inventory.AssetState {
	out := make(map[string]inventory.AssetState, len(byRegion[region]))
	for id, st := range byRegion[region] {
		out[id] = st
	}
	return out
}

// scanStates reads the states of every asset of k, by region.
func (s *Store) scanStates(ctx context.Context, k scanKey) (map[string]map[string]inventory.AssetState, error) {
	f := bson.D{{Key: "account", Value: k.account}, {Key: "asset_type", Value: k.assetType}, {Key: "provider", Value: k.provider}}
	cur, err := s.assets.Find(ctx, f, options.Find().SetProjection(stateProjection))
	if err != nil {
		return nil, wrap("scope states", err)
	}
	defer cur.Close(ctx)
	out := map[string]map[string]inventory.AssetState{}
	for cur.Next(ctx) {
		var d stateDoc
		if err := cur.Decode(&d); err != nil {
			return nil, wrap("scope states", err)
		}
		m := out[d.Region]
		if m == nil {
			m = map[string]inventory.AssetState{}
			out[d.Region] = m
		}
		m[d.AssetID] = inventory.AssetState{Hash: d.Hash, Deleted: d.DeletedAt != nil, Status: d.Status}
	}
	if err := cur.Err(); err != nil {
		return nil, wrap("scope states", err)
	}
	return out, nil
}

// markDeletedByKey implements MarkDeleted under PlanKeyLookups: per asset,
// a fetch by _id and, when it is live and in the scope's region, an
// update by _id.
func (s *Store) markDeletedByKey(ctx context.Context, sc inventory.Scope, assetIDs []string, at time.Time) (int, error) {
	var mu sync.Mutex
	total := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupWorkers)
	for _, id := range assetIDs {
		g.Go(func() error {
			key := identityKey(sc.Provider, sc.Account, sc.AssetType, id)
			var d stateDoc
			err := s.assets.FindOne(gctx, idFilter(key), options.FindOne().SetProjection(stateProjection)).Decode(&d)
			if errors.Is(err, mongo.ErrNoDocuments) || err == nil && (d.Region != sc.Region || d.DeletedAt != nil) {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := s.assets.UpdateMany(gctx, idFilter(key), bson.D{{Key: "$set", Value: bson.D{{Key: "deleted_at", Value: at.UTC()}}}})
			if err != nil {
				return err
			}
			mu.Lock()
			total += int(res.ModifiedCount)
			mu.Unlock()
			return nil
		})
	}
	err := g.Wait()
	return total, wrap("mark deleted", err)
}

// queryByKey implements QueryAssets under PlanKeyLookups: one scan for
// the sorted _ids of every match, then the page fetched by _id. The total
// is the number of matches of that scan; an asset changed between the
// scan and its fetch is returned as it is at the fetch, one deleted
// between them is left out of the page.
func (s *Store) queryByKey(ctx context.Context, q, sort bson.D, f *inventory.Filter) ([]inventory.Asset, int, error) {
	cur, err := s.assets.Find(ctx, q, options.Find().SetSort(sort).SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, 0, wrap("query assets", err)
	}
	var keys []struct {
		Key string `bson:"_id"`
	}
	if err := cur.All(ctx, &keys); err != nil {
		return nil, 0, wrap("query assets", err)
	}
	total := len(keys)
	if f.Offset >= total {
		return []inventory.Asset{}, total, nil
	}
	keys = keys[f.Offset:min(f.Offset+f.Limit, total)]
	docs := make([]*assetDoc, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupWorkers)
	for i, k := range keys {
		g.Go(func() error {
			var d assetDoc
			err := s.assets.FindOne(gctx, idFilter(k.Key)).Decode(&d)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			if err != nil {
				return err
			}
			docs[i] = &d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, wrap("query assets", err)
	}
	out := make([]inventory.Asset, 0, len(docs))
	for _, d := range docs {
		if d != nil {
			out = append(out, d.asset())
		}
	}
	return out, total, nil
}

// statisticsByScan implements Statistics under PlanKeyLookups: one scan
// of the fields the statistics count, folded in here.
func (s *Store) statisticsByScan(ctx context.Context, match bson.D) (*inventory.Statistics, error) {
	cur, err := s.assets.Find(ctx, match, options.Find().SetProjection(bson.D{{Key: "provider", Value: 1},
		{Key: "asset_type", Value: 1}, {Key: "region", Value: 1}, {Key: "status", Value: 1}, {Key: "cost", Value: 1},
		{Key: "discover_time", Value: 1}}))
	if err != nil {
		return nil, wrap("statistics", err)
	}
	defer cur.Close(ctx)
	type group struct {
		count int
		cost  float64
		last  time.Time
	}
	groups := map[statsGroup]*group{}
	for cur.Next(ctx) {
		var d struct {
			Provider     string    `bson:"provider"`
			AssetType    string    `bson:"asset_type"`
			Region       string    `bson:"region"`
			Status       string    `bson:"status"`
			Cost         float64   `bson:"cost"`
			DiscoverTime time.Time `bson:"discover_time"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, wrap("statistics", err)
		}
		k := statsGroup{d.Provider, d.AssetType, d.Region, d.Status}
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
		}
		g.count++
		g.cost += d.Cost
		if d.DiscoverTime.After(g.last) {
			g.last = d.DiscoverTime.UTC()
		}
	}
	if err := cur.Err(); err != nil {
		return nil, wrap("statistics", err)
	}
	st := inventory.NewStatistics()
	for k, g := range groups {
		st.AddGroup(k.Provider, k.AssetType, k.Region, k.Status, g.count, g.cost, g.last)
	}
	return st, nil
}
