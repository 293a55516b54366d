package multicloud_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/multicloudmock"
	"github.com/multicloud-ecs/multicloud/pricing"
	"go.uber.org/mock/gomock"
)

var fastRetry = multicloud.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

// newMockClient returns a Client over one mock provider "mock" that resolves
// every placement to itself with zone z1 and type t1 and quotes a fixed price.
func newMockClient(t *testing.T, opts ...multicloud.ClientOption) (*multicloud.Client, *multicloudmock.MockProvider) {
	t.Helper()
	ctrl := gomock.NewController(t)
	p := multicloudmock.NewMockProvider(ctrl)
	p.EXPECT().Code().Return("mock").AnyTimes()
	p.EXPECT().Resolve(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, _ *multicloud.CreateInstanceRequest, pl multicloud.Placement) (*multicloud.Plan, error) {
			if pl.Zone == "" {
				pl.Zone = "z1"
			}
			if pl.InstanceType == "" {
				pl.InstanceType = "t1"
			}
			return &multicloud.Plan{Placement: pl, ImageID: "img-1"}, nil
		}).AnyTimes()
	p.EXPECT().Quote(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r pricing.Request) (*pricing.Quote, error) {
		return &pricing.Quote{Provider: r.Provider, InstanceType: r.InstanceType, Currency: "CNY", Hourly: pricing.Breakdown{Total: 1}}, nil
	}).AnyTimes()
	reg, err := multicloud.NewRegistry(p)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]multicloud.ClientOption{multicloud.UseRetryPolicy(fastRetry), multicloud.UseWaitForRunning(false, 0)}, opts...)
	c, err := multicloud.New(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func mockRequest() *multicloud.CreateInstanceRequest {
	r := validRequest()
	r.Provider = "MOCK" // codes are case-insensitive
	return r
}

func instancesFor(spec *multicloud.CreateSpec, n int) []*multicloud.Instance {
	out := make([]*multicloud.Instance, n)
	for i := range out {
		out[i] = &multicloud.Instance{ID: spec.Plan.Zone + "-i" + string(rune('0'+i)), Provider: "mock", Region: spec.Plan.Region,
			Zone: spec.Plan.Zone, Status: multicloud.StatusRunning, Tags: spec.Tags}
	}
	return out
}

func TestCreateInjectsReservedTagsAndToken(t *testing.T) {
	c, p := newMockClient(t)
	var got *multicloud.CreateSpec
	p.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
		got = s
		return instancesFor(s, 1), nil
	}).Times(2)
	req := mockRequest()
	req.Tags = map[string]string{"team": "ml"}
	insts, err := c.CreateInstance(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"team": "ml", "tenantId": "t1", "Owner": "u1", "createdBy": "multicloud", "idempotencyToken": got.Token}
	if diff := cmp.Diff(want, got.Tags); diff != "" {
		t.Errorf("tags mismatch (-want +got):\n%s", diff)
	}
	if len(got.Token) != 64 {
		t.Errorf("token %q has %d characters, want 64", got.Token, len(got.Token))
	}
	if insts[0].Quote == nil || insts[0].Quote.Hourly.Total != 1 {
		t.Errorf("instance quote = %v, want the quoted price", insts[0].Quote)
	}
	if req.Tags["tenantId"] != "" {
		t.Errorf("CreateInstance modified the caller's request tags: %v", req.Tags)
	}
	// The same request (same idempotency key) gets the same token.
	first := got.Token
	if _, err := c.CreateInstance(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got.Token != first {
		t.Errorf("retry token = %q, want %q", got.Token, first)
	}
}

func TestCreateRejectsReservedTagBeforeProviderCall(t *testing.T) {
	c, _ := newMockClient(t) // Create has no expectation: a call fails the test
	req := mockRequest()
	req.Tags = map[string]string{"Owner": "someone-else"}
	_, err := c.CreateInstance(context.Background(), req)
	if !errors.Is(err, multicloud.ErrInvalidArgument) || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("got %v, want ErrInvalidArgument about a reserved tag", err)
	}
}

func TestCreateFixedSchedulerNeedsProvider(t *testing.T) {
	c, _ := newMockClient(t)
	req := mockRequest()
	req.Provider, req.TenantID = "", ""
	_, err := c.CreateInstance(context.Background(), req)
	if diff := cmp.Diff([]string{"tenantId", "provider"}, fieldErrors(t, err)); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
	req = mockRequest()
	req.Provider = "nope"
	_, err = c.CreateInstance(context.Background(), req)
	if !errors.Is(err, multicloud.ErrProviderUnknown) || !strings.Contains(err.Error(), "mock") {
		t.Errorf("got %v, want ErrProviderUnknown naming the registered provider", err)
	}
}

