package httpapi_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
)

// TestRacingHandlersSQLite runs two Handlers, each on a queue of its own
// (its own connection to one SQLite file, as two processes), and syncs
// each of many accounts through both at the same instant: exactly one
// of the two may enqueue, the other gets 409.
func TestRacingHandlersSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	testRacingHandlers(t, func(svc *inventory.Service) (httpapi.SyncQueue, func(string) int) {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		j, err := syncjobs.NewSQLite(context.Background(), db, svc, fastJobs)
		if err != nil {
			t.Fatalf("NewSQLite: %v", err)
		}
		return j, func(a string) int { return accountJobs(t, j, a) }
	})
}

// TestRacingHandlersPostgres is TestRacingHandlersSQLite on PostgreSQL,
// each Handler's queue on a pool of its own.
func TestRacingHandlersPostgres(t *testing.T) {
	dsn := os.Getenv("MULTICLOUD_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MULTICLOUD_TEST_POSTGRES_DSN is not set")
		}
		t.Skip("MULTICLOUD_TEST_POSTGRES_DSN is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	schema := "httpapi_race_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "_")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 4
	testRacingHandlers(t, func(svc *inventory.Service) (httpapi.SyncQueue, func(string) int) {
		pool, err := pgxpool.NewWithConfig(ctx, cfg.Copy())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		j, err := syncjobs.NewPostgres(ctx, pool, svc, fastJobs)
		if err != nil {
			t.Fatalf("NewPostgres: %v", err)
		}
		return j, func(a string) int { return accountJobs(t, j, a) }
	})
}

// testRacingHandlers builds two Handlers over one inventory, each with
// the queue newQueue returns (not running: the syncs stay queued), and
// posts a sync of each account to both at once. newQueue also returns
// how many account jobs the queue's database holds for an account.
func testRacingHandlers(t *testing.T, newQueue func(*inventory.Service) (httpapi.SyncQueue, func(string) int)) {
	const accounts = 30
	ctx := context.Background()
	var urls []string
	var ids []string
	var count func(string) int
	newServer(t, func(svc *inventory.Service) httpapi.Option {
		for i := range accounts {
			a, err := svc.CreateAccount(ctx, inventory.CloudAccount{Name: fmt.Sprintf("race-%02d", i), Provider: "aliyun",
				AccessKeyID: "LTAI5tExampleKeyID", AccessKeySecret: goodSecret,
				Config: inventory.AccountConfig{SupportedRegions: []string{"cn-hangzhou"}}})
			if err != nil {
				t.Fatalf("CreateAccount: %v", err)
			}
			ids = append(ids, a.ID)
		}
		for range 2 {
			q, n := newQueue(svc)
			count = n
			h, err := httpapi.New(svc, httpapi.WithAuth(httpapi.BearerToken(token)), httpapi.WithSyncQueue(q))
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(h)
			t.Cleanup(func() {
				ts.Close()
				h.Close()
			})
			urls = append(urls, ts.URL)
		}
		return func(*httpapi.Options) {}
	})
	post := func(url, account string) (int, error) {
		req, err := http.NewRequest("POST", url+httpapi.Prefix+"/cloud-accounts/"+account+"/sync", nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Prefer", "respond-async")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for _, id := range ids {
		var wg sync.WaitGroup
		start := make(chan struct{})
		codes := make([]int, len(urls))
		errs := make([]error, len(urls))
		for i, u := range urls {
			wg.Go(func() {
				<-start
				codes[i], errs[i] = post(u, id)
			})
		}
		close(start)
		wg.Wait()
		got := map[int]int{}
		for i := range urls {
			if errs[i] != nil {
				t.Fatalf("POST sync of %s: %v", id, errs[i])
			}
			got[codes[i]]++
		}
		if got[http.StatusAccepted] != 1 || got[http.StatusConflict] != 1 {
			t.Errorf("account %s synced through two Handlers at once: got statuses %v, want one 202 and one 409", id, got)
		}
	}
	for _, id := range ids {
		if n := count(id); n != 1 {
			t.Errorf("account %s: %d syncs enqueued, want 1", id, n)
		}
	}
}

// accountJobs returns how many account jobs of accountID j's database
// holds.
func accountJobs[TTx any](t *testing.T, j *syncjobs.Jobs[TTx], accountID string) int {
	t.Helper()
	res, err := j.Client().JobList(context.Background(), river.NewJobListParams().Kinds(syncjobs.KindAccount).
		Where("args ->> 'account_id' = @account_id", river.NamedArgs{"account_id": accountID}).First(100))
	if err != nil {
		t.Fatalf("JobList: %v", err)
	}
	return len(res.Jobs)
}
