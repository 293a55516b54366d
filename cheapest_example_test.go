package multicloud_test

import (
	"context"
	"fmt"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

// exampleClouds returns two fake clouds: "fake" prices in CNY, "other"
// in USD, on one manual clock.
func exampleClouds(clock *fake.ManualClock) (*fake.Provider, *fake.Provider, *multicloud.Registry) {
	a := fake.New(func(o *fake.Options) {
		o.Clock = clock
		o.Prices.Types = map[string]float64{"ecs.gn7-c12g1.3xlarge": 31.58, "ecs.gn7e-c16g1.4xlarge": 34.74}
	})
	b := fake.New(func(o *fake.Options) {
		o.Code, o.Account, o.Clock = "other", "other-account", clock
		o.Regions = []fake.Region{{ID: "us-east-1", Zones: []string{"us-east-1a", "us-east-1b"}}}
		o.Prices.Currency = "USD"
		o.Prices.Types = map[string]float64{"ecs.gn7-c12g1.3xlarge": 4.0, "ecs.gn7e-c16g1.4xlarge": 4.5}
	})
	reg, err := multicloud.NewRegistry(a, b)
	if err != nil {
		panic(err)
	}
	return a, b, reg
}

// One A100 with at least 12 vCPUs and 90 GiB, in China or the US,
// wherever it is cheapest now: prices in USD compare with prices in CNY
// through the caller's rate.
func Example_cheapest() {
	ctx := context.Background()
	clock := fake.NewManualClock(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	a, _, reg := exampleClouds(clock)
	a.SetStock("cn-hangzhou", "cn-hangzhou-h", "ecs.gn7-c12g1.3xlarge", 0) // sold out
	sched := multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) {
		o.Now, o.Currency, o.Rates = clock.Now, "CNY", map[string]float64{"USD": 8.5}
	})
	client, err := multicloud.New(reg, multicloud.UseScheduler(sched), multicloud.UsePollInterval(time.Millisecond))
	if err != nil {
		panic(err)
	}
	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("train-01"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("NVIDIA A100", 1),
	)
	req.CPU, req.Memory = 12, 90
	req.Constraints = &multicloud.Constraints{Regions: []string{"cn-hangzhou", "us-east-1"}}

	e, err := sched.Explain(ctx, req, reg)
	if err != nil {
		panic(err)
	}
	fmt.Print(e)
	insts, err := client.CreateInstance(ctx, req)
	if err != nil {
		panic(err)
	}
	fmt.Println("created in", insts[0].Zone, insts[0].InstanceType, insts[0].Quote.Currency, insts[0].Quote.Hourly.Instance)
	// Output:
	// 1. fake/cn-hangzhou/cn-hangzhou-i/ecs.gn7-c12g1.3xlarge WithStock 31.5800 CNY/hour (fake price table, 0s old)
	// 2. fake/cn-hangzhou/cn-hangzhou-j/ecs.gn7-c12g1.3xlarge WithStock 31.5800 CNY/hour (fake price table, 0s old)
	// 3. other/us-east-1/us-east-1a/ecs.gn7-c12g1.3xlarge WithStock 4.0000 USD/hour (fake price table, 0s old)
	// 4. other/us-east-1/us-east-1b/ecs.gn7-c12g1.3xlarge WithStock 4.0000 USD/hour (fake price table, 0s old)
	// 5. fake/cn-hangzhou/cn-hangzhou-h/ecs.gn7e-c16g1.4xlarge WithStock 34.7400 CNY/hour (fake price table, 0s old)
	// rejected no_gpu_match: 185
	// rejected region_not_allowed: 312
	// rejected no_stock: 1
	// rejected beyond_attempt_limit: 4
	// created in cn-hangzhou-i ecs.gn7-c12g1.3xlarge CNY 31.58
}

// The cheaper cloud says it has stock, but its creates find none: the
// client moves down the scheduler's list and lands on the other cloud,
// and no later request tries the sold-out placements until their block
// ends. When everything is blocked, the answer is immediate: ErrNoStock
// with the time to come back.
func Example_failover() {
	ctx := context.Background()
	clock := fake.NewManualClock(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	a, b, reg := exampleClouds(clock)
	for _, z := range []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"} {
		a.SetStock("cn-hangzhou", z, "ecs.gn7e-c16g1.4xlarge", 0)
	}
	a.SetWrongStockRate(1) // its stock answer is wrong for every sold-out pair
	sched := multicloud.NewCheapestScheduler(func(o *multicloud.CheapestOptions) { o.Now = clock.Now })
	client, err := multicloud.New(reg, multicloud.UseScheduler(sched), multicloud.UsePollInterval(time.Millisecond))
	if err != nil {
		panic(err)
	}
	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("train-02"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("A100", 1),
	)
	req.CPU, req.Memory = 16, 120
	req.Constraints = &multicloud.Constraints{Regions: []string{"cn-hangzhou", "us-east-1"}}

	insts, err := client.CreateInstance(ctx, req)
	if err != nil {
		panic(err)
	}
	fmt.Println("created on", insts[0].Provider, insts[0].Zone)

	for _, z := range []string{"us-east-1a", "us-east-1b"} {
		b.SetStock("us-east-1", z, "ecs.gn7e-c16g1.4xlarge", 0)
	}
	b.SetWrongStockRate(1)
	clock.Advance(30 * time.Second) // within the stock answers' refresh interval
	_, err = client.CreateInstance(ctx, req)
	fmt.Println(err)

	_, err = client.CreateInstance(ctx, req)
	at, _ := multicloud.RetryAfter(err)
	fmt.Println("then at once:", multicloud.CodeOf(err), "retry after", at.Format(time.TimeOnly))
	// Output:
	// created on other us-east-1a
	// CreateInstance: tried 2 of 2 placements: other/us-east-1/us-east-1a/ecs.gn7e-c16g1.4xlarge: Resolve other/us-east-1: no stock in us-east-1a of ecs.gn7e-c16g1.4xlarge (OperationDenied.NoStock)
	// other/us-east-1/us-east-1b/ecs.gn7e-c16g1.4xlarge: Resolve other/us-east-1: no stock in us-east-1b of ecs.gn7e-c16g1.4xlarge (OperationDenied.NoStock)
	// then at once: NO_STOCK retry after 03:03:00
}
