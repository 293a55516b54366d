package fake_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

func TestStateMachine(t *testing.T) {
	clock := fake.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	const d = time.Minute
	p := fake.New(func(o *fake.Options) { o.Clock, o.TransitionDelay = clock, d })
	c := newClient(t, p, multicloud.UseWaitForRunning(false, 0))
	ctx := testCtx(t)

	// The user's VPC is Pending until the clock moves: provision the
	// network first, advancing the clock while the provisioner polls, so
	// that the create below finds it ready.
	done := make(chan error, 1)
	go func() {
		_, err := p.Provisioner().Ensure(ctx, p.Scope("cn-hangzhou", "tenant-1", "alice"), "cn-hangzhou-h")
		done <- err
	}()
	for ensured := false; !ensured; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			ensured = true
		case <-time.After(time.Millisecond):
			clock.Advance(d)
		}
	}
	in := createOne(t, c, gpuRequest("alice", multicloud.WithPlacement("cn-hangzhou", "cn-hangzhou-h")))
	region, id := in.Region, in.ID

	status := func() multicloud.Status {
		t.Helper()
		got, err := p.Get(ctx, region, id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return got.Status
	}
	// Each step acts (or only advances the clock), then checks the state
	// and, for illegal actions, the error.
	steps := []struct {
		name    string
		advance time.Duration
		act     func() error
		want    multicloud.Status
		wantErr string // substring of a Conflict error; "" for success
	}{
		{name: "created", want: multicloud.StatusPending},
		{name: "start while pending", act: func() error { return p.Start(ctx, region, id) }, want: multicloud.StatusPending, wantErr: "is Pending, start needs Stopped"},
		{name: "stop while pending", act: func() error { return p.Stop(ctx, region, id, false) }, want: multicloud.StatusPending, wantErr: "is Pending, stop needs Running"},
		{name: "starting", advance: d, want: multicloud.StatusStarting},
		{name: "running", advance: d, want: multicloud.StatusRunning},
		{name: "start while running", act: func() error { return p.Start(ctx, region, id) }, want: multicloud.StatusRunning, wantErr: "is Running, start needs Stopped"},
		{name: "delete while running", act: func() error { return p.Delete(ctx, region, id, false) }, want: multicloud.StatusRunning, wantErr: "is Running, delete needs Stopped"},
		// A reboot passes through Starting (the simulated cloud's one
		// transition for it) back to Running.
		{name: "reboot", act: func() error { return p.Reboot(ctx, region, id, false) }, want: multicloud.StatusStarting},
		{name: "reboot while starting", act: func() error { return p.Reboot(ctx, region, id, false) }, want: multicloud.StatusStarting, wantErr: "is Starting, reboot needs Running"},
		{name: "reboot done", advance: d, want: multicloud.StatusRunning},
		{name: "stop", act: func() error { return p.Stop(ctx, region, id, false) }, want: multicloud.StatusStopping},
		{name: "stop while stopping", act: func() error { return p.Stop(ctx, region, id, false) }, want: multicloud.StatusStopping, wantErr: "is Stopping, stop needs Running"},
		{name: "stopped", advance: d, want: multicloud.StatusStopped},
		{name: "stop while stopped", act: func() error { return p.Stop(ctx, region, id, false) }, want: multicloud.StatusStopped, wantErr: "is Stopped, stop needs Running"},
		{name: "start", act: func() error { return p.Start(ctx, region, id) }, want: multicloud.StatusStarting},
		{name: "started", advance: d, want: multicloud.StatusRunning},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		var err error
		if st.act != nil {
			err = st.act()
		}
		switch {
		case st.wantErr == "" && err != nil:
			t.Fatalf("%s: got error %v, want none", st.name, err)
		case st.wantErr != "" && (!errors.Is(err, multicloud.ErrConflict) || !strings.Contains(err.Error(), st.wantErr)):
			t.Fatalf("%s: got error %v, want ErrConflict saying %q", st.name, err, st.wantErr)
		}
		if got := status(); got != st.want {
			t.Fatalf("%s: got status %s, want %s", st.name, got, st.want)
		}
	}

	// Force deletes a running instance; it is then gone for every call.
	if err := p.Delete(ctx, region, id, true); err != nil {
		t.Fatalf("forced Delete of a running instance: %v", err)
	}
	for op, err := range map[string]error{
		"Get":    func() error { _, err := p.Get(ctx, region, id); return err }(),
		"Start":  p.Start(ctx, region, id),
		"Stop":   p.Stop(ctx, region, id, false),
		"Reboot": p.Reboot(ctx, region, id, false),
		"Delete": p.Delete(ctx, region, id, true),
	} {
		if !errors.Is(err, multicloud.ErrNotFound) {
			t.Errorf("%s after delete: got %v, want ErrNotFound", op, err)
		}
	}
	if got := p.Audit().Instances; len(got) != 0 {
		t.Errorf("instances after delete: got %v, want none", got)
	}
}

