package fake

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// This file implements network.Primitives on *Provider. Every create is
// idempotent on its token (a repeated token with the same arguments
// returns the first resource; with other arguments it is
// ErrIdempotencyMismatch) and tags the resource with scope.Tags() (an
// address with its AddressSpec.Tags too). The exported creates settle an
// unknown outcome (see Fault and settled); the unexported ones are one
// call each. The resources live in the simulated cloud.

func vpcView(v sim.VPC) network.VPC {
	return network.VPC{ID: v.ID, CIDR: v.CIDR.String(), Status: netStatus(v.State)}
}

func switchView(s sim.Subnet) network.Switch {
	return network.Switch{ID: s.ID, VPCID: s.VPCID, Zone: s.Zone, CIDR: s.CIDR.String(), Tags: s.Tags}
}

func addressView(a sim.Address) network.Address {
	return network.Address{ID: a.ID, IP: a.IP.String(), Status: addressStatus(a.State), InstanceID: a.InstanceID}
}

func shortToken(t string) string {
	if len(t) > 12 {
		return t[:12] + "..."
	}
	return t
}

// createOnce runs fn once per token of op in region (see sim.Cloud.Idempotent)
// and returns the ID it created, or the one the token created first.
func (p *Provider) createOnce(op, region, token, fingerprint string, fn func() (string, error)) (string, error) {
	id, _, err := p.cloud.Idempotent(sim.TokenKey{Action: op, Region: region, Token: token}, fingerprint, func() (any, error) {
		return fn()
	})
	if err != nil {
		return "", p.simError(op, region, err)
	}
	return id.(string), nil
}

// owned reports whether tags mark a resource of scope: every tag of
// scope.Tags() present with the same value, compared exactly, as a tag
// filter of the Aliyun API matches. The tenant is part of it, so the same
// user ID in another tenant (or one differing only by case) owns nothing
// of this one's.
func owned(tags map[string]string, scope network.Scope) bool {
	return scope.Match(tags)
}

// FindVPC returns the oldest VPC of scope's region that carries every tag
// of scope.Tags(); none is ErrNotFound.
func (p *Provider) FindVPC(ctx context.Context, scope network.Scope) (_ network.VPC, err error) {
	const op = "FindVPC"
	defer p.track(op, scope.Region, scope.Owner, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.VPC{}, err
	}
	if _, err := p.region(op, scope.Region); err != nil {
		return network.VPC{}, err
	}
	var best *sim.VPC
	for _, v := range p.cloud.VPCs(scope.Region) {
		if !owned(v.Tags, scope) {
			continue
		}
		if best == nil || v.Created.Before(best.Created) || v.Created.Equal(best.Created) && compareIDs(v.ID, best.ID) < 0 {
			best = &v
		}
	}
	if best == nil {
		return network.VPC{}, p.errorf(op, scope.Region, multicloud.CodeNotFound, "", "no vpc of owner %q", scope.Owner)
	}
	return vpcView(*best), nil
}

// CreateVPC creates a VPC with cidr, a private IPv4 block of mask /8 to
// /28. It is Pending for TransitionDelay, then Available. A bad block is
// ErrInvalidArgument; a region at its VPC quota ErrQuotaExceeded.
func (p *Provider) CreateVPC(ctx context.Context, scope network.Scope, cidr, token string) (network.VPC, error) {
	var out network.VPC
	err := p.settled(ctx, "CreateVPC", scope.Region, token, func(_, sctx context.Context) error {
		var err error
		out, err = p.createVPC(sctx, scope, cidr, token)
		return err
	})
	if err != nil {
		return network.VPC{}, err
	}
	return out, nil
}

