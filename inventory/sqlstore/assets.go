package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
)

const (
	// upsertChunk rows per INSERT statement: 16 arguments each stays
	// below SQLite's and PostgreSQL's argument limits.
	upsertChunk = 500
	// idChunk IDs per IN list.
	idChunk = 900
)

// assetColumns are read from assets a joined with asset_metadata m.
const assetColumns = "a.id, a.provider, a.account, a.asset_type, a.asset_id, a.asset_name, a.region, a.zone, a.status, " +
	"a.tags, m.metadata, a.cost, a.content_hash, a.create_time, a.update_time, a.discover_time, a.deleted_at"

// upsertColumns are the written columns; the first four are the identity.
var upsertColumns = []string{"provider", "account", "asset_type", "asset_id", "asset_name", "region", "zone", "status",
	"tags", "cost", "content_hash", "create_time", "update_time", "discover_time", "deleted_at"}

// ScopeStates implements inventory.Store.
//
// With SQLite files, the read runs on one connection of the pool, which
// then gives back the pages it read (PRAGMA shrink_memory): a sync reads
// each scope's rows once, and a sync of many regions at once otherwise
// left every reader connection's page cache full of them (some 12 MB in
// all for 28,000 assets), for no later read's benefit.
func (s *Store) ScopeStates(ctx context.Context, sc inventory.Scope) (map[string]inventory.AssetState, error) {
	b := builder{d: &s.d}
	b.write("SELECT asset_id, content_hash, deleted_at IS NOT NULL, status FROM assets WHERE account = ", b.arg(sc.Account),
		" AND region = ", b.arg(sc.Region), " AND asset_type = ", b.arg(sc.AssetType), " AND provider = ", b.arg(sc.Provider))
	if s.d.name != "sqlite" || s.db == s.writer {
		return scanStates(s.db.QueryContext(ctx, b.sb.String(), b.args...))
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	out, err := scanStates(conn.QueryContext(ctx, b.sb.String(), b.args...))
	if err != nil {
		return nil, err
	}
	// Best effort: the cache is an optimization, and the states are read.
	conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA shrink_memory")
	return out, nil
}

// scanStates reads ScopeStates' rows and closes them.
func scanStates(rows *sql.Rows, err error) (map[string]inventory.AssetState, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]inventory.AssetState{}
	for rows.Next() {
		var id string
		var st inventory.AssetState
		if err := rows.Scan(&id, &st.Hash, &st.Deleted, &st.Status); err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, rows.Err()
}

type ident struct{ provider, account, assetType, assetID string }

// UpsertAssets implements inventory.Store: multi-row INSERT ... ON
// CONFLICT DO UPDATE in chunks, then the tag rows of the written assets,
// all in one transaction.
func (s *Store) UpsertAssets(ctx context.Context, assets []inventory.Asset) error {
	if len(assets) == 0 {
		return ctx.Err()
	}
	// One statement may not touch a row twice: keep the last of each identity.
	last := make(map[ident]int, len(assets))
	for i := range assets {
		a := &assets[i]
		last[ident{a.Provider, a.Account, a.AssetType, a.AssetID}] = i
	}
	batch := assets
	if len(last) != len(assets) {
		batch = make([]inventory.Asset, 0, len(last))
		for i := range assets {
			a := &assets[i]
			if last[ident{a.Provider, a.Account, a.AssetType, a.AssetID}] == i {
				batch = append(batch, *a)
			}
		}
	}
	// Build every statement before taking the writer, so other batches
	// write while this one encodes.
	var stmts []upsertStmt
	for start := 0; start < len(batch); start += upsertChunk {
		chunk := batch[start:min(start+upsertChunk, len(batch))]
		q, args, err := s.upsertQuery(chunk)
		if err != nil {
			return err
		}
		stmts = append(stmts, upsertStmt{q, args, chunk})
	}
	if s.group != nil {
		return s.group.write(ctx, s, stmts)
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d := s.newCountDeltas()
	if err := s.writeStmts(ctx, tx, stmts, d); err != nil {
		return err
	}
	if err := s.applyCounts(ctx, tx, d); err != nil {
		return err
	}
	return tx.Commit()
}

// upsertStmt is one chunk's upsert, built before the write.
type upsertStmt struct {
	query string
	args  []any
	chunk []inventory.Asset
}

// writeStmts runs the upserts in tx, adding their count changes to d.
func (s *Store) writeStmts(ctx context.Context, tx *sql.Tx, stmts []upsertStmt, d *countDeltas) error {
	for _, st := range stmts {
		old, err := s.oldStates(ctx, tx, st.chunk)
		if err != nil {
			return err
		}
		for i := range st.chunk {
			a := &st.chunk[i]
			d.move(old[ident{a.Provider, a.Account, a.AssetType, a.AssetID}], newState(a))
		}
		if err := s.upsertChunk(ctx, tx, st.query, st.args, st.chunk, old); err != nil {
			return err
		}
	}
	return nil
}

// beginWrite starts a transaction that writes assets and their counts.
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.d.lockWrite != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockWrite); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("sqlstore: lock writes: %w", err)
		}
	}
	return tx, nil
}

