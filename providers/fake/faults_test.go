package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name      string
		fault     fake.Fault
		wantErr   error // nil: the create succeeds
		wantCalls map[string]int
	}{
		{
			name:      "throttled twice then retried",
			fault:     fake.Fault{Action: "Create", Class: sim.ClassThrottled, Count: 2},
			wantCalls: map[string]int{"Create": 3, "RunInstances": 1},
		},
		{
			name:      "permission denied is final",
			fault:     fake.Fault{Action: "Create", Code: string(multicloud.CodePermissionDenied)},
			wantErr:   multicloud.ErrPermissionDenied,
			wantCalls: map[string]int{"Create": 1, "RunInstances": 0},
		},
		{
			name:      "unavailable on every call exhausts the retries",
			fault:     fake.Fault{Action: "Resolve", Class: sim.ClassUnavailable},
			wantErr:   multicloud.ErrUnavailable,
			wantCalls: map[string]int{"Resolve": 4, "Create": 0},
		},
		{
			name:      "launch out of stock",
			fault:     fake.Fault{Action: "RunInstances", Class: sim.ClassNoStock, Message: "sold out"},
			wantErr:   multicloud.ErrNoStock,
			wantCalls: map[string]int{"Create": 1, "RunInstances": 1},
		},
		{
			name:      "latency alone",
			fault:     fake.Fault{Action: "Get", Latency: 5 * time.Millisecond},
			wantCalls: map[string]int{"Create": 1},
		},
		{
			name:      "any op",
			fault:     fake.Fault{Class: sim.ClassInvalidParameter, Count: 1},
			wantErr:   multicloud.ErrInvalidArgument,
			wantCalls: map[string]int{"Resolve": 1, "Create": 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fake.New()
			c := newClient(t, p)
			p.InjectFault(tc.fault)
			insts, err := c.CreateInstance(testCtx(t), gpuRequest("gina"))
			if tc.wantErr == nil && (err != nil || len(insts) != 1) {
				t.Fatalf("got %d instances, %v; want 1, nil", len(insts), err)
			}
			if tc.wantErr != nil && (!errors.Is(err, tc.wantErr) || len(insts) != 0) {
				t.Fatalf("got %d instances, %v; want none and %v", len(insts), err, tc.wantErr)
			}
			got := map[string]int{}
			for op := range tc.wantCalls {
				got[op] = p.CallCount(op)
			}
			if diff := cmp.Diff(tc.wantCalls, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultProbabilityIsSeeded(t *testing.T) {
	run := func() []bool {
		p := fake.New(func(o *fake.Options) { o.Seed = 7 })
		p.InjectFault(fake.Fault{Action: "CheckHealth", Class: sim.ClassUnavailable, Rate: 0.5})
		var out []bool
		for range 40 {
			out = append(out, p.CheckHealth(context.Background()) != nil)
		}
		return out
	}
	first, second := run(), run()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two runs with one seed differ (-first +second):\n%s", diff)
	}
	n := 0
	for _, failed := range first {
		if failed {
			n++
		}
	}
	if n == 0 || n == len(first) {
		t.Errorf("with probability 0.5, %d of %d calls failed; want some but not all", n, len(first))
	}
}

func TestCallLogAndClear(t *testing.T) {
	p := fake.New()
	ctx := context.Background()
	p.InjectFault(fake.Fault{Action: "Get", Class: sim.ClassNotFound, Message: "gone"})
	_, err := p.Get(ctx, "cn-hangzhou", "i-1")
	p.ClearFaults()
	_, err2 := p.Get(ctx, "cn-hangzhou", "i-1")
	if !strings.Contains(err.Error(), "gone") || !errors.Is(err2, multicloud.ErrNotFound) || strings.Contains(err2.Error(), "gone") {
		t.Errorf("got errors %v and %v; want the injected one, then the real not found", err, err2)
	}
	var got []string
	for _, c := range p.Calls() {
		got = append(got, c.Action+" "+c.Region+" "+c.Target+" "+string(multicloud.CodeOf(c.Err)))
	}
	want := []string{"Get cn-hangzhou i-1 NOT_FOUND", "Get cn-hangzhou i-1 NOT_FOUND"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("call log (-want +got):\n%s", diff)
	}
	p.ResetCalls()
	if n := p.CallCount(""); n != 0 {
		t.Errorf("calls after ResetCalls: got %d, want 0", n)
	}
}

func TestLatencyRespectsContext(t *testing.T) {
	p := fake.New()
	p.SetLatency("Get", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Get(ctx, "cn-hangzhou", "i-1")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, multicloud.ErrCanceled) {
		t.Errorf("got %v, want an error matching context.DeadlineExceeded and ErrCanceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Get returned after %s, want soon after the deadline", d)
	}
	p.SetLatency("Get", 0)
	if _, err := p.Get(context.Background(), "cn-hangzhou", "i-1"); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("after removing the latency: got %v, want ErrNotFound", err)
	}
}

func TestCheckHealth(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	if err := c.Registry().Check(testCtx(t), "fake"); err != nil {
		t.Errorf("Check: %v", err)
	}
	p.InjectFault(fake.Fault{Action: "CheckHealth", Code: string(multicloud.CodePermissionDenied)})
	if err := c.Registry().Check(testCtx(t), "fake"); !errors.Is(err, multicloud.ErrProviderUnavailable) {
		t.Errorf("Check with a fault: got %v, want ErrProviderUnavailable", err)
	}
}

func TestAssociateAlwaysFails(t *testing.T) {
	p := fake.New(func(o *fake.Options) {
		o.Network = append(o.Network, func(no *network.Options) { no.WaitTimeout = 50 * time.Millisecond })
	})
	p.InjectFault(fake.Fault{Action: "AssociateAddress", Class: sim.ClassUnavailable, Message: "eip service down"})
	c := newClient(t, p)
	insts, err := c.CreateInstance(testCtx(t), gpuRequest("hank", multicloud.WithQuantity(3), multicloud.WithPublicIP(5, multicloud.Traffic)))
	if err != nil || len(insts) != 3 {
		t.Fatalf("got %d instances, %v; want 3 and no error (address failures are warnings)", len(insts), err)
	}
	for _, in := range insts {
		if len(in.Warnings) == 0 || !strings.Contains(strings.Join(in.Warnings, "; "), "public address not bound") {
			t.Errorf("instance %s warnings: got %q, want one saying the address was not bound", in.ID, in.Warnings)
		}
		if in.PublicIP != "" || in.Network.AddressID != "" {
			t.Errorf("instance %s: got address %q (%s), want none", in.ID, in.PublicIP, in.Network.AddressID)
		}
	}
	a := p.Audit()
	if a.UnboundAddresses != 0 || len(a.Addresses) != 0 {
		t.Errorf("addresses: got %v, %d unbound; want every allocated address released", a.Addresses, a.UnboundAddresses)
	}
}

func TestDeleteReleasesAddress(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	in := createOne(t, c, gpuRequest("ivy", multicloud.WithPublicIP(10, multicloud.Fixed)))
	if in.PublicIP == "" || in.Network.AddressID == "" {
		t.Fatalf("created instance has no elastic address: %+v", in)
	}
	if got := p.Audit().Addresses; !cmp.Equal(got, map[network.Status]int{network.StatusInUse: 1}) {
		t.Fatalf("addresses before delete: got %v, want one InUse", got)
	}
	if err := c.Delete(testCtx(t), in.Ref(), multicloud.Force()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := p.Audit(); len(got.Addresses) != 0 || got.UnboundAddresses != 0 {
		t.Errorf("addresses after delete: got %v, want none", got.Addresses)
	}
	if got := p.CallCount("ReleaseAddress"); got != 1 {
		t.Errorf("ReleaseAddress calls: got %d, want 1", got)
	}

	// An instance's own public IP is not an elastic address: nothing to
	// release.
	own := createOne(t, c, gpuRequest("ivy", multicloud.WithPublicIP(10, multicloud.Traffic), multicloud.WithPublicIPMode(multicloud.PublicIPInstance)))
	if own.PublicIP == "" || own.Network.AddressID != "" {
		t.Errorf("instance-owned public IP: got ip %q, address %q; want an ip and no address", own.PublicIP, own.Network.AddressID)
	}
	if got := p.CallCount("AllocateAddress"); got != 1 {
		t.Errorf("AllocateAddress calls: got %d, want 1 (none for the instance's own IP)", got)
	}
}

func TestQuotas(t *testing.T) {
	t.Run("vpc", func(t *testing.T) {
		p := fake.New()
		p.SetQuota("cn-hangzhou", sim.QuotaVPCs, 1)
		c := newClient(t, p)
		createOne(t, c, gpuRequest("jack"))
		insts, err := c.CreateInstance(testCtx(t), gpuRequest("kate"))
		if !errors.Is(err, multicloud.ErrQuotaExceeded) || len(insts) != 0 {
			t.Errorf("second user's create: got %d instances, %v; want ErrQuotaExceeded", len(insts), err)
		}
		// The first user's network exists: more instances for them fit.
		createOne(t, c, gpuRequest("jack"))
	})
	t.Run("address", func(t *testing.T) {
		p := fake.New()
		p.SetQuota("cn-hangzhou", sim.QuotaAddresses, 1)
		c := newClient(t, p)
		insts, err := c.CreateInstance(testCtx(t), gpuRequest("liam", multicloud.WithQuantity(2), multicloud.WithPublicIP(5, multicloud.Traffic)))
		if err != nil || len(insts) != 2 {
			t.Fatalf("got %d instances, %v; want 2 (a missing address is a warning)", len(insts), err)
		}
		var bound, warned int
		for _, in := range insts {
			if in.PublicIP != "" {
				bound++
			}
			if strings.Contains(strings.Join(in.Warnings, ";"), "public address not allocated") {
				warned++
			}
		}
		if bound != 1 || warned != 1 {
			t.Errorf("got %d instances with an address and %d warned, want 1 and 1", bound, warned)
		}
	})
}

func TestPortsOpenedInOneCall(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	for i := range 3 {
		in := createOne(t, c, gpuRequest("mia", multicloud.AddPorts(22, 8888, 6006)))
		if got := p.CallCount("AuthorizePorts"); got != i+1 {
			t.Errorf("after create %d: AuthorizePorts calls got %d, want %d", i+1, got, i+1)
		}
		var ports []int
		for _, r := range p.SecurityGroupRules(in.Network.SecurityGroupID) {
			ports = append(ports, r.FromPort)
		}
		if diff := cmp.Diff([]int{22, 6006, 8888}, ports); diff != "" {
			t.Errorf("rules of %s (-want +got):\n%s", in.Network.SecurityGroupID, diff)
		}
	}
}
