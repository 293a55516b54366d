package aws_test

import (
	"context"
	"fmt"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aws"
	"github.com/multicloud-ecs/multicloud/providers/aws/awstest"
)

// Example creates an instance with an Elastic IP and two open ports on
// the AWS emulator, quoted in USD, then deletes it with its address.
func Example() {
	ctx := context.Background()
	srv := awstest.New()
	defer srv.Close()
	p, err := aws.New(ctx, func(o *aws.Options) {
		o.BaseEndpoint, o.HTTPClient, o.HomeRegion = srv.URL(), srv.HTTPClient(), "us-east-1"
		o.AccessKeyID, o.SecretAccessKey = awstest.DefaultAccessKeyID, awstest.DefaultSecretAccessKey
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, _ := multicloud.NewRegistry(p)
	client, _ := multicloud.New(reg, multicloud.UsePollInterval(10*time.Millisecond))
	insts, err := client.CreateInstance(ctx, multicloud.NewCreateInstanceRequest(
		multicloud.WithProvider(aws.ProviderCode), multicloud.WithPlacement("us-east-1", ""),
		multicloud.WithOwner("tenant-acme", "user-42"), multicloud.WithName("web-1"), multicloud.WithImage("ubuntu-22.04"),
		multicloud.WithGPU("T4", 1), multicloud.AddPorts(22, 443), multicloud.WithPublicIP(5, multicloud.Traffic)))
	if err != nil {
		fmt.Println(err)
		return
	}
	in := insts[0]
	fmt.Println(in.Provider, in.InstanceType, in.Status, in.PublicIP != "", in.Quote.Currency)
	if err := client.Delete(ctx, in.Ref(), multicloud.Force()); err != nil {
		fmt.Println(err)
	}
	// Output: aws g4dn.xlarge Running true USD
}
