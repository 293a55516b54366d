package network_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func launchRequest(owner string, quantity int) network.LaunchRequest {
	return network.LaunchRequest{
		Scope:    testScope(owner),
		Zone:     "z1",
		Ports:    network.TCPPorts(22, 80, 443, 8888),
		Address:  &network.AddressSpec{BandwidthMbps: 5, ChargeMode: "TRAFFIC"},
		Quantity: quantity,
		Token:    "req-" + owner,
	}
}

// checkBound fails unless every instance of res has an address that the
// cloud shows bound to it, and no other address is allocated.
func checkBound(t *testing.T, c *fake.Provider, res *network.LaunchResult) {
	t.Helper()
	var want []network.Address
	for _, in := range res.Instances {
		if in.Address == nil {
			t.Errorf("instance %s has no address; warnings %q", in.ID, in.Warnings)
			continue
		}
		want = append(want, *in.Address)
	}
	slices.SortFunc(want, func(a, b network.Address) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(want, addresses(c)); diff != "" {
		t.Errorf("addresses (-result +allocated):\n%s", diff)
	}
	for _, a := range want {
		if a.Status != network.StatusInUse || a.InstanceID == "" {
			t.Errorf("address %+v is not in use by an instance", a)
		}
	}
}

// refusing is a fault that makes AssociateAddress refuse count times
// (every time for 0) with an incorrect state, as for an instance not yet
// started.
func refusing(count int) sim.Fault {
	return sim.Fault{Action: "AssociateAddress", Class: sim.ClassIncorrectState, Message: "instance cannot take an address yet", Count: count}
}

func TestLaunchHappyPath(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(refusing(6)) // the three instances refuse their addresses six times in all
	p := network.NewProvisioner(c, fastOptions)
	req := launchRequest("u1", 3)
	res, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 3, nil))
	must(t, err)
	if len(res.Instances) != 3 || len(res.Leaked) != 0 {
		t.Fatalf("Launch = %+v, want 3 instances and nothing leaked", res)
	}
	for _, in := range res.Instances {
		if len(in.Warnings) != 0 {
			t.Errorf("instance %s warnings %q, want none", in.ID, in.Warnings)
		}
		got, err := c.Cloud().Instance(testRegion, in.ID)
		must(t, err)
		if got.VPCID != res.Network.VPC.ID || got.SubnetID != res.Network.Switch.ID || !slices.Equal(got.SecurityGroupIDs, []string{res.Network.SecurityGroup.ID}) {
			t.Errorf("instance %s launched into %s/%s/%v, want %+v", in.ID, got.VPCID, got.SubnetID, got.SecurityGroupIDs, res.Network)
		}
	}
	checkBound(t, c, res)
	if c.CallCount("AuthorizePorts") != 1 || c.CallCount("AllocateAddress") != 3 || c.CallCount("AssociateAddress") != 9 {
		t.Errorf("calls %v, want 1 AuthorizePorts, 3 AllocateAddress, 9 AssociateAddress", c.Cloud().CallCounts())
	}
	if diff := cmp.Diff(req.Ports, c.SecurityGroupRules(res.Network.SecurityGroup.ID)); diff != "" {
		t.Errorf("group rules (-want +got):\n%s", diff)
	}
}

func TestLaunchRetryGetsSameAddresses(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	req := launchRequest("u1", 2)
	first, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 0, multicloud.Errorf(multicloud.CodeUnavailable, "try again")))
	if err == nil || len(addresses(c)) != 0 {
		t.Fatalf("failed launch: %v, %d addresses left; want an error and none", err, len(addresses(c)))
	}
	if len(first.Instances) != 0 {
		t.Errorf("failed launch returned instances %+v", first.Instances)
	}
	// A token keeps allocations idempotent: re-running the allocation of a
	// request (before its addresses were released) returns the same ones.
	a1, err := network.Allocate(p, context.Background(), req)
	must(t, err)
	a2, err := network.Allocate(p, context.Background(), req)
	must(t, err)
	if diff := cmp.Diff(a1, a2); diff != "" {
		t.Errorf("re-allocation with the same token (-first +second):\n%s", diff)
	}
}

func TestLaunchPartial(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	req := launchRequest("u1", 5)
	short := multicloud.Errorf(multicloud.CodeNoStock, "only 3 left")
	res, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 3, short))
	if !errors.Is(err, short) {
		t.Fatalf("Launch error %v, want the launcher's", err)
	}
	if res == nil || len(res.Instances) != 3 {
		t.Fatalf("Launch result %+v, want 3 instances beside the error", res)
	}
	checkBound(t, c, res) // exactly 3 addresses left, all bound
	if got := c.CallCount("ReleaseAddress"); got != 2 {
		t.Errorf("ReleaseAddress calls = %d, want 2", got)
	}
}

