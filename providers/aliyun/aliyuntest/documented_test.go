package aliyuntest

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"
)

// documentedTable is one action's documented response table: every field
// path ("Instances.Instance[].CpuOptions.CoreCount"; "X[]" is an element of
// array X) with its JSON type, and the documented layout of time fields.
type documentedTable struct {
	Fields map[string]string `json:"fields"`
	Times  map[string]string `json:"times,omitempty"`
}

// loadDocumented reads testdata/documented/<product>.json. The tables were
// written by testdata/documented/gen from the per-action response models of
// the v2 SDKs (ecs-20140526 v7.7.0, vpc-20160428 v6.12.8), which are generated
// from the same API metadata as the reference pages' response tables; unlike
// the v1 SDK's structs they do not merge fields of different actions.
func loadDocumented(t *testing.T, product string) map[string]documentedTable {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "documented", product+".json"))
	must(t, err)
	var out map[string]documentedTable
	must(t, json.Unmarshal(b, &out))
	return out
}

// isoLayouts are the UTC ISO 8601 layouts the reference uses for times.
var isoLayouts = []string{"2006-01-02T15:04Z", "2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000Z"}

// observed is the shape of one response body.
type observed struct {
	types  map[string]string // path -> JSON type
	values map[string][]string
}

func observe(v any) observed {
	o := observed{types: map[string]string{}, values: map[string][]string{}}
	o.walk(v, "")
	return o
}

func (o observed) walk(v any, path string) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		if path != "" {
			o.types[path] = "object"
		}
		for k, e := range x {
			o.walk(e, join(k))
		}
	case []any:
		o.types[path] = "array"
		for _, e := range x {
			o.walk(e, path+"[]")
		}
	case string:
		o.types[path] = "string"
		o.values[path] = append(o.values[path], x)
	case float64:
		o.types[path] = "number"
	case bool:
		o.types[path] = "boolean"
	case nil:
		o.types[path] = "null"
	}
}

// container returns the path that holds p ("" for top-level fields).
func container(p string) string {
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[:i]
	}
	return ""
}

