package network_test

import (
	"context"
	"errors"
	"net/netip"
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

func TestEnsureColdThenWarm(t *testing.T) {
	t.Parallel()
	c := pendingCloud(t, 2)
	p := network.NewProvisioner(c, fastOptions)
	scope := testScope("u1")

	n, err := p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	if n.VPC.Status != network.StatusAvailable || n.Switch.VPCID != n.VPC.ID || n.SecurityGroup.VPCID != n.VPC.ID || n.Switch.Zone != "z1" {
		t.Errorf("Ensure = %+v, want an available VPC holding the z1 switch and the group", n)
	}
	want := map[string]int{
		"FindVPC": 1, "CreateVPC": 1, "GetVPC": 3,
		"CreateSwitch": 1, "CreateSecurityGroup": 1,
	} // a VPC just created has no switch or group to look up
	if diff := cmp.Diff(want, c.Cloud().CallCounts()); diff != "" {
		t.Errorf("cold Ensure calls (-want +got):\n%s", diff)
	}

	before := c.CallCount("")
	again, err := p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	if diff := cmp.Diff(n, again); diff != "" {
		t.Errorf("warm Ensure returned another network (-cold +warm):\n%s", diff)
	}
	if got := c.CallCount("") - before; got != 0 {
		t.Errorf("warm Ensure made %d calls, want 0", got)
	}
}

func TestEnsureFindsExisting(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	scope := testScope("u1")
	first, err := network.NewProvisioner(c, fastOptions).Ensure(context.Background(), scope, "z1")
	must(t, err)

	// A second process (a new Provisioner) finds everything and creates nothing.
	creates := func() int {
		return c.CallCount("CreateVPC") + c.CallCount("CreateSwitch") + c.CallCount("CreateSecurityGroup")
	}
	before := creates()
	got, err := network.NewProvisioner(c, fastOptions).Ensure(context.Background(), scope, "z1")
	must(t, err)
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("second process got another network (-first +second):\n%s", diff)
	}
	if n := creates(); n != before {
		t.Errorf("second process made %d creates, want 0", n-before)
	}
}

