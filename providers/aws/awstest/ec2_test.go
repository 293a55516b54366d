package awstest

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	got, st := apiCode(t, err)
	if got != code || (status != 0 && st != status) {
		t.Errorf("%s: got %q %d, want %q %d (%v)", what, got, st, code, status, err)
	}
}

func tagSpec(rt types.ResourceType, kv ...string) []types.TagSpecification {
	ts := types.TagSpecification{ResourceType: rt}
	for i := 0; i+1 < len(kv); i += 2 {
		ts.Tags = append(ts.Tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return []types.TagSpecification{ts}
}

func flt(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// userNet is a VPC with a subnet in the first zone, a group and an attached
// internet gateway with a default route, as the provider builds it.
type userNet struct {
	vpc, subnet, group, igw string
}

func buildNet(t *testing.T, c *ec2.Client, owner string) userNet {
	t.Helper()
	ctx := context.Background()
	v, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), TagSpecifications: tagSpec(types.ResourceTypeVpc, "Owner", owner)})
	must(t, err)
	n := userNet{vpc: *v.Vpc.VpcId}
	sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	must(t, err)
	n.subnet = *sn.Subnet.SubnetId
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: v.Vpc.VpcId})
	must(t, err)
	n.group = *g.GroupId
	igw, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must(t, err)
	n.igw = *igw.InternetGateway.InternetGatewayId
	_, err = c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &n.igw, VpcId: &n.vpc})
	must(t, err)
	return n
}

