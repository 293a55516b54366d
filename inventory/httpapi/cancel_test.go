package httpapi_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
)

func TestCancelJob(t *testing.T) {
	s := newServer(t)
	testCancel(t, s, "job-")
}

func TestCancelQueuedJobSQLite(t *testing.T) {
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
		return runQueue(t, j)
	})
	testCancel(t, s, "rq-")
}

// testCancel cancels a sync held at the cloud: 202 and the running job,
// then the job ends cancelled with nothing synced and the account free
// again; a second cancel of the ended job is 409, an unknown one 404.
func testCancel(t *testing.T, s *server, prefix string) {
	const api = httpapi.Prefix
	id := s.createAccount()
	release := sync.OnceFunc(s.cloud.hold())
	defer release()
	status, e := s.do("POST", api+"/cloud-accounts/"+id+"/sync", "", "Prefer", "respond-async")
	want(t, "async sync", status, e, 202, 0)
	jobID := data[map[string]string](t, e)["job_id"]
	if !strings.HasPrefix(jobID, prefix) {
		t.Fatalf("job id: got %q, want %s...", jobID, prefix)
	}
	if prefix == "rq-" {
		// On the queue, cancel once the sync fanned out into region
		// jobs, which wait for the cloud (a sync not yet fanned out is
		// cancelled at once, before any region job exists).
		deadline := time.Now().Add(10 * time.Second)
		for {
			status, e := s.do("GET", api+"/sync-jobs/"+jobID, "")
			want(t, "job", status, e, 200, 0)
			if len(data[httpapi.Job](t, e).Progress) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s did not fan out into regions", jobID)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	status, e = s.do("POST", api+"/sync-jobs/"+jobID+"/cancel", "")
	want(t, "cancel", status, e, 202, 0)
	if j := data[httpapi.Job](t, e); j.ID != jobID || j.Status != httpapi.JobRunning {
		t.Errorf("job as cancelled: got %s %s, want %s running until its syncs stop", j.ID, j.Status, jobID)
	}
	j := s.waitJob(jobID)
	if j.Status != httpapi.JobCancelled || j.EndTime == nil {
		t.Errorf("cancelled job: got status %s, end %v, error %q; want cancelled with an end time", j.Status, j.EndTime, j.Error)
	}
	status, e = s.do("GET", api+"/assets?provider=aliyun", "")
	want(t, "assets after the cancel", status, e, 200, 0)
	if got := data[httpapi.AssetList](t, e).Total; got != 0 {
		t.Errorf("assets after a sync cancelled before the cloud answered: got %d, want 0", got)
	}
	status, e = s.do("POST", api+"/sync-jobs/"+jobID+"/cancel", "")
	want(t, "cancel of an ended job", status, e, 409, httpapi.CodeConflict)
	status, e = s.do("POST", api+"/sync-jobs/"+prefix+"424242/cancel", "")
	want(t, "cancel of an unknown job", status, e, 404, httpapi.CodeNotFound)
	release()
	// The account is free again.
	status, e = s.do("POST", api+"/cloud-accounts/"+id+"/sync", "", "Prefer", "respond-async")
	want(t, "sync after the cancel", status, e, 202, 0)
	if j := s.waitJob(data[map[string]string](t, e)["job_id"]); j.Status != httpapi.JobSucceeded {
		t.Errorf("sync after the cancel: got %s (%s), want succeeded", j.Status, j.Error)
	}
	validateExchanges(t, s.exchanges, 4)
}
