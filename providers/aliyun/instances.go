package aliyun

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/multicloud-ecs/multicloud"
)

// MaxPageSize is the largest page DescribeInstances returns.
const MaxPageSize = 100

// Get returns one instance (DescribeInstances with InstanceIds); a missing
// one is ErrNotFound.
func (p *Provider) Get(ctx context.Context, region, id string) (*multicloud.Instance, error) {
	in, err := p.describe(ctx, region, id)
	if err != nil {
		return nil, err
	}
	return toInstance(in), nil
}

// describe returns the SDK view of one instance.
func (p *Provider) describe(ctx context.Context, region, id string) (*ecs.Instance, error) {
	req := ecs.CreateDescribeInstancesRequest()
	ids, _ := json.Marshal([]string{id})
	req.InstanceIds = string(ids)
	resp := ecs.CreateDescribeInstancesResponse()
	if err := p.do(ctx, region, productECS, req, resp); err != nil {
		return nil, err
	}
	for i, in := range resp.Instances.Instance {
		if in.InstanceId == id {
			return &resp.Instances.Instance[i], nil
		}
	}
	return nil, errorf("DescribeInstances", region, multicloud.CodeNotFound, "InvalidInstanceId.NotFound", "instance %s not found", id)
}

// MaxBatch is the most IDs one DescribeInstances call takes in
// InstanceIds.
const MaxBatch = 100

// GetBatch returns the instances among ids (at most MaxBatch) that exist in
// region, keyed by ID: one DescribeInstances call with InstanceIds and a
// page of MaxBatch (multicloud.BatchGetter).
func (p *Provider) GetBatch(ctx context.Context, region string, ids []string) (map[string]*multicloud.Instance, error) {
	if len(ids) > MaxBatch {
		return nil, errorf("DescribeInstances", region, multicloud.CodeInvalidArgument, "", "at most %d ids, got %d", MaxBatch, len(ids))
	}
	req := ecs.CreateDescribeInstancesRequest()
	js, _ := json.Marshal(ids)
	req.InstanceIds = string(js)
	req.PageSize = requests.NewInteger(MaxBatch)
	resp := ecs.CreateDescribeInstancesResponse()
	if err := p.do(ctx, region, productECS, req, resp); err != nil {
		return nil, err
	}
	out := make(map[string]*multicloud.Instance, len(resp.Instances.Instance))
	for i := range resp.Instances.Instance {
		in := &resp.Instances.Instance[i]
		out[in.InstanceId] = toInstance(in)
	}
	return out, nil
}

// BatchSize is the most IDs GetBatch takes: MaxBatch.
func (p *Provider) BatchSize() int { return MaxBatch }

// List returns one page of the instances of q.Region that carry every tag
// of q.Tags (DescribeInstances with Tag.N, at most 20, NextToken and
// MaxResults capped at 100) and, when set, are in q.Status.
func (p *Provider) List(ctx context.Context, q multicloud.ListQuery) (*multicloud.InstancePage, error) {
	if len(q.Tags) > 20 {
		return nil, errorf("List", q.Region, multicloud.CodeInvalidArgument, "", "at most 20 tag filters, got %d", len(q.Tags))
	}
	req := ecs.CreateDescribeInstancesRequest()
	size := q.PageSize
	if size <= 0 || size > MaxPageSize {
		size = MaxPageSize
	}
	req.MaxResults = requests.NewInteger(size)
	req.NextToken = q.PageToken
	if q.Status != "" {
		req.Status = string(q.Status)
	}
	if len(q.Tags) > 0 {
		tags := sortedTags(q.Tags)
		ts := make([]ecs.DescribeInstancesTag, len(tags))
		for i, t := range tags {
			ts[i] = ecs.DescribeInstancesTag{Key: t.k, Value: t.v}
		}
		req.Tag = &ts
	}
	resp := ecs.CreateDescribeInstancesResponse()
	if err := p.do(ctx, q.Region, productECS, req, resp); err != nil {
		return nil, err
	}
	page := &multicloud.InstancePage{NextToken: resp.NextToken}
	for i := range resp.Instances.Instance {
		page.Instances = append(page.Instances, toInstance(&resp.Instances.Instance[i]))
	}
	return page, nil
}

