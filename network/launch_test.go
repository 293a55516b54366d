package network

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
)

func launchRequest(owner string, quantity int) LaunchRequest {
	return LaunchRequest{
		Scope:    testScope(owner),
		Zone:     "z1",
		Ports:    TCPPorts(22, 80, 443, 8888),
		Address:  &AddressSpec{BandwidthMbps: 5, ChargeMode: "TRAFFIC"},
		Quantity: quantity,
		Token:    "req-" + owner,
	}
}

// checkBound fails unless every instance of res has an address that the
// double shows bound to it, and no other address is allocated.
func checkBound(t *testing.T, m *memPrims, res *LaunchResult) {
	t.Helper()
	var want []Address
	for _, in := range res.Instances {
		if in.Address == nil {
			t.Errorf("instance %s has no address; warnings %q", in.ID, in.Warnings)
			continue
		}
		want = append(want, *in.Address)
	}
	slices.SortFunc(want, func(a, b Address) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(want, m.addresses()); diff != "" {
		t.Errorf("addresses (-result +allocated):\n%s", diff)
	}
	for _, a := range want {
		if a.Status != StatusInUse || a.InstanceID == "" {
			t.Errorf("address %+v is not in use by an instance", a)
		}
	}
}

func TestLaunchHappyPath(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.assocConflicts = 2 // every instance refuses its address twice first
	p := NewProvisioner(m, fastOptions)
	req := launchRequest("u1", 3)
	res, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 3, nil))
	must(t, err)
	if len(res.Instances) != 3 || len(res.Leaked) != 0 {
		t.Fatalf("Launch = %+v, want 3 instances and nothing leaked", res)
	}
	for _, in := range res.Instances {
		if len(in.Warnings) != 0 {
			t.Errorf("instance %s warnings %q, want none", in.ID, in.Warnings)
		}
		if got := m.instances[in.ID].net; cmp.Diff(got, res.Network) != "" {
			t.Errorf("instance %s launched into %+v, want %+v", in.ID, got, res.Network)
		}
	}
	checkBound(t, m, res)
	counts := m.counts()
	if counts["AuthorizePorts"] != 1 || counts["AllocateAddress"] != 3 || counts["AssociateAddress"] != 9 {
		t.Errorf("calls %v, want 1 AuthorizePorts, 3 AllocateAddress, 9 AssociateAddress", counts)
	}
	if diff := cmp.Diff(req.Ports, m.groups[res.Network.SecurityGroup.ID].rules); diff != "" {
		t.Errorf("group rules (-want +got):\n%s", diff)
	}
}

func TestLaunchRetryGetsSameAddresses(t *testing.T) {
	t.Parallel()
	m := newMem()
	p := NewProvisioner(m, fastOptions)
	req := launchRequest("u1", 2)
	first, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 0, multicloud.Errorf(multicloud.CodeUnavailable, "try again")))
	if err == nil || len(m.addresses()) != 0 {
		t.Fatalf("failed launch: %v, %d addresses left; want an error and none", err, len(m.addresses()))
	}
	if len(first.Instances) != 0 {
		t.Errorf("failed launch returned instances %+v", first.Instances)
	}
	// A token keeps allocations idempotent: re-running the allocation of a
	// request (before its addresses were released) returns the same ones.
	a1, err := p.allocate(context.Background(), req)
	must(t, err)
	a2, err := p.allocate(context.Background(), req)
	must(t, err)
	if diff := cmp.Diff(a1, a2); diff != "" {
		t.Errorf("re-allocation with the same token (-first +second):\n%s", diff)
	}
}

func TestLaunchPartial(t *testing.T) {
	t.Parallel()
	m := newMem()
	p := NewProvisioner(m, fastOptions)
	req := launchRequest("u1", 5)
	short := multicloud.Errorf(multicloud.CodeNoStock, "only 3 left")
	res, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 3, short))
	if !errors.Is(err, short) {
		t.Fatalf("Launch error %v, want the launcher's", err)
	}
	if res == nil || len(res.Instances) != 3 {
		t.Fatalf("Launch result %+v, want 3 instances beside the error", res)
	}
	checkBound(t, m, res) // exactly 3 addresses left, all bound
	if got := m.count("ReleaseAddress"); got != 2 {
		t.Errorf("ReleaseAddress calls = %d, want 2", got)
	}
}