func TestDescribeCatalog(t *testing.T) {
	srv := New(func(o *Options) {
		twoAccounts(o)
		// Account B names the physical zones in another order, as AWS
		// maps names to zones per account.
		o.Accounts[1].ZoneNames = map[string]string{"use1-az1": "us-east-1b", "use1-az2": "us-east-1a"}
	})
	t.Cleanup(srv.Close)
	ctx := context.Background()
	a := newSDK(srv, testRegion, "AKIAAAAAAAAAAAAAAAAA", "secret-a", "").ec2
	b := newSDK(srv, testRegion, "AKIABBBBBBBBBBBBBBBB", "secret-b", "").ec2

	regions, err := a.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	must(t, err)
	if len(regions.Regions) != len(DefaultRegions()) || aws.ToString(regions.Regions[0].Endpoint) != "ec2.us-east-1.amazonaws.com" {
		t.Errorf("got %d regions, first %+v", len(regions.Regions), regions.Regions[0])
	}
	_, err = a.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"mars-north-1"}})
	wantCode(t, "unknown region", err, "InvalidParameterValue", 400)

	zoneID := func(c *ec2.Client, name string) string {
		out, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{name}})
		must(t, err)
		if len(out.AvailabilityZones) != 1 {
			t.Fatalf("got %d zones named %s", len(out.AvailabilityZones), name)
		}
		return aws.ToString(out.AvailabilityZones[0].ZoneId)
	}
	if got, want := zoneID(a, "us-east-1a"), "use1-az1"; got != want {
		t.Errorf("account A us-east-1a: got %s, want %s", got, want)
	}
	if got, want := zoneID(b, "us-east-1a"), "use1-az2"; got != want {
		t.Errorf("account B us-east-1a: got %s, want %s", got, want)
	}

	// Offerings: p5.48xlarge only in the first physical zone, which
	// account B calls us-east-1b.
	offer := func(c *ec2.Client, lt types.LocationType) []string {
		out, err := c.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{LocationType: lt,
			Filters: []types.Filter{flt("instance-type", "p5.48xlarge")}})
		must(t, err)
		var locs []string
		for _, o := range out.InstanceTypeOfferings {
			locs = append(locs, aws.ToString(o.Location))
		}
		return locs
	}
	if diff := cmp.Diff([]string{"us-east-1a"}, offer(a, types.LocationTypeAvailabilityZone)); diff != "" {
		t.Errorf("A offerings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"us-east-1b"}, offer(b, types.LocationTypeAvailabilityZone)); diff != "" {
		t.Errorf("B offerings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"use1-az1"}, offer(b, types.LocationTypeAvailabilityZoneId)); diff != "" {
		t.Errorf("B offerings by zone ID (-want +got):\n%s", diff)
	}

	// Instance types: 5 per page through the paginator; GPU facts.
	p := ec2.NewDescribeInstanceTypesPaginator(a, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(5)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		must(t, err)
		pages++
		if len(pg.InstanceTypes) > 5 {
			t.Errorf("page of %d types, want at most 5", len(pg.InstanceTypes))
		}
		for _, it := range pg.InstanceTypes {
			names = append(names, string(it.InstanceType))
			if it.InstanceType == "g5.xlarge" {
				g := it.GpuInfo.Gpus[0]
				if aws.ToString(g.Name) != "A10G" || aws.ToInt32(g.Count) != 1 || aws.ToInt32(it.VCpuInfo.DefaultVCpus) != 4 || aws.ToInt64(it.MemoryInfo.SizeInMiB) != 16384 {
					t.Errorf("g5.xlarge: got %+v %+v", it.GpuInfo, it.VCpuInfo)
				}
			}
		}
	}
	if len(names) != len(DefaultInstanceTypes()) || pages != (len(names)+4)/5 {
		t.Errorf("got %d types on %d pages", len(names), pages)
	}
	_, err = a.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(4)})
	wantCode(t, "MaxResults 4", err, "InvalidParameterValue", 400)
	_, err = a.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(101)})
	wantCode(t, "MaxResults 101", err, "InvalidParameterValue", 400)
	_, err = a.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"g9.huge"}})
	wantCode(t, "unknown type", err, "InvalidInstanceType", 400)

	// Images: Canonical's Ubuntu by owner and name pattern, newest first
	// by creationDate; IDs differ per Region.
	img, err := a.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{CanonicalOwnerID},
		Filters: []types.Filter{flt("name", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"), flt("state", "available")}})
	must(t, err)
	if len(img.Images) != 2 {
		t.Fatalf("got %d Ubuntu images, want 2", len(img.Images))
	}
	sort.Slice(img.Images, func(i, j int) bool { return *img.Images[i].CreationDate > *img.Images[j].CreationDate })
	if got := aws.ToString(img.Images[0].Name); got != "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261101" {
		t.Errorf("newest Ubuntu: got %s", got)
	}
	west := newSDK(srv, "us-west-2", "AKIAAAAAAAAAAAAAAAAA", "secret-a", "").ec2
	img2, err := west.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	must(t, err)
	if len(img2.Images) != 1 || *img2.Images[0].ImageId == imageID("us-east-1", *img2.Images[0].Name) {
		t.Errorf("amazon images in us-west-2: got %d, IDs must differ per Region", len(img2.Images))
	}
	_, err = a.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-00000000000000000"}})
	wantCode(t, "unknown image", err, "InvalidAMIID.NotFound", 400)
}

func TestNetworkActions(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2
	n := buildNet(t, c, "alice")

	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{flt("tag:Owner", "alice")}})
	must(t, err)
	if len(vpcs.Vpcs) != 1 || *vpcs.Vpcs[0].VpcId != n.vpc || vpcs.Vpcs[0].State != types.VpcStateAvailable {
		t.Fatalf("got VPCs %+v, want %s", vpcs.Vpcs, n.vpc)
	}
	none, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{flt("tag:Owner", "bob")}})
	must(t, err)
	if len(none.Vpcs) != 0 {
		t.Errorf("tag:Owner=bob: got %d VPCs, want 0", len(none.Vpcs))
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-00000000000000000"}})
	wantCode(t, "unknown VPC", err, "InvalidVpcID.NotFound", 400)
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{flt("no-such-filter", "x")}})
	wantCode(t, "unknown filter", err, "InvalidParameterValue", 400)

	subs, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{flt("vpc-id", n.vpc)}})
	must(t, err)
	if len(subs.Subnets) != 1 || aws.ToString(subs.Subnets[0].AvailabilityZoneId) != "use1-az1" {
		t.Errorf("got subnets %+v", subs.Subnets)
	}
	_, err = c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &n.vpc, CidrBlock: aws.String("10.0.1.128/25")})
	wantCode(t, "overlapping subnet", err, "InvalidSubnet.Conflict", 400)
	_, err = c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &n.vpc, CidrBlock: aws.String("192.168.0.0/24")})
	wantCode(t, "subnet outside the VPC", err, "InvalidSubnet.Range", 400)

	// All permissions in one call; the same rule again is a duplicate.
	perms := []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8000), ToPort: aws.Int32(8080), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8"), Description: aws.String("api")}}},
	}
	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &n.group, IpPermissions: perms})
	must(t, err)
	if !aws.ToBool(auth.Return) || len(auth.SecurityGroupRules) != 2 {
		t.Errorf("authorize: got return %v and %d rules, want true and 2", aws.ToBool(auth.Return), len(auth.SecurityGroupRules))
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &n.group, IpPermissions: perms[:1]})
	wantCode(t, "duplicate rule", err, "InvalidPermission.Duplicate", 400)
	groups, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{n.group}})
	must(t, err)
	if got := groups.SecurityGroups[0].IpPermissions; len(got) != 2 || aws.ToInt32(got[1].FromPort) != 8000 || aws.ToString(got[1].IpRanges[0].Description) != "api" {
		t.Errorf("got permissions %+v", got)
	}
	_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("x"), VpcId: &n.vpc})
	wantCode(t, "duplicate group", err, "InvalidGroup.Duplicate", 400)
	var many []types.IpRange
	for i := 0; i < 59; i++ {
		many = append(many, types.IpRange{CidrIp: aws.String("10.2." + strconv.Itoa(i) + ".0/24")})
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &n.group,
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("udp"), FromPort: aws.Int32(53), ToPort: aws.Int32(53), IpRanges: many}}})
	wantCode(t, "61 rules in a group", err, "RulesPerSecurityGroupLimitExceeded", 400)

	// The main route table gets the default route once.
	rts, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{flt("vpc-id", n.vpc), flt("association.main", "true")}})
	must(t, err)
	if len(rts.RouteTables) != 1 {
		t.Fatalf("got %d main route tables, want 1", len(rts.RouteTables))
	}
	rt := rts.RouteTables[0].RouteTableId
	_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &n.igw})
	must(t, err)
	_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &n.igw})
	wantCode(t, "route again", err, "RouteAlreadyExists", 400)
	rts, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{*rt}})
	must(t, err)
	if routes := rts.RouteTables[0].Routes; len(routes) != 2 || aws.ToString(routes[1].GatewayId) != n.igw || routes[1].State != types.RouteStateActive {
		t.Errorf("got routes %+v", routes)
	}
	igws, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []types.Filter{flt("attachment.vpc-id", n.vpc)}})
	must(t, err)
	if len(igws.InternetGateways) != 1 || aws.ToString(igws.InternetGateways[0].Attachments[0].VpcId) != n.vpc {
		t.Errorf("got gateways %+v", igws.InternetGateways)
	}
	igw2, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must(t, err)
	_, err = c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw2.InternetGateway.InternetGatewayId, VpcId: &n.vpc})
	wantCode(t, "second gateway on a VPC", err, "Resource.AlreadyAssociated", 400)

	// Deleting in the wrong order is refused; the right order works.
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &n.vpc})
	wantCode(t, "VPC with dependencies", err, "DependencyViolation", 400)
	_, err = c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &n.igw})
	wantCode(t, "attached gateway", err, "DependencyViolation", 400)
	_, err = c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: &n.igw, VpcId: &n.vpc})
	must(t, err)
	_, err = c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &n.igw})
	must(t, err)
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &n.group})
	must(t, err)
	_, err = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &n.subnet})
	must(t, err)
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &n.vpc})
	must(t, err)
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{n.vpc}})
	wantCode(t, "deleted VPC", err, "InvalidVpcID.NotFound", 400)

	// Five VPCs per Region by default.
	for i := 0; i < 5; i++ {
		_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
		if i < 5 {
			must(t, err)
		}
	}
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	wantCode(t, "sixth VPC", err, "VpcLimitExceeded", 400)
}