func TestIdempotentCreate(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	req := gpuRequest("bob", multicloud.WithIdempotencyKey("order-1"), multicloud.WithQuantity(2), multicloud.WithPublicIP(5, multicloud.Traffic))
	first, err := c.CreateInstance(testCtx(t), req)
	if err != nil {
		t.Fatalf("first create: %v", err)
	}
	again, err := c.CreateInstance(testCtx(t), req)
	if err != nil {
		t.Fatalf("repeated create: %v", err)
	}
	idsOf := func(insts []*multicloud.Instance) (ids []string) {
		for _, in := range insts {
			ids = append(ids, in.ID+"/"+in.Network.AddressID)
		}
		return ids
	}
	if diff := cmp.Diff(idsOf(first), idsOf(again)); diff != "" {
		t.Errorf("repeated create: got other instances or addresses (-first +again):\n%s", diff)
	}
	a := p.Audit()
	if diff := cmp.Diff(map[multicloud.Status]int{multicloud.StatusRunning: 2}, a.Instances); diff != "" {
		t.Errorf("instances after two creates with one key (-want +got):\n%s", diff)
	}
	if a.Addresses["InUse"] != 2 || a.UnboundAddresses != 0 {
		t.Errorf("addresses after two creates with one key: got %v, %d unbound; want 2 InUse, 0 unbound", a.Addresses, a.UnboundAddresses)
	}

	// The same key with another request resolves to the same token but
	// another spec: the provider refuses it.
	other := gpuRequest("bob", multicloud.WithIdempotencyKey("order-1"), multicloud.WithQuantity(3), multicloud.WithPublicIP(5, multicloud.Traffic))
	insts, err := c.CreateInstance(testCtx(t), other)
	if !errors.Is(err, multicloud.ErrIdempotencyMismatch) || len(insts) != 0 {
		t.Errorf("same key, other quantity: got %d instances, %v; want none and ErrIdempotencyMismatch", len(insts), err)
	}
	if got := p.Audit().UnboundAddresses; got != 0 {
		t.Errorf("unbound addresses after a refused create: got %d, want 0", got)
	}
}

