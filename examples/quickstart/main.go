// Command quickstart runs the order flow of an AI compute platform on the
// built-in fake cloud: quote an A100 machine, create it with its ports open
// and a public IP, create a second machine for the same user (the network
// is reused), then stop, start and delete both. It needs no credentials.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/fake"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.SetFlags(0)
		log.Fatal("quickstart: ", err)
	}
}

func run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// A fake cloud whose instances take 50ms in each transient state.
	cloud := fake.New(func(o *fake.Options) { o.TransitionDelay = 50 * time.Millisecond })
	reg, err := multicloud.NewRegistry(cloud)
	if err != nil {
		return err
	}
	client, err := multicloud.New(reg, multicloud.UsePollInterval(20*time.Millisecond))
	if err != nil {
		return err
	}

	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider("fake"),
		multicloud.WithPlacement("cn-hangzhou", ""),
		multicloud.WithOwner("tenant-acme", "user-42"),
		multicloud.WithName("train-a100-01"),
		multicloud.WithImage("pytorch-1.12"),
		multicloud.WithGPU("A100", 1),
		multicloud.AddPorts(22, 80, 443, 8888),
		multicloud.WithPublicIP(10, multicloud.Traffic),
		multicloud.AddTag("order", "ord-1001"),
	)

	step("1. quote")
	quote, err := client.Quote(ctx, req)
	if err != nil {
		return err
	}
	fmt.Printf("   %s\n", quote)
	fmt.Printf("   monthly %.2f %s (instance %.2f, disk %.2f, bandwidth %.2f)\n",
		quote.Monthly.Total, quote.Currency, quote.Monthly.Instance, quote.Monthly.Disk, quote.Monthly.Bandwidth)
	if quote.TrafficPerGB > 0 {
		fmt.Printf("   plus public traffic at %.2f %s/GB\n", quote.TrafficPerGB, quote.Currency)
	}

	step("2. create an A100 instance with ports 22/80/443/8888 and a 10 Mbit/s public IP")
	first, err := create(ctx, client, req)
	if err != nil {
		return err
	}

	step("3. a second instance for the same user reuses the network")
	req2 := req.Clone()
	req2.InstanceName, req2.IdempotencyKey = "train-a100-02", ""
	second, err := create(ctx, client, req2)
	if err != nil {
		return err
	}
	if first.Network.VPCID != second.Network.VPCID || first.Network.SecurityGroupID != second.Network.SecurityGroupID {
		return fmt.Errorf("second instance got another network: %+v vs %+v", second.Network, first.Network)
	}
	fmt.Printf("   same VPC %s and security group %s\n", second.Network.VPCID, second.Network.SecurityGroupID)

	step("4. stop, start")
	for _, op := range []struct {
		name string
		do   func() error
		want multicloud.Status
	}{
		{"stop", func() error { return client.Stop(ctx, first.Ref()) }, multicloud.StatusStopped},
		{"start", func() error { return client.Start(ctx, first.Ref()) }, multicloud.StatusRunning},
	} {
		if err := op.do(); err != nil {
			return err
		}
		in, err := client.Wait(ctx, first.Ref(), op.want, 10*time.Second)
		if err != nil {
			return err
		}
		fmt.Printf("   %s %s: %s\n", op.name, in.ID, in.Status)
	}

	step("5. delete both (their public IPs are released)")
	for _, in := range []*multicloud.Instance{first, second} {
		if err := client.Delete(ctx, in.Ref(), multicloud.Force()); err != nil {
			return err
		}
		if _, err := client.Wait(ctx, in.Ref(), multicloud.StatusDeleted, 10*time.Second); err != nil {
			return err
		}
		fmt.Printf("   deleted %s\n", in.ID)
	}
	audit := cloud.Audit()
	fmt.Printf("   left in the cloud: %d instances, %d public IPs unbound, %d VPC for user-42 (kept for the next order)\n",
		total(audit.Instances), audit.UnboundAddresses, audit.VPCs["user-42"])
	return nil
}

func create(ctx context.Context, client *multicloud.Client, req *multicloud.CreateInstanceRequest) (*multicloud.Instance, error) {
	start := time.Now()
	insts, err := client.CreateInstance(ctx, req)
	if err != nil {
		return nil, err
	}
	in := insts[0]
	fmt.Printf("   %s %s is %s in %s after %v\n", in.ID, in.Name, in.Status, in.Zone, time.Since(start).Round(time.Millisecond))
	fmt.Printf("   type %s, image %s, public IP %s, private IP %s\n", in.InstanceType, in.ImageID, in.PublicIP, in.PrivateIP)
	fmt.Printf("   network: VPC %s, switch %s, security group %s, EIP %s\n",
		in.Network.VPCID, in.Network.SwitchID, in.Network.SecurityGroupID, in.Network.AddressID)
	fmt.Printf("   tags: tenantId=%s Owner=%s createdBy=%s order=%s\n", in.Tags["tenantId"], in.Tags["Owner"], in.Tags["createdBy"], in.Tags["order"])
	for _, w := range in.Warnings {
		fmt.Fprintf(os.Stderr, "   warning: %s\n", w)
	}
	return in, nil
}

func step(s string) { fmt.Println(s) }

func total[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
