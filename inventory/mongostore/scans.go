package mongostore

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// This file holds the reads of PlanScans, for a server that reads the
// whole collection for every query: ScopeStates calls share scans and
// Statistics is one scan.

// lockWrites serializes the store's asset writes under PlanScans. SQLite
// takes one writer at a time, and FerretDB 1.x holds the write lock while
// it scans for each document an update names, so concurrent writers of a
// sync queue long enough to fail with SQLITE_BUSY; taking turns here
// costs nothing SQLite would not serialize anyway. Under PlanIndexes it
// does nothing.
func (s *Store) lockWrites() {
	if s.plan == PlanScans {
		s.writeMu.Lock()
	}
}

func (s *Store) unlockWrites() {
	if s.plan == PlanScans {
		s.writeMu.Unlock()
	}
}

// scanGather is how long a ScopeStates scan waits for the calls of the
// other regions of its account and asset type, which a sync makes
// together, before it starts.
const scanGather = 50 * time.Millisecond

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

// scopeStatesShared implements ScopeStates under PlanScans.
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

// statisticsByScan implements Statistics under PlanScans and PlanPushdown: one scan of the
// fields the statistics count, folded in here, where PlanIndexes needs
// up to four on FerretDB 1.x (which computes only the first accumulator
// of a $group and has no $max).
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
