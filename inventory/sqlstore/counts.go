package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// The asset_counts table holds, per group of assets that agree on every
// column a Filter compares exactly (provider, account, asset_type,
// region, zone, status and whether the asset is deleted), how many assets
// the group has, their summed cost and, for live groups, their latest
// discover_time. asset_tag_counts holds the same counts per tag and
// group. Both are written in the transaction that changes the assets,
// from the rows' old and new state, so they answer Statistics and the
// totals of most filters without reading the assets.

// group is one row key of asset_counts.
type group struct {
	provider, account, assetType, region, zone, status string
	deleted                                            bool
}

func compareGroups(a, b group) int {
	return cmp.Or(strings.Compare(a.provider, b.provider), strings.Compare(a.account, b.account),
		strings.Compare(a.assetType, b.assetType), strings.Compare(a.region, b.region),
		strings.Compare(a.zone, b.zone), strings.Compare(a.status, b.status), cmpBool(a.deleted, b.deleted))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// groupDelta is the change one transaction makes to a group.
type groupDelta struct {
	n            int64
	cost         float64
	lastDiscover int64 // the latest discover_time added, in Unix microseconds
	removed      bool  // whether an asset left the group, so its latest discover_time must be recomputed
}

// tagGroup is one row key of asset_tag_counts.
type tagGroup struct {
	key, value string
	g          group
}

// countDeltas accumulates the count changes of one write transaction.
type countDeltas struct {
	groups map[group]*groupDelta
	tags   map[tagGroup]int64
	// trigrams are the changes to name_trigram_counts; foldASCII says
	// whether names are counted lower-cased (see nameTrigrams).
	trigrams  map[string]int64
	foldASCII bool
}

func (s *Store) newCountDeltas() *countDeltas {
	return &countDeltas{groups: map[group]*groupDelta{}, tags: map[tagGroup]int64{}, trigrams: map[string]int64{},
		foldASCII: s.d.foldTrigrams}
}

// rowState is what the counts need of an asset row.
type rowState struct {
	g        group
	cost     float64
	discover int64
	tags     []inventory.Tag
	name     string
}

// add counts the row in (sign 1) or out (sign -1) of its groups.
func (d *countDeltas) add(r *rowState, sign int64) {
	gd := d.groups[r.g]
	if gd == nil {
		gd = &groupDelta{lastDiscover: noDiscover}
		d.groups[r.g] = gd
	}
	gd.n += sign
	gd.cost += float64(sign) * r.cost
	if sign > 0 {
		gd.lastDiscover = max(gd.lastDiscover, r.discover)
	} else {
		gd.removed = true
	}
	seen := make(map[inventory.Tag]bool, len(r.tags))
	for _, t := range r.tags {
		if !seen[t] { // asset_tags keeps a repeated tag once
			seen[t] = true
			d.tags[tagGroup{t.Key, t.Value, r.g}] += sign
		}
	}
	for _, t := range nameTrigrams(r.name, d.foldASCII) {
		d.trigrams[t] += sign
	}
}

// move records that a row changed from old (nil when it is new) to new.
func (d *countDeltas) move(old, new *rowState) {
	if old != nil {
		if old.g == new.g && old.cost == new.cost && old.discover == new.discover && slices.Equal(old.tags, new.tags) &&
			old.name == new.name {
			return
		}
		d.add(old, -1)
	}
	d.add(new, 1)
}

// apply writes the accumulated changes in tx: an upsert of every touched
// group (deleting emptied ones) and, for live groups an asset left, a
// recomputation of the latest discover_time from the assets.
func (s *Store) applyCounts(ctx context.Context, tx *sql.Tx, d *countDeltas) error {
	keys := slices.SortedFunc(maps.Keys(d.groups), compareGroups)
	const chunk = 400 // 10 arguments each
	var recompute []group
	for start := 0; start < len(keys); start += chunk {
		b := builder{d: &s.d}
		b.write("INSERT INTO asset_counts (provider, account, asset_type, region, zone, status, deleted, n, cost, last_discover) VALUES ")
		for i, g := range keys[start:min(start+chunk, len(keys))] {
			gd := d.groups[g]
			if i > 0 {
				b.write(", ")
			}
			b.write("(", b.arg(g.provider), ", ", b.arg(g.account), ", ", b.arg(g.assetType), ", ", b.arg(g.region),
				", ", b.arg(g.zone), ", ", b.arg(g.status), ", ", b.arg(flag(g.deleted)), ", ", b.arg(gd.n),
				", ", b.arg(gd.cost), ", ", b.arg(gd.lastDiscover), ")")
			if gd.removed && !g.deleted {
				recompute = append(recompute, g)
			}
		}
		b.write(" ON CONFLICT (provider, account, asset_type, region, zone, status, deleted) DO UPDATE SET",
			" n = asset_counts.n + excluded.n, cost = asset_counts.cost + excluded.cost,",
			" last_discover = ", s.d.greatest, "(asset_counts.last_discover, excluded.last_discover)")
		if _, err := tx.ExecContext(ctx, b.sb.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: update asset counts: %w", err)
		}
	}
	for _, g := range recompute {
		b := builder{d: &s.d}
		b.write("UPDATE asset_counts SET last_discover = (SELECT COALESCE(MAX(a.discover_time), ", b.arg(int64(noDiscover)), ") FROM assets a",
			" WHERE a.provider = ", b.arg(g.provider), " AND a.account = ", b.arg(g.account),
			" AND a.asset_type = ", b.arg(g.assetType), " AND a.region = ", b.arg(g.region),
			" AND a.zone = ", b.arg(g.zone), " AND a.status = ", b.arg(g.status), " AND a.deleted_at IS NULL)",
			" WHERE provider = ", b.arg(g.provider), " AND account = ", b.arg(g.account),
			" AND asset_type = ", b.arg(g.assetType), " AND region = ", b.arg(g.region),
			" AND zone = ", b.arg(g.zone), " AND status = ", b.arg(g.status), " AND deleted = 0")
		if _, err := tx.ExecContext(ctx, b.sb.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: update asset counts: %w", err)
		}
	}
	tkeys := slices.SortedFunc(maps.Keys(d.tags), func(a, b tagGroup) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.value, b.value), compareGroups(a.g, b.g))
	})
	tkeys = slices.DeleteFunc(tkeys, func(k tagGroup) bool { return d.tags[k] == 0 })
	for start := 0; start < len(tkeys); start += chunk {
		b := builder{d: &s.d}
		b.write("INSERT INTO asset_tag_counts (key, value, provider, account, asset_type, region, zone, status, deleted, n) VALUES ")
		for i, k := range tkeys[start:min(start+chunk, len(tkeys))] {
			if i > 0 {
				b.write(", ")
			}
			b.write("(", b.arg(k.key), ", ", b.arg(k.value), ", ", b.arg(k.g.provider), ", ", b.arg(k.g.account),
				", ", b.arg(k.g.assetType), ", ", b.arg(k.g.region), ", ", b.arg(k.g.zone), ", ", b.arg(k.g.status),
				", ", b.arg(flag(k.g.deleted)), ", ", b.arg(d.tags[k]), ")")
		}
		b.write(" ON CONFLICT (key, value, provider, account, asset_type, region, zone, status, deleted)",
			" DO UPDATE SET n = asset_tag_counts.n + excluded.n")
		if _, err := tx.ExecContext(ctx, b.sb.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: update tag counts: %w", err)
		}
	}
	if err := s.applyTrigramCounts(ctx, tx, d.trigrams); err != nil {
		return err
	}
	// Emptied groups go, so the tables hold only groups that exist; a
	// group emptied and refilled later starts again from exact zeros.
	if len(keys) > 0 {
		if _, err := tx.ExecContext(ctx, "DELETE FROM asset_counts WHERE n = 0"); err != nil {
			return fmt.Errorf("sqlstore: update asset counts: %w", err)
		}
	}
	if len(tkeys) > 0 {
		if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tag_counts WHERE n = 0"); err != nil {
			return fmt.Errorf("sqlstore: update tag counts: %w", err)
		}
	}
	return nil
}

