// Package providertest is the conformance suite every multicloud.Provider
// runs: it drives a provider through a multicloud.Client and checks the
// portable contract (lifecycle, idempotency, error classification,
// reserved tags, network sharing) so that a provider that passes behaves
// like every other one.
//
// A provider's tests call Run with a Harness in a few dozen lines; see
// providers/fake/conformance_test.go.
package providertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
)

// Harness describes the provider under test. NewProvider, Region,
// ImageKey, Networks and ResourceTags are required; one of InstanceType
// and GPUModel should be set (with neither, requests ask for 2 vCPUs and
// 4 GiB).
type Harness struct {
	// NewProvider returns a fresh provider for one test, with its own
	// state. It is called once per subtest, possibly concurrently.
	NewProvider func(t *testing.T) multicloud.Provider
	// Region and Zone are where instances are created; Zone may be empty
	// for the provider to choose.
	Region, Zone string
	// ImageKey is the portable image key of the instances.
	ImageKey string
	// InstanceType, when set, is the type created.
	InstanceType string
	// GPUModel, when set and InstanceType is not, asks for one GPU of it.
	GPUModel string
	// Networks reports how many VPCs and security groups carry
	// Owner = owner in p (for instance the fake's Audit).
	Networks func(t *testing.T, p multicloud.Provider, owner string) (vpcs, groups int)
	// ResourceTags returns the tags of every network resource (VPCs,
	// security groups, addresses) created for owner in p.
	ResourceTags func(t *testing.T, p multicloud.Provider, owner string) []map[string]string
	// SetVPCQuota, when set, sets how many VPCs p's Region may hold (the
	// fake's SetQuota with sim.QuotaVPCs, the emulator's SetVPCQuota); the
	// network isolation tests run only with it.
	SetVPCQuota func(t *testing.T, p multicloud.Provider, n int)
	// ClientOptions are applied after the suite's own (a 5ms poll
	// interval, retries with millisecond backoff, a 30s wait for Running).
	ClientOptions []multicloud.ClientOption
}

// Run runs the conformance suite against h as parallel subtests of t.
// It fails t when h lacks a required field.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewProvider == nil || h.Region == "" || h.ImageKey == "" || h.Networks == nil || h.ResourceTags == nil {
		t.Fatal("providertest: Harness needs NewProvider, Region, ImageKey, Networks and ResourceTags")
	}
	s := &suite{h: h}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"Lifecycle", s.testLifecycle},
		{"IdempotentCreate", s.testIdempotentCreate},
		{"Quantity", s.testQuantity},
		{"NotFound", s.testNotFound},
		{"CanceledContext", s.testCanceled},
		{"ConcurrentCreatesShareNetwork", s.testConcurrentNetwork},
		{"ReservedTags", s.testReservedTags},
		{"ReservedTagInRequestRejected", s.testReservedTagRejected},
		{"StopStoppedIsConflict", s.testStopStopped},
		{"NetworkIsolationTrickyOwners", s.testIsolationPairs},
		{"Sweep", s.testSweep},
	}
	if h.SetVPCQuota != nil {
		tests = append(tests, []struct {
			name string
			fn   func(t *testing.T)
		}{
			{"NetworkIsolationTenant", s.testIsolationTenant},
			{"NetworkIsolationShared", s.testIsolationShared},
			{"NetworkIsolationUserQuota", s.testIsolationUserQuota},
		}...)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}

type suite struct{ h Harness }

// env is one subtest's provider and client.
type env struct {
	p multicloud.Provider
	c *multicloud.Client
}

func (s *suite) env(t *testing.T) env {
	t.Helper()
	p := s.h.NewProvider(t)
	return env{p: p, c: s.client(t, p)}
}