// toInstance maps DescribeInstances' view of an instance.
func toInstance(in *ecs.Instance) *multicloud.Instance {
	out := &multicloud.Instance{
		ID: in.InstanceId, Name: in.InstanceName, Provider: ProviderCode, Region: in.RegionId, Zone: in.ZoneId,
		Status: instanceStatus(in.Status), InstanceType: in.InstanceType, ImageID: in.ImageId,
		Network: multicloud.NetworkInfo{VPCID: in.VpcAttributes.VpcId, SwitchID: in.VpcAttributes.VSwitchId,
			AddressID: in.EipAddress.AllocationId},
		ChargeMode: multicloud.OnDemand,
		CreatedAt:  parseTime(in.CreationTime),
	}
	if ids := in.VpcAttributes.PrivateIpAddress.IpAddress; len(ids) > 0 {
		out.PrivateIP = ids[0]
	} else if ids := in.InnerIpAddress.IpAddress; len(ids) > 0 {
		out.PrivateIP = ids[0]
	}
	switch {
	case in.EipAddress.IpAddress != "":
		out.PublicIP = in.EipAddress.IpAddress
		out.BandwidthMbps = in.EipAddress.Bandwidth
		out.BandwidthMode = bandwidthMode(in.EipAddress.InternetChargeType)
	case len(in.PublicIpAddress.IpAddress) > 0:
		out.PublicIP = in.PublicIpAddress.IpAddress[0]
		out.BandwidthMbps = in.InternetMaxBandwidthOut
		out.BandwidthMode = bandwidthMode(in.InternetChargeType)
	}
	if g := in.SecurityGroupIds.SecurityGroupId; len(g) > 0 {
		out.Network.SecurityGroupID = g[0]
	}
	switch {
	case in.InstanceChargeType == "PrePaid":
		out.ChargeMode = multicloud.Prepaid
	case in.SpotStrategy == "SpotAsPriceGo" || in.SpotStrategy == "SpotWithPriceLimit":
		out.ChargeMode = multicloud.Spot
	}
	if len(in.Tags.Tag) > 0 {
		out.Tags = make(map[string]string, len(in.Tags.Tag))
		for _, t := range in.Tags.Tag {
			k, v := cmp.Or(t.TagKey, t.Key), cmp.Or(t.TagValue, t.Value)
			out.Tags[k] = v
		}
		out.TenantID, out.UserID = out.Tags[multicloud.TagTenant], out.Tags[multicloud.TagOwner]
	}
	return out
}

func instanceStatus(s string) multicloud.Status {
	switch s {
	case "Pending":
		return multicloud.StatusPending
	case "Starting":
		return multicloud.StatusStarting
	case "Running":
		return multicloud.StatusRunning
	case "Stopping":
		return multicloud.StatusStopping
	case "Stopped":
		return multicloud.StatusStopped
	}
	return multicloud.StatusUnknown
}

func bandwidthMode(internetChargeType string) multicloud.BandwidthMode {
	if internetChargeType == "PayByBandwidth" {
		return multicloud.Fixed
	}
	return multicloud.Traffic
}

// parseTime reads Aliyun times: "2006-01-02T15:04Z" in DescribeInstances,
// with seconds elsewhere. An unreadable time is the zero time.
func parseTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04Z", "2006-01-02T15:04:05Z", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Start starts a stopped instance (StartInstance); another state is
// ErrConflict (IncorrectInstanceStatus), a missing instance ErrNotFound.
func (p *Provider) Start(ctx context.Context, region, id string) error {
	req := ecs.CreateStartInstanceRequest()
	req.InstanceId = id
	return p.do(ctx, region, productECS, req, ecs.CreateStartInstanceResponse())
}

