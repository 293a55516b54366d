package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
	"github.com/multicloud-ecs/multicloud/network"
)

// Extensions a request may carry for this provider (CreateInstanceRequest
// Extensions); other "aws." keys are refused by ValidateRequest.
const (
	ExtUserData           = "aws.userData"           // base64 user data, passed as UserData
	ExtIAMInstanceProfile = "aws.iamInstanceProfile" // instance profile name, or its ARN
)

// Create creates spec.Request.Quantity instances as planned, along the
// network flow's dependency graph (network.Provisioner.Launch): the
// user's VPC found by its tags or created (with its internet gateway and
// default route, see CreateVPC and PrepareVPC), the zone's subnet beside
// the security group, one Elastic IP per instance allocated from the
// start, then RunInstances (ClientToken spec.Token, MinCount 1, MaxCount
// the quantity, tags in TagSpecifications) beside one
// AuthorizeSecurityGroupIngress call with every port, and each address
// bound as soon as its instance can take it. With PublicIPInstance the
// instances get an AWS public IPv4 on their interface instead.
//
// With capacity for only some instances, those are returned with an
// error matching multicloud.ErrNoStock that says how many are missing.
// Port and address failures after the instances exist are Warnings; so
// are the request's fields AWS has no counterpart for (a bandwidth cap on
// the public address). A create that produced no instance releases every
// address it allocated; what could not be released is named.
func (p *Provider) Create(ctx context.Context, spec *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
	const op = "Create"
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	req, plan := spec.Request, spec.Plan
	scope := p.Scope(plan.Region, spec.Tags[multicloud.TagTenant], spec.Tags[multicloud.TagOwner])
	scope.Isolation = req.NetworkIsolation
	lr := network.LaunchRequest{Scope: scope, Zone: plan.Zone, Quantity: req.Quantity, Token: spec.Token}
	if len(req.OpenPorts) > 0 {
		lr.Ports = network.TCPPorts(req.OpenPorts...)
	}
	if req.AllocatePublicIP && req.PublicIPMode != multicloud.PublicIPInstance {
		lr.Address = &network.AddressSpec{BandwidthMbps: req.PublicIPBandwidth, ChargeMode: string(cmp.Or(req.BandwidthMode, multicloud.Traffic))}
		if spec.Token != "" {
			lr.Address.Tags = map[string]string{multicloud.TagToken: spec.Token}
		}
	}
	var launched []string
	res, lerr := p.prov.Launch(ctx, lr, network.LaunchFunc(func(ctx context.Context, net network.Network) ([]string, error) {
		ids, err := p.runInstances(ctx, spec, net)
		launched = ids
		return ids, err
	}))
	defer func() { p.forgetLaunched(launched) }()

	var results []network.Launched
	var leaked []string
	var netw network.Network
	if res != nil {
		results, leaked, netw = res.Instances, res.Leaked, res.Network
	}
	if len(results) == 0 {
		for _, id := range launched {
			results = append(results, network.Launched{ID: id})
		}
	}
	// A bound address needs its allocation token no more: a repeated
	// create finds the instance bound (see AssociateAddress).
	p.mu.Lock()
	for _, l := range results {
		if l.Address != nil {
			delete(p.addrTok, l.Address.ID)
		}
	}
	p.mu.Unlock()
	now := time.Now().UTC()
	out := make([]*multicloud.Instance, 0, len(results))
	for _, l := range results {
		in := p.launchedInstance(spec, netw, l, now)
		if len(leaked) > 0 {
			in.Warnings = append(in.Warnings, "billable resources not released: "+strings.Join(leaked, "; "))
		}
		out = append(out, in)
	}
	if lerr == nil {
		return out, nil
	}
	var me *multicloud.Error
	if !errors.As(lerr, &me) {
		lerr = classify(op, plan.Region, lerr)
	}
	if len(out) == 0 && len(leaked) > 0 {
		lerr = &multicloud.Error{Op: op, Provider: ProviderCode, Region: plan.Region, Code: multicloud.CodeOf(lerr),
			Message: "billable resources not released: " + strings.Join(leaked, "; "), Err: lerr}
	}
	return out, lerr
}

// forgetLaunched drops what runInstances remembered of instances for
// their address bindings.
func (p *Provider) forgetLaunched(ids []string) {
	p.mu.Lock()
	for _, id := range ids {
		delete(p.vpcOf, id)
		delete(p.boundOf, id)
	}
	p.mu.Unlock()
}

