package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// events answers GET /asset-events?since=ID&limit=N with {"events",
// "last_id"}: the events after ID, oldest first, and the ID to pass as
// since next time. With "Accept: text/event-stream" it streams instead,
// as GET /asset-events/stream.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) error {
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		return h.eventStream(w, r)
	}
	q := r.URL.Query()
	if err := checkQuery(q, []string{"since", "limit"}, nil); err != nil {
		return err
	}
	since, err := queryInt(q, "since", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(q, "limit", inventory.DefaultEventLimit)
	if err != nil {
		return err
	}
	if limit == 0 || limit > inventory.MaxEventLimit {
		return badRequest("limit %d is not within 1..%d", limit, inventory.MaxEventLimit)
	}
	list, err := h.svc.Events(r.Context(), since, int(limit))
	if err != nil {
		return err
	}
	last := since
	if len(list) > 0 {
		last = list[len(list)-1].ID
	}
	if list == nil {
		list = []inventory.AssetEvent{}
	}
	ok(w, http.StatusOK, map[string]any{"events": list, "last_id": last})
	return nil
}

// eventStream answers GET /asset-events/stream with server-sent events:
// each event as "id: N", "event: <type>", "data: <the event's JSON>",
// from after the Last-Event-ID header (which EventSource sends when it
// reconnects) or the since parameter, until the client leaves or the
// Handler closes. Idle streams get a comment every Options.Heartbeat.
func (h *Handler) eventStream(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkQuery(q, []string{"since"}, nil); err != nil {
		return err
	}
	since, err := queryInt(q, "since", 0)
	if err != nil {
		return err
	}
	if s := r.Header.Get("Last-Event-ID"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return badRequest("Last-Event-ID %q is not an event id", truncate(s))
		}
		since = n
	}
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var mu sync.Mutex // one writer at a time: events and heartbeats
	write := func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := fmt.Fprint(w, s); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write(": stream of asset events\nretry: 3000\n\n"); err != nil {
		return nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(h.opts.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if write(": keep-alive\n\n") != nil {
					cancel()
					return
				}
			}
		}
	}()
	err = h.svc.Subscribe(ctx, since, func(e inventory.AssetEvent) error {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return write(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, b))
	})
	cancel()
	wg.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		h.log.WarnContext(r.Context(), "event stream ended", "error", err)
	}
	return nil // the status is sent; nothing more to answer
}