func TestLaunchCapacityFailure(t *testing.T) {
	t.Parallel()
	m := newMem()
	p := NewProvisioner(m, fastOptions)
	req := launchRequest("u1", 4)
	res, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 0,
		multicloud.Errorf(multicloud.CodeNoStock, "sold out in z1")))
	if !errors.Is(err, multicloud.ErrNoStock) || multicloud.CodeOf(err) != multicloud.CodeNoStock || !multicloud.IsCapacity(err) {
		t.Errorf("Launch error %v (code %s), want NO_STOCK unchanged", err, multicloud.CodeOf(err))
	}
	if n := len(m.addresses()); n != 0 {
		t.Errorf("%d addresses left allocated, want 0", n)
	}
	if res == nil || len(res.Leaked) != 0 {
		t.Errorf("result %+v, want one with nothing leaked", res)
	}
}

func TestLaunchNoIDsNoError(t *testing.T) {
	t.Parallel()
	m := newMem()
	req := launchRequest("u1", 2)
	_, err := NewProvisioner(m, fastOptions).Launch(context.Background(), req, m.launcher(req.Scope, 0, nil))
	if multicloud.CodeOf(err) != multicloud.CodeCreateFailed {
		t.Errorf("Launch error %v, want CREATE_FAILED", err)
	}
	if n := len(m.addresses()); n != 0 {
		t.Errorf("%d addresses left allocated, want 0", n)
	}
}

func TestLaunchEnsureFails(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.fail("CreateSecurityGroup", -1, multicloud.Errorf(multicloud.CodePermissionDenied, "denied"))
	req := launchRequest("u1", 3)
	res, err := NewProvisioner(m, fastOptions).Launch(context.Background(), req, m.launcher(req.Scope, 3, nil))
	if multicloud.CodeOf(err) != multicloud.CodeNetwork || !errors.Is(err, multicloud.ErrPermissionDenied) {
		t.Errorf("Launch error %v, want NETWORK_CREATE_FAILED over the denial", err)
	}
	if m.count("Launch") != 0 {
		t.Error("the launcher ran without a network")
	}
	if m.count("AllocateAddress") != 3 || len(m.addresses()) != 0 || len(res.Leaked) != 0 {
		t.Errorf("%d allocated, %d left, leaked %q; want 3 allocated and all released", m.count("AllocateAddress"), len(m.addresses()), res.Leaked)
	}
}

func TestLaunchAssociationAlwaysFails(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.assocConflicts = 1 << 30
	p := NewProvisioner(m, func(o *Options) {
		o.PollInterval = time.Millisecond
		o.WaitTimeout = 30 * time.Millisecond
	})
	req := launchRequest("u1", 3)
	res, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 3, nil))
	must(t, err)
	for _, in := range res.Instances {
		if in.Address != nil || len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], "public address not bound: gave up after 30ms") {
			t.Errorf("instance %+v, want no address and one warning that it was not bound", in)
		}
	}
	if n := len(m.addresses()); n != 0 || len(res.Leaked) != 0 {
		t.Errorf("%d addresses left, leaked %q; want 0 and none", n, res.Leaked)
	}
	// Backoff: retries far fewer than WaitTimeout / PollInterval per instance.
	if n := m.count("AssociateAddress"); n > 3*12 {
		t.Errorf("AssociateAddress calls = %d, want the backoff to keep them under 36", n)
	}
}

func TestLaunchReleaseFails(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.fail("AssociateAddress", -1, multicloud.Errorf(multicloud.CodeInvalidArgument, "instance has no network interface"))
	m.fail("ReleaseAddress", -1, multicloud.Errorf(multicloud.CodePermissionDenied, "release denied"))
	req := launchRequest("u1", 2)
	res, err := NewProvisioner(m, fastOptions).Launch(context.Background(), req, m.launcher(req.Scope, 2, nil))
	must(t, err)
	var want []string
	for _, a := range m.addresses() {
		want = append(want, fmt.Sprintf("address %s (%s): release denied", a.ID, a.IP))
	}
	got := slices.Sorted(slices.Values(res.Leaked))
	if len(want) != 2 || !cmp.Equal(want, got) {
		t.Errorf("Leaked = %q, want %q", got, want)
	}
	for _, in := range res.Instances {
		if len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], "public address not bound: ") {
			t.Errorf("instance %+v, want one warning that its address was not bound", in)
		}
	}
}