func TestInstanceLifecycle(t *testing.T) {
	clk := sim.NewManualClock(time.Now())
	srv := New(func(o *Options) {
		o.Cloud = NewCloud(func(so *sim.Options) { so.Clock = clk })
		o.DescribeDelay = 2 * time.Second
	})
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2
	n := buildNet(t, c, "alice")
	ami := imageID(testRegion, DefaultImages()[1].Name)
	run := func(token string, min, max int32, typ types.InstanceType) (*ec2.RunInstancesOutput, error) {
		return c.RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: aws.String(ami), InstanceType: typ, MinCount: aws.Int32(min), MaxCount: aws.Int32(max),
			ClientToken: aws.String(token), TagSpecifications: tagSpec(types.ResourceTypeInstance, "Owner", "alice"),
			NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), SubnetId: &n.subnet,
				Groups: []string{n.group}, AssociatePublicIpAddress: aws.Bool(true)}},
		})
	}
	out, err := run("tok-1", 1, 1, "g5.xlarge")
	must(t, err)
	inst := out.Instances[0]
	id := *inst.InstanceId
	if inst.State.Name != types.InstanceStateNamePending && inst.State.Name != types.InstanceStateNameRunning {
		t.Errorf("new instance state %s", inst.State.Name)
	}
	if aws.ToString(inst.Placement.AvailabilityZone) != "us-east-1a" || aws.ToString(inst.ClientToken) != "tok-1" || len(inst.Tags) != 1 {
		t.Errorf("got instance %+v", inst)
	}

	// Eventual consistency: hidden from describes for DescribeDelay.
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, "describe right after run", err, "InvalidInstanceID.NotFound", 400)
	clk.Advance(3 * time.Second)
	desc, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	must(t, err)
	got := desc.Reservations[0].Instances[0]
	if got.State.Name != types.InstanceStateNameRunning || aws.ToString(got.PublicIpAddress) == "" || *desc.Reservations[0].ReservationId != *out.ReservationId {
		t.Errorf("after the delay: got state %s public %q reservation %s", got.State.Name, aws.ToString(got.PublicIpAddress), aws.ToString(desc.Reservations[0].ReservationId))
	}

	// Idempotency: same token and parameters, same reservation; other
	// parameters, mismatch.
	again, err := run("tok-1", 1, 1, "g5.xlarge")
	must(t, err)
	if *again.Instances[0].InstanceId != id || *again.ReservationId != *out.ReservationId {
		t.Errorf("replay: got %s in %s, want %s in %s", *again.Instances[0].InstanceId, *again.ReservationId, id, *out.ReservationId)
	}
	_, err = run("tok-1", 1, 1, "g5.2xlarge")
	wantCode(t, "token with other parameters", err, "IdempotentParameterMismatch", 400)

	// Partial quantity: 3 left in the zone, MaxCount 5 launches 3; MinCount
	// 4 launches nothing.
	srv.Cloud().SetStock(testRegion, "us-east-1a", "g4dn.xlarge", 3)
	_, err = run("tok-2", 4, 5, "g4dn.xlarge")
	wantCode(t, "MinCount over stock", err, "InsufficientInstanceCapacity", 500)
	part, err := run("tok-3", 1, 5, "g4dn.xlarge")
	must(t, err)
	if len(part.Instances) != 3 {
		t.Errorf("MinCount 1 MaxCount 5 with 3 in stock: got %d instances, want 3", len(part.Instances))
	}

	// A type the zone does not offer; a vCPU quota.
	_, err = run("tok-4", 1, 1, "p5.48xlarge")
	if err != nil {
		t.Fatalf("p5 in the first zone: %v", err)
	}
	srv.SetOffered(testRegion, "use1-az1", "g6.xlarge", false)
	_, err = run("tok-5", 1, 1, "g6.xlarge")
	wantCode(t, "type not offered", err, "Unsupported", 400)
	srv.Cloud().SetQuota(testRegion, sim.QuotaVCPUs, srv.Cloud().Usage(testRegion, sim.QuotaVCPUs)+4)
	_, err = run("tok-6", 2, 2, "m5.xlarge")
	wantCode(t, "vCPU quota", err, "VcpuLimitExceeded", 400)
	srv.Cloud().SetQuota(testRegion, sim.QuotaVCPUs, sim.Unlimited)

	clk.Advance(3 * time.Second)
	// Filters and pages: 5 instances of alice, 2 per page.
	var pages, seen int
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5),
		Filters: []types.Filter{flt("tag:Owner", "alice"), flt("instance-state-name", "pending", "running"), flt("vpc-id", n.vpc)}})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		must(t, err)
		pages++
		for _, r := range pg.Reservations {
			seen += len(r.Instances)
		}
	}
	if seen != 5 || pages != 1 {
		t.Errorf("got %d instances on %d pages, want 5 on 1", seen, pages)
	}
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), InstanceIds: []string{id}})
	wantCode(t, "MaxResults with IDs", err, "InvalidParameterCombination", 400)

	// The status-ok waiter polls DescribeInstanceStatus.
	must(t, ec2.NewInstanceStatusOkWaiter(c).Wait(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: []string{id}}, 10*time.Second))

	// States: stop, start, reboot, terminate; wrong transitions.
	_, err = c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	must(t, err) // starting a running instance is no error
	stop, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	must(t, err)
	if sc := stop.StoppingInstances[0]; sc.PreviousState.Name != types.InstanceStateNameRunning {
		t.Errorf("stop: previous %s", sc.PreviousState.Name)
	}
	desc, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	must(t, err)
	if ip := desc.Reservations[0].Instances[0].PublicIpAddress; ip != nil {
		t.Errorf("stopped instance keeps its auto-assigned public address %s", *ip)
	}
	_, err = c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{id}})
	wantCode(t, "reboot a stopped instance", err, "IncorrectInstanceState", 400)
	st, err := c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: []string{id}})
	must(t, err)
	if len(st.InstanceStatuses) != 0 {
		t.Errorf("status of a stopped instance without IncludeAllInstances: got %d, want 0", len(st.InstanceStatuses))
	}
	st, err = c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: []string{id}, IncludeAllInstances: aws.Bool(true)})
	must(t, err)
	if len(st.InstanceStatuses) != 1 || st.InstanceStatuses[0].InstanceStatus.Status != types.SummaryStatusNotApplicable {
		t.Errorf("status of a stopped instance: got %+v", st.InstanceStatuses)
	}
	_, err = c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	must(t, err)
	_, err = c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{id}})
	must(t, err)
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id, "i-00000000000000000"}})
	wantCode(t, "stop with an unknown ID", err, "InvalidInstanceID.NotFound", 400)
	term, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	must(t, err)
	if cs := term.TerminatingInstances[0].CurrentState.Name; cs != types.InstanceStateNameShuttingDown && cs != types.InstanceStateNameTerminated {
		t.Errorf("terminate: current %s", cs)
	}
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	must(t, err) // idempotent
	_, err = c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	wantCode(t, "start a terminated instance", err, "IncorrectInstanceState", 400)
	desc, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{flt("instance-state-name", "terminated")}})
	must(t, err)
	if len(desc.Reservations) != 1 || *desc.Reservations[0].Instances[0].InstanceId != id {
		t.Errorf("terminated instance not visible: %+v", desc.Reservations)
	}
	clk.Advance(2 * time.Hour)
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, "terminated two hours ago", err, "InvalidInstanceID.NotFound", 400)
	_, err = run("tok-1", 1, 1, "g5.xlarge")
	wantCode(t, "token of a terminated instance", err, "IdempotentInstanceTerminated", 400)

	// Volumes: one root volume per live instance, 5 per page.
	vp := ec2.NewDescribeVolumesPaginator(c, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5)})
	vols := 0
	for vp.HasMorePages() {
		pg, err := vp.NextPage(ctx)
		must(t, err)
		vols += len(pg.Volumes)
	}
	if vols != 4 {
		t.Errorf("got %d volumes, want 4", vols)
	}
}

