package network_test

import (
	"context"
	"fmt"
	"time"

	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// ExampleProvisioner_Ensure finds or creates a user's network on the fake
// cloud: the first call creates the VPC, the zone's switch and the group,
// the second is answered from the cache.
func ExampleProvisioner_Ensure() {
	cloud := fake.New()
	p := network.NewProvisioner(cloud, func(o *network.Options) { o.PollInterval = time.Millisecond })
	scope := network.Scope{Provider: "fake", Account: "demo", Region: "cn-hangzhou", Tenant: "t1", Owner: "alice"}

	ctx := context.Background()
	n, err := p.Ensure(ctx, scope, "cn-hangzhou-h")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("vpc", n.VPC.CIDR, n.VPC.Status)
	fmt.Println("switch", n.Switch.Zone, n.Switch.CIDR)

	again, err := p.Ensure(ctx, scope, "cn-hangzhou-h")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same network:", again.VPC == n.VPC && again.Switch.ID == n.Switch.ID && again.SecurityGroup == n.SecurityGroup)
	// Output:
	// vpc 172.31.0.0/16 Available
	// switch cn-hangzhou-h 172.31.250.0/24
	// same network: true
}

func ExamplePlanSwitch() {
	block, err := network.PlanSwitch("172.16.0.0/16", 24, []string{"172.16.0.0/24", "172.16.1.0/24"}, "")
	fmt.Println(block, err)
	// Output: 172.16.2.0/24 <nil>
}