func TestLaunchLeakOnEnsureFailure(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.fail("CreateVPC", -1, multicloud.Errorf(multicloud.CodeQuotaExceeded, "10 vpcs"))
	m.fail("ReleaseAddress", -1, multicloud.Errorf(multicloud.CodePermissionDenied, "release denied"))
	req := launchRequest("u1", 2)
	res, err := NewProvisioner(m, fastOptions).Launch(context.Background(), req, m.launcher(req.Scope, 2, nil))
	if multicloud.CodeOf(err) != multicloud.CodeQuotaExceeded {
		t.Errorf("Launch error %v, want QUOTA_EXCEEDED kept", err)
	}
	if res == nil || len(res.Leaked) != 2 {
		t.Errorf("result %+v, want 2 leaked addresses", res)
	}
}

func TestLaunchPortsFail(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.fail("AuthorizePorts", -1, multicloud.Errorf(multicloud.CodeQuotaExceeded, "200 rules"))
	req := launchRequest("u1", 2)
	res, err := NewProvisioner(m, fastOptions).Launch(context.Background(), req, m.launcher(req.Scope, 2, nil))
	must(t, err)
	for _, in := range res.Instances {
		want := []string{"ports 22,80,443,8888 not opened: 200 rules"}
		if diff := cmp.Diff(want, in.Warnings); diff != "" {
			t.Errorf("instance %s warnings (-want +got):\n%s", in.ID, diff)
		}
	}
	checkBound(t, m, res)
}

func TestLaunchAllocationFails(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.fail("AllocateAddress", 1, multicloud.Errorf(multicloud.CodeQuotaExceeded, "eip quota"))
	req := launchRequest("u1", 3)
	res, err := NewProvisioner(m, fastOptions).Launch(context.Background(), req, m.launcher(req.Scope, 3, nil))
	must(t, err)
	var bound, warned int
	for _, in := range res.Instances {
		switch {
		case in.Address != nil && len(in.Warnings) == 0:
			bound++
		case in.Address == nil && cmp.Equal(in.Warnings, []string{"public address not allocated: eip quota"}):
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
	m := newMem()
	req := launchRequest("u1", 2)
	req.Address, req.Ports = nil, nil
	res, err := NewProvisioner(m, fastOptions).Launch(context.Background(), req, m.launcher(req.Scope, 2, nil))
	must(t, err)
	if len(res.Instances) != 2 || res.Instances[0].Address != nil || m.count("AllocateAddress")+m.count("AuthorizePorts") != 0 {
		t.Errorf("Launch = %+v with calls %v, want 2 instances and no address or port call", res, m.counts())
	}
}

func TestLaunchInvalid(t *testing.T) {
	t.Parallel()
	m := newMem()
	p := NewProvisioner(m, fastOptions)
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
		m := newMem()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := launchRequest("u1", 1)
		res, err := NewProvisioner(m, fastOptions).Launch(ctx, req, m.launcher(req.Scope, 1, nil))
		if res != nil || !errors.Is(err, context.Canceled) || len(m.calls()) != 0 {
			t.Errorf("Launch = %v, %v after %d calls; want context.Canceled and no call", res, err, len(m.calls()))
		}
	})
	t.Run("during ensure", func(t *testing.T) {
		t.Parallel()
		m := newMem()
		m.pendingPolls = 1 << 30
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req := launchRequest("u1", 2)
		res, err := NewProvisioner(m, fastOptions).Launch(ctx, req, m.launcher(req.Scope, 2, nil))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Launch error %v, want context.DeadlineExceeded", err)
		}
		if n := len(m.addresses()); n != 0 || res == nil || len(res.Leaked) != 0 {
			t.Errorf("%d addresses left, result %+v; want all released after the cancellation", n, res)
		}
	})
}

func TestReleaseAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMem()
	p := NewProvisioner(m, fastOptions)
	scope := testScope("u1")
	a, err := m.AllocateAddress(ctx, scope, AddressSpec{}, "")
	must(t, err)
	must(t, m.AssociateAddress(ctx, scope, a.ID, "i-9"))

	if err := p.ReleaseAddress(ctx, scope, a.ID, "i-other"); !errors.Is(err, multicloud.ErrConflict) {
		t.Errorf("release of an address bound elsewhere: %v, want a conflict", err)
	}
	m.fail("ReleaseAddress", 2, multicloud.Errorf(multicloud.CodeConflict, "address busy"))
	must(t, p.ReleaseAddress(ctx, scope, a.ID, "i-9"))
	if n := len(m.addresses()); n != 0 {
		t.Errorf("%d addresses left, want 0", n)
	}
	if got := m.count("ReleaseAddress"); got != 3 {
		t.Errorf("ReleaseAddress calls = %d, want 3 (two busy, one done)", got)
	}
	// Gone already: not an error.
	must(t, p.ReleaseAddress(ctx, scope, a.ID, "i-9"))

	b, err := m.AllocateAddress(ctx, scope, AddressSpec{}, "")
	must(t, err)
	m.fail("ReleaseAddress", -1, multicloud.Errorf(multicloud.CodePermissionDenied, "denied"))
	if err := p.ReleaseAddress(ctx, scope, b.ID, ""); !errors.Is(err, multicloud.ErrPermissionDenied) || !strings.Contains(err.Error(), b.ID) {
		t.Errorf("ReleaseAddress = %v, want the denial naming %s", err, b.ID)
	}
}

// TestLaunchConcurrentOwners: 100 creates for 10 owners make exactly 10
// VPCs and 10 groups, and every instance lands in its owner's VPC.
func TestLaunchConcurrentOwners(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.latency = time.Millisecond
	m.pendingPolls = 1
	m.assocConflicts = 1
	p := NewProvisioner(m, fastOptions)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			owner := fmt.Sprintf("user-%d", i%10)
			req := launchRequest(owner, 1)
			req.Token = fmt.Sprintf("req-%d", i)
			res, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 1, nil))
			if err != nil {
				t.Error(err)
				return
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, in := range res.Instances {
				vpc := m.vpcs[m.instances[in.ID].net.VPC.ID]
				if vpc == nil || vpc.scope.Owner != owner {
					t.Errorf("instance %s of %s is in VPC %+v", in.ID, owner, vpc)
				}
				if in.Address == nil || len(in.Warnings) != 0 {
					t.Errorf("instance %+v, want it bound without warnings", in)
				}
			}
		})
	}
	wg.Wait()
	m.mu.Lock()
	vpcs, groups := len(m.vpcs), len(m.groups)
	m.mu.Unlock()
	if vpcs != 10 || groups != 10 {
		t.Errorf("%d VPCs and %d groups, want 10 and 10", vpcs, groups)
	}
	if got := len(m.addresses()); got != 100 {
		t.Errorf("%d addresses allocated, want 100", got)
	}
}