func TestAddresses(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2
	n := buildNet(t, c, "alice")
	ami := imageID(testRegion, DefaultImages()[1].Name)
	out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: "t3.micro",
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: &n.subnet, SecurityGroupIds: []string{n.group}})
	must(t, err)
	id := *out.Instances[0].InstanceId

	alloc, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc, TagSpecifications: tagSpec(types.ResourceTypeElasticIp, "Owner", "alice")})
	must(t, err)
	assoc, err := c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: alloc.AllocationId, InstanceId: &id})
	must(t, err)
	addrs, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{flt("tag:Owner", "alice")}})
	must(t, err)
	if len(addrs.Addresses) != 1 || aws.ToString(addrs.Addresses[0].InstanceId) != id || aws.ToString(addrs.Addresses[0].AssociationId) != *assoc.AssociationId {
		t.Errorf("got addresses %+v", addrs.Addresses)
	}
	desc, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	must(t, err)
	if got := aws.ToString(desc.Reservations[0].Instances[0].PublicIpAddress); got != *alloc.PublicIp {
		t.Errorf("instance public address: got %q, want %s", got, *alloc.PublicIp)
	}
	_, err = c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: alloc.AllocationId})
	wantCode(t, "release while associated", err, "InvalidIPAddress.InUse", 400)
	_, err = c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: assoc.AssociationId})
	must(t, err)
	_, err = c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: assoc.AssociationId})
	wantCode(t, "disassociate twice", err, "InvalidAssociationID.NotFound", 400)
	_, err = c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: alloc.AllocationId})
	must(t, err)
	_, err = c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{*alloc.AllocationId}})
	wantCode(t, "released address", err, "InvalidAllocationID.NotFound", 400)

	// Terminating an instance disassociates its address, which stays
	// allocated until released.
	out2, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: "t3.micro",
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: &n.subnet})
	must(t, err)
	id2 := *out2.Instances[0].InstanceId
	a3, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
	must(t, err)
	_, err = c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: a3.AllocationId, InstanceId: &id2})
	must(t, err)
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id2}})
	must(t, err)
	addrs, err = c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{*a3.AllocationId}})
	must(t, err)
	if got := addrs.Addresses[0]; got.InstanceId != nil || got.AssociationId != nil {
		t.Errorf("address of a terminated instance: got instance %v association %v, want none", aws.ToString(got.InstanceId), aws.ToString(got.AssociationId))
	}
	_, err = c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: a3.AllocationId})
	must(t, err)

	// Without an internet gateway the association is refused.
	_, err = c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: &n.igw, VpcId: &n.vpc})
	must(t, err)
	a2, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
	must(t, err)
	_, err = c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: a2.AllocationId, InstanceId: &id})
	wantCode(t, "no gateway", err, "Gateway.NotAttached", 400)

	for i := 0; i < 4; i++ {
		_, err = c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
		must(t, err)
	}
	_, err = c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
	wantCode(t, "sixth address", err, "AddressLimitExceeded", 400)
}