func TestLaunchCapacityFailure(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	req := launchRequest("u1", 4)
	res, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 0,
		multicloud.Errorf(multicloud.CodeNoStock, "sold out in z1")))
	if !errors.Is(err, multicloud.ErrNoStock) || multicloud.CodeOf(err) != multicloud.CodeNoStock || !multicloud.IsCapacity(err) {
		t.Errorf("Launch error %v (code %s), want NO_STOCK unchanged", err, multicloud.CodeOf(err))
	}
	if n := len(addresses(c)); n != 0 {
		t.Errorf("%d addresses left allocated, want 0", n)
	}
	if res == nil || len(res.Leaked) != 0 {
		t.Errorf("result %+v, want one with nothing leaked", res)
	}
}

func TestLaunchNoIDsNoError(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	req := launchRequest("u1", 2)
	_, err := network.NewProvisioner(c, fastOptions).Launch(context.Background(), req, launcher(c, req.Scope, 0, nil))
	if multicloud.CodeOf(err) != multicloud.CodeCreateFailed {
		t.Errorf("Launch error %v, want CREATE_FAILED", err)
	}
	if n := len(addresses(c)); n != 0 {
		t.Errorf("%d addresses left allocated, want 0", n)
	}
}

func TestLaunchEnsureFails(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(sim.Fault{Action: "CreateSecurityGroup", Code: string(multicloud.CodePermissionDenied), Message: "denied"})
	req := launchRequest("u1", 3)
	res, err := network.NewProvisioner(c, fastOptions).Launch(context.Background(), req, launcher(c, req.Scope, 3, nil))
	if multicloud.CodeOf(err) != multicloud.CodeNetwork || !errors.Is(err, multicloud.ErrPermissionDenied) {
		t.Errorf("Launch error %v, want NETWORK_CREATE_FAILED over the denial", err)
	}
	if c.CallCount("Launch") != 0 {
		t.Error("the launcher ran without a network")
	}
	if c.CallCount("AllocateAddress") != 3 || len(addresses(c)) != 0 || len(res.Leaked) != 0 {
		t.Errorf("%d allocated, %d left, leaked %q; want 3 allocated and all released", c.CallCount("AllocateAddress"), len(addresses(c)), res.Leaked)
	}
}

func TestLaunchAssociationAlwaysFails(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(refusing(0))
	p := network.NewProvisioner(c, func(o *network.Options) {
		o.PollInterval = time.Millisecond
		o.WaitTimeout = 30 * time.Millisecond
	})
	req := launchRequest("u1", 3)
	res, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 3, nil))
	must(t, err)
	for _, in := range res.Instances {
		if in.Address != nil || len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], "public address not bound: gave up after 30ms") {
			t.Errorf("instance %+v, want no address and one warning that it was not bound", in)
		}
	}
	if n := len(addresses(c)); n != 0 || len(res.Leaked) != 0 {
		t.Errorf("%d addresses left, leaked %q; want 0 and none", n, res.Leaked)
	}
	// Backoff: retries far fewer than WaitTimeout / PollInterval per instance.
	if n := c.CallCount("AssociateAddress"); n > 3*12 {
		t.Errorf("AssociateAddress calls = %d, want the backoff to keep them under 36", n)
	}
}

func TestLaunchReleaseFails(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(sim.Fault{Action: "AssociateAddress", Class: sim.ClassInvalidParameter, Message: "instance has no network interface"})
	c.InjectFault(sim.Fault{Action: "ReleaseAddress", Code: string(multicloud.CodePermissionDenied), Message: "release denied"})
	req := launchRequest("u1", 2)
	res, err := network.NewProvisioner(c, fastOptions).Launch(context.Background(), req, launcher(c, req.Scope, 2, nil))
	must(t, err)
	left := addresses(c)
	got := slices.Sorted(slices.Values(res.Leaked))
	if len(left) != 2 || len(got) != 2 {
		t.Fatalf("Leaked = %q with %d addresses left, want both named", got, len(left))
	}
	for i, a := range left {
		if prefix := fmt.Sprintf("address %s (%s): ", a.ID, a.IP); !strings.HasPrefix(got[i], prefix) || !strings.Contains(got[i], "release denied") {
			t.Errorf("Leaked[%d] = %q, want %q and the denial", i, got[i], prefix)
		}
	}
	for _, in := range res.Instances {
		if len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], "public address not bound: ") {
			t.Errorf("instance %+v, want one warning that its address was not bound", in)
		}
	}
}