func TestPartialStock(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	plan, err := p.Resolve(testCtx(t), gpuRequest("carol"), multicloud.Placement{Provider: "fake", Region: "cn-hangzhou"})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	p.SetStock(plan.Region, plan.Zone, plan.InstanceType, 3)

	req := gpuRequest("carol", multicloud.WithQuantity(5), multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.WithIdempotencyKey("order-7"))
	insts, err := c.CreateInstance(testCtx(t), req)
	if len(insts) != 3 {
		t.Fatalf("got %d instances, want the 3 in stock", len(insts))
	}
	if !errors.Is(err, multicloud.ErrNoStock) || !strings.Contains(err.Error(), "2 of 5 instances not created") {
		t.Errorf("got error %v, want ErrNoStock saying 2 of 5 instances not created", err)
	}
	for _, in := range insts {
		if in.Status != multicloud.StatusRunning || in.PublicIP == "" {
			t.Errorf("instance %s: got status %s, public IP %q; want Running with an address", in.ID, in.Status, in.PublicIP)
		}
	}
	a := p.Audit()
	if a.Addresses["InUse"] != 3 || a.UnboundAddresses != 0 {
		t.Errorf("addresses: got %v with %d unbound, want 3 InUse and the 2 spare released", a.Addresses, a.UnboundAddresses)
	}
	if got := p.Stock(plan.Region, plan.Zone, plan.InstanceType); got != 0 {
		t.Errorf("stock left: got %d, want 0", got)
	}

	// A retry of the order returns the same three and the same shortfall,
	// and leaves no address behind.
	again, err := c.CreateInstance(testCtx(t), req)
	if !errors.Is(err, multicloud.ErrNoStock) || len(again) != 3 {
		t.Fatalf("retry: got %d instances, %v; want the 3 and ErrNoStock", len(again), err)
	}
	for i := range again {
		if again[i].ID != insts[i].ID || again[i].PublicIP != insts[i].PublicIP {
			t.Errorf("retry instance %d: got %s (%s), want %s (%s)", i, again[i].ID, again[i].PublicIP, insts[i].ID, insts[i].PublicIP)
		}
	}
	if a := p.Audit(); a.Addresses["InUse"] != 3 || a.UnboundAddresses != 0 || a.Instances[multicloud.StatusRunning] != 3 {
		t.Errorf("after retry: got %+v, want 3 instances and 3 bound addresses", a)
	}

	// Once the instances are gone, a retry of the order says so.
	for _, in := range insts {
		if err := c.Delete(testCtx(t), in.Ref(), multicloud.Force()); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if got, err := c.CreateInstance(testCtx(t), req); len(got) != 0 || err == nil {
		t.Errorf("retry after delete: got %d instances, %v; want none and an error", len(got), err)
	}
	if a := p.Audit(); len(a.Addresses) != 0 || len(a.Instances) != 0 {
		t.Errorf("after deleting everything: got %+v, want nothing left", a)
	}
}

func TestFailover(t *testing.T) {
	const typ = "ecs.gn7i-c8g1.2xlarge"
	zones := []string{"cn-hangzhou-h", "cn-hangzhou-i"}
	sched := multicloud.FailoverScheduler{Placements: []multicloud.Placement{
		{Provider: "fake", Region: "cn-hangzhou", Zone: zones[0], InstanceType: typ},
		{Provider: "fake", Region: "cn-hangzhou", Zone: zones[1], InstanceType: typ},
	}}

	t.Run("second placement", func(t *testing.T) {
		p := fake.New()
		p.SetStock("cn-hangzhou", zones[0], typ, 0)
		c := newClient(t, p, multicloud.UseScheduler(sched))
		in := createOne(t, c, gpuRequest("dave"))
		if in.Zone != zones[1] {
			t.Errorf("zone: got %s, want %s", in.Zone, zones[1])
		}
	})

	t.Run("all out of stock", func(t *testing.T) {
		p := fake.New()
		for _, z := range zones {
			p.SetStock("cn-hangzhou", z, typ, 0)
		}
		c := newClient(t, p, multicloud.UseScheduler(sched))
		insts, err := c.CreateInstance(testCtx(t), gpuRequest("dave"))
		if len(insts) != 0 || !errors.Is(err, multicloud.ErrNoStock) {
			t.Fatalf("got %d instances, %v; want none and ErrNoStock", len(insts), err)
		}
		for _, z := range zones {
			if !strings.Contains(err.Error(), "fake/cn-hangzhou/"+z+"/"+typ) {
				t.Errorf("error %q does not list the attempt in %s", err, z)
			}
		}
		if got := p.CallCount("RunInstances"); got != 0 {
			t.Errorf("RunInstances calls: got %d, want 0 (no placement had stock)", got)
		}
	})
}

func TestConcurrentCreates(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	const users, perUser = 10, 10
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		vpcs = map[string]map[string]bool{} // user -> VPC IDs
	)
	for i := range users * perUser {
		user := fmt.Sprintf("user-%d", i%users)
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts, err := c.CreateInstance(testCtx(t), gpuRequest(user, multicloud.AddPorts(22, 8888)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			for _, in := range insts {
				if vpcs[user] == nil {
					vpcs[user] = map[string]bool{}
				}
				vpcs[user][in.Network.VPCID] = true
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("creates: %v", err)
	}
	a := p.Audit()
	want := map[string]int{}
	for i := range users {
		want[fmt.Sprintf("user-%d", i)] = 1
	}
	if diff := cmp.Diff(want, a.VPCs); diff != "" {
		t.Errorf("VPCs by owner (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, a.SecurityGroups); diff != "" {
		t.Errorf("security groups by owner (-want +got):\n%s", diff)
	}
	if got := a.Instances[multicloud.StatusRunning]; got != users*perUser {
		t.Errorf("running instances: got %d, want %d", got, users*perUser)
	}
	seen := map[string]string{}
	for user, ids := range vpcs {
		if len(ids) != 1 {
			t.Errorf("%s's instances span VPCs %v, want one", user, ids)
		}
		for id := range ids {
			if other, dup := seen[id]; dup {
				t.Errorf("VPC %s holds instances of %s and %s", id, other, user)
			}
			seen[id] = user
		}
	}
}

func TestListPages(t *testing.T) {
	p := fake.New()
	c := newClient(t, p)
	if _, err := c.CreateInstance(testCtx(t), gpuRequest("erin", multicloud.WithQuantity(7))); err != nil {
		t.Fatalf("create: %v", err)
	}
	other := createOne(t, c, gpuRequest("frank"))
	if err := c.Stop(testCtx(t), other.Ref()); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	tests := []struct {
		name  string
		q     multicloud.ListQuery
		pages []int // instances per page
	}{
		{"by owner in pages of 3", multicloud.ListQuery{Tags: map[string]string{multicloud.TagOwner: "erin"}, PageSize: 3}, []int{3, 3, 1}},
		{"default page size", multicloud.ListQuery{}, []int{8}},
		{"stopped", multicloud.ListQuery{Status: multicloud.StatusStopped}, []int{1}},
		{"other tenant", multicloud.ListQuery{Tags: map[string]string{multicloud.TagTenant: "nobody"}}, []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Region = "cn-hangzhou"
			var got []int
			seen := map[string]bool{}
			for {
				page, err := p.List(testCtx(t), q)
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				got = append(got, len(page.Instances))
				for _, in := range page.Instances {
					if seen[in.ID] {
						t.Errorf("instance %s listed twice", in.ID)
					}
					seen[in.ID] = true
				}
				if page.NextToken == "" {
					break
				}
				q.PageToken = page.NextToken
			}
			if diff := cmp.Diff(tc.pages, got); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
		})
	}

	for _, q := range []multicloud.ListQuery{{Region: "mars-1"}, {Region: "cn-hangzhou", PageToken: "not-a-token"}} {
		if _, err := p.List(testCtx(t), q); !errors.Is(err, multicloud.ErrInvalidArgument) {
			t.Errorf("List(%+v): got %v, want ErrInvalidArgument", q, err)
		}
	}
}
