package aliyun_test

import (
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory/mongostore/mongostoretest"
)

// TestSyncE2EMongo runs the sync chain of TestSyncE2E into a MongoDB
// store, on the server MULTICLOUD_TEST_MONGO_URI names (FerretDB under
// scripts/test).
func TestSyncE2EMongo(t *testing.T) {
	testSyncE2E(t, mongostoretest.Open(t))
}
