package aliyuntest

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	vpcapi "github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/google/go-cmp/cmp"
)

func TestRunAndDescribeInstances(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	req := runRequest(n, 2)
	req.InstanceType = "ecs.gn7i-c8g1.2xlarge"
	req.InstanceName = "web"
	req.HostName = "web-host"
	req.Description = "a web server"
	req.KeyPairName = "kp"
	req.Password = "Secr3t-pass"
	req.InternetMaxBandwidthOut = requests.NewInteger(5)
	req.SystemDiskCategory = "cloud_essd"
	req.SystemDiskSize = "60"
	req.DataDisk = &[]ecs.RunInstancesDataDisk{{Size: "100", Category: "cloud_ssd"}}
	req.Tag = &[]ecs.RunInstancesTag{{Key: "Owner", Value: "alice"}, {Key: "env", Value: ""}}
	resp, err := c.ecs.RunInstances(req)
	must(t, err)
	ids := resp.InstanceIdSets.InstanceIdSet
	if len(ids) != 2 || !hasPrefix(ids[0], "i-bp1") {
		t.Fatalf("got instance IDs %v, want 2 IDs starting i-bp1", ids)
	}
	if resp.RequestId == "" || resp.TradePrice <= 0 {
		t.Errorf("got RequestId %q TradePrice %v, want both set", resp.RequestId, resp.TradePrice)
	}

	got := c.describe(t, ids[0])
	if len(got) != 1 {
		t.Fatalf("got %d instances, want 1", len(got))
	}
	in := got[0]
	type shape struct {
		ID, Name, Host, Desc, Status, Region, Zone, Type, Family, GPUSpec, OSType, Image, Charge, Net, KeyPair, VpcID, VswID string
		Cpu, Memory, GPUs, BWOut                                                                                             int
		SGs                                                                                                                  []string
		Tags                                                                                                                 map[string]string
		HasPublicIP, HasPrivateIP, IoOptimized                                                                               bool
	}
	tags := map[string]string{}
	for _, tg := range in.Tags.Tag {
		tags[tg.TagKey] = tg.TagValue
	}
	gotShape := shape{
		ID: in.InstanceId, Name: in.InstanceName, Host: in.HostName, Desc: in.Description, Status: in.Status,
		Region: in.RegionId, Zone: in.ZoneId, Type: in.InstanceType, Family: in.InstanceTypeFamily, GPUSpec: in.GPUSpec,
		OSType: in.OSType, Image: in.ImageId, Charge: in.InstanceChargeType, Net: in.InstanceNetworkType, KeyPair: in.KeyPairName,
		VpcID: in.VpcAttributes.VpcId, VswID: in.VpcAttributes.VSwitchId, Cpu: in.Cpu, Memory: in.Memory, GPUs: in.GPUAmount,
		BWOut: in.InternetMaxBandwidthOut, SGs: in.SecurityGroupIds.SecurityGroupId, Tags: tags,
		HasPublicIP: len(in.PublicIpAddress.IpAddress) == 1, HasPrivateIP: len(in.VpcAttributes.PrivateIpAddress.IpAddress) == 1,
		IoOptimized: in.IoOptimized,
	}
	want := shape{
		ID: ids[0], Name: "web", Host: "web-host", Desc: "a web server", Status: "Running", Region: testRegion, Zone: n.zone,
		Type: "ecs.gn7i-c8g1.2xlarge", Family: "ecs.gn7i", GPUSpec: "NVIDIA A10", OSType: "linux",
		Image: "ubuntu_22_04_x64_20G_alibase_20230815.vhd", Charge: "PostPaid", Net: "vpc", KeyPair: "kp",
		VpcID: n.vpcID, VswID: n.vswID, Cpu: 8, Memory: 30 * 1024, GPUs: 1, BWOut: 5, SGs: []string{n.sgID},
		Tags: map[string]string{"Owner": "alice", "env": ""}, HasPublicIP: true, HasPrivateIP: true, IoOptimized: true,
	}
	if diff := cmp.Diff(want, gotShape); diff != "" {
		t.Errorf("instance mismatch (-want +got):\n%s", diff)
	}
	if _, err := time.Parse("2006-01-02T15:04Z", in.CreationTime); err != nil {
		t.Errorf("CreationTime %q: %v", in.CreationTime, err)
	}

	// Disks: system + data for the instance, decoded by the SDK.
	dr := ecs.CreateDescribeDisksRequest()
	dr.InstanceId = ids[0]
	disks, err := c.ecs.DescribeDisks(dr)
	must(t, err)
	type diskShape struct {
		Type, Category string
		Size           int
		Instance       string
	}
	var gotDisks []diskShape
	for _, d := range disks.Disks.Disk {
		gotDisks = append(gotDisks, diskShape{d.Type, d.Category, d.Size, d.InstanceId})
	}
	wantDisks := []diskShape{{"system", "cloud_essd", 60, ids[0]}, {"data", "cloud_ssd", 100, ids[0]}}
	if diff := cmp.Diff(wantDisks, gotDisks); diff != "" {
		t.Errorf("disks mismatch (-want +got):\n%s", diff)
	}
	dr = ecs.CreateDescribeDisksRequest()
	dr.DiskIds = jsonIDs(disks.Disks.Disk[1].DiskId)
	byID, err := c.ecs.DescribeDisks(dr)
	must(t, err)
	if byID.TotalCount != 1 || byID.Disks.Disk[0].DiskId != disks.Disks.Disk[1].DiskId {
		t.Errorf("DescribeDisks by DiskIds: got %+v, want the one data disk", byID.Disks.Disk)
	}

	// Filters.
	for _, tc := range []struct {
		name  string
		setup func(r *ecs.DescribeInstancesRequest)
		want  int
	}{
		{"name wildcard", func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "w*" }, 2},
		{"name miss", func(r *ecs.DescribeInstancesRequest) { r.InstanceName = "db*" }, 0},
		{"tag", func(r *ecs.DescribeInstancesRequest) {
			r.Tag = &[]ecs.DescribeInstancesTag{{Key: "Owner", Value: "alice"}}
		}, 2},
		{"tag value miss", func(r *ecs.DescribeInstancesRequest) {
			r.Tag = &[]ecs.DescribeInstancesTag{{Key: "Owner", Value: "bob"}}
		}, 0},
		{"vpc", func(r *ecs.DescribeInstancesRequest) { r.VpcId = n.vpcID }, 2},
		{"status", func(r *ecs.DescribeInstancesRequest) { r.Status = "Stopped" }, 0},
		{"type", func(r *ecs.DescribeInstancesRequest) { r.InstanceType = "ecs.gn7i-c8g1.2xlarge" }, 2},
		{"zone", func(r *ecs.DescribeInstancesRequest) { r.ZoneId = "cn-hangzhou-k" }, 0},
	} {
		r := ecs.CreateDescribeInstancesRequest()
		tc.setup(r)
		resp, err := c.ecs.DescribeInstances(r)
		must(t, err)
		if resp.TotalCount != tc.want || len(resp.Instances.Instance) != tc.want {
			t.Errorf("%s: got TotalCount %d with %d instances, want %d", tc.name, resp.TotalCount, len(resp.Instances.Instance), tc.want)
		}
	}

	sr := ecs.CreateDescribeInstanceStatusRequest()
	sr.InstanceId = &ids
	st, err := c.ecs.DescribeInstanceStatus(sr)
	must(t, err)
	if st.TotalCount != 2 || st.InstanceStatuses.InstanceStatus[0].Status != "Running" {
		t.Errorf("DescribeInstanceStatus: got %+v, want 2 Running", st.InstanceStatuses)
	}
}