func TestEnsureCacheExpires(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := network.NewProvisioner(c, fastOptions, func(o *network.Options) {
		o.CacheTTL = time.Minute
		o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	scope := testScope("u1")
	_, err := p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	mu.Lock()
	now = now.Add(59 * time.Second)
	mu.Unlock()
	_, err = p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	if got := c.CallCount("FindVPC"); got != 1 {
		t.Fatalf("FindVPC calls within the TTL = %d, want 1", got)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	_, err = p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	if got := c.CallCount("FindVPC"); got != 2 {
		t.Errorf("FindVPC calls after the TTL = %d, want 2", got)
	}
	if got := c.CallCount("CreateVPC"); got != 1 {
		t.Errorf("CreateVPC calls = %d, want 1", got)
	}
}

func TestEnsureTwoZones(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.SetLatency("", 2*time.Millisecond)
	p := network.NewProvisioner(c, fastOptions)
	scope := testScope("u1")
	zones := []string{"z1", "z2"}
	nets := make([]network.Network, len(zones))
	var wg sync.WaitGroup
	for i, z := range zones {
		wg.Go(func() {
			var err error
			nets[i], err = p.Ensure(context.Background(), scope, z)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if nets[0].VPC.ID != nets[1].VPC.ID || nets[0].SecurityGroup != nets[1].SecurityGroup {
		t.Errorf("two zones got networks %+v and %+v, want one VPC and one group", nets[0], nets[1])
	}
	a, b := netip.MustParsePrefix(nets[0].Switch.CIDR), netip.MustParsePrefix(nets[1].Switch.CIDR)
	if a.Overlaps(b) {
		t.Errorf("switches %s and %s overlap", a, b)
	}
	want := map[string]int{"CreateVPC": 1, "CreateSwitch": 2, "CreateSecurityGroup": 1}
	for k, w := range want {
		if got := c.CallCount(k); got != w {
			t.Errorf("%s calls = %d, want %d", k, got, w)
		}
	}
}

func TestEnsureSecondZoneReusesCachedVPC(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	scope := testScope("u1")
	_, err := p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	before := c.Cloud().CallCounts()
	_, err = p.Ensure(context.Background(), scope, "z2")
	must(t, err)
	after := c.Cloud().CallCounts()
	for _, k := range []string{"FindVPC", "CreateVPC", "GetVPC", "FindSecurityGroup", "CreateSecurityGroup"} {
		if after[k] != before[k] {
			t.Errorf("second zone called %s %d times, want 0", k, after[k]-before[k])
		}
	}
	if after["CreateSwitch"]-before["CreateSwitch"] != 1 {
		t.Errorf("second zone created %d switches, want 1", after["CreateSwitch"]-before["CreateSwitch"])
	}
}

func TestEnsureDeletedVPC(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	scope := testScope("u1")
	old, err := p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	deleteVPC(t, c, old.VPC.ID)

	// The cached VPC is gone: creating the z2 switch in it fails with not
	// found, the entry is dropped and the flow runs again uncached.
	n, err := p.Ensure(context.Background(), scope, "z2")
	must(t, err)
	if n.VPC.ID == old.VPC.ID {
		t.Errorf("Ensure after deletion returned the deleted VPC %s", old.VPC.ID)
	}
	if got := c.CallCount("CreateVPC"); got != 2 {
		t.Errorf("CreateVPC calls = %d, want 2", got)
	}

	// Forget makes the cached z1 switch be looked up again.
	p.Forget(scope)
	n1, err := p.Ensure(context.Background(), scope, "z1")
	must(t, err)
	if n1.VPC.ID != n.VPC.ID || n1.Switch.Zone != "z1" {
		t.Errorf("Ensure after Forget = %+v, want the new VPC %s with a z1 switch", n1, n.VPC.ID)
	}
}

func TestEnsureOwnersNeverShare(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := network.NewProvisioner(c, fastOptions)
	a, err := p.Ensure(context.Background(), testScope("alice"), "z1")
	must(t, err)
	b, err := p.Ensure(context.Background(), testScope("bob"), "z1")
	must(t, err)
	if a.VPC.ID == b.VPC.ID || a.SecurityGroup.ID == b.SecurityGroup.ID || a.Switch.ID == b.Switch.ID {
		t.Errorf("alice %+v and bob %+v share a resource", a, b)
	}
}

func TestEnsureErrors(t *testing.T) {
	t.Parallel()
	denied := sim.Fault{Code: string(multicloud.CodePermissionDenied), Message: "ram denies the call"}
	quota := sim.Fault{Class: sim.ClassQuotaExceeded, Message: "vpc quota reached"}
	tests := []struct {
		name   string
		action string
		fault  sim.Fault
		code   multicloud.Code
		is     error
	}{
		{"find vpc denied", "FindVPC", denied, multicloud.CodeNetwork, multicloud.ErrPermissionDenied},
		{"create vpc denied", "CreateVPC", denied, multicloud.CodeNetwork, multicloud.ErrPermissionDenied},
		{"vpc quota", "CreateVPC", quota, multicloud.CodeQuotaExceeded, multicloud.ErrQuotaExceeded},
		{"get vpc denied", "GetVPC", denied, multicloud.CodeNetwork, multicloud.ErrPermissionDenied},
		{"switch denied", "CreateSwitch", denied, multicloud.CodeNetwork, multicloud.ErrPermissionDenied},
		{"group denied", "CreateSecurityGroup", denied, multicloud.CodeNetwork, multicloud.ErrPermissionDenied},
		// On a VPC that already exists (made by another process), the switch
		// and the group are looked up first.
		{"list switches denied", "ListSwitches", denied, multicloud.CodeNetwork, multicloud.ErrPermissionDenied},
		{"find group denied", "FindSecurityGroup", denied, multicloud.CodeNetwork, multicloud.ErrPermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := pendingCloud(t, 1) // a new VPC is polled once
			if tt.action == "ListSwitches" || tt.action == "FindSecurityGroup" {
				_, err := network.NewProvisioner(c, fastOptions).Ensure(context.Background(), testScope("u1"), "z0")
				must(t, err)
			}
			f := tt.fault
			f.Action = tt.action
			c.InjectFault(f)
			p := network.NewProvisioner(c, fastOptions)
			_, err := p.Ensure(context.Background(), testScope("u1"), "z1")
			if got := multicloud.CodeOf(err); got != tt.code {
				t.Fatalf("Ensure error %v has code %s, want %s", err, got, tt.code)
			}
			// The cloud's own error is kept: the call it failed and its message.
			var cause *multicloud.Error
			if !errors.Is(err, tt.is) || !errors.As(err, &cause) || !strings.Contains(err.Error(), tt.fault.Message) {
				t.Errorf("Ensure error %v does not reach the primitive's error", err)
			}
			var e *multicloud.Error
			if !errors.As(err, &e) || e.Provider != fake.DefaultCode || e.Region != testRegion {
				t.Errorf("Ensure error %#v, want an *Error for %s/%s", err, fake.DefaultCode, testRegion)
			}
			// A failure is not cached: the next Ensure tries again.
			c.ClearFaults()
			_, err = p.Ensure(context.Background(), testScope("u1"), "z1")
			must(t, err)
		})
	}
}

func TestEnsureRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.InjectFault(sim.Fault{Action: "CreateSwitch", Class: sim.ClassIncorrectState, Message: "vpc busy", Count: 2})
	c.InjectFault(sim.Fault{Action: "FindVPC", Class: sim.ClassThrottled, Message: "slow down", Count: 1})
	p := network.NewProvisioner(c, fastOptions)
	// Throttling is the Client's to retry: it surfaces at once, with its code.
	if _, err := p.Ensure(context.Background(), testScope("u1"), "z1"); multicloud.CodeOf(err) != multicloud.CodeThrottled || c.CallCount("FindVPC") != 1 {
		t.Fatalf("throttled Ensure: got %v after %d FindVPC calls, want THROTTLED after 1", err, c.CallCount("FindVPC"))
	}
	_, err := p.Ensure(context.Background(), testScope("u1"), "z1")
	must(t, err)
	if got := c.CallCount("CreateSwitch"); got != 3 {
		t.Errorf("CreateSwitch calls = %d, want 3", got)
	}
}

func TestEnsureWaitTimeout(t *testing.T) {
	t.Parallel()
	c := pendingCloud(t, -1)
	p := network.NewProvisioner(c, func(o *network.Options) {
		o.PollInterval = time.Millisecond
		o.WaitTimeout = 20 * time.Millisecond
	})
	_, err := p.Ensure(context.Background(), testScope("u1"), "z1")
	if multicloud.CodeOf(err) != multicloud.CodeNetwork || !strings.Contains(err.Error(), "gave up after 20ms") {
		t.Errorf("Ensure on a VPC that never turns available = %v, want a network error saying it gave up", err)
	}
}

func TestEnsureCanceled(t *testing.T) {
	t.Parallel()
	t.Run("before", func(t *testing.T) {
		t.Parallel()
		c := newCloud(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := network.NewProvisioner(c, fastOptions).Ensure(ctx, testScope("u1"), "z1")
		if !errors.Is(err, context.Canceled) || !errors.Is(err, multicloud.ErrCanceled) {
			t.Errorf("Ensure = %v, want context.Canceled", err)
		}
		if n := c.CallCount(""); n != 0 {
			t.Errorf("cancelled Ensure made %d calls, want 0", n)
		}
	})
	t.Run("while waiting for the vpc", func(t *testing.T) {
		t.Parallel()
		c := pendingCloud(t, -1)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := network.NewProvisioner(c, fastOptions).Ensure(ctx, testScope("u1"), "z1")
		if !errors.Is(err, context.DeadlineExceeded) || multicloud.CodeOf(err) != multicloud.CodeCanceled {
			t.Errorf("Ensure = %v, want context.DeadlineExceeded", err)
		}
	})
}

// TestEnsureStarterLeaves: a caller waiting on a shared Ensure whose
// starter cancelled runs the flow itself and succeeds.
func TestEnsureStarterLeaves(t *testing.T) {
	t.Parallel()
	c := newCloud(t, func(o *fake.Options) { o.TransitionDelay = 15 * time.Millisecond })
	c.SetLatency("", 10*time.Millisecond)
	p := network.NewProvisioner(c, fastOptions)
	scope := testScope("u1")

	ctx, cancel := context.WithCancel(context.Background())
	starter := make(chan error, 1)
	go func() {
		_, err := p.Ensure(ctx, scope, "z1")
		starter <- err
	}()
	time.Sleep(3 * time.Millisecond) // the starter is in FindVPC
	waiter := make(chan error, 1)
	go func() {
		_, err := p.Ensure(context.Background(), scope, "z1")
		waiter <- err
	}()
	time.Sleep(3 * time.Millisecond)
	cancel()
	if err := <-starter; !errors.Is(err, context.Canceled) {
		t.Errorf("starter: %v, want context.Canceled", err)
	}
	if err := <-waiter; err != nil {
		t.Errorf("waiter: %v, want success", err)
	}
}

func TestEnsureConcurrentOwners(t *testing.T) {
	t.Parallel()
	c := newCloud(t, func(o *fake.Options) { o.TransitionDelay = time.Millisecond })
	c.SetLatency("", time.Millisecond)
	p := network.NewProvisioner(c, fastOptions)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			scope := testScope(string(rune('a' + i%10)))
			n, err := p.Ensure(context.Background(), scope, "z1")
			if err != nil {
				t.Error(err)
				return
			}
			if owner := vpcOwner(t, c, n.VPC.ID); owner != scope.Owner {
				t.Errorf("owner %s got the VPC of %s", scope.Owner, owner)
			}
		})
	}
	wg.Wait()
	want := map[string]int{"CreateVPC": 10, "CreateSwitch": 10, "CreateSecurityGroup": 10, "FindVPC": 10}
	for k, w := range want {
		if got := c.CallCount(k); got != w {
			t.Errorf("%s calls = %d, want %d", k, got, w)
		}
	}
}

// TestEnsureStaleSwitchListFallsBack covers the one risk of planning a
// switch without listing: another process added a switch to the VPC this
// Provisioner created. The create then fails, and the flow lists the
// VPC's switches and plans again.
func TestEnsureStaleSwitchListFallsBack(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	tiny := func(o *network.Options) { fastOptions(o); o.VPCPrefixLen, o.SwitchPrefixLen = 16, 17 } // two blocks per VPC
	scope := testScope("u1")
	p1 := network.NewProvisioner(c, tiny)
	a, err := p1.Ensure(context.Background(), scope, "z1")
	must(t, err)
	b, err := network.NewProvisioner(c, tiny).Ensure(context.Background(), scope, "z2") // the other process
	must(t, err)
	if a.VPC.ID != b.VPC.ID || a.Switch.CIDR == b.Switch.CIDR {
		t.Fatalf("setup: got %+v and %+v, want one VPC with two blocks", a, b)
	}
	lists := c.CallCount("ListSwitches")
	_, err = p1.Ensure(context.Background(), scope, "z3")
	if !errors.Is(err, multicloud.ErrQuotaExceeded) {
		t.Errorf("Ensure in a full VPC = %v, want ErrQuotaExceeded after listing the switches", err)
	}
	if got := c.CallCount("ListSwitches"); got != lists+1 {
		t.Errorf("ListSwitches called %d more times, want 1 (the fallback)", got-lists)
	}
}
