package aws_test

import (
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
)

// TestNoStockBlocksZoneIDAcrossAccounts checks the negative cache's AWS
// keying on the emulator's per-account zone maps: account A calls the
// physical zone use1-az2 "us-east-1a", account B calls it "us-east-1b".
// A no-stock that A meets there blocks use1-az2 for B too (whatever B
// names it), and only that zone ID.
func TestNoStockBlocksZoneIDAcrossAccounts(t *testing.T) {
	srv := newServer(t, func(o *awstest.Options) {
		o.Accounts = []awstest.Account{
			{ID: "111111111111", AccessKeyID: "AKIAACCOUNTA0000000A", SecretAccessKey: "secret-a",
				ZoneNames: map[string]string{"use1-az1": "us-east-1b", "use1-az2": "us-east-1a"}},
			{ID: "222222222222", AccessKeyID: "AKIAACCOUNTB0000000B", SecretAccessKey: "secret-b"},
		}
	})
	pa := newProvider(t, srv, func(o *aws.Options) {
		o.AccessKeyID, o.SecretAccessKey, o.Account = "AKIAACCOUNTA0000000A", "secret-a", "acct-a"
	})
	pb := newProvider(t, srv, func(o *aws.Options) {
		o.AccessKeyID, o.SecretAccessKey, o.Account = "AKIAACCOUNTB0000000B", "secret-b", "acct-b"
	})
	for _, tc := range []struct {
		p          *aws.Provider
		zone, want string
	}{{pa, "us-east-1a", "use1-az2"}, {pb, "us-east-1b", "use1-az2"}, {pb, "us-east-1a", "use1-az1"}} {
		if got, err := tc.p.ZoneID(testCtx(t), region, tc.zone); err != nil || got != tc.want {
			t.Fatalf("%s: ZoneID(%s) = %q, %v; want %s", tc.p.Account(), tc.zone, got, err, tc.want)
		}
	}
	srv.Cloud().SetStock(region, "us-east-1b", "m5.large", 0) // the simulated cloud names use1-az2 us-east-1b

	cache := multicloud.NewMemNegativeCache()
	sched := multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) { o.Cache = cache })
	ca := newClient(t, []multicloud.ClientOption{multicloud.UseScheduler(sched)}, pa)
	insts, err := ca.CreateInstance(testCtx(t), request("tenant-z", "user-z", multicloud.WithPlacement(region, "us-east-1a")))
	// The scheduler tries use1-az2 first (A's us-east-1a, the placement
	// asked), meets no stock, and fails over to another zone.
	if err != nil || len(insts) != 1 || insts[0].Zone == "us-east-1a" {
		t.Fatalf("account A: got %d instances (%v), %v; want one outside us-east-1a", len(insts), insts, err)
	}
	if n := srv.Cloud().CallCount("RunInstances"); n < 2 {
		t.Errorf("RunInstances calls: %d, want the no-stock try and the failover", n)
	}

	groups, err := pb.Offerings(testCtx(t), region, multicloud.OnDemand)
	if err != nil {
		t.Fatalf("Offerings of account B: %v", err)
	}
	seen := map[string]bool{}
	for _, g := range groups {
		if g.Type.ID != "m5.large" {
			continue
		}
		for _, o := range g.Offers {
			_, blocked := cache.Blocked(o.Key(), g.Type.Family)
			seen[o.ZoneID] = true
			if want := o.ZoneID == "use1-az2"; blocked != want {
				t.Errorf("account B, %s (%s): blocked %v, want %v", o.Zone, o.ZoneID, blocked, want)
			}
			if o.ZoneID == "use1-az2" && o.Zone != "us-east-1b" {
				t.Errorf("account B names use1-az2 %q, want us-east-1b", o.Zone)
			}
		}
	}
	if !seen["use1-az2"] || !seen["use1-az1"] {
		t.Errorf("account B's m5.large offerings cover zone IDs %v, want use1-az1 and use1-az2", seen)
	}
}