// checkSpec rejects a spec the Client would never send.
func checkSpec(spec *multicloud.CreateSpec) error {
	const op = "Create"
	switch {
	case spec == nil || spec.Request == nil:
		return errorf(op, "", multicloud.CodeInvalidArgument, "", "nil spec or request")
	case spec.Request.Quantity < 1 || spec.Request.Quantity > multicloud.MaxQuantity:
		return errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "", "quantity %d out of range 1-%d", spec.Request.Quantity, multicloud.MaxQuantity)
	case spec.Tags[multicloud.TagOwner] == "":
		return errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "", "spec has no %s tag", multicloud.TagOwner)
	case spec.Plan.Region == "" || spec.Plan.Zone == "" || spec.Plan.InstanceType == "" || spec.Plan.ImageID == "":
		return errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "", "plan %s is not resolved", spec.Plan.Placement)
	case len(spec.Token) > 64:
		return errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "", "token of %d characters: at most 64", len(spec.Token))
	case len(spec.Tags) > maxTags-3:
		return errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "", "%d tags: at most %d", len(spec.Tags), maxTags-3)
	}
	return nil
}

// maxTags is the most tags an EC2 resource takes.
const maxTags = 50

// launchedInstance describes an instance the create launched from what
// the create knows, without another call.
func (p *Provider) launchedInstance(spec *multicloud.CreateSpec, netw network.Network, l network.Launched, now time.Time) *multicloud.Instance {
	req, plan := spec.Request, spec.Plan
	in := &multicloud.Instance{
		ID: l.ID, Name: req.InstanceName, Provider: ProviderCode, Region: plan.Region, Zone: plan.Zone,
		Status: multicloud.StatusPending, InstanceType: plan.InstanceType, ImageID: plan.ImageID,
		TenantID: spec.Tags[multicloud.TagTenant], UserID: spec.Tags[multicloud.TagOwner], Tags: instanceTags(spec),
		Network:    multicloud.NetworkInfo{VPCID: netw.VPC.ID, SwitchID: netw.Switch.ID, SecurityGroupID: netw.SecurityGroup.ID},
		ChargeMode: req.InstanceChargeMode, CreatedAt: now, Warnings: slices.Clone(l.Warnings),
	}
	delete(in.Tags, "Name")
	delete(in.Tags, "Description")
	if req.AllocatePublicIP {
		in.BandwidthMode = multicloud.Traffic
		in.Warnings = append(in.Warnings, unsupportedWarnings(req)...)
	}
	if l.Address != nil {
		in.Status = multicloud.StatusStarting
		in.PublicIP, in.Network.AddressID = l.Address.IP, l.Address.ID
	}
	return in
}

// unsupportedWarnings are the warnings of the request's fields AWS has no
// counterpart for and that the validator lets through (a bandwidth cap:
// every request with a public address has one, the portable default 5).
func unsupportedWarnings(req *multicloud.CreateInstanceRequest) []string {
	if req.PublicIPBandwidth > 0 {
		return []string{fmt.Sprintf("public address bandwidth cap of %d Mbit/s not applied: AWS public addresses have no bandwidth cap (traffic is billed per GB)", req.PublicIPBandwidth)}
	}
	return nil
}

