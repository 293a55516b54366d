package aws_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
)

// TestIncrementalSyncFromCloudTrail syncs 8 regions x 20 instances, then
// changes some through the EC2 API (two created, one stopped, one
// terminated, all in us-east-1) and checks that an incremental sync reads
// CloudTrail's LookupEvents, finds exactly those changes, and calls the
// API far less than a full sync.
func TestIncrementalSyncFromCloudTrail(t *testing.T) {
	srv := newServer(t)
	ids := seed(t, srv.Cloud(), 20)
	kp, err := inventory.NewAESGCMKeyProvider(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := inventory.New(inventory.NewMemStore(), inventory.WithKeyProvider(kp),
		inventory.WithConnector(aws.ProviderCode, aws.NewConnector(func(o *aws.Options) {
			o.BaseEndpoint, o.TrailDelay, o.HTTPClient = srv.URL(), time.Second, srv.HTTPClient()
		})),
		inventory.WithRateLimit(rate.Inf, 0))
	if err != nil {
		t.Fatalf("inventory.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	acct, err := svc.CreateAccount(ctx, inventory.CloudAccount{Name: "inc", Provider: aws.ProviderCode, Environment: "test",
		AccessKeyID: awstest.DefaultAccessKeyID, AccessKeySecret: awstest.DefaultSecretAccessKey, Region: region})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	target := inventory.SyncTarget{AccountID: acct.ID}
	incremental := inventory.SyncOptions{Mode: inventory.SyncIncremental}
	full, err := svc.Sync(ctx, target, incremental)
	if err != nil || full.FullScopes != 8 || full.Added != 160 {
		t.Fatalf("first sync: %d full scopes, %d added, %v; want 8 and 160", full.FullScopes, full.Added, err)
	}

	p := newProvider(t, srv)
	c := newClient(t, nil, p)
	if _, err := c.CreateInstance(ctx, request("t-inc", "u-inc", multicloud.WithQuantity(2), multicloud.WithInstanceType("c5.xlarge"))); err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	stop, gone := ids[region][3], ids[region][4]
	if err := p.Stop(ctx, region, stop, false); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := p.Delete(ctx, region, gone, true); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	inc, err := svc.Sync(ctx, target, incremental)
	if err != nil {
		t.Fatalf("incremental sync: %v", err)
	}
	if inc.IncrementalScopes != 8 || inc.Added != 2 || inc.Updated != 1 || inc.Deleted != 1 {
		t.Errorf("incremental sync: %d incremental scopes, %d added, %d updated, %d deleted; want 8, 2, 1, 1",
			inc.IncrementalScopes, inc.Added, inc.Updated, inc.Deleted)
	}
	if inc.APICalls >= full.APICalls {
		t.Errorf("incremental sync made %d calls, the full one %d: want fewer", inc.APICalls, full.APICalls)
	}
	t.Logf("full: %d calls; incremental: %d calls", full.APICalls, inc.APICalls)
}
