package fake

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

// This file implements network.Primitives on *Provider. Every create is
// idempotent on its token (a repeated token with the same arguments
// returns the first resource; with other arguments it is
// ErrIdempotencyMismatch) and tags the resource with scope.Tags() (an
// address with its AddressSpec.Tags too). The exported creates settle an
// unknown outcome (see Fault and settled); the unexported ones are one
// call each.

type vpc struct {
	id, region, cidr string
	tags             map[string]string
	created          time.Time
	availableAt      time.Time
}

func (v *vpc) status(now time.Time) network.Status {
	if now.Before(v.availableAt) {
		return network.StatusPending
	}
	return network.StatusAvailable
}

func (v *vpc) view(now time.Time) network.VPC {
	return network.VPC{ID: v.id, CIDR: v.cidr, Status: v.status(now)}
}

type vswitch struct {
	id, region, vpcID, zone string
	cidr                    netip.Prefix
	tags                    map[string]string
	hosts                   uint32 // private addresses handed out
}

func (s *vswitch) view() network.Switch {
	return network.Switch{ID: s.id, VPCID: s.vpcID, Zone: s.zone, CIDR: s.cidr.String(), Tags: maps.Clone(s.tags)}
}

type group struct {
	id, region, vpcID string
	tags              map[string]string
	rules             []network.PortRule
}

type address struct {
	id, region, ip string
	spec           network.AddressSpec
	tags           map[string]string
	instanceID     string
	busyUntil      time.Time // associating or unassociating until then
	created        time.Time
}

func (a *address) status(now time.Time) network.Status {
	switch {
	case now.Before(a.busyUntil):
		return network.StatusBusy
	case a.instanceID != "":
		return network.StatusInUse
	}
	return network.StatusAvailable
}

func (a *address) view(now time.Time) network.Address {
	return network.Address{ID: a.id, IP: a.ip, Status: a.status(now), InstanceID: a.instanceID}
}

// tokenRecord remembers what a token created.
type tokenRecord struct {
	fingerprint string
	id          string   // network resources
	ids         []string // instances
	err         error    // a partial create's error, returned again on a repeat
}

// claimLocked looks token up for kind: ok with the first resource's ID,
// an ErrIdempotencyMismatch when fingerprint differs, or nothing when the
// token is new. p.mu must be held.
func (p *Provider) claimLocked(op, region, kind, token, fingerprint string) (*tokenRecord, error) {
	if token == "" {
		return nil, nil
	}
	rec, ok := p.tokens[kind+"/"+region+"/"+token]
	if !ok {
		return nil, nil
	}
	if rec.fingerprint != fingerprint {
		return nil, p.errorf(op, region, multicloud.CodeIdempotency, "IdempotentParameterMismatch",
			"token %s was used with other parameters", shortToken(token))
	}
	return rec, nil
}

func (r *tokenRecord) getID() string {
	if r == nil {
		return ""
	}
	return r.id
}

func (p *Provider) storeTokenLocked(region, kind, token string, rec *tokenRecord) {
	if token != "" {
		p.tokens[kind+"/"+region+"/"+token] = rec
	}
}

