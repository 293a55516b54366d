package aliyun_test

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/aliyun/aliyuntest"
)

// sdkClients returns raw SDK clients on srv, for checks that go around
// the provider.
func sdkClients(t testing.TB, srv *aliyuntest.Server) (*ecs.Client, *vpc.Client) {
	t.Helper()
	cred := credentials.NewStaticAKCredentialsProvider(aliyuntest.DefaultAccessKeyID, aliyuntest.DefaultAccessKeySecret)
	e, err := ecs.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP"), cred)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vpc.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP"), cred)
	if err != nil {
		t.Fatal(err)
	}
	e.Domain, v.Domain = srv.Host(), srv.Host()
	e.SetNoProxy(`127\.0\.0\.1`)
	v.SetNoProxy(`127\.0\.0\.1`)
	return e, v
}

// resourceTags returns the tags of owner's VPCs, security groups and
// elastic IPs in cn-hangzhou.
func resourceTags(t testing.TB, srv *aliyuntest.Server, owner string) []map[string]string {
	t.Helper()
	e, v := sdkClients(t, srv)
	var out []map[string]string
	vreq := vpc.CreateDescribeVpcsRequest()
	vreq.Tag = &[]vpc.DescribeVpcsTag{{Key: multicloud.TagOwner, Value: owner}}
	vreq.PageSize = "50"
	vresp, err := v.DescribeVpcs(vreq)
	if err != nil {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	for _, x := range vresp.Vpcs.Vpc {
		m := map[string]string{}
		for _, tg := range x.Tags.Tag {
			m[tg.Key] = tg.Value
		}
		out = append(out, m)
	}
	greq := ecs.CreateDescribeSecurityGroupsRequest()
	greq.Tag = &[]ecs.DescribeSecurityGroupsTag{{Key: multicloud.TagOwner, Value: owner}}
	greq.PageSize = "50"
	gresp, err := e.DescribeSecurityGroups(greq)
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	for _, x := range gresp.SecurityGroups.SecurityGroup {
		m := map[string]string{}
		for _, tg := range x.Tags.Tag {
			m[tg.TagKey] = tg.TagValue
		}
		out = append(out, m)
	}
	ereq := vpc.CreateDescribeEipAddressesRequest()
	ereq.Tag = &[]vpc.DescribeEipAddressesTag{{Key: multicloud.TagOwner, Value: owner}}
	ereq.PageSize = "100"
	eresp, err := v.DescribeEipAddresses(ereq)
	if err != nil {
		t.Fatalf("DescribeEipAddresses: %v", err)
	}
	for _, x := range eresp.EipAddresses.EipAddress {
		m := map[string]string{}
		for _, tg := range x.Tags.Tag {
			m[tg.Key] = tg.Value
		}
		out = append(out, m)
	}
	return out
}