func TestCreateRetriesThrottlingWithSameToken(t *testing.T) {
	c, p := newMockClient(t)
	var tokens []string
	p.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
		tokens = append(tokens, s.Token)
		if len(tokens) < 3 {
			return nil, &multicloud.Error{Code: multicloud.CodeThrottled, ProviderCode: "Throttling.User"}
		}
		return instancesFor(s, 1), nil
	}).Times(3)
	if _, err := c.CreateInstance(context.Background(), mockRequest()); err != nil {
		t.Fatal(err)
	}
	if tokens[0] != tokens[1] || tokens[1] != tokens[2] {
		t.Errorf("tokens across retries = %q, want one token reused", tokens)
	}
}

func TestCreateDoesNotRetryPermanentErrors(t *testing.T) {
	c, p := newMockClient(t)
	p.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil, &multicloud.Error{Code: multicloud.CodePermissionDenied, ProviderCode: "Forbidden.RAM"}).Times(1)
	_, err := c.CreateInstance(context.Background(), mockRequest())
	var e *multicloud.Error
	if !errors.As(err, &e) || e.ProviderCode != "Forbidden.RAM" || !errors.Is(err, multicloud.ErrPermissionDenied) {
		t.Errorf("got %v, want the provider's permission error", err)
	}
}

func TestFailover(t *testing.T) {
	sched := multicloud.FailoverScheduler{Placements: []multicloud.Placement{{Zone: "z1"}, {Zone: "z2"}, {Zone: "z3"}}}
	t.Run("second placement takes it", func(t *testing.T) {
		c, p := newMockClient(t, multicloud.UseScheduler(sched))
		var zones []string
		p.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
			zones = append(zones, s.Plan.Zone)
			if s.Plan.Zone == "z1" {
				return nil, &multicloud.Error{Code: multicloud.CodeNoStock, ProviderCode: "OperationDenied.NoStock"}
			}
			return instancesFor(s, 1), nil
		}).Times(2)
		insts, err := c.CreateInstance(context.Background(), mockRequest())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"z1", "z2"}, zones); diff != "" {
			t.Errorf("zones tried (-want +got):\n%s", diff)
		}
		if insts[0].Zone != "z2" {
			t.Errorf("instance zone = %q, want z2", insts[0].Zone)
		}
	})
	t.Run("all out lists every attempt", func(t *testing.T) {
		c, p := newMockClient(t, multicloud.UseScheduler(sched))
		p.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil, &multicloud.Error{Code: multicloud.CodeNoStock}).Times(3)
		_, err := c.CreateInstance(context.Background(), mockRequest())
		if !errors.Is(err, multicloud.ErrNoStock) {
			t.Fatalf("got %v, want ErrNoStock", err)
		}
		for _, z := range []string{"z1", "z2", "z3"} {
			if !strings.Contains(err.Error(), "/"+z+"/") {
				t.Errorf("error %q does not name attempt %s", err, z)
			}
		}
	})
	t.Run("non-capacity error stops", func(t *testing.T) {
		c, p := newMockClient(t, multicloud.UseScheduler(sched))
		p.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil, &multicloud.Error{Code: multicloud.CodeInvalidArgument}).Times(1)
		if _, err := c.CreateInstance(context.Background(), mockRequest()); !errors.Is(err, multicloud.ErrInvalidArgument) {
			t.Errorf("got %v, want ErrInvalidArgument", err)
		}
	})
}

func TestPartialQuantity(t *testing.T) {
	c, p := newMockClient(t)
	p.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
		return instancesFor(s, 3), &multicloud.Error{Code: multicloud.CodeNoStock, Message: "only 3 in stock"}
	}).Times(1) // created instances are never retried away
	req := mockRequest()
	req.Quantity = 5
	insts, err := c.CreateInstance(context.Background(), req)
	if len(insts) != 3 {
		t.Fatalf("got %d instances, want 3", len(insts))
	}
	if !errors.Is(err, multicloud.ErrNoStock) || !strings.Contains(err.Error(), "2 of 5 instances not created") {
		t.Errorf("got %v, want an error naming the 2 missing", err)
	}
}

