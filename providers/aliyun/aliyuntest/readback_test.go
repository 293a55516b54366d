package aliyuntest

import (
	"encoding/base64"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/google/go-cmp/cmp"
)

// TestInfrastructureLifecycle walks, through the real SDK, the calls an
// infrastructure tool makes to apply, refresh and destroy a VPC, a vSwitch,
// a security group with an ingress rule, an instance and an associated EIP:
// every resource read back after it is made, and gone after it is deleted.
func TestInfrastructureLifecycle(t *testing.T) {
	c := newClients(t)

	// VPC: create, read back, read its route table.
	cv := vpcapi.CreateCreateVpcRequest()
	cv.CidrBlock, cv.VpcName = "172.16.0.0/12", "tf-vpc"
	rv, err := c.vpc.CreateVpc(cv)
	must(t, err)
	va := vpcapi.CreateDescribeVpcAttributeRequest()
	va.VpcId = rv.VpcId
	gotVpc, err := c.vpc.DescribeVpcAttribute(va)
	must(t, err)
	if gotVpc.VpcId != rv.VpcId || gotVpc.Status != "Available" || gotVpc.CidrBlock != "172.16.0.0/12" || gotVpc.VpcName != "tf-vpc" {
		t.Errorf("DescribeVpcAttribute: got %s %s %s %s, want %s Available 172.16.0.0/12 tf-vpc",
			gotVpc.VpcId, gotVpc.Status, gotVpc.CidrBlock, gotVpc.VpcName, rv.VpcId)
	}
	rt := vpcapi.CreateDescribeRouteTableListRequest()
	rt.VpcId = rv.VpcId
	tables, err := c.vpc.DescribeRouteTableList(rt)
	must(t, err)
	if got := tables.RouterTableList.RouterTableListType; len(got) != 1 || got[0].RouteTableId != rv.RouteTableId || got[0].RouteTableType != "System" {
		t.Errorf("DescribeRouteTableList: got %+v, want the system table %s", got, rv.RouteTableId)
	}

	// vSwitch.
	cw := vpcapi.CreateCreateVSwitchRequest()
	cw.VpcId, cw.ZoneId, cw.CidrBlock, cw.VSwitchName = rv.VpcId, "cn-hangzhou-h", "172.16.1.0/24", "tf-vsw"
	rw, err := c.vpc.CreateVSwitch(cw)
	must(t, err)
	wa := vpcapi.CreateDescribeVSwitchAttributesRequest()
	wa.VSwitchId = rw.VSwitchId
	gotVsw, err := c.vpc.DescribeVSwitchAttributes(wa)
	must(t, err)
	if gotVsw.VSwitchId != rw.VSwitchId || gotVsw.VpcId != rv.VpcId || gotVsw.ZoneId != "cn-hangzhou-h" ||
		gotVsw.RouteTable.RouteTableId != rv.RouteTableId || gotVsw.AvailableIpAddressCount != 250 {
		t.Errorf("DescribeVSwitchAttributes: got %+v", gotVsw)
	}

	// Security group with an ingress rule.
	cs := ecs.CreateCreateSecurityGroupRequest()
	cs.VpcId, cs.SecurityGroupName = rv.VpcId, "tf-sg"
	rs, err := c.ecs.CreateSecurityGroup(cs)
	must(t, err)
	pol := ecs.CreateModifySecurityGroupPolicyRequest()
	pol.SecurityGroupId, pol.InnerAccessPolicy = rs.SecurityGroupId, "Drop"
	_, err = c.ecs.ModifySecurityGroupPolicy(pol)
	must(t, err)
	auth := ecs.CreateAuthorizeSecurityGroupRequest()
	auth.SecurityGroupId, auth.IpProtocol, auth.PortRange, auth.SourceCidrIp = rs.SecurityGroupId, "tcp", "22/22", "10.0.0.0/8"
	_, err = c.ecs.AuthorizeSecurityGroup(auth)
	must(t, err)
	sga := ecs.CreateDescribeSecurityGroupAttributeRequest()
	sga.SecurityGroupId = rs.SecurityGroupId
	attr, err := c.ecs.DescribeSecurityGroupAttribute(sga)
	must(t, err)
	if attr.InnerAccessPolicy != "Drop" || len(attr.Permissions.Permission) != 1 {
		t.Errorf("DescribeSecurityGroupAttribute: got policy %s and %d rules, want Drop and 1", attr.InnerAccessPolicy, len(attr.Permissions.Permission))
	}

	// Instance with user data and a RAM role, and one without either.
	userData := base64.StdEncoding.EncodeToString([]byte("#cloud-config\n"))
	run := runRequest(network{vswID: rw.VSwitchId, sgID: rs.SecurityGroupId}, 1)
	run.UserData, run.RamRoleName = userData, "EcsRole"
	ri, err := c.ecs.RunInstances(run)
	must(t, err)
	inst := ri.InstanceIdSets.InstanceIdSet[0]
	ri2, err := c.ecs.RunInstances(runRequest(network{vswID: rw.VSwitchId, sgID: rs.SecurityGroupId}, 1))
	must(t, err)
	plain := ri2.InstanceIdSets.InstanceIdSet[0]

	got := c.describe(t, inst)[0]
	if got.SerialNumber == "" || got.ResourceGroupId == "" || got.CpuOptions.CoreCount != 1 || got.CpuOptions.ThreadsPerCore != 2 ||
		got.MetadataOptions.HttpEndpoint != "enabled" || len(got.NetworkInterfaces.NetworkInterface) != 1 {
		t.Errorf("DescribeInstances: got %+v", got)
	}
	eniID := got.NetworkInterfaces.NetworkInterface[0].NetworkInterfaceId

	ud := ecs.CreateDescribeUserDataRequest()
	ud.InstanceId = inst
	gotUD, err := c.ecs.DescribeUserData(ud)
	must(t, err)
	if gotUD.UserData != userData {
		t.Errorf("DescribeUserData: got %q, want %q", gotUD.UserData, userData)
	}

	rr := ecs.CreateDescribeInstanceRamRoleRequest()
	rr.InstanceIds = jsonIDs(inst, plain)
	roles, err := c.ecs.DescribeInstanceRamRole(rr)
	must(t, err)
	gotRoles := map[string]string{}
	for _, r := range roles.InstanceRamRoleSets.InstanceRamRoleSet {
		gotRoles[r.InstanceId] = r.RamRoleName
	}
	if diff := cmp.Diff(map[string]string{inst: "EcsRole", plain: ""}, gotRoles); diff != "" {
		t.Errorf("DescribeInstanceRamRole lists every asked instance (-want +got):\n%s", diff)
	}

	ma := ecs.CreateDescribeInstanceMaintenanceAttributesRequest()
	ma.InstanceId = &[]string{inst}
	maint, err := c.ecs.DescribeInstanceMaintenanceAttributes(ma)
	must(t, err)
	if m := maint.MaintenanceAttributes.MaintenanceAttribute; len(m) != 1 || m[0].InstanceId != inst || m[0].ActionOnMaintenance.Value == "" {
		t.Errorf("DescribeInstanceMaintenanceAttributes: got %+v", m)
	}

	aa := ecs.CreateDescribeInstanceAttachmentAttributesRequest()
	aa.InstanceIds = jsonIDs(inst)
	att, err := c.ecs.DescribeInstanceAttachmentAttributes(aa)
	must(t, err)
	if a := att.Instances.Instance; len(a) != 1 || a[0].InstanceId != inst {
		t.Errorf("DescribeInstanceAttachmentAttributes: got %+v", a)
	}

	ia := ecs.CreateDescribeInstanceAttributeRequest()
	ia.InstanceId = inst
	ia.RegionId = "" // the reference lists no RegionId for this action
	gotAttr, err := c.ecs.DescribeInstanceAttribute(ia)
	must(t, err)
	if gotAttr.InstanceId != inst || gotAttr.VpcAttributes.VSwitchId != rw.VSwitchId || gotAttr.IoOptimized != "optimized" {
		t.Errorf("DescribeInstanceAttribute: got %+v", gotAttr)
	}

	// EIP with association.
	ae := vpcapi.CreateAllocateEipAddressRequest()
	eipResp, err := c.vpc.AllocateEipAddress(ae)
	must(t, err)
	as := vpcapi.CreateAssociateEipAddressRequest()
	as.AllocationId, as.InstanceId = eipResp.AllocationId, inst
	_, err = c.vpc.AssociateEipAddress(as)
	must(t, err)

	ni := ecs.CreateDescribeNetworkInterfacesRequest()
	ni.NetworkInterfaceId = &[]string{eniID}
	enis, err := c.ecs.DescribeNetworkInterfaces(ni)
	must(t, err)
	if e := enis.NetworkInterfaceSets.NetworkInterfaceSet; len(e) != 1 || e[0].InstanceId != inst || e[0].Type != "Primary" ||
		e[0].AssociatedPublicIp.AllocationId != eipResp.AllocationId || e[0].PrivateIpAddress != got.VpcAttributes.PrivateIpAddress.IpAddress[0] {
		t.Errorf("DescribeNetworkInterfaces: got %+v", e)
	}

	// Destroy in reverse order; each delete is real and each read shows it.
	un := vpcapi.CreateUnassociateEipAddressRequest()
	un.AllocationId, un.InstanceId = eipResp.AllocationId, inst
	_, err = c.vpc.UnassociateEipAddress(un)
	must(t, err)
	rel := vpcapi.CreateReleaseEipAddressRequest()
	rel.AllocationId = eipResp.AllocationId
	_, err = c.vpc.ReleaseEipAddress(rel)
	must(t, err)
	for _, id := range []string{inst, plain} {
		del := ecs.CreateDeleteInstanceRequest()
		del.InstanceId, del.Force = id, requests.NewBoolean(true)
		_, err = c.ecs.DeleteInstance(del)
		must(t, err)
	}
	ia.InstanceId = inst
	_, err = c.ecs.DescribeInstanceAttribute(ia)
	wantCode(t, err, "InvalidInstanceId.NotFound", 404)

	rev := ecs.CreateRevokeSecurityGroupRequest()
	rev.SecurityGroupId, rev.IpProtocol, rev.PortRange, rev.SourceCidrIp = rs.SecurityGroupId, "tcp", "22/22", "10.0.0.0/8"
	_, err = c.ecs.RevokeSecurityGroup(rev)
	must(t, err)
	attr, err = c.ecs.DescribeSecurityGroupAttribute(sga)
	must(t, err)
	if n := len(attr.Permissions.Permission); n != 0 {
		t.Errorf("after RevokeSecurityGroup: got %d rules, want 0", n)
	}
	delSG := ecs.CreateDeleteSecurityGroupRequest()
	delSG.SecurityGroupId = rs.SecurityGroupId
	_, err = c.ecs.DeleteSecurityGroup(delSG)
	must(t, err)

	dw := vpcapi.CreateDeleteVSwitchRequest()
	dw.VSwitchId = rw.VSwitchId
	_, err = c.vpc.DeleteVSwitch(dw)
	must(t, err)
	gone, err := c.vpc.DescribeVSwitchAttributes(wa)
	must(t, err)
	if gone.VSwitchId != "" {
		t.Errorf("DescribeVSwitchAttributes after delete: got VSwitchId %q, want empty", gone.VSwitchId)
	}
	dv := vpcapi.CreateDeleteVpcRequest()
	dv.VpcId = rv.VpcId
	_, err = c.vpc.DeleteVpc(dv)
	must(t, err)
	_, err = c.vpc.DescribeVpcAttribute(va)
	wantCode(t, err, "InvalidVpcID.NotFound", 404)

	if a := c.srv.Audit(); len(c.srv.InstanceIDs(testRegion)) != 0 {
		t.Errorf("instances left after destroy: %v (audit %+v)", c.srv.InstanceIDs(testRegion), a)
	}
}

