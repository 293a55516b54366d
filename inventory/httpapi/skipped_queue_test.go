package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
)

// skippedQueue is a SyncQueue holding two scheduled syncs of one
// account: job 7 skipped, job 8 succeeded.
type skippedQueue struct{ account string }

func (q skippedQueue) EnqueueSync(context.Context, string, []string, inventory.SyncMode) (int64, error) {
	return 0, multicloud.Errorf(multicloud.CodeInvalidArgument, "not in this test")
}

func (q skippedQueue) ActiveSync(context.Context, string) (int64, bool, error) { return 0, false, nil }

func (q skippedQueue) QueuedSync(_ context.Context, id int64) (*httpapi.QueuedSync, error) {
	switch id {
	case 7:
		return &httpapi.QueuedSync{AccountID: q.account, State: httpapi.QueuedStateSkipped, Error: "synced by job 5 after the window began"}, nil
	case 8:
		return &httpapi.QueuedSync{AccountID: q.account, State: httpapi.QueuedStateSucceeded}, nil
	}
	return nil, multicloud.Errorf(multicloud.CodeNotFound, "no job %d", id)
}

// TestSkippedQueuedJob checks how GET /sync-jobs shows a queue's sync
// that skipped its window: skipped, with the reason, when all of its
// accounts skipped; succeeded, the reason kept, when others synced.
func TestSkippedQueuedJob(t *testing.T) {
	s := newServer(t, func(*inventory.Service) httpapi.Option { return httpapi.WithSyncQueue(skippedQueue{account: "acc-1"}) })
	status, e := s.do("GET", httpapi.Prefix+"/sync-jobs/rq-7", "")
	want(t, "skipped job", status, e, 200, 0)
	if j := data[httpapi.Job](t, e); j.Status != httpapi.JobSkipped || !strings.Contains(j.Error, "synced by job 5") {
		t.Errorf("skipped job: got status %s, error %q; want skipped with its reason", j.Status, j.Error)
	}
	status, e = s.do("GET", httpapi.Prefix+"/sync-jobs/rq-7-8", "")
	want(t, "skipped and synced job", status, e, 200, 0)
	if j := data[httpapi.Job](t, e); j.Status != httpapi.JobSucceeded || !strings.Contains(j.Error, "synced by job 5") {
		t.Errorf("job of a skipped and a synced account: got status %s, error %q; want succeeded, naming the skip", j.Status, j.Error)
	}
	validateExchanges(t, s.exchanges, 1)
}
