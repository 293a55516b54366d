package aliyun_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
)

// TestSyncE2EMongo runs the sync chain of TestSyncE2E into a MongoDB
// store, on the server MULTICLOUD_TEST_MONGO_URI names, with
// MULTICLOUD_TEST_MONGO_E2E_PER_REGION instances in each of 8 regions
// (2000 as TestSyncE2E, at least 500). It runs only when that is set:
// FerretDB 1.x over SQLite scans its collection for every query, and on
// it even 8 x 500 does not fit the test's minute on a loaded machine.
func TestSyncE2EMongo(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("MULTICLOUD_TEST_MONGO_E2E_PER_REGION"))
	if err != nil || n < 500 {
		t.Skip("MULTICLOUD_TEST_MONGO_E2E_PER_REGION is not set to 500 or more")
	}
	testSyncE2E(t, mongostoretest.Open(t), n)
}
