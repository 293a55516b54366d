package syncjobs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"golang.org/x/time/rate"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
)

// fakeCloud is the Discoverer of every test account: a few assets per
// region, a listing that takes delay, injectable failures, and a log of
// the listings that completed.
type fakeCloud struct {
	regions []string
	delay   time.Duration

	mu        sync.Mutex
	failLeft  map[string]int // account/region -> listings left to fail
	completed map[string][]time.Time
	started   map[string]int
}

func newFakeCloud(regions []string, delay time.Duration) *fakeCloud {
	return &fakeCloud{regions: regions, delay: delay, failLeft: map[string]int{},
		completed: map[string][]time.Time{}, started: map[string]int{}}
}

func (f *fakeCloud) connector() inventory.Connector {
	return func(_ context.Context, acct inventory.CloudAccount, _ multicloud.Secret) (inventory.Discoverer, error) {
		return &fakeDiscoverer{f: f, account: acct.ID}, nil
	}
}

// completions returns the completed listings per account/region.
func (f *fakeCloud) completions() map[string][]time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]time.Time{}
	for k, v := range f.completed {
		out[k] = append([]time.Time(nil), v...)
	}
	return out
}

type fakeDiscoverer struct {
	f       *fakeCloud
	account string
}

func (d *fakeDiscoverer) Regions(ctx context.Context, call inventory.CallFunc) ([]string, error) {
	return append([]string(nil), d.f.regions...), call(ctx, "DescribeRegions", func(context.Context) error { return nil })
}

