package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/multicloud-ecs/multicloud/inventory"
	"golang.org/x/sync/errgroup"
)

// testEventLog checks the optional inventory.EventLog: order, paging,
// and that a reader resuming from its last ID while writers append at
// once misses no event.
func testEventLog(t *testing.T, s inventory.Store) {
	log, ok := s.(inventory.EventLog)
	if !ok {
		t.Skip("the store does not implement inventory.EventLog")
	}
	ctx := context.Background()
	got, err := log.EventsAfter(ctx, 0, 10)
	if err != nil {
		t.Fatalf("EventsAfter(empty): %v", err)
	}
	if len(got) != 0 {
		t.Fatalf("EventsAfter(empty): got %d events, want 0", len(got))
	}
	want := []inventory.AssetEvent{
		{Type: inventory.EventAdded, Provider: "aliyun", Account: "acc-1", AssetType: "ecs", Region: "cn-hangzhou",
			AssetID: "i-1", AssetName: "web-1 'quoted' \"name\"", NewStatus: "Running", Time: base},
		{Type: inventory.EventStatusChanged, Provider: "aliyun", Account: "acc-1", AssetType: "ecs", Region: "cn-hangzhou",
			AssetID: "i-1", AssetName: "web-1", OldStatus: "Running", NewStatus: "Stopped", Time: base.Add(time.Minute)},
		{Type: inventory.EventDeleted, Provider: "aliyun", Account: "acc-1", AssetType: "ecs", Region: "cn-hangzhou",
			AssetID: "i-1", OldStatus: "Stopped", Time: base.Add(time.Hour)},
	}
	if err := log.AppendEvents(ctx, want[:2]); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	if err := log.AppendEvents(ctx, want[2:]); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	if err := log.AppendEvents(ctx, nil); err != nil {
		t.Fatalf("AppendEvents(nil): %v", err)
	}
	all, err := log.EventsAfter(ctx, 0, 10)
	if err != nil {
		t.Fatalf("EventsAfter: %v", err)
	}
	if diff := cmp.Diff(want, all, cmpopts.IgnoreFields(inventory.AssetEvent{}, "ID")); diff != "" {
		t.Fatalf("EventsAfter(0) mismatch (-want +got):\n%s", diff)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			t.Fatalf("event IDs not increasing: %d then %d", all[i-1].ID, all[i].ID)
		}
	}
	page, err := log.EventsAfter(ctx, all[0].ID, 1)
	if err != nil {
		t.Fatalf("EventsAfter: %v", err)
	}
	if diff := cmp.Diff(all[1:2], page); diff != "" {
		t.Errorf("EventsAfter(first, limit 1) mismatch (-want +got):\n%s", diff)
	}
	if page, _ := log.EventsAfter(ctx, all[2].ID, 10); len(page) != 0 {
		t.Errorf("EventsAfter(last): got %d events, want 0", len(page))
	}

	// Writers append while a reader follows the log from its last ID.
	const writers, batches, perBatch = 4, 15, 7
	var g errgroup.Group
	var done sync.WaitGroup
	done.Add(writers)
	for w := range writers {
		g.Go(func() error {
			defer done.Done()
			for b := range batches {
				batch := make([]inventory.AssetEvent, perBatch)
				for i := range batch {
					batch[i] = inventory.AssetEvent{Type: inventory.EventUpdated, Provider: "aliyun", Account: "acc-1",
						AssetType: "ecs", Region: "cn-beijing", AssetID: fmt.Sprintf("i-%d-%d-%d", w, b, i), Time: base}
				}
				if err := log.AppendEvents(ctx, batch); err != nil {
					return err
				}
			}
			return nil
		})
	}
	writersDone := make(chan struct{})
	go func() { done.Wait(); close(writersDone) }()
	seen := map[string]bool{}
	last := all[2].ID
	for finished := false; ; {
		select {
		case <-writersDone:
			finished = true
		default:
		}
		page, err := log.EventsAfter(ctx, last, 5)
		if err != nil {
			t.Fatalf("EventsAfter while appending: %v", err)
		}
		for _, e := range page {
			if e.ID <= last {
				t.Fatalf("event %d after %d", e.ID, last)
			}
			if seen[e.AssetID] {
				t.Fatalf("event of %s read twice", e.AssetID)
			}
			seen[e.AssetID], last = true, e.ID
		}
		if finished && len(page) == 0 {
			break
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	if got, want := len(seen), writers*batches*perBatch; got != want {
		t.Errorf("a reader resuming from its last ID read %d events, want %d", got, want)
	}
}