func TestTags(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2
	n := buildNet(t, c, "alice")
	_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{n.vpc, n.subnet, n.group, n.igw},
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}, {Key: aws.String("Owner"), Value: aws.String("bob")}}})
	must(t, err)
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{flt("tag:Owner", "bob"), flt("tag-key", "env")}})
	must(t, err)
	if len(vpcs.Vpcs) != 1 {
		t.Errorf("after CreateTags overwrote Owner: got %d VPCs, want 1", len(vpcs.Vpcs))
	}
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{n.vpc}, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	must(t, err)
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{n.subnet}, Tags: []types.Tag{{Key: aws.String("env")}}})
	must(t, err)
	vpcs, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{flt("tag-key", "env")}})
	must(t, err)
	subs, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{flt("tag-key", "env")}})
	must(t, err)
	if len(vpcs.Vpcs) != 1 || len(subs.Subnets) != 0 {
		t.Errorf("DeleteTags with a non-matching value must keep the tag, without a value remove it: got %d VPCs %d subnets", len(vpcs.Vpcs), len(subs.Subnets))
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{n.vpc, "vpc-00000000000000000"}, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}})
	wantCode(t, "unknown resource", err, "InvalidVpcID.NotFound", 400)
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{n.vpc}, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
	wantCode(t, "aws: prefix", err, "InvalidTagKey.Malformed", 400)
}

