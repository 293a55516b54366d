package sqlstore_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
	"github.com/multicloud-ecs/multicloud/inventory/sqlstore"
)

// httpBenchQueries are the GET /api/v1/cam/assets requests the HTTP
// benchmark cycles through: the design's filters over the bench fleet.
var httpBenchQueries = []string{
	"provider=aliyun&asset_type=ecs&region=region-04&limit=20&offset=0",
	"provider=aws&asset_type=ecs&region=region-03&status=Stopping&limit=20&offset=20",
	"region=region-11&zone=region-11-c&limit=20",
	"account=acct-3&region=region-03&sort=-cost&limit=20",
	"tag=team=t17&limit=20",
	"region=region-05&tag=env=prod&limit=20",
	"name=web-00123&limit=20",
	"provider=aliyun&asset_type=ecs&limit=20&offset=100",
}

// benchHTTP serves the API over s on a loopback listener and runs
// MULTICLOUD_BENCH_HTTP_REQUESTS requests (default 20,000) from
// MULTICLOUD_BENCH_HTTP_CLIENTS concurrent clients (default 200), each
// sending its next request when the last answered, reporting
// requests per second and the 50th, 95th and 99th percentile latency.
func benchHTTP(b *testing.B, s *sqlstore.Store) {
	clients := envInt("MULTICLOUD_BENCH_HTTP_CLIENTS", 200)
	total := envInt("MULTICLOUD_BENCH_HTTP_REQUESTS", 20000)
	svc, err := inventory.New(s)
	if err != nil {
		b.Fatal(err)
	}
	const token = "bench-token"
	h, err := httpapi.New(svc, httpapi.WithAuth(httpapi.BearerToken(token)))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(func() { srv.Close(); h.Close() })
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)

	get := func(q string) (time.Duration, error) {
		req, _ := http.NewRequest("GET", srv.URL+httpapi.Prefix+"/assets?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("GET %s: status %d", q, resp.StatusCode)
		}
		return time.Since(start), err
	}
	for _, q := range httpBenchQueries { // warm the caches and connections
		if _, err := get(q); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		var next atomic.Int64
		lat := make([]time.Duration, total)
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= total {
						return
					}
					d, err := get(httpBenchQueries[i%len(httpBenchQueries)])
					if err != nil {
						errs <- err
						return
					}
					lat[i] = d
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		slices.Sort(lat)
		pct := func(p int) float64 { return float64(lat[len(lat)*p/100].Microseconds()) / 1000 }
		b.ReportMetric(float64(total)/elapsed.Seconds(), "req/s")
		b.ReportMetric(pct(50), "p50-ms")
		b.ReportMetric(pct(95), "p95-ms")
		b.ReportMetric(pct(99), "p99-ms")
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkHTTPAssetsSQLite measures GET /api/v1/cam/assets with filters
// over HTTP at MULTICLOUD_BENCH_ASSETS assets on SQLite.
func BenchmarkHTTPAssetsSQLite(b *testing.B) { benchHTTP(b, openSQLiteBench(b)) }

// BenchmarkHTTPAssetsPostgres is BenchmarkHTTPAssetsSQLite on PostgreSQL.
func BenchmarkHTTPAssetsPostgres(b *testing.B) { benchHTTP(b, openPostgresBench(b)) }
