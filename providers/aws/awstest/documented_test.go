package awstest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawEC2 sends a signed EC2 Query call and returns the XML body; it fails
// the test on any status but 200.
func rawEC2(t *testing.T, srv *Server, action string, p map[string]string) []byte {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {EC2Version}}
	for k, v := range p {
		form.Set(k, v)
	}
	body := []byte(form.Encode())
	r, err := http.NewRequest(http.MethodPost, srv.URL()+"/", bytes.NewReader(body))
	must(t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	creds := aws.Credentials{AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey}
	must(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(body), "ec2", testRegion, time.Now()))
	resp, err := http.DefaultClient.Do(r)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", action, resp.StatusCode, b)
	}
	return b
}

// xmlPaths lists every element path of a response below its root, with
// "[]" for an <item> of a list.
func xmlPaths(t *testing.T, b []byte) (root string, paths map[string]bool) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	paths = map[string]bool{}
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root, paths
		}
		must(t, err)
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
				if e.Name.Space != ec2Namespace {
					t.Errorf("root %s in namespace %q, want %s", root, e.Name.Space, ec2Namespace)
				}
				stack = append(stack, "")
				continue
			}
			parent := stack[len(stack)-1]
			var p string
			switch {
			case e.Name.Local == "item":
				p = parent + "[]"
			case parent == "":
				p = e.Name.Local
			default:
				p = parent + "." + e.Name.Local
			}
			paths[p] = true
			stack = append(stack, p)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// sdkElementNames are the element names the SDK's EC2 deserializers match
// (case-insensitively), read from the SDK source.
func sdkElementNames(t *testing.T) map[string]bool {
	t.Helper()
	dir := filepath.Join(os.Getenv("GOMODCACHE"), "github.com", "aws", "aws-sdk-go-v2", "service", "ec2@v1.349.0")
	if os.Getenv("GOMODCACHE") == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, "go", "pkg", "mod", "github.com", "aws", "aws-sdk-go-v2", "service", "ec2@v1.349.0")
	}
	b, err := os.ReadFile(filepath.Join(dir, "deserializers.go"))
	if err != nil {
		t.Skipf("SDK source not found: %v", err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`strings\.EqualFold\("([A-Za-z0-9]+)", t\.Name\.Local\)`).FindAllSubmatch(b, -1) {
		out[strings.ToLower(string(m[1]))] = true
	}
	return out
}

