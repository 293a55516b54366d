package syncjobs_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
)

// openSQLite opens a SQLite file for River, one connection at a time.
func openSQLite(t testing.TB) *sql.DB {
	t.Helper()
	return openSQLiteAt(t, filepath.Join(t.TempDir(), "jobs.db"))
}

// openSQLiteAt opens the SQLite file at path for River, one connection
// at a time; several may open the same file, as replicas.
func openSQLiteAt(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// runJobs runs j until the test ends.
func runJobs[TTx any](t testing.TB, j *syncjobs.Jobs[TTx]) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return cancel
}

func fastOptions(o *syncjobs.Options) {
	o.Tick, o.FinishPoll, o.PollInterval, o.FetchCooldown = 100*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond, 10*time.Millisecond
	o.JobTimeout, o.RescueAfter = 10*time.Second, 20*time.Second
	o.MaxAttempts, o.RetryBase, o.RetryMax = 3, 20*time.Millisecond, 100*time.Millisecond
}

func TestManualSyncOnSQLite(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2", "r3"}, 5*time.Millisecond)
	store := inventory.NewMemStore()
	svc := newService(t, store, cloud)
	ids := createAccounts(t, svc, 2, 0)
	// r2 of the second account fails every attempt; r3 fails once.
	cloud.failLeft[ids[1]+"/r2"] = 100
	cloud.failLeft[ids[1]+"/r3"] = 1
	jobs, err := syncjobs.NewSQLite(ctx, openSQLite(t), svc, fastOptions)
	if err != nil {
		t.Fatalf("NewSQLite: %v", err)
	}
	runJobs(t, jobs)

	if _, err := jobs.EnqueueSync(ctx, "acc-none", nil, ""); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("EnqueueSync of a missing account: got %v, want ErrNotFound", err)
	}
	if _, err := jobs.EnqueueSync(ctx, ids[0], nil, "sideways"); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("EnqueueSync with a bad mode: got %v, want ErrInvalidArgument", err)
	}
	ok, err := jobs.EnqueueSync(ctx, ids[0], nil, inventory.SyncFull)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	partial, err := jobs.EnqueueSync(ctx, ids[1], []string{"r2", "r3"}, inventory.SyncFull)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	final := func(id int64) *syncjobs.Status {
		var st *syncjobs.Status
		waitFor(t, 30*time.Second, "sync to end", func() bool {
			st, err = jobs.SyncStatus(ctx, id)
			if err != nil {
				t.Fatalf("SyncStatus: %v", err)
			}
			return st.State != syncjobs.StateQueued && st.State != syncjobs.StateRunning && st.Report != nil
		})
		return st
	}
	st := final(ok)
	if st.State != syncjobs.StateSucceeded || st.Report.Added != 9 || len(st.Regions) != 3 {
		t.Errorf("sync of three regions: got %s, %d added, %d regions; want succeeded, 9, 3", st.State, st.Report.Added, len(st.Regions))
	}
	st = final(partial)
	got := map[string]int{}
	for _, r := range st.Regions {
		got[r.Region] = r.Attempts
	}
	if diff := cmp.Diff(map[string]int{"r2": 3, "r3": 2}, got); st.State != syncjobs.StatePartial || diff != "" {
		t.Errorf("sync with a failing region: got %s, attempts (-want +got):\n%s", st.State, diff)
	}
	for i, want := range []string{"success", "partial"} {
		a, err := svc.GetAccount(ctx, ids[i])
		if err != nil || a.LastSyncStatus != want || a.LastSyncTime == nil {
			t.Errorf("account %d: got status %q at %v (%v), want %q", i, a.LastSyncStatus, a.LastSyncTime, err, want)
		}
	}
	if _, err := jobs.SyncStatus(ctx, 1<<40); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("SyncStatus of a missing job: got %v, want ErrNotFound", err)
	}
}

func TestScheduleOnSQLite(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2"}, time.Millisecond)
	svc := newService(t, inventory.NewMemStore(), cloud)
	const interval = slow * 700 * time.Millisecond
	ids := createAccounts(t, svc, 3, interval)
	jobs, err := syncjobs.NewSQLite(ctx, openSQLite(t), svc, fastOptions)
	if err != nil {
		t.Fatalf("NewSQLite: %v", err)
	}
	stop := runJobs(t, jobs)
	time.Sleep(5 * interval)
	stop()
	var keys []string
	for _, id := range ids {
		for _, r := range cloud.regions {
			keys = append(keys, id+"/"+r)
		}
	}
	checkOncePerWindow(t, regionRuns(t, jobs), windowSkips(t, jobs), cloud, keys, interval, 3, syncjobs.DefaultWorkers) // the stop at the end cuts some
}