func (d *fakeDiscoverer) Discover(ctx context.Context, region, assetType string, call inventory.CallFunc, emit func(context.Context, []inventory.Asset) error) error {
	key := d.account + "/" + region
	d.f.mu.Lock()
	d.f.started[key]++
	fail := d.f.failLeft[key] > 0
	if fail {
		d.f.failLeft[key]--
	}
	d.f.mu.Unlock()
	err := call(ctx, "DescribeInstances", func(ctx context.Context) error {
		t := time.NewTimer(d.f.delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if fail {
			return &multicloud.Error{Op: "DescribeInstances", Code: multicloud.CodeUnknown, Message: "injected failure"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	page := make([]inventory.Asset, 3)
	for i := range page {
		page[i] = inventory.Asset{AssetID: fmt.Sprintf("i-%s-%s-%d", d.account, region, i), AssetName: "x", Status: "Running"}
	}
	if err := emit(ctx, page); err != nil {
		return err
	}
	d.f.mu.Lock()
	d.f.completed[key] = append(d.f.completed[key], time.Now())
	d.f.mu.Unlock()
	return nil
}

// newService returns a Service over store whose "fake" provider is cloud.
func newService(t testing.TB, store inventory.Store, cloud *fakeCloud) *inventory.Service {
	t.Helper()
	kp, err := inventory.NewAESGCMKeyProvider(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := inventory.New(store, inventory.WithKeyProvider(kp), inventory.WithConnector("fake", cloud.connector()),
		inventory.WithRateLimit(rate.Inf, 1),
		inventory.WithRetry(multicloud.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// createAccounts stores n fake accounts.
func createAccounts(t testing.TB, svc *inventory.Service, n int, interval time.Duration) []string {
	t.Helper()
	var ids []string
	for i := range n {
		a, err := svc.CreateAccount(context.Background(), inventory.CloudAccount{
			Name: fmt.Sprintf("acct-%03d", i), Provider: "fake", AccessKeyID: fmt.Sprintf("AK%03d", i), AccessKeySecret: "s",
			Config: inventory.AccountConfig{EnableAutoSync: interval > 0, SyncInterval: interval},
		})
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

// postgresDSN returns a DSN whose search_path is a fresh schema, dropped
// when the test ends. It skips the test when MULTICLOUD_TEST_POSTGRES_DSN
// is unset or unreachable, unless CI=true, where that fails it.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("MULTICLOUD_TEST_POSTGRES_DSN")
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if dsn == "" {
		fail("MULTICLOUD_TEST_POSTGRES_DSN is not set")
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		fail("postgres at MULTICLOUD_TEST_POSTGRES_DSN is unreachable: %v", err)
		return ""
	}
	defer conn.Close(context.Background())
	var b [6]byte
	rand.Read(b[:])
	schema := "syncjobs_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// regionRuns lists the completed region jobs, by account/region, then
// window.
func regionRuns[TTx any](t testing.TB, jobs *syncjobs.Jobs[TTx]) map[string]map[time.Time]int {
	t.Helper()
	out := map[string]map[time.Time]int{}
	params := river.NewJobListParams().Kinds(syncjobs.KindRegion).States(rivertype.JobStateCompleted).First(1000)
	for {
		res, err := jobs.Client().JobList(context.Background(), params)
		if err != nil {
			t.Fatalf("JobList: %v", err)
		}
		for _, j := range res.Jobs {
			var a syncjobs.RegionArgs
			if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
				t.Fatal(err)
			}
			k := a.AccountID + "/" + a.Region
			if out[k] == nil {
				out[k] = map[time.Time]int{}
			}
			out[k][a.Window]++
		}
		if len(res.Jobs) < 1000 {
			return out
		}
		params = params.After(river.JobListCursorFromJob(res.Jobs[len(res.Jobs)-1]))
	}
}

// windowSkips lists the scheduled windows that synced nothing, by
// account, then window, after checking each one's reason: the sync it
// names completed successfully after the window began.
func windowSkips[TTx any](t testing.TB, jobs *syncjobs.Jobs[TTx]) map[string]map[time.Time]bool {
	t.Helper()
	type skip struct {
		job, by int64
		window  time.Time
	}
	var skips []skip
	finished := map[int64]*rivertype.JobRow{} // completed finishing jobs by batch
	out := map[string]map[time.Time]bool{}
	for _, kind := range []string{syncjobs.KindAccount, syncjobs.KindFinish} {
		params := river.NewJobListParams().Kinds(kind).States(rivertype.JobStateCompleted).First(1000)
		for {
			res, err := jobs.Client().JobList(context.Background(), params)
			if err != nil {
				t.Fatalf("JobList: %v", err)
			}
			for _, j := range res.Jobs {
				if kind == syncjobs.KindFinish {
					var a syncjobs.FinishArgs
					if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
						t.Fatal(err)
					}
					finished[a.Batch] = j
					continue
				}
				var a syncjobs.AccountArgs
				var o syncjobs.AccountOutput
				if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
					t.Fatal(err)
				}
				if json.Unmarshal(j.Output(), &o) != nil || o.Skipped == "" {
					continue
				}
				if out[a.AccountID] == nil {
					out[a.AccountID] = map[time.Time]bool{}
				}
				out[a.AccountID][a.Window] = true
				skips = append(skips, skip{job: j.ID, by: o.SkippedFor, window: a.Window})
			}
			if len(res.Jobs) < 1000 {
				break
			}
			params = params.After(river.JobListCursorFromJob(res.Jobs[len(res.Jobs)-1]))
		}
	}
	for _, s := range skips {
		if fin := finished[s.by]; fin == nil || fin.FinalizedAt == nil || fin.FinalizedAt.Before(s.window) {
			t.Errorf("window %v (job %d) skipped for the sync of job %d, which did not complete after the window began",
				s.window.Format(time.StampMilli), s.job, s.by)
		}
	}
	return out
}

// checkOncePerWindow checks that every account/region ran exactly once
// in every window from its first to its last, but for windows skipped
// (see windowSkips), at least minWindows of them run or skipped, and
// that the cloud saw as many completed listings as there are completed
// jobs, but for at most cut more: listings that completed on a replica
// stopped before its job could record it, which River then runs again
// (at-least-once; the second run rewrites the same facts).
func checkOncePerWindow(t testing.TB, runs map[string]map[time.Time]int, skips map[string]map[time.Time]bool, cloud *fakeCloud, keys []string, interval time.Duration, minWindows, cut int) {
	t.Helper()
	done := cloud.completions()
	extra, skipped := 0, 0
	for _, k := range keys {
		wins := runs[k]
		var times []time.Time
		total := 0
		for w, n := range wins {
			times = append(times, w)
			total += n
			if n != 1 {
				t.Errorf("%s: window %v ran %d times, want 1", k, w.Format(time.StampMilli), n)
			}
		}
		account, _, _ := strings.Cut(k, "/")
		for w := range skips[account] {
			if wins[w] > 0 {
				t.Errorf("%s: window %v both ran and was skipped", k, w.Format(time.StampMilli))
				continue
			}
			times = append(times, w)
			skipped++
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		if len(times) < minWindows {
			t.Errorf("%s: %d windows ran or were skipped, want at least %d", k, len(times), minWindows)
		}
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap != interval {
				t.Errorf("%s: windows %v and %v are %v apart, want %v (a window was lost)", k,
					times[i-1].Format(time.StampMilli), times[i].Format(time.StampMilli), gap, interval)
			}
		}
		if got := len(done[k]); got < total || got > total+cut {
			t.Errorf("%s: the cloud saw %d completed listings for %d completed jobs", k, got, total)
		} else {
			extra += got - total
		}
	}
	if extra > cut {
		t.Errorf("the cloud saw %d listings more than completed jobs, want at most %d (the stopped replica's workers)", extra, cut)
	}
	t.Logf("%d listings ran again after the stop; %d account/region windows skipped for a sync that ended after they began", extra, skipped)
}