func TestRunInstancesValidation(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	other := c.network(t, testRegion)
	tags := func(k ...string) *[]ecs.RunInstancesTag {
		var out []ecs.RunInstancesTag
		for _, s := range k {
			out = append(out, ecs.RunInstancesTag{Key: s, Value: "v"})
		}
		return &out
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = "k" + string(rune('a'+i))
	}
	for _, tc := range []struct {
		name   string
		edit   func(r *ecs.RunInstancesRequest)
		code   string
		status int
	}{
		{"unknown image", func(r *ecs.RunInstancesRequest) { r.ImageId = "nope.vhd" }, "InvalidImageId.NotFound", 404},
		{"unknown type", func(r *ecs.RunInstancesRequest) { r.InstanceType = "ecs.x1.huge" }, "InvalidInstanceType.ValueNotSupported", 400},
		{"bad name", func(r *ecs.RunInstancesRequest) { r.InstanceName = "1starts-with-digit" }, "InvalidInstanceName.Malformed", 400},
		{"http name", func(r *ecs.RunInstancesRequest) { r.InstanceName = "http://x" }, "InvalidInstanceName.Malformed", 400},
		{"weak password", func(r *ecs.RunInstancesRequest) { r.Password = "password" }, "InvalidPassword.Malformed", 400},
		{"bad hostname", func(r *ecs.RunInstancesRequest) { r.HostName = "-host" }, "InvalidHostName.Malformed", 400},
		{"reserved tag aliyun", func(r *ecs.RunInstancesRequest) { r.Tag = tags("aliyun-x") }, "InvalidTagKey.Malformed", 400},
		{"reserved tag acs", func(r *ecs.RunInstancesRequest) { r.Tag = tags("acs:x") }, "InvalidTagKey.Malformed", 400},
		{"too many tags", func(r *ecs.RunInstancesRequest) { r.Tag = tags(many...) }, "InvalidTagCount", 400},
		{"duplicate tag", func(r *ecs.RunInstancesRequest) { r.Tag = tags("a", "a") }, "Duplicate.TagKey", 400},
		{"system disk too small", func(r *ecs.RunInstancesRequest) { r.SystemDiskSize = "10" }, "InvalidSystemDiskSize.LessThanImageSize", 404},
		{"system disk too big", func(r *ecs.RunInstancesRequest) { r.SystemDiskCategory = "cloud"; r.SystemDiskSize = "501" }, "InvalidSystemDiskSize.MoreThanMaxSize", 404},
		{"bad disk category", func(r *ecs.RunInstancesRequest) { r.SystemDiskCategory = "floppy" }, "InvalidSystemDiskCategory.ValueNotSupported", 400},
		{"bandwidth", func(r *ecs.RunInstancesRequest) { r.InternetMaxBandwidthOut = "101" }, "InvalidInternetMaxBandwidthOut.Malformed", 400},
		{"amount", func(r *ecs.RunInstancesRequest) { r.Amount = "101" }, "InvalidParameter", 400},
		{"min amount above amount", func(r *ecs.RunInstancesRequest) { r.MinAmount = "3" }, "InvalidParameter", 400},
		{"no vswitch", func(r *ecs.RunInstancesRequest) { r.VSwitchId = "" }, "MissingParameter", 400},
		{"unknown vswitch", func(r *ecs.RunInstancesRequest) { r.VSwitchId = "vsw-nope" }, "InvalidVSwitchId.NotFound", 404},
		{"unknown security group", func(r *ecs.RunInstancesRequest) { r.SecurityGroupId = "sg-nope" }, "InvalidSecurityGroupId.NotFound", 404},
		{"security group of other VPC", func(r *ecs.RunInstancesRequest) { r.SecurityGroupId = other.sgID }, "InvalidSecurityGroup.VpcMismatch", 400},
		{"zone mismatch", func(r *ecs.RunInstancesRequest) { r.ZoneId = "cn-hangzhou-k" }, "InvalidParameter.Mismatch", 400},
		{"prepaid without period", func(r *ecs.RunInstancesRequest) { r.InstanceChargeType = "PrePaid" }, "MissingParameter", 400},
		{"dry run", func(r *ecs.RunInstancesRequest) { r.DryRun = "true" }, "DryRunOperation", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runRequest(n, 1)
			r.Amount = requests.NewInteger(2)
			tc.edit(r)
			_, err := c.ecs.RunInstances(r)
			wantCode(t, err, tc.code, tc.status)
		})
	}
	if a := c.srv.Audit(); a.Instances != 0 {
		t.Errorf("got %d instances after failed calls, want 0", a.Instances)
	}
}