// upsertQuery builds the INSERT ... ON CONFLICT statement of one chunk.
func (s *Store) upsertQuery(chunk []inventory.Asset) (string, []any, error) {
	b := builder{d: &s.d, args: make([]any, 0, len(chunk)*len(upsertColumns))}
	b.sb.Grow(len(chunk) * 80)
	b.write("INSERT INTO assets (", strings.Join(upsertColumns, ", "), ") VALUES ")
	for i := range chunk {
		a := &chunk[i]
		tags, err := json.Marshal(a.Tags)
		if err != nil {
			return "", nil, err
		}
		if a.Tags == nil {
			tags = []byte("[]")
		}
		if i > 0 {
			b.write(", ")
		}
		b.write("(", b.arg(a.Provider), ", ", b.arg(a.Account), ", ", b.arg(a.AssetType), ", ", b.arg(a.AssetID),
			", ", b.arg(a.AssetName), ", ", b.arg(a.Region), ", ", b.arg(a.Zone), ", ", b.arg(a.Status),
			", ", b.arg(string(tags)), ", ", b.arg(a.Cost), ", ", b.arg(a.Hash),
			", ", b.arg(toMicros(a.CreateTime)), ", ", b.arg(toMicros(a.UpdateTime)), ", ", b.arg(toMicros(a.DiscoverTime)),
			", ", b.arg(nullMicros(a.DeletedAt)), ")")
	}
	b.write(" ON CONFLICT (provider, account, asset_type, asset_id) DO UPDATE SET ")
	for i, c := range upsertColumns[4:] {
		if c == "create_time" {
			continue
		}
		if i > 0 {
			b.write(", ")
		}
		b.write(c, " = excluded.", c)
	}
	b.write(" RETURNING id, provider, account, asset_type, asset_id")
	return b.sb.String(), b.args, nil
}

