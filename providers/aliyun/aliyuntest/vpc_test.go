package aliyuntest

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/google/go-cmp/cmp"
)

func TestVPCAndVSwitch(t *testing.T) {
	c := newClients(t)
	cv := vpcapi.CreateCreateVpcRequest()
	cv.CidrBlock = "10.0.0.0/16"
	cv.VpcName = "main"
	cv.ClientToken = "vpc-token"
	cv.Tag = &[]vpcapi.CreateVpcTag{{Key: "Owner", Value: "alice"}}
	v, err := c.vpc.CreateVpc(cv)
	must(t, err)
	again, err := c.vpc.CreateVpc(cv)
	must(t, err)
	if again.VpcId != v.VpcId {
		t.Errorf("repeated ClientToken: got VPC %s, want %s", again.VpcId, v.VpcId)
	}
	cv.VpcName = "changed"
	_, err = c.vpc.CreateVpc(cv)
	wantCode(t, err, "IdempotentParameterMismatch", 400)

	dv := vpcapi.CreateDescribeVpcsRequest()
	dv.VpcId = v.VpcId
	vs, err := c.vpc.DescribeVpcs(dv)
	must(t, err)
	if vs.TotalCount != 1 {
		t.Fatalf("got %d VPCs, want 1", vs.TotalCount)
	}
	got := vs.Vpcs.Vpc[0]
	type shape struct{ ID, Name, Status, Cidr, Region, TagKey, TagValue string }
	if diff := cmp.Diff(shape{v.VpcId, "main", "Available", "10.0.0.0/16", testRegion, "Owner", "alice"},
		shape{got.VpcId, got.VpcName, got.Status, got.CidrBlock, got.RegionId, got.Tags.Tag[0].Key, got.Tags.Tag[0].Value}); diff != "" {
		t.Errorf("VPC mismatch (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name, cidr, zone, code string
		status                 int
	}{
		{"ok", "10.0.1.0/24", "cn-hangzhou-h", "", 0},
		{"overlap", "10.0.1.128/25", "cn-hangzhou-h", "InvalidCidrBlock.Overlapped", 400},
		{"outside VPC", "10.1.0.0/24", "cn-hangzhou-h", "InvalidCidrBlock.Mismatch", 400},
		{"mask too small", "10.0.0.0/30", "cn-hangzhou-h", "InvalidCidrBlock.Malformed", 400},
		{"mask too big", "10.0.0.0/15", "cn-hangzhou-h", "InvalidCidrBlock.Malformed", 400},
		{"bad zone", "10.0.2.0/24", "cn-hangzhou-z", "InvalidZoneId.NotFound", 404},
	} {
		cw := vpcapi.CreateCreateVSwitchRequest()
		cw.VpcId, cw.CidrBlock, cw.ZoneId = v.VpcId, tc.cidr, tc.zone
		_, err := c.vpc.CreateVSwitch(cw)
		if tc.code == "" {
			must(t, err)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { wantCode(t, err, tc.code, tc.status) })
	}
	dw := vpcapi.CreateDescribeVSwitchesRequest()
	dw.VpcId = v.VpcId
	ws, err := c.vpc.DescribeVSwitches(dw)
	must(t, err)
	if ws.TotalCount != 1 || ws.VSwitches.VSwitch[0].AvailableIpAddressCount != 250 || ws.VSwitches.VSwitch[0].Status != "Available" {
		t.Fatalf("got %+v, want one Available vSwitch with 250 free addresses", ws.VSwitches.VSwitch)
	}
	vswID := ws.VSwitches.VSwitch[0].VSwitchId

	// Dependencies: instance in the vSwitch, security group in the VPC.
	cs := ecs.CreateCreateSecurityGroupRequest()
	cs.VpcId = v.VpcId
	sg, err := c.ecs.CreateSecurityGroup(cs)
	must(t, err)
	id := c.run(t, network{vpcID: v.VpcId, vswID: vswID, sgID: sg.SecurityGroupId}, 1)[0]
	delW := vpcapi.CreateDeleteVSwitchRequest()
	delW.VSwitchId = vswID
	_, err = c.vpc.DeleteVSwitch(delW)
	wantCode(t, err, "DependencyViolation", 400)
	delV := vpcapi.CreateDeleteVpcRequest()
	delV.VpcId = v.VpcId
	_, err = c.vpc.DeleteVpc(delV)
	wantCode(t, err, "DependencyViolation", 400)
	delG := ecs.CreateDeleteSecurityGroupRequest()
	delG.SecurityGroupId = sg.SecurityGroupId
	_, err = c.ecs.DeleteSecurityGroup(delG)
	wantCode(t, err, "DependencyViolation", 403)

	must(t, c.srv.RemoveInstance(id))
	_, err = c.ecs.DeleteSecurityGroup(delG)
	must(t, err)
	_, err = c.vpc.DeleteVSwitch(delW)
	must(t, err)
	_, err = c.vpc.DeleteVpc(delV)
	must(t, err)
	_, err = c.vpc.DeleteVpc(delV)
	wantCode(t, err, "InvalidVpcID.NotFound", 404)
}

func TestVPCRules(t *testing.T) {
	clk := newFakeClock()
	c := newClients(t, WithClock(clk.Now), WithTransitionDelay(time.Minute))
	c.srv.SetVPCQuota(2)
	for _, tc := range []struct{ cidr, code string }{
		{"192.168.0.0/16", ""},
		{"100.64.0.0/16", "InvalidCidrBlock.Malformed"},
		{"10.0.0.0/29", "InvalidCidrBlock.Malformed"},
		{"10.0.0.1/16", "InvalidCidrBlock.Malformed"},
		{"172.16.0.0/12", ""},
		{"10.0.0.0/8", "QuotaExceeded.Vpc"},
	} {
		cv := vpcapi.CreateCreateVpcRequest()
		cv.CidrBlock = tc.cidr
		_, err := c.vpc.CreateVpc(cv)
		if got := errCodeOf(t, err); got != tc.code {
			t.Errorf("CreateVpc %s: got %q, want %q", tc.cidr, got, tc.code)
		}
	}
	dv := vpcapi.CreateDescribeVpcsRequest()
	vs, err := c.vpc.DescribeVpcs(dv)
	must(t, err)
	v := vs.Vpcs.Vpc[0]
	if v.Status != "Pending" {
		t.Fatalf("got status %s, want Pending", v.Status)
	}
	delV := vpcapi.CreateDeleteVpcRequest()
	delV.VpcId = v.VpcId
	_, err = c.vpc.DeleteVpc(delV)
	wantCode(t, err, "IncorrectVpcStatus", 400)
	clk.Advance(time.Minute)
	_, err = c.vpc.DeleteVpc(delV)
	must(t, err)
}

func TestEIPLifecycle(t *testing.T) {
	clk := newFakeClock()
	c := newClients(t, WithClock(clk.Now))
	n := c.network(t, testRegion)
	ids := c.run(t, n, 2)

	al := vpcapi.CreateAllocateEipAddressRequest()
	al.Bandwidth = "10"
	al.InternetChargeType = "PayByTraffic"
	al.ClientToken = "eip-1"
	e, err := c.vpc.AllocateEipAddress(al)
	must(t, err)
	e2, err := c.vpc.AllocateEipAddress(al)
	must(t, err)
	if e2.AllocationId != e.AllocationId {
		t.Errorf("repeated ClientToken: got %s, want %s", e2.AllocationId, e.AllocationId)
	}
	al.Bandwidth = "201"
	al.ClientToken = ""
	_, err = c.vpc.AllocateEipAddress(al)
	wantCode(t, err, "InvalidBandwidth", 400)

	describe := func() vpcapi.EipAddress {
		t.Helper()
		r := vpcapi.CreateDescribeEipAddressesRequest()
		r.AllocationId = e.AllocationId
		resp, err := c.vpc.DescribeEipAddresses(r)
		must(t, err)
		if len(resp.EipAddresses.EipAddress) != 1 {
			t.Fatalf("got %d EIPs, want 1", len(resp.EipAddresses.EipAddress))
		}
		return resp.EipAddresses.EipAddress[0]
	}
	if got := describe(); got.Status != "Available" || got.Bandwidth != "10" || got.IpAddress != e.EipAddress {
		t.Fatalf("got %+v, want Available 10 Mbit/s at %s", got, e.EipAddress)
	}

	assoc := vpcapi.CreateAssociateEipAddressRequest()
	assoc.AllocationId = e.AllocationId
	assoc.InstanceId = ids[0]
	must(t, func() error { _, err := c.vpc.AssociateEipAddress(assoc); return err }())
	if got := describe(); got.Status != "InUse" || got.InstanceId != ids[0] {
		t.Fatalf("got %s on %q, want InUse on %s", got.Status, got.InstanceId, ids[0])
	}
	if got := c.describe(t, ids[0])[0].EipAddress; got.AllocationId != e.AllocationId || got.IpAddress != e.EipAddress || got.Bandwidth != 10 {
		t.Errorf("DescribeInstances EipAddress: got %+v, want %s %s 10", got, e.AllocationId, e.EipAddress)
	}
	_, err = c.vpc.AssociateEipAddress(assoc)
	wantCode(t, err, "IncorrectEipStatus", 400)

	// A second EIP cannot go onto the same instance.
	other, err := c.vpc.AllocateEipAddress(vpcapi.CreateAllocateEipAddressRequest())
	must(t, err)
	assoc2 := vpcapi.CreateAssociateEipAddressRequest()
	assoc2.AllocationId = other.AllocationId
	assoc2.InstanceId = ids[0]
	_, err = c.vpc.AssociateEipAddress(assoc2)
	wantCode(t, err, "InvalidAssociation.Duplicated", 400)

	rel := vpcapi.CreateReleaseEipAddressRequest()
	rel.AllocationId = e.AllocationId
	_, err = c.vpc.ReleaseEipAddress(rel)
	wantCode(t, err, "IncorrectEipStatus", 400)

	// Deleting the instance disassociates the EIP but keeps it.
	del := ecs.CreateDeleteInstanceRequest()
	del.InstanceId, del.Force = ids[0], requests.NewBoolean(true)
	_, err = c.ecs.DeleteInstance(del)
	must(t, err)
	if got := describe(); got.Status != "Available" || got.InstanceId != "" {
		t.Fatalf("after instance deletion: got %s on %q, want Available and unbound", got.Status, got.InstanceId)
	}

	// Unassociate goes through Unassociating with a transition delay.
	assoc.InstanceId = ids[1]
	_, err = c.vpc.AssociateEipAddress(assoc)
	must(t, err)
	un := vpcapi.CreateUnassociateEipAddressRequest()
	un.AllocationId, un.InstanceId = e.AllocationId, ids[1]
	_, err = c.vpc.UnassociateEipAddress(un)
	must(t, err)
	_, err = c.vpc.UnassociateEipAddress(un)
	wantCode(t, err, "IncorrectEipStatus", 400)
	_, err = c.vpc.ReleaseEipAddress(rel)
	must(t, err)
	_, err = c.vpc.ReleaseEipAddress(rel)
	wantCode(t, err, "InvalidAllocationId.NotFound", 404)
	if a := c.srv.Audit(); a.EIPs != 1 || a.UnassociatedEIPs != 1 {
		t.Errorf("got %d EIPs, %d unassociated; want 1 and 1", a.EIPs, a.UnassociatedEIPs)
	}
}

func TestEIPTransitions(t *testing.T) {
	clk := newFakeClock()
	c := newClients(t, WithClock(clk.Now), WithTransitionDelay(time.Minute))
	n := c.networkAdvancing(t, testRegion, func() { clk.Advance(time.Minute) })
	id := c.run(t, n, 1)[0]
	e, err := c.vpc.AllocateEipAddress(vpcapi.CreateAllocateEipAddressRequest())
	must(t, err)
	assoc := vpcapi.CreateAssociateEipAddressRequest()
	assoc.AllocationId, assoc.InstanceId = e.AllocationId, id
	_, err = c.vpc.AssociateEipAddress(assoc)
	wantCode(t, err, "IncorrectInstanceStatus", 400) // still Pending
	clk.Advance(time.Minute)
	_, err = c.vpc.AssociateEipAddress(assoc)
	must(t, err)
	status := func() string {
		r := vpcapi.CreateDescribeEipAddressesRequest()
		resp, err := c.vpc.DescribeEipAddresses(r)
		must(t, err)
		return resp.EipAddresses.EipAddress[0].Status
	}
	var seen []string
	seen = append(seen, status())
	if got := c.describe(t, id)[0].EipAddress.AllocationId; got != "" {
		t.Errorf("while Associating: DescribeInstances shows EIP %q, want none", got)
	}
	clk.Advance(time.Minute)
	seen = append(seen, status())
	un := vpcapi.CreateUnassociateEipAddressRequest()
	un.AllocationId = e.AllocationId
	_, err = c.vpc.UnassociateEipAddress(un)
	must(t, err)
	seen = append(seen, status())
	clk.Advance(time.Minute)
	seen = append(seen, status())
	if diff := cmp.Diff([]string{"Associating", "InUse", "Unassociating", "Available"}, seen); diff != "" {
		t.Errorf("EIP status sequence (-want +got):\n%s", diff)
	}
}

func TestEIPQuota(t *testing.T) {
	c := newClients(t)
	c.srv.SetEIPQuota(1)
	_, err := c.vpc.AllocateEipAddress(vpcapi.CreateAllocateEipAddressRequest())
	must(t, err)
	_, err = c.vpc.AllocateEipAddress(vpcapi.CreateAllocateEipAddressRequest())
	wantCode(t, err, "QuotaExceeded.Eip", 400)
}

func TestSecurityGroupRules(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	auth := func(perms ...ecs.AuthorizeSecurityGroupPermissions) error {
		r := ecs.CreateAuthorizeSecurityGroupRequest()
		r.SecurityGroupId = n.sgID
		r.Permissions = &perms
		_, err := c.ecs.AuthorizeSecurityGroup(r)
		return err
	}
	ssh := ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "TCP", PortRange: "22/22", SourceCidrIp: "0.0.0.0/0"}
	must(t, auth(ssh, ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "icmp", PortRange: "-1/-1", SourceCidrIp: "10.0.0.0/8"}))
	must(t, auth(ssh)) // re-adding is a silent success
	for _, tc := range []struct {
		name string
		p    ecs.AuthorizeSecurityGroupPermissions
		code string
	}{
		{"bad protocol", ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "sctp", PortRange: "1/2", SourceCidrIp: "0.0.0.0/0"}, "InvalidIpProtocol.Malformed"},
		{"bad port", ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "tcp", PortRange: "0/70000", SourceCidrIp: "0.0.0.0/0"}, "InvalidPortRange.Malformed"},
		{"icmp with ports", ecs.AuthorizeSecurityGroupPermissions{IpProtocol: "icmp", PortRange: "1/2", SourceCidrIp: "0.0.0.0/0"}, "InvalidPortRange.Malformed"},
	} {
		if got := errCodeOf(t, auth(tc.p)); got != tc.code {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.code)
		}
	}
	legacy := ecs.CreateAuthorizeSecurityGroupRequest()
	legacy.SecurityGroupId = n.sgID
	legacy.IpProtocol, legacy.PortRange, legacy.SourceCidrIp = "udp", "53/53", "10.0.0.0/8"
	_, err := c.ecs.AuthorizeSecurityGroup(legacy)
	must(t, err)
	legacy.Permissions = &[]ecs.AuthorizeSecurityGroupPermissions{ssh}
	_, err = c.ecs.AuthorizeSecurityGroup(legacy)
	wantCode(t, err, "InvalidParameter.Conflict", 400)

	attr := ecs.CreateDescribeSecurityGroupAttributeRequest()
	attr.SecurityGroupId = n.sgID
	a, err := c.ecs.DescribeSecurityGroupAttribute(attr)
	must(t, err)
	var rules []string
	for _, p := range a.Permissions.Permission {
		rules = append(rules, p.IpProtocol+" "+p.PortRange+" "+p.SourceCidrIp)
	}
	if diff := cmp.Diff([]string{"TCP 22/22 0.0.0.0/0", "ICMP -1/-1 10.0.0.0/8", "UDP 53/53 10.0.0.0/8"}, rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}

	ds := ecs.CreateDescribeSecurityGroupsRequest()
	ds.VpcId = n.vpcID
	gs, err := c.ecs.DescribeSecurityGroups(ds)
	must(t, err)
	if gs.TotalCount != 1 || gs.SecurityGroups.SecurityGroup[0].SecurityGroupId != n.sgID {
		t.Errorf("DescribeSecurityGroups: got %+v, want %s", gs.SecurityGroups.SecurityGroup, n.sgID)
	}
	cs := ecs.CreateCreateSecurityGroupRequest()
	cs.VpcId = "vpc-nope"
	_, err = c.ecs.CreateSecurityGroup(cs)
	wantCode(t, err, "InvalidVpcId.NotFound", 404)
}

