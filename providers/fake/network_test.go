package fake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func TestPrimitives(t *testing.T) {
	clock := fake.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	p := fake.New(func(o *fake.Options) { o.Clock, o.TransitionDelay = clock, time.Second })
	ctx := context.Background()
	scope := p.Scope("cn-hangzhou", "t1", "nina")

	if _, err := p.FindVPC(ctx, scope); !errors.Is(err, multicloud.ErrNotFound) {
		t.Fatalf("FindVPC before any: got %v, want ErrNotFound", err)
	}
	vpc, err := p.CreateVPC(ctx, scope, "172.20.0.0/16", "tok-vpc")
	if err != nil {
		t.Fatalf("CreateVPC: %v", err)
	}
	if vpc.Status != network.StatusPending {
		t.Errorf("new VPC: got %s, want Pending", vpc.Status)
	}
	again, err := p.CreateVPC(ctx, scope, "172.20.0.0/16", "tok-vpc")
	if err != nil || again.ID != vpc.ID {
		t.Errorf("CreateVPC with the same token: got %s, %v; want %s", again.ID, err, vpc.ID)
	}
	if _, err := p.CreateVPC(ctx, scope, "172.21.0.0/16", "tok-vpc"); !errors.Is(err, multicloud.ErrIdempotencyMismatch) {
		t.Errorf("CreateVPC with the token and another block: got %v, want ErrIdempotencyMismatch", err)
	}
	if _, err := p.CreateSwitch(ctx, scope, vpc.ID, "cn-hangzhou-h", "172.20.1.0/24", "tok-sw"); !errors.Is(err, multicloud.ErrConflict) {
		t.Errorf("CreateSwitch while the VPC is Pending: got %v, want ErrConflict", err)
	}
	clock.Advance(time.Second)
	if got, err := p.GetVPC(ctx, scope, vpc.ID); err != nil || got.Status != network.StatusAvailable {
		t.Errorf("GetVPC after the delay: got %+v, %v; want Available", got, err)
	}
	found, err := p.FindVPC(ctx, scope)
	if err != nil || found.ID != vpc.ID {
		t.Errorf("FindVPC: got %+v, %v; want %s", found, err, vpc.ID)
	}
	if _, err := p.FindVPC(ctx, p.Scope("cn-hangzhou", "t1", "someone-else")); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("FindVPC of another owner: got %v, want ErrNotFound", err)
	}

	// CIDR checks.
	for _, tc := range []struct {
		name, zone, cidr string
		want             error
	}{
		{"ok", "cn-hangzhou-h", "172.20.1.0/24", nil},
		{"overlap", "cn-hangzhou-i", "172.20.1.128/25", multicloud.ErrInvalidArgument},
		{"outside vpc", "cn-hangzhou-i", "10.0.0.0/24", multicloud.ErrInvalidArgument},
		{"host bits", "cn-hangzhou-i", "172.20.2.1/24", multicloud.ErrInvalidArgument},
		{"too small", "cn-hangzhou-i", "172.20.2.0/30", multicloud.ErrInvalidArgument},
		{"unknown zone", "cn-hangzhou-z", "172.20.2.0/24", multicloud.ErrInvalidArgument},
	} {
		_, err := p.CreateSwitch(ctx, scope, vpc.ID, tc.zone, tc.cidr, "tok-"+tc.name)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("CreateSwitch %s (%s): got %v, want %v", tc.name, tc.cidr, err, tc.want)
		}
	}
	if _, err := p.CreateVPC(ctx, scope, "8.8.0.0/16", "tok-public"); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("CreateVPC with a public block: got %v, want ErrInvalidArgument", err)
	}
	sws, err := p.ListSwitches(ctx, scope, vpc.ID)
	if err != nil || len(sws) != 1 || sws[0].CIDR != "172.20.1.0/24" {
		t.Errorf("ListSwitches: got %+v, %v; want the one switch", sws, err)
	}

	// Rules are added once, in one call; bad rules add nothing.
	sg, err := p.CreateSecurityGroup(ctx, scope, vpc.ID, "tok-sg")
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	if err := p.AuthorizePorts(ctx, scope, sg.ID, network.TCPPorts(22, 80)); err != nil {
		t.Fatalf("AuthorizePorts: %v", err)
	}
	if err := p.AuthorizePorts(ctx, scope, sg.ID, network.TCPPorts(80, 443)); err != nil {
		t.Fatalf("AuthorizePorts again: %v", err)
	}
	if err := p.AuthorizePorts(ctx, scope, sg.ID, []network.PortRule{{Protocol: "icmp", FromPort: 1, ToPort: 1, SourceCIDR: "0.0.0.0/0"}}); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("AuthorizePorts icmp: got %v, want ErrInvalidArgument", err)
	}
	if diff := cmp.Diff(network.TCPPorts(22, 80, 443), p.SecurityGroupRules(sg.ID)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

func TestAddressStates(t *testing.T) {
	clock := fake.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	const d = time.Second
	p := fake.New(func(o *fake.Options) { o.Clock, o.TransitionDelay = clock, d })
	ctx := context.Background()
	scope := p.Scope("cn-hangzhou", "t1", "omar")

	// An instance, created by RunInstances' owner through the primitives.
	done := make(chan error, 1)
	go func() { _, err := p.Provisioner().Ensure(ctx, scope, "cn-hangzhou-h"); done <- err }()
	for ok := false; !ok; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			ok = true
		case <-time.After(time.Millisecond):
			clock.Advance(d)
		}
	}
	c := newClient(t, p, multicloud.UseWaitForRunning(false, 0))
	in := createOne(t, c, gpuRequest("omar", multicloud.WithPlacement("cn-hangzhou", "cn-hangzhou-h"), multicloud.WithOwner("t1", "omar")))

	addr, err := p.AllocateAddress(ctx, scope, network.AddressSpec{BandwidthMbps: 5, ChargeMode: "TRAFFIC"}, "tok-a")
	if err != nil || addr.Status != network.StatusAvailable {
		t.Fatalf("AllocateAddress: got %+v, %v; want Available", addr, err)
	}
	status := func() network.Status {
		a, err := p.GetAddress(ctx, scope, addr.ID)
		if err != nil {
			t.Fatalf("GetAddress: %v", err)
		}
		return a.Status
	}
	steps := []struct {
		name    string
		advance time.Duration
		act     func() error
		wantErr error
		want    network.Status
	}{
		{name: "bind while instance pending", act: func() error { return p.AssociateAddress(ctx, scope, addr.ID, in.ID) }, wantErr: multicloud.ErrConflict, want: network.StatusAvailable},
		{name: "bind", advance: d, act: func() error { return p.AssociateAddress(ctx, scope, addr.ID, in.ID) }, want: network.StatusBusy},
		{name: "release while busy", act: func() error { return p.ReleaseAddress(ctx, scope, addr.ID) }, wantErr: multicloud.ErrConflict, want: network.StatusBusy},
		{name: "bound", advance: d, want: network.StatusInUse},
		{name: "bind again is a no-op", act: func() error { return p.AssociateAddress(ctx, scope, addr.ID, in.ID) }, want: network.StatusInUse},
		{name: "release while bound", act: func() error { return p.ReleaseAddress(ctx, scope, addr.ID) }, wantErr: multicloud.ErrConflict, want: network.StatusInUse},
		{name: "unbind from another", act: func() error { return p.UnassociateAddress(ctx, scope, addr.ID, "i-other") }, wantErr: multicloud.ErrConflict, want: network.StatusInUse},
		{name: "unbind", act: func() error { return p.UnassociateAddress(ctx, scope, addr.ID, in.ID) }, want: network.StatusBusy},
		{name: "unbound", advance: d, want: network.StatusAvailable},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		var err error
		if st.act != nil {
			err = st.act()
		}
		if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: got error %v, want %v", st.name, err, st.wantErr)
		}
		if got := status(); got != st.want {
			t.Fatalf("%s: got %s, want %s", st.name, got, st.want)
		}
	}
	if err := p.ReleaseAddress(ctx, scope, addr.ID); err != nil {
		t.Fatalf("ReleaseAddress: %v", err)
	}
	if _, err := p.GetAddress(ctx, scope, addr.ID); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("GetAddress after release: got %v, want ErrNotFound", err)
	}
	p.SetQuota("cn-hangzhou", sim.QuotaAddresses, 0)
	if _, err := p.AllocateAddress(ctx, scope, network.AddressSpec{BandwidthMbps: 5, ChargeMode: "TRAFFIC"}, "tok-b"); !errors.Is(err, multicloud.ErrQuotaExceeded) {
		t.Errorf("AllocateAddress over quota: got %v, want ErrQuotaExceeded", err)
	}
}
