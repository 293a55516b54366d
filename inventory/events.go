package inventory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
)

// EventType is the kind of change an AssetEvent records.
type EventType string

// The event types a sync emits.
const (
	// EventAdded: the asset is new to the inventory, or reappeared after
	// it had been marked deleted.
	EventAdded EventType = "added"
	// EventUpdated: the asset's content changed and its status did not.
	EventUpdated EventType = "updated"
	// EventStatusChanged: the asset changed and its status is one of the
	// changes (OldStatus to NewStatus). It replaces EventUpdated for
	// that change.
	EventStatusChanged EventType = "status_changed"
	// EventDeleted: a completed full listing missed the asset.
	EventDeleted EventType = "deleted"
)

// Event page sizes.
const (
	// DefaultEventLimit is the page size of Events when limit is 0.
	DefaultEventLimit = 100
	// MaxEventLimit is the largest page Events returns.
	MaxEventLimit = 1000
)

// AssetEvent is one change a sync found. Events are delivered at least
// once: a sync records them before it writes the change, so a write that
// fails leaves events that the next sync records again.
type AssetEvent struct {
	// ID is the event's position in the log: IDs increase in the order
	// events were recorded, and a reader that saw ID n never later sees
	// a new event with a smaller ID, so resuming after n loses nothing.
	// IDs may have gaps.
	ID        int64     `json:"id"`
	Type      EventType `json:"type"`
	Provider  string    `json:"provider"`
	Account   string    `json:"account"`
	AssetType string    `json:"asset_type"`
	Region    string    `json:"region"`
	AssetID   string    `json:"asset_id"`
	// AssetName is the name the asset has after the change; empty for
	// EventDeleted, as the sync does not load the names of stored assets.
	AssetName string `json:"asset_name"`
	// OldStatus is the stored status before the change; empty for
	// EventAdded.
	OldStatus string `json:"old_status"`
	// NewStatus is the status after the change; empty for EventDeleted.
	NewStatus string `json:"new_status"`
	// Time is when the sync saw the change.
	Time time.Time `json:"time"`
}

// EventLog is an optional interface of a Store: a durable, append-only
// log of AssetEvents. A Service whose Store lacks it keeps its latest
// events in memory, for the life of the Service (see
// Options.MemEvents). Implementations must be safe for concurrent use.
type EventLog interface {
	// AppendEvents stores events in order, all or none, assigning each
	// an ID greater than any stored before; the IDs of the argument are
	// ignored. A reader must never see a later-committed event with an
	// ID below one it already read: appends are serialized so IDs are
	// committed in order.
	AppendEvents(ctx context.Context, events []AssetEvent) error
	// EventsAfter returns up to limit (positive) events with an ID
	// greater than after, in ID order, and an empty slice when there is
	// none.
	EventsAfter(ctx context.Context, after int64, limit int) ([]AssetEvent, error)
}

// MemEventLog is an EventLog in memory. It is safe for concurrent use;
// the zero value is an empty log that keeps every event.
type MemEventLog struct {
	// Max, when positive, is how many events the log keeps: an append
	// beyond it drops the oldest, and a reader resuming before the
	// oldest kept event gets the oldest kept next (the IDs it skipped
	// are a gap). Set it before the first append.
	Max int

	mu     sync.RWMutex
	events []AssetEvent // a ring of the kept events when Max > 0
	head   int          // index in events of the oldest kept event
	last   int64        // the ID of the newest event, 0 when none
}

var _ EventLog = (*MemEventLog)(nil)

// AppendEvents implements EventLog.
func (l *MemEventLog) AppendEvents(ctx context.Context, events []AssetEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range events {
		l.last++
		e.ID = l.last
		if l.Max <= 0 || len(l.events) < l.Max {
			l.events = append(l.events, e)
			continue
		}
		// Full: the newest replaces the oldest.
		l.events[l.head] = e
		l.head = (l.head + 1) % len(l.events)
	}
	return nil
}

