package aliyun

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/mapping"
	"github.com/multicloud-ecs/multicloud/network"
)

// Extensions a request may carry for this provider (CreateInstanceRequest
// Extensions); other "aliyun." keys are ignored.
const (
	ExtUserData        = "aliyun.userData"        // base64 user data, passed as UserData
	ExtRAMRoleName     = "aliyun.ramRoleName"     // instance RAM role
	ExtResourceGroupID = "aliyun.resourceGroupId" // resource group of the instances
	ExtHostName        = "aliyun.hostName"        // host name
)

// Create creates spec.Request.Quantity instances as planned, along the
// network flow's dependency graph (network.Provisioner.Launch): the user's
// VPC found by its Owner tag (cached) or created with a ClientToken of the
// scope and waited for, the zone's vSwitch beside the security group,
// one elastic IP per instance allocated from the start, then RunInstances
// (ClientToken spec.Token, Amount = quantity, MinAmount = 1) beside one
// AuthorizeSecurityGroup call with every port, and each address bound as
// soon as its instance can take it. With PublicIPInstance the instances
// get their own public IP (InternetMaxBandwidthOut) instead.
//
// With stock for only some instances, those are returned with an error
// matching multicloud.ErrNoStock that says how many are missing. Port and
// address failures after the instances exist are Warnings on them; an
// address that could not be bound is released, and one that could not be
// released either is named in a warning. A create that produced no
// instance releases every address it allocated. The instances are
// returned as launched (Pending, or Starting once bound): the Client waits
// for Running.
func (p *Provider) Create(ctx context.Context, spec *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
	const op = "Create"
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	req, plan := spec.Request, spec.Plan
	scope := p.Scope(plan.Region, spec.Tags[multicloud.TagTenant], spec.Tags[multicloud.TagOwner])
	scope.Isolation = req.NetworkIsolation // empty: the provisioner's default
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
	tracker := &tagTracker{}
	lctx := context.WithValue(ctx, tagTrackerKey{}, tracker)
	var launched []string
	res, lerr := p.prov.Launch(lctx, lr, network.LaunchFunc(func(ctx context.Context, net network.Network) ([]string, error) {
		ids, err := p.runInstances(ctx, spec, net)
		launched = ids
		return ids, err
	}))
	tagErr := tracker.wait()

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
	now := time.Now().UTC()
	out := make([]*multicloud.Instance, 0, len(results))
	for _, l := range results {
		in := p.launchedInstance(spec, netw, l, now)
		if len(leaked) > 0 {
			in.Warnings = append(in.Warnings, "billable resources not released: "+strings.Join(leaked, "; "))
		}
		if tagErr != nil {
			in.Warnings = append(in.Warnings, "public address tags not set: "+tagErr.Error())
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
	case len(spec.Tags) > multicloud.MaxTags:
		return errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "", "%d tags: at most %d", len(spec.Tags), multicloud.MaxTags)
	}
	return nil
}

// launchedInstance describes an instance the create launched from what the
// create knows, without another call.
func (p *Provider) launchedInstance(spec *multicloud.CreateSpec, netw network.Network, l network.Launched, now time.Time) *multicloud.Instance {
	req, plan := spec.Request, spec.Plan
	in := &multicloud.Instance{
		ID: l.ID, Name: req.InstanceName, Provider: ProviderCode, Region: plan.Region, Zone: plan.Zone,
		Status: multicloud.StatusPending, InstanceType: plan.InstanceType, ImageID: plan.ImageID,
		TenantID: spec.Tags[multicloud.TagTenant], UserID: spec.Tags[multicloud.TagOwner], Tags: cloneTags(spec.Tags),
		Network:    multicloud.NetworkInfo{VPCID: netw.VPC.ID, SwitchID: netw.Switch.ID, SecurityGroupID: netw.SecurityGroup.ID},
		ChargeMode: req.InstanceChargeMode, CreatedAt: now, Warnings: slices.Clone(l.Warnings),
	}
	if req.AllocatePublicIP {
		in.BandwidthMode, in.BandwidthMbps = req.BandwidthMode, req.PublicIPBandwidth
	}
	if l.Address != nil {
		in.Status = multicloud.StatusStarting // an address binds only once the instance left Pending
		in.PublicIP, in.Network.AddressID = l.Address.IP, l.Address.ID
	}
	return in
}

func cloneTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// runInstances is the launch step of Create: one RunInstances call with
// ClientToken spec.Token, Amount = quantity and MinAmount = 1, settled
// (see settled: sent again with the same token, so never creating twice,
// while its outcome is unknown, including a response with no instance IDs
// that could not be read). While the new vSwitch is still pending
// (ErrConflict) it waits, polling, for at most Options.ReadTimeout; it does
// not retry throttling or server errors: the Client does.
func (p *Provider) runInstances(ctx context.Context, spec *multicloud.CreateSpec, net network.Network) ([]string, error) {
	req := p.runRequest(spec, net)
	region := spec.Plan.Region
	var resp *ecs.RunInstancesResponse
	noIDs := func(r responses.AcsResponse) error {
		if len(r.(*ecs.RunInstancesResponse).InstanceIdSets.InstanceIdSet) == 0 {
			return errorf("RunInstances", region, multicloud.CodeUnavailable, "", "response without instance ids")
		}
		return nil
	}
	pause, deadline := 100*time.Millisecond, time.Now().Add(p.opts.ReadTimeout)
	for {
		r, err := p.settled(ctx, region, productECS, req, func() responses.AcsResponse { return ecs.CreateRunInstancesResponse() }, nil, noIDs)
		if r != nil {
			resp = r.(*ecs.RunInstancesResponse)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, multicloud.ErrConflict) || time.Now().Add(pause).After(deadline) {
			return nil, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, canceled("RunInstances", region, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 2*time.Second)
	}
	ids := slices.Clone(resp.InstanceIdSets.InstanceIdSet)
	want := spec.Request.Quantity
	if len(ids) < want {
		return ids, errorf("RunInstances", region, multicloud.CodeNoStock, "OperationDenied.NoStock",
			"%d of %d instances not created: zone %s has no more stock of %s", want-len(ids), want, spec.Plan.Zone, spec.Plan.InstanceType)
	}
	return ids, nil
}

// runRequest builds the RunInstances request of spec into net. Repeated
// parameters are sent in a fixed order, so that a retry with the same
// ClientToken repeats the request exactly.
func (p *Provider) runRequest(spec *multicloud.CreateSpec, net network.Network) *ecs.RunInstancesRequest {
	r, plan := spec.Request, spec.Plan
	req := ecs.CreateRunInstancesRequest()
	req.ClientToken = spec.Token
	req.ZoneId, req.InstanceType, req.ImageId = plan.Zone, plan.InstanceType, plan.ImageID
	req.VSwitchId, req.SecurityGroupId = net.Switch.ID, net.SecurityGroup.ID
	req.InstanceName, req.Description = r.InstanceName, r.Description
	req.Amount = requests.NewInteger(r.Quantity)
	req.MinAmount = requests.NewInteger(1)
	if r.Quantity > 1 {
		req.UniqueSuffix = requests.NewBoolean(true)
	}
	req.SystemDiskCategory = r.SystemDiskType
	if r.SystemDiskSize > 0 {
		req.SystemDiskSize = strconv.Itoa(r.SystemDiskSize)
	}
	if !r.Password.IsZero() {
		req.Password = r.Password.Reveal()
	}
	req.KeyPairName = r.KeyPairName
	switch r.InstanceChargeMode {
	case multicloud.Prepaid:
		req.InstanceChargeType = "PrePaid"
		req.Period = requests.NewInteger(max(r.Duration, 1))
		req.PeriodUnit = "Month"
		req.AutoPay = requests.NewBoolean(true)
	case multicloud.Spot:
		req.InstanceChargeType, req.SpotStrategy = "PostPaid", spotStrategy
	default:
		req.InstanceChargeType = "PostPaid"
	}
	if r.AllocatePublicIP && r.PublicIPMode == multicloud.PublicIPInstance {
		req.InternetChargeType = internetChargeType(string(r.BandwidthMode))
		req.InternetMaxBandwidthOut = requests.NewInteger(r.PublicIPBandwidth)
	}
	tags := sortedTags(spec.Tags)
	ts := make([]ecs.RunInstancesTag, len(tags))
	for i, t := range tags {
		ts[i] = ecs.RunInstancesTag{Key: t.k, Value: t.v}
	}
	req.Tag = &ts
	req.UserData = r.Extensions[ExtUserData]
	req.RamRoleName = r.Extensions[ExtRAMRoleName]
	req.ResourceGroupId = r.Extensions[ExtResourceGroupID]
	req.HostName = r.Extensions[ExtHostName]
	return req
}

// Resolve completes a placement: the instance type (the placement's or
// request's, else the cheapest catalog type that fits and is sold in the
// zone or region), the zone (the placement's or request's, else the first
// zone, in DescribeZones order, where DescribeAvailableResource reports
// the type available; cached per region for Options.AvailabilityTTL) and
// the image ID of the request's image key from the catalog. An unknown
// image key or GPU model is ErrInvalidArgument naming the known ones;
// fitting types sold out everywhere is ErrNoStock.
func (p *Provider) Resolve(ctx context.Context, req *multicloud.CreateInstanceRequest, pl multicloud.Placement) (*multicloud.Plan, error) {
	const op = "Resolve"
	if req == nil {
		return nil, errorf(op, pl.Region, multicloud.CodeInvalidArgument, "", "nil request")
	}
	region := cmp.Or(pl.Region, req.Region)
	if err := ctx.Err(); err != nil {
		return nil, canceled(op, region, err)
	}
	image, err := p.catalog.ImageID(region, req.ImageKey)
	if err != nil {
		return nil, wrapErr(op, region, err)
	}
	cands, err := p.candidates(ctx, req, region, cmp.Or(pl.Zone, req.Zone), cmp.Or(pl.InstanceType, req.InstanceType))
	if err != nil {
		return nil, err
	}
	return &multicloud.Plan{Placement: cands[0], ImageID: image}, nil
}

// Candidates returns every placement of region that can take req: each
// fitting instance type (cheapest first) in each zone that has it
// available (req.Zone alone when set). Errors are as in Resolve.
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
	types, err := p.catalog.Select(requirements(req, typ))
	if err != nil {
		return nil, wrapErr(op, region, err)
	}
	// With an explicit zone and type there is nothing to look up: the
	// create will say whether it has stock.
	if zone != "" && typ != "" {
		return []multicloud.Placement{{Provider: ProviderCode, Region: region, Zone: zone, InstanceType: types[0].ID}}, nil
	}
	avail, err := p.availability(ctx, region, req.InstanceChargeMode)
	if err != nil {
		return nil, err
	}
	var out []multicloud.Placement
	var sold []string
	for _, t := range types {
		for _, z := range avail.zones {
			if zone != "" && z != zone {
				continue
			}
			if avail.known && !avail.types[z][t.ID] {
				continue
			}
			out = append(out, multicloud.Placement{Provider: ProviderCode, Region: region, Zone: z, InstanceType: t.ID})
		}
		sold = append(sold, t.ID)
	}
	if len(out) == 0 {
		return nil, errorf(op, region, multicloud.CodeNoStock, "OperationDenied.NoStock",
			"none of %s is available in %s", strings.Join(sold, ", "), cmp.Or(zone, region))
	}
	return out, nil
}