func TestLaunchLeakOnEnsureFailure(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(sim.Fault{Action: "CreateVPC", Class: sim.ClassQuotaExceeded, Message: "10 vpcs"})
	c.InjectFault(sim.Fault{Action: "ReleaseAddress", Code: string(multicloud.CodePermissionDenied), Message: "release denied"})
	req := launchRequest("u1", 2)
	res, err := network.NewProvisioner(c, fastOptions).Launch(context.Background(), req, launcher(c, req.Scope, 2, nil))
	if multicloud.CodeOf(err) != multicloud.CodeQuotaExceeded {
		t.Errorf("Launch error %v, want QUOTA_EXCEEDED kept", err)
	}
	if res == nil || len(res.Leaked) != 2 {
		t.Errorf("result %+v, want 2 leaked addresses", res)
	}
}

func TestLaunchPortsFail(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(sim.Fault{Action: "AuthorizePorts", Class: sim.ClassQuotaExceeded, Message: "200 rules"})
	req := launchRequest("u1", 2)
	res, err := network.NewProvisioner(c, fastOptions).Launch(context.Background(), req, launcher(c, req.Scope, 2, nil))
	must(t, err)
	for _, in := range res.Instances {
		if len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], "ports 22,80,443,8888 not opened: ") || !strings.Contains(in.Warnings[0], ": 200 rules") {
			t.Errorf("instance %s warnings %q, want one saying ports 22,80,443,8888 were not opened for 200 rules", in.ID, in.Warnings)
		}
	}
	checkBound(t, c, res)
}

func TestLaunchAllocationFails(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(sim.Fault{Action: "AllocateAddress", Class: sim.ClassQuotaExceeded, Message: "eip quota", Count: 1})
	req := launchRequest("u1", 3)
	res, err := network.NewProvisioner(c, fastOptions).Launch(context.Background(), req, launcher(c, req.Scope, 3, nil))
	must(t, err)
	var bound, warned int
	for _, in := range res.Instances {
		switch {
		case in.Address != nil && len(in.Warnings) == 0:
			bound++
		case in.Address == nil && len(in.Warnings) == 1 && strings.HasPrefix(in.Warnings[0], "public address not allocated: ") && strings.Contains(in.Warnings[0], ": eip quota"):
			warned++
		default:
			t.Errorf("instance %+v, want an address or a warning", in)
		}
	}
	if bound != 2 || warned != 1 {
		t.Errorf("%d bound, %d warned; want 2 and 1", bound, warned)
	}
}

func TestLaunchWithoutAddress(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	req := launchRequest("u1", 2)
	req.Address, req.Ports = nil, nil
	res, err := network.NewProvisioner(c, fastOptions).Launch(context.Background(), req, launcher(c, req.Scope, 2, nil))
	must(t, err)
	if len(res.Instances) != 2 || res.Instances[0].Address != nil || c.CallCount("AllocateAddress")+c.CallCount("AuthorizePorts") != 0 {
		t.Errorf("Launch = %+v with calls %v, want 2 instances and no address or port call", res, c.Cloud().CallCounts())
	}
}

func TestLaunchInvalid(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	req := launchRequest("u1", 0)
	req.Quantity = -1
	res, err := p.Launch(context.Background(), req, nil)
	if res != nil || !errors.Is(err, multicloud.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "launcher is nil") || !strings.Contains(err.Error(), "quantity -1 is negative") {
		t.Errorf("Launch = %v, %v; want every problem as an invalid argument", res, err)
	}
}

