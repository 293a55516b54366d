package aliyun_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
)

// TestSyncE2EMongo runs the sync chain of TestSyncE2E into a MongoDB
// store, on the server MULTICLOUD_TEST_MONGO_URI names (FerretDB under
// scripts/test), with 500 instances in each of 8 regions, the volume of
// TestSyncE2E under the race detector. On FerretDB 1.x over SQLite every
// query and every update by _id reads the whole table: 8 x 500 takes
// about three minutes under -race on the shared 2-core machine, and
// 8 x 2,000 does not finish its re-sync within the deadline even without
// the race detector (see BENCHMARKS.md). MULTICLOUD_TEST_MONGO_E2E_PER_REGION
// sets another number, a multiple of the page size and at least 500,
// for a MongoDB server.
func TestSyncE2EMongo(t *testing.T) {
	n := 500
	if v := os.Getenv("MULTICLOUD_TEST_MONGO_E2E_PER_REGION"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 500 || n%aliyun.MaxPageSize != 0 {
			t.Fatalf("MULTICLOUD_TEST_MONGO_E2E_PER_REGION=%q: want a multiple of %d, at least 500", v, aliyun.MaxPageSize)
		}
	}
	testSyncE2E(t, mongostoretest.Open(t), n)
}
