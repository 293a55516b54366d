package multicloud_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/pricing"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// newExampleClient returns a client over a fresh fake cloud.
func newExampleClient(cloud *fake.Provider, opts ...multicloud.ClientOption) *multicloud.Client {
	reg, err := multicloud.NewRegistry(cloud)
	if err != nil {
		panic(err)
	}
	client, err := multicloud.New(reg, append([]multicloud.ClientOption{multicloud.UsePollInterval(time.Millisecond)}, opts...)...)
	if err != nil {
		panic(err)
	}
	return client
}

func a100Request() *multicloud.CreateInstanceRequest {
	return multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider("fake"),
		multicloud.WithPlacement("cn-hangzhou", "cn-hangzhou-h"),
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("train-01"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("A100", 1),
		multicloud.AddPorts(22, 80, 443, 8888),
		multicloud.WithPublicIP(10, multicloud.Traffic),
	)
}

func ExampleClient_CreateInstance() {
	ctx := context.Background()
	client := newExampleClient(fake.New())

	insts, err := client.CreateInstance(ctx, a100Request())
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	in := insts[0]
	fmt.Println(in.Status, in.InstanceType, in.Zone)
	fmt.Println("public IP:", in.PublicIP != "", "warnings:", len(in.Warnings))
	fmt.Println("owner tags:", in.Tags["tenantId"], in.Tags["Owner"], in.Tags["createdBy"])
	// Output:
	// Running ecs.gn7-c12g1.3xlarge cn-hangzhou-h
	// public IP: true warnings: 0
	// owner tags: tenant-acme user-42 multicloud
}

func ExampleClient_Quote() {
	client := newExampleClient(fake.New())
	q, err := client.Quote(context.Background(), a100Request())
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("%s %s: %.2f %s/hour, %.2f %s/month\n", q.InstanceType, q.ChargeMode, q.Hourly.Total, q.Currency, q.Monthly.Total, q.Currency)
	// Output:
	// ecs.gn7-c12g1.3xlarge ON_DEMAND: 31.62 CNY/hour, 23082.60 CNY/month
}

func ExampleCreateInstanceRequest_Validate() {
	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithOwner("tenant-acme", ""),
		multicloud.WithName("9lives"),
		multicloud.AddTag("Owner", "someone-else"),
	)
	req.Normalize()
	err := req.Validate()
	fmt.Println(errors.Is(err, multicloud.ErrInvalidArgument))
	var fe *multicloud.FieldError
	for _, e := range errors.Unwrap(err).(interface{ Unwrap() []error }).Unwrap() {
		if errors.As(e, &fe) {
			fmt.Println(fe)
		}
	}
	// Output:
	// true
	// userId: is required
	// region: is required
	// imageKey: is required
	// instanceType: one of instanceType, gpuModel, or cpu and memory is required
	// tags: key "Owner" is reserved and set by the client
}

func ExampleFailoverScheduler() {
	ctx := context.Background()
	cloud := fake.New()
	cloud.SetStock("cn-hangzhou", "cn-hangzhou-h", "ecs.gn7-c12g1.3xlarge", 0) // sold out
	client := newExampleClient(cloud, multicloud.UseScheduler(multicloud.FailoverScheduler{
		Placements: []multicloud.Placement{{Zone: "cn-hangzhou-h"}, {Zone: "cn-hangzhou-i"}},
	}))

	req := a100Request()
	req.InstanceType = "ecs.gn7-c12g1.3xlarge" // an explicit type; without it another A100 type in zone h would do
	insts, err := client.CreateInstance(ctx, req)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("landed in", insts[0].Zone)

	cloud.SetStock("cn-hangzhou", "cn-hangzhou-i", "ecs.gn7-c12g1.3xlarge", 0)
	req.IdempotencyKey = "" // a new order
	_, err = client.CreateInstance(ctx, req)
	fmt.Println("all sold out:", errors.Is(err, multicloud.ErrNoStock))
	// Output:
	// landed in cn-hangzhou-i
	// all sold out: true
}

func ExampleFixedScheduler() {
	client := newExampleClient(fake.New())
	req := a100Request()
	req.Provider = "aws"
	_, err := client.CreateInstance(context.Background(), req)
	fmt.Println(errors.Is(err, multicloud.ErrProviderUnknown))
	// Output:
	// true
}

// Example_priceAware shows what a price-aware placement is built from: a
// provider's Candidates (multicloud.Candidater), a Quote of each, and
// pricing.Cheapest and pricing.Sort to compare them.
func Example_priceAware() {
	ctx := context.Background()
	cloud := fake.New()
	client := newExampleClient(cloud)
	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider("fake"),
		multicloud.WithPlacement("cn-hangzhou", "cn-hangzhou-i"),
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("web-01"),
		multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithCPUMemory(4, 16),
	)
	cands, err := cloud.Candidates(ctx, req, "cn-hangzhou")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	quotes := make([]*pricing.Quote, len(cands))
	for i, pl := range cands {
		r := req.Clone()
		r.Zone, r.InstanceType = pl.Zone, pl.InstanceType
		if quotes[i], err = client.Quote(ctx, r); err != nil {
			fmt.Println("error:", err)
			return
		}
	}
	best := cands[pricing.Cheapest(quotes)]
	fmt.Println("cheapest:", best.InstanceType, best.Zone)
	pricing.Sort(quotes)
	for _, q := range quotes {
		fmt.Printf("%s %.3f %s/hour\n", q.InstanceType, q.Hourly.Total, q.Currency)
	}
	// Output:
	// cheapest: ecs.g7.xlarge cn-hangzhou-i
	// ecs.g7.xlarge 1.140 CNY/hour
	// ecs.r7.xlarge 1.440 CNY/hour
	// ecs.g7.2xlarge 2.240 CNY/hour
	// ecs.g7.4xlarge 4.440 CNY/hour
}
