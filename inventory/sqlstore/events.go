package sqlstore

import (
	"context"
	"fmt"

	"github.com/multicloud-ecs/multicloud/inventory"
)

var _ inventory.EventLog = (*Store)(nil)

// eventChunk is the most events one INSERT writes (10 arguments each).
const eventChunk = 500

// lockEvents serializes PostgreSQL appends until they commit, so a reader
// never sees an ID before a smaller one that commits later. Per schema,
// as lockWrite. SQLite appends already go through one connection.
const lockEvents = "SELECT pg_advisory_xact_lock(726354092, hashtext(current_schema()))"

// AppendEvents implements inventory.EventLog: the events in one
// transaction, in order, with IDs from the table's identity.
func (s *Store) AppendEvents(ctx context.Context, events []inventory.AssetEvent) error {
	if len(events) == 0 {
		return ctx.Err()
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.d.name == "postgres" {
		if _, err := tx.ExecContext(ctx, lockEvents); err != nil {
			return fmt.Errorf("sqlstore: lock events: %w", err)
		}
	}
	for start := 0; start < len(events); start += eventChunk {
		q, args := s.eventsQuery(events[start:min(start+eventChunk, len(events))])
		if _, err := s.txExec(ctx, tx, q, args...); err != nil {
			return fmt.Errorf("sqlstore: append events: %w", err)
		}
	}
	return tx.Commit()
}

// eventsQuery builds the INSERT of events; its text depends only on
// their number (see prepareWrites).
func (s *Store) eventsQuery(events []inventory.AssetEvent) (string, []any) {
	b := builder{d: &s.d, args: make([]any, 0, 10*len(events))}
	b.write("INSERT INTO asset_events (type, provider, account, asset_type, region, asset_id, asset_name, " +
		"old_status, new_status, time) VALUES ")
	for i, e := range events {
		if i > 0 {
			b.write(", ")
		}
		b.write("(", b.arg(string(e.Type)), ", ", b.arg(e.Provider), ", ", b.arg(e.Account), ", ", b.arg(e.AssetType),
			", ", b.arg(e.Region), ", ", b.arg(e.AssetID), ", ", b.arg(e.AssetName), ", ", b.arg(e.OldStatus),
			", ", b.arg(e.NewStatus), ", ", b.arg(toMicros(e.Time)), ")")
	}
	return b.sb.String(), b.args
}

// EventsAfter implements inventory.EventLog.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]inventory.AssetEvent, error) {
	b := builder{d: &s.d}
	b.write("SELECT id, type, provider, account, asset_type, region, asset_id, asset_name, old_status, new_status, time "+
		"FROM asset_events WHERE id > ", b.arg(after), " ORDER BY id LIMIT ", b.arg(max(limit, 0)))
	rows, err := s.db.QueryContext(ctx, b.sb.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read events: %w", err)
	}
	defer rows.Close()
	out := []inventory.AssetEvent{}
	for rows.Next() {
		var e inventory.AssetEvent
		var typ string
		var at int64
		if err := rows.Scan(&e.ID, &typ, &e.Provider, &e.Account, &e.AssetType, &e.Region, &e.AssetID, &e.AssetName,
			&e.OldStatus, &e.NewStatus, &at); err != nil {
			return nil, fmt.Errorf("sqlstore: read events: %w", err)
		}
		e.Type, e.Time = inventory.EventType(typ), fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