func TestFaultsAndThrottling(t *testing.T) {
	srv := New(func(o *Options) { o.RequestBuckets = true })
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2

	srv.Cloud().InjectFault(sim.Fault{Action: "DescribeVpcs", Class: sim.ClassThrottled, Count: 1})
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, "throttled fault", err, "RequestLimitExceeded", 503)
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)

	srv.Cloud().InjectFault(sim.Fault{Action: "DescribeVpcs", Code: "InternalError", Status: 500, Count: 1})
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, "fault with its own code", err, "InternalError", 500)

	srv.Cloud().InjectFault(sim.Fault{Action: "DescribeVpcs", Kind: sim.FaultReset, Count: 1})
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err == nil {
		t.Error("reset: got no error")
	}

	// RunInstances' documented bucket holds 5 requests.
	var throttled bool
	for i := 0; i < 6; i++ {
		_, err = c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), InstanceType: "t3.micro", MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
		if code, _ := apiCode(t, err); code == "RequestLimitExceeded" {
			throttled = i == 5
		}
	}
	if !throttled {
		t.Error("the sixth RunInstances in a second was not throttled")
	}
	if n := srv.Cloud().CallCount("RunInstances"); n != 6 {
		t.Errorf("call log: got %d RunInstances, want 6", n)
	}
}

