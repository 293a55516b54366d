package awstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func trailClient(srv *Server, key, secret string) *cloudtrail.Client {
	return cloudtrail.New(cloudtrail.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""), HTTPClient: srv.HTTPClient()})
}

// TestLookupEvents reads the EC2 changes of the caller's account back from
// CloudTrail, after the simulated cloud's event delay.
func TestLookupEvents(t *testing.T) {
	clk := sim.NewManualClock(time.Now())
	srv := New(twoAccounts, func(o *Options) { o.Cloud = NewCloud(func(so *sim.Options) { so.Clock = clk }) })
	t.Cleanup(srv.Close)
	srv.Cloud().SetEventDelay(5 * time.Minute)
	ctx := context.Background()
	a := newSDK(srv, testRegion, "AKIAAAAAAAAAAAAAAAAA", "secret-a", "")
	b := newSDK(srv, testRegion, "AKIABBBBBBBBBBBBBBBB", "secret-b", "")
	va, err := a.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	must(t, err)
	_, err = b.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	must(t, err)
	_, err = a.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)

	ta := trailClient(srv, "AKIAAAAAAAAAAAAAAAAA", "secret-a")
	out, err := ta.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	must(t, err)
	if len(out.Events) != 0 {
		t.Errorf("before the delivery delay: got %d events, want 0", len(out.Events))
	}
	clk.Advance(6 * time.Minute)
	out, err = ta.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateVpc")}}})
	must(t, err)
	if len(out.Events) != 1 {
		t.Fatalf("account A's CreateVpc: got %d events, want 1 (B's and reads not included)", len(out.Events))
	}
	e := out.Events[0]
	if aws.ToString(e.Username) != "alice" || aws.ToString(e.EventSource) != "ec2.amazonaws.com" || len(e.Resources) != 1 ||
		aws.ToString(e.Resources[0].ResourceName) != *va.Vpc.VpcId || aws.ToString(e.Resources[0].ResourceType) != "AWS::EC2::VPC" || e.EventTime == nil {
		t.Errorf("got event %+v", e)
	}
	_, err = ta.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)})
	var mr *cttypes.InvalidMaxResultsException
	if !errors.As(err, &mr) {
		t.Errorf("MaxResults 51: got %v, want InvalidMaxResultsException", err)
	}
}