// createVPC is one CreateVPC call.
func (p *Provider) createVPC(ctx context.Context, scope network.Scope, cidr, token string) (_ network.VPC, err error) {
	const op = "CreateVPC"
	target := ""
	defer func(at time.Time) { p.track(op, scope.Region, target, at, &err) }(p.now())
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.VPC{}, err
	}
	if _, err := p.region(op, scope.Region); err != nil {
		return network.VPC{}, err
	}
	id, err := p.createOnce(op, scope.Region, token, "vpc|"+cidr+"|"+scopeKey(scope), func() (string, error) {
		pfx, err := netip.ParsePrefix(cidr)
		if err != nil || !pfx.Addr().Is4() || pfx.Masked() != pfx || pfx.Bits() < 8 || pfx.Bits() > 28 || !pfx.Addr().IsPrivate() {
			return "", p.errorf(op, scope.Region, multicloud.CodeInvalidArgument, "InvalidCidrBlock.Malformed",
				"vpc cidr %q must be a canonical private ipv4 block of mask /8 to /28", cidr)
		}
		v, err := p.cloud.CreateVPC(sim.VPCSpec{Region: scope.Region, CIDR: pfx, Tags: scope.Tags()})
		if err != nil {
			return "", p.simError(op, scope.Region, err)
		}
		return v.ID, nil
	})
	if err != nil {
		return network.VPC{}, err
	}
	target = id
	v, err := p.cloud.GetVPC(scope.Region, id)
	if err != nil {
		return network.VPC{}, p.errorf(op, scope.Region, multicloud.CodeNotFound, "InvalidVpcId.NotFound", "vpc %s of token %s was deleted", id, shortToken(token))
	}
	return vpcView(v), nil
}

// scopeKey is the part of a token's fingerprint that says whose the
// resource is; quoting keeps tenant "a|b" with user "c" apart from tenant
// "a" with user "b|c".
func scopeKey(s network.Scope) string {
	k := strconv.Quote(s.Tenant) + strconv.Quote(s.Owner)
	if s.Owner == "" {
		k += strconv.Quote(string(s.Isolation)) // a shared scope
	}
	return k
}

// GetVPC returns a VPC's current state; a missing one is ErrNotFound.
func (p *Provider) GetVPC(ctx context.Context, scope network.Scope, vpcID string) (_ network.VPC, err error) {
	const op = "GetVPC"
	defer p.track(op, scope.Region, vpcID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.VPC{}, err
	}
	v, err := p.cloud.GetVPC(scope.Region, vpcID)
	if err != nil {
		return network.VPC{}, p.simError(op, scope.Region, err)
	}
	return vpcView(v), nil
}

// ListSwitches returns the switches of a VPC, sorted by ID; a missing VPC
// is ErrNotFound.
func (p *Provider) ListSwitches(ctx context.Context, scope network.Scope, vpcID string) (_ []network.Switch, err error) {
	const op = "ListSwitches"
	defer p.track(op, scope.Region, vpcID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return nil, err
	}
	if _, err := p.cloud.GetVPC(scope.Region, vpcID); err != nil {
		return nil, p.simError(op, scope.Region, err)
	}
	var out []network.Switch
	for _, s := range p.cloud.Subnets(scope.Region, vpcID) {
		out = append(out, switchView(s))
	}
	slices.SortFunc(out, func(a, b network.Switch) int { return compareIDs(a.ID, b.ID) })
	return out, nil
}

// CreateSwitch creates a switch in zone with cidr, a block of mask /16 to
// /29 inside the VPC's block that overlaps no other switch of the VPC
// (else ErrInvalidArgument). It is Pending for TransitionDelay, then
// Available. A VPC still Pending is ErrConflict; a missing one
// ErrNotFound; an unknown zone ErrInvalidArgument.
func (p *Provider) CreateSwitch(ctx context.Context, scope network.Scope, vpcID, zone, cidr, token string) (network.Switch, error) {
	var out network.Switch
	err := p.settled(ctx, "CreateSwitch", scope.Region, token, func(_, sctx context.Context) error {
		var err error
		out, err = p.createSwitch(sctx, scope, vpcID, zone, cidr, token)
		return err
	})
	if err != nil {
		return network.Switch{}, err
	}
	return out, nil
}