func TestQuoteUsesCache(t *testing.T) {
	ctrl := gomock.NewController(t)
	p := multicloudmock.NewMockProvider(ctrl)
	p.EXPECT().Code().Return("mock").AnyTimes()
	p.EXPECT().Resolve(gomock.Any(), gomock.Any(), gomock.Any()).Return(&multicloud.Plan{
		Placement: multicloud.Placement{Provider: "mock", Region: "cn-hangzhou", Zone: "z1", InstanceType: "t1"}, ImageID: "img"}, nil).AnyTimes()
	var calls atomic.Int32
	p.EXPECT().Quote(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r pricing.Request) (*pricing.Quote, error) {
		calls.Add(1)
		if r.BandwidthMbps != 10 || r.InstanceType != "t1" || r.Quantity != 1 {
			t.Errorf("quote request %+v lacks the plan or bandwidth", r)
		}
		return &pricing.Quote{Provider: "mock", Hourly: pricing.Breakdown{Total: 2.5}, ValidUntil: time.Now().Add(time.Minute)}, nil
	}).AnyTimes()
	reg, _ := multicloud.NewRegistry(p)
	c, _ := multicloud.New(reg)
	for range 3 {
		q, err := c.Quote(context.Background(), mockRequest())
		if err != nil {
			t.Fatal(err)
		}
		if q.Hourly.Total != 2.5 {
			t.Errorf("hourly = %v, want 2.5", q.Hourly.Total)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("provider quoted %d times, want 1 (cached)", calls.Load())
	}
}

func TestWait(t *testing.T) {
	c, p := newMockClient(t, multicloud.UsePollInterval(time.Millisecond))
	ref := multicloud.InstanceRef{Provider: "mock", Region: "r", ID: "i-1"}
	states := []multicloud.Status{multicloud.StatusPending, multicloud.StatusStarting, multicloud.StatusRunning}
	var n int
	p.EXPECT().Get(gomock.Any(), "r", "i-1").DoAndReturn(func(context.Context, string, string) (*multicloud.Instance, error) {
		s := states[min(n, len(states)-1)]
		n++
		return &multicloud.Instance{ID: "i-1", Status: s}, nil
	}).Times(3)
	in, err := c.Wait(context.Background(), ref, multicloud.StatusRunning, time.Second)
	if err != nil || in.Status != multicloud.StatusRunning {
		t.Fatalf("Wait = %v, %v; want Running", in, err)
	}

	c, p = newMockClient(t, multicloud.UsePollInterval(time.Millisecond))
	p.EXPECT().Get(gomock.Any(), "r", "i-1").Return(&multicloud.Instance{ID: "i-1", Status: multicloud.StatusStopping}, nil).MinTimes(1)
	_, err = c.Wait(context.Background(), ref, multicloud.StatusStopped, 20*time.Millisecond)
	if !errors.Is(err, multicloud.ErrWaitTimeout) || !strings.Contains(err.Error(), "still Stopping") {
		t.Errorf("got %v, want a timeout naming the stuck state", err)
	}

	c, p = newMockClient(t, multicloud.UsePollInterval(time.Millisecond))
	p.EXPECT().Get(gomock.Any(), "r", "i-1").Return(nil, &multicloud.Error{Code: multicloud.CodeNotFound}).Times(1)
	in, err = c.Wait(context.Background(), ref, multicloud.StatusDeleted, time.Second)
	if err != nil || in.Status != multicloud.StatusDeleted {
		t.Errorf("Wait for Deleted = %v, %v; want Deleted", in, err)
	}
}

func TestListAcrossPages(t *testing.T) {
	c, p := newMockClient(t)
	p.EXPECT().List(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, q multicloud.ListQuery) (*multicloud.InstancePage, error) {
		if q.Tags["tenantId"] != "t1" || q.Tags["Owner"] != "u1" {
			t.Errorf("list query tags %v, want tenant and owner", q.Tags)
		}
		if q.PageToken == "" {
			return &multicloud.InstancePage{Instances: []*multicloud.Instance{{ID: "a"}, {ID: "b"}}, NextToken: "p2"}, nil
		}
		return &multicloud.InstancePage{Instances: []*multicloud.Instance{{ID: "c"}}}, nil
	}).Times(2)
	var ids []string
	for in, err := range c.List(context.Background(), multicloud.ListOptions{Provider: "mock", Region: "r", TenantID: "t1", UserID: "u1"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestLifecycleClassifiesAndValidatesRefs(t *testing.T) {
	c, p := newMockClient(t)
	p.EXPECT().Stop(gomock.Any(), "r", "i-1", true).Return(&multicloud.Error{Code: multicloud.CodeConflict, Message: "instance i-1 is Stopped"})
	err := c.Stop(context.Background(), multicloud.InstanceRef{Provider: "mock", Region: "r", ID: "i-1"}, multicloud.Force())
	var e *multicloud.Error
	if !errors.Is(err, multicloud.ErrConflict) || !errors.As(err, &e) || e.Op != "Stop" || e.Provider != "mock" || e.Region != "r" {
		t.Errorf("got %#v, want ErrConflict with op, provider and region", err)
	}
	if err := c.Delete(context.Background(), multicloud.InstanceRef{Provider: "mock"}); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("Delete with incomplete ref: got %v, want ErrInvalidArgument", err)
	}
}

func TestRetryPolicyStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n int
	err := multicloud.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Hour}.Do(ctx, func(context.Context) error {
		n++
		cancel()
		return &multicloud.Error{Code: multicloud.CodeThrottled}
	})
	if n != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, multicloud.ErrCanceled) || errors.Is(err, multicloud.ErrThrottled) || multicloud.IsRetryable(err) {
		t.Errorf("got %d calls and %v, want 1 call and a cancellation that is not retryable", n, err)
	}
}