func shortToken(t string) string {
	if len(t) > 12 {
		return t[:12] + "..."
	}
	return t
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.regionLocked(op, scope.Region); err != nil {
		return network.VPC{}, err
	}
	var best *vpc
	for _, v := range p.vpcs {
		if v.region != scope.Region || !owned(v.tags, scope) {
			continue
		}
		if best == nil || v.created.Before(best.created) || v.created.Equal(best.created) && v.id < best.id {
			best = v
		}
	}
	if best == nil {
		return network.VPC{}, p.errorf(op, scope.Region, multicloud.CodeNotFound, "", "no vpc of owner %q", scope.Owner)
	}
	return best.view(p.now()), nil
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
	defer func() { p.track(op, scope.Region, target, p.now(), &err) }()
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.VPC{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.regionLocked(op, scope.Region)
	if err != nil {
		return network.VPC{}, err
	}
	now := p.now()
	fp := "vpc|" + cidr + "|" + scopeKey(scope)
	if rec, err := p.claimLocked(op, r.id, "vpc", token, fp); err != nil || rec != nil {
		if err != nil {
			return network.VPC{}, err
		}
		target = rec.id
		if v, ok := p.vpcs[rec.id]; ok {
			return v.view(now), nil
		}
		return network.VPC{}, p.errorf(op, r.id, multicloud.CodeNotFound, "InvalidVpcId.NotFound", "vpc %s of token %s was deleted", rec.id, shortToken(token))
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || !pfx.Addr().Is4() || pfx.Masked() != pfx || pfx.Bits() < 8 || pfx.Bits() > 28 || !pfx.Addr().IsPrivate() {
		return network.VPC{}, p.errorf(op, r.id, multicloud.CodeInvalidArgument, "InvalidCidrBlock.Malformed",
			"vpc cidr %q must be a canonical private ipv4 block of mask /8 to /28", cidr)
	}
	if r.nvpcs >= r.vpcQuota {
		return network.VPC{}, p.errorf(op, r.id, multicloud.CodeQuotaExceeded, "QuotaExceeded.Vpc",
			"region %s holds %d vpcs, its quota", r.id, r.vpcQuota)
	}
	v := &vpc{id: p.newID("vpc"), region: r.id, cidr: cidr, tags: scope.Tags(), created: now, availableAt: now.Add(p.opts.TransitionDelay)}
	p.vpcs[v.id] = v
	r.nvpcs++
	p.storeTokenLocked(r.id, "vpc", token, &tokenRecord{fingerprint: fp, id: v.id})
	target = v.id
	return v.view(now), nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	v, err := p.vpcLocked(op, scope.Region, vpcID)
	if err != nil {
		return network.VPC{}, err
	}
	return v.view(p.now()), nil
}

func (p *Provider) vpcLocked(op, region, id string) (*vpc, error) {
	v, ok := p.vpcs[id]
	if !ok || v.region != region {
		return nil, p.errorf(op, region, multicloud.CodeNotFound, "InvalidVpcId.NotFound", "vpc %s not found", id)
	}
	return v, nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.vpcLocked(op, scope.Region, vpcID); err != nil {
		return nil, err
	}
	var out []network.Switch
	for _, s := range p.switches {
		if s.vpcID == vpcID {
			out = append(out, s.view())
		}
	}
	slices.SortFunc(out, func(a, b network.Switch) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// CreateSwitch creates a switch in zone with cidr, a block of mask /16 to
// /29 inside the VPC's block that overlaps no other switch of the VPC
// (else ErrInvalidArgument). A VPC still Pending is ErrConflict; a missing
// one ErrNotFound; an unknown zone ErrInvalidArgument.
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
	defer func() { p.track(op, scope.Region, target, p.now(), &err) }()
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.Switch{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.regionLocked(op, scope.Region)
	if err != nil {
		return network.Switch{}, err
	}
	fp := "switch|" + vpcID + "|" + zone + "|" + cidr + "|" + scopeKey(scope)
	if rec, err := p.claimLocked(op, r.id, "switch", token, fp); err != nil || rec != nil {
		if err != nil {
			return network.Switch{}, err
		}
		target = rec.id
		if s, ok := p.switches[rec.id]; ok {
			return s.view(), nil
		}
		return network.Switch{}, p.errorf(op, r.id, multicloud.CodeNotFound, "InvalidVSwitchId.NotFound", "switch %s of token %s was deleted", rec.id, shortToken(token))
	}
	v, err := p.vpcLocked(op, r.id, vpcID)
	if err != nil {
		return network.Switch{}, err
	}
	if st := v.status(p.now()); st != network.StatusAvailable {
		return network.Switch{}, p.errorf(op, r.id, multicloud.CodeConflict, "IncorrectVpcStatus",
			"vpc %s is %s, a switch needs it Available", vpcID, st)
	}
	if !r.hasZone(zone) {
		return network.Switch{}, p.errorf(op, r.id, multicloud.CodeInvalidArgument, "InvalidZoneId.NotFound",
			"unknown zone %q in %s; known zones: %s", zone, r.id, joinComma(r.zones))
	}
	vp := netip.MustParsePrefix(v.cidr)
	sp, err := netip.ParsePrefix(cidr)
	if err != nil || !sp.Addr().Is4() || sp.Masked() != sp || sp.Bits() < 16 || sp.Bits() > 29 ||
		sp.Bits() < vp.Bits() || !vp.Contains(sp.Addr()) {
		return network.Switch{}, p.errorf(op, r.id, multicloud.CodeInvalidArgument, "InvalidCidrBlock.Malformed",
			"switch cidr %q must be a canonical block of mask /16 to /29 inside vpc block %s", cidr, v.cidr)
	}
	for _, s := range p.switches {
		if s.vpcID == vpcID && s.cidr.Overlaps(sp) {
			return network.Switch{}, p.errorf(op, r.id, multicloud.CodeInvalidArgument, "InvalidCidrBlock.Overlapped",
				"switch cidr %s overlaps %s of switch %s", cidr, s.cidr, s.id)
		}
	}
	s := &vswitch{id: p.newID("vsw"), region: r.id, vpcID: vpcID, zone: zone, cidr: sp, tags: scope.Tags()}
	p.switches[s.id] = s
	p.storeTokenLocked(r.id, "switch", token, &tokenRecord{fingerprint: fp, id: s.id})
	target = s.id
	return s.view(), nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *group
	for _, g := range p.groups {
		if g.vpcID == vpcID && g.region == scope.Region && owned(g.tags, scope) && (best == nil || g.id < best.id) {
			best = g
		}
	}
	if best == nil {
		return network.SecurityGroup{}, p.errorf(op, scope.Region, multicloud.CodeNotFound, "", "no security group of owner %q in vpc %s", scope.Owner, vpcID)
	}
	return network.SecurityGroup{ID: best.id, VPCID: best.vpcID}, nil
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
	defer func() { p.track(op, scope.Region, target, p.now(), &err) }()
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.SecurityGroup{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fp := "group|" + vpcID + "|" + scopeKey(scope)
	if rec, err := p.claimLocked(op, scope.Region, "group", token, fp); err != nil || rec != nil {
		if err != nil {
			return network.SecurityGroup{}, err
		}
		target = rec.id
		if g, ok := p.groups[rec.id]; ok {
			return network.SecurityGroup{ID: g.id, VPCID: g.vpcID}, nil
		}
		return network.SecurityGroup{}, p.errorf(op, scope.Region, multicloud.CodeNotFound, "InvalidSecurityGroupId.NotFound", "security group %s of token %s was deleted", rec.id, shortToken(token))
	}
	if _, err := p.vpcLocked(op, scope.Region, vpcID); err != nil {
		return network.SecurityGroup{}, err
	}
	g := &group{id: p.newID("sg"), region: scope.Region, vpcID: vpcID, tags: scope.Tags()}
	p.groups[g.id] = g
	p.storeTokenLocked(scope.Region, "group", token, &tokenRecord{fingerprint: fp, id: g.id})
	target = g.id
	return network.SecurityGroup{ID: g.id, VPCID: vpcID}, nil
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
	for _, r := range rules {
		if _, perr := netip.ParsePrefix(r.SourceCIDR); perr != nil || (r.Protocol != "tcp" && r.Protocol != "udp") ||
			r.FromPort < 1 || r.ToPort > 65535 || r.FromPort > r.ToPort {
			return p.errorf(op, scope.Region, multicloud.CodeInvalidArgument, "InvalidParameter",
				"bad rule %s %d-%d from %q", r.Protocol, r.FromPort, r.ToPort, r.SourceCIDR)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.groups[groupID]
	if !ok || g.region != scope.Region {
		return p.errorf(op, scope.Region, multicloud.CodeNotFound, "InvalidSecurityGroupId.NotFound", "security group %s not found", groupID)
	}
	for _, r := range rules {
		if !slices.Contains(g.rules, r) {
			g.rules = append(g.rules, r)
		}
	}
	return nil
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
	defer func() { p.track(op, scope.Region, target, p.now(), &err) }()
	defer p.leave(ctx, op, scope.Region, &err)
	if err := p.enter(ctx, op, scope.Region); err != nil {
		return network.Address{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.regionLocked(op, scope.Region)
	if err != nil {
		return network.Address{}, err
	}
	now := p.now()
	fp := fmt.Sprintf("address|%d|%s|%s", spec.BandwidthMbps, spec.ChargeMode, scopeKey(scope))
	rec, err := p.claimLocked(op, r.id, "address", token, fp)
	if err != nil {
		return network.Address{}, err
	}
	if a, ok := p.addresses[rec.getID()]; ok && rec != nil {
		target = a.id
		return a.view(now), nil
	}
	// A new token, or one whose address was released since: allocate.
	if spec.BandwidthMbps < 1 || spec.BandwidthMbps > 500 || (spec.ChargeMode != "TRAFFIC" && spec.ChargeMode != "FIXED") {
		return network.Address{}, p.errorf(op, r.id, multicloud.CodeInvalidArgument, "InvalidParameter",
			"address of %d Mbit/s billed %q: need 1-500 Mbit/s, TRAFFIC or FIXED", spec.BandwidthMbps, spec.ChargeMode)
	}
	if r.naddrs >= r.addrQuota {
		return network.Address{}, p.errorf(op, r.id, multicloud.CodeQuotaExceeded, "QuotaExceeded.Eip",
			"region %s holds %d addresses, its quota", r.id, r.addrQuota)
	}
	tags := scope.Tags()
	for k, v := range spec.Tags {
		if _, reserved := tags[k]; !reserved {
			tags[k] = v
		}
	}
	a := &address{id: p.newID("eip"), region: r.id, ip: p.publicIPLocked(), spec: spec, tags: tags, created: now}
	p.addresses[a.id] = a
	r.naddrs++
	p.storeTokenLocked(r.id, "address", token, &tokenRecord{fingerprint: fp, id: a.id})
	target = a.id
	return a.view(now), nil
}

// publicIPLocked hands out the next public IP of the fake, from
// 47.96.0.0/11; p.mu must be held.
func (p *Provider) publicIPLocked() string {
	p.publicIPs++
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 47<<24|96<<16+p.publicIPs)
	return netip.AddrFrom4(b).String()
}

func (p *Provider) addressLocked(op, region, id string) (*address, error) {
	a, ok := p.addresses[id]
	if !ok || a.region != region {
		return nil, p.errorf(op, region, multicloud.CodeNotFound, "InvalidAllocationId.NotFound", "address %s not found", id)
	}
	return a, nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	a, err := p.addressLocked(op, scope.Region, addressID)
	if err != nil {
		return err
	}
	in, err := p.instanceLocked(op, scope.Region, instanceID)
	if err != nil {
		return err
	}
	if a.instanceID == instanceID && in.addressID == addressID {
		return nil
	}
	if st := a.status(now); st != network.StatusAvailable {
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectEipStatus",
			"address %s is %s, binding needs Available", addressID, st)
	}
	if st := in.status(now); st == multicloud.StatusPending {
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectInstanceStatus",
			"instance %s is %s, binding an address needs it started", instanceID, st)
	}
	if in.addressID != "" || in.publicIP != "" {
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "InvalidAssociation.Duplicated",
			"instance %s already has a public address", instanceID)
	}
	a.instanceID, a.busyUntil = instanceID, now.Add(p.opts.TransitionDelay)
	in.addressID = addressID
	return nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	a, err := p.addressLocked(op, scope.Region, addressID)
	if err != nil {
		return network.Address{}, err
	}
	return a.view(p.now()), nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	a, err := p.addressLocked(op, scope.Region, addressID)
	if err != nil {
		return err
	}
	switch {
	case a.status(now) == network.StatusBusy:
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectEipStatus", "address %s is Busy", addressID)
	case a.instanceID == "":
		return nil
	case a.instanceID != instanceID:
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectEipStatus",
			"address %s is bound to %s, not %s", addressID, a.instanceID, instanceID)
	}
	if in, ok := p.instances[a.instanceID]; ok && in.addressID == addressID {
		in.addressID = ""
	}
	a.instanceID, a.busyUntil = "", now.Add(p.opts.TransitionDelay)
	return nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	a, err := p.addressLocked(op, scope.Region, addressID)
	if err != nil {
		return err
	}
	if st := a.status(p.now()); st != network.StatusAvailable {
		return p.errorf(op, scope.Region, multicloud.CodeConflict, "IncorrectEipStatus",
			"address %s is %s, release needs Available", addressID, st)
	}
	delete(p.addresses, addressID)
	if r, ok := p.regions[a.region]; ok {
		r.naddrs--
	}
	return nil
}
