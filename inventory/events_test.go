package inventory_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
)

// eventKey is what the tests compare of an event.
type eventKey struct {
	Type               inventory.EventType
	AssetID            string
	OldStatus, NewStat string
}

func keysOf(events []inventory.AssetEvent) []eventKey {
	out := make([]eventKey, len(events))
	for i, e := range events {
		out[i] = eventKey{e.Type, e.AssetID, e.OldStatus, e.NewStatus}
	}
	slices.SortFunc(out, func(a, b eventKey) int {
		return strings.Compare(string(a.Type)+a.AssetID, string(b.Type)+b.AssetID)
	})
	return out
}

func TestSyncEmitsEvents(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud(1, 4)
	svc := newService(t, inventory.NewMemStore(), inventory.WithBatchSize(2))
	const region = "region-00"
	id := func(i int) string { return "i-region-00-0000" + string(rune('0'+i)) }

	// A subscriber that follows from the start, in its own goroutine.
	subCtx, stop := context.WithCancel(ctx)
	got := make(chan inventory.AssetEvent, 100)
	subDone := make(chan error, 1)
	go func() {
		subDone <- svc.Subscribe(subCtx, 0, func(e inventory.AssetEvent) error { got <- e; return nil })
	}()
	t.Cleanup(func() {
		stop()
		if err := <-subDone; !errors.Is(err, context.Canceled) {
			t.Errorf("Subscribe: got %v, want context.Canceled", err)
		}
	})

	if _, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{}); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	first, err := svc.Events(ctx, 0, 0)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var want []eventKey
	for i := range 4 {
		want = append(want, eventKey{inventory.EventAdded, id(i), "", []string{"Running", "Stopped"}[i%2]})
	}
	if diff := cmp.Diff(keysOf(want2events(want)), keysOf(first)); diff != "" {
		t.Fatalf("events of the first sync (-want +got):\n%s", diff)
	}

	cloud.edit(func(r map[string][]inventory.Asset) {
		r[region][0].Status = "Stopped"            // Running -> Stopped
		r[region][1].AssetName = "renamed"         // content only
		r[region] = slices.Delete(r[region], 2, 3) // i-...2 gone
		r[region] = append(r[region], fakeInstance(region, 7))
	})
	if _, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{}); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	second, err := svc.Events(ctx, first[len(first)-1].ID, 0)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	want = []eventKey{
		{inventory.EventAdded, id(7), "", "Stopped"},
		{inventory.EventDeleted, id(2), "Running", ""},
		{inventory.EventStatusChanged, id(0), "Running", "Stopped"},
		{inventory.EventUpdated, id(1), "Stopped", "Stopped"},
	}
	if diff := cmp.Diff(keysOf(want2events(want)), keysOf(second)); diff != "" {
		t.Fatalf("events of the second sync (-want +got):\n%s", diff)
	}

	// The subscriber got all eight, in ID order.
	var followed []inventory.AssetEvent
	timeout := time.After(10 * time.Second)
	for len(followed) < 8 {
		select {
		case e := <-got:
			followed = append(followed, e)
		case <-timeout:
			t.Fatalf("subscriber got %d events, want 8", len(followed))
		}
	}
	if diff := cmp.Diff(append(first, second...), followed); diff != "" {
		t.Errorf("subscribed events (-want +got):\n%s", diff)
	}

	// Resuming from an ID replays exactly what followed it.
	resumeCtx, cancel := context.WithCancel(ctx)
	var resumed []inventory.AssetEvent
	err = svc.Subscribe(resumeCtx, first[1].ID, func(e inventory.AssetEvent) error {
		resumed = append(resumed, e)
		if len(resumed) == 6 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe: got %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(followed[2:], resumed); diff != "" {
		t.Errorf("resumed events (-want +got):\n%s", diff)
	}
}

func want2events(keys []eventKey) []inventory.AssetEvent {
	out := make([]inventory.AssetEvent, len(keys))
	for i, k := range keys {
		out[i] = inventory.AssetEvent{Type: k.Type, AssetID: k.AssetID, OldStatus: k.OldStatus, NewStatus: k.NewStat}
	}
	return out
}

func TestEventsBadInput(t *testing.T) {
	svc := newService(t, inventory.NewMemStore())
	for _, c := range []struct{ after, limit int }{{-1, 0}, {0, -1}, {0, inventory.MaxEventLimit + 1}} {
		if _, err := svc.Events(context.Background(), int64(c.after), c.limit); err == nil {
			t.Errorf("Events(%d, %d): got nil error, want one", c.after, c.limit)
		}
	}
}

// TestEventsSurviveRestart: events a sync recorded in a SQLite store are
// read by a new Service over the same file, from the reader's last ID.
func TestEventsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	open := func() (*sqlstore.Store, *inventory.Service) {
		st, err := sqlstore.Open(ctx, path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return st, newService(t, st)
	}
	st, svc := open()
	cloud := newFakeCloud(2, 30)
	if _, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{}); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	read, err := svc.Events(ctx, 0, 25) // a reader stops after 25 of 60
	if err != nil || len(read) != 25 {
		t.Fatalf("Events: got %d, %v; want 25", len(read), err)
	}
	st.Close()

	st, svc = open()
	defer st.Close()
	rest, err := svc.Events(ctx, read[len(read)-1].ID, inventory.MaxEventLimit)
	if err != nil {
		t.Fatalf("Events after restart: %v", err)
	}
	seen := map[string]bool{}
	for _, e := range append(read, rest...) {
		if e.Type != inventory.EventAdded || seen[e.AssetID] {
			t.Fatalf("event %+v: want one added event per asset", e)
		}
		seen[e.AssetID] = true
	}
	if len(seen) != 60 {
		t.Errorf("events across the restart: got %d assets, want 60", len(seen))
	}
}

