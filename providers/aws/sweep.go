package aws

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/multicloud-ecs/multicloud"
)

// Orphans returns the sweep candidates of q.Region: every live instance
// tagged createdBy = multicloud (every page), every Elastic IP tagged so
// that is bound to nothing (its creation time from TagCreatedAt: EC2 does
// not report when an address was allocated), and with q.Networks the
// security groups and VPCs tagged so whose VPC holds no live instance
// (DescribeVpcs with the tag; DescribeInstances vpc-id;
// DescribeSecurityGroups vpc-id).
func (p *Provider) Orphans(ctx context.Context, q multicloud.SweepQuery) ([]multicloud.Orphan, error) {
	var out []multicloud.Orphan
	ours := map[string]string{multicloud.TagCreatedBy: multicloud.CreatedByValue}
	for token := ""; ; {
		page, err := p.List(ctx, multicloud.ListQuery{Region: q.Region, Tags: ours, PageToken: token, PageSize: MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, in := range page.Instances {
			out = append(out, multicloud.Orphan{Kind: multicloud.OrphanInstance, ID: in.ID, Provider: ProviderCode, Region: q.Region,
				TenantID: in.TenantID, UserID: in.UserID, CreatedAt: in.CreatedAt, Instance: in})
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	addrs, err := call(ctx, p, q.Region, "DescribeAddresses", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeAddressesOutput, error) {
		return c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: tagFilters(ours)})
	})
	if err != nil {
		return nil, err
	}
	for _, a := range addrs.Addresses {
		if aws.ToString(a.AssociationId) != "" || aws.ToString(a.InstanceId) != "" {
			continue
		}
		tags := tagMap(a.Tags)
		reason := "elastic ip bound to nothing"
		if tok := tags[multicloud.TagToken]; tok != "" {
			reason += ", allocated by the create of idempotency token " + tok
		}
		out = append(out, multicloud.Orphan{Kind: multicloud.OrphanAddress, ID: aws.ToString(a.AllocationId), Provider: ProviderCode,
			Region: q.Region, TenantID: tags[multicloud.TagTenant], UserID: tags[multicloud.TagOwner], Reason: reason,
			CreatedAt: parseTime(tags[TagCreatedAt])})
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

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// idleNetworks returns the library's VPCs of region that hold no live
// instance, with their library security groups.
func (p *Provider) idleNetworks(ctx context.Context, region string) ([]multicloud.Orphan, error) {
	ours := map[string]string{multicloud.TagCreatedBy: multicloud.CreatedByValue}
	vpcs, err := call(ctx, p, region, "DescribeVpcs", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeVpcsOutput, error) {
		return c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: tagFilters(ours)})
	})
	if err != nil {
		return nil, err
	}
	var out []multicloud.Orphan
	for _, v := range vpcs.Vpcs {
		id := aws.ToString(v.VpcId)
		ins, err := call(ctx, p, region, "DescribeInstances", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeInstancesOutput, error) {
			return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5),
				Filters: []types.Filter{filter("vpc-id", id), filter("instance-state-name", liveStates...)}})
		})
		if err != nil {
			return nil, err
		}
		if len(ins.Reservations) > 0 {
			continue
		}
		tags := tagMap(v.Tags)
		groups, err := call(ctx, p, region, "DescribeSecurityGroups", func(ctx context.Context, c *ec2.Client) (*ec2.DescribeSecurityGroupsOutput, error) {
			return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: append([]types.Filter{filter("vpc-id", id)}, tagFilters(ours)...)})
		})
		if err != nil {
			return nil, err
		}
		for _, g := range groups.SecurityGroups {
			gt := tagMap(g.Tags)
			out = append(out, multicloud.Orphan{Kind: multicloud.OrphanSecurityGroup, ID: aws.ToString(g.GroupId), Provider: ProviderCode, Region: region,
				TenantID: gt[multicloud.TagTenant], UserID: gt[multicloud.TagOwner], Reason: "security group of a user with no instance",
				CreatedAt: parseTime(tags[TagCreatedAt])})
		}
		out = append(out, multicloud.Orphan{Kind: multicloud.OrphanVPC, ID: id, Provider: ProviderCode, Region: region,
			TenantID: tags[multicloud.TagTenant], UserID: tags[multicloud.TagOwner], Reason: "vpc of a user with no instance",
			CreatedAt: parseTime(tags[TagCreatedAt])})
	}
	return out, nil
}

// Release releases one orphan: an instance with Delete (force), an
// Elastic IP through the network flow (never one bound to an instance:
// ErrConflict), a security group with DeleteSecurityGroup, a VPC with its
// subnets (DeleteSubnet), its internet gateways (DetachInternetGateway,
// DeleteInternetGateway) and DeleteVpc. What is already gone is not an
// error; a resource still in use (DependencyViolation) is ErrConflict.
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
		_, err := call(ctx, p, o.Region, "DeleteSecurityGroup", func(ctx context.Context, c *ec2.Client) (*ec2.DeleteSecurityGroupOutput, error) {
			return c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(o.ID)})
		})
		if err = notFound(err); err == nil {
			p.prov.Forget(scope)
		}
		return err
	case multicloud.OrphanVPC:
		switches, err := p.ListSwitches(ctx, scope, o.ID)
		if err != nil {
			return notFound(err)
		}
		for _, sw := range switches {
			_, err := call(ctx, p, o.Region, "DeleteSubnet", func(ctx context.Context, c *ec2.Client) (*ec2.DeleteSubnetOutput, error) {
				return c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(sw.ID)})
			})
			if err := notFound(err); err != nil {
				return err
			}
		}
		igw, err := p.attachedGateway(ctx, o.Region, o.ID)
		if err != nil {
			return notFound(err)
		}
		if igw != "" {
			p.deleteGateway(ctx, o.Region, igw, o.ID)
		}
		err = notFound(p.deleteVPC(ctx, o.Region, o.ID))
		if err == nil {
			p.prov.Forget(scope)
			p.prepMu.Lock()
			delete(p.prep, o.ID)
			p.prepMu.Unlock()
		}
		return err
	}
	return errorf("Release", o.Region, multicloud.CodeInvalidArgument, "", "unknown orphan kind %q", o.Kind)
}