// Stop stops a running instance (StopInstance; force is ForceStop).
func (p *Provider) Stop(ctx context.Context, region, id string, force bool) error {
	req := ecs.CreateStopInstanceRequest()
	req.InstanceId = id
	req.ForceStop = requests.NewBoolean(force)
	return p.do(ctx, region, productECS, req, ecs.CreateStopInstanceResponse())
}

// Reboot restarts a running instance (RebootInstance; force is ForceStop).
func (p *Provider) Reboot(ctx context.Context, region, id string, force bool) error {
	req := ecs.CreateRebootInstanceRequest()
	req.InstanceId = id
	req.ForceStop = requests.NewBoolean(force)
	return p.do(ctx, region, productECS, req, ecs.CreateRebootInstanceResponse())
}

// Delete releases an instance (DeleteInstance; force releases a running
// one) and then the elastic IP bound to it: unbound and released through
// the network flow, waiting out its transitions. The address is found
// before the instance is deleted (once the instance is gone, so is the
// binding), and the DeleteInstance call is settled (see
// Options.SettleTimeout): when its response is lost, it is asked again,
// and an instance found gone then counts as deleted, so its address is
// still released. The release runs detached from ctx's cancellation,
// within Options.SettleTimeout. An address that cannot be released is an
// error of code ErrConflict naming it, although the instance is gone (not
// retryable: a retried Delete would find no instance). A missing instance
// is ErrNotFound; a running one without force ErrConflict.
func (p *Provider) Delete(ctx context.Context, region, id string, force bool) error {
	in, err := p.describe(ctx, region, id)
	if err != nil {
		return err
	}
	// DescribeInstances shows an EIP only once it is InUse; one still
	// Associating (an instance deleted right after its create) is found
	// by asking for the EIPs bound to the instance, before the instance,
	// and with it the binding, is gone.
	addr, ip := in.EipAddress.AllocationId, in.EipAddress.IpAddress
	if addr == "" {
		if addr, ip, err = p.boundAddress(ctx, region, id); err != nil {
			return err
		}
	}
	req := ecs.CreateDeleteInstanceRequest()
	req.InstanceId = id
	req.Force = requests.NewBoolean(force)
	gone := func(err error) bool { return errors.Is(err, multicloud.ErrNotFound) }
	if _, err := p.settled(ctx, region, productECS, req, func() responses.AcsResponse { return ecs.CreateDeleteInstanceResponse() }, gone, nil); err != nil {
		return err
	}
	if addr == "" {
		return nil
	}
	tags := map[string]string{}
	for _, t := range in.Tags.Tag {
		tags[cmp.Or(t.TagKey, t.Key)] = cmp.Or(t.TagValue, t.Value)
	}
	scope := p.Scope(region, tags[multicloud.TagTenant], tags[multicloud.TagOwner])
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.SettleTimeout)
	defer cancel()
	if err := p.prov.ReleaseAddress(sctx, scope, addr, id); err != nil {
		return &multicloud.Error{Op: "Delete", Provider: ProviderCode, Region: region, Code: multicloud.CodeConflict,
			Message: fmt.Sprintf("instance %s deleted but its elastic ip %s (%s) was not released; release it", id, addr, ip), Err: err}
	}
	return nil
}

// boundAddress returns the allocation ID and IP of the EIP bound (or
// being bound) to an instance, or empty strings when there is none.
func (p *Provider) boundAddress(ctx context.Context, region, instanceID string) (id, ip string, err error) {
	req := vpc.CreateDescribeEipAddressesRequest()
	req.AssociatedInstanceType, req.AssociatedInstanceId = "EcsInstance", instanceID
	resp := vpc.CreateDescribeEipAddressesResponse()
	if err := p.do(ctx, region, productVPC, req, resp); err != nil {
		return "", "", err
	}
	for _, e := range resp.EipAddresses.EipAddress {
		if e.InstanceId == instanceID {
			return e.AllocationId, e.IpAddress, nil
		}
	}
	return "", "", nil
}
