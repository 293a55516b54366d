package sim_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newCloud(t *testing.T, opts ...func(*sim.Options)) (*sim.Cloud, *sim.ManualClock) {
	t.Helper()
	clk := sim.NewManualClock(t0)
	c := sim.New(append([]func(*sim.Options){func(o *sim.Options) { o.Clock = clk }}, opts...)...)
	return c, clk
}

// network builds a VPC, a subnet in the first zone and a group.
func network(t *testing.T, c *sim.Cloud, clk *sim.ManualClock) (sim.VPC, sim.Subnet, sim.SecurityGroup) {
	t.Helper()
	v, err := c.CreateVPC(sim.VPCSpec{Region: "cn-hangzhou", CIDR: netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(c.TransitionDelay())
	s, err := c.CreateSubnet(sim.SubnetSpec{Region: "cn-hangzhou", VPCID: v.ID, Zone: "cn-hangzhou-h", CIDR: netip.MustParsePrefix("10.0.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateSecurityGroup(sim.SecurityGroupSpec{Region: "cn-hangzhou", VPCID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(c.TransitionDelay())
	return v, s, g
}

func TestInstanceLifecycle(t *testing.T) {
	c, clk := newCloud(t, func(o *sim.Options) { o.TransitionDelay = 10 * time.Second; o.DeletedRetention = time.Minute })
	_, s, g := network(t, c, clk)
	ins, err := c.CreateInstances(sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t1", VCPU: 2,
		SubnetID: s.ID, SecurityGroupIDs: []string{g.ID}})
	if err != nil {
		t.Fatal(err)
	}
	id := ins[0].ID
	if got, want := ins[0].PrivateIP.String(), "10.0.1.3"; got != want {
		t.Errorf("private IP %s, want %s", got, want)
	}
	state := func() sim.InstanceState {
		t.Helper()
		in, err := c.Instance("cn-hangzhou", id)
		if err != nil {
			t.Fatal(err)
		}
		return in.State
	}
	steps := []struct {
		advance time.Duration
		op      func() error
		want    sim.InstanceState
	}{
		{0, nil, sim.StatePending},
		{10 * time.Second, nil, sim.StateStarting},
		{10 * time.Second, nil, sim.StateRunning},
		{0, func() error { _, err := c.StopInstance("cn-hangzhou", id); return err }, sim.StateStopping},
		{10 * time.Second, nil, sim.StateStopped},
		{0, func() error { _, err := c.StartInstance("cn-hangzhou", id); return err }, sim.StateStarting},
		{10 * time.Second, nil, sim.StateRunning},
		{0, func() error { _, err := c.RebootInstance("cn-hangzhou", id); return err }, sim.StateStarting},
		{10 * time.Second, nil, sim.StateRunning},
		{0, func() error {
			_, err := c.DeleteInstance("cn-hangzhou", id, sim.DeleteOptions{Force: true})
			return err
		}, sim.StateDeleting},
		{10 * time.Second, nil, sim.StateDeleted},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if st.op != nil {
			if err := st.op(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		if got := state(); got != st.want {
			t.Fatalf("step %d: state %s, want %s", i, got, st.want)
		}
	}
	if got := c.Usage("cn-hangzhou", sim.QuotaInstances); got != 0 {
		t.Errorf("deleted instance still counts: usage %d", got)
	}
	clk.Advance(time.Minute)
	if _, err := c.Instance("cn-hangzhou", id); !errors.Is(err, sim.ErrNotFound) {
		t.Errorf("after the retention: %v, want not found", err)
	}
	if err := c.DeleteSubnet("cn-hangzhou", s.ID); err != nil {
		t.Errorf("subnet of a deleted instance: %v", err)
	}
}

func TestInstanceIncorrectStates(t *testing.T) {
	c, _ := newCloud(t, func(o *sim.Options) { o.TransitionDelay = time.Second })
	ins, err := c.CreateInstances(sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t1", DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	id := ins[0].ID
	_, err = c.StartInstance("cn-hangzhou", id)
	if !errors.Is(err, sim.ErrIncorrectState) {
		t.Errorf("start pending: %v", err)
	}
	_, err = c.DeleteInstance("cn-hangzhou", id, sim.DeleteOptions{Force: true})
	if !errors.Is(err, &sim.Error{Class: sim.ClassIncorrectState, Reason: "DeletionProtection"}) {
		t.Errorf("delete protected: %v", err)
	}
	_, err = c.DeleteInstance("cn-hangzhou", id, sim.DeleteOptions{Force: true, IgnoreProtection: true})
	if !errors.Is(err, &sim.Error{Class: sim.ClassIncorrectState, Reason: "Initializing"}) {
		t.Errorf("delete pending: %v", err)
	}
	_, err = c.StopInstance("cn-shanghai", id)
	if !errors.Is(err, &sim.Error{Class: sim.ClassNotFound, Resource: sim.KindInstance, ID: id}) {
		t.Errorf("other region: %v", err)
	}
	if got := sim.ClassOf(err); got != sim.ClassNotFound {
		t.Errorf("ClassOf = %q", got)
	}
}

func TestStockCategoriesAndCounts(t *testing.T) {
	c, _ := newCloud(t)
	const r, z, typ = "cn-hangzhou", "cn-hangzhou-h", "t1"
	if got := c.Available(r, z, typ, sim.OnDemand); got != sim.Unlimited {
		t.Fatalf("default stock %d, want unlimited", got)
	}
	c.SetStock(r, z, typ, 2)
	if _, err := c.CreateInstances(sim.InstanceSpec{Region: r, Zone: z, Type: typ, Count: 3}); !errors.Is(err, sim.ErrNoStock) {
		t.Fatalf("3 of 2: %v", err)
	}
	if _, err := c.CreateInstances(sim.InstanceSpec{Region: r, Zone: z, Type: typ, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if got := c.StockCategory(r, z, typ, ""); got != sim.WithoutStock {
		t.Errorf("category after selling out: %s", got)
	}
	c.SetClosed(r, z, typ, true)
	if got := c.StockCategory(r, z, typ, sim.Spot); got != sim.ClosedWithoutStock {
		t.Errorf("closed: %s", got)
	}
	c.SetStock(r, z, typ, 5)
	c.SetStockCategory(r, z, typ, sim.Prepaid, sim.WithoutStock)
	got := []sim.StockCategory{c.StockCategory(r, z, typ, sim.OnDemand), c.StockCategory(r, z, typ, sim.Prepaid)}
	if diff := cmp.Diff([]sim.StockCategory{sim.ClosedWithStock, sim.WithoutStock}, got); diff != "" {
		t.Errorf("per mode (-want +got):\n%s", diff)
	}
	if _, err := c.CreateInstances(sim.InstanceSpec{Region: r, Zone: z, Type: typ, ChargeMode: sim.Prepaid}); !errors.Is(err, sim.ErrNoStock) {
		t.Errorf("prepaid without stock: %v", err)
	}
	ins, err := c.CreateInstances(sim.InstanceSpec{Region: r, Zone: z, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Stock(r, z, typ); got != 4 {
		t.Errorf("stock after one: %d, want 4", got)
	}
	if err := c.RemoveInstance(ins[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := c.Stock(r, z, typ); got != 5 {
		t.Errorf("stock after delete: %d, want 5", got)
	}
	// A category with stock over a count of 0 is a wrong answer.
	c.SetStock(r, z, typ, 0)
	c.SetStockCategory(r, z, typ, sim.OnDemand, sim.WithStock)
	if _, err := c.CreateInstances(sim.InstanceSpec{Region: r, Zone: z, Type: typ}); !errors.Is(err, sim.ErrNoStock) {
		t.Errorf("wrong category: %v", err)
	}
}

func TestSoldOutEpisodesAndWrongStockAreSeeded(t *testing.T) {
	sample := func(seed uint64) (episodes, wrong int) {
		c, clk := newCloud(t, func(o *sim.Options) { o.Seed = seed })
		c.SetSoldOutEpisodes(0.3, time.Minute)
		for i := range 200 {
			typ := "t" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			if c.Stock("cn-hangzhou", "cn-hangzhou-h", typ) == 0 {
				episodes++
			}
		}
		clk.Advance(time.Minute)
		c.SetSoldOutEpisodes(0, 0)
		c.SetWrongStockRate(0.5)
		for i := range 200 {
			typ := "t" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			c.SetStock("cn-hangzhou", "cn-hangzhou-h", typ, 0)
			if c.StockCategory("cn-hangzhou", "cn-hangzhou-h", typ, "") == sim.WithStock {
				wrong++
			}
		}
		return episodes, wrong
	}
	e1, w1 := sample(7)
	e2, w2 := sample(7)
	if e1 != e2 || w1 != w2 {
		t.Errorf("same seed differs: %d/%d vs %d/%d", e1, w1, e2, w2)
	}
	if e1 < 30 || e1 > 90 {
		t.Errorf("%d of 200 cells in an episode, want about 60", e1)
	}
	if w1 < 70 || w1 > 130 {
		t.Errorf("%d of 200 sold-out cells answered in stock, want about 100", w1)
	}
}

func TestQuotasPerRegion(t *testing.T) {
	c, _ := newCloud(t)
	c.SetQuota("cn-hangzhou", sim.QuotaVPCs, 1)
	c.SetQuota("", sim.QuotaAddresses, 1)
	c.SetQuota("cn-hangzhou", sim.QuotaVCPUs, 4)
	p := netip.MustParsePrefix("10.0.0.0/16")
	if _, err := c.CreateVPC(sim.VPCSpec{Region: "cn-hangzhou", CIDR: p}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVPC(sim.VPCSpec{Region: "cn-hangzhou", CIDR: p}); !errors.Is(err, &sim.Error{Class: sim.ClassQuotaExceeded, Resource: sim.KindVPC}) {
		t.Errorf("second VPC: %v", err)
	}
	if _, err := c.CreateVPC(sim.VPCSpec{Region: "cn-shanghai", CIDR: p}); err != nil {
		t.Errorf("VPC quota is per region: %v", err)
	}
	for _, r := range []string{"cn-hangzhou", "cn-beijing"} {
		if _, err := c.AllocateAddress(sim.AddressSpec{Region: r}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AllocateAddress(sim.AddressSpec{Region: r}); !errors.Is(err, sim.ErrQuotaExceeded) {
			t.Errorf("%s: second address: %v", r, err)
		}
	}
	if _, err := c.CreateInstances(sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t", VCPU: 2, Count: 3}); !errors.Is(err, &sim.Error{Class: sim.ClassQuotaExceeded, Reason: "vcpus"}) {
		t.Errorf("6 vCPUs over 4: %v", err)
	}
	if got, want := c.Quota("cn-hangzhou", sim.QuotaInstances), sim.Unlimited; got != want {
		t.Errorf("instance quota %d, want %d", got, want)
	}
}

func TestTokenLedger(t *testing.T) {
	c, _ := newCloud(t)
	key := sim.TokenKey{Action: "RunInstances", Region: "cn-hangzhou", Token: "tok"}
	fpA := sim.Fingerprint(map[string][]string{"Type": {"a"}, "ClientToken": {"tok"}}, "ClientToken")
	fpA2 := sim.Fingerprint(map[string][]string{"Type": {"a"}, "ClientToken": {"other"}}, "ClientToken")
	fpB := sim.Fingerprint(map[string][]string{"Type": {"b"}})
	if fpA != fpA2 {
		t.Fatal("ignored parameter changed the fingerprint")
	}
	runs := 0
	create := func() (any, error) {
		runs++
		ins, err := c.CreateInstances(sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "a"})
		if err != nil {
			return nil, err
		}
		return ins[0].ID, nil
	}
	var wg sync.WaitGroup
	ids := make([]any, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _, err := c.Idempotent(key, fpA, create)
			if err != nil {
				t.Error(err)
			}
			ids[i] = r
		}()
	}
	wg.Wait()
	if runs != 1 {
		t.Errorf("ran %d times, want 1", runs)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("replay returned %v, want %v", id, ids[0])
		}
	}
	if _, _, err := c.Idempotent(key, fpB, create); !errors.Is(err, sim.ErrIdempotentMismatch) {
		t.Errorf("other parameters: %v", err)
	}
	if r, ok, err := c.ClaimToken(key, fpA); err != nil || !ok || r != ids[0] {
		t.Errorf("ClaimToken = %v, %v, %v", r, ok, err)
	}
	// A failed call leaves the token free.
	k2 := sim.TokenKey{Action: "RunInstances", Region: "cn-hangzhou", Token: "t2"}
	if _, _, err := c.Idempotent(k2, fpA, func() (any, error) { return nil, sim.ErrNoStock }); err == nil {
		t.Fatal("want the error")
	}
	if _, ok, _ := c.ClaimToken(k2, fpB); ok {
		t.Error("failed call stored its token")
	}
}

func TestFaultsVocabulary(t *testing.T) {
	c, _ := newCloud(t, func(o *sim.Options) { o.Seed = 3 })
	ctx := context.Background()
	c.InjectFault(sim.Fault{Action: "List", AfterCalls: 2, Count: 1, Class: sim.ClassThrottled, Code: "Throttling.User", Status: 400})
	c.InjectFault(sim.Fault{Action: "Get", Region: "cn-beijing", Kind: sim.FaultReset})
	c.InjectFault(sim.Fault{Action: "Put", Kind: sim.FaultLost, Count: 1})
	var got []string
	for range 4 {
		f, err := c.Enter(ctx, "List", "cn-hangzhou")
		switch {
		case err != nil:
			t.Fatal(err)
		case f == nil:
			got = append(got, "ok")
		default:
			e := f.Err()
			got = append(got, string(e.Class)+"/"+e.Code)
		}
	}
	if diff := cmp.Diff([]string{"ok", "ok", "Throttled/Throttling.User", "ok"}, got); diff != "" {
		t.Errorf("AfterCalls and Count (-want +got):\n%s", diff)
	}
	if f, _ := c.Enter(ctx, "Get", "cn-hangzhou"); f != nil {
		t.Errorf("fault of another region fired: %+v", f)
	}
	if f, _ := c.Enter(ctx, "Get", "cn-beijing"); f == nil || f.Kind != sim.FaultReset {
		t.Errorf("reset: %+v", f)
	}
	if f := c.DrawFault("Put", "", sim.FaultLost, sim.FaultSlow, sim.FaultGarbled); f == nil || f.Kind != sim.FaultLost {
		t.Errorf("lost: %+v", f)
	}
	if f := c.DrawFault("Put", "", sim.FaultLost); f != nil {
		t.Errorf("count of 1 fired twice")
	}
	c.ClearFaults()
	if f, _ := c.Enter(ctx, "Get", "cn-beijing"); f != nil {
		t.Errorf("cleared fault fired")
	}
}

func TestFaultRateIsSeeded(t *testing.T) {
	draw := func() []bool {
		c, _ := newCloud(t, func(o *sim.Options) { o.Seed = 11 })
		c.InjectFault(sim.Fault{Rate: 0.5, Class: sim.ClassUnavailable})
		var out []bool
		for range 64 {
			f, _ := c.Enter(context.Background(), "X", "")
			out = append(out, f != nil)
		}
		return out
	}
	a, b := draw(), draw()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, other draws:\n%s", diff)
	}
	n := 0
	for _, v := range a {
		if v {
			n++
		}
	}
	if n < 16 || n > 48 {
		t.Errorf("%d of 64 fired at rate 0.5", n)
	}
}

func TestLatencyEndsWithContext(t *testing.T) {
	c, _ := newCloud(t)
	c.SetLatency("", time.Hour)
	c.SetLatency("Fast", time.Nanosecond)
	if got := c.Latency("Fast"); got != time.Nanosecond {
		t.Errorf("own latency %v replaces the default", got)
	}
	if _, err := c.Enter(context.Background(), "Fast", ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Enter(ctx, "Slow", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := c.Enter(ctx, "Slow", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("latency past the deadline: %v", err)
	}
}

func TestCallLog(t *testing.T) {
	c, _ := newCloud(t, func(o *sim.Options) { o.MaxCalls = 2 })
	boom := errors.New("boom")
	c.Record(sim.Call{Action: "A", Region: "r", Target: "i-1"})
	c.Record(sim.Call{Action: "B", Err: boom})
	c.Record(sim.Call{Action: "A"})
	calls := c.Calls()
	if len(calls) != 2 || calls[0].Action != "B" || calls[0].Err != boom || !calls[1].At.Equal(t0) {
		t.Errorf("log %+v", calls)
	}
	if got := []int{c.CallCount("A"), c.CallCount("B"), c.CallCount("")}; !cmp.Equal(got, []int{2, 1, 3}) {
		t.Errorf("counts %v", got)
	}
	c.ResetCalls()
	if c.CallCount("") != 0 || len(c.Calls()) != 0 || len(c.CallCounts()) != 0 {
		t.Error("reset left calls")
	}
}

func TestEvents(t *testing.T) {
	c, clk := newCloud(t)
	c.SetEventDelay(time.Minute)
	c.RecordEvent(sim.Event{ID: "e1", Name: "RunInstances", Region: "cn-hangzhou", Resources: []string{"i-1"}})
	ev := c.Events()
	if len(ev) != 1 || ev[0].Delivered(clk.Now(), c.EventDelay()) {
		t.Fatalf("events %+v delivered before the delay", ev)
	}
	clk.Advance(time.Minute)
	if !c.Events()[0].Delivered(clk.Now(), c.EventDelay()) || c.EventCount() != 1 {
		t.Error("event not delivered after the delay")
	}

	b, _ := newCloud(t, func(o *sim.Options) { o.MaxEvents = 2 })
	for _, name := range []string{"a", "b", "c"} {
		b.RecordEvent(sim.Event{Name: name})
	}
	var got []string
	for _, e := range b.Events() {
		got = append(got, fmt.Sprint(e.Name, e.Seq))
	}
	if diff := cmp.Diff([]string{"b2", "c3"}, got); diff != "" {
		t.Errorf("bounded events (-want +got):\n%s", diff)
	}
}

func TestNetworkDependencies(t *testing.T) {
	c, clk := newCloud(t)
	v, s, g := network(t, c, clk)
	if _, err := c.CreateSubnet(sim.SubnetSpec{Region: "cn-hangzhou", VPCID: v.ID, Zone: "cn-hangzhou-i", CIDR: netip.MustParsePrefix("10.0.1.128/25")}); !errors.Is(err, &sim.Error{Class: sim.ClassConflict, Reason: "CIDROverlap"}) {
		t.Errorf("overlap: %v", err)
	}
	if _, err := c.CreateSubnet(sim.SubnetSpec{Region: "cn-hangzhou", VPCID: v.ID, Zone: "cn-hangzhou-i", CIDR: netip.MustParsePrefix("192.168.0.0/24")}); !errors.Is(err, sim.ErrInvalidParameter) {
		t.Errorf("outside the VPC: %v", err)
	}
	ins, err := c.CreateInstances(sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t", SubnetID: s.ID, SecurityGroupIDs: []string{g.ID}})
	if err != nil {
		t.Fatal(err)
	}
	igw, err := c.CreateExtra(sim.Extra{Kind: "igw", Region: "cn-hangzhou", VPCID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"vpc", c.DeleteVPC("cn-hangzhou", v.ID)},
		{"subnet", c.DeleteSubnet("cn-hangzhou", s.ID)},
		{"group", c.DeleteSecurityGroup("cn-hangzhou", g.ID)},
	} {
		if !errors.Is(tc.err, sim.ErrDependencyViolation) {
			t.Errorf("%s: %v, want a dependency violation", tc.name, tc.err)
		}
	}
	if _, err := c.DeleteInstance("cn-hangzhou", ins[0].ID, sim.DeleteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return c.DeleteSubnet("cn-hangzhou", s.ID) },
		func() error { return c.DeleteSecurityGroup("cn-hangzhou", g.ID) },
		func() error { return c.DeleteExtra("cn-hangzhou", "igw", igw.ID) },
		func() error { return c.DeleteVPC("cn-hangzhou", v.ID) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRules(t *testing.T) {
	c, clk := newCloud(t)
	_, _, g := network(t, c, clk)
	r22 := sim.Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, SourceCIDR: "0.0.0.0/0"}
	added, err := c.AuthorizeIngress("cn-hangzhou", g.ID, r22, r22, sim.Rule{Protocol: "tcp", FromPort: 80, ToPort: 80, SourceCIDR: "0.0.0.0/0", Policy: "accept"})
	if err != nil || len(added) != 2 {
		t.Fatalf("added %d, %v; want 2", len(added), err)
	}
	if again, _ := c.AuthorizeIngress("cn-hangzhou", g.ID, sim.Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, SourceCIDR: "0.0.0.0/0", Policy: "accept", Description: "x"}); len(again) != 0 {
		t.Errorf("a duplicate was added: %+v", again)
	}
	removed, _ := c.RevokeIngress("cn-hangzhou", g.ID, r22)
	got, _ := c.GetSecurityGroup("cn-hangzhou", g.ID)
	if len(removed) != 1 || len(got.Rules) != 1 || got.Rules[0].FromPort != 80 {
		t.Errorf("after revoke: removed %+v, rules %+v", removed, got.Rules)
	}
	all := sim.Rule{Protocol: "all", FromPort: -1, ToPort: -1, SourceCIDR: "0.0.0.0/0"}
	if added, err := c.AuthorizeEgress("cn-hangzhou", g.ID, all); err != nil || len(added) != 1 {
		t.Fatalf("egress: %+v, %v", added, err)
	}
	got, _ = c.GetSecurityGroup("cn-hangzhou", g.ID)
	if len(got.Egress) != 1 || len(got.Rules) != 1 {
		t.Errorf("egress %+v and ingress %+v, want one each", got.Egress, got.Rules)
	}
	if removed, _ := c.RevokeEgress("cn-hangzhou", g.ID, all); len(removed) != 1 {
		t.Errorf("revoke egress removed %+v", removed)
	}
}

func TestAddresses(t *testing.T) {
	c, clk := newCloud(t, func(o *sim.Options) { o.TransitionDelay = time.Second })
	a, err := c.AllocateAddress(sim.AddressSpec{Region: "cn-hangzhou", Bandwidth: 5})
	if err != nil {
		t.Fatal(err)
	}
	ins, _ := c.CreateInstances(sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t"})
	clk.Advance(2 * time.Second)
	if a, err = c.AssociateAddress("cn-hangzhou", a.ID, ins[0].ID); err != nil || a.State != sim.AddressAssociating {
		t.Fatalf("associate: %+v, %v", a, err)
	}
	if err := c.ReleaseAddress("cn-hangzhou", a.ID); !errors.Is(err, sim.ErrIncorrectState) {
		t.Errorf("release a bound address: %v", err)
	}
	clk.Advance(time.Second)
	in, _ := c.Instance("cn-hangzhou", ins[0].ID)
	if in.AddressID != a.ID {
		t.Errorf("instance's address %q", in.AddressID)
	}
	if err := c.RemoveInstance(in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssociateAddress("cn-hangzhou", a.ID, in.ID); !errors.Is(err, sim.ErrIncorrectState) {
		t.Errorf("bind to a deleting instance: %v", err)
	}
	if a, _ = c.GetAddress("cn-hangzhou", a.ID); a.State != sim.AddressAvailable || a.InstanceID != "" {
		t.Errorf("address of a removed instance: %+v", a)
	}
	if a, _ = c.UpdateAddress("cn-hangzhou", a.ID, func(a *sim.Address) error { a.Bandwidth = 10; return nil }); a.Bandwidth != 10 {
		t.Errorf("bandwidth %d", a.Bandwidth)
	}
	if err := c.ReleaseAddress("cn-hangzhou", a.ID); err != nil {
		t.Error(err)
	}
}

func TestInstancePaging(t *testing.T) {
	c, clk := newCloud(t, func(o *sim.Options) { o.DeletedRetention = time.Minute })
	ins, err := c.CreateInstances(sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t", VCPU: 2, Count: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteInstance("cn-hangzhou", ins[1].ID, sim.DeleteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for {
		page, next := c.InstancePage("cn-hangzhou", after, 2, func(in *sim.Instance) bool { return in.State != sim.StateDeleted })
		for _, in := range page {
			got = append(got, in.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	all := c.Instances("cn-hangzhou")
	var want []string
	for _, in := range all {
		if in.State != sim.StateDeleted {
			want = append(want, in.ID)
		}
	}
	if len(all) != 5 || len(want) != 4 {
		t.Fatalf("%d instances, %d live; want 5 and 4", len(all), len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	alive := func(in *sim.Instance) bool { return in.State != sim.StateDeleted }
	rng, total := c.InstanceRange("cn-hangzhou", 1, 2, alive)
	if total != 4 || len(rng) != 2 || rng[0].ID != want[1] || rng[1].ID != want[2] {
		t.Errorf("InstanceRange(1, 2) = %d of %d, want %v", len(rng), total, want[1:3])
	}
	if got := []int{c.Usage("cn-hangzhou", sim.QuotaInstances), c.Usage("cn-hangzhou", sim.QuotaVCPUs)}; !cmp.Equal(got, []int{4, 8}) {
		t.Errorf("usage %v, want [4 8]", got)
	}
	clk.Advance(time.Minute)
	if got := c.InstanceCount("cn-hangzhou"); got != 4 {
		t.Errorf("after the retention: %d instances, want 4", got)
	}
}

// BenchmarkCreateInstances creates instances one call at a time into a
// region that already holds b.N of them: a create must not scan the
// region.
func BenchmarkCreateInstances(b *testing.B) {
	c := sim.New()
	spec := sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: "t", VCPU: 4}
	for b.Loop() {
		if _, err := c.CreateInstances(spec); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSeeding(t *testing.T) {
	c, clk := newCloud(t, func(o *sim.Options) { o.TransitionDelay = time.Hour })
	v, err := c.CreateVPC(sim.VPCSpec{Region: "cn-hangzhou", CIDR: netip.MustParsePrefix("10.0.0.0/16"), Available: true})
	if err != nil || v.State != sim.NetAvailable {
		t.Fatalf("seeded VPC %+v, %v", v, err)
	}
	s, err := c.CreateSubnet(sim.SubnetSpec{Region: "cn-hangzhou", VPCID: v.ID, Zone: "cn-hangzhou-h", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Available: true})
	if err != nil || s.State != sim.NetAvailable || s.Capacity != 250 {
		t.Fatalf("seeded subnet %+v, %v", s, err)
	}
	past := clk.Now().Add(-48 * time.Hour)
	var specs []sim.InstanceSpec
	for i := range 50 {
		specs = append(specs, sim.InstanceSpec{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", Type: fmt.Sprint("t", i%3), SubnetID: s.ID,
			State: sim.StateRunning, Created: past, Disks: []sim.Disk{{ID: fmt.Sprint("d-", i), System: true}}})
	}
	ids, err := c.SeedInstances(specs)
	if err != nil || len(ids) != 50 {
		t.Fatalf("seeded %d, %v", len(ids), err)
	}
	all := c.Instances("cn-hangzhou")
	for i, in := range all {
		if in.State != sim.StateRunning || !in.Created.Equal(past) || len(in.Disks) != 1 {
			t.Fatalf("seeded instance %+v", in)
		}
		if i > 0 && all[i-1].ID >= in.ID {
			t.Fatalf("instances not sorted at %d", i)
		}
	}
	if _, err := c.SeedInstances([]sim.InstanceSpec{{Region: "cn-hangzhou", Zone: "cn-hangzhou-h", State: sim.StateDeleted}}); !errors.Is(err, sim.ErrInvalidParameter) {
		t.Errorf("seeding deleted instances: %v", err)
	}
}

// TestConcurrentLifecycles runs creates, state changes, address binds and
// deletes from many goroutines over one bounded stock and quota: every
// instance ends deleted, and stock, quota usage and addresses come back.
func TestConcurrentLifecycles(t *testing.T) {
	c, clk := newCloud(t)
	_, s, g := network(t, c, clk)
	const r, z, typ = "cn-hangzhou", "cn-hangzhou-h", "t"
	c.SetStock(r, z, typ, 20)
	c.SetQuota(r, sim.QuotaInstances, 10)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				ins, err := c.CreateInstances(sim.InstanceSpec{Region: r, Zone: z, Type: typ, VCPU: 2, SubnetID: s.ID,
					SecurityGroupIDs: []string{g.ID}, Tags: map[string]string{"w": fmt.Sprint(w, i)}})
				switch {
				case errors.Is(err, sim.ErrNoStock), errors.Is(err, sim.ErrQuotaExceeded):
					continue
				case err != nil:
					t.Error(err)
					return
				}
				mu.Lock()
				created++
				mu.Unlock()
				id := ins[0].ID
				if _, err := c.StopInstance(r, id); err != nil {
					t.Error(err)
				}
				if _, err := c.StartInstance(r, id); err != nil {
					t.Error(err)
				}
				a, err := c.AllocateAddress(sim.AddressSpec{Region: r})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := c.AssociateAddress(r, a.ID, id); err != nil {
					t.Error(err)
				}
				if _, err := c.DeleteInstance(r, id, sim.DeleteOptions{Force: true}); err != nil {
					t.Error(err)
				}
				if err := c.ReleaseAddress(r, a.ID); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if created == 0 {
		t.Fatal("no create succeeded")
	}
	got := []int{c.Usage(r, sim.QuotaInstances), c.Usage(r, sim.QuotaVCPUs), c.Usage(r, sim.QuotaAddresses), c.Stock(r, z, typ), c.InstanceCount(r)}
	if diff := cmp.Diff([]int{0, 0, 0, 20, 0}, got); diff != "" {
		t.Errorf("usage, vCPUs, addresses, stock, instances after %d lifecycles (-want +got):\n%s", created, diff)
	}
	if sn, _ := c.GetSubnet(r, s.ID); sn.Instances != 0 {
		t.Errorf("subnet still counts %d instances", sn.Instances)
	}
}
