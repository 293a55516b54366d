package aliyun_test

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
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// spec resolves req on p into what the Client would hand Create.
func spec(t testing.TB, p *aliyun.Provider, req *multicloud.CreateInstanceRequest) *multicloud.CreateSpec {
	t.Helper()
	r := req.Clone()
	r.Normalize()
	p.DefaultRequest(r)
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if fes := p.ValidateRequest(r); len(fes) > 0 {
		t.Fatalf("ValidateRequest: %v", multicloud.ValidationError(fes...))
	}
	plan, err := p.Resolve(context.Background(), r, multicloud.Placement{Provider: aliyun.ProviderCode, Region: r.Region, Zone: r.Zone})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	tags := map[string]string{multicloud.TagTenant: r.TenantID, multicloud.TagOwner: r.UserID, multicloud.TagCreatedBy: multicloud.CreatedByValue}
	for k, v := range r.Tags {
		tags[k] = v
	}
	return &multicloud.CreateSpec{Request: r, Plan: *plan, Tags: tags, Token: multicloud.Token(r.IdempotencyKey, plan.Placement)}
}

// createRunning runs Create and polls Get until every instance is Running,
// as the Client does.
func createRunning(ctx context.Context, t testing.TB, p *aliyun.Provider, s *multicloud.CreateSpec) []*multicloud.Instance {
	t.Helper()
	insts, err := p.Create(ctx, s)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for i, in := range insts {
		for {
			got, err := p.Get(ctx, s.Plan.Region, in.ID)
			if err == nil && got.Status == multicloud.StatusRunning {
				got.Warnings = in.Warnings
				insts[i] = got
				break
			}
			if err != nil && !multicloud.IsRetryable(err) {
				t.Fatalf("Get %s: %v", in.ID, err)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("instance %s not Running: %v", in.ID, ctx.Err())
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	return insts
}

// isWait reports whether a call is a wait: a poll of a pending VPC
// (DescribeVpcs by VpcId), of the instance state (DescribeInstances), or
// an association refused while the instance is not ready.
func isWait(c callRecord) bool {
	switch c.action {
	case "DescribeVpcs":
		return c.query.Get("VpcId") != ""
	case "DescribeInstances":
		return true
	case "AssociateEipAddress":
		return c.status >= 400
	}
	return false
}

// roundTrips is the number of sequential round trips among the calls that
// are not waits: the longest chain of calls each starting after the
// previous one ended (earliest end first gives the longest chain).
func roundTrips(calls []callRecord) (n int, chain []string) {
	var work []callRecord
	for _, c := range calls {
		if !isWait(c) {
			work = append(work, c)
		}
	}
	slices.SortFunc(work, func(a, b callRecord) int { return a.end.Compare(b.end) })
	var last time.Time
	for _, c := range work {
		if !c.start.Before(last) {
			n++
			chain = append(chain, c.action)
			last = c.end
		}
	}
	return n, chain
}

// pathResult is one measured create.
type pathResult struct {
	rounds int
	chain  []string
	took   time.Duration
	calls  int
}

// measure creates s, waits for Running and measures the critical path.
func measure(t testing.TB, p *aliyun.Provider, rec *recorder, s *multicloud.CreateSpec) ([]*multicloud.Instance, pathResult) {
	t.Helper()
	rec.reset()
	start := time.Now()
	insts := createRunning(testCtx(t), t, p, s)
	took := time.Since(start)
	calls := rec.calls()
	n, chain := roundTrips(calls)
	return insts, pathResult{rounds: n, chain: chain, took: took, calls: len(calls)}
}

// TestCreateCriticalPath checks the create path's depth at 20 ms per call:
// a cold create (new user, elastic IP, four ports) in at most 5 sequential
// round trips plus the VPC and instance waits, a warm one in at most 2
// plus the instance wait, each reaching Running with its address bound.
func TestCreateCriticalPath(t *testing.T) {
	srv := newServer(t, aliyuntest.WithLatency(20*time.Millisecond))
	rec := newRecorder()
	p := newProvider(t, srv, func(o *aliyun.Options) { o.Transport = rec })
	req := request("tenant-a", "user-path", multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.AddPorts(22, 80, 443, 8888))

	for _, tc := range []struct {
		name string
		max  int
	}{{"cold", 5}, {"warm", 2}} {
		r := req.Clone()
		r.IdempotencyKey = "order-" + tc.name
		insts, res := measure(t, p, rec, spec(t, p, r))
		t.Logf("%s create: %d round trips (%s), %d calls, %s", tc.name, res.rounds, strings.Join(res.chain, " > "), res.calls, res.took.Round(time.Millisecond))
		if res.rounds > tc.max {
			t.Errorf("%s create: got %d sequential round trips (%s), want at most %d", tc.name, res.rounds, strings.Join(res.chain, " > "), tc.max)
		}
		if len(insts) != 1 || insts[0].Network.AddressID == "" || insts[0].PublicIP == "" || len(insts[0].Warnings) > 0 {
			t.Errorf("%s create: got %+v, want one Running instance with a bound address and no warnings", tc.name, insts)
		}
	}
	if a := srv.Audit(); a.UnassociatedEIPs != 0 || a.EIPsByStatus["InUse"] != 2 {
		t.Errorf("audit: got %d unassociated, %v, want 0 and 2 InUse", a.UnassociatedEIPs, a.EIPsByStatus)
	}
	if n := srv.CallCount("AuthorizeSecurityGroup"); n != 2 {
		t.Errorf("AuthorizeSecurityGroup calls for two creates of four ports: got %d, want 2 (one per create)", n)
	}
}

// TestConcurrentColdCreates runs 50 cold creates for 5 users at once: each
// user gets exactly one VPC and one security group, and every instance
// its own bound address.
func TestConcurrentColdCreates(t *testing.T) {
	srv := newServer(t, aliyuntest.WithTransitionDelay(2*time.Millisecond))
	p := newProvider(t, srv)
	c := newClient(t, p)
	const users, perUser = 5, 10
	var wg sync.WaitGroup
	errs := make(chan error, users*perUser)
	for u := range users {
		for i := range perUser {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := request("tenant-c", fmt.Sprintf("user-%d", u), multicloud.WithName(fmt.Sprintf("vm-%d-%d", u, i)),
					multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.AddPorts(22, 8888))
				insts, err := c.CreateInstance(testCtx(t), req)
				switch {
				case err != nil:
					errs <- err
				// The address may still be Associating when the instance is
				// Running, and DescribeInstances shows it only once InUse:
				// check the allocation the create bound (the audit below
				// checks that every address ends InUse).
				case len(insts) != 1 || insts[0].Network.AddressID == "" || len(insts[0].Warnings) > 0:
					errs <- fmt.Errorf("user %d vm %d: got %d instances, first %+v, want one with an address and no warnings", u, i, len(insts), *insts[0])
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a := settledAudit(t, srv)
	got := []int{a.VPCs, a.SecurityGroups, a.EIPsByStatus["InUse"], a.UnassociatedEIPs, a.Instances}
	if diff := cmp.Diff([]int{users, users, users * perUser, 0, users * perUser}, got); diff != "" {
		t.Errorf("audit [vpcs groups inuse-eips unassociated-eips instances] (-want +got):\n%s", diff)
	}
	for u := range users {
		owner := fmt.Sprintf("user-%d", u)
		if a.VPCsByOwner[owner] != 1 || a.SecurityGroupsByOwner[owner] != 1 || a.EIPsByOwner[owner] != perUser {
			t.Errorf("%s: got %d vpcs, %d groups, %d eips, want 1, 1, %d", owner, a.VPCsByOwner[owner], a.SecurityGroupsByOwner[owner], a.EIPsByOwner[owner], perUser)
		}
	}
}

// TestCreatesUnderThrottling fails 30% of all calls with Throttling.User:
// every create still succeeds, with nothing leaked.
func TestCreatesUnderThrottling(t *testing.T) {
	srv := newServer(t, aliyuntest.WithRandSeed(7))
	p := newProvider(t, srv)
	c := newClient(t, p, multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 30, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	srv.InjectFault(sim.Fault{Code: "Throttling.User", Rate: 0.3})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := request("tenant-t", fmt.Sprintf("user-%d", i%4), multicloud.WithName(fmt.Sprintf("vm-%d", i)),
				multicloud.WithPublicIP(5, multicloud.Fixed), multicloud.AddPorts(22))
			insts, err := c.CreateInstance(testCtx(t), req)
			if err != nil {
				errs <- err
				return
			}
			if len(insts) != 1 || insts[0].Status != multicloud.StatusRunning || insts[0].PublicIP == "" || len(insts[0].Warnings) > 0 {
				errs <- fmt.Errorf("create %d: got %+v, want one Running instance with a public ip and no warnings", i, insts[0])
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if srv.CallCount("AllocateEipAddress") == 0 {
		t.Fatal("no AllocateEipAddress call reached the emulator")
	}
	srv.ClearFaults()
	a := srv.Audit()
	if a.Instances != 20 || a.UnassociatedEIPs != 0 || a.EIPsByStatus["InUse"] != 20 || a.VPCs != 4 {
		t.Errorf("audit: got %d instances, %d vpcs, eips %v, want 20, 4, 20 InUse", a.Instances, a.VPCs, a.EIPsByStatus)
	}
}

// TestAssociateFailing makes every association fail, finally or
// transiently (then retried until the flow's wait ends): each instance
// comes back with a warning and no address is left allocated.
func TestAssociateFailing(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    sim.Fault
	}{
		{"final", sim.Fault{Action: "AssociateEipAddress", Code: "InvalidParameter", Status: 400, Message: "injected"}},
		{"transient", sim.Fault{Action: "AssociateEipAddress", Code: "InternalError"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			p := newProvider(t, srv, func(o *aliyun.Options) {
				o.Network = append(o.Network, func(n *network.Options) { n.WaitTimeout = 300 * time.Millisecond })
			})
			srv.InjectFault(tc.f)
			insts, err := newClient(t, p).CreateInstance(testCtx(t), request("tenant", "user-assoc", multicloud.WithQuantity(3), multicloud.WithPublicIP(5, multicloud.Traffic)))
			if err != nil {
				t.Fatalf("CreateInstance: %v", err)
			}
			if len(insts) != 3 {
				t.Fatalf("CreateInstance: got %d instances, want 3", len(insts))
			}
			for _, in := range insts {
				if !slices.ContainsFunc(in.Warnings, func(w string) bool { return strings.Contains(w, "public address not bound") }) {
					t.Errorf("instance %s warnings: got %q, want one saying the public address is not bound", in.ID, in.Warnings)
				}
				if in.PublicIP != "" {
					t.Errorf("instance %s public ip: got %q, want none", in.ID, in.PublicIP)
				}
			}
			if a := srv.Audit(); a.EIPs != 0 || a.UnassociatedEIPs != 0 {
				t.Errorf("audit: got %d eips (%d unassociated), want 0", a.EIPs, a.UnassociatedEIPs)
			}
		})
	}
}

// TestPartialStock creates 3 of 5 instances when the zone has stock for 3:
// the 3 come back with an ErrNoStock error naming the 2 missing, and only
// 3 addresses stay allocated.
func TestPartialStock(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	srv.SetStock("cn-hangzhou", "cn-hangzhou-h", "ecs.g7.large", 3)
	insts, err := newClient(t, p).CreateInstance(testCtx(t), request("tenant", "user-partial", multicloud.WithQuantity(5), multicloud.WithPublicIP(5, multicloud.Traffic)))
	if !errors.Is(err, multicloud.ErrNoStock) || !strings.Contains(err.Error(), "2 of 5") {
		t.Errorf("CreateInstance: got %v, want ErrNoStock saying 2 of 5 are missing", err)
	}
	if len(insts) != 3 {
		t.Fatalf("CreateInstance: got %d instances, want 3", len(insts))
	}
	if a := srv.Audit(); a.EIPs != 3 || a.UnassociatedEIPs != 0 {
		t.Errorf("audit: got %d eips (%v), want 3 InUse", a.EIPs, a.EIPsByStatus)
	}
}

// TestDeleteRightAfterCreateReleasesAddress deletes an instance whose
// elastic IP is still Associating, which DescribeInstances does not show
// yet: the address must be found and released all the same.
func TestDeleteRightAfterCreateReleasesAddress(t *testing.T) {
	srv := newServer(t, aliyuntest.WithTransitionDelay(300*time.Millisecond))
	p := newProvider(t, srv)
	c := newClient(t, p, multicloud.UseWaitForRunning(false, 0))
	insts, err := c.CreateInstance(testCtx(t), request("tenant", "user-quick-del", multicloud.WithPublicIP(5, multicloud.Traffic)))
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if a := srv.Audit(); a.EIPsByStatus["Associating"] != 1 {
		t.Fatalf("setup: EIPs by status %v, want one Associating", a.EIPsByStatus)
	}
	if err := c.Delete(testCtx(t), insts[0].Ref(), multicloud.Force()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if a := srv.Audit(); a.EIPs != 0 || a.Instances != 0 {
		t.Errorf("audit after Delete: got %d instances, %d eips (%v), want 0 and 0", a.Instances, a.EIPs, a.EIPsByStatus)
	}
}

// TestDeleteReleasesAddress deletes an instance with a bound elastic IP:
// the address is released with it.
func TestDeleteReleasesAddress(t *testing.T) {
	srv := newServer(t, aliyuntest.WithTransitionDelay(2*time.Millisecond))
	p := newProvider(t, srv)
	c := newClient(t, p)
	insts, err := c.CreateInstance(testCtx(t), request("tenant", "user-del", multicloud.WithPublicIP(5, multicloud.Traffic)))
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	in := insts[0]
	if in.Network.AddressID == "" {
		t.Fatalf("created instance has no address: %+v", in)
	}
	if err := c.Delete(testCtx(t), in.Ref(), multicloud.Force()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if a := srv.Audit(); a.EIPs != 0 || a.Instances != 0 {
		t.Errorf("audit after Delete: got %d instances, %d eips, want 0 and 0", a.Instances, a.EIPs)
	}
	if err := c.Delete(testCtx(t), in.Ref(), multicloud.Force()); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("second Delete: got %v, want ErrNotFound", err)
	}
}

// TestInstancePublicIP uses the instance's own public IP instead of an
// elastic one.
func TestInstancePublicIP(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv)
	insts, err := newClient(t, p).CreateInstance(testCtx(t), request("tenant", "user-own", multicloud.WithPublicIP(10, multicloud.Fixed),
		multicloud.WithPublicIPMode(multicloud.PublicIPInstance)))
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	in := insts[0]
	if in.PublicIP == "" || in.Network.AddressID != "" || in.BandwidthMbps != 10 || in.BandwidthMode != multicloud.Fixed {
		t.Errorf("instance: got ip %q address %q %d Mbit/s %s, want its own ip, no address, 10 FIXED", in.PublicIP, in.Network.AddressID, in.BandwidthMbps, in.BandwidthMode)
	}
	if a := srv.Audit(); a.EIPs != 0 {
		t.Errorf("audit: got %d eips, want 0", a.EIPs)
	}
}

// settledAudit returns the emulator's audit once no address is in
// transition (Associating), waiting at most a second.
func settledAudit(t testing.TB, srv *aliyuntest.Server) aliyuntest.Audit {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		a := srv.Audit()
		if a.EIPsByStatus["Associating"] == 0 && a.EIPsByStatus["Unassociating"] == 0 || time.Now().After(deadline) {
			return a
		}
		time.Sleep(2 * time.Millisecond)
	}
}