// createSwitch is one CreateSwitch call.
func (p *Provider) createSwitch(ctx context.Context, scope network.Scope, vpcID, zone, cidr, token string) (_ network.Switch, err error) {
	const op = "CreateSwitch"
	target := ""
	defer func(at time.Time) { p.track(op, scope.Region, target, at, &err) }(p.now())
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.Switch{}, err
	}
	r, err := p.region(op, scope.Region)
	if err != nil {
		return network.Switch{}, err
	}
	fp := "switch|" + vpcID + "|" + zone + "|" + cidr + "|" + scopeKey(scope)
	id, err := p.createOnce(op, r.ID, token, fp, func() (string, error) {
		v, err := p.cloud.GetVPC(r.ID, vpcID)
		if err != nil {
			return "", p.simError(op, r.ID, err)
		}
		if v.State != sim.NetAvailable {
			return "", p.errorf(op, r.ID, multicloud.CodeConflict, "IncorrectVpcStatus",
				"vpc %s is %s, a switch needs it Available", vpcID, netStatus(v.State))
		}
		if _, ok := r.Zone(zone); !ok {
			return "", p.errorf(op, r.ID, multicloud.CodeInvalidArgument, "InvalidZoneId.NotFound",
				"unknown zone %q in %s; known zones: %s", zone, r.ID, joinComma(r.ZoneNames()))
		}
		sp, err := netip.ParsePrefix(cidr)
		if err != nil || !sp.Addr().Is4() || sp.Masked() != sp || sp.Bits() < 16 || sp.Bits() > 29 ||
			sp.Bits() < v.CIDR.Bits() || !v.CIDR.Contains(sp.Addr()) {
			return "", p.errorf(op, r.ID, multicloud.CodeInvalidArgument, "InvalidCidrBlock.Malformed",
				"switch cidr %q must be a canonical block of mask /16 to /29 inside vpc block %s", cidr, v.CIDR)
		}
		s, err := p.cloud.CreateSubnet(sim.SubnetSpec{Region: r.ID, VPCID: vpcID, Zone: zone, CIDR: sp, Tags: scope.Tags()})
		if err != nil {
			return "", p.simError(op, r.ID, err)
		}
		return s.ID, nil
	})
	if err != nil {
		return network.Switch{}, err
	}
	target = id
	s, err := p.cloud.GetSubnet(r.ID, id)
	if err != nil {
		return network.Switch{}, p.errorf(op, r.ID, multicloud.CodeNotFound, "InvalidVSwitchId.NotFound", "switch %s of token %s was deleted", id, shortToken(token))
	}
	return switchView(s), nil
}

// FindSecurityGroup returns the security group in the VPC that carries
// every tag of scope.Tags(); none is ErrNotFound.
func (p *Provider) FindSecurityGroup(ctx context.Context, scope network.Scope, vpcID string) (_ network.SecurityGroup, err error) {
	const op = "FindSecurityGroup"
	defer p.track(op, scope.Region, vpcID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.SecurityGroup{}, err
	}
	var best *sim.SecurityGroup
	for _, g := range p.cloud.SecurityGroups(scope.Region, vpcID) {
		if vpcID != "" && owned(g.Tags, scope) && (best == nil || compareIDs(g.ID, best.ID) < 0) {
			best = &g
		}
	}
	if best == nil {
		return network.SecurityGroup{}, p.errorf(op, scope.Region, multicloud.CodeNotFound, "", "no security group of owner %q in vpc %s", scope.Owner, vpcID)
	}
	return network.SecurityGroup{ID: best.ID, VPCID: best.VPCID}, nil
}

// CreateSecurityGroup creates a security group in the VPC; a missing VPC
// is ErrNotFound.
func (p *Provider) CreateSecurityGroup(ctx context.Context, scope network.Scope, vpcID, token string) (network.SecurityGroup, error) {
	var out network.SecurityGroup
	err := p.settled(ctx, "CreateSecurityGroup", scope.Region, token, func(_, sctx context.Context) error {
		var err error
		out, err = p.createSecurityGroup(sctx, scope, vpcID, token)
		return err
	})
	if err != nil {
		return network.SecurityGroup{}, err
	}
	return out, nil
}

