package fake_test

import (
	"context"
	"fmt"
	"log"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// A service's unit test: create GPU instances through the Client against
// the fake cloud, then assert on what the cloud holds.
func Example() {
	cloud := fake.New()
	reg, err := multicloud.NewRegistry(cloud)
	if err != nil {
		log.Fatal(err)
	}
	client, err := multicloud.New(reg)
	if err != nil {
		log.Fatal(err)
	}

	insts, err := client.CreateInstance(context.Background(), multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider("fake"),
		multicloud.WithPlacement("cn-hangzhou", ""),
		multicloud.WithOwner("tenant-1", "alice"),
		multicloud.WithName("train-job"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("A10", 1),
		multicloud.WithPublicIP(10, multicloud.Traffic),
		multicloud.AddPorts(22, 8888),
		multicloud.WithQuantity(2),
	))
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range insts {
		fmt.Println(in.Status, in.Zone, in.InstanceType, in.PublicIP != "", in.Warnings)
	}
	fmt.Println(insts[0].Quote)

	audit := cloud.Audit()
	fmt.Println("vpcs:", audit.VPCs, "groups:", audit.SecurityGroups)
	fmt.Println("addresses:", audit.Addresses, "unbound:", audit.UnboundAddresses)
	fmt.Println("port calls:", cloud.CallCount("AuthorizePorts"))
	// Output:
	// Running cn-hangzhou-h ecs.gn7i-c8g1.2xlarge true []
	// Running cn-hangzhou-h ecs.gn7i-c8g1.2xlarge true []
	// fake ecs.gn7i-c8g1.2xlarge x2: 19.14 CNY/hour (instance 19.06, disk 0.08, bandwidth 0.00)
	// vpcs: map[alice:1] groups: map[alice:1]
	// addresses: map[InUse:2] unbound: 0
	// port calls: 1
}

// Injected faults make a test see what a real cloud does on a bad day:
// here the first two creates are throttled and the Client retries.
func ExampleProvider_InjectFault() {
	cloud := fake.New()
	cloud.InjectFault(fake.Fault{Action: "Create", Class: sim.ClassThrottled, Count: 2})
	reg, _ := multicloud.NewRegistry(cloud)
	client, _ := multicloud.New(reg, multicloud.UseRetryPolicy(multicloud.RetryPolicy{BaseDelay: 1}))

	insts, err := client.CreateInstance(context.Background(), multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider("fake"), multicloud.WithPlacement("cn-shanghai", ""),
		multicloud.WithOwner("tenant-1", "bob"), multicloud.WithName("web"),
		multicloud.WithImage("ubuntu-22.04"), multicloud.WithCPUMemory(2, 4),
	))
	fmt.Println(len(insts), err, cloud.CallCount("Create"))
	for _, c := range cloud.Calls() {
		if c.Action == "Create" {
			fmt.Println(c.Action, multicloud.CodeOf(c.Err))
		}
	}
	// Output:
	// 1 <nil> 3
	// Create THROTTLED
	// Create THROTTLED
	// Create
}
