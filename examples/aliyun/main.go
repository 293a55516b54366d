// Command aliyun runs the quickstart flow on Alibaba Cloud: quote an
// instance, create it with ports open and an elastic IP, create a second
// one for the same user (the network is reused), then stop, start and
// delete both, releasing their addresses.
//
// With ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET set
// it runs against real Aliyun (region ALIBABA_CLOUD_REGION_ID, default
// cn-hangzhou) with the cheapest burstable type, and creates billable
// resources for the minute it runs; otherwise it runs against an
// in-process aliyuntest emulator. It says which.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.SetFlags(0)
		log.Fatal("aliyun: ", err)
	}
}

func run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()

	region := envOr("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
	var opts []func(*aliyun.Options)
	instanceType, poll := "ecs.t6-c1m1.large", 2*time.Second
	if os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") != "" && os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET") != "" {
		fmt.Printf("running against real Alibaba Cloud in %s (billable resources are created, then deleted)\n", region)
		// Credentials come from the SDK's default chain: the environment.
	} else {
		srv := aliyuntest.NewServer(aliyuntest.WithTransitionDelay(50 * time.Millisecond))
		defer srv.Close()
		fmt.Printf("running against an in-process Aliyun emulator at %s (set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET for real Aliyun)\n", srv.Host())
		instanceType, poll = "ecs.gn7i-c8g1.2xlarge", 20*time.Millisecond
		opts = append(opts, func(o *aliyun.Options) {
			o.Endpoint, o.Scheme = srv.Host(), "HTTP"
			o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
			o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = 20 * time.Millisecond }}
		})
	}
	prov, err := aliyun.New(opts...)
	if err != nil {
		return err
	}
	if err := prov.CheckHealth(ctx); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	reg, err := multicloud.NewRegistry(prov)
	if err != nil {
		return err
	}
	client, err := multicloud.New(reg, multicloud.UsePollInterval(poll))
	if err != nil {
		return err
	}

	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider(aliyun.ProviderCode),
		multicloud.WithPlacement(region, ""),
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("quickstart-01"),
		multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithInstanceType(instanceType),
		multicloud.AddPorts(22, 80, 443, 8888),
		multicloud.WithPublicIP(5, multicloud.Traffic),
	)

	step("1. quote")
	quote, err := client.Quote(ctx, req)
	if err != nil {
		return err
	}
	fmt.Printf("   %s\n", quote)

	step("2. create with ports 22/80/443/8888 and a 5 Mbit/s elastic IP")
	var created []*multicloud.Instance
	defer func() { cleanup(client, created) }()
	first, err := create(ctx, client, req)
	if first != nil {
		created = append(created, first)
	}
	if err != nil {
		return err
	}

	step("3. a second instance for the same user reuses the network")
	req2 := req.Clone()
	req2.InstanceName, req2.IdempotencyKey = "quickstart-02", ""
	second, err := create(ctx, client, req2)
	if second != nil {
		created = append(created, second)
	}
	if err != nil {
		return err
	}
	fmt.Printf("   same VPC: %v, same security group: %v\n",
		first.Network.VPCID == second.Network.VPCID, first.Network.SecurityGroupID == second.Network.SecurityGroupID)

	step("4. stop, start, delete")
	for _, in := range created {
		if err := client.Stop(ctx, in.Ref()); err != nil {
			return err
		}
		if _, err := client.Wait(ctx, in.Ref(), multicloud.StatusStopped, 5*time.Minute); err != nil {
			return err
		}
		if err := client.Start(ctx, in.Ref()); err != nil {
			return err
		}
		if _, err := client.Wait(ctx, in.Ref(), multicloud.StatusRunning, 5*time.Minute); err != nil {
			return err
		}
		fmt.Printf("   %s stopped and started\n", in.ID)
	}
	return nil
}

func create(ctx context.Context, c *multicloud.Client, req *multicloud.CreateInstanceRequest) (*multicloud.Instance, error) {
	insts, err := c.CreateInstance(ctx, req)
	if len(insts) == 0 {
		return nil, err
	}
	in := insts[0]
	fmt.Printf("   %s %s in %s: %s, public %s, vpc %s\n", in.ID, in.InstanceType, in.Zone, in.Status, in.PublicIP, in.Network.VPCID)
	for _, w := range in.Warnings {
		fmt.Printf("   warning: %s\n", w)
	}
	return in, err
}

// cleanup deletes what the run created, even after a failure, so that
// nothing stays billed.
func cleanup(c *multicloud.Client, insts []*multicloud.Instance) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, in := range insts {
		if err := c.Delete(ctx, in.Ref(), multicloud.Force()); err != nil {
			fmt.Printf("   delete %s: %v (delete it by hand)\n", in.ID, err)
			continue
		}
		fmt.Printf("   %s deleted with its elastic IP\n", in.ID)
	}
}

func step(s string) { fmt.Println(s) }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