// createSecurityGroup is one CreateSecurityGroup call.
func (p *Provider) createSecurityGroup(ctx context.Context, scope network.Scope, vpcID, token string) (_ network.SecurityGroup, err error) {
	const op = "CreateSecurityGroup"
	target := ""
	defer func(at time.Time) { p.track(op, scope.Region, target, at, &err) }(p.now())
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.SecurityGroup{}, err
	}
	id, err := p.createOnce(op, scope.Region, token, "group|"+vpcID+"|"+scopeKey(scope), func() (string, error) {
		if vpcID == "" {
			return "", p.errorf(op, scope.Region, multicloud.CodeNotFound, "InvalidVpcId.NotFound", "vpc %q not found", vpcID)
		}
		g, err := p.cloud.CreateSecurityGroup(sim.SecurityGroupSpec{Region: scope.Region, VPCID: vpcID, Tags: scope.Tags()})
		if err != nil {
			return "", p.simError(op, scope.Region, err)
		}
		return g.ID, nil
	})
	if err != nil {
		return network.SecurityGroup{}, err
	}
	target = id
	g, err := p.cloud.GetSecurityGroup(scope.Region, id)
	if err != nil {
		return network.SecurityGroup{}, p.errorf(op, scope.Region, multicloud.CodeNotFound, "InvalidSecurityGroupId.NotFound", "security group %s of token %s was deleted", id, shortToken(token))
	}
	return network.SecurityGroup{ID: g.ID, VPCID: g.VPCID}, nil
}

// AuthorizePorts adds every rule to the group in one call; rules already
// there are skipped. A bad rule (protocol other than tcp or udp, ports out
// of 1-65535 or reversed, a source that is no CIDR block) is
// ErrInvalidArgument and adds nothing; a missing group is ErrNotFound.
func (p *Provider) AuthorizePorts(ctx context.Context, scope network.Scope, groupID string, rules []network.PortRule) (err error) {
	const op = "AuthorizePorts"
	defer p.track(op, scope.Region, groupID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return err
	}
	srules := make([]sim.Rule, 0, len(rules))
	for _, r := range rules {
		if _, perr := netip.ParsePrefix(r.SourceCIDR); perr != nil || (r.Protocol != "tcp" && r.Protocol != "udp") ||
			r.FromPort < 1 || r.ToPort > 65535 || r.FromPort > r.ToPort {
			return p.errorf(op, scope.Region, multicloud.CodeInvalidArgument, "InvalidParameter",
				"bad rule %s %d-%d from %q", r.Protocol, r.FromPort, r.ToPort, r.SourceCIDR)
		}
		srules = append(srules, simRule(r))
	}
	_, err = p.cloud.AuthorizeIngress(scope.Region, groupID, srules...)
	return p.simError(op, scope.Region, err)
}

// AllocateAddress allocates an elastic address of 1-500 Mbit/s billed
// TRAFFIC or FIXED (else ErrInvalidArgument); a region at its address
// quota is ErrQuotaExceeded. A token whose address was released since
// allocates a new one, so that a retried create gets its addresses back.
func (p *Provider) AllocateAddress(ctx context.Context, scope network.Scope, spec network.AddressSpec, token string) (network.Address, error) {
	var out network.Address
	err := p.settled(ctx, "AllocateAddress", scope.Region, token, func(_, sctx context.Context) error {
		var err error
		out, err = p.allocateAddress(sctx, scope, spec, token)
		return err
	})
	if err != nil {
		return network.Address{}, err
	}
	return out, nil
}

// allocateAddress is one AllocateAddress call.
func (p *Provider) allocateAddress(ctx context.Context, scope network.Scope, spec network.AddressSpec, token string) (_ network.Address, err error) {
	const op = "AllocateAddress"
	target := ""
	defer func(at time.Time) { p.track(op, scope.Region, target, at, &err) }(p.now())
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.Address{}, err
	}
	if _, err := p.region(op, scope.Region); err != nil {
		return network.Address{}, err
	}
	key := sim.TokenKey{Action: op, Region: scope.Region, Token: token}
	fp := fmt.Sprintf("address|%d|%s|%s", spec.BandwidthMbps, spec.ChargeMode, scopeKey(scope))
	// The claim, the allocation and the store are one step: a token whose
	// address was released since allocates anew, which the ledger's
	// Idempotent would not.
	p.addrMu.Lock()
	defer p.addrMu.Unlock()
	prev, ok, err := p.cloud.ClaimToken(key, fp)
	if err != nil {
		return network.Address{}, p.simError(op, scope.Region, err)
	}
	if ok {
		if a, err := p.cloud.GetAddress(scope.Region, prev.(string)); err == nil {
			target = a.ID
			return addressView(a), nil
		}
	}
	if spec.BandwidthMbps < 1 || spec.BandwidthMbps > 500 || (spec.ChargeMode != "TRAFFIC" && spec.ChargeMode != "FIXED") {
		return network.Address{}, p.errorf(op, scope.Region, multicloud.CodeInvalidArgument, "InvalidParameter",
			"address of %d Mbit/s billed %q: need 1-500 Mbit/s, TRAFFIC or FIXED", spec.BandwidthMbps, spec.ChargeMode)
	}
	tags := scope.Tags()
	for k, v := range spec.Tags {
		if _, reserved := tags[k]; !reserved {
			tags[k] = v
		}
	}
	a, err := p.cloud.AllocateAddress(sim.AddressSpec{Region: scope.Region, Bandwidth: spec.BandwidthMbps, Tags: tags})
	if err != nil {
		return network.Address{}, p.simError(op, scope.Region, err)
	}
	p.cloud.StoreToken(key, fp, a.ID)
	target = a.ID
	return addressView(a), nil
}