func TestRunInstancesIdempotency(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	r := runRequest(n, 3)
	r.ClientToken = "token-1"
	first, err := c.ecs.RunInstances(r)
	must(t, err)
	r2 := runRequest(n, 3)
	r2.ClientToken = "token-1"
	second, err := c.ecs.RunInstances(r2)
	must(t, err)
	if diff := cmp.Diff(first.InstanceIdSets.InstanceIdSet, second.InstanceIdSets.InstanceIdSet); diff != "" {
		t.Errorf("repeated token gave other IDs (-first +second):\n%s", diff)
	}
	if first.RequestId == second.RequestId {
		t.Errorf("got the same RequestId %s twice, want a new one per call", first.RequestId)
	}
	if got := c.srv.Audit().Instances; got != 3 {
		t.Errorf("got %d instances, want 3", got)
	}
	r3 := runRequest(n, 2)
	r3.ClientToken = "token-1"
	_, err = c.ecs.RunInstances(r3)
	wantCode(t, err, "IdempotentParameterMismatch", 400)
}

func TestInstanceStateRules(t *testing.T) {
	c := newClients(t)
	n := c.network(t, testRegion)
	ids := c.run(t, n, 3)
	id := ids[0]

	start := ecs.CreateStartInstanceRequest()
	start.InstanceId = id
	_, err := c.ecs.StartInstance(start)
	wantCode(t, err, "IncorrectInstanceStatus", 403)

	del := ecs.CreateDeleteInstanceRequest()
	del.InstanceId = id
	_, err = c.ecs.DeleteInstance(del)
	wantCode(t, err, "IncorrectInstanceStatus", 403)

	stop := ecs.CreateStopInstanceRequest()
	stop.InstanceId = id
	_, err = c.ecs.StopInstance(stop)
	must(t, err)
	if got := c.status(t, id); got != "Stopped" {
		t.Fatalf("after stop: got %s, want Stopped", got)
	}
	_, err = c.ecs.StopInstance(stop)
	wantCode(t, err, "IncorrectInstanceStatus", 403)
	_, err = c.ecs.StartInstance(start)
	must(t, err)
	if got := c.status(t, id); got != "Running" {
		t.Fatalf("after start: got %s, want Running", got)
	}
	reboot := ecs.CreateRebootInstanceRequest()
	reboot.InstanceId = id
	_, err = c.ecs.RebootInstance(reboot)
	must(t, err)

	del.Force = requests.NewBoolean(true)
	_, err = c.ecs.DeleteInstance(del)
	must(t, err)
	_, err = c.ecs.DeleteInstance(del)
	wantCode(t, err, "InvalidInstanceId.NotFound", 404)

	// Batch: AllTogether fails as a whole, SuccessFirst per instance.
	rest := ids[1:]
	bstart := ecs.CreateStartInstancesRequest()
	bstart.InstanceId = &rest
	_, err = c.ecs.StartInstances(bstart)
	wantCode(t, err, "IncorrectInstanceStatus", 403)
	stopOne := ecs.CreateStopInstanceRequest()
	stopOne.InstanceId = rest[0]
	_, err = c.ecs.StopInstance(stopOne)
	must(t, err)
	bstart.BatchOptimization = "SuccessFirst"
	resp, err := c.ecs.StartInstances(bstart)
	must(t, err)
	var codes []string
	for _, r := range resp.InstanceResponses.InstanceResponse {
		codes = append(codes, r.Code)
	}
	if diff := cmp.Diff([]string{"200", "IncorrectInstanceStatus"}, codes); diff != "" {
		t.Errorf("SuccessFirst codes (-want +got):\n%s", diff)
	}
	bstop := ecs.CreateStopInstancesRequest()
	bstop.InstanceId = &rest
	_, err = c.ecs.StopInstances(bstop)
	must(t, err)
	breboot := ecs.CreateRebootInstancesRequest()
	breboot.InstanceId = &rest
	_, err = c.ecs.RebootInstances(breboot)
	wantCode(t, err, "IncorrectInstanceStatus", 403)
	bdel := ecs.CreateDeleteInstancesRequest()
	bdel.InstanceId = &rest
	_, err = c.ecs.DeleteInstances(bdel)
	must(t, err)
	if a := c.srv.Audit(); a.Instances != 0 {
		t.Errorf("got %d instances, want 0", a.Instances)
	}
}