// compareDocumented reports every difference between a response body and
// its documented table: a documented field missing where its container is
// present, a field the table does not document, a type other than the
// documented one, and a time not in the documented (or an ISO 8601 UTC) layout.
func compareDocumented(doc documentedTable, body map[string]any) []string {
	o := observe(body)
	var problems []string
	for p, typ := range o.types {
		want, ok := doc.Fields[p]
		switch {
		case !ok:
			problems = append(problems, "undocumented field "+p)
		case typ != want:
			problems = append(problems, "field "+p+" is "+typ+", documented "+want)
		}
	}
	for p := range doc.Fields {
		if strings.HasSuffix(p, "[]") {
			continue // an element exists only if the array has one
		}
		if _, ok := o.types[p]; ok {
			continue
		}
		if c := container(p); c == "" || o.types[c] != "" {
			problems = append(problems, "missing documented field "+p)
		}
	}
	for p, vals := range o.values {
		layouts := isoLayouts
		if l, ok := doc.Times[p]; ok {
			layouts = []string{l}
		} else if !strings.HasSuffix(p, "Time") {
			continue
		}
		for _, v := range vals {
			if v != "" && !parsesAs(v, layouts) {
				problems = append(problems, "time "+p+"="+v+" not in layout "+strings.Join(layouts, " or "))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

func parsesAs(v string, layouts []string) bool {
	for _, l := range layouts {
		if _, err := time.Parse(l, v); err == nil {
			return true
		}
	}
	return false
}

// docCall is one action called through the SDK's CommonRequest.
type docCall struct {
	product, action string
	params          map[string]string
}

// callRaw sends a signed request through the real SDK and decodes the body.
func (c *clients) callRaw(t *testing.T, d docCall) map[string]any {
	t.Helper()
	req := requests.NewCommonRequest()
	req.Method = "POST"
	req.Scheme = "http"
	req.Domain = c.srv.Host()
	req.ApiName = d.action
	req.Version = ECSVersion
	if d.product == "vpc" {
		req.Version = VPCVersion
	}
	if _, ok := d.params["RegionId"]; !ok && d.action != "DescribeInstanceAttribute" {
		req.QueryParams["RegionId"] = testRegion
	}
	for k, v := range d.params {
		req.QueryParams[k] = v
	}
	resp, err := c.ecs.ProcessCommonRequest(req)
	if err != nil {
		t.Fatalf("%s %s: %v", d.product, d.action, err)
	}
	var body map[string]any
	must(t, json.Unmarshal(resp.GetHttpContentBytes(), &body))
	return body
}

// TestDocumentedFields calls every served action through the real SDK on a
// populated emulator and compares each response with the action's documented
// response table in testdata/documented.
func TestDocumentedFields(t *testing.T) {
	docs := map[string]map[string]documentedTable{"ecs": loadDocumented(t, "ecs"), "vpc": loadDocumented(t, "vpc")}
	c := newClients(t)
	n := c.network(t, testRegion)

	// A populated region: a tagged instance with user data, a RAM role, a
	// data disk and a public address; a security group rule; an associated EIP.
	rr := runRequest(n, 1)
	rr.UserData = base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hello\n"))
	rr.RamRoleName = "EcsRole"
	rr.InternetMaxBandwidthOut = requests.NewInteger(5)
	rr.DataDisk = &[]ecs.RunInstancesDataDisk{{Size: "100", Category: "cloud_essd"}}
	rr.Tag = &[]ecs.RunInstancesTag{{Key: "env", Value: "test"}}
	resp, err := c.ecs.RunInstances(rr)
	must(t, err)
	inst := resp.InstanceIdSets.InstanceIdSet[0]
	// A maintenance restart, so the system events' table has a row.
	if _, err := c.srv.RunSystemEvent(inst, "SystemMaintenance.Reboot"); err != nil {
		t.Fatal(err)
	}

	ecsCall := func(action string, kv ...string) docCall { return docCall{"ecs", action, pairs(kv)} }
	vpcCall := func(action string, kv ...string) docCall { return docCall{"vpc", action, pairs(kv)} }
	rule := []string{"SecurityGroupId", n.sgID, "IpProtocol", "tcp", "PortRange", "22/22", "SourceCidrIp", "10.0.0.0/8"}

	var eipID string
	steps := []struct {
		call docCall
		then func(map[string]any)
	}{
		{call: ecsCall("AuthorizeSecurityGroup", rule...)},
		{call: vpcCall("AllocateEipAddress"), then: func(b map[string]any) { eipID, _ = b["AllocationId"].(string) }},
		{call: vpcCall("AssociateEipAddress", "InstanceId", inst)},
		{call: vpcCall("TagResources", "ResourceType", "VPC", "ResourceId.1", n.vpcID, "Tag.1.Key", "env", "Tag.1.Value", "test")},
		{call: ecsCall("TagResources", "ResourceType", "securitygroup", "ResourceId.1", n.sgID, "Tag.1.Key", "env", "Tag.1.Value", "test")},
		{call: ecsCall("DescribeRegions")},
		{call: vpcCall("DescribeRegions")},
		{call: ecsCall("DescribeZones")},
		{call: ecsCall("DescribeInstanceTypes")},
		{call: ecsCall("DescribeImages")},
		{call: ecsCall("DescribeAvailableResource", "DestinationResource", "InstanceType")},
		{call: ecsCall("DescribePrice", "InstanceType", "ecs.g7.large")},
		{call: ecsCall("DescribeSpotPriceHistory", "NetworkType", "vpc", "InstanceType", "ecs.g7.large")},
		{call: ecsCall("DescribeInstances")},
		{call: ecsCall("DescribeInstanceStatus")},
		{call: ecsCall("DescribeInstanceHistoryEvents")},
		{call: ecsCall("DescribeInstanceAttribute", "InstanceId", inst)},
		{call: ecsCall("DescribeUserData", "InstanceId", inst)},
		{call: ecsCall("DescribeInstanceRamRole", "InstanceIds", jsonIDs(inst))},
		{call: ecsCall("DescribeInstanceMaintenanceAttributes", "InstanceId.1", inst)},
		{call: ecsCall("DescribeInstanceAttachmentAttributes", "InstanceIds", jsonIDs(inst))},
		{call: ecsCall("DescribeNetworkInterfaces", "InstanceId", inst)},
		{call: ecsCall("DescribeInstanceAutoRenewAttribute", "InstanceId", inst)},
		{call: ecsCall("DescribeDisks")},
		{call: ecsCall("DescribeSecurityGroups")},
		{call: ecsCall("DescribeSecurityGroupAttribute", "SecurityGroupId", n.sgID)},
		{call: ecsCall("ModifySecurityGroupPolicy", "SecurityGroupId", n.sgID, "InnerAccessPolicy", "Drop")},
		{call: ecsCall("ListTagResources", "ResourceType", "instance", "ResourceId.1", inst)},
		{call: vpcCall("ListTagResources", "ResourceType", "VPC", "ResourceId.1", n.vpcID)},
		{call: vpcCall("DescribeVpcs")},
		{call: vpcCall("DescribeVpcAttribute", "VpcId", n.vpcID)},
		{call: vpcCall("ModifyVpcAttribute", "VpcId", n.vpcID, "Description", "documented")},
		{call: vpcCall("DescribeVSwitches")},
		{call: vpcCall("DescribeVSwitchAttributes", "VSwitchId", n.vswID)},
		{call: vpcCall("ModifyVSwitchAttribute", "VSwitchId", n.vswID, "Description", "documented")},
		{call: vpcCall("DescribeRouteTableList", "VpcId", n.vpcID)},
		{call: vpcCall("DescribeEipAddresses")},
		{call: ecsCall("UntagResources", "ResourceType", "securitygroup", "ResourceId.1", n.sgID, "TagKey.1", "env")},
		{call: vpcCall("UnTagResources", "ResourceType", "VPC", "ResourceId.1", n.vpcID, "TagKey.1", "env")},
		{call: ecsCall("RevokeSecurityGroup", rule...)},
		{call: vpcCall("UnassociateEipAddress", "InstanceId", inst)},
		{call: ecsCall("StopInstance", "InstanceId", inst)},
		{call: ecsCall("StartInstance", "InstanceId", inst)},
		{call: ecsCall("RebootInstance", "InstanceId", inst)},
		{call: ecsCall("StopInstances", "InstanceId.1", inst)},
		{call: ecsCall("StartInstances", "InstanceId.1", inst)},
		{call: ecsCall("RebootInstances", "InstanceId.1", inst)},
		{call: ecsCall("DeleteInstance", "InstanceId", inst, "Force", "true")},
		{call: ecsCall("RunInstances", "ImageId", rr.ImageId, "InstanceType", rr.InstanceType, "VSwitchId", n.vswID, "SecurityGroupId", n.sgID)},
		{call: ecsCall("DeleteInstances", "InstanceId.1", "", "Force", "true")},
		{call: vpcCall("ReleaseEipAddress")},
		{call: vpcCall("CreateVpc", "CidrBlock", "10.0.0.0/8")},
		{call: vpcCall("CreateVSwitch", "VpcId", n.vpcID, "ZoneId", n.zone, "CidrBlock", "192.168.9.0/24")},
		{call: ecsCall("CreateSecurityGroup", "VpcId", n.vpcID)},
		{call: ecsCall("DeleteSecurityGroup")},
		{call: vpcCall("DeleteVSwitch")},
		{call: vpcCall("DeleteVpc")},
	}
	// IDs created by earlier steps, filled into later ones.
	var lastRun, lastVpc, lastVsw, lastSG string
	seen := map[string]bool{}
	for _, st := range steps {
		d := st.call
		switch d.action {
		case "DeleteInstances":
			d.params["InstanceId.1"] = lastRun
		case "ReleaseEipAddress", "AssociateEipAddress", "UnassociateEipAddress":
			d.params["AllocationId"] = eipID
		case "DeleteSecurityGroup":
			d.params["SecurityGroupId"] = lastSG
		case "DeleteVSwitch":
			d.params["VSwitchId"] = lastVsw
		case "DeleteVpc":
			d.params["VpcId"] = lastVpc
		}
		body := c.callRaw(t, d)
		switch d.action {
		case "RunInstances":
			lastRun = firstString(body, "InstanceIdSets", "InstanceIdSet")
		case "CreateVpc":
			lastVpc, _ = body["VpcId"].(string)
		case "CreateVSwitch":
			lastVsw, _ = body["VSwitchId"].(string)
		case "CreateSecurityGroup":
			lastSG, _ = body["SecurityGroupId"].(string)
		}
		if st.then != nil {
			st.then(body)
		}
		key := d.product + "." + d.action
		seen[key] = true
		doc, ok := docs[d.product][d.action]
		if !ok {
			t.Errorf("%s: no documented table", key)
			continue
		}
		for _, p := range compareDocumented(doc, body) {
			t.Errorf("%s: %s", key, p)
		}
	}
	for product, tables := range docs {
		for action := range tables {
			if !seen[product+"."+action] {
				t.Errorf("%s.%s has a documented table but was not called", product, action)
			}
		}
	}
}

// TestCompareDocumented checks that the comparison finds each kind of drift.
func TestCompareDocumented(t *testing.T) {
	doc := documentedTable{
		Fields: map[string]string{"RequestId": "string", "Items": "object", "Items.Item": "array", "Items.Item[]": "object",
			"Items.Item[].Id": "string", "Items.Item[].Size": "number", "Items.Item[].CreationTime": "string", "Lock": "object", "Lock.Reason": "string"},
		Times: map[string]string{"Items.Item[].CreationTime": "2006-01-02T15:04Z"},
	}
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"complete", `{"RequestId":"x","Items":{"Item":[{"Id":"a","Size":1,"CreationTime":"2024-01-02T03:04Z"}]},"Lock":{"Reason":""}}`, nil},
		{"empty array needs no element fields", `{"RequestId":"x","Items":{"Item":[]},"Lock":{"Reason":""}}`, nil},
		{"missing", `{"RequestId":"x","Items":{"Item":[{"Id":"a","CreationTime":""}]},"Lock":{"Reason":""}}`,
			[]string{"missing documented field Items.Item[].Size"}},
		{"missing container", `{"RequestId":"x","Items":{"Item":[]}}`, []string{"missing documented field Lock"}},
		{"undocumented", `{"RequestId":"x","Items":{"Item":[]},"Lock":{"Reason":""},"Extra":1}`, []string{"undocumented field Extra"}},
		{"type", `{"RequestId":"x","Items":{"Item":[{"Id":"a","Size":"1","CreationTime":""}]},"Lock":{"Reason":""}}`,
			[]string{"field Items.Item[].Size is string, documented number"}},
		{"null", `{"RequestId":"x","Items":{"Item":null},"Lock":{"Reason":""}}`, []string{"field Items.Item is null, documented array"}},
		{"time layout", `{"RequestId":"x","Items":{"Item":[{"Id":"a","Size":1,"CreationTime":"2024-01-02T03:04:05Z"}]},"Lock":{"Reason":""}}`,
			[]string{"time Items.Item[].CreationTime=2024-01-02T03:04:05Z not in layout 2006-01-02T15:04Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body map[string]any
			must(t, json.Unmarshal([]byte(tt.body), &body))
			if diff := cmp.Diff(tt.want, compareDocumented(doc, body)); diff != "" {
				t.Errorf("compareDocumented mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func pairs(kv []string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// firstString returns body[a][b][0] as a string.
func firstString(body map[string]any, a, b string) string {
	m, _ := body[a].(map[string]any)
	l, _ := m[b].([]any)
	if len(l) == 0 {
		return ""
	}
	s, _ := l[0].(string)
	return s
}