// noDiscover is the last_discover of a group without a discover time:
// the zero time.Time, which Statistics.AddGroup skips.
const noDiscover = -62135596800000000

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// oldStates reads the stored state of the chunk's assets that exist,
// keyed by identity.
func (s *Store) oldStates(ctx context.Context, tx *sql.Tx, chunk []inventory.Asset) (map[ident]*rowState, error) {
	q, args := s.oldStatesQuery(chunk)
	rows, err := s.txQuery(ctx, tx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read stored assets: %w", err)
	}
	defer rows.Close()
	out := map[ident]*rowState{}
	for rows.Next() {
		var (
			k    ident
			r    rowState
			tags []byte
		)
		if err := rows.Scan(&r.g.provider, &r.g.account, &r.g.assetType, &k.assetID, &r.g.region, &r.g.zone, &r.g.status,
			&r.g.deleted, &r.cost, &r.discover, &tags, &r.name); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(tags, &r.tags); err != nil {
			return nil, fmt.Errorf("sqlstore: asset %s tags: %w", k.assetID, err)
		}
		k.provider, k.account, k.assetType = r.g.provider, r.g.account, r.g.assetType
		out[k] = &r
	}
	return out, rows.Err()
}

// oldStatesQuery builds the read of oldStates.
func (s *Store) oldStatesQuery(chunk []inventory.Asset) (string, []any) {
	b := builder{d: &s.d, args: make([]any, 0, 4*len(chunk))}
	b.write("SELECT a.provider, a.account, a.asset_type, a.asset_id, a.region, a.zone, a.status, a.deleted_at IS NOT NULL,",
		" a.cost, a.discover_time, a.tags, a.asset_name FROM assets a WHERE (a.provider, a.account, a.asset_type, a.asset_id) IN (VALUES ")
	for i := range chunk {
		a := &chunk[i]
		if i > 0 {
			b.write(", ")
		}
		b.write("(", b.arg(a.Provider), ", ", b.arg(a.Account), ", ", b.arg(a.AssetType), ", ", b.arg(a.AssetID), ")")
	}
	b.write(")")
	return b.sb.String(), b.args
}

