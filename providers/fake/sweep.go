package fake

import (
	"context"
	"sort"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.regionLocked(op, q.Region); err != nil {
		return nil, err
	}
	now := p.now()
	ours := func(tags map[string]string) bool { return tags[multicloud.TagCreatedBy] == multicloud.CreatedByValue }
	orphan := func(kind multicloud.OrphanKind, id string, tags map[string]string, reason string) multicloud.Orphan {
		return multicloud.Orphan{Kind: kind, ID: id, Provider: p.code, Region: q.Region,
			TenantID: tags[multicloud.TagTenant], UserID: tags[multicloud.TagOwner], Reason: reason}
	}
	var out []multicloud.Orphan
	used := map[string]bool{} // VPCs with an instance
	for _, in := range p.instances {
		if in.region != q.Region {
			continue
		}
		used[in.vpcID] = true
		if ours(in.tags) {
			o := orphan(multicloud.OrphanInstance, in.id, in.tags, "")
			o.CreatedAt, o.Instance = in.created, p.snapshotLocked(in, now)
			out = append(out, o)
		}
	}
	for _, a := range p.addresses {
		if a.region == q.Region && ours(a.tags) && a.instanceID == "" && a.status(now) == network.StatusAvailable {
			reason := "elastic ip bound to nothing"
			if tok := a.tags[multicloud.TagToken]; tok != "" {
				reason += ", allocated by the create of idempotency token " + tok
			}
			o := orphan(multicloud.OrphanAddress, a.id, a.tags, reason)
			o.CreatedAt = a.created
			out = append(out, o)
		}
	}
	if q.Networks {
		for _, g := range p.groups {
			if g.region == q.Region && ours(g.tags) && !used[g.vpcID] {
				out = append(out, orphan(multicloud.OrphanSecurityGroup, g.id, g.tags, "security group of a user with no instance"))
			}
		}
		for _, v := range p.vpcs {
			if v.region == q.Region && ours(v.tags) && !used[v.id] {
				o := orphan(multicloud.OrphanVPC, v.id, v.tags, "vpc of a user with no instance")
				o.CreatedAt = v.created
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
	p.mu.Lock()
	defer p.mu.Unlock()
	inUse := func(vpcID string) bool {
		for _, in := range p.instances {
			if in.vpcID == vpcID {
				return true
			}
		}
		return false
	}
	switch o.Kind {
	case multicloud.OrphanSecurityGroup:
		g, ok := p.groups[o.ID]
		if !ok {
			return nil
		}
		if inUse(g.vpcID) {
			return p.errorf(op, o.Region, multicloud.CodeConflict, "DependencyViolation", "group %s is in use", o.ID)
		}
		delete(p.groups, o.ID)
	case multicloud.OrphanVPC:
		v, ok := p.vpcs[o.ID]
		if !ok {
			return nil
		}
		if inUse(v.id) {
			return p.errorf(op, o.Region, multicloud.CodeConflict, "DependencyViolation", "vpc %s is in use", o.ID)
		}
		for id, g := range p.groups {
			if g.vpcID == v.id {
				return p.errorf(op, o.Region, multicloud.CodeConflict, "DependencyViolation", "vpc %s still holds group %s", o.ID, id)
			}
		}
		for id, sw := range p.switches {
			if sw.vpcID == v.id {
				delete(p.switches, id)
			}
		}
		delete(p.vpcs, v.id)
		if r, ok := p.regions[v.region]; ok {
			r.nvpcs--
		}
	default:
		return p.errorf(op, o.Region, multicloud.CodeInvalidArgument, "", "unknown orphan kind %q", o.Kind)
	}
	p.prov.Forget(scope)
	return nil
}