// upsertChunk runs one chunk's upsert and replaces its tags; old holds
// the chunk's assets that were stored before it.
func (s *Store) upsertChunk(ctx context.Context, tx *sql.Tx, query string, args []any, chunk []inventory.Asset,
	old map[ident]*rowState) error {
	rows, err := s.txQuery(ctx, tx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: upsert assets: %w", err)
	}
	ids := make(map[ident]int64, len(chunk))
	for rows.Next() {
		var id int64
		var k ident
		if err := rows.Scan(&id, &k.provider, &k.account, &k.assetType, &k.assetID); err != nil {
			rows.Close()
			return err
		}
		ids[k] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := s.upsertMetadata(ctx, tx, chunk, ids); err != nil {
		return err
	}
	return s.replaceTags(ctx, tx, chunk, ids, old)
}

// upsertMetadata writes the chunk's metadata rows.
func (s *Store) upsertMetadata(ctx context.Context, tx *sql.Tx, chunk []inventory.Asset, ids map[ident]int64) error {
	q, args := s.metadataQuery(chunk, ids)
	if _, err := s.txExec(ctx, tx, q, args...); err != nil {
		return fmt.Errorf("sqlstore: upsert metadata: %w", err)
	}
	return nil
}

// metadataQuery builds the upsert of the chunk's metadata rows.
func (s *Store) metadataQuery(chunk []inventory.Asset, ids map[ident]int64) (string, []any) {
	b := builder{d: &s.d, args: make([]any, 0, 2*len(chunk))}
	b.write("INSERT INTO asset_metadata (asset, metadata) VALUES ")
	for i := range chunk {
		a := &chunk[i]
		var meta any
		if len(a.Metadata) > 0 {
			meta = string(a.Metadata)
		}
		if i > 0 {
			b.write(", ")
		}
		b.write("(", b.arg(ids[ident{a.Provider, a.Account, a.AssetType, a.AssetID}]), ", ", b.arg(meta), ")")
	}
	b.write(" ON CONFLICT (asset) DO UPDATE SET metadata = excluded.metadata")
	return b.sb.String(), b.args
}

// replaceTags deletes the tag rows of the chunk's assets and inserts
// their current tags. Only the assets in old were stored before the
// chunk, so only they can have tag rows to delete.
func (s *Store) replaceTags(ctx context.Context, tx *sql.Tx, chunk []inventory.Asset, ids map[ident]int64,
	old map[ident]*rowState) error {
	all := make([]int64, 0, len(old))
	for k, id := range ids {
		if old[k] != nil {
			all = append(all, id)
		}
	}
	for start := 0; start < len(all); start += idChunk {
		q, args := s.deleteTagsQuery(all[start:min(start+idChunk, len(all))])
		if _, err := s.txExec(ctx, tx, q, args...); err != nil {
			return fmt.Errorf("sqlstore: delete tags: %w", err)
		}
	}
	rows := make([]any, 0, 3*len(chunk))
	for i := range chunk {
		a := &chunk[i]
		id, ok := ids[ident{a.Provider, a.Account, a.AssetType, a.AssetID}]
		if !ok {
			return fmt.Errorf("sqlstore: upsert returned no id for asset %s", a.AssetID)
		}
		for _, t := range a.Tags {
			rows = append(rows, id, t.Key, t.Value)
		}
	}
	for len(rows) > 0 {
		i := slices.IndexFunc(tagSizes, func(n int) bool { return 3*n <= len(rows) })
		if _, err := s.txExec(ctx, tx, s.tagInsert(i), rows[:3*tagSizes[i]]...); err != nil {
			return fmt.Errorf("sqlstore: insert tags: %w", err)
		}
		rows = rows[3*tagSizes[i]:]
	}
	return nil
}

// tagSizes are the row counts of the tag INSERT statements (3 arguments
// a row), largest first. A write's tag rows go in statements of these
// sizes, the largest that fits first, so that a few texts serve every
// write and SQLite's writer runs them prepared (prepareWrites) instead
// of compiling one for each count of rows.
var tagSizes = []int{1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1}

// tagInsert returns the INSERT of tagSizes[i] tag rows.
func (s *Store) tagInsert(i int) string {
	if i < len(s.tagInserts) {
		return s.tagInserts[i]
	}
	return s.tagInsertQuery(tagSizes[i])
}

// tagInsertQuery builds the INSERT of n tag rows.
func (s *Store) tagInsertQuery(n int) string {
	b := builder{d: &s.d, args: make([]any, 0, 3*n)}
	b.write("INSERT INTO asset_tags (asset, key, value) VALUES ")
	for i := range n {
		if i > 0 {
			b.write(", ")
		}
		b.write("(", b.arg(nil), ", ", b.arg(nil), ", ", b.arg(nil), ")")
	}
	b.write(" ON CONFLICT DO NOTHING")
	return b.sb.String()
}

// deleteTagsQuery builds the deletion of the tag rows of the assets ids.
func (s *Store) deleteTagsQuery(ids []int64) (string, []any) {
	b := builder{d: &s.d, args: make([]any, 0, len(ids))}
	b.write("DELETE FROM asset_tags WHERE asset IN (")
	for i, id := range ids {
		if i > 0 {
			b.write(", ")
		}
		b.write(b.arg(id))
	}
	b.write(")")
	return b.sb.String(), b.args
}

// prepareWrites prepares, on SQLite's writer connection, the statements
// that every full chunk of UpsertAssets runs with the same text, so a
// chunk binds its arguments instead of compiling some 8,000 placeholders
// again. The statements' text does not depend on the values, so a chunk
// of zero assets builds it.
//
// The sizes prepared are a full chunk and the batches a sync writes with
// the inventory's defaults: inventory.DefaultBatchSize, and half of it,
// the page of the providers' listings (100), which a sync that changes
// little writes. Without them every batch of a sync compiled its
// statements again, a tenth of a full sync's CPU. The tag INSERTs of
// every size in tagSizes, and the change events' INSERT of each size
// (a sync appends a batch's events before writing it), are prepared too.
func (s *Store) prepareWrites(ctx context.Context) error {
	s.stmts = map[string]*sql.Stmt{}
	for _, q := range s.tagInserts {
		st, err := s.writer.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlstore: prepare writes: %w", err)
		}
		s.stmts[q] = st
	}
	for _, n := range []int{upsertChunk, inventory.DefaultBatchSize, inventory.DefaultBatchSize / 2} {
		chunk := make([]inventory.Asset, n)
		upsert, _, err := s.upsertQuery(chunk)
		if err != nil {
			return err
		}
		old, _ := s.oldStatesQuery(chunk)
		meta, _ := s.metadataQuery(chunk, nil)
		del, _ := s.deleteTagsQuery(make([]int64, min(n, idChunk)))
		events, _ := s.eventsQuery(make([]inventory.AssetEvent, min(n, eventChunk)))
		for _, q := range []string{upsert, old, meta, del, events} {
			if s.stmts[q] != nil {
				continue
			}
			st, err := s.writer.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("sqlstore: prepare writes: %w", err)
			}
			s.stmts[q] = st
		}
	}
	return nil
}