func TestSpotPriceHistory(t *testing.T) {
	clk := sim.NewManualClock(time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC))
	srv := New(func(o *Options) { o.Cloud = NewCloud(func(so *sim.Options) { so.Clock = clk }) })
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2
	srv.Cloud().SetPrice("g5.xlarge", 1.0)

	now, err := c.DescribeSpotPriceHistory(ctx, &ec2.DescribeSpotPriceHistoryInput{InstanceTypes: []types.InstanceType{"g5.xlarge"},
		ProductDescriptions: []string{"Linux/UNIX"}, AvailabilityZone: aws.String("us-east-1a")})
	must(t, err)
	if len(now.SpotPriceHistory) != 1 {
		t.Fatalf("without StartTime: got %d prices, want the current one", len(now.SpotPriceHistory))
	}
	p, err := strconv.ParseFloat(aws.ToString(now.SpotPriceHistory[0].SpotPrice), 64)
	if err != nil || p < 0.30 || p > 0.45 {
		t.Errorf("spot price %v (%v), want 30 %% to 45 %% of 1.0", p, err)
	}
	// A day back: four 6-hour periods since midnight plus the one in
	// effect at the start (12:00 the day before) ... 13:00 today.
	hist, err := c.DescribeSpotPriceHistory(ctx, &ec2.DescribeSpotPriceHistoryInput{InstanceTypes: []types.InstanceType{"g5.xlarge"},
		ProductDescriptions: []string{"Linux/UNIX"}, AvailabilityZone: aws.String("us-east-1a"),
		StartTime: aws.Time(clk.Now().Add(-24 * time.Hour)), EndTime: aws.Time(clk.Now())})
	must(t, err)
	if len(hist.SpotPriceHistory) != 5 {
		t.Errorf("a day of history: got %d prices, want 5", len(hist.SpotPriceHistory))
	}
	for i := 1; i < len(hist.SpotPriceHistory); i++ {
		if hist.SpotPriceHistory[i].Timestamp.After(*hist.SpotPriceHistory[i-1].Timestamp) {
			t.Errorf("history not newest first at %d", i)
		}
	}
	_, err = c.DescribeSpotPriceHistory(ctx, &ec2.DescribeSpotPriceHistoryInput{ProductDescriptions: []string{"Windows"}})
	wantCode(t, "Windows", err, "InvalidParameterValue", 400)
}

