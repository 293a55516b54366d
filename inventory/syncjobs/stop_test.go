package syncjobs_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
)

// hookStore is a MemStore that calls hook, once, when a sync moves a
// scope's cursor: the last thing a region's sync writes.
type hookStore struct {
	*inventory.MemStore
	once sync.Once
	hook func(ctx context.Context)
}

func (s *hookStore) PutSyncCursor(ctx context.Context, sc inventory.Scope, c inventory.SyncCursor) error {
	if s.hook != nil {
		s.once.Do(func() { s.hook(ctx) })
	}
	return s.MemStore.PutSyncCursor(context.WithoutCancel(ctx), sc, c)
}

// TestFinishWokenWhenReplicaStops stops a replica just as a region job
// it runs has synced its region: River cancels the job's context and
// still records the job completed. Its finishing job must be awake by
// then, not left asleep until its fallback a minute later with the
// account's sync still active, and another replica then records the
// account's sync.
func TestFinishWokenWhenReplicaStops(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1"}, time.Millisecond)
	store := &hookStore{MemStore: inventory.NewMemStore()}
	svc := newService(t, store, cloud)
	acct := createAccounts(t, svc, 1, 0)[0]
	path := filepath.Join(t.TempDir(), "jobs.db")
	a, err := syncjobs.NewSQLite(ctx, openSQLiteAt(t, path), svc, fastOptions, syncjobs.WithWorkers(1))
	if err != nil {
		t.Fatalf("NewSQLite: %v", err)
	}
	runCtx, stopA := context.WithCancel(ctx)
	defer stopA()
	stopped := make(chan error, 1)
	store.hook = func(jobCtx context.Context) {
		stopA()
		select { // River's hard stop cancels the job
		case <-jobCtx.Done():
		case <-time.After(20 * time.Second):
			t.Error("the stop did not cancel the running region job")
		}
	}
	go func() { stopped <- a.Run(runCtx) }()
	id, err := a.EnqueueSync(ctx, acct, nil, inventory.SyncFull)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	select {
	case <-stopped:
	case <-time.After(60 * time.Second):
		t.Fatal("the replica did not stop")
	}

	b, err := syncjobs.NewSQLite(ctx, openSQLiteAt(t, path), svc, fastOptions)
	if err != nil {
		t.Fatalf("NewSQLite: %v", err)
	}
	res, err := b.Client().JobList(ctx, river.NewJobListParams().Kinds(syncjobs.KindRegion, syncjobs.KindFinish).First(10))
	if err != nil {
		t.Fatalf("JobList: %v", err)
	}
	states := map[string]rivertype.JobState{}
	for _, j := range res.Jobs {
		states[j.Kind] = j.State
	}
	if states[syncjobs.KindRegion] != rivertype.JobStateCompleted {
		t.Fatalf("region job after the stop: got %q, want completed (it synced before the stop was seen)", states[syncjobs.KindRegion])
	}
	if got := states[syncjobs.KindFinish]; got != rivertype.JobStateAvailable {
		t.Errorf("finishing job once its only region completed: got %q, want available (woken with the completion)", got)
	}

	runJobs(t, b)
	waitFor(t, 30*time.Second, "the sync to be recorded by the other replica", func() bool {
		st, err := b.SyncStatus(ctx, id)
		return err == nil && st.Report != nil
	})
	got, err := svc.GetAccount(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSyncStatus != "success" {
		t.Errorf("account after the sync: got %q, want success", got.LastSyncStatus)
	}
}