func TestTagResources(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	ids := c.run(t, n, 2)
	tr := ecs.CreateTagResourcesRequest()
	tr.ResourceType = "instance"
	tr.ResourceId = &ids
	tr.Tag = &[]ecs.TagResourcesTag{{Key: "team", Value: "ml"}}
	_, err := c.ecs.TagResources(tr)
	must(t, err)
	lr := ecs.CreateListTagResourcesRequest()
	lr.ResourceType = "instance"
	lr.Tag = &[]ecs.ListTagResourcesTag{{Key: "team", Value: "ml"}}
	l, err := c.ecs.ListTagResources(lr)
	must(t, err)
	if len(l.TagResources.TagResource) != 2 || l.TagResources.TagResource[0].TagKey != "team" {
		t.Errorf("ECS ListTagResources: got %+v, want 2 team tags", l.TagResources.TagResource)
	}
	tr.Tag = &[]ecs.TagResourcesTag{{Key: "acs:x", Value: "y"}}
	_, err = c.ecs.TagResources(tr)
	wantCode(t, err, "InvalidTagKey.Malformed", 400)

	vt := vpcapi.CreateTagResourcesRequest()
	vt.ResourceType = "VPC"
	vt.ResourceId = &[]string{n.vpcID}
	vt.Tag = &[]vpcapi.TagResourcesTag{{Key: "Owner", Value: "bob"}}
	_, err = c.vpc.TagResources(vt)
	must(t, err)
	vl := vpcapi.CreateListTagResourcesRequest()
	vl.ResourceType = "VPC"
	vl.ResourceId = &[]string{n.vpcID}
	got, err := c.vpc.ListTagResources(vl)
	must(t, err)
	if len(got.TagResources.TagResource) != 1 || got.TagResources.TagResource[0].TagValue != "bob" {
		t.Errorf("VPC ListTagResources: got %+v, want Owner=bob", got.TagResources.TagResource)
	}
	if a := c.srv.Audit(); a.VPCsByOwner["bob"] != 1 {
		t.Errorf("Audit VPCsByOwner: got %v, want bob:1", a.VPCsByOwner)
	}
}