// instanceTags are the tags an instance is created with: spec.Tags, the
// create's token (multicloud.TagToken), a Name and, for a request with a
// description, a Description tag.
func instanceTags(spec *multicloud.CreateSpec) map[string]string {
	tags := maps.Clone(spec.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	if spec.Token != "" {
		tags[multicloud.TagToken] = spec.Token
	}
	if spec.Request.InstanceName != "" {
		tags["Name"] = spec.Request.InstanceName
	}
	if spec.Request.Description != "" {
		tags["Description"] = spec.Request.Description // EC2 instances have no description field
	}
	return tags
}

// runInstances is the launch step of Create: one RunInstances call with
// ClientToken spec.Token, MinCount 1 and MaxCount the quantity, settled
// (see settle: sent again with the same token while its outcome is
// unknown, so never creating twice).
func (p *Provider) runInstances(ctx context.Context, spec *multicloud.CreateSpec, net network.Network) ([]string, error) {
	in := p.runInput(spec, net)
	region := spec.Plan.Region
	scope := p.Scope(region, spec.Tags[multicloud.TagTenant], spec.Tags[multicloud.TagOwner])
	scope.Isolation = spec.Request.NetworkIsolation
	if err := p.confirmLaunch(ctx, scope, net.VPC.ID); err != nil {
		return nil, err
	}
	out, err := settle(ctx, p, region, "RunInstances", func(ctx context.Context, c *ec2.Client) (*ec2.RunInstancesOutput, error) {
		out, err := c.RunInstances(ctx, in)
		if err == nil && len(out.Instances) == 0 {
			return nil, errNoIDs
		}
		return out, err
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(out.Instances))
	p.mu.Lock()
	for _, i := range out.Instances {
		id := aws.ToString(i.InstanceId)
		ids = append(ids, id)
		p.vpcOf[id] = net.VPC.ID
		for _, ni := range i.NetworkInterfaces {
			if a := ni.Association; a != nil && aws.ToString(a.PublicIp) != "" && aws.ToString(a.IpOwnerId) != "amazon" {
				p.boundOf[id] = aws.ToString(a.PublicIp) // a repeated create: its Elastic IP is bound
			}
		}
	}
	p.mu.Unlock()
	p.remember(region, ids)
	want := spec.Request.Quantity
	if len(ids) < want {
		return ids, errorf("RunInstances", region, multicloud.CodeNoStock, "InsufficientInstanceCapacity",
			"%d of %d instances not created: zone %s has no more capacity of %s", want-len(ids), want, spec.Plan.Zone, spec.Plan.InstanceType)
	}
	return ids, nil
}

// errNoIDs is a RunInstances answer without instances: its outcome is
// unknown.
var errNoIDs = errors.New("response without instances")

// runInput builds the RunInstances input of spec into net. Repeated
// parameters are in a fixed order, so that a retry with the same
// ClientToken repeats the request exactly.
func (p *Provider) runInput(spec *multicloud.CreateSpec, net network.Network) *ec2.RunInstancesInput {
	r, plan := spec.Request, spec.Plan
	tags := instanceTags(spec)
	in := &ec2.RunInstancesInput{
		ClientToken:  aws.String(spec.Token),
		ImageId:      aws.String(plan.ImageID),
		InstanceType: types.InstanceType(plan.InstanceType),
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(int32(r.Quantity)),
		TagSpecifications: append(tagSpec(types.ResourceTypeInstance, tags),
			tagSpec(types.ResourceTypeVolume, tags)...),
	}
	if spec.Token == "" {
		in.ClientToken = nil
	}
	if r.AllocatePublicIP && r.PublicIPMode == multicloud.PublicIPInstance {
		in.NetworkInterfaces = []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0),
			SubnetId: aws.String(net.Switch.ID), Groups: []string{net.SecurityGroup.ID}, AssociatePublicIpAddress: aws.Bool(true)}}
	} else {
		in.SubnetId = aws.String(net.Switch.ID)
		in.SecurityGroupIds = []string{net.SecurityGroup.ID}
	}
	if r.SystemDiskSize > 0 || r.SystemDiskType != "" {
		in.BlockDeviceMappings = []types.BlockDeviceMapping{{DeviceName: aws.String(p.rootDevice(plan.Region, r.ImageKey)),
			Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(int32(max(r.SystemDiskSize, 8))),
				VolumeType: types.VolumeType(cmp.Or(r.SystemDiskType, DefaultSystemDiskType)), DeleteOnTermination: aws.Bool(true)}}}
	}
	if r.KeyPairName != "" {
		in.KeyName = aws.String(r.KeyPairName)
	}
	if v := r.Extensions[ExtUserData]; v != "" {
		in.UserData = aws.String(v)
	}
	if v := r.Extensions[ExtIAMInstanceProfile]; v != "" {
		if strings.HasPrefix(v, "arn:") {
			in.IamInstanceProfile = &types.IamInstanceProfileSpecification{Arn: aws.String(v)}
		} else {
			in.IamInstanceProfile = &types.IamInstanceProfileSpecification{Name: aws.String(v)}
		}
	}
	return in
}

// rootDevice is the root device name of an image key's AMI: the one
// DescribeImages reported, else /dev/xvda for Amazon Linux and /dev/sda1
// for the others (Ubuntu and the deep learning AMIs), from common usage,
// not confirmed for every AMI.
func (p *Provider) rootDevice(region, key string) string {
	p.mu.Lock()
	hit := p.images[imageKey{region, strings.ToLower(strings.TrimSpace(key))}]
	p.mu.Unlock()
	if hit.root != "" {
		return hit.root
	}
	if strings.Contains(strings.ToLower(key), "amazon-linux") {
		return "/dev/xvda"
	}
	return "/dev/sda1"
}

