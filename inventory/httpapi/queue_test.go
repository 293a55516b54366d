package httpapi_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
)

// fastJobs makes River poll and retry quickly.
func fastJobs(o *syncjobs.Options) {
	o.Tick, o.FinishPoll, o.PollInterval, o.FetchCooldown = time.Hour, 50*time.Millisecond, 50*time.Millisecond, 10*time.Millisecond
	o.JobTimeout, o.RescueAfter = 10*time.Second, 20*time.Second
	o.MaxAttempts, o.RetryBase, o.RetryMax = 1, 20*time.Millisecond, 100*time.Millisecond
}

// runQueue runs j until the test ends and returns it as the Handler's
// sync queue.
func runQueue[TTx any](t *testing.T, j *syncjobs.Jobs[TTx]) httpapi.Option {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return httpapi.WithSyncQueue(j)
}

func TestSyncQueueSQLite(t *testing.T) {
	var sq httpapi.SyncQueue
	s := newServer(t, func(svc *inventory.Service) httpapi.Option {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "jobs.db")+
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		j, err := syncjobs.NewSQLite(context.Background(), db, svc, fastJobs)
		if err != nil {
			t.Fatalf("NewSQLite: %v", err)
		}
		sq = j
		return runQueue(t, j)
	})
	testForeignSync(t, s, sq, testSyncQueue(t, s))
}

