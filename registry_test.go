package multicloud_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/multicloudmock"
	"go.uber.org/mock/gomock"
)

func mockNamed(t *testing.T, code string) *multicloudmock.MockProvider {
	p := multicloudmock.NewMockProvider(gomock.NewController(t))
	p.EXPECT().Code().Return(code).AnyTimes()
	return p
}

func TestRegistry(t *testing.T) {
	reg, err := multicloud.NewRegistry(mockNamed(t, "aliyun"), mockNamed(t, "fake"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"aliyun", "ALIYUN", " Aliyun "} {
		p, err := reg.Get(code)
		if err != nil || p.Code() != "aliyun" {
			t.Errorf("Get(%q) = %v, %v; want the aliyun provider", code, p, err)
		}
	}
	_, err = reg.Get("aws")
	if !errors.Is(err, multicloud.ErrProviderUnknown) || errors.Is(err, multicloud.ErrNotFound) || !strings.Contains(err.Error(), "aliyun, fake") {
		t.Errorf("Get(aws) = %v, want ErrProviderUnknown (not ErrNotFound) naming the known codes", err)
	}
	if err := reg.Register(mockNamed(t, "ALIYUN")); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("duplicate Register = %v, want ErrInvalidArgument", err)
	}
	if err := reg.Register(nil); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("nil Register = %v, want ErrInvalidArgument", err)
	}
	if err := reg.Register(mockNamed(t, "")); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("empty code Register = %v, want ErrInvalidArgument", err)
	}
	if diff := cmp.Diff([]string{"aliyun", "fake"}, reg.Codes()); diff != "" {
		t.Errorf("Codes (-want +got):\n%s", diff)
	}
	if _, err := multicloud.New(nil); !errors.Is(err, multicloud.ErrInvalidArgument) {
		t.Errorf("New(nil) = %v, want ErrInvalidArgument", err)
	}
}

type healthyProvider struct {
	*multicloudmock.MockProvider
	err error
}

func (h healthyProvider) CheckHealth(context.Context) error { return h.err }

func TestRegistryCheck(t *testing.T) {
	down := errors.New("connection refused")
	reg, _ := multicloud.NewRegistry(mockNamed(t, "plain"), healthyProvider{mockNamed(t, "up"), nil}, healthyProvider{mockNamed(t, "down"), down})
	ctx := context.Background()
	for code, want := range map[string]error{"plain": nil, "up": nil, "down": multicloud.ErrProviderUnavailable, "missing": multicloud.ErrProviderUnknown} {
		err := reg.Check(ctx, code)
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("Check(%s) = %v, want %v", code, err, want)
		}
	}
	if err := reg.Check(ctx, "down"); !errors.Is(err, down) {
		t.Errorf("Check(down) = %v, want the cause attached", err)
	}
}

func TestSchedulers(t *testing.T) {
	reg, _ := multicloud.NewRegistry(mockNamed(t, "aliyun"), mockNamed(t, "fake"))
	req := validRequest()
	req.Provider, req.Zone, req.InstanceType = "Aliyun", "cn-hangzhou-h", "ecs.gn7-c12g1.3xlarge"
	ctx := context.Background()

	got, err := multicloud.FixedScheduler{}.Schedule(ctx, req, reg)
	want := []multicloud.Placement{{Provider: "aliyun", Region: "cn-hangzhou", Zone: "cn-hangzhou-h", InstanceType: "ecs.gn7-c12g1.3xlarge"}}
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("Fixed = %v, %v; want %v", got, err, want)
	}
	req2 := req.Clone()
	req2.Provider = "gcp"
	if _, err := (multicloud.FixedScheduler{}).Schedule(ctx, req2, reg); !errors.Is(err, multicloud.ErrProviderUnknown) {
		t.Errorf("Fixed with unknown provider = %v, want ErrProviderUnknown", err)
	}

	fo := multicloud.FailoverScheduler{Placements: []multicloud.Placement{
		{Zone: "cn-hangzhou-i"},
		{Provider: "gcp", Region: "us-central1"},
		{Provider: "fake", Region: "cn-shanghai", InstanceType: "ecs.gn7e-c16g1.4xlarge"},
	}}
	got, err = fo.Schedule(ctx, req, reg)
	want = []multicloud.Placement{
		{Provider: "aliyun", Region: "cn-hangzhou", Zone: "cn-hangzhou-i", InstanceType: "ecs.gn7-c12g1.3xlarge"},
		{Provider: "fake", Region: "cn-shanghai", Zone: "cn-hangzhou-h", InstanceType: "ecs.gn7e-c16g1.4xlarge"},
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Failover (-want +got):\n%s", diff)
	}
	if _, err := (multicloud.FailoverScheduler{Placements: []multicloud.Placement{{Provider: "gcp"}}}).Schedule(ctx, req, reg); !errors.Is(err, multicloud.ErrNoPlacement) {
		t.Errorf("Failover with nothing usable = %v, want ErrNoPlacement", err)
	}
}

func TestErrorFormatAndCodes(t *testing.T) {
	cause := errors.New("sdk says no")
	e := &multicloud.Error{Op: "RunInstances", Provider: "aliyun", Region: "cn-hangzhou", Code: multicloud.CodeNoStock,
		ProviderCode: "OperationDenied.NoStock", RequestID: "ABC", Message: "sold out", Err: cause}
	if got, want := e.Error(), "RunInstances aliyun/cn-hangzhou: sold out: sdk says no (OperationDenied.NoStock, request id ABC)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, multicloud.ErrNoStock) || errors.Is(e, multicloud.ErrQuotaExceeded) || !errors.Is(e, cause) {
		t.Errorf("errors.Is on %v gave the wrong answers", e)
	}
	if !multicloud.IsCapacity(e) || multicloud.IsRetryable(e) {
		t.Errorf("IsCapacity/IsRetryable wrong for %v", e)
	}
	for err, want := range map[error]multicloud.Code{
		nil: "", errors.New("x"): multicloud.CodeUnknown, context.Canceled: multicloud.CodeCanceled,
		multicloud.ErrThrottled: multicloud.CodeThrottled, e: multicloud.CodeNoStock,
	} {
		if got := multicloud.CodeOf(err); got != want {
			t.Errorf("CodeOf(%v) = %q, want %q", err, got, want)
		}
	}
	w := multicloud.Errorf(multicloud.CodeNetwork, "create vpc for %s: %w", "u1", cause)
	if w.Message != "create vpc for u1" || !errors.Is(w, cause) || !errors.Is(w, multicloud.ErrNetwork) {
		t.Errorf("Errorf = %#v, want message without the cause, wrapping it", w)
	}
}