// TestRevokeAndUntag covers the delete paths' edge cases.
func TestRevokeAndUntag(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	auth := ecs.CreateAuthorizeSecurityGroupRequest()
	auth.SecurityGroupId = n.sgID
	auth.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{
		{IpProtocol: "tcp", PortRange: "80/80", SourceCidrIp: "0.0.0.0/0"},
		{IpProtocol: "tcp", PortRange: "443/443", SourceCidrIp: "0.0.0.0/0"},
	}
	_, err := c.ecs.AuthorizeSecurityGroup(auth)
	must(t, err)
	sga := ecs.CreateDescribeSecurityGroupAttributeRequest()
	sga.SecurityGroupId = n.sgID
	attr, err := c.ecs.DescribeSecurityGroupAttribute(sga)
	must(t, err)
	var id443 string
	for _, p := range attr.Permissions.Permission {
		if p.PortRange == "443/443" {
			id443 = p.SecurityGroupRuleId
		}
	}

	tests := []struct {
		name      string
		req       func(*ecs.RevokeSecurityGroupRequest)
		wantCode  string
		wantPorts []string
	}{
		{"absent rule succeeds unchanged", func(r *ecs.RevokeSecurityGroupRequest) {
			r.IpProtocol, r.PortRange, r.SourceCidrIp = "tcp", "8080/8080", "0.0.0.0/0"
		}, "", []string{"80/80", "443/443"}},
		{"unknown rule ID", func(r *ecs.RevokeSecurityGroupRequest) { r.SecurityGroupRuleId = &[]string{"sgr-nope"} },
			"InvalidSecurityGroupRuleId.NotFound", []string{"80/80", "443/443"}},
		{"by rule ID", func(r *ecs.RevokeSecurityGroupRequest) { r.SecurityGroupRuleId = &[]string{id443} }, "", []string{"80/80"}},
		{"by permissions", func(r *ecs.RevokeSecurityGroupRequest) {
			r.Permissions = &[]ecs.RevokeSecurityGroupPermissions{{IpProtocol: "TCP", PortRange: "80/80", SourceCidrIp: "0.0.0.0/0"}}
		}, "", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ecs.CreateRevokeSecurityGroupRequest()
			r.SecurityGroupId = n.sgID
			tt.req(r)
			_, err := c.ecs.RevokeSecurityGroup(r)
			if got := errCodeOf(t, err); got != tt.wantCode {
				t.Fatalf("got code %q, want %q", got, tt.wantCode)
			}
			attr, err := c.ecs.DescribeSecurityGroupAttribute(sga)
			must(t, err)
			ports := []string{}
			for _, p := range attr.Permissions.Permission {
				ports = append(ports, p.PortRange)
			}
			if diff := cmp.Diff(tt.wantPorts, ports); diff != "" {
				t.Errorf("rules left (-want +got):\n%s", diff)
			}
		})
	}

	// Untag one key of two, then all.
	tag := ecs.CreateTagResourcesRequest()
	tag.ResourceType, tag.ResourceId = "securitygroup", &[]string{n.sgID}
	tag.Tag = &[]ecs.TagResourcesTag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}
	_, err = c.ecs.TagResources(tag)
	must(t, err)
	untag := ecs.CreateUntagResourcesRequest()
	untag.ResourceType, untag.ResourceId, untag.TagKey = "securitygroup", &[]string{n.sgID}, &[]string{"a"}
	_, err = c.ecs.UntagResources(untag)
	must(t, err)
	if got := c.sgTags(t, n.sgID); !cmp.Equal(got, []string{"b"}) {
		t.Errorf("after untag a: got tags %v, want [b]", got)
	}
	untag.TagKey, untag.All = nil, requests.NewBoolean(true)
	_, err = c.ecs.UntagResources(untag)
	must(t, err)
	if got := c.sgTags(t, n.sgID); len(got) != 0 {
		t.Errorf("after untag all: got tags %v, want none", got)
	}

	vt := vpcapi.CreateTagResourcesRequest()
	vt.ResourceType, vt.ResourceId = "VPC", &[]string{n.vpcID}
	vt.Tag = &[]vpcapi.TagResourcesTag{{Key: "a", Value: "1"}}
	_, err = c.vpc.TagResources(vt)
	must(t, err)
	vu := vpcapi.CreateUnTagResourcesRequest()
	vu.ResourceType, vu.ResourceId, vu.TagKey = "VPC", &[]string{n.vpcID}, &[]string{"a"}
	_, err = c.vpc.UnTagResources(vu)
	must(t, err)
	va := vpcapi.CreateDescribeVpcAttributeRequest()
	va.VpcId = n.vpcID
	gotVpc, err := c.vpc.DescribeVpcAttribute(va)
	must(t, err)
	if len(gotVpc.Tags.Tag) != 0 {
		t.Errorf("VPC tags after UnTagResources: got %+v, want none", gotVpc.Tags.Tag)
	}
}

