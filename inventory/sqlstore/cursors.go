package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/multicloud-ecs/multicloud/inventory"
)

var _ inventory.IncrementalStore = (*Store)(nil)

// SyncCursor implements inventory.IncrementalStore.
func (s *Store) SyncCursor(ctx context.Context, sc inventory.Scope) (inventory.SyncCursor, bool, error) {
	b := builder{d: &s.d}
	b.write("SELECT feed_time, full_time FROM sync_cursors WHERE provider = ", b.arg(sc.Provider), " AND account = ", b.arg(sc.Account),
		" AND region = ", b.arg(sc.Region), " AND asset_type = ", b.arg(sc.AssetType))
	var feed, full int64
	err := s.db.QueryRowContext(ctx, b.sb.String(), b.args...).Scan(&feed, &full)
	if errors.Is(err, sql.ErrNoRows) {
		return inventory.SyncCursor{}, false, nil
	}
	if err != nil {
		return inventory.SyncCursor{}, false, fmt.Errorf("sqlstore: read sync cursor: %w", err)
	}
	return inventory.SyncCursor{FeedTime: fromMicros(feed), FullTime: fromMicros(full)}, true, nil
}

// PutSyncCursor implements inventory.IncrementalStore.
func (s *Store) PutSyncCursor(ctx context.Context, sc inventory.Scope, c inventory.SyncCursor) error {
	b := builder{d: &s.d}
	b.write("INSERT INTO sync_cursors (provider, account, region, asset_type, feed_time, full_time) VALUES (",
		b.arg(sc.Provider), ", ", b.arg(sc.Account), ", ", b.arg(sc.Region), ", ", b.arg(sc.AssetType), ", ",
		b.arg(toMicros(c.FeedTime)), ", ", b.arg(toMicros(c.FullTime)),
		") ON CONFLICT (provider, account, region, asset_type) DO UPDATE SET feed_time = excluded.feed_time, full_time = excluded.full_time")
	if _, err := s.writer.ExecContext(ctx, b.sb.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: write sync cursor: %w", err)
	}
	return nil
}

// AssetsByID implements inventory.IncrementalStore.
func (s *Store) AssetsByID(ctx context.Context, sc inventory.Scope, assetIDs []string) ([]inventory.Asset, error) {
	out := make([]inventory.Asset, 0, len(assetIDs))
	for start := 0; start < len(assetIDs); start += idChunk {
		chunk := assetIDs[start:min(start+idChunk, len(assetIDs))]
		b := builder{d: &s.d}
		b.write("SELECT ", assetColumns, " FROM assets a LEFT JOIN asset_metadata m ON m.asset = a.id WHERE a.provider = ",
			b.arg(sc.Provider), " AND a.account = ", b.arg(sc.Account), " AND a.asset_type = ", b.arg(sc.AssetType),
			" AND a.region = ", b.arg(sc.Region), " AND a.asset_id IN (")
		for i, id := range chunk {
			if i > 0 {
				b.write(", ")
			}
			b.write(b.arg(id))
		}
		b.write(")")
		rows, err := s.db.QueryContext(ctx, b.sb.String(), b.args...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: read assets by id: %w", err)
		}
		for rows.Next() {
			a, err := scanAsset(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
