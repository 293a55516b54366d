package aws_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/pricing"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
)

// TestResolveImagePerRegion checks that an image key resolves to the
// newest matching AMI of each region (DescribeImages with owner and name
// filters), and that AMI IDs differ per region.
func TestResolveImagePerRegion(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	got := map[string]string{}
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		req := request("t", "u", multicloud.WithPlacement(r, ""))
		plan, err := p.Resolve(testCtx(t), req, multicloud.Placement{Provider: aws.ProviderCode, Region: r})
		if err != nil {
			t.Fatalf("Resolve %s: %v", r, err)
		}
		if !strings.HasPrefix(plan.ImageID, "ami-") {
			t.Errorf("%s: image %q, want an AMI from DescribeImages", r, plan.ImageID)
		}
		got[r] = plan.ImageID
	}
	if got["us-east-1"] == got["eu-west-1"] {
		t.Errorf("the same AMI %s in two regions, want one per region", got["us-east-1"])
	}
	// The newest of the two Ubuntu builds: launch and read it back.
	insts, err := newClient(t, nil, p).CreateInstance(testCtx(t), request("t", "u-img"))
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if insts[0].ImageID != got["us-east-1"] {
		t.Errorf("instance image %s, want %s", insts[0].ImageID, got["us-east-1"])
	}
}

// TestQuoteFromPriceList prices through the emulator's Price List
// (GetProducts): the instance at its list price, in USD.
func TestQuoteFromPriceList(t *testing.T) {
	p := newProvider(t, newServer(t))
	usd, _, err := p.OnDemandPrice(testCtx(t), region, "g4dn.xlarge")
	if err != nil || math.Abs(usd-0.526) > 1e-9 {
		t.Fatalf("OnDemandPrice g4dn.xlarge: got %v, %v; want 0.526", usd, err)
	}
	q, err := p.Quote(testCtx(t), pricing.Request{Region: region, InstanceType: "g4dn.xlarge", SystemDiskSizeGiB: 40, BandwidthMbps: 5})
	if err != nil {
		t.Fatalf("Quote: %v", err)
	}
	if q.Currency != "USD" || math.Abs(q.Hourly.Instance-0.526) > 1e-9 || q.Hourly.Bandwidth != 0.005 || q.Hourly.Disk <= 0 {
		t.Errorf("quote: %v, want USD with the instance at 0.526, the IPv4 hour and the disk", q)
	}
	if _, _, err := p.OnDemandPrice(testCtx(t), region, "x9.nothing"); !errors.Is(err, multicloud.ErrPriceFailed) {
		t.Errorf("price of an unknown type: got %v, want ErrPriceFailed", err)
	}
}

// TestConnection checks the inventory's connection test through STS
// GetCallerIdentity: a good key passes, a wrong secret is a signature
// mismatch whose text does not show the secret, and a sync with it is
// ErrPermissionDenied.
func TestConnection(t *testing.T) {
	srv := newServer(t)
	svc := newInventory(t, inventory.NewMemStore(), srv, 1000)
	ctx := testCtx(t)
	create := func(name string, secret multicloud.Secret) inventory.CloudAccount {
		acct, err := svc.CreateAccount(ctx, inventory.CloudAccount{Name: name, Provider: aws.ProviderCode, Environment: "test",
			AccessKeyID: awstest.DefaultAccessKeyID, AccessKeySecret: secret, Region: region})
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		return acct
	}
	good := create("good", awstest.DefaultSecretAccessKey)
	if res, err := svc.TestConnection(ctx, good.ID); err != nil || !res.OK {
		t.Errorf("TestConnection good: got %+v, %v; want ok", res, err)
	}
	const wrong = "not-the-secret-at-all"
	bad := create("bad", wrong)
	res, err := svc.TestConnection(ctx, bad.ID)
	if err != nil || res.OK || res.ErrorKind != inventory.ErrorSignatureMismatch {
		t.Errorf("TestConnection wrong secret: got %+v, %v; want a signature mismatch", res, err)
	}
	if strings.Contains(res.Error, wrong) {
		t.Errorf("TestConnection error %q shows the secret", res.Error)
	}
	if _, err := svc.Sync(ctx, inventory.SyncTarget{AccountID: bad.ID}, inventory.SyncOptions{}); !errors.Is(err, multicloud.ErrPermissionDenied) {
		t.Errorf("Sync with a wrong secret: got %v, want ErrPermissionDenied", err)
	}

}
