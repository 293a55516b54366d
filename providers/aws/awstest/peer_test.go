package awstest

import (
	"encoding/xml"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The tests in this file replay what the AWS CLI (botocore) sends, byte for
// byte in the form, where it differs from what aws-sdk-go-v2 sends.

// TestAuthorizeIngressIpv6Ranges replays `aws ec2
// authorize-security-group-ingress --ip-permissions` with an IPv4 and an
// IPv6 permission in one call: Ipv6Ranges.N.CidrIpv6 is an IpPermission
// member (APIREF) and answers as cidrIpv6 / ipv6Ranges.
func TestAuthorizeIngressIpv6Ranges(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	var vpc struct {
		ID string `xml:"vpc>vpcId"`
	}
	must(t, xml.Unmarshal(rawEC2(t, srv, "CreateVpc", map[string]string{"CidrBlock": "10.0.0.0/16"}), &vpc))
	var sg struct {
		ID string `xml:"groupId"`
	}
	must(t, xml.Unmarshal(rawEC2(t, srv, "CreateSecurityGroup", map[string]string{"GroupName": "web", "GroupDescription": "web", "VpcId": vpc.ID}), &sg))
	b := rawEC2(t, srv, "AuthorizeSecurityGroupIngress", map[string]string{
		"GroupId":                    sg.ID,
		"IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "22", "IpPermissions.1.ToPort": "22",
		"IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0", "IpPermissions.1.IpRanges.1.Description": "ssh",
		"IpPermissions.2.IpProtocol": "udp", "IpPermissions.2.FromPort": "1000", "IpPermissions.2.ToPort": "2000",
		"IpPermissions.2.Ipv6Ranges.1.CidrIpv6": "::/0", "IpPermissions.2.Ipv6Ranges.1.Description": "v6",
	})
	var auth struct {
		Rules []struct {
			V4 string `xml:"cidrIpv4"`
			V6 string `xml:"cidrIpv6"`
		} `xml:"securityGroupRuleSet>item"`
	}
	must(t, xml.Unmarshal(b, &auth))
	wantRules := []struct{ V4, V6 string }{{V4: "0.0.0.0/0"}, {V6: "::/0"}}
	var gotRules []struct{ V4, V6 string }
	for _, r := range auth.Rules {
		gotRules = append(gotRules, struct{ V4, V6 string }{r.V4, r.V6})
	}
	if d := cmp.Diff(wantRules, gotRules); d != "" {
		t.Errorf("securityGroupRuleSet (-want +got):\n%s", d)
	}

	var desc struct {
		Perms []struct {
			Proto string   `xml:"ipProtocol"`
			V4    []string `xml:"ipRanges>item>cidrIp"`
			V6    []string `xml:"ipv6Ranges>item>cidrIpv6"`
			V6D   []string `xml:"ipv6Ranges>item>description"`
		} `xml:"securityGroupInfo>item>ipPermissions>item"`
	}
	must(t, xml.Unmarshal(rawEC2(t, srv, "DescribeSecurityGroups", map[string]string{"GroupId.1": sg.ID,
		"Filter.1.Name": "ip-permission.ipv6-cidr", "Filter.1.Value.1": "::/0"}), &desc))
	if len(desc.Perms) != 2 || desc.Perms[0].Proto != "tcp" || len(desc.Perms[0].V4) != 1 || len(desc.Perms[0].V6) != 0 ||
		desc.Perms[1].Proto != "udp" || len(desc.Perms[1].V4) != 0 || cmp.Diff([]string{"::/0"}, desc.Perms[1].V6) != "" || cmp.Diff([]string{"v6"}, desc.Perms[1].V6D) != "" {
		t.Errorf("ipPermissions: got %+v", desc.Perms)
	}

	// A block of the wrong family for its list is refused and adds nothing.
	for _, f := range []map[string]string{
		{"IpPermissions.1.Ipv6Ranges.1.CidrIpv6": "10.0.0.0/8"},
		{"IpPermissions.1.IpRanges.1.CidrIp": "2001:db8::/32"},
	} {
		form := url.Values{"Action": {"AuthorizeSecurityGroupIngress"}, "Version": {EC2Version}, "GroupId": {sg.ID},
			"IpPermissions.1.IpProtocol": {"tcp"}, "IpPermissions.1.FromPort": {"80"}, "IpPermissions.1.ToPort": {"80"}}
		for k, v := range f {
			form.Set(k, v)
		}
		status, body, _ := rawStatus(t, srv, form)
		if status != 400 || !contains(body, "InvalidPermission.Malformed") {
			t.Errorf("%v: got %d %s, want 400 InvalidPermission.Malformed", f, status, body)
		}
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestDescribeVolumesCLIMaxResults replays `aws ec2 describe-volumes`, which
// always sends MaxResults=1000: the reference caps the page at 500 rather
// than refusing it.
func TestDescribeVolumesCLIMaxResults(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	if _, err := srv.Seed(testRegion, 3, "m5.large"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		IDs  []string `xml:"volumeSet>item>volumeId"`
		Next string   `xml:"nextToken"`
	}
	must(t, xml.Unmarshal(rawEC2(t, srv, "DescribeVolumes", map[string]string{"MaxResults": "1000"}), &got))
	if len(got.IDs) != 3 || got.Next != "" {
		t.Errorf("MaxResults=1000: got %d volumes, next %q; want 3 and no token", len(got.IDs), got.Next)
	}
	status, body, _ := rawStatus(t, srv, url.Values{"Action": {"DescribeVolumes"}, "Version": {EC2Version}, "MaxResults": {"4"}})
	if status != 400 || !strings.Contains(string(body), "InvalidParameterValue") {
		t.Errorf("MaxResults=4: got %d %s, want 400 InvalidParameterValue", status, body)
	}
	pg, err := paginateCapped(form(t, "MaxResults=1000"), "DescribeVolumes", 600, 5, 500)
	if err != nil || pg.start != 0 || pg.end != 500 || pg.next == "" {
		t.Errorf("600 items, MaxResults=1000: got %+v %v, want a page of 500 and a token", pg, err)
	}
}

// TestDeleteRoute replays `aws ec2 delete-route`, the clean-up step after
// create-route that a user runs before detaching the gateway.
func TestDeleteRoute(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	c := newSDK(srv, testRegion, DefaultAccessKeyID, DefaultSecretAccessKey, "").ec2
	n := buildNet(t, c, "peer")
	var rts struct {
		ID string `xml:"routeTableSet>item>routeTableId"`
	}
	must(t, xml.Unmarshal(rawEC2(t, srv, "DescribeRouteTables", map[string]string{"Filter.1.Name": "vpc-id", "Filter.1.Value.1": n.vpc}), &rts))
	rawEC2(t, srv, "CreateRoute", map[string]string{"RouteTableId": rts.ID, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": n.igw})
	rawEC2(t, srv, "DeleteRoute", map[string]string{"RouteTableId": rts.ID, "DestinationCidrBlock": "0.0.0.0/0"})
	var after struct {
		Dests []string `xml:"routeTableSet>item>routeSet>item>destinationCidrBlock"`
	}
	must(t, xml.Unmarshal(rawEC2(t, srv, "DescribeRouteTables", map[string]string{"RouteTableId.1": rts.ID}), &after))
	if d := cmp.Diff([]string{"10.0.0.0/16"}, after.Dests); d != "" {
		t.Errorf("routes after DeleteRoute (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		dest, rt, code string
	}{
		{"0.0.0.0/0", rts.ID, "InvalidRoute.NotFound"},
		{"10.0.0.0/16", rts.ID, "InvalidParameterValue"},
		{"0.0.0.0/0", "rtb-0123456789abcdef0", "InvalidRouteTableID.NotFound"},
	} {
		status, body, _ := rawStatus(t, srv, url.Values{"Action": {"DeleteRoute"}, "Version": {EC2Version}, "RouteTableId": {tc.rt}, "DestinationCidrBlock": {tc.dest}})
		if status != 400 || !strings.Contains(string(body), "<Code>"+tc.code+"</Code>") {
			t.Errorf("DeleteRoute %s %s: got %d %s, want 400 %s", tc.rt, tc.dest, status, body, tc.code)
		}
	}
}

// TestDescribeTags replays `aws ec2 describe-tags --filters`, the read-back
// a user runs after create-tags and delete-tags.
func TestDescribeTags(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	c := newSDK(srv, testRegion, DefaultAccessKeyID, DefaultSecretAccessKey, "").ec2
	n := buildNet(t, c, "peer")
	rawEC2(t, srv, "CreateTags", map[string]string{"ResourceId.1": n.vpc, "ResourceId.2": n.subnet, "Tag.1.Key": "env", "Tag.1.Value": "test", "Tag.2.Key": "empty", "Tag.2.Value": ""})
	type item struct {
		ID   string `xml:"resourceId"`
		Type string `xml:"resourceType"`
		Key  string `xml:"key"`
		Val  string `xml:"value"`
	}
	describe := func(p map[string]string) []item {
		var got struct {
			Items []item `xml:"tagSet>item"`
		}
		must(t, xml.Unmarshal(rawEC2(t, srv, "DescribeTags", p), &got))
		return got.Items
	}
	want := []item{{n.subnet, "subnet", "empty", ""}, {n.subnet, "subnet", "env", "test"}, {n.vpc, "vpc", "Owner", "peer"}, {n.vpc, "vpc", "empty", ""}, {n.vpc, "vpc", "env", "test"}}
	if d := cmp.Diff(want, describe(map[string]string{"Filter.1.Name": "resource-id", "Filter.1.Value.1": n.vpc, "Filter.1.Value.2": n.subnet})); d != "" {
		t.Errorf("by resource-id (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want[1:2], describe(map[string]string{"Filter.1.Name": "resource-type", "Filter.1.Value.1": "subnet", "Filter.2.Name": "key", "Filter.2.Value.1": "env"})); d != "" {
		t.Errorf("by resource-type and key (-want +got):\n%s", d)
	}
	rawEC2(t, srv, "DeleteTags", map[string]string{"ResourceId.1": n.vpc, "Tag.1.Key": "env", "Tag.2.Key": "empty"})
	if d := cmp.Diff([]item{{n.vpc, "vpc", "Owner", "peer"}}, describe(map[string]string{"Filter.1.Name": "resource-id", "Filter.1.Value.1": n.vpc})); d != "" {
		t.Errorf("after DeleteTags (-want +got):\n%s", d)
	}
	status, body, _ := rawStatus(t, srv, url.Values{"Action": {"DescribeTags"}, "Version": {EC2Version}, "Filter.1.Name": {"colour"}, "Filter.1.Value.1": {"x"}})
	if status != 400 || !strings.Contains(string(body), "InvalidParameterValue") {
		t.Errorf("unknown filter: got %d %s", status, body)
	}
}

// TestTerminatedInstanceOmitsNetwork checks that a terminated instance's
// description leaves out subnetId, vpcId and privateIpAddress instead of
// sending them empty: botocore turns an empty element into "", so
// `--query Reservations[].Instances[].SubnetId` printed blank IDs.
func TestTerminatedInstanceOmitsNetwork(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	ids, err := srv.Seed(testRegion, 1, "m5.large")
	must(t, err)
	running := string(rawEC2(t, srv, "DescribeInstances", map[string]string{"InstanceId.1": ids[0]}))
	for _, el := range []string{"<subnetId>subnet-", "<vpcId>vpc-", "<privateIpAddress>"} {
		if !strings.Contains(running, el) {
			t.Errorf("running instance: no %s in %s", el, running)
		}
	}
	rawEC2(t, srv, "TerminateInstances", map[string]string{"InstanceId.1": ids[0]})
	gone := string(rawEC2(t, srv, "DescribeInstances", map[string]string{"InstanceId.1": ids[0]}))
	if !strings.Contains(gone, "<name>terminated</name>") && !strings.Contains(gone, "<name>shutting-down</name>") {
		t.Fatalf("not terminated: %s", gone)
	}
	for _, el := range []string{"<subnetId", "<vpcId", "<privateIpAddress"} {
		if strings.Contains(gone, el) {
			t.Errorf("terminated instance still sends %s", el)
		}
	}
}
