package multicloud_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
)

// instantProvider answers every call at once, so a benchmark over it
// measures the portable layer alone: normalization, validation, tag
// injection, scheduling, plan memo, quote cache, token, retry wrapper.
type instantProvider struct{}

func (instantProvider) Code() string { return "instant" }
func (instantProvider) Resolve(_ context.Context, _ *multicloud.CreateInstanceRequest, p multicloud.Placement) (*multicloud.Plan, error) {
	p.Zone, p.InstanceType = "z1", "t1"
	return &multicloud.Plan{Placement: p, ImageID: "img"}, nil
}
func (instantProvider) Quote(_ context.Context, r pricing.Request) (*pricing.Quote, error) {
	return &pricing.Quote{Provider: r.Provider, InstanceType: r.InstanceType, Currency: "CNY"}, nil
}
func (instantProvider) Create(_ context.Context, s *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
	return []*multicloud.Instance{{ID: "i-1", Provider: "instant", Region: s.Plan.Region, Zone: s.Plan.Zone, Status: multicloud.StatusRunning, Tags: s.Tags}}, nil
}
func (instantProvider) Get(context.Context, string, string) (*multicloud.Instance, error) {
	return &multicloud.Instance{Status: multicloud.StatusRunning}, nil
}
func (instantProvider) List(context.Context, multicloud.ListQuery) (*multicloud.InstancePage, error) {
	return &multicloud.InstancePage{}, nil
}
func (instantProvider) Start(context.Context, string, string) error        { return nil }
func (instantProvider) Stop(context.Context, string, string, bool) error   { return nil }
func (instantProvider) Reboot(context.Context, string, string, bool) error { return nil }
func (instantProvider) Delete(context.Context, string, string, bool) error { return nil }

// BenchmarkClientCreateInstance measures Client.CreateInstance over a
// provider that costs nothing: the portable layer's own overhead per
// create (target: under 50µs). Every iteration is a new order (a new
// idempotency key), as in production.
func BenchmarkClientCreateInstance(b *testing.B) {
	reg, err := multicloud.NewRegistry(instantProvider{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := multicloud.New(reg)
	if err != nil {
		b.Fatal(err)
	}
	req := validRequest()
	req.Provider = "instant"
	req.Tags = map[string]string{"order": "o"}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req.IdempotencyKey = "order-" + strconv.Itoa(i)
		if _, err := c.CreateInstance(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
