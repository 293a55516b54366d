package network_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud/network"
)

// span is one call of the network flow on the wall clock.
type span struct {
	method     string
	start, end time.Time
}

// timed records when each primitive call and each launch starts and ends.
type timed struct {
	network.Primitives
	mu  sync.Mutex
	log []span
}

func (r *timed) done(method string, start time.Time) {
	end := time.Now()
	r.mu.Lock()
	r.log = append(r.log, span{method, start, end})
	r.mu.Unlock()
}

func (r *timed) spans() []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

func (r *timed) launcher(l network.Launcher) network.Launcher {
	return network.LaunchFunc(func(ctx context.Context, net network.Network) ([]string, error) {
		defer r.done("Launch", time.Now())
		return l.Launch(ctx, net)
	})
}

func (r *timed) FindVPC(ctx context.Context, scope network.Scope) (network.VPC, error) {
	defer r.done("FindVPC", time.Now())
	return r.Primitives.FindVPC(ctx, scope)
}

func (r *timed) CreateVPC(ctx context.Context, scope network.Scope, cidr, token string) (network.VPC, error) {
	defer r.done("CreateVPC", time.Now())
	return r.Primitives.CreateVPC(ctx, scope, cidr, token)
}

func (r *timed) GetVPC(ctx context.Context, scope network.Scope, vpcID string) (network.VPC, error) {
	defer r.done("GetVPC", time.Now())
	return r.Primitives.GetVPC(ctx, scope, vpcID)
}

func (r *timed) ListSwitches(ctx context.Context, scope network.Scope, vpcID string) ([]network.Switch, error) {
	defer r.done("ListSwitches", time.Now())
	return r.Primitives.ListSwitches(ctx, scope, vpcID)
}

func (r *timed) CreateSwitch(ctx context.Context, scope network.Scope, vpcID, zone, cidr, token string) (network.Switch, error) {
	defer r.done("CreateSwitch", time.Now())
	return r.Primitives.CreateSwitch(ctx, scope, vpcID, zone, cidr, token)
}

func (r *timed) FindSecurityGroup(ctx context.Context, scope network.Scope, vpcID string) (network.SecurityGroup, error) {
	defer r.done("FindSecurityGroup", time.Now())
	return r.Primitives.FindSecurityGroup(ctx, scope, vpcID)
}

func (r *timed) CreateSecurityGroup(ctx context.Context, scope network.Scope, vpcID, token string) (network.SecurityGroup, error) {
	defer r.done("CreateSecurityGroup", time.Now())
	return r.Primitives.CreateSecurityGroup(ctx, scope, vpcID, token)
}

func (r *timed) AuthorizePorts(ctx context.Context, scope network.Scope, groupID string, rules []network.PortRule) error {
	defer r.done("AuthorizePorts", time.Now())
	return r.Primitives.AuthorizePorts(ctx, scope, groupID, rules)
}

func (r *timed) AllocateAddress(ctx context.Context, scope network.Scope, spec network.AddressSpec, token string) (network.Address, error) {
	defer r.done("AllocateAddress", time.Now())
	return r.Primitives.AllocateAddress(ctx, scope, spec, token)
}

func (r *timed) AssociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) error {
	defer r.done("AssociateAddress", time.Now())
	return r.Primitives.AssociateAddress(ctx, scope, addressID, instanceID)
}

func (r *timed) GetAddress(ctx context.Context, scope network.Scope, addressID string) (network.Address, error) {
	defer r.done("GetAddress", time.Now())
	return r.Primitives.GetAddress(ctx, scope, addressID)
}

func (r *timed) UnassociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) error {
	defer r.done("UnassociateAddress", time.Now())
	return r.Primitives.UnassociateAddress(ctx, scope, addressID, instanceID)
}

func (r *timed) ReleaseAddress(ctx context.Context, scope network.Scope, addressID string) error {
	defer r.done("ReleaseAddress", time.Now())
	return r.Primitives.ReleaseAddress(ctx, scope, addressID)
}

// TestLaunchDependencyGraph checks the shape of a cold create from the
// call log: independent steps overlap, and the longest chain of calls that
// follow one another is the graph's critical path, not the sum of steps.
// Every call of the cloud takes 20ms; the new VPC answers Pending once.
func TestLaunchDependencyGraph(t *testing.T) {
	t.Parallel()
	c := pendingCloud(t, 1)
	c.SetLatency("", 20*time.Millisecond)
	r := &timed{Primitives: c}
	p := network.NewProvisioner(r, fastOptions)
	req := launchRequest("u1", 2)
	started := func() { c.clock.Advance(2 * time.Second) } // the instances start during the launch
	res, err := p.Launch(context.Background(), req, r.launcher(launcherThen(c.Provider, req.Scope, 2, nil, started)))
	must(t, err)
	c.clock.Advance(time.Second) // the addresses' association completes
	checkBound(t, c.Provider, res)

	log := r.spans()
	first := func(method string) span {
		t.Helper()
		for _, c := range log {
			if c.method == method {
				return c
			}
		}
		t.Fatalf("no %s call in the log", method)
		return span{}
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
	_, err = p.Launch(context.Background(), req, r.launcher(launcherThen(c.Provider, req.Scope, 2, nil, started)))
	must(t, err)
	warm := r.spans()[before:]
	if depth := chainDepth(warm); depth != 2 {
		t.Errorf("sequential depth of a warm Launch = %d, want 2; log:\n%s", depth, formatLog(warm))
	}
}

// chainDepth returns the length of the longest chain of calls in log where
// each call starts after the previous one ended.
func chainDepth(log []span) int {
	calls := slices.Clone(log)
	slices.SortFunc(calls, func(a, b span) int { return a.start.Compare(b.start) })
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

func formatLog(log []span) string {
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