func TestSyncQueuePostgres(t *testing.T) {
	var sq httpapi.SyncQueue
	dsn := os.Getenv("MULTICLOUD_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("MULTICLOUD_TEST_POSTGRES_DSN is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	schema := "httpapi_queue_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "_")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "12")
	u.RawQuery = q.Encode()
	s := newServer(t, func(svc *inventory.Service) httpapi.Option {
		pool, err := pgxpool.New(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		j, err := syncjobs.NewPostgres(ctx, pool, svc, fastJobs, syncjobs.WithWorkers(4))
		if err != nil {
			t.Fatalf("NewPostgres: %v", err)
		}
		sq = j
		return runQueue(t, j)
	})
	testForeignSync(t, s, sq, testSyncQueue(t, s))
}

// testSyncQueue checks the sync routes of a Handler whose syncs run on
// a job queue: 202 and a job, 409 for the account meanwhile, the job's
// regions and report once it ran, answers that match the document. It
// returns the account's ID.
func testSyncQueue(t *testing.T, s *server) string {
	const api = httpapi.Prefix
	id := s.createAccount()

	release := s.cloud.hold()
	status, e := s.do("POST", api+"/assets/sync?async=true", `{"provider":"aliyun","mode":"full"}`)
	want(t, "async sync", status, e, 202, 0)
	jobID := data[map[string]string](t, e)["job_id"]
	if !strings.HasPrefix(jobID, "rq-") {
		t.Fatalf("job id: got %q, want a queue job (rq-...)", jobID)
	}
	status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", "", "Prefer", "respond-async")
	want(t, "second sync of the account", status, e, 409, httpapi.CodeConflict)
	if !strings.Contains(e.Msg, jobID) {
		t.Errorf("conflict message %q does not name job %s", e.Msg, jobID)
	}
	status, e = s.do("GET", api+"/sync-jobs/"+jobID, "")
	want(t, "queued job", status, e, 200, 0)
	if j := data[httpapi.Job](t, e); j.Status != httpapi.JobRunning || len(j.AccountIDs) != 1 || j.AccountIDs[0] != id {
		t.Errorf("job before the cloud answers: got status %s, accounts %v; want running, [%s]", j.Status, j.AccountIDs, id)
	}
	release()

	j := s.waitJob(jobID)
	if j.Status != httpapi.JobSucceeded || j.EndTime == nil || j.Error != "" {
		t.Fatalf("job: got status %s, end %v, error %q; want succeeded with an end time", j.Status, j.EndTime, j.Error)
	}
	regions := map[string]int{}
	for _, p := range j.Progress {
		if !p.Done || p.AccountID != id {
			t.Errorf("progress %+v: want done, of account %s", p, id)
		}
		regions[p.Region] += p.Assets
	}
	if regions["cn-hangzhou"] != 5 || regions["cn-shenzhen"] != 5 {
		t.Errorf("assets per region: got %v, want 5 in cn-hangzhou and cn-shenzhen", regions)
	}
	if len(j.Reports) != 1 || j.Reports[0].Added != 10 || j.Reports[0].Account != id {
		t.Errorf("reports: got %+v, want one adding 10 assets of %s", j.Reports, id)
	}
	status, e = s.do("GET", api+"/assets?provider=aliyun", "")
	want(t, "assets after the job", status, e, 200, 0)
	if got := data[httpapi.AssetList](t, e).Total; got != 10 {
		t.Errorf("assets after the job: got %d, want 10", got)
	}

	// The account is free again; a synchronous sync waits for its job.
	status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", `{"regions":["cn-hangzhou"],"mode":"incremental"}`)
	want(t, "account sync after the job", status, e, 200, 0)
	status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", `{"regions":["bad-region"]}`)
	want(t, "sync of a failing region", status, e, 502, httpapi.CodeCloudFailed)
	status, e = s.do("GET", api+"/sync-jobs", "")
	want(t, "list jobs", status, e, 200, 0)
	list := data[struct {
		Jobs  []httpapi.Job `json:"jobs"`
		Total int           `json:"total"`
	}](t, e)
	if list.Total != 3 || len(list.Jobs) != 3 {
		t.Fatalf("listed jobs: got %d, want 3", list.Total)
	}
	if f := list.Jobs[0]; f.Status != httpapi.JobFailed || !strings.Contains(f.Error, "bad-region") || len(f.Reports) != 1 {
		t.Errorf("failed job: got status %s, error %q, %d reports; want failed naming bad-region, 1 report", f.Status, f.Error, len(f.Reports))
	}
	status, e = s.do("POST", api+"/assets/sync?async=true", `{"provider":"aliyun","asset_types":["ecs"]}`)
	want(t, "asset types on the queue", status, e, 400, httpapi.CodeBadRequest)
	for _, missing := range []string{"rq-987654321", "rq-x", "job-missing"} {
		status, e = s.do("GET", api+"/sync-jobs/"+missing, "")
		want(t, "unknown job "+missing, status, e, 404, httpapi.CodeNotFound)
	}
	validateExchanges(t, s.exchanges, 5)
	return id
}

// testForeignSync checks that a sync the Handler did not enqueue (as
// another replica's Handler or the schedule would, straight on the
// queue) makes the Handler refuse a sync of its account with 409 naming
// that job, and that the account is free once the job ended.
func testForeignSync(t *testing.T, s *server, q httpapi.SyncQueue, id string) {
	const api = httpapi.Prefix
	ctx := context.Background()
	if jid, found, err := q.ActiveSync(ctx, id); err != nil || found {
		t.Fatalf("ActiveSync before: got job %d, found %v, error %v; want none", jid, found, err)
	}

	release := s.cloud.hold()
	qid, err := q.EnqueueSync(ctx, id, nil, inventory.SyncFull)
	if err != nil {
		release()
		t.Fatalf("EnqueueSync: %v", err)
	}
	jobID := "rq-" + strconv.FormatInt(qid, 10)
	if jid, found, err := q.ActiveSync(ctx, id); err != nil || !found || jid != qid {
		t.Errorf("ActiveSync while queued: got job %d, found %v, error %v; want %d", jid, found, err, qid)
	}
	if jid, found, err := q.ActiveSync(ctx, "no-such-account"); err != nil || found {
		t.Errorf("ActiveSync of another account: got job %d, found %v, error %v; want none", jid, found, err)
	}
	status, e := s.do("POST", api+"/cloud-accounts/"+id+"/sync", "", "Prefer", "respond-async")
	want(t, "sync while another process's job is queued", status, e, 409, httpapi.CodeConflict)
	if !strings.Contains(e.Msg, jobID) {
		t.Errorf("conflict message %q does not name job %s", e.Msg, jobID)
	}
	status, e = s.do("POST", api+"/assets/sync?async=true", `{"provider":"aliyun"}`)
	want(t, "provider sync while another process's job is queued", status, e, 409, httpapi.CodeConflict)

	// Once the account job fanned out (and ended), its finishing job
	// keeps the sync active while the regions wait for the cloud.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := q.QueuedSync(ctx, qid)
		if err != nil {
			release()
			t.Fatalf("QueuedSync: %v", err)
		}
		if len(st.Regions) > 0 {
			break
		}
		if time.Now().After(deadline) {
			release()
			t.Fatalf("job %d did not fan out into regions", qid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if jid, found, err := q.ActiveSync(ctx, id); err != nil || !found || jid != qid {
		t.Errorf("ActiveSync after the fan-out: got job %d, found %v, error %v; want %d", jid, found, err, qid)
	}
	status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", "", "Prefer", "respond-async")
	want(t, "sync while another process's job runs", status, e, 409, httpapi.CodeConflict)
	if !strings.Contains(e.Msg, jobID) {
		t.Errorf("conflict message %q does not name job %s", e.Msg, jobID)
	}
	release()

	if j := s.waitJob(jobID); j.Status != httpapi.JobSucceeded {
		t.Fatalf("foreign job: got status %s, error %q; want succeeded", j.Status, j.Error)
	}
	if jid, found, err := q.ActiveSync(ctx, id); err != nil || found {
		t.Errorf("ActiveSync after: got job %d, found %v, error %v; want none", jid, found, err)
	}
	status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", "", "Prefer", "respond-async")
	want(t, "sync after the foreign job", status, e, 202, 0)
	s.waitJob(data[map[string]string](t, e)["job_id"])
}