func TestBackoffBounds(t *testing.T) {
	p := multicloud.RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 10: time.Second} {
		for range 50 {
			if d := p.Backoff(attempt); d < max/2 || d > max {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", attempt, d, max/2, max)
			}
		}
	}
}

func TestRetriedRequestKeepsItsPlan(t *testing.T) {
	ctrl := gomock.NewController(t)
	p := multicloudmock.NewMockProvider(ctrl)
	p.EXPECT().Code().Return("mock").AnyTimes()
	zones := []string{"z1", "z2"} // stock moved between the two tries
	var resolves int
	p.EXPECT().Resolve(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, _ *multicloud.CreateInstanceRequest, pl multicloud.Placement) (*multicloud.Plan, error) {
			pl.Zone, pl.InstanceType = zones[min(resolves, 1)], "t1"
			resolves++
			return &multicloud.Plan{Placement: pl, ImageID: "img"}, nil
		}).AnyTimes()
	p.EXPECT().Quote(gomock.Any(), gomock.Any()).Return(&pricing.Quote{}, nil).AnyTimes()
	var specs []*multicloud.CreateSpec
	p.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
		specs = append(specs, s)
		return instancesFor(s, 1), nil
	}).Times(3)
	reg, _ := multicloud.NewRegistry(p)
	c, _ := multicloud.New(reg, multicloud.UseRetryPolicy(fastRetry), multicloud.UseWaitForRunning(false, 0))
	req := mockRequest()
	req.IdempotencyKey = "order-1001"
	for range 2 {
		if _, err := c.CreateInstance(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if specs[0].Plan != specs[1].Plan || specs[0].Token != specs[1].Token {
		t.Errorf("retry planned %+v with token %s, want the first plan %+v and token %s", specs[1].Plan, specs[1].Token, specs[0].Plan, specs[0].Token)
	}
	req.IdempotencyKey = "order-1002" // a new order resolves afresh
	if _, err := c.CreateInstance(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if specs[2].Plan.Zone != "z2" || specs[2].Token == specs[0].Token {
		t.Errorf("new order got plan %+v and token %s, want a fresh resolution and token", specs[2].Plan, specs[2].Token)
	}
}

func TestWaitCanceledIsCanceled(t *testing.T) {
	c, p := newMockClient(t, multicloud.UsePollInterval(time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	p.EXPECT().Get(gomock.Any(), "r", "i-1").DoAndReturn(func(context.Context, string, string) (*multicloud.Instance, error) {
		cancel()
		return &multicloud.Instance{ID: "i-1", Status: multicloud.StatusPending}, nil
	}).MinTimes(1)
	_, err := c.Wait(ctx, multicloud.InstanceRef{Provider: "mock", Region: "r", ID: "i-1"}, multicloud.StatusRunning, time.Minute)
	if multicloud.CodeOf(err) != multicloud.CodeCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v (code %s), want CANCELED matching context.Canceled", err, multicloud.CodeOf(err))
	}
}

func TestCreateKeepsBoundAddressWhileProviderCatchesUp(t *testing.T) {
	c, p := newMockClient(t, multicloud.UseWaitForRunning(true, time.Second), multicloud.UsePollInterval(time.Millisecond))
	p.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
		in := instancesFor(s, 1)[0]
		in.Status, in.PublicIP, in.BandwidthMbps, in.Network.AddressID = multicloud.StatusPending, "47.1.2.3", 10, "eip-1"
		return []*multicloud.Instance{in}, nil
	})
	// The provider's view does not show the address yet (still binding).
	p.EXPECT().Get(gomock.Any(), gomock.Any(), gomock.Any()).Return(&multicloud.Instance{ID: "z1-i0", Status: multicloud.StatusRunning}, nil)
	insts, err := c.CreateInstance(context.Background(), mockRequest())
	if err != nil {
		t.Fatal(err)
	}
	got := insts[0]
	if got.Status != multicloud.StatusRunning || got.PublicIP != "47.1.2.3" || got.Network.AddressID != "eip-1" || got.BandwidthMbps != 10 || got.Quote == nil {
		t.Errorf("got %+v, want Running with the bound address, bandwidth and quote kept", got)
	}
}