func TestTransitions(t *testing.T) {
	clk := newFakeClock()
	c := newClients(t, WithClock(clk.Now), WithTransitionDelay(5*time.Minute))
	cv := vpcapi.CreateCreateVpcRequest()
	cv.CidrBlock = "10.0.0.0/8"
	v, err := c.vpc.CreateVpc(cv)
	must(t, err)
	cw := vpcapi.CreateCreateVSwitchRequest()
	cw.VpcId, cw.ZoneId, cw.CidrBlock = v.VpcId, "cn-hangzhou-h", "10.1.0.0/16"
	_, err = c.vpc.CreateVSwitch(cw)
	wantCode(t, err, "IncorrectVpcStatus", 400)
	clk.Advance(5 * time.Minute)
	w, err := c.vpc.CreateVSwitch(cw)
	must(t, err)
	cs := ecs.CreateCreateSecurityGroupRequest()
	cs.VpcId = v.VpcId
	g, err := c.ecs.CreateSecurityGroup(cs)
	must(t, err)
	n := network{vpcID: v.VpcId, vswID: w.VSwitchId, sgID: g.SecurityGroupId, zone: "cn-hangzhou-h"}
	_, err = c.ecs.RunInstances(runRequest(n, 1))
	wantCode(t, err, "IncorrectVSwitchStatus", 400)
	clk.Advance(5 * time.Minute)
	id := c.run(t, n, 1)[0]

	del := ecs.CreateDeleteInstanceRequest()
	del.InstanceId = id
	del.Force = requests.NewBoolean(true)
	var seen []string
	seen = append(seen, c.status(t, id))
	_, err = c.ecs.DeleteInstance(del)
	wantCode(t, err, "IncorrectInstanceStatus.Initializing", 403)
	clk.Advance(5 * time.Minute)
	seen = append(seen, c.status(t, id))
	clk.Advance(5 * time.Minute)
	seen = append(seen, c.status(t, id))
	stop := ecs.CreateStopInstanceRequest()
	stop.InstanceId = id
	_, err = c.ecs.StopInstance(stop)
	must(t, err)
	seen = append(seen, c.status(t, id))
	clk.Advance(5 * time.Minute)
	seen = append(seen, c.status(t, id))
	if diff := cmp.Diff([]string{"Pending", "Starting", "Running", "Stopping", "Stopped"}, seen); diff != "" {
		t.Errorf("status sequence (-want +got):\n%s", diff)
	}
}