// TestLaunchDependencyGraph checks the shape of a cold create from the
// call log: independent steps overlap, and the longest chain of calls that
// follow one another is the graph's critical path, not the sum of steps.
func TestLaunchDependencyGraph(t *testing.T) {
	t.Parallel()
	m := newMem()
	m.latency = 20 * time.Millisecond
	m.pendingPolls = 1
	p := NewProvisioner(m, fastOptions)
	req := launchRequest("u1", 2)
	res, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 2, nil))
	must(t, err)
	checkBound(t, m, res)

	log := m.calls()
	first := func(method string) call {
		t.Helper()
		for _, c := range log {
			if c.method == method {
				return c
			}
		}
		t.Fatalf("no %s call in the log", method)
		return call{}
	}
	overlap := func(a, b string) {
		t.Helper()
		x, y := first(a), first(b)
		if !x.start.Before(y.end) || !y.start.Before(x.end) {
			t.Errorf("%s [%v] and %s [%v] do not overlap", a, x.end.Sub(x.start), b, y.end.Sub(y.start))
		}
	}
	overlap("AllocateAddress", "FindVPC")
	overlap("CreateSwitch", "CreateSecurityGroup")
	overlap("AuthorizePorts", "Launch")

	// Depth: the longest chain of calls each starting after the previous
	// ended. Cold: FindVPC, CreateVPC, GetVPC x2 (the VPC wait, one Pending
	// poll), CreateSwitch beside CreateSecurityGroup, Launch beside
	// AuthorizePorts, AssociateAddress = 5 round trips plus the wait. A VPC
	// created here has no switches or group, so neither is looked up.
	depth := chainDepth(log)
	if depth != 7 {
		t.Errorf("sequential depth of a cold Launch = %d, want 7; log:\n%s", depth, formatLog(log))
	}
	if len(log) != 12 {
		t.Errorf("%d calls, want 12; log:\n%s", len(log), formatLog(log))
	}
	for _, c := range log {
		if c.method == "ListSwitches" || c.method == "FindSecurityGroup" {
			t.Errorf("cold Launch called %s on the VPC it just created", c.method)
		}
	}

	// Warm: the network is cached, so Launch and the association remain.
	before := len(log)
	req.Token = "second"
	_, err = p.Launch(context.Background(), req, m.launcher(req.Scope, 2, nil))
	must(t, err)
	warm := m.calls()[before:]
	if depth := chainDepth(warm); depth != 2 {
		t.Errorf("sequential depth of a warm Launch = %d, want 2; log:\n%s", depth, formatLog(warm))
	}
}

// chainDepth returns the length of the longest chain of calls in log where
// each call starts after the previous one ended.
func chainDepth(log []call) int {
	calls := slices.Clone(log)
	slices.SortFunc(calls, func(a, b call) int { return a.start.Compare(b.start) })
	depth := make([]int, len(calls))
	best := 0
	for i, c := range calls {
		depth[i] = 1
		for j := range i {
			if !calls[j].end.After(c.start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		best = max(best, depth[i])
	}
	return best
}

func formatLog(log []call) string {
	if len(log) == 0 {
		return ""
	}
	t0 := log[0].start
	for _, c := range log {
		if c.start.Before(t0) {
			t0 = c.start
		}
	}
	var b strings.Builder
	for _, c := range log {
		fmt.Fprintf(&b, "  %-20s %4dms - %4dms\n", c.method, c.start.Sub(t0).Milliseconds(), c.end.Sub(t0).Milliseconds())
	}
	return b.String()
}

// TestLaunchNotFoundForgets: a launcher that finds the cached network gone
// makes the next Ensure look it up again.
func TestLaunchNotFoundForgets(t *testing.T) {
	t.Parallel()
	m := newMem()
	p := NewProvisioner(m, fastOptions)
	req := launchRequest("u1", 1)
	_, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 1, nil))
	must(t, err)
	gone := multicloud.Errorf(multicloud.CodeNotFound, "vswitch not found")
	_, err = p.Launch(context.Background(), req, m.launcher(req.Scope, 0, gone))
	if !errors.Is(err, gone) {
		t.Fatalf("Launch error %v, want the launcher's", err)
	}
	_, err = p.Ensure(context.Background(), req.Scope, req.Zone)
	must(t, err)
	if got := m.count("FindVPC"); got != 2 {
		t.Errorf("FindVPC calls = %d, want 2 (the entry was dropped)", got)
	}
}

func TestLaunchNoCache(t *testing.T) {
	t.Parallel()
	m := newMem()
	p := NewProvisioner(m, fastOptions, func(o *Options) { o.CacheTTL = -1 })
	req := launchRequest("u1", 1)
	for i := range 2 {
		req.Token = fmt.Sprint("create-", i)
		res, err := p.Launch(context.Background(), req, m.launcher(req.Scope, 1, nil))
		must(t, err)
		if in := res.Instances[0]; in.Address == nil || len(in.Warnings) != 0 {
			t.Errorf("instance %+v, want it bound without warnings", in)
		}
	}
	if got := m.counts(); got["FindVPC"] != 2 || got["CreateVPC"] != 1 {
		t.Errorf("calls %v, want 2 FindVPC and 1 CreateVPC with the cache disabled", got)
	}
}