// AssociateAddress binds an address to an instance; the address is Busy
// for TransitionDelay, then InUse. Binding it again to the same instance
// succeeds and changes nothing. An instance still Pending, an address
// that is busy or bound elsewhere, or an instance with another address is
// ErrConflict; a missing address or instance ErrNotFound.
func (p *Provider) AssociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) (err error) {
	const op = "AssociateAddress"
	defer p.track(op, scope.Region, addressID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return err
	}
	a, err := p.cloud.GetAddress(scope.Region, addressID)
	if err != nil {
		return p.simError(op, scope.Region, err)
	}
	in, err := p.instance(op, scope.Region, instanceID)
	if err != nil {
		return err
	}
	if a.InstanceID == instanceID && in.AddressID == addressID {
		return nil
	}
	if in.State == sim.StatePending {
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectInstanceStatus",
			"instance %s is %s, binding an address needs it started", instanceID, instanceStatus(in.State))
	}
	if in.PublicIP.IsValid() {
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "InvalidAssociation.Duplicated",
			"instance %s already has a public address", instanceID)
	}
	_, err = p.cloud.AssociateAddress(scope.Region, addressID, instanceID)
	return p.simError(op, scope.Region, err)
}

// GetAddress returns an address's current state; a missing one is
// ErrNotFound.
func (p *Provider) GetAddress(ctx context.Context, scope network.Scope, addressID string) (_ network.Address, err error) {
	const op = "GetAddress"
	defer p.track(op, scope.Region, addressID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.Address{}, err
	}
	a, err := p.cloud.GetAddress(scope.Region, addressID)
	if err != nil {
		return network.Address{}, p.simError(op, scope.Region, err)
	}
	return addressView(a), nil
}

// UnassociateAddress unbinds an address from instanceID; it is Busy for
// TransitionDelay, then Available. An address bound to nothing succeeds
// and changes nothing; one that is busy or bound to another instance is
// ErrConflict; a missing one ErrNotFound.
func (p *Provider) UnassociateAddress(ctx context.Context, scope network.Scope, addressID, instanceID string) (err error) {
	const op = "UnassociateAddress"
	defer p.track(op, scope.Region, addressID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return err
	}
	a, err := p.cloud.GetAddress(scope.Region, addressID)
	if err != nil {
		return p.simError(op, scope.Region, err)
	}
	switch {
	case addressStatus(a.State) == network.StatusBusy:
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectEipStatus", "address %s is Busy", addressID)
	case a.InstanceID == "":
		return nil
	case a.InstanceID != instanceID:
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectEipStatus",
			"address %s is bound to %s, not %s", addressID, a.InstanceID, instanceID)
	}
	_, err = p.cloud.UnassociateAddress(scope.Region, addressID)
	return p.simError(op, scope.Region, err)
}

// ReleaseAddress gives an address back. One still bound or busy is
// ErrConflict; a missing one ErrNotFound.
func (p *Provider) ReleaseAddress(ctx context.Context, scope network.Scope, addressID string) (err error) {
	const op = "ReleaseAddress"
	defer p.track(op, scope.Region, addressID, p.now(), &err)
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return err
	}
	return p.simError(op, scope.Region, p.cloud.ReleaseAddress(scope.Region, addressID))
}