// Resolve completes a placement: the instance type (the placement's or
// request's, else the cheapest catalog type that fits and is offered in
// the zone or region), the zone (the placement's or request's, else the
// first zone, by name, that offers the type; DescribeInstanceTypeOfferings
// cached per region for Options.AvailabilityTTL) and the AMI of the
// request's image key (DescribeImages, cached; the catalog as fallback).
// An unknown image key or GPU model is ErrInvalidArgument naming the
// known ones; a GPU count no size of the model has is ErrInvalidArgument
// naming the sizes; fitting types offered nowhere are ErrNoStock.
func (p *Provider) Resolve(ctx context.Context, req *multicloud.CreateInstanceRequest, pl multicloud.Placement) (*multicloud.Plan, error) {
	const op = "Resolve"
	if req == nil {
		return nil, errorf(op, pl.Region, multicloud.CodeInvalidArgument, "", "nil request")
	}
	region := cmp.Or(pl.Region, req.Region)
	if err := ctx.Err(); err != nil {
		return nil, canceled(op, region, err)
	}
	cands, err := p.candidates(ctx, req, region, cmp.Or(pl.Zone, req.Zone), cmp.Or(pl.InstanceType, req.InstanceType))
	if err != nil {
		return nil, err
	}
	image, err := p.imageID(ctx, region, req.ImageKey)
	if err != nil {
		return nil, err
	}
	return &multicloud.Plan{Placement: cands[0], ImageID: image}, nil
}

// Candidates returns every placement of region that can take req: each
// fitting instance type (cheapest first) in each zone that offers it
// (req.Zone alone when set). Errors are as in Resolve.
func (p *Provider) Candidates(ctx context.Context, req *multicloud.CreateInstanceRequest, region string) ([]multicloud.Placement, error) {
	if req == nil {
		return nil, errorf("Candidates", region, multicloud.CodeInvalidArgument, "", "nil request")
	}
	return p.candidates(ctx, req, region, req.Zone, req.InstanceType)
}

func (p *Provider) candidates(ctx context.Context, req *multicloud.CreateInstanceRequest, region, zone, typ string) ([]multicloud.Placement, error) {
	const op = "Resolve"
	if region == "" {
		return nil, errorf(op, "", multicloud.CodeInvalidArgument, "", "region is required")
	}
	types, err := p.selectTypes(req, typ)
	if err != nil {
		return nil, wrapErr(op, region, err)
	}
	if zone != "" && typ != "" {
		return []multicloud.Placement{{Provider: ProviderCode, Region: region, Zone: zone, InstanceType: types[0].ID}}, nil
	}
	avail, err := p.availability(ctx, region)
	if err != nil {
		return nil, err
	}
	var out []multicloud.Placement
	var names []string
	for _, t := range types {
		for _, z := range avail.zones {
			if zone != "" && z != zone {
				continue
			}
			if !avail.offered(z, t.ID) {
				continue
			}
			out = append(out, multicloud.Placement{Provider: ProviderCode, Region: region, Zone: z, InstanceType: t.ID})
		}
		names = append(names, t.ID)
	}
	if len(out) == 0 {
		return nil, errorf(op, region, multicloud.CodeNoStock, "Unsupported",
			"none of %s is offered in %s", strings.Join(names, ", "), cmp.Or(zone, region))
	}
	return out, nil
}

// selectTypes is the catalog's selection, with a clearer error for a GPU
// count that no size of the model has ("A100 comes with 8 GPUs per
// instance; smallest p4d.24xlarge").
func (p *Provider) selectTypes(req *multicloud.CreateInstanceRequest, typ string) ([]mapping.InstanceType, error) {
	r := mapping.Requirements{InstanceType: typ, GPUModel: req.GPUModel, GPUCount: req.GPUCount, VCPU: req.CPU, MemoryGiB: float64(req.Memory)}
	types, err := p.catalog.Select(r)
	if err == nil || typ != "" || req.GPUModel == "" {
		return types, err
	}
	model, _ := multicloud.ParseGPUModel(req.GPUModel)
	var sizes []mapping.InstanceType
	for _, t := range p.catalog.Types() {
		if t.GPUModel == model {
			sizes = append(sizes, t)
		}
	}
	if len(sizes) == 0 {
		return nil, err
	}
	count := max(req.GPUCount, 1)
	if slices.ContainsFunc(sizes, func(t mapping.InstanceType) bool { return t.GPUCount == count }) {
		return nil, err // the count exists; another requirement failed
	}
	slices.SortFunc(sizes, func(a, b mapping.InstanceType) int {
		return cmp.Or(cmp.Compare(a.GPUCount, b.GPUCount), cmp.Compare(a.VCPU, b.VCPU), strings.Compare(a.ID, b.ID))
	})
	counts := []int{}
	for _, t := range sizes {
		if !slices.Contains(counts, t.GPUCount) {
			counts = append(counts, t.GPUCount)
		}
	}
	return nil, multicloud.Errorf(multicloud.CodeInvalidArgument,
		"no %s instance type with %d GPUs: AWS sells %s with %s GPUs per instance; the smallest is %s (%d GPUs)",
		model, count, model, joinInts(counts), sizes[0].ID, sizes[0].GPUCount)
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " or ")
}
