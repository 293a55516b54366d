package aliyun_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
)

// TestSyncE2EMongo runs the sync chain of TestSyncE2E into a MongoDB
// store, on the server MULTICLOUD_TEST_MONGO_URI names (FerretDB under
// scripts/test), with 8 x 500 instances: FerretDB 1.x over SQLite scans
// its collection for every query, and 8 x 2,000 does not fit the test's
// minute there. MULTICLOUD_TEST_MONGO_E2E_PER_REGION=2000 runs the full
// size (on MongoDB, or with patience).
func TestSyncE2EMongo(t *testing.T) {
	perRegion := 500
	if n, err := strconv.Atoi(os.Getenv("MULTICLOUD_TEST_MONGO_E2E_PER_REGION")); err == nil && n > 0 {
		perRegion = n
	}
	testSyncE2E(t, mongostoretest.Open(t), perRegion)
}
