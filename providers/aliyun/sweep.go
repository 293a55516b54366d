package aliyun

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"

	"github.com/multicloud-ecs/multicloud"
)

var _ multicloud.Sweeper = (*Provider)(nil)

// Orphans returns the sweep candidates of q.Region: every instance tagged
// createdBy = multicloud (DescribeInstances with the tag, every page),
// every elastic IP in status Available that is tagged so or named with
// AddressNamePrefix (DescribeEipAddresses Status=Available, every page),
// and with q.Networks the security groups and VPCs tagged so whose VPC
// holds no instance at all (DescribeVpcs with the tag; DescribeInstances
// VpcId; DescribeSecurityGroups VpcId).
func (p *Provider) Orphans(ctx context.Context, q multicloud.SweepQuery) ([]multicloud.Orphan, error) {
	var out []multicloud.Orphan
	orphan := func(kind multicloud.OrphanKind, id string, tags map[string]string, reason string) multicloud.Orphan {
		return multicloud.Orphan{Kind: kind, ID: id, Provider: ProviderCode, Region: q.Region,
			TenantID: tags[multicloud.TagTenant], UserID: tags[multicloud.TagOwner], Reason: reason}
	}
	ours := map[string]string{multicloud.TagCreatedBy: multicloud.CreatedByValue}
	for token := ""; ; {
		page, err := p.List(ctx, multicloud.ListQuery{Region: q.Region, Tags: ours, PageToken: token, PageSize: MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, in := range page.Instances {
			o := orphan(multicloud.OrphanInstance, in.ID, in.Tags, "")
			o.CreatedAt, o.Instance = in.CreatedAt, in
			out = append(out, o)
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	for n := 1; ; n++ {
		req := vpc.CreateDescribeEipAddressesRequest()
		req.Status, req.PageSize, req.PageNumber = "Available", requests.NewInteger(100), requests.NewInteger(n)
		resp := vpc.CreateDescribeEipAddressesResponse()
		if err := p.do(ctx, q.Region, productVPC, req, resp); err != nil {
			return nil, err
		}
		for _, e := range resp.EipAddresses.EipAddress {
			tags := vpcTags(e.Tags.Tag)
			if e.Status != "Available" || (tags[multicloud.TagCreatedBy] != multicloud.CreatedByValue && !strings.HasPrefix(e.Name, AddressNamePrefix)) {
				continue
			}
			reason := "elastic ip bound to nothing"
			if tags[multicloud.TagCreatedBy] == "" {
				reason += ", untagged (named " + e.Name + ")"
			}
			if tok := tags[multicloud.TagToken]; tok != "" {
				reason += ", allocated by the create of idempotency token " + tok
			}
			o := orphan(multicloud.OrphanAddress, e.AllocationId, tags, reason)
			o.CreatedAt = parseTime(e.AllocationTime)
			out = append(out, o)
		}
		if len(resp.EipAddresses.EipAddress) == 0 || n*100 >= resp.TotalCount {
			break
		}
	}
	if !q.Networks {
		return out, nil
	}
	nets, err := p.idleNetworks(ctx, q.Region)
	if err != nil {
		return nil, err
	}
	return append(out, nets...), nil
}

// idleNetworks returns the library's VPCs of region that hold no instance,
// with their library security groups.
func (p *Provider) idleNetworks(ctx context.Context, region string) ([]multicloud.Orphan, error) {
	var out []multicloud.Orphan
	for n := 1; ; n++ {
		req := vpc.CreateDescribeVpcsRequest()
		req.Tag = &[]vpc.DescribeVpcsTag{{Key: multicloud.TagCreatedBy, Value: multicloud.CreatedByValue}}
		req.PageSize, req.PageNumber = requests.NewInteger(50), requests.NewInteger(n)
		resp := vpc.CreateDescribeVpcsResponse()
		if err := p.do(ctx, region, productVPC, req, resp); err != nil {
			return nil, err
		}
		for _, v := range resp.Vpcs.Vpc {
			ireq := ecs.CreateDescribeInstancesRequest()
			ireq.VpcId, ireq.MaxResults = v.VpcId, requests.NewInteger(1)
			iresp := ecs.CreateDescribeInstancesResponse()
			if err := p.do(ctx, region, productECS, ireq, iresp); err != nil {
				return nil, err
			}
			if len(iresp.Instances.Instance) > 0 {
				continue
			}
			tags := vpcTags(v.Tags.Tag)
			greq := ecs.CreateDescribeSecurityGroupsRequest()
			greq.VpcId, greq.MaxResults = v.VpcId, "100"
			greq.Tag = &[]ecs.DescribeSecurityGroupsTag{{Key: multicloud.TagCreatedBy, Value: multicloud.CreatedByValue}}
			gresp := ecs.CreateDescribeSecurityGroupsResponse()
			if err := p.do(ctx, region, productECS, greq, gresp); err != nil {
				return nil, err
			}
			for _, g := range gresp.SecurityGroups.SecurityGroup {
				gt := map[string]string{}
				for _, t := range g.Tags.Tag {
					gt[cmp.Or(t.TagKey, t.Key)] = cmp.Or(t.TagValue, t.Value)
				}
				o := multicloud.Orphan{Kind: multicloud.OrphanSecurityGroup, ID: g.SecurityGroupId, Provider: ProviderCode, Region: region,
					TenantID: gt[multicloud.TagTenant], UserID: gt[multicloud.TagOwner], Reason: "security group of a user with no instance",
					CreatedAt: parseTime(g.CreationTime)}
				out = append(out, o)
			}
			out = append(out, multicloud.Orphan{Kind: multicloud.OrphanVPC, ID: v.VpcId, Provider: ProviderCode, Region: region,
				TenantID: tags[multicloud.TagTenant], UserID: tags[multicloud.TagOwner], Reason: "vpc of a user with no instance",
				CreatedAt: parseTime(v.CreationTime)})
		}
		if len(resp.Vpcs.Vpc) == 0 || n*50 >= resp.TotalCount {
			return out, nil
		}
	}
}

func vpcTags(ts []vpc.Tag) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[cmp.Or(t.Key, t.TagKey)] = cmp.Or(t.Value, t.TagValue)
	}
	return m
}

// Release releases one orphan: an instance with Delete (force), an
// elastic IP through the network flow (never one bound to an instance:
// ErrConflict), a security group with DeleteSecurityGroup, a VPC with
// DeleteVSwitch for each of its switches and DeleteVpc; the releases of
// addresses and instances are settled as in Delete. What is already gone
// is not an error; a resource still in use or in transition is
// ErrConflict.
func (p *Provider) Release(ctx context.Context, o multicloud.Orphan) error {
	notFound := func(err error) error {
		if errors.Is(err, multicloud.ErrNotFound) {
			return nil
		}
		return err
	}
	scope := p.Scope(o.Region, o.TenantID, o.UserID)
	switch o.Kind {
	case multicloud.OrphanInstance:
		return notFound(p.Delete(ctx, o.Region, o.ID, true))
	case multicloud.OrphanAddress:
		return notFound(p.prov.ReleaseAddress(ctx, scope, o.ID, ""))
	case multicloud.OrphanSecurityGroup:
		req := ecs.CreateDeleteSecurityGroupRequest()
		req.SecurityGroupId = o.ID
		err := notFound(p.do(ctx, o.Region, productECS, req, ecs.CreateDeleteSecurityGroupResponse()))
		if err == nil {
			p.prov.Forget(scope)
		}
		return err
	case multicloud.OrphanVPC:
		switches, err := p.ListSwitches(ctx, scope, o.ID)
		if err != nil {
			return notFound(err)
		}
		for _, sw := range switches {
			req := vpc.CreateDeleteVSwitchRequest()
			req.VSwitchId = sw.ID
			if err := notFound(p.do(ctx, o.Region, productVPC, req, vpc.CreateDeleteVSwitchResponse())); err != nil {
				return err
			}
		}
		req := vpc.CreateDeleteVpcRequest()
		req.VpcId = o.ID
		err = notFound(p.do(ctx, o.Region, productVPC, req, vpc.CreateDeleteVpcResponse()))
		if err == nil {
			p.prov.Forget(scope)
		}
		return err
	}
	return errorf("Release", o.Region, multicloud.CodeInvalidArgument, "", "unknown orphan kind %q", o.Kind)
}
