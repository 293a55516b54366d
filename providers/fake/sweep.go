package fake

import (
	"context"
	"sort"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

var _ multicloud.Sweeper = (*Provider)(nil)

// Orphans returns the sweep candidates of q.Region, as the Aliyun provider
// finds them: every instance tagged createdBy = multicloud, every address
// so tagged and bound to nothing, and with q.Networks the groups and VPCs
// so tagged whose VPC holds no instance. Fault Op "Orphans" applies.
func (p *Provider) Orphans(ctx context.Context, q multicloud.SweepQuery) (_ []multicloud.Orphan, err error) {
	const op = "Orphans"
	defer p.track(op, q.Region, "", p.now(), &err)
	defer p.leave(ctx, op, q.Region, &err)
	if err := p.enter(ctx, op, q.Region); err != nil {
		return nil, err
	}
	if _, err := p.region(op, q.Region); err != nil {
		return nil, err
	}
	ours := func(tags map[string]string) bool { return tags[multicloud.TagCreatedBy] == multicloud.CreatedByValue }
	orphan := func(kind multicloud.OrphanKind, id string, tags map[string]string, reason string) multicloud.Orphan {
		return multicloud.Orphan{Kind: kind, ID: id, Provider: p.code, Region: q.Region,
			TenantID: tags[multicloud.TagTenant], UserID: tags[multicloud.TagOwner], Reason: reason}
	}
	var out []multicloud.Orphan
	used := map[string]bool{} // VPCs with an instance
	for _, in := range p.cloud.Instances(q.Region) {
		if deleted(in.State) {
			continue
		}
		used[in.VPCID] = true
		if ours(in.Tags) {
			o := orphan(multicloud.OrphanInstance, in.ID, in.Tags, "")
			o.CreatedAt, o.Instance = in.Created, p.view(in)
			out = append(out, o)
		}
	}
	for _, a := range p.cloud.Addresses(q.Region) {
		if ours(a.Tags) && a.InstanceID == "" && a.State == sim.AddressAvailable {
			reason := "elastic ip bound to nothing"
			if tok := a.Tags[multicloud.TagToken]; tok != "" {
				reason += ", allocated by the create of idempotency token " + tok
			}
			o := orphan(multicloud.OrphanAddress, a.ID, a.Tags, reason)
			o.CreatedAt = a.Allocated
			out = append(out, o)
		}
	}
	if q.Networks {
		for _, g := range p.cloud.SecurityGroups(q.Region, "") {
			if ours(g.Tags) && !used[g.VPCID] {
				out = append(out, orphan(multicloud.OrphanSecurityGroup, g.ID, g.Tags, "security group of a user with no instance"))
			}
		}
		for _, v := range p.cloud.VPCs(q.Region) {
			if ours(v.Tags) && !used[v.ID] {
				o := orphan(multicloud.OrphanVPC, v.ID, v.Tags, "vpc of a user with no instance")
				o.CreatedAt = v.Created
				out = append(out, o)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Release releases one orphan: an instance is force-deleted (with its
// address), an address released, a group deleted, a VPC deleted with its
// switches. A group or VPC that an instance uses again is ErrConflict; one
// already gone is not an error. Fault Op "Release" applies.
func (p *Provider) Release(ctx context.Context, o multicloud.Orphan) (err error) {
	const op = "Release"
	defer p.track(op, o.Region, o.ID, p.now(), &err)
	defer p.leave(ctx, op, o.Region, &err)
	if err := p.enter(ctx, op, o.Region); err != nil {
		return err
	}
	scope := p.Scope(o.Region, o.TenantID, o.UserID)
	switch o.Kind {
	case multicloud.OrphanInstance:
		if err := p.Delete(ctx, o.Region, o.ID, true); err != nil && multicloud.CodeOf(err) != multicloud.CodeNotFound {
			return err
		}
		return nil
	case multicloud.OrphanAddress:
		if err := p.ReleaseAddress(ctx, scope, o.ID); err != nil && multicloud.CodeOf(err) != multicloud.CodeNotFound {
			return err
		}
		return nil
	}
	inUse := func(vpcID string) bool {
		for _, in := range p.cloud.Instances(o.Region) {
			if in.VPCID == vpcID && !deleted(in.State) {
				return true
			}
		}
		return false
	}
	switch o.Kind {
	case multicloud.OrphanSecurityGroup:
		g, err := p.cloud.GetSecurityGroup(o.Region, o.ID)
		if err != nil {
			return nil
		}
		if inUse(g.VPCID) {
			return p.errorf(op, o.Region, multicloud.CodeConflict, "DependencyViolation", "group %s is in use", o.ID)
		}
		if err := p.cloud.DeleteSecurityGroup(o.Region, o.ID); err != nil && sim.ClassOf(err) != sim.ClassNotFound {
			return p.simError(op, o.Region, err)
		}
	case multicloud.OrphanVPC:
		v, err := p.cloud.GetVPC(o.Region, o.ID)
		if err != nil {
			return nil
		}
		if inUse(v.ID) {
			return p.errorf(op, o.Region, multicloud.CodeConflict, "DependencyViolation", "vpc %s is in use", o.ID)
		}
		if gs := p.cloud.SecurityGroups(o.Region, v.ID); len(gs) > 0 {
			return p.errorf(op, o.Region, multicloud.CodeConflict, "DependencyViolation", "vpc %s still holds group %s", o.ID, gs[0].ID)
		}
		for _, sw := range p.cloud.Subnets(o.Region, v.ID) {
			if err := p.cloud.DeleteSubnet(o.Region, sw.ID); err != nil && sim.ClassOf(err) != sim.ClassNotFound {
				return p.simError(op, o.Region, err)
			}
		}
		if err := p.cloud.DeleteVPC(o.Region, v.ID); err != nil && sim.ClassOf(err) != sim.ClassNotFound {
			return p.simError(op, o.Region, err)
		}
	default:
		return p.errorf(op, o.Region, multicloud.CodeInvalidArgument, "", "unknown orphan kind %q", o.Kind)
	}
	p.prov.Forget(scope)
	return nil
}