// wrapErr gives an error of the catalog the provider's context.
func wrapErr(op, region string, err error) error {
	var e *multicloud.Error
	if errors.As(err, &e) && e == err {
		cp := *e
		cp.Op, cp.Provider, cp.Region = op, ProviderCode, region
		return &cp
	}
	return &multicloud.Error{Op: op, Provider: ProviderCode, Region: region, Code: multicloud.CodeOf(err), Err: err}
}

// zoneCache is what DescribeZones and DescribeAvailableResource say about
// a region: its zones in order, and the instance types available in each.
type zoneCache struct {
	zones   []string
	types   map[string]map[string]bool
	known   bool // types is from DescribeAvailableResource; false: every zone is a candidate
	expires time.Time
}

// availability returns region's zone cache for the stock of mode,
// refreshed when expired.
func (p *Provider) availability(ctx context.Context, region string, mode multicloud.ChargeMode) (zoneCache, error) {
	// Stock is per charge mode: a zone sold out for PostPaid may still
	// sell PrePaid or spot instances.
	ct, spot, _ := chargeType(mode)
	key := region + "|" + ct + "|" + spot
	p.mu.Lock()
	c, ok := p.zones[key]
	p.mu.Unlock()
	if ok && time.Now().Before(c.expires) {
		return c, nil
	}
	zreq := ecs.CreateDescribeZonesRequest()
	zresp := ecs.CreateDescribeZonesResponse()
	if err := p.do(ctx, region, productECS, zreq, zresp); err != nil {
		return zoneCache{}, err
	}
	c = zoneCache{types: map[string]map[string]bool{}, expires: time.Now().Add(p.opts.AvailabilityTTL)}
	for _, z := range zresp.Zones.Zone {
		c.zones = append(c.zones, z.ZoneId)
	}
	areq := ecs.CreateDescribeAvailableResourceRequest()
	areq.DestinationResource = "InstanceType"
	areq.InstanceChargeType, areq.SpotStrategy = ct, spot
	aresp := ecs.CreateDescribeAvailableResourceResponse()
	switch err := p.do(ctx, region, productECS, areq, aresp); {
	case err == nil:
		c.known = true
		for _, z := range aresp.AvailableZones.AvailableZone {
			m := map[string]bool{}
			for _, r := range z.AvailableResources.AvailableResource {
				for _, s := range r.SupportedResources.SupportedResource {
					if s.Status == "Available" {
						m[s.Value] = true
					}
				}
			}
			c.types[z.ZoneId] = m
		}
	case errors.Is(err, multicloud.ErrPermissionDenied) || errors.Is(err, multicloud.ErrInvalidArgument):
		// Not available to this account or endpoint: every zone is a
		// candidate and RunInstances decides.
		p.log.Warn("DescribeAvailableResource not usable; trying every zone", "region", region, "err", err)
	default:
		return zoneCache{}, err
	}
	p.mu.Lock()
	p.zones[key] = c
	p.mu.Unlock()
	return c, nil
}

// requirements is what req asks of an instance type; typ, when set, wins.
func requirements(req *multicloud.CreateInstanceRequest, typ string) mapping.Requirements {
	return mapping.Requirements{InstanceType: typ, GPUModel: req.GPUModel, GPUCount: req.GPUCount, VCPU: req.CPU, MemoryGiB: float64(req.Memory)}
}