// TestMemEventLogMax: a bounded log keeps the newest Max events with
// their IDs, and a reader resuming before the oldest kept one gets the
// oldest kept next.
func TestMemEventLogMax(t *testing.T) {
	ctx := context.Background()
	l := &inventory.MemEventLog{Max: 3}
	ids := func(events []inventory.AssetEvent, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatalf("EventsAfter: %v", err)
		}
		out := []int64{}
		for _, e := range events {
			if want := "a" + strconv.FormatInt(e.ID, 10); e.AssetID != want {
				t.Errorf("event %d: asset %q, want %q", e.ID, e.AssetID, want)
			}
			out = append(out, e.ID)
		}
		return out
	}
	appendN := func(from, n int) {
		var batch []inventory.AssetEvent
		for i := from; i < from+n; i++ {
			batch = append(batch, inventory.AssetEvent{AssetID: "a" + strconv.Itoa(i)})
		}
		if err := l.AppendEvents(ctx, batch); err != nil {
			t.Fatalf("AppendEvents: %v", err)
		}
	}
	if got := ids(l.EventsAfter(ctx, 0, 10)); len(got) != 0 {
		t.Fatalf("empty log: got %v", got)
	}
	appendN(1, 2)
	if diff := cmp.Diff([]int64{1, 2}, ids(l.EventsAfter(ctx, 0, 10))); diff != "" {
		t.Errorf("below Max (-want +got):\n%s", diff)
	}
	appendN(3, 5) // IDs 3..7: 5, 6, 7 kept
	for _, c := range []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 10, []int64{5, 6, 7}},
		{4, 10, []int64{5, 6, 7}},
		{5, 10, []int64{6, 7}},
		{5, 1, []int64{6}},
		{7, 10, []int64{}},
		{9, 10, []int64{}},
	} {
		if diff := cmp.Diff(c.want, ids(l.EventsAfter(ctx, c.after, c.limit))); diff != "" {
			t.Errorf("EventsAfter(%d, %d) (-want +got):\n%s", c.after, c.limit, diff)
		}
	}
	appendN(8, 1) // the ring wraps again: 6, 7, 8
	if diff := cmp.Diff([]int64{6, 7, 8}, ids(l.EventsAfter(ctx, 0, 10))); diff != "" {
		t.Errorf("after wrapping (-want +got):\n%s", diff)
	}
}

// TestServiceMemEventsBound: a Service whose Store keeps no events holds
// only the latest Options.MemEvents of them.
func TestServiceMemEventsBound(t *testing.T) {
	ctx := context.Background()
	store := struct{ inventory.Store }{inventory.NewMemStore()} // hides the EventLog
	svc := newService(t, store, inventory.WithMemEvents(5))
	cloud := newFakeCloud(2, 30)
	if _, err := svc.Sync(ctx, fakeTarget(cloud), inventory.SyncOptions{}); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	events, err := svc.Events(ctx, 0, inventory.MaxEventLimit)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var got []int64
	for _, e := range events {
		got = append(got, e.ID)
	}
	if diff := cmp.Diff([]int64{56, 57, 58, 59, 60}, got); diff != "" {
		t.Errorf("events of 60 changes, 5 kept (-want +got):\n%s", diff)
	}
}
