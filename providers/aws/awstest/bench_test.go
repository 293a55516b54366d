package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// BenchmarkDescribeInstances2000 lists a region of 2,000 instances through
// the SDK's paginator in pages of 1,000, as an inventory sync does.
func BenchmarkDescribeInstances2000(b *testing.B) {
	srv := New()
	b.Cleanup(srv.Close)
	if _, err := srv.Cloud().SeedInstances([]sim.InstanceSpec{{Region: testRegion, Zone: "us-east-1a", Type: "m5.large", VCPU: 2,
		ImageID: imageID(testRegion, DefaultImages()[1].Name), Tags: map[string]string{"Owner": "bench"}, Count: 2000}}); err != nil {
		b.Fatal(err)
	}
	c := defaultSDK(srv).ec2
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
		n := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range out.Reservations {
				n += len(r.Instances)
			}
		}
		if n != 2000 {
			b.Fatalf("got %d instances, want 2000", n)
		}
	}
}
