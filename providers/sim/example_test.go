package sim_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// A face builds on one Cloud: here, a network, an instance through its
// transitions on a manual clock, stock running out, a client token
// replayed with other parameters, and an injected fault.
func Example() {
	clk := sim.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := sim.New(func(o *sim.Options) {
		o.Clock = clk
		o.TransitionDelay = time.Second
		o.Regions = []sim.Region{sim.NewRegion("r1", "r1-a", "r1-b")}
	})
	v, _ := c.CreateVPC(sim.VPCSpec{Region: "r1", CIDR: netip.MustParsePrefix("10.0.0.0/16")})
	clk.Advance(time.Second)
	s, _ := c.CreateSubnet(sim.SubnetSpec{Region: "r1", VPCID: v.ID, Zone: "r1-a", CIDR: netip.MustParsePrefix("10.0.1.0/24")})
	clk.Advance(time.Second)

	c.SetStock("r1", "r1-a", "small", 1)
	ins, _ := c.CreateInstances(sim.InstanceSpec{Region: "r1", Zone: "r1-a", Type: "small", SubnetID: s.ID})
	id := ins[0].ID
	for range 3 {
		in, _ := c.Instance("r1", id)
		fmt.Println(in.State, in.PrivateIP)
		clk.Advance(time.Second)
	}
	_, err := c.CreateInstances(sim.InstanceSpec{Region: "r1", Zone: "r1-a", Type: "small", SubnetID: s.ID})
	fmt.Println(sim.ClassOf(err), c.StockCategory("r1", "r1-a", "small", sim.OnDemand))

	key := sim.TokenKey{Action: "AllocateAddress", Region: "r1", Token: "t-1"}
	alloc := func() (any, error) {
		a, err := c.AllocateAddress(sim.AddressSpec{Region: "r1"})
		return a.ID, err
	}
	first, _, _ := c.Idempotent(key, sim.Fingerprint(map[string][]string{"Bandwidth": {"5"}}), alloc)
	again, replayed, _ := c.Idempotent(key, sim.Fingerprint(map[string][]string{"Bandwidth": {"5"}}), alloc)
	_, _, err = c.Idempotent(key, sim.Fingerprint(map[string][]string{"Bandwidth": {"10"}}), alloc)
	fmt.Println(first == again, replayed, errors.Is(err, sim.ErrIdempotentMismatch))

	c.InjectFault(sim.Fault{Action: "StopInstances", Class: sim.ClassThrottled, Count: 1})
	f, _ := c.Enter(context.Background(), "StopInstances", "r1")
	fmt.Println(f.Err().Class)
	// Output:
	// Pending 10.0.1.3
	// Starting 10.0.1.3
	// Running 10.0.1.3
	// NoStock WithoutStock
	// true true true
	// Throttled
}