func TestLaunchCanceled(t *testing.T) {
	t.Parallel()
	t.Run("before", func(t *testing.T) {
		t.Parallel()
		c := newCloud(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := launchRequest("u1", 1)
		res, err := network.NewProvisioner(c, fastOptions).Launch(ctx, req, launcher(c, req.Scope, 1, nil))
		if res != nil || !errors.Is(err, context.Canceled) || c.CallCount("") != 0 {
			t.Errorf("Launch = %v, %v after %d calls; want context.Canceled and no call", res, err, c.CallCount(""))
		}
	})
	t.Run("during ensure", func(t *testing.T) {
		t.Parallel()
		c := pendingCloud(t, -1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req := launchRequest("u1", 2)
		res, err := network.NewProvisioner(c, fastOptions).Launch(ctx, req, launcher(c.Provider, req.Scope, 2, nil))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Launch error %v, want context.DeadlineExceeded", err)
		}
		if n := len(addresses(c.Provider)); n != 0 || res == nil || len(res.Leaked) != 0 {
			t.Errorf("%d addresses left, result %+v; want all released after the cancellation", n, res)
		}
	})
}

func TestReleaseAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	scope := testScope("u1")
	spec := network.AddressSpec{BandwidthMbps: 5, ChargeMode: "TRAFFIC"}
	a, err := c.AllocateAddress(ctx, scope, spec, "")
	must(t, err)
	ins, err := c.Cloud().CreateInstances(sim.InstanceSpec{Region: testRegion, Zone: "z1", Type: testType})
	must(t, err)
	id := ins[0].ID
	must(t, c.AssociateAddress(ctx, scope, a.ID, id))

	if err := p.ReleaseAddress(ctx, scope, a.ID, "i-other"); !errors.Is(err, multicloud.ErrConflict) {
		t.Errorf("release of an address bound elsewhere: %v, want a conflict", err)
	}
	c.InjectFault(sim.Fault{Action: "ReleaseAddress", Class: sim.ClassIncorrectState, Message: "address busy", Count: 2})
	must(t, p.ReleaseAddress(ctx, scope, a.ID, id))
	if n := len(addresses(c)); n != 0 {
		t.Errorf("%d addresses left, want 0", n)
	}
	if got := c.CallCount("ReleaseAddress"); got != 3 {
		t.Errorf("ReleaseAddress calls = %d, want 3 (two busy, one done)", got)
	}
	// Gone already: not an error.
	must(t, p.ReleaseAddress(ctx, scope, a.ID, id))

	b, err := c.AllocateAddress(ctx, scope, spec, "")
	must(t, err)
	c.InjectFault(sim.Fault{Action: "ReleaseAddress", Code: string(multicloud.CodePermissionDenied), Message: "denied"})
	if err := p.ReleaseAddress(ctx, scope, b.ID, ""); !errors.Is(err, multicloud.ErrPermissionDenied) || !strings.Contains(err.Error(), b.ID) {
		t.Errorf("ReleaseAddress = %v, want the denial naming %s", err, b.ID)
	}
}

// TestLaunchConcurrentOwners: 100 creates for 10 owners make exactly 10
// VPCs and 10 groups, and every instance lands in its owner's VPC. The
// VPCs are Pending for a while and the instances refuse addresses until
// they have started.
func TestLaunchConcurrentOwners(t *testing.T) {
	t.Parallel()
	c := newCloud(t, func(o *fake.Options) { o.TransitionDelay = time.Millisecond })
	c.SetLatency("", time.Millisecond)
	p := network.NewProvisioner(c, fastOptions)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			owner := fmt.Sprintf("user-%d", i%10)
			req := launchRequest(owner, 1)
			req.Token = fmt.Sprintf("req-%d", i)
			res, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 1, nil))
			if err != nil {
				t.Error(err)
				return
			}
			for _, in := range res.Instances {
				got, err := c.Cloud().Instance(testRegion, in.ID)
				if err != nil || vpcOwner(t, c, got.VPCID) != owner {
					t.Errorf("instance %s of %s is in VPC %s (%v)", in.ID, owner, got.VPCID, err)
				}
				if in.Address == nil || len(in.Warnings) != 0 {
					t.Errorf("instance %+v, want it bound without warnings", in)
				}
			}
		})
	}
	wg.Wait()
	if vpcs, groups := len(c.Cloud().VPCs("")), len(c.Cloud().SecurityGroups("", "")); vpcs != 10 || groups != 10 {
		t.Errorf("%d VPCs and %d groups, want 10 and 10", vpcs, groups)
	}
	if got := len(addresses(c)); got != 100 {
		t.Errorf("%d addresses allocated, want 100", got)
	}
}

// TestLaunchNotFoundForgets: a launcher that finds the cached network gone
// makes the next Ensure look it up again.
func TestLaunchNotFoundForgets(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	req := launchRequest("u1", 1)
	_, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 1, nil))
	must(t, err)
	gone := multicloud.Errorf(multicloud.CodeNotFound, "vswitch not found")
	_, err = p.Launch(context.Background(), req, launcher(c, req.Scope, 0, gone))
	if !errors.Is(err, gone) {
		t.Fatalf("Launch error %v, want the launcher's", err)
	}
	_, err = p.Ensure(context.Background(), req.Scope, req.Zone)
	must(t, err)
	if got := c.CallCount("FindVPC"); got != 2 {
		t.Errorf("FindVPC calls = %d, want 2 (the entry was dropped)", got)
	}
}

func TestLaunchNoCache(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions, func(o *network.Options) { o.CacheTTL = -1 })
	req := launchRequest("u1", 1)
	for i := range 2 {
		req.Token = fmt.Sprint("create-", i)
		res, err := p.Launch(context.Background(), req, launcher(c, req.Scope, 1, nil))
		must(t, err)
		if in := res.Instances[0]; in.Address == nil || len(in.Warnings) != 0 {
			t.Errorf("instance %+v, want it bound without warnings", in)
		}
	}
	if got := c.Cloud().CallCounts(); got["FindVPC"] != 2 || got["CreateVPC"] != 1 {
		t.Errorf("calls %v, want 2 FindVPC and 1 CreateVPC with the cache disabled", got)
	}
}
