package multicloud_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// TestQuoteThenCreateWithoutKeyBuildsQuotedPlan quotes a request that
// names no zone while the first zone is sold out, then gives that zone
// stock (a fresh resolution would now pick it) and creates the same
// request, without an IdempotencyKey: the instance is built where, and as,
// it was priced.
func TestQuoteThenCreateWithoutKeyBuildsQuotedPlan(t *testing.T) {
	cloud := fake.New()
	const region, typ = "cn-hangzhou", "ecs.g7.large"
	cloud.SetStock(region, "cn-hangzhou-h", typ, 0)
	c, err := multicloud.New(mustRegistry(t, cloud), multicloud.UsePollInterval(time.Millisecond), multicloud.UseRetryPolicy(fastRetry))
	if err != nil {
		t.Fatal(err)
	}
	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider("fake"),
		multicloud.WithPlacement(region, ""),
		multicloud.WithOwner("t1", "u1"),
		multicloud.WithName("train-01"),
		multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithInstanceType(typ),
	)
	ctx := context.Background()
	q, err := c.Quote(ctx, req)
	if err != nil {
		t.Fatalf("Quote: %v", err)
	}
	if q.Zone == "cn-hangzhou-h" {
		t.Fatalf("quoted zone %s, want another than the sold-out one", q.Zone)
	}

	cloud.SetStock(region, "cn-hangzhou-h", typ, 10) // stock moves
	fresh, err := cloud.Resolve(ctx, req, multicloud.Placement{Provider: "fake", Region: region})
	if err != nil || fresh.Zone != "cn-hangzhou-h" {
		t.Fatalf("fresh resolution: got %+v, %v; want cn-hangzhou-h, so that the test means something", fresh, err)
	}

	insts, err := c.CreateInstance(ctx, req)
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if got := insts[0].Zone; got != q.Zone {
		t.Errorf("created in zone %s, want the quoted %s", got, q.Zone)
	}
	if diff := cmp.Diff(q, insts[0].Quote); diff != "" {
		t.Errorf("instance's quote differs from the one given (-quoted +instance):\n%s", diff)
	}

	// Another request (another name) is its own: it resolves afresh.
	other := req.Clone()
	other.InstanceName = "train-02"
	insts, err = c.CreateInstance(ctx, other)
	if err != nil {
		t.Fatalf("CreateInstance of another request: %v", err)
	}
	if got := insts[0].Zone; got != "cn-hangzhou-h" {
		t.Errorf("another request created in %s, want a fresh resolution to cn-hangzhou-h", got)
	}
}

func mustRegistry(t *testing.T, ps ...multicloud.Provider) *multicloud.Registry {
	t.Helper()
	reg, err := multicloud.NewRegistry(ps...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
