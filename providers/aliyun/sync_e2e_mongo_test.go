package aliyun_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory/mongostore"
	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
)

// TestSyncE2EMongo runs the sync chain of TestSyncE2E into a MongoDB
// store on each test server (see mongostoretest.Servers): under
// scripts/test, FerretDB over SQLite and FerretDB over PostgreSQL.
//
// As TestSyncE2E, 2,000 instances in each of 8 regions, and 500 under the
// race detector (.ci/run runs it at 2,000 without). On FerretDB over
// SQLite (PlanScans), where every query and every update by _id reads
// the whole table, 500 always: 8 x 2,000 there does not finish its
// re-sync within the deadline even without the race detector (see
// BENCHMARKS.md). MULTICLOUD_TEST_MONGO_E2E_PER_REGION sets another
// number for every server, a multiple of the page size and at least 500.
func TestSyncE2EMongo(t *testing.T) {
	n := 0
	if v := os.Getenv("MULTICLOUD_TEST_MONGO_E2E_PER_REGION"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 500 || n%aliyun.MaxPageSize != 0 {
			t.Fatalf("MULTICLOUD_TEST_MONGO_E2E_PER_REGION=%q: want a multiple of %d, at least 500", v, aliyun.MaxPageSize)
		}
	}
	for _, srv := range mongostoretest.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			s := mongostoretest.OpenOn(t, srv.URI)
			per := n
			if per == 0 {
				per = 2000
				if raceEnabled || s.Plan() == mongostore.PlanScans {
					per = 500
				}
			}
			t.Logf("%s: plan %s, %d instances in each of 8 regions", srv.Name, s.Plan(), per)
			testSyncE2E(t, s, per)
		})
	}
}