// newState is the state an upsert gives a's row.
func newState(a *inventory.Asset) *rowState {
	return &rowState{
		g:    group{a.Provider, a.Account, a.AssetType, a.Region, a.Zone, a.Status, a.DeletedAt != nil},
		cost: a.Cost, discover: toMicros(a.DiscoverTime), tags: a.Tags, name: a.AssetName,
	}
}

// countedTotal returns the number of assets f matches from the count
// tables, and false when they cannot answer f: a name filter, or more
// than one tag condition.
func (s *Store) countedTotal(ctx context.Context, tx *sql.Tx, f *inventory.Filter) (int, bool, error) {
	if f.Name != "" || len(f.Tags)+len(f.TagKeys) > 1 {
		return 0, false, nil
	}
	b := builder{d: &s.d}
	switch {
	case len(f.Tags) == 1:
		b.write("SELECT COALESCE(SUM(n), 0) FROM asset_tag_counts WHERE key = ", b.arg(f.Tags[0].Key),
			" AND value = ", b.arg(f.Tags[0].Value))
	case len(f.TagKeys) == 1:
		b.write("SELECT COALESCE(SUM(n), 0) FROM asset_tag_counts WHERE key = ", b.arg(f.TagKeys[0]))
	default:
		b.write("SELECT COALESCE(SUM(n), 0) FROM asset_counts WHERE 1 = 1")
	}
	if !f.IncludeDeleted {
		b.write(" AND deleted = 0")
	}
	for _, c := range []struct{ col, v string }{
		{"provider", f.Provider}, {"account", f.Account}, {"asset_type", f.AssetType},
		{"region", f.Region}, {"zone", f.Zone}, {"status", f.Status},
	} {
		if c.v != "" {
			b.write(" AND ", c.col, " = ", b.arg(c.v))
		}
	}
	var n int64
	if err := tx.QueryRowContext(ctx, b.sb.String(), b.args...).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("sqlstore: count assets: %w", err)
	}
	return int(n), true, nil
}

// Statistics implements inventory.Store from asset_counts: the few groups
// of live assets f selects are folded in memory.
func (s *Store) Statistics(ctx context.Context, f inventory.StatsFilter) (*inventory.Statistics, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	b := builder{d: &s.d}
	b.write("SELECT provider, asset_type, region, status, SUM(n), SUM(cost), MAX(last_discover) FROM asset_counts WHERE deleted = 0")
	for _, c := range []struct{ col, v string }{{"provider", f.Provider}, {"account", f.Account}, {"asset_type", f.AssetType}} {
		if c.v != "" {
			b.write(" AND ", c.col, " = ", b.arg(c.v))
		}
	}
	b.write(" GROUP BY provider, asset_type, region, status")
	rows, err := s.db.QueryContext(ctx, b.sb.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: statistics: %w", err)
	}
	defer rows.Close()
	st := inventory.NewStatistics()
	for rows.Next() {
		var (
			provider, typ, region, status string
			count                         int64
			cost                          float64
			last                          int64
		)
		if err := rows.Scan(&provider, &typ, &region, &status, &count, &cost, &last); err != nil {
			return nil, err
		}
		st.AddGroup(provider, typ, region, status, int(count), cost, fromMicros(last))
	}
	return st, rows.Err()
}
