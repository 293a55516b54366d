package aws_test

import (
	"errors"
	"testing"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/aliyun"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
	"github.com/multicloud-ecs/multicloud/providers/aws"
)

// TestFailoverAliyunToAWS creates through a FailoverScheduler over an
// Aliyun zone that is out of stock (its emulator), then AWS (its
// emulator): the instance is created on AWS, Aliyun's create having
// failed with no stock, and its quote names AWS and USD.
func TestFailoverAliyunToAWS(t *testing.T) {
	ali := aliyuntest.NewServer()
	t.Cleanup(ali.Close)
	ali.SetStock("cn-hangzhou", "cn-hangzhou-h", "ecs.g7.large", 0)
	aliP, err := aliyun.New(func(o *aliyun.Options) {
		o.Endpoint, o.Scheme = ali.Host(), "HTTP"
		o.AccessKeyID, o.AccessKeySecret = aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret
		o.Network = []func(*network.Options){func(n *network.Options) { n.PollInterval = 5 * time.Millisecond }}
	})
	if err != nil {
		t.Fatalf("aliyun.New: %v", err)
	}
	awsSrv := newServer(t)
	awsP := newProvider(t, awsSrv)
	sched := multicloud.FailoverScheduler{Placements: []multicloud.Placement{
		{Provider: aliyun.ProviderCode, Region: "cn-hangzhou", Zone: "cn-hangzhou-h", InstanceType: "ecs.g7.large"},
		{Provider: aws.ProviderCode, Region: region, Zone: "us-east-1b", InstanceType: "m5.large"},
	}}
	c := newClient(t, []multicloud.ClientOption{multicloud.UseScheduler(sched)}, aliP, awsP)
	req := multicloud.NewCreateInstanceRequest(
		multicloud.WithPlacement("cn-hangzhou", ""), multicloud.WithCPUMemory(2, 8),
		multicloud.WithOwner("tenant-f", "user-f"), multicloud.WithName("failover-vm"), multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithPublicIP(5, multicloud.Traffic), multicloud.AddPorts(22))
	insts, err := c.CreateInstance(testCtx(t), req)
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if len(insts) != 1 {
		t.Fatalf("got %d instances, want 1", len(insts))
	}
	in := insts[0]
	if in.Provider != aws.ProviderCode || in.Region != region || in.Status != multicloud.StatusRunning || in.PublicIP == "" {
		t.Errorf("instance: provider %q region %q status %s ip %q, want a Running AWS instance in %s with an address", in.Provider, in.Region, in.Status, in.PublicIP, region)
	}
	if in.Quote == nil || in.Quote.Provider != aws.ProviderCode || in.Quote.Currency != "USD" || in.Quote.Hourly.Total <= 0 {
		t.Errorf("quote: got %v, want an AWS quote in USD", in.Quote)
	}
	// Aliyun was asked first and answered no stock.
	if n := ali.CallCount("RunInstances"); n == 0 {
		t.Errorf("aliyun RunInstances calls: 0, want the first placement tried")
	}

	// With AWS out of stock too, the create fails with ErrNoStock.
	sched.Placements[1].Zone = "us-east-1c"
	c2 := newClient(t, []multicloud.ClientOption{multicloud.UseScheduler(sched)}, aliP, awsP)
	awsSrv.Cloud().SetStock(region, "us-east-1c", "m5.large", 0)
	if _, err := c2.CreateInstance(testCtx(t), req.Clone()); !errors.Is(err, multicloud.ErrNoStock) {
		t.Errorf("both clouds out of stock: got %v, want ErrNoStock", err)
	}
}
