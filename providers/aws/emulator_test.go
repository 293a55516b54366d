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

// TestAssumeRole signs with an assumed role's temporary credentials (STS
// AssumeRole through stscreds): the caller is the role of the other
// account, and EC2 calls succeed with the session token. An inventory
// account given as a role ARN connects the same way.
func TestAssumeRole(t *testing.T) {
	srv := newServer(t, func(o *awstest.Options) {
		o.Accounts = []awstest.Account{
			{ID: "111111111111", AccessKeyID: "AKIAACCOUNTA0000000A", SecretAccessKey: "secret-a"},
			{ID: "222222222222", AccessKeyID: "AKIAACCOUNTB0000000B", SecretAccessKey: "secret-b"},
		}
	})
	const role = "arn:aws:iam::222222222222:role/inventory-reader"
	p := newProvider(t, srv, func(o *aws.Options) {
		o.AccessKeyID, o.SecretAccessKey, o.RoleARN = "AKIAACCOUNTA0000000A", "secret-a", role
	})
	id, err := p.CallerIdentity(testCtx(t))
	if err != nil {
		t.Fatalf("CallerIdentity: %v", err)
	}
	if id.Account != "222222222222" || !strings.Contains(id.ARN, ":assumed-role/inventory-reader/multicloud") {
		t.Errorf("identity: %+v, want the assumed role of account 222222222222", id)
	}
	if _, err := p.Regions(testCtx(t)); err != nil {
		t.Errorf("Regions with the role's credentials: %v", err)
	}

	// The inventory: access_key_id is the role ARN; the service's own
	// credentials assume it.
	store := inventory.NewMemStore()
	key := make([]byte, 32)
	kp, _ := inventory.NewAESGCMKeyProvider(key)
	svc, err := inventory.New(store, inventory.WithKeyProvider(kp), inventory.WithConnector(aws.ProviderCode, aws.NewConnector(func(o *aws.Options) {
		o.BaseEndpoint, o.AccessKeyID, o.SecretAccessKey, o.HTTPClient = srv.URL(), "AKIAACCOUNTA0000000A", "secret-a", srv.HTTPClient()
	})))
	if err != nil {
		t.Fatalf("inventory.New: %v", err)
	}
	acct, err := svc.CreateAccount(testCtx(t), inventory.CloudAccount{Name: "role", Provider: aws.ProviderCode, Environment: "test",
		AccessKeyID: role, AccessKeySecret: "external-id-1", Region: region})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if res, err := svc.TestConnection(testCtx(t), acct.ID); err != nil || !res.OK {
		t.Errorf("TestConnection of a role account: %+v, %v; want ok", res, err)
	}
}

// TestCatalogRefresh refreshes the catalog from DescribeInstanceTypes on
// the emulator: GPU facts as the API reports them, normalized.
func TestCatalogRefresh(t *testing.T) {
	p := newProvider(t, newServer(t))
	if err := p.Catalog().Refresh(testCtx(t), p); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	got, ok := p.Catalog().Type("g5.12xlarge")
	if !ok || got.GPUModel != "A10G" || got.GPUCount != 4 || got.VCPU != 48 || got.MemoryGiB != 192 || got.GPUMemoryGiB != 24 {
		t.Errorf("g5.12xlarge after refresh: %+v, %v", got, ok)
	}
}

// TestPartialQuantity asks for 3 instances where the zone has capacity
// for 2: RunInstances (MinCount 1, MaxCount 3) launches 2, which come back
// with an error matching ErrNoStock that says one is missing.
func TestPartialQuantity(t *testing.T) {
	srv := newServer(t)
	srv.Cloud().SetStock(region, "us-east-1a", "m5.large", 2)
	c := newClient(t, nil, newProvider(t, srv))
	insts, err := c.CreateInstance(testCtx(t), request("t", "u-partial", multicloud.WithQuantity(3)))
	if len(insts) != 2 || !errors.Is(err, multicloud.ErrNoStock) {
		t.Fatalf("got %d instances, %v; want 2 and ErrNoStock", len(insts), err)
	}
	if !strings.Contains(err.Error(), "1 of 3") {
		t.Errorf("error %q does not say how many are missing", err)
	}
}

// TestOfferingsPriceList reads a region's offerings: zone IDs, the
// Price List's prices (the emulator's list prices, in USD), and a second
// call served from the caches without any call.
func TestOfferingsPriceList(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	groups, err := p.Offerings(testCtx(t), region, multicloud.OnDemand)
	if err != nil {
		t.Fatalf("Offerings: %v", err)
	}
	var found bool
	for _, g := range groups {
		if g.Type.ID != "g4dn.xlarge" {
			continue
		}
		found = true
		for _, o := range g.Offers {
			if o.Price.Source != "pricing.GetProducts" || math.Abs(o.Price.Amount-0.526) > 1e-9 || o.Price.Currency != "USD" ||
				!strings.HasPrefix(o.ZoneID, "use1-az") || !o.AnyAccount {
				t.Errorf("offer %s/%s: %+v, want the Price List's 0.526 USD, a zone ID and AnyAccount", o.Zone, o.ZoneID, o)
			}
		}
	}
	if !found {
		t.Fatalf("no g4dn.xlarge offerings in %d groups", len(groups))
	}
	before := srv.Cloud().CallCount("GetProducts") + srv.Cloud().CallCount("DescribeInstanceTypeOfferings")
	if _, ok := p.CachedOfferings(region, multicloud.OnDemand); !ok {
		t.Errorf("CachedOfferings after Offerings: not cached")
	}
	if _, err := p.Offerings(testCtx(t), region, multicloud.OnDemand); err != nil {
		t.Fatalf("Offerings again: %v", err)
	}
	if after := srv.Cloud().CallCount("GetProducts") + srv.Cloud().CallCount("DescribeInstanceTypeOfferings"); after != before {
		t.Errorf("a warm Offerings made %d calls, want none", after-before)
	}
}