// client returns a client of p with the suite's options, the harness's,
// then more.
func (s *suite) client(t *testing.T, p multicloud.Provider, more ...multicloud.ClientOption) *multicloud.Client {
	t.Helper()
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	opts := append([]multicloud.ClientOption{
		multicloud.UsePollInterval(5 * time.Millisecond),
		multicloud.UseRetryPolicy(multicloud.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		multicloud.UseWaitForRunning(true, 30*time.Second),
	}, s.h.ClientOptions...)
	opts = append(opts, more...)
	c, err := multicloud.New(reg, opts...)
	if err != nil {
		t.Fatalf("multicloud.New: %v", err)
	}
	return c
}

// request returns a request for one instance owned by tenant/user.
func (s *suite) request(p multicloud.Provider, tenant, user string, opts ...multicloud.RequestOption) *multicloud.CreateInstanceRequest {
	base := []multicloud.RequestOption{
		multicloud.WithProvider(p.Code()),
		multicloud.WithPlacement(s.h.Region, s.h.Zone),
		multicloud.WithOwner(tenant, user),
		multicloud.WithName("conformance-vm"),
		multicloud.WithImage(s.h.ImageKey),
	}
	switch {
	case s.h.InstanceType != "":
		base = append(base, multicloud.WithInstanceType(s.h.InstanceType))
	case s.h.GPUModel != "":
		base = append(base, multicloud.WithGPU(s.h.GPUModel, 1))
	default:
		base = append(base, multicloud.WithCPUMemory(2, 4))
	}
	return multicloud.NewCreateInstanceRequest(append(base, opts...)...)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// create creates req and fails t unless it returns want instances
// without error.
func (s *suite) create(t *testing.T, e env, req *multicloud.CreateInstanceRequest, want int) []*multicloud.Instance {
	t.Helper()
	insts, err := e.c.CreateInstance(ctx(t), req)
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if len(insts) != want {
		t.Fatalf("CreateInstance returned %d instances, want %d", len(insts), want)
	}
	return insts
}

func (s *suite) wait(t *testing.T, e env, in *multicloud.Instance, want multicloud.Status) {
	t.Helper()
	if _, err := e.c.Wait(ctx(t), in.Ref(), want, 20*time.Second); err != nil {
		t.Fatalf("Wait(%s, %s): %v", in.ID, want, err)
	}
}

func (s *suite) testLifecycle(t *testing.T) {
	e := s.env(t)
	in := s.create(t, e, s.request(e.p, "tenant-a", "user-life"), 1)[0]
	if in.Status != multicloud.StatusRunning {
		t.Errorf("created instance status: got %s, want %s", in.Status, multicloud.StatusRunning)
	}
	if in.ID == "" || in.Region != s.h.Region || in.Provider != e.p.Code() {
		t.Errorf("created instance: got id %q region %q provider %q, want an id in %s of %s", in.ID, in.Region, in.Provider, s.h.Region, e.p.Code())
	}

	got, err := e.c.Get(ctx(t), in.Ref())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff([]string{in.ID, in.InstanceType, in.TenantID, in.UserID}, []string{got.ID, got.InstanceType, got.TenantID, got.UserID}); diff != "" {
		t.Errorf("Get: id, type, tenant, user differ (-create +get):\n%s", diff)
	}

	// List by tags finds it; another user's listing does not.
	for _, tc := range []struct {
		name string
		opts multicloud.ListOptions
		want []string
	}{
		{"by tenant and user", multicloud.ListOptions{TenantID: "tenant-a", UserID: "user-life"}, []string{in.ID}},
		{"by user", multicloud.ListOptions{UserID: "user-life"}, []string{in.ID}},
		{"other user", multicloud.ListOptions{UserID: "someone-else"}, nil},
	} {
		tc.opts.Provider, tc.opts.Region = e.p.Code(), s.h.Region
		var ids []string
		for got, err := range e.c.List(ctx(t), tc.opts) {
			if err != nil {
				t.Fatalf("List %s: %v", tc.name, err)
			}
			ids = append(ids, got.ID)
		}
		if diff := cmp.Diff(tc.want, ids); diff != "" {
			t.Errorf("List %s: got ids, want (-want +got):\n%s", tc.name, diff)
		}
	}

	ref := in.Ref()
	if err := e.c.Stop(ctx(t), ref); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	s.wait(t, e, in, multicloud.StatusStopped)
	if err := e.c.Start(ctx(t), ref); err != nil {
		t.Fatalf("Start: %v", err)
	}
	s.wait(t, e, in, multicloud.StatusRunning)
	if err := e.c.Reboot(ctx(t), ref); err != nil {
		t.Fatalf("Reboot: %v", err)
	}
	s.wait(t, e, in, multicloud.StatusRunning)
	if err := e.c.Stop(ctx(t), ref); err != nil {
		t.Fatalf("Stop before delete: %v", err)
	}
	s.wait(t, e, in, multicloud.StatusStopped)
	if err := e.c.Delete(ctx(t), ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	s.wait(t, e, in, multicloud.StatusDeleted)
	if _, err := e.c.Get(ctx(t), ref); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("Get after Delete: got %v, want an error matching ErrNotFound", err)
	}
}

func (s *suite) testIdempotentCreate(t *testing.T) {
	e := s.env(t)
	req := s.request(e.p, "tenant-a", "user-idem", multicloud.WithIdempotencyKey("order-42"))
	first := s.create(t, e, req, 1)
	second := s.create(t, e, req, 1)
	if diff := cmp.Diff(ids(first), ids(second)); diff != "" {
		t.Errorf("second create with the same IdempotencyKey: got other instances (-first +second):\n%s", diff)
	}
	if got := s.listUser(t, e, "user-idem"); len(got) != 1 {
		t.Errorf("instances of the user after two idempotent creates: got %v, want exactly one", got)
	}
}

func (s *suite) testQuantity(t *testing.T) {
	e := s.env(t)
	insts := s.create(t, e, s.request(e.p, "tenant-a", "user-qty", multicloud.WithQuantity(3)), 3)
	got := ids(insts)
	if len(slices.Compact(slices.Sorted(slices.Values(got)))) != 3 {
		t.Errorf("quantity 3: got ids %v, want 3 distinct", got)
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(s.listUser(t, e, "user-qty")))); diff != "" {
		t.Errorf("quantity 3: listed instances differ from created (-created +listed):\n%s", diff)
	}
}

func (s *suite) testNotFound(t *testing.T) {
	e := s.env(t)
	ref := multicloud.InstanceRef{Provider: e.p.Code(), Region: s.h.Region, ID: "i-doesnotexist000000"}
	for _, tc := range []struct {
		op string
		fn func() error
	}{
		{"Get", func() error { _, err := e.c.Get(ctx(t), ref); return err }},
		{"Start", func() error { return e.c.Start(ctx(t), ref) }},
		{"Stop", func() error { return e.c.Stop(ctx(t), ref) }},
		{"Reboot", func() error { return e.c.Reboot(ctx(t), ref) }},
		{"Delete", func() error { return e.c.Delete(ctx(t), ref, multicloud.Force()) }},
	} {
		if err := tc.fn(); !errors.Is(err, multicloud.ErrNotFound) {
			t.Errorf("%s of a missing instance: got %v, want an error matching ErrNotFound", tc.op, err)
		}
	}
}

func (s *suite) testCanceled(t *testing.T) {
	e := s.env(t)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	req := s.request(e.p, "tenant-a", "user-cancel")
	insts, err := e.c.CreateInstance(c, req)
	if !errors.Is(err, context.Canceled) && !errors.Is(err, multicloud.ErrCanceled) {
		t.Errorf("CreateInstance with a cancelled context: got %v, want context.Canceled or ErrCanceled", err)
	}
	if len(insts) != 0 {
		t.Errorf("CreateInstance with a cancelled context: got %d instances, want none", len(insts))
	}
	_, err = e.c.Get(c, multicloud.InstanceRef{Provider: e.p.Code(), Region: s.h.Region, ID: "i-any"})
	if !errors.Is(err, context.Canceled) && !errors.Is(err, multicloud.ErrCanceled) {
		t.Errorf("Get with a cancelled context: got %v, want context.Canceled or ErrCanceled", err)
	}
}

func (s *suite) testConcurrentNetwork(t *testing.T) {
	e := s.env(t)
	const n = 10
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		vpcs = map[string]bool{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts, err := e.c.CreateInstance(ctx(t), s.request(e.p, "tenant-a", "user-conc", multicloud.WithName(fmt.Sprintf("vm-%d", i))))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			for _, in := range insts {
				vpcs[in.Network.VPCID] = true
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent creates: %v", err)
	}
	gotVPCs, gotGroups := s.h.Networks(t, e.p, "user-conc")
	if diff := cmp.Diff([2]int{1, 1}, [2]int{gotVPCs, gotGroups}); diff != "" {
		t.Errorf("after %d concurrent creates for one user, got [vpcs groups], want one each (-want +got):\n%s", n, diff)
	}
	if len(vpcs) != 1 {
		t.Errorf("instances of one user span VPCs %v, want one", vpcs)
	}
}

func (s *suite) testReservedTags(t *testing.T) {
	e := s.env(t)
	const tenant, user = "tenant-tags", "user-tags"
	insts := s.create(t, e, s.request(e.p, tenant, user, multicloud.AddTag("team", "vision"),
		multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.WithQuantity(2)), 2)
	want := map[string]string{multicloud.TagTenant: tenant, multicloud.TagOwner: user, multicloud.TagCreatedBy: multicloud.CreatedByValue}
	for _, in := range insts {
		if diff := cmp.Diff(want, reserved(in.Tags)); diff != "" {
			t.Errorf("instance %s reserved tags (-want +got):\n%s", in.ID, diff)
		}
		if in.Tags["team"] != "vision" {
			t.Errorf("instance %s tag team: got %q, want %q", in.ID, in.Tags["team"], "vision")
		}
		if in.TenantID != tenant || in.UserID != user {
			t.Errorf("instance %s tenant, user: got %q, %q, want %q, %q", in.ID, in.TenantID, in.UserID, tenant, user)
		}
	}
	res := s.h.ResourceTags(t, e.p, user)
	if len(res) < 2 {
		t.Errorf("network resources of %s: got %d, want at least a VPC and a security group", user, len(res))
	}
	for i, tags := range res {
		if diff := cmp.Diff(want, reserved(tags)); diff != "" {
			t.Errorf("network resource %d reserved tags (-want +got):\n%s", i, diff)
		}
	}
}

func (s *suite) testReservedTagRejected(t *testing.T) {
	p := s.h.NewProvider(t)
	cp := &countingProvider{Provider: p}
	c := s.client(t, cp)
	for _, key := range []string{multicloud.TagOwner, multicloud.TagTenant, multicloud.TagCreatedBy, "owner"} {
		req := s.request(p, "tenant-a", "user-evil", multicloud.AddTag(key, "someone-else"))
		insts, err := c.CreateInstance(ctx(t), req)
		if !errors.Is(err, multicloud.ErrInvalidArgument) || len(insts) != 0 {
			t.Errorf("request tagging %q: got %d instances, %v, want none and ErrInvalidArgument", key, len(insts), err)
		}
	}
	if n := cp.calls(); n != 0 {
		t.Errorf("provider calls for rejected requests: got %d, want 0", n)
	}
}

func (s *suite) testStopStopped(t *testing.T) {
	e := s.env(t)
	in := s.create(t, e, s.request(e.p, "tenant-a", "user-stop"), 1)[0]
	if err := e.c.Stop(ctx(t), in.Ref()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	s.wait(t, e, in, multicloud.StatusStopped)
	if err := e.c.Stop(ctx(t), in.Ref()); !errors.Is(err, multicloud.ErrConflict) {
		t.Errorf("Stop of a stopped instance: got %v, want an error matching ErrConflict", err)
	}
	if err := e.c.Delete(ctx(t), in.Ref()); err != nil {
		t.Errorf("Delete of a stopped instance: %v", err)
	}
}

// listUser returns the IDs of the user's instances in the harness region.
func (s *suite) listUser(t *testing.T, e env, user string) []string {
	t.Helper()
	var out []string
	for in, err := range e.c.List(ctx(t), multicloud.ListOptions{Provider: e.p.Code(), Region: s.h.Region, UserID: user}) {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		out = append(out, in.ID)
	}
	return out
}

func ids(insts []*multicloud.Instance) []string {
	out := make([]string, len(insts))
	for i, in := range insts {
		out[i] = in.ID
	}
	return out
}

func reserved(tags map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{multicloud.TagTenant, multicloud.TagOwner, multicloud.TagCreatedBy} {
		if v, ok := tags[k]; ok {
			out[k] = v
		}
	}
	return out
}

// countingProvider counts the calls that reach a provider.
type countingProvider struct {
	multicloud.Provider
	mu sync.Mutex
	n  int
}

func (c *countingProvider) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *countingProvider) count() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *countingProvider) Resolve(ctx context.Context, req *multicloud.CreateInstanceRequest, p multicloud.Placement) (*multicloud.Plan, error) {
	c.count()
	return c.Provider.Resolve(ctx, req, p)
}

func (c *countingProvider) Create(ctx context.Context, spec *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
	c.count()
	return c.Provider.Create(ctx, spec)
}

func (c *countingProvider) Quote(ctx context.Context, req pricing.Request) (*pricing.Quote, error) {
	c.count()
	return c.Provider.Quote(ctx, req)
}

func (c *countingProvider) Get(ctx context.Context, region, id string) (*multicloud.Instance, error) {
	c.count()
	return c.Provider.Get(ctx, region, id)
}

func (c *countingProvider) List(ctx context.Context, q multicloud.ListQuery) (*multicloud.InstancePage, error) {
	c.count()
	return c.Provider.List(ctx, q)
}

func (c *countingProvider) Start(ctx context.Context, region, id string) error {
	c.count()
	return c.Provider.Start(ctx, region, id)
}

func (c *countingProvider) Stop(ctx context.Context, region, id string, force bool) error {
	c.count()
	return c.Provider.Stop(ctx, region, id, force)
}

func (c *countingProvider) Reboot(ctx context.Context, region, id string, force bool) error {
	c.count()
	return c.Provider.Reboot(ctx, region, id, force)
}

func (c *countingProvider) Delete(ctx context.Context, region, id string, force bool) error {
	c.count()
	return c.Provider.Delete(ctx, region, id, force)
}

// testSweep checks the Sweeper capability through Client.Sweep: a dry run
// lists the instance the caller does not know and releases nothing; a
// real sweep releases it and leaves the known one; once the user has no
// instance, a sweep with Networks releases their VPC and group.
func (s *suite) testSweep(t *testing.T) {
	e := s.env(t)
	if _, ok := e.p.(multicloud.Sweeper); !ok {
		t.Skip("provider does not implement multicloud.Sweeper")
	}
	insts := s.create(t, e, s.request(e.p, "t-sweep", "u-sweep", multicloud.WithQuantity(2)), 2)
	known, unknown := insts[0], insts[1]
	later := func() time.Time { return time.Now().Add(24 * time.Hour) } // past every grace period
	opts := multicloud.SweepOptions{Provider: e.p.Code(), Region: s.h.Region, Now: later, DryRun: true,
		KnownInstance: func(in *multicloud.Instance) bool { return in.ID == known.ID }}
	found, err := e.c.Sweep(ctx(t), opts)
	if err != nil {
		t.Fatalf("Sweep (dry run): %v", err)
	}
	if got := orphanIDs(found, multicloud.OrphanInstance); !slices.Equal(got, []string{unknown.ID}) {
		t.Fatalf("dry run found instances %v, want [%s]", got, unknown.ID)
	}
	if _, err := e.c.Get(ctx(t), unknown.Ref()); err != nil {
		t.Fatalf("dry run released %s: %v", unknown.ID, err)
	}
	opts.DryRun = false
	if found, err = e.c.Sweep(ctx(t), opts); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	for _, o := range found {
		if !o.Released {
			t.Errorf("orphan %s %s not released", o.Kind, o.ID)
		}
	}
	if _, err := e.c.Get(ctx(t), unknown.Ref()); !errors.Is(err, multicloud.ErrNotFound) {
		t.Errorf("Get of the swept instance: got %v, want ErrNotFound", err)
	}
	if _, err := e.c.Get(ctx(t), known.Ref()); err != nil {
		t.Errorf("the known instance was swept: %v", err)
	}
	// The user's network stays while an instance uses it.
	opts.Networks = true
	if found, err = e.c.Sweep(ctx(t), opts); err != nil || len(orphanIDs(found, multicloud.OrphanVPC)) != 0 {
		t.Fatalf("Sweep with an instance left: got %v, %v; want no vpc", found, err)
	}
	if err := e.c.Delete(ctx(t), known.Ref(), multicloud.Force()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	s.wait(t, e, known, multicloud.StatusDeleted)
	if found, err = e.c.Sweep(ctx(t), opts); err != nil {
		t.Fatalf("Sweep with networks: %v", err)
	}
	if len(orphanIDs(found, multicloud.OrphanVPC)) != 1 || len(orphanIDs(found, multicloud.OrphanSecurityGroup)) != 1 {
		t.Errorf("Sweep with networks found %+v, want the user's vpc and group", found)
	}
	if vpcs, groups := s.h.Networks(t, e.p, "u-sweep"); vpcs != 0 || groups != 0 {
		t.Errorf("after the sweep: %d vpcs and %d groups of the user, want 0", vpcs, groups)
	}
}

func orphanIDs(os []multicloud.Orphan, kind multicloud.OrphanKind) []string {
	var out []string
	for _, o := range os {
		if o.Kind == kind {
			out = append(out, o.ID)
		}
	}
	return out
}