func TestCancelOnSQLite(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2", "r3", "r4"}, 300*time.Millisecond)
	svc := newService(t, inventory.NewMemStore(), cloud)
	ids := createAccounts(t, svc, 1, 0)
	jobs, err := syncjobs.NewSQLite(ctx, openSQLite(t), svc, fastOptions, syncjobs.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	runJobs(t, jobs)
	id, err := jobs.EnqueueSync(ctx, ids[0], nil, inventory.SyncFull)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the fan-out", func() bool {
		st, err := jobs.SyncStatus(ctx, id)
		return err == nil && len(st.Regions) == 4
	})
	if err := jobs.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	var st *syncjobs.Status
	waitFor(t, 20*time.Second, "the cancelled sync to end", func() bool {
		st, err = jobs.SyncStatus(ctx, id)
		return err == nil && st.State != syncjobs.StateRunning && st.State != syncjobs.StateQueued
	})
	if st.State != syncjobs.StateCancelled {
		t.Errorf("cancelled sync: got %s, want cancelled", st.State)
	}
	if n := len(cloud.completions()); n >= 4 {
		t.Errorf("cancelled sync listed %d regions, want fewer than 4", n)
	}
	waitFor(t, 20*time.Second, "the account's record", func() bool {
		a, err := svc.GetAccount(ctx, ids[0])
		return err == nil && a.LastSyncTime != nil
	})
	if a, _ := svc.GetAccount(ctx, ids[0]); a.LastSyncStatus == "success" {
		t.Errorf("account after a cancelled sync: got %q, want partial or failed", a.LastSyncStatus)
	}
	if err := jobs.Cancel(ctx, 1<<40); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("Cancel of a missing job: got %v, want ErrNotFound", err)
	}
}

// TestActiveSyncOnSQLite checks that ActiveSync finds a sync the schedule
// enqueued, through its fan-out, until the account's sync is recorded.
func TestActiveSyncOnSQLite(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2"}, 400*time.Millisecond) // one worker: the regions take 0.8 s
	svc := newService(t, inventory.NewMemStore(), cloud)
	scheduled := createAccounts(t, svc, 1, time.Hour)[0]
	jobs, err := syncjobs.NewSQLite(ctx, openSQLite(t), svc, fastOptions, syncjobs.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	if id, found, err := jobs.ActiveSync(ctx, scheduled); err != nil || found {
		t.Fatalf("ActiveSync before the schedule ran: got job %d, found %v, error %v; want none", id, found, err)
	}
	runJobs(t, jobs)
	var active int64
	waitFor(t, 10*time.Second, "the scheduled sync", func() bool {
		id, found, err := jobs.ActiveSync(ctx, scheduled)
		active = id
		return err == nil && found
	})
	waitFor(t, 10*time.Second, "the fan-out", func() bool {
		st, err := jobs.SyncStatus(ctx, active)
		return err == nil && len(st.Regions) == 2
	})
	if id, found, err := jobs.ActiveSync(ctx, scheduled); err != nil || !found || id != active {
		t.Errorf("ActiveSync after the fan-out: got job %d, found %v, error %v; want %d", id, found, err, active)
	}
	waitFor(t, 20*time.Second, "the sync to end", func() bool {
		_, found, err := jobs.ActiveSync(ctx, scheduled)
		return err == nil && !found
	})
	if a, err := svc.GetAccount(ctx, scheduled); err != nil || a.LastSyncTime == nil {
		t.Errorf("account once no sync is active: got error %v or no last sync time; want its sync recorded", err)
	}
}

// TestEnqueueSyncsIfIdleOnSQLite checks that EnqueueSyncsIfIdle enqueues
// all accounts or, when one has an active sync, none.
func TestEnqueueSyncsIfIdleOnSQLite(t *testing.T) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1"}, time.Millisecond)
	svc := newService(t, inventory.NewMemStore(), cloud)
	ids := createAccounts(t, svc, 3, 0)
	jobs, err := syncjobs.NewSQLite(ctx, openSQLite(t), svc, fastOptions) // not running: syncs stay queued
	if err != nil {
		t.Fatal(err)
	}
	got, err := jobs.EnqueueSyncsIfIdle(ctx, ids[:2], nil, "")
	if err != nil || len(got) != 2 {
		t.Fatalf("EnqueueSyncsIfIdle of idle accounts: got %v, %v; want 2 jobs", got, err)
	}
	_, err = jobs.EnqueueSyncsIfIdle(ctx, []string{ids[2], ids[1]}, nil, "")
	var busy *syncjobs.BusyError
	if !errors.As(err, &busy) || !errors.Is(err, multicloud.ErrConflict) || busy.AccountID != ids[1] || busy.JobID != got[1] {
		t.Fatalf("EnqueueSyncsIfIdle with a busy account: got %v, want a BusyError naming %s and job %d", err, ids[1], got[1])
	}
	if id, found, err := jobs.ActiveSync(ctx, ids[2]); err != nil || found {
		t.Errorf("the idle account of a refused call: got job %d, found %v, error %v; want nothing enqueued", id, found, err)
	}
	if _, err := jobs.EnqueueSyncsIfIdle(ctx, []string{"acc-none"}, nil, ""); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("EnqueueSyncsIfIdle of a missing account: got %v, want ErrNotFound", err)
	}
	if _, err := jobs.EnqueueSyncsIfIdle(ctx, nil, nil, ""); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("EnqueueSyncsIfIdle of no account: got %v, want ErrInvalidArgument", err)
	}
}