// sgTags returns the tag keys of a security group.
func (c *clients) sgTags(t *testing.T, id string) []string {
	t.Helper()
	r := ecs.CreateDescribeSecurityGroupsRequest()
	r.SecurityGroupId = id
	resp, err := c.ecs.DescribeSecurityGroups(r)
	must(t, err)
	keys := []string{}
	for _, g := range resp.SecurityGroups.SecurityGroup {
		for _, tg := range g.Tags.Tag {
			keys = append(keys, tg.TagKey)
		}
	}
	return keys
}

// TestAutoRenewAttribute reads back the renewal setting RunInstances was given.
func TestAutoRenewAttribute(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	sub := runRequest(n, 1)
	sub.InstanceChargeType, sub.Period, sub.PeriodUnit = "PrePaid", requests.NewInteger(1), "Month"
	sub.AutoRenew, sub.AutoRenewPeriod = requests.NewBoolean(true), requests.NewInteger(3)
	rs, err := c.ecs.RunInstances(sub)
	must(t, err)
	payg := c.run(t, n, 1)[0]
	subID := rs.InstanceIdSets.InstanceIdSet[0]

	bad := runRequest(n, 1)
	bad.InstanceChargeType, bad.Period = "PrePaid", requests.NewInteger(1)
	bad.AutoRenew, bad.AutoRenewPeriod = requests.NewBoolean(true), requests.NewInteger(5)
	_, err = c.ecs.RunInstances(bad)
	wantCode(t, err, "InvalidAutoRenewPeriod.ValueNotSupported", 400)

	r := ecs.CreateDescribeInstanceAutoRenewAttributeRequest()
	r.InstanceId = subID + "," + payg
	resp, err := c.ecs.DescribeInstanceAutoRenewAttribute(r)
	must(t, err)
	type attr struct {
		Enabled  bool
		Duration int
		Status   string
	}
	got := map[string]attr{}
	for _, a := range resp.InstanceRenewAttributes.InstanceRenewAttribute {
		got[a.InstanceId] = attr{a.AutoRenewEnabled, a.Duration, a.RenewalStatus}
	}
	want := map[string]attr{subID: {true, 3, "AutoRenewal"}, payg: {false, 0, "Normal"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeInstanceAutoRenewAttribute (-want +got):\n%s", diff)
	}
}