func TestMutationsFromTheTestSide(t *testing.T) {
	c := newClients(t)
	ids := c.srv.Seed(SeedSpec{Regions: []string{testRegion}, InstancesPerRegion: 10})
	must(t, c.srv.SetInstanceStatus(ids[0], "Stopped"))
	must(t, c.srv.RemoveInstance(ids[1]))
	if err := c.srv.SetInstanceStatus("i-nope", "Stopped"); err == nil {
		t.Error("SetInstanceStatus of unknown instance: got nil error, want one")
	}
	if err := c.srv.SetInstanceStatus(ids[2], "Flying"); err == nil {
		t.Error("SetInstanceStatus to unknown status: got nil error, want one")
	}
	if err := c.srv.RemoveInstance(ids[1]); err == nil {
		t.Error("RemoveInstance twice: got nil error, want one")
	}
	got := c.describe(t, ids[0], ids[1])
	if len(got) != 1 || got[0].Status != "Stopped" {
		t.Errorf("got %+v, want only %s Stopped", got, ids[0])
	}
	a := c.srv.Audit()
	if diff := cmp.Diff(map[string]int{"Running": 8, "Stopped": 1}, a.InstancesByStatus); diff != "" {
		t.Errorf("InstancesByStatus (-want +got):\n%s", diff)
	}
}
