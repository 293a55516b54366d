// Command aws runs the quickstart flow on AWS EC2 and shows cross-cloud
// failover: quote an instance, create it through a FailoverScheduler whose
// first placement (an Aliyun zone) is out of stock, so that it lands on
// AWS with an Elastic IP and ports open; create a second one for the same
// user (the network is reused); then stop, start and delete both,
// releasing their addresses.
//
// With AWS_ACCESS_KEY_ID set (or AWS_PROFILE) it runs against real AWS
// (region AWS_REGION, default us-east-1) with the cheapest burstable type,
// and creates billable resources for the minute it runs; the Aliyun
// placement is then an emulator out of stock all the same. Otherwise both
// clouds are in-process emulators (awstest, aliyuntest). It says which.
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
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.SetFlags(0)
		log.Fatal("aws: ", err)
	}
}

func run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()

	region := envOr("AWS_REGION", "us-east-1")
	opts := []func(*aws.Options){func(o *aws.Options) { o.HomeRegion = region }}
	instanceType, poll := "t3.micro", 2*time.Second
	if os.Getenv("AWS_ACCESS_KEY_ID") != "" || os.Getenv("AWS_PROFILE") != "" {
		fmt.Printf("running against real AWS in %s (billable resources are created, then deleted)\n", region)
		// Credentials come from the SDK's default chain.
	} else {
		srv := awstest.New()
		defer srv.Close()
		fmt.Printf("running against an in-process AWS emulator at %s (set AWS_ACCESS_KEY_ID or AWS_PROFILE for real AWS)\n", srv.URL())
		instanceType, poll = "m5.large", 20*time.Millisecond
		opts = append(opts, func(o *aws.Options) {
			o.BaseEndpoint, o.HTTPClient = srv.URL(), srv.HTTPClient()
			o.AccessKeyID, o.SecretAccessKey = awstest.DefaultAccessKeyID, multicloud.Secret(awstest.DefaultSecretAccessKey)
			o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = 20 * time.Millisecond }}
		})
	}
	awsP, err := aws.New(ctx, opts...)
	if err != nil {
		return err
	}
	id, err := awsP.CallerIdentity(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	fmt.Printf("   signed in as %s (account %s)\n", id.ARN, id.Account)

	// The first placement: an Aliyun zone with no stock of its type.
	ali := aliyuntest.NewServer()
	defer ali.Close()
	ali.SetStock("cn-hangzhou", "cn-hangzhou-h", "ecs.g7.large", 0)
	aliP, err := aliyun.New(func(o *aliyun.Options) {
		o.Endpoint, o.Scheme = ali.Host(), "HTTP"
		o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
	})
	if err != nil {
		return err
	}

	reg, err := multicloud.NewRegistry(aliP, awsP)
	if err != nil {
		return err
	}
	sched := multicloud.FailoverScheduler{Placements: []multicloud.Placement{
		{Provider: aliyun.ProviderCode, Region: "cn-hangzhou", Zone: "cn-hangzhou-h", InstanceType: "ecs.g7.large"},
		{Provider: aws.ProviderCode, Region: region, InstanceType: instanceType},
	}}
	client, err := multicloud.New(reg, multicloud.UsePollInterval(poll), multicloud.UseScheduler(sched))
	if err != nil {
		return err
	}

	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithPlacement(region, ""),
		multicloud.WithCPUMemory(2, 1),
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("quickstart-01"),
		multicloud.WithImage("ubuntu-22.04"),
		multicloud.AddPorts(22, 80, 443, 8888),
		multicloud.WithPublicIP(5, multicloud.Traffic),
	)

	step("1. quote on AWS")
	awsOnly := req.Clone()
	awsOnly.Provider, awsOnly.InstanceType = aws.ProviderCode, instanceType
	quoteClient, err := multicloud.New(reg, multicloud.UsePollInterval(poll))
	if err != nil {
		return err
	}
	quote, err := quoteClient.Quote(ctx, awsOnly)
	if err != nil {
		return err
	}
	fmt.Printf("   %s\n", quote)

	step("2. create: Aliyun cn-hangzhou-h is out of stock, so the failover places it on AWS")
	var created []*multicloud.Instance
	defer func() { cleanup(client, created) }()
	first, err := create(ctx, client, req)
	if first != nil {
		created = append(created, first)
	}
	if err != nil {
		return err
	}
	if first.Provider != aws.ProviderCode {
		return fmt.Errorf("created on %s, want aws", first.Provider)
	}
	fmt.Printf("   aliyun RunInstances answered no stock %d time(s); the instance is on %s, quoted %s\n",
		ali.CallCount("RunInstances"), first.Provider, first.Quote)

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
	fmt.Printf("   %s %s %s in %s: %s, public %s, vpc %s\n", in.Provider, in.ID, in.InstanceType, in.Zone, in.Status, in.PublicIP, in.Network.VPCID)
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
