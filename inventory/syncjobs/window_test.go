package syncjobs_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
)

// opener returns Jobs over one database (a new connection or pool at
// each call, as a replica) for svc.
type opener[TTx any] func(t *testing.T, svc *inventory.Service, opts ...syncjobs.Option) *syncjobs.Jobs[TTx]

func sqliteOpener(t *testing.T) opener[*sql.Tx] {
	path := filepath.Join(t.TempDir(), "jobs.db")
	return func(t *testing.T, svc *inventory.Service, opts ...syncjobs.Option) *syncjobs.Jobs[*sql.Tx] {
		j, err := syncjobs.NewSQLite(context.Background(), openSQLiteAt(t, path), svc, opts...)
		if err != nil {
			t.Fatalf("NewSQLite: %v", err)
		}
		return j
	}
}

func postgresOpener(t *testing.T) opener[pgx.Tx] {
	dsn := postgresDSN(t)
	return func(t *testing.T, svc *inventory.Service, opts ...syncjobs.Option) *syncjobs.Jobs[pgx.Tx] {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = 16
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatalf("pgxpool: %v", err)
		}
		t.Cleanup(pool.Close)
		j, err := syncjobs.NewPostgres(context.Background(), pool, svc, opts...)
		if err != nil {
			t.Fatalf("NewPostgres: %v", err)
		}
		return j
	}
}

// windowInterval returns an interval whose windows start on its
// multiples (Options.Spread 0) and whose current window began before now
// and ends at least ten minutes later, so that a test's syncs all fall
// in one window.
func windowInterval() time.Duration {
	now := time.Now()
	iv := time.Hour
	for now.Sub(now.Truncate(iv)) < time.Second || now.Truncate(iv).Add(iv).Sub(now) < 10*time.Minute {
		iv += time.Minute
	}
	return iv
}

// noSpread sets Options.Spread to 0: windows start on multiples of the
// interval.
func noSpread(o *syncjobs.Options) { o.Spread = -1 }

// windowJob waits for the account's scheduled job to end and returns
// its ID and status.
func windowJob[TTx any](t *testing.T, jobs *syncjobs.Jobs[TTx], accountID string) (int64, *syncjobs.Status) {
	t.Helper()
	ctx := context.Background()
	var id int64
	var st *syncjobs.Status
	waitFor(t, 60*time.Second, "the window's job of "+accountID+" to end", func() bool {
		res, err := jobs.Client().JobList(ctx, river.NewJobListParams().Kinds(syncjobs.KindAccount).
			Where("args ->> 'account_id' = @account_id", river.NamedArgs{"account_id": accountID}).First(100))
		if err != nil {
			t.Fatalf("JobList: %v", err)
		}
		id = 0
		for _, r := range res.Jobs {
			var a syncjobs.AccountArgs
			if err := json.Unmarshal(r.EncodedArgs, &a); err != nil {
				t.Fatal(err)
			}
			if !a.Window.IsZero() {
				if id != 0 {
					t.Fatalf("account %s: two windows' jobs, %d and %d, want one", accountID, id, r.ID)
				}
				id = r.ID
			}
		}
		if id == 0 {
			return false
		}
		st = syncEnded(t, jobs, id)
		return st != nil
	})
	return id, st
}

// syncEnded returns the status of a sync once it ended (its report
// written, or skipped), else nil.
func syncEnded[TTx any](t *testing.T, jobs *syncjobs.Jobs[TTx], id int64) *syncjobs.Status {
	t.Helper()
	st, err := jobs.SyncStatus(context.Background(), id)
	if err != nil {
		t.Fatalf("SyncStatus(%d): %v", id, err)
	}
	switch st.State {
	case syncjobs.StateSkipped:
		return st
	case syncjobs.StateQueued, syncjobs.StateRunning:
		return nil
	}
	if st.Report == nil && st.State != syncjobs.StateCancelled {
		return nil
	}
	return st
}

// waitSync waits for a sync to end and returns its status.
func waitSync[TTx any](t *testing.T, jobs *syncjobs.Jobs[TTx], id int64) *syncjobs.Status {
	t.Helper()
	var st *syncjobs.Status
	waitFor(t, 60*time.Second, "the sync to end", func() bool {
		st = syncEnded(t, jobs, id)
		return st != nil
	})
	return st
}