// TestDocumentedFields calls every served EC2 action on a populated region
// and checks that each response holds every documented element of its
// action (testdata/documented/ec2.json), and that every element it sends is
// one the SDK's deserializers know (a misspelt element would be dropped
// silently by the SDK).
func TestDocumentedFields(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "documented", "ec2.json"))
	must(t, err)
	var doc map[string]json.RawMessage
	must(t, json.Unmarshal(raw, &doc))
	known := sdkElementNames(t)

	srv := New()
	t.Cleanup(srv.Close)
	got := map[string][]byte{}
	call := func(action string, p map[string]string) map[string]string {
		b := rawEC2(t, srv, action, p)
		got[action] = b
		_, paths := xmlPaths(t, b)
		// The text of a few elements the script needs next.
		vals := map[string]string{}
		d := xml.NewDecoder(bytes.NewReader(b))
		var name string
		for {
			tok, err := d.Token()
			if err != nil {
				break
			}
			switch e := tok.(type) {
			case xml.StartElement:
				name = e.Name.Local
			case xml.CharData:
				if _, ok := vals[name]; !ok && strings.TrimSpace(string(e)) != "" {
					vals[name] = string(e)
				}
			}
		}
		_ = paths
		return vals
	}
	ami := imageID(testRegion, DefaultImages()[1].Name)
	call("DescribeRegions", nil)
	call("DescribeAvailabilityZones", nil)
	call("DescribeInstanceTypes", map[string]string{"InstanceType.1": "g5.xlarge"})
	call("DescribeInstanceTypeOfferings", map[string]string{"LocationType": "availability-zone"})
	call("DescribeImages", map[string]string{"Owner.1": CanonicalOwnerID})
	vpc := call("CreateVpc", map[string]string{"CidrBlock": "10.0.0.0/16", "TagSpecification.1.ResourceType": "vpc",
		"TagSpecification.1.Tag.1.Key": "Owner", "TagSpecification.1.Tag.1.Value": "alice"})["vpcId"]
	call("DescribeVpcs", nil)
	sn := call("CreateSubnet", map[string]string{"VpcId": vpc, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"})["subnetId"]
	call("DescribeSubnets", nil)
	igw := call("CreateInternetGateway", nil)["internetGatewayId"]
	call("AttachInternetGateway", map[string]string{"InternetGatewayId": igw, "VpcId": vpc})
	call("DescribeInternetGateways", nil)
	rt := call("DescribeRouteTables", map[string]string{"Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc})["routeTableId"]
	call("CreateRoute", map[string]string{"RouteTableId": rt, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw})
	call("DescribeRouteTables", nil)
	sg := call("CreateSecurityGroup", map[string]string{"GroupName": "web", "GroupDescription": "web", "VpcId": vpc})["groupId"]
	call("AuthorizeSecurityGroupIngress", map[string]string{"GroupId": sg, "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "22",
		"IpPermissions.1.ToPort": "22", "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0", "IpPermissions.1.IpRanges.1.Description": "ssh"})
	call("DescribeSecurityGroups", map[string]string{"GroupId.1": sg})
	inst := call("RunInstances", map[string]string{"ImageId": ami, "InstanceType": "t3.micro", "MinCount": "1", "MaxCount": "1", "ClientToken": "doc-1",
		"NetworkInterface.1.DeviceIndex": "0", "NetworkInterface.1.SubnetId": sn, "NetworkInterface.1.SecurityGroupId.1": sg,
		"NetworkInterface.1.AssociatePublicIpAddress": "true"})["instanceId"]
	call("DescribeInstances", nil)
	alloc := call("AllocateAddress", map[string]string{"Domain": "vpc"})["allocationId"]
	assoc := call("AssociateAddress", map[string]string{"AllocationId": alloc, "InstanceId": inst})["associationId"]
	call("DescribeAddresses", nil)
	call("DescribeVolumes", nil)
	call("DescribeInstanceStatus", nil)
	call("DescribeSpotPriceHistory", map[string]string{"InstanceType.1": "g5.xlarge"})
	call("CreateTags", map[string]string{"ResourceId.1": inst, "Tag.1.Key": "env", "Tag.1.Value": "doc"})
	call("DescribeTags", map[string]string{"Filter.1.Name": "resource-id", "Filter.1.Value.1": inst})
	call("DeleteTags", map[string]string{"ResourceId.1": inst, "Tag.1.Key": "env"})
	call("RebootInstances", map[string]string{"InstanceId.1": inst})
	call("StopInstances", map[string]string{"InstanceId.1": inst})
	call("StartInstances", map[string]string{"InstanceId.1": inst})
	call("DisassociateAddress", map[string]string{"AssociationId": assoc})
	call("ReleaseAddress", map[string]string{"AllocationId": alloc})
	call("TerminateInstances", map[string]string{"InstanceId.1": inst})
	call("DeleteRoute", map[string]string{"RouteTableId": rt, "DestinationCidrBlock": "0.0.0.0/0"})
	call("DetachInternetGateway", map[string]string{"InternetGatewayId": igw, "VpcId": vpc})
	call("DeleteInternetGateway", map[string]string{"InternetGatewayId": igw})
	call("DeleteSecurityGroup", map[string]string{"GroupId": sg})
	call("DeleteSubnet", map[string]string{"SubnetId": sn})
	call("DeleteVpc", map[string]string{"VpcId": vpc})

	for action := range srv.ec2Actions {
		if _, ok := doc[action]; !ok {
			t.Errorf("served action %s has no documented table", action)
		}
		if _, ok := got[action]; !ok {
			t.Errorf("served action %s was not called", action)
		}
	}
	for action, b := range got {
		var want []string
		must(t, json.Unmarshal(doc[action], &want))
		root, paths := xmlPaths(t, b)
		if root != action+"Response" {
			t.Errorf("%s: root element %s, want %sResponse", action, root, action)
		}
		var problems []string
		for _, p := range want {
			if !paths[p] {
				problems = append(problems, "missing documented field "+p)
			}
		}
		for p := range paths {
			leaf := p[strings.LastIndex(p, ".")+1:]
			leaf = strings.TrimSuffix(leaf, "[]")
			// requestId is documented in every response but read by the SDK
			// from the x-amzn-RequestId header instead.
			if leaf != "" && leaf != "requestId" && !known[strings.ToLower(leaf)] {
				problems = append(problems, "element "+p+" is unknown to the SDK's deserializers")
			}
		}
		sort.Strings(problems)
		for _, pr := range problems {
			t.Errorf("%s: %s", action, pr)
		}
	}
}

// rawStatus sends a signed EC2 form and returns the status and body.
func rawStatus(t *testing.T, srv *Server, form url.Values) (int, []byte, http.Header) {
	t.Helper()
	body := []byte(form.Encode())
	r, err := http.NewRequest(http.MethodPost, srv.URL()+"/", bytes.NewReader(body))
	must(t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	creds := aws.Credentials{AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey}
	must(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(body), "ec2", testRegion, time.Now()))
	resp, err := http.DefaultClient.Do(r)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, b, resp.Header
}

// TestErrorEnvelope checks the documented error envelope byte for byte in
// structure: Response > Errors > Error > Code, Message, then RequestID, with
// the same request ID in the x-amzn-RequestId header.
func TestErrorEnvelope(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	cases := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"unknown action", url.Values{"Action": {"DescribeUnicorns"}, "Version": {EC2Version}}, 400, "InvalidAction"},
		{"no action", url.Values{"Version": {EC2Version}}, 400, "MissingAction"},
		{"other version", url.Values{"Action": {"DescribeRegions"}, "Version": {"2014-01-01"}}, 400, "NoSuchVersion"},
		{"dry run", url.Values{"Action": {"DescribeRegions"}, "Version": {EC2Version}, "DryRun": {"true"}}, 412, "DryRunOperation"},
		{"bad MaxResults", url.Values{"Action": {"DescribeVpcs"}, "Version": {EC2Version}, "MaxResults": {"1001"}}, 400, "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b, h := rawStatus(t, srv, c.form)
			var env struct {
				XMLName xml.Name
				Errors  []struct {
					Code    string `xml:"Code"`
					Message string `xml:"Message"`
				} `xml:"Errors>Error"`
				RequestID string `xml:"RequestID"`
			}
			must(t, xml.Unmarshal(b, &env))
			if status != c.status || env.XMLName.Local != "Response" || len(env.Errors) != 1 || env.Errors[0].Code != c.code ||
				env.Errors[0].Message == "" || env.RequestID == "" || env.RequestID != h.Get("x-amzn-RequestId") {
				t.Errorf("got %d %s", status, b)
			}
		})
	}
}

// TestQueryStringGET sends a signed GET with the parameters in the query
// string, as the Query protocol allows besides the form body.
func TestQueryStringGET(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	q := url.Values{"Action": {"DescribeRegions"}, "Version": {EC2Version}, "RegionName.1": {"us-east-1"}}
	r, err := http.NewRequest(http.MethodGet, srv.URL()+"/?"+q.Encode(), nil)
	must(t, err)
	creds := aws.Credentials{AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey}
	must(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(nil), "ec2", testRegion, time.Now()))
	resp, err := http.DefaultClient.Do(r)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("<regionName>us-east-1</regionName>")) || bytes.Contains(b, []byte("us-west-2")) {
		t.Errorf("got %d %s", resp.StatusCode, b)
	}
}
