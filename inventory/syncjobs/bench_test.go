package syncjobs_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
	"github.com/multicloud-ecs/multicloud/inventory/syncjobs"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// benchFleetEnv, when set, runs BenchmarkFleet; benchFleetStoreEnv
// "postgres" puts the inventory in the PostgreSQL database too (default:
// a MemStore shared by the replicas, so the figures are the job layer's).
const (
	benchFleetEnv      = "MULTICLOUD_BENCH_SYNCJOBS"
	benchFleetStoreEnv = "MULTICLOUD_BENCH_SYNCJOBS_STORE"
)

// BenchmarkFleet syncs 1,000 Aliyun accounts x 4 regions of the emulator
// (10 instances a region, 20 ms a call) with River on one PostgreSQL
// database and 4 replicas in one process, each
// a River client with 10 workers, all accounts due at once (auto sync,
// no spread). It reports the wall time until every account recorded its
// sync, the limit the workers set (the region jobs' summed run time over
// the 40 worker slots), the API's limit (every account has its own
// budget, so the worker slots are the limit: jobs x calls x latency /
// slots), and the scheduling overhead per region job (wall x slots -
// summed run time, over the jobs). Run with -benchtime=1x.
func BenchmarkFleet(b *testing.B) {
	if os.Getenv(benchFleetEnv) == "" {
		b.Skipf("set %s=1 and MULTICLOUD_TEST_POSTGRES_DSN to run (use -benchtime=1x)", benchFleetEnv)
	}
	const (
		replicas = 4
		workers  = 10
	)
	accounts := 1000
	if v, err := strconv.Atoi(os.Getenv(benchFleetEnv)); err == nil && v > 1 {
		accounts = v // MULTICLOUD_BENCH_SYNCJOBS=200 runs a smaller fleet
	}
	regions := aliyuntest.DefaultRegions()[:4]
	for range b.N {
		b.StopTimer()
		dsn := postgresDSN(b)
		ctx := context.Background()
		srv := aliyuntest.NewServer(aliyuntest.WithRegions(regions...), aliyuntest.WithLatency(20*time.Millisecond))
		b.Cleanup(srv.Close)
		srv.Seed(aliyuntest.SeedSpec{InstancesPerRegion: 10, RandSeed: 1})
		var store inventory.Store = inventory.NewMemStore()
		if os.Getenv(benchFleetStoreEnv) == "postgres" {
			st, err := sqlstore.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			store = st
		}
		key := make([]byte, 32)
		rand.Read(key)
		kp, err := inventory.NewAESGCMKeyProvider(key)
		if err != nil {
			b.Fatal(err)
		}
		newSvc := func() *inventory.Service {
			svc, err := inventory.New(store, inventory.WithKeyProvider(kp),
				inventory.WithConnector(aliyun.ProviderCode, aliyun.NewConnector(func(o *aliyun.Options) { o.Endpoint, o.Scheme = srv.Host(), "HTTP" })))
			if err != nil {
				b.Fatal(err)
			}
			return svc
		}
		svc0 := newSvc()
		var regionIDs []string
		for _, r := range regions {
			regionIDs = append(regionIDs, r.ID)
		}
		for i := range accounts {
			_, err := svc0.CreateAccount(ctx, inventory.CloudAccount{Name: fmt.Sprintf("fleet-%04d", i), Provider: aliyun.ProviderCode,
				AccessKeyID: aliyuntest.DefaultAccessKeyID, AccessKeySecret: aliyuntest.DefaultAccessKeySecret, Region: regionIDs[0],
				Config: inventory.AccountConfig{EnableAutoSync: true, SyncInterval: 24 * time.Hour, SupportedRegions: regionIDs}})
			if err != nil {
				b.Fatal(err)
			}
		}
		var jobs []*syncjobs.Jobs[pgx.Tx]
		var stops []context.CancelFunc
		b.StartTimer()
		start := time.Now()
		for range replicas {
			cfg, err := pgxpool.ParseConfig(dsn)
			if err != nil {
				b.Fatal(err)
			}
			cfg.MaxConns = workers + 6
			pool, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(pool.Close)
			j, err := syncjobs.NewPostgres(ctx, pool, newSvc(), syncjobs.WithWorkers(workers), func(o *syncjobs.Options) {
				o.Tick, o.Spread, o.FinishPoll = time.Second, -1, time.Second
			})
			if err != nil {
				b.Fatal(err)
			}
			jobs = append(jobs, j)
			stops = append(stops, runJobs(b, j))
		}
		waitFor(b, 10*time.Minute, "every account to record its sync", func() bool {
			list, err := svc0.ListAccounts(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, a := range list {
				if a.LastSyncTime == nil {
					return false
				}
			}
			return true
		})
		wall := time.Since(start)
		b.StopTimer()
		for _, stop := range stops {
			stop()
		}
		var busy, syncTime time.Duration
		var n, failed int
		params := river.NewJobListParams().Kinds(syncjobs.KindRegion).First(1000)
		for {
			res, err := jobs[0].Client().JobList(ctx, params)
			if err != nil {
				b.Fatal(err)
			}
			for _, j := range res.Jobs {
				if j.State != rivertype.JobStateCompleted || j.AttemptedAt == nil || j.FinalizedAt == nil {
					failed++
					continue
				}
				busy += j.FinalizedAt.Sub(*j.AttemptedAt)
				n++
				var out syncjobs.RegionOutput
				if json.Unmarshal(j.Output(), &out) == nil && out.Report != nil {
					syncTime += out.Report.Duration
				}
			}
			if len(res.Jobs) < 1000 {
				break
			}
			params = params.After(river.JobListCursorFromJob(res.Jobs[len(res.Jobs)-1]))
		}
		slots := time.Duration(replicas * workers)
		limit := busy / slots
		overhead := (wall*slots - busy) / time.Duration(max(n, 1))
		apiLimit := time.Duration(accounts*len(regions)*2) * 20 * time.Millisecond / slots
		b.ReportMetric(apiLimit.Seconds(), "api-limit-s")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(limit.Seconds(), "worker-limit-s")
		b.ReportMetric(float64(overhead.Microseconds())/1000, "overhead-ms/job")
		b.ReportMetric(float64(n), "region-jobs")
		b.Logf("%d region jobs completed (%d not), wall %v, summed job time %v (of which Sync %v) over %d slots = %v, overhead %v a job, %d API calls",
			n, failed, wall.Round(time.Millisecond), busy.Round(time.Millisecond), syncTime.Round(time.Millisecond), slots, limit.Round(time.Millisecond),
			overhead.Round(time.Microsecond), srv.CallCount("DescribeInstances")+srv.CallCount("DescribeDisks"))
		if n != accounts*len(regions) {
			b.Errorf("%d region jobs completed, want %d", n, accounts*len(regions))
		}
	}
}