// txQuery runs query in tx, through the writer's prepared statement of
// that text when there is one.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmts[query]; st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// txExec is txQuery for a statement that returns no rows.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.stmts[query]; st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// MarkDeleted implements inventory.Store.
func (s *Store) MarkDeleted(ctx context.Context, sc inventory.Scope, assetIDs []string, at time.Time) (int, error) {
	if len(assetIDs) == 0 {
		return 0, nil
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	d := s.newCountDeltas()
	total := 0
	for start := 0; start < len(assetIDs); start += idChunk {
		b := builder{d: &s.d}
		b.write("UPDATE assets SET deleted_at = ", b.arg(toMicros(at)), " WHERE provider = ", b.arg(sc.Provider),
			" AND account = ", b.arg(sc.Account), " AND asset_type = ", b.arg(sc.AssetType), " AND region = ", b.arg(sc.Region),
			" AND deleted_at IS NULL AND asset_id IN (")
		for i, id := range assetIDs[start:min(start+idChunk, len(assetIDs))] {
			if i > 0 {
				b.write(", ")
			}
			b.write(b.arg(id))
		}
		b.write(") RETURNING zone, status, cost, discover_time, tags")
		rows, err := tx.QueryContext(ctx, b.sb.String(), b.args...)
		if err != nil {
			return 0, fmt.Errorf("sqlstore: mark deleted: %w", err)
		}
		for rows.Next() {
			r := rowState{g: group{provider: sc.Provider, account: sc.Account, assetType: sc.AssetType, region: sc.Region}}
			var tags []byte
			if err := rows.Scan(&r.g.zone, &r.g.status, &r.cost, &r.discover, &tags); err != nil {
				rows.Close()
				return 0, err
			}
			if err := json.Unmarshal(tags, &r.tags); err != nil {
				rows.Close()
				return 0, fmt.Errorf("sqlstore: mark deleted: tags: %w", err)
			}
			d.add(&r, -1)
			r.g.deleted = true
			d.add(&r, 1)
			total++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("sqlstore: mark deleted: %w", err)
		}
	}
	if err := s.applyCounts(ctx, tx, d); err != nil {
		return 0, err
	}
	return total, tx.Commit()
}

// defaultDriveLimit is the most assets a tag may select for a query to
// start from that tag's rows in asset_tags_kv; a more common tag is
// checked per asset with EXISTS while the query walks the index that
// suits its other filters and its sort, which stops after the page.
const defaultDriveLimit = 4096

// from writes the FROM and WHERE clauses of f (normalized) over table
// alias a; probe is namePlan's choice for f.Name. When drive is set, the query starts from the asset_tags rows
// of that tag (CROSS JOIN fixes SQLite's join order; one row per asset,
// as a tag is unique per asset) and every other tag condition is an
// EXISTS probe of asset_tags' primary key.
func (s *Store) from(b *builder, f *inventory.Filter, drive *inventory.Tag, probe *nameProbe) {
	if drive != nil {
		b.write(" FROM asset_tags d CROSS JOIN assets a WHERE d.key = ", b.arg(drive.Key), " AND d.value = ", b.arg(drive.Value),
			" AND a.id = d.asset")
	} else {
		b.write(" FROM assets a WHERE 1 = 1")
	}
	if !f.IncludeDeleted {
		b.write(" AND a.deleted_at IS NULL")
	}
	for _, c := range []struct{ col, v string }{
		{"provider", f.Provider}, {"account", f.Account}, {"asset_type", f.AssetType},
		{"region", f.Region}, {"zone", f.Zone}, {"status", f.Status},
	} {
		if c.v != "" {
			b.write(" AND a.", c.col, " = ", b.arg(c.v))
		}
	}
	if f.Name != "" {
		s.nameMatch(b, f.Name, probe)
	}
	for _, t := range f.Tags {
		if drive != nil && t == *drive {
			continue
		}
		b.write(" AND EXISTS (SELECT 1 FROM asset_tags t WHERE t.asset = a.id AND t.key = ", b.arg(t.Key),
			" AND t.value = ", b.arg(t.Value), ")")
	}
	for _, k := range f.TagKeys {
		b.write(" AND EXISTS (SELECT 1 FROM asset_tags t WHERE t.asset = a.id AND t.key = ", b.arg(k), ")")
	}
}

// driver returns the rarest key=value tag of f when it selects at most
// driveLimit assets (asset_tag_counts says, without other filters), else
// nil.
func (s *Store) driver(ctx context.Context, tx *sql.Tx, f *inventory.Filter) (*inventory.Tag, error) {
	var best *inventory.Tag
	bestN := s.driveLimit + 1
	for i, t := range f.Tags {
		q := "SELECT COALESCE(SUM(n), 0) FROM asset_tag_counts WHERE key = " + s.d.placeholder(1) + " AND value = " + s.d.placeholder(2)
		if !f.IncludeDeleted {
			q += " AND deleted = 0"
		}
		var n int64
		if err := tx.QueryRowContext(ctx, q, t.Key, t.Value).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlstore: count tag: %w", err)
		}
		if n < bestN {
			best, bestN = &f.Tags[i], n
		}
	}
	return best, nil
}