// TestResourceBucket: RunInstances draws its MaxCount from the documented
// bucket of 1,000 instances launched (refill 2 per second).
func TestResourceBucket(t *testing.T) {
	clk := sim.NewManualClock(time.Now())
	srv := New(func(o *Options) { o.RequestBuckets = true; o.Now = clk.Now })
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2
	run := func(max int32) error {
		_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), InstanceType: "t3.micro",
			MinCount: aws.Int32(1), MaxCount: aws.Int32(max)})
		return err
	}
	wantCode(t, "900 of 1,000", run(900), "InvalidAMIID.NotFound", 400)
	wantCode(t, "200 more", run(200), "RequestLimitExceeded", 503)
	clk.Advance(60 * time.Second) // 120 tokens back; the request bucket refills too
	wantCode(t, "after a minute", run(200), "InvalidAMIID.NotFound", 400)
}

func TestSeed(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	ids, err := srv.Seed("us-west-2", 10, "m5.large")
	must(t, err)
	if len(ids) != 10 {
		t.Fatalf("got %d seeded instances, want 10", len(ids))
	}
	c := newSDK(srv, "us-west-2", DefaultAccessKeyID, DefaultSecretAccessKey, "").ec2
	out, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{Filters: []types.Filter{flt("tag:Name", "seed"), flt("instance-state-name", "running")}})
	must(t, err)
	zones := map[string]int{}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			zones[aws.ToString(in.Placement.AvailabilityZone)]++
			if aws.ToString(in.VpcId) == "" || len(in.BlockDeviceMappings) != 1 {
				t.Errorf("seeded instance %s: vpc %q, %d volumes", *in.InstanceId, aws.ToString(in.VpcId), len(in.BlockDeviceMappings))
			}
		}
	}
	if len(zones) != 4 || zones["us-west-2a"] != 3 {
		t.Errorf("got instances per zone %v, want 3,3,2,2 over four zones", zones)
	}
	vpcs, err := c.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	must(t, err)
	if len(vpcs.Vpcs) != 1 {
		t.Errorf("got %d VPCs, want the seed one", len(vpcs.Vpcs))
	}
}

// TestResponseFaults: a lost or garbled answer still leaves the call done,
// as the model's response faults promise.
func TestResponseFaults(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := defaultSDK(srv).ec2
	count := func() int {
		out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
		return len(out.Vpcs)
	}
	for i, kind := range []sim.FaultKind{sim.FaultLost, sim.FaultGarbled} {
		srv.Cloud().InjectFault(sim.Fault{Action: "CreateVpc", Kind: kind, Count: 1})
		_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
		if err == nil {
			t.Errorf("%s: got no error", kind)
		}
		if got := count(); got != i+1 {
			t.Errorf("%s: got %d VPCs, want %d: the call took effect", kind, got, i+1)
		}
	}
	srv.Cloud().InjectFault(sim.Fault{Action: "CreateVpc", Kind: sim.FaultSlow, Latency: time.Minute, Count: 1})
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := c.CreateVpc(short, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err == nil {
		t.Error("slow: got an answer before the caller gave up")
	}
	if got := count(); got != 3 {
		t.Errorf("slow: got %d VPCs, want 3: the call took effect", got)
	}
}
