package network_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// gatewayPrims adds a VPCPreparer step (an internet gateway, as AWS needs)
// to the fake cloud's primitives and logs when it ran.
type gatewayPrims struct {
	network.Primitives
	cloud    *sim.Cloud
	mu       sync.Mutex
	prepared []string // VPC IDs, in call order
	tokens   map[string]string
	err      error
}

func (g *gatewayPrims) PrepareVPC(ctx context.Context, scope network.Scope, vpc network.VPC, token string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	if vpc.Status != network.StatusAvailable {
		return multicloud.Errorf(multicloud.CodeInvalidArgument, "vpc %s prepared while %s", vpc.ID, vpc.Status)
	}
	if len(g.cloud.Subnets(scope.Region, vpc.ID)) > 0 || len(g.cloud.SecurityGroups(scope.Region, vpc.ID)) > 0 {
		return multicloud.Errorf(multicloud.CodeInvalidArgument, "vpc %s prepared after its switch or group", vpc.ID)
	}
	if prev, ok := g.tokens[vpc.ID]; ok && prev != token {
		return multicloud.Errorf(multicloud.CodeIdempotency, "vpc %s prepared with token %s, then %s", vpc.ID, prev, token)
	}
	g.tokens[vpc.ID] = token
	g.prepared = append(g.prepared, vpc.ID)
	return nil
}

func TestVPCPreparerRunsOncePerVPCBeforeItsSwitches(t *testing.T) {
	c := pendingCloud(t, 1)
	g := &gatewayPrims{Primitives: c, cloud: c.Cloud(), tokens: make(map[string]string)}
	p := network.NewProvisioner(g, fastOptions)
	ctx := context.Background()
	n1, err := p.Ensure(ctx, testScope("u1"), "z1")
	if err != nil {
		t.Fatalf("Ensure u1: %v", err)
	}
	if _, err := p.Ensure(ctx, testScope("u1"), "z2"); err != nil {
		t.Fatalf("Ensure u1 in z2: %v", err)
	}
	n2, err := p.Ensure(ctx, testScope("u2"), "z1")
	if err != nil {
		t.Fatalf("Ensure u2: %v", err)
	}
	if diff := cmp.Diff([]string{n1.VPC.ID, n2.VPC.ID}, g.prepared); diff != "" {
		t.Errorf("prepared vpcs (-want +got):\n%s", diff)
	}

	// A failing step fails the flow as a network error, and nothing is
	// cached: the next Ensure prepares again.
	g.err = multicloud.Errorf(multicloud.CodePermissionDenied, "gateway refused")
	_, err = p.Ensure(ctx, testScope("u3"), "z1")
	if !errors.Is(err, multicloud.ErrNetwork) {
		t.Fatalf("Ensure with a failing step: got %v, want an error matching ErrNetwork", err)
	}
	g.err = nil
	if _, err := p.Ensure(ctx, testScope("u3"), "z1"); err != nil {
		t.Fatalf("Ensure after the step recovered: %v", err)
	}
	if got := len(g.prepared); got != 3 {
		t.Errorf("prepared vpcs: got %d, want 3", got)
	}
}