// QueryAssets implements inventory.Store. The page and the total are read
// in one snapshot. The total is exact: when the page itself does not show
// it, it comes from the count tables for filters on columns and at most
// one tag, and otherwise (a name, several tags) from a COUNT over the
// page's own FROM and WHERE, whose cost grows with the matches.
func (s *Store) QueryAssets(ctx context.Context, f inventory.Filter) ([]inventory.Asset, int, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, 0, err
	}
	col, desc, _ := inventory.ParseSort(f.Sort) // a whitelisted identifier
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	tx, err := s.db.BeginTx(ctx, s.readTx())
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	drive, err := s.driver(ctx, tx, &f)
	if err != nil {
		return nil, 0, err
	}
	probe, err := s.namePlan(ctx, tx, f.Name)
	if err != nil {
		return nil, 0, err
	}
	// Sort and page over IDs only, then fetch the page's rows: sorting
	// whole rows (metadata included) of a broad filter costs far more.
	b := builder{d: &s.d}
	// When the count tables cannot give the total, the page query counts
	// its matches with a window over them, which it enumerates anyway to
	// sort them: a name or tag index is then read once, not twice.
	counted := f.Name == "" && len(f.Tags)+len(f.TagKeys) <= 1
	head := "SELECT a.id AS page_id, a." + col + " AS page_key"
	if !counted {
		head += ", COUNT(*) OVER () AS page_total"
	}
	b.write(head)
	s.from(&b, &f, drive, probe)
	nWhere := len(b.args)
	where := b.sb.String()[len(head):]
	// The ID tie-break runs in the sort's direction, so an index on the
	// sort column (which ends in the row ID) yields the order as is.
	order := " ORDER BY a." + col + dir + ", a.id" + dir
	b.write(order, " LIMIT ", b.arg(int64(f.Limit)), " OFFSET ", b.arg(int64(f.Offset)))
	cols := assetColumns
	if !counted {
		cols += ", p.page_total"
	}
	page := "SELECT " + cols + " FROM (" + b.sb.String() +
		") p JOIN assets a ON a.id = p.page_id LEFT JOIN asset_metadata m ON m.asset = a.id" + order
	rows, err := tx.QueryContext(ctx, page, b.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: query assets: %w", err)
	}
	out := []inventory.Asset{}
	var total int
	for rows.Next() {
		var extra []any
		if !counted {
			extra = append(extra, &total)
		}
		a, err := scanAsset(rows, extra...)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(out) > 0 && len(out) < f.Limit || len(out) == 0 && f.Offset == 0 {
		return out, f.Offset + len(out), nil
	}
	if !counted && len(out) > 0 {
		return out, total, nil
	}
	total, ok, err := s.countedTotal(ctx, tx, &f)
	if err != nil {
		return nil, 0, err
	}
	if ok {
		return out, total, nil
	}
	// A page past the end: count apart.
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*)"+where, b.args[:nWhere]...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count assets: %w", err)
	}
	return out, total, nil
}