// EventsAfter implements EventLog.
func (l *MemEventLog) EventsAfter(ctx context.Context, after int64, limit int) ([]AssetEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	// The kept events have the IDs oldest..last, oldest at index head.
	n := int64(len(l.events))
	oldest := l.last - n + 1
	skip := min(max(after+1-oldest, 0), n) // kept events at or before after
	count := min(n-skip, int64(limit))
	out := make([]AssetEvent, 0, count)
	for i := skip; i < skip+count; i++ {
		out = append(out, l.events[(int64(l.head)+i)%n])
	}
	return out, nil
}

// changeEvent returns the event of a discovered asset the sync writes:
// known and st say what the store held before.
func changeEvent(a *Asset, known bool, st AssetState, at time.Time) AssetEvent {
	e := AssetEvent{Type: EventUpdated, Provider: a.Provider, Account: a.Account, AssetType: a.AssetType,
		Region: a.Region, AssetID: a.AssetID, AssetName: a.AssetName, OldStatus: st.Status, NewStatus: a.Status, Time: at}
	switch {
	case !known || st.Deleted:
		e.Type, e.OldStatus = EventAdded, ""
	case st.Status != "" && st.Status != a.Status:
		// A store that leaves AssetState.Status empty yields updates.
		e.Type = EventStatusChanged
	}
	return e
}

// deletedEvents returns the events of the stored assets of sc a full
// listing missed.
func deletedEvents(sc Scope, ids []string, states *scopeStates, at time.Time) []AssetEvent {
	out := make([]AssetEvent, len(ids))
	for i, id := range ids {
		var status string
		if j, ok := states.find(id); ok {
			status = states.state(j).Status
		}
		out[i] = AssetEvent{Type: EventDeleted, Provider: sc.Provider, Account: sc.Account, AssetType: sc.AssetType,
			Region: sc.Region, AssetID: id, OldStatus: status, Time: at}
	}
	return out
}

// recordEvents appends events to the log and wakes the subscribers.
func (s *Service) recordEvents(ctx context.Context, events []AssetEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := s.events.AppendEvents(ctx, events); err != nil {
		return err
	}
	s.evMu.Lock()
	close(s.evNotify)
	s.evNotify = make(chan struct{})
	s.evMu.Unlock()
	return nil
}

// eventsChanged returns a channel closed at the next append.
func (s *Service) eventsChanged() <-chan struct{} {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	return s.evNotify
}

// Events returns up to limit events recorded after the event with ID
// after (0 for the first), in ID order; limit 0 means DefaultEventLimit.
// A limit above MaxEventLimit or a negative after or limit matches
// multicloud.ErrInvalidArgument. It is safe for concurrent use.
func (s *Service) Events(ctx context.Context, after int64, limit int) ([]AssetEvent, error) {
	switch {
	case after < 0:
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: event id %d is negative", after)
	case limit < 0 || limit > MaxEventLimit:
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: event limit %d is not within 0..%d", limit, MaxEventLimit)
	case limit == 0:
		limit = DefaultEventLimit
	}
	return s.events.EventsAfter(ctx, after, limit)
}

// Subscribe calls fn, in order and one at a time, with every event
// recorded after the event with ID after (0 for all), first those already
// in the log and then each new one as syncs record it, until ctx is done
// or fn fails. It returns fn's error, or ctx's. New events of this
// Service wake it at once; those other processes append to a shared
// Store are found within Options.EventPoll. A subscriber that stops and
// calls Subscribe again with the ID of the last event it handled misses
// nothing. It is safe for concurrent use; the caller owns the goroutine
// that runs it.
func (s *Service) Subscribe(ctx context.Context, after int64, fn func(AssetEvent) error) error {
	if after < 0 {
		return multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: event id %d is negative", after)
	}
	for {
		changed := s.eventsChanged() // before reading, so no append slips between
		page, err := s.events.EventsAfter(ctx, after, MaxEventLimit)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
			after = e.ID
		}
		if len(page) == MaxEventLimit {
			continue
		}
		t := time.NewTimer(s.opts.EventPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// Providers returns the provider codes the Service has a Connector for,
// sorted. It is safe for concurrent use.
func (s *Service) Providers() []string {
	out := make([]string, 0, len(s.opts.Connectors))
	for p := range s.opts.Connectors {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