// checkListings checks that the cloud completed each region's listing of
// each account exactly once.
func checkListings(t *testing.T, cloud *fakeCloud, accounts []string) {
	t.Helper()
	done := cloud.completions()
	for _, a := range accounts {
		for _, r := range cloud.regions {
			if n := len(done[a+"/"+r]); n != 1 {
				t.Errorf("%s/%s listed %d times, want 1", a, r, n)
			}
		}
	}
}

// enableAutoSync turns auto sync on, with interval iv, for the stored
// accounts.
func enableAutoSync(t *testing.T, store inventory.Store, ids []string, iv time.Duration) {
	t.Helper()
	for _, id := range ids {
		a, err := store.GetAccount(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		a.Config.EnableAutoSync, a.Config.SyncInterval = true, iv
		if err := store.UpdateAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWindowWaitsForManualSQLite(t *testing.T) { testWindowWaitsForManual(t, sqliteOpener(t)) }
func TestWindowWaitsForManualPostgres(t *testing.T) {
	testWindowWaitsForManual(t, postgresOpener(t))
}

// testWindowWaitsForManual enqueues a manual sync of an account whose
// window then comes due: the window's job waits for the manual sync and,
// as it succeeded after the window began, syncs nothing.
func testWindowWaitsForManual[TTx any](t *testing.T, open opener[TTx]) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2"}, 50*time.Millisecond)
	svc := newService(t, inventory.NewMemStore(), cloud)
	acct := createAccounts(t, svc, 1, windowInterval())[0]
	jobs := open(t, svc, fastOptions, noSpread, syncjobs.WithWorkers(4))
	manual, err := jobs.EnqueueSync(ctx, acct, nil, inventory.SyncFull)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	runJobs(t, jobs)
	win, st := windowJob(t, jobs, acct)
	if st.State != syncjobs.StateSkipped || st.SkippedFor != manual || st.Skipped == "" {
		t.Errorf("window's job %d: got %s skipped for job %d (%q), want skipped for the manual job %d with a reason",
			win, st.State, st.SkippedFor, st.Skipped, manual)
	}
	if m := waitSync(t, jobs, manual); m.State != syncjobs.StateSucceeded {
		t.Errorf("manual sync: got %s, want succeeded", m.State)
	}
	checkListings(t, cloud, []string{acct})
	qs, err := jobs.QueuedSync(ctx, win)
	if err != nil || qs.State != "skipped" || qs.Error != st.Skipped {
		t.Errorf("QueuedSync of the skipped window: got %+v, %v; want skipped with its reason", qs, err)
	}
}

func TestWindowAfterManualSQLite(t *testing.T)   { testWindowAfterManual(t, sqliteOpener(t)) }
func TestWindowAfterManualPostgres(t *testing.T) { testWindowAfterManual(t, postgresOpener(t)) }

// testWindowAfterManual completes a manual sync after the account's
// window began, then turns auto sync on: the window is skipped, with
// its reason. A sync of some regions only does not count: with auto sync
// on, the next window of another account, synced only in part, runs.
func testWindowAfterManual[TTx any](t *testing.T, open opener[TTx]) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2"}, 10*time.Millisecond)
	store := inventory.NewMemStore()
	svc := newService(t, store, cloud)
	iv := windowInterval() // the window began before the syncs below
	ids := createAccounts(t, svc, 2, 0)
	jobs := open(t, svc, fastOptions, noSpread)
	runJobs(t, jobs)
	whole, err := jobs.EnqueueSync(ctx, ids[0], nil, inventory.SyncIncremental)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	part, err := jobs.EnqueueSync(ctx, ids[1], []string{"r1"}, inventory.SyncFull)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	for _, id := range []int64{whole, part} {
		if st := waitSync(t, jobs, id); st.State != syncjobs.StateSucceeded {
			t.Fatalf("manual sync %d: got %s, want succeeded", id, st.State)
		}
	}
	enableAutoSync(t, store, ids, iv)
	win, st := windowJob(t, jobs, ids[0])
	if st.State != syncjobs.StateSkipped || st.SkippedFor != whole || st.Skipped == "" {
		t.Errorf("window's job %d after a successful sync: got %s skipped for job %d (%q), want skipped for job %d with a reason",
			win, st.State, st.SkippedFor, st.Skipped, whole)
	}
	if win, st := windowJob(t, jobs, ids[1]); st.State != syncjobs.StateSucceeded {
		t.Errorf("window's job %d after a sync of one region: got %s, want succeeded", win, st.State)
	}
	done := cloud.completions()
	for key, want := range map[string]int{ids[0] + "/r1": 1, ids[0] + "/r2": 1, ids[1] + "/r1": 2, ids[1] + "/r2": 1} {
		if n := len(done[key]); n != want {
			t.Errorf("%s listed %d times, want %d", key, n, want)
		}
	}
}

func TestWindowAfterFailedManualSQLite(t *testing.T) { testWindowAfterFailedManual(t, sqliteOpener(t)) }
func TestWindowAfterFailedManualPostgres(t *testing.T) {
	testWindowAfterFailedManual(t, postgresOpener(t))
}

// testWindowAfterFailedManual enqueues a manual sync that fails in every
// attempt, then lets the account's window come due: the window waits
// for the manual sync, and runs once it failed.
func testWindowAfterFailedManual[TTx any](t *testing.T, open opener[TTx]) {
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2"}, 10*time.Millisecond)
	svc := newService(t, inventory.NewMemStore(), cloud)
	acct := createAccounts(t, svc, 1, windowInterval())[0]
	var attempts int
	jobs := open(t, svc, fastOptions, noSpread, func(o *syncjobs.Options) { attempts = o.MaxAttempts })
	for _, r := range cloud.regions {
		cloud.failLeft[acct+"/"+r] = attempts // the manual sync's attempts, not the window's
	}
	manual, err := jobs.EnqueueSync(ctx, acct, nil, inventory.SyncFull)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	runJobs(t, jobs)
	win, st := windowJob(t, jobs, acct)
	if st.State != syncjobs.StateSucceeded {
		t.Errorf("window's job %d after a failed manual sync: got %s (%q), want succeeded", win, st.State, st.Skipped)
	}
	if m := waitSync(t, jobs, manual); m.State != syncjobs.StateFailed {
		t.Errorf("manual sync: got %s, want failed (the window ran alongside it)", m.State)
	}
	checkListings(t, cloud, []string{acct})
	if a, err := svc.GetAccount(ctx, acct); err != nil || a.LastSyncStatus != "success" {
		t.Errorf("account after the window: got %q (%v), want success", a.LastSyncStatus, err)
	}
}

func TestWindowRacesManualSQLite(t *testing.T)   { testWindowRacesManual(t, sqliteOpener(t)) }
func TestWindowRacesManualPostgres(t *testing.T) { testWindowRacesManual(t, postgresOpener(t)) }

// testWindowRacesManual runs two replicas on one database over many
// accounts whose window is due, and enqueues a manual sync of each
// account through EnqueueSyncsIfIdle on one of them as the schedules
// start: whichever comes first, each account is listed once.
func testWindowRacesManual[TTx any](t *testing.T, open opener[TTx]) {
	const accounts = 24
	ctx := context.Background()
	cloud := newFakeCloud([]string{"r1", "r2"}, 300*time.Millisecond)
	store := inventory.NewMemStore()
	svc := newService(t, store, cloud)
	ids := createAccounts(t, svc, accounts, 0)
	a := open(t, svc, fastOptions, noSpread)
	b := open(t, svc, fastOptions, noSpread)
	runJobs(t, a)
	runJobs(t, b)
	iv := windowInterval()
	var wg sync.WaitGroup
	var mu sync.Mutex
	manual := map[string]int64{}
	start := make(chan struct{})
	for _, id := range ids {
		wg.Go(func() {
			<-start
			time.Sleep(time.Duration(rand.Int64N(int64(slow * 300 * time.Millisecond))))
			got, err := b.EnqueueSyncsIfIdle(ctx, []string{id}, nil, inventory.SyncIncremental)
			if err != nil {
				if !errors.Is(err, multicloud.ErrConflict) {
					t.Errorf("EnqueueSyncsIfIdle(%s): %v", id, err)
				}
				return
			}
			mu.Lock()
			manual[id] = got[0]
			mu.Unlock()
		})
	}
	close(start)
	// The schedules see the accounts due within a tick (0.1 s) of this;
	// the manual syncs are enqueued before and after.
	time.Sleep(slow * 100 * time.Millisecond)
	enableAutoSync(t, store, ids, iv)
	wg.Wait()
	skipped, after := 0, 0
	for _, id := range ids {
		win, st := windowJob(t, a, id)
		done := cloud.completions()
		m, ok := manual[id]
		listings := 1
		switch {
		case ok && st.State == syncjobs.StateSucceeded:
			// Only if the manual sync was enqueued once the window's sync
			// had ended: then both run, one after the other.
			row, err := a.Client().JobGet(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			if end := st.Report.StartTime.Add(st.Report.Duration); !row.CreatedAt.After(end) {
				t.Errorf("account %s: window's job %d synced, and so did manual sync %d enqueued at %v, before the window's sync ended at %v",
					id, win, m, row.CreatedAt, end)
			}
			after++
			listings = 2
		case ok && (st.State != syncjobs.StateSkipped || st.SkippedFor != m):
			t.Errorf("account %s: window's job %d got %s (skipped for %d), want skipped for the manual sync %d", id, win, st.State, st.SkippedFor, m)
		case !ok && st.State != syncjobs.StateSucceeded:
			t.Errorf("account %s: window's job %d got %s (%q), want succeeded (no manual sync)", id, win, st.State, st.Skipped)
		case ok:
			skipped++
		}
		if ok {
			if ms := waitSync(t, a, m); ms.State != syncjobs.StateSucceeded {
				t.Errorf("account %s: manual sync %d got %s, want succeeded", id, m, ms.State)
			}
			done = cloud.completions()
		}
		for _, r := range cloud.regions {
			if n := len(done[id+"/"+r]); n != listings {
				t.Errorf("%s/%s listed %d times, want %d", id, r, n, listings)
			}
		}
	}
	t.Logf("of %d accounts: %d windows skipped for a manual sync, %d manual syncs enqueued after the window's sync", accounts, skipped, after)
	res, err := a.Client().JobList(ctx, river.NewJobListParams().States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled).First(10))
	if err != nil || len(res.Jobs) > 0 {
		t.Errorf("failed jobs: %d (%v), want none", len(res.Jobs), err)
	}
}

func TestWindowTakesLockSQLite(t *testing.T)   { testWindowTakesLock(t, sqliteOpener(t)) }
func TestWindowTakesLockPostgres(t *testing.T) { testWindowTakesLock(t, postgresOpener(t)) }

// testWindowTakesLock holds the account's lock on one replica, with a
// manual sync inserted but not committed, while another replica starts
// the account's window: the window must wait for the lock, then see the
// manual sync and wait for it, not start a sync of its own.
func testWindowTakesLock[TTx any](t *testing.T, open opener[TTx]) {
	ctx := context.Background()
	svc := newService(t, inventory.NewMemStore(), newFakeCloud([]string{"r1"}, time.Millisecond))
	acct := createAccounts(t, svc, 1, 0)[0]
	a := open(t, svc, fastOptions)
	b := open(t, svc, fastOptions)
	commit, err := a.LockedEnqueue(ctx, acct)
	if err != nil {
		t.Fatalf("LockedEnqueue: %v", err)
	}
	type result struct {
		wait   bool
		skip   string
		finish int64
		err    error
	}
	got := make(chan result, 1)
	go func() {
		var r result
		r.wait, r.skip, r.finish, r.err = b.StartWindow(ctx, 1<<40, acct, time.Now().Add(-time.Minute))
		got <- r
	}()
	// A window that ignores the lock decides within this, before the
	// manual sync is committed, and starts its own sync.
	time.Sleep(300 * time.Millisecond)
	if err := commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if r := <-got; r.err != nil || !r.wait || r.finish != 0 {
		t.Errorf("window once the manual sync is committed: got %+v, want it to wait for the manual sync", r)
	}
}