// readTx returns options that give a query and its count one snapshot.
func (s *Store) readTx() *sql.TxOptions {
	if s.d.name == "postgres" {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return nil // a SQLite read transaction is a snapshot in WAL mode
}

// scanAsset reads a row of assetColumns, then extra columns into extra.
func scanAsset(rows *sql.Rows, extra ...any) (inventory.Asset, error) {
	var (
		a                        inventory.Asset
		tags                     []byte
		meta                     []byte
		created, updated, discov int64
		deleted                  sql.NullInt64
	)
	dest := append([]any{&a.ID, &a.Provider, &a.Account, &a.AssetType, &a.AssetID, &a.AssetName, &a.Region, &a.Zone,
		&a.Status, &tags, &meta, &a.Cost, &a.Hash, &created, &updated, &discov, &deleted}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return a, err
	}
	if err := json.Unmarshal(tags, &a.Tags); err != nil {
		return a, fmt.Errorf("sqlstore: asset %d tags: %w", a.ID, err)
	}
	if len(meta) > 0 {
		a.Metadata = meta
	}
	a.CreateTime, a.UpdateTime, a.DiscoverTime = fromMicros(created), fromMicros(updated), fromMicros(discov)
	a.DeletedAt = fromNullMicros(deleted)
	return a, nil
}
