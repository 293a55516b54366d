package aws_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// checkNoLeak fails unless the emulator holds no live instance outside
// keep and no Elastic IP bound to nothing, once transitions have settled.
func checkNoLeak(t *testing.T, srv *awstest.Server, keep int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		live, unbound := 0, 0
		for _, in := range srv.Cloud().Instances(region) {
			if in.State != sim.StateDeleted && in.State != sim.StateDeleting {
				live++
			}
		}
		for _, a := range srv.Cloud().Addresses(region) {
			if a.InstanceID == "" {
				unbound++
			}
		}
		if live == keep && unbound == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("emulator holds %d live instances (want %d) and %d unbound addresses (want 0)", live, keep, unbound)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCanceledCreateLeaksNothing ends the caller's context while a
// billable call is in flight and its response is slow: what the cloud
// created is released, and the error is ErrCanceled.
func TestCanceledCreateLeaksNothing(t *testing.T) {
	for _, action := range []string{"AllocateAddress", "RunInstances"} {
		t.Run(action, func(t *testing.T) {
			srv := newServer(t)
			c := newClient(t, nil, newProvider(t, srv))
			// Warm the user's network so the slow call is the one in flight.
			warm, err := c.CreateInstance(testCtx(t), request("t1", "u1", multicloud.WithName("warm")))
			if err != nil {
				t.Fatal(err)
			}
			srv.Cloud().InjectFault(sim.Fault{Action: action, Kind: sim.FaultSlow, Latency: 300 * time.Millisecond})
			ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
			defer cancel()
			insts, err := c.CreateInstance(ctx, request("t1", "u1", multicloud.WithPublicIP(5, multicloud.Traffic)))
			if len(insts) != 0 || !errors.Is(err, multicloud.ErrCanceled) {
				t.Fatalf("got %d instances and %v, want none and ErrCanceled", len(insts), err)
			}
			srv.Cloud().ClearFaults()
			checkNoLeak(t, srv, len(warm))
		})
	}
}

// TestLostRunInstancesResponse loses the answer to RunInstances: the
// create asks again with the same client token and returns the instance
// the first call made, without a second one.
func TestLostRunInstancesResponse(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, nil, newProvider(t, srv))
	srv.Cloud().InjectFault(sim.Fault{Action: "RunInstances", Kind: sim.FaultLost, Count: 1})
	insts, err := c.CreateInstance(testCtx(t), request("t1", "u1", multicloud.WithPublicIP(5, multicloud.Traffic)))
	if err != nil || len(insts) != 1 {
		t.Fatalf("CreateInstance: %d instances, %v; want 1", len(insts), err)
	}
	if n := srv.Cloud().CallCount("RunInstances"); n < 2 {
		t.Errorf("RunInstances calls: %d, want the lost one and its repeat", n)
	}
	checkNoLeak(t, srv, 1)
}

// TestLostTerminateResponseReleasesAddress loses the answer to
// TerminateInstances: the repeated call succeeds on the terminated
// instance, and its Elastic IP is released all the same.
func TestLostTerminateResponseReleasesAddress(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, nil, newProvider(t, srv))
	insts, err := c.CreateInstance(testCtx(t), request("t1", "u1", multicloud.WithPublicIP(5, multicloud.Traffic)))
	if err != nil {
		t.Fatal(err)
	}
	srv.Cloud().InjectFault(sim.Fault{Action: "TerminateInstances", Kind: sim.FaultLost, Count: 1})
	if err := c.Delete(testCtx(t), insts[0].Ref(), multicloud.Force()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if n := srv.Cloud().CallCount("TerminateInstances"); n < 2 {
		t.Errorf("TerminateInstances calls: %d, want the lost one and its repeat", n)
	}
	checkNoLeak(t, srv, 0)
	if n := len(srv.Cloud().Addresses(region)); n != 0 {
		t.Errorf("%d addresses after the delete, want 0", n)
	}
}

// TestThrottledRunInstancesRetriedByClient throttles the first
// RunInstances (RequestLimitExceeded): the SDK does not retry it (its
// retryer is off), the Client's retry layer does, with the same client
// token, and one instance results.
func TestThrottledRunInstancesRetriedByClient(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, nil, newProvider(t, srv))
	srv.Cloud().InjectFault(sim.Fault{Action: "RunInstances", Class: sim.ClassThrottled, Count: 1})
	insts, err := c.CreateInstance(testCtx(t), request("t1", "u-throttle"))
	if err != nil || len(insts) != 1 {
		t.Fatalf("CreateInstance: %d instances, %v; want 1", len(insts), err)
	}
	if n := srv.Cloud().CallCount("RunInstances"); n != 2 {
		t.Errorf("RunInstances calls: %d, want 2 (the throttled one and the Client's retry)", n)
	}
	checkNoLeak(t, srv, 1)
}
