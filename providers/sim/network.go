package sim

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// NetState is the state of a VPC or subnet: Pending for the transition
// delay after its creation, then Available.
type NetState string

// The network states.
const (
	NetPending   NetState = "Pending"
	NetAvailable NetState = "Available"
)

func nextNetState(s NetState) (NetState, bool) {
	if s == NetPending {
		return NetAvailable, true
	}
	return s, false
}

// VPC is a snapshot of a VPC.
type VPC struct {
	ID, Region  string
	CIDR        netip.Prefix
	Name        string
	Description string
	Tags        map[string]string
	State       NetState
	Created     time.Time
}

// VPCSpec asks for a VPC.
type VPCSpec struct {
	Region      string
	CIDR        netip.Prefix
	Name        string
	Description string
	Tags        map[string]string
	// Available creates the VPC Available at once, for seeding.
	Available bool
}

type vpc struct {
	VPC
	life life[NetState]
}

func (v *vpc) snapshot(now time.Time, d time.Duration) VPC {
	out := v.VPC
	out.State, _ = v.life.at(now, d, nextNetState)
	out.Tags = maps.Clone(v.Tags)
	return out
}

// Subnet is a snapshot of a subnet (Aliyun's vSwitch).
type Subnet struct {
	ID, Region, VPCID string
	Zone, ZoneID      string
	CIDR              netip.Prefix
	Name              string
	Description       string
	Tags              map[string]string
	State             NetState
	Created           time.Time
	// FreeIPs is how many private addresses remain; addresses are not
	// reused.
	FreeIPs int
	// Capacity is how many private addresses the subnet has in all.
	Capacity int
	// Instances counts the instances in the subnet.
	Instances int
}

// SubnetSpec asks for a subnet.
type SubnetSpec struct {
	Region, VPCID, Zone string
	CIDR                netip.Prefix
	Name, Description   string
	Tags                map[string]string
	// Available creates the subnet Available at once, for seeding.
	Available bool
}

type subnet struct {
	Subnet
	life      life[NetState]
	allocated uint32 // addresses handed out, never reused
	used      int
}

// capacity is the number of usable addresses: the first three and the
// last one are reserved, and one more for the gateway, as both clouds
// reserve about that many.
func (s *subnet) capacity() int { return 1<<(32-s.CIDR.Bits()) - 6 }

func (s *subnet) free() int { return s.capacity() - int(s.allocated) }

func (s *subnet) alloc() netip.Addr {
	b := s.CIDR.Masked().Addr().As4()
	ip := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ip += 3 + s.allocated
	s.allocated++
	return addrOf(ip)
}

func addrOf(ip uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
}

func (s *subnet) snapshot(now time.Time, d time.Duration) Subnet {
	out := s.Subnet
	out.State, _ = s.life.at(now, d, nextNetState)
	out.Tags = maps.Clone(s.Tags)
	out.FreeIPs = s.free()
	out.Capacity = s.capacity()
	out.Instances = s.used
	return out
}

// CreateVPC creates a VPC, Pending for the transition delay. It fails with
// ClassNotFound for an unknown region, ClassInvalidParameter for an
// invalid CIDR block, ClassQuotaExceeded past QuotaVPCs.
func (c *Cloud) CreateVPC(spec VPCSpec) (VPC, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	r, err := c.regionLocked(spec.Region)
	if err != nil {
		return VPC{}, err
	}
	if !spec.CIDR.IsValid() || !spec.CIDR.Addr().Is4() {
		return VPC{}, errorf(ClassInvalidParameter, KindVPC, "", "invalid CIDR block %v", spec.CIDR)
	}
	if err := c.checkQuotaLocked(r, QuotaVPCs, 1); err != nil {
		return VPC{}, err
	}
	v := &vpc{VPC: VPC{ID: c.newIDLocked(KindVPC, r.ID), Region: r.ID, CIDR: spec.CIDR.Masked(), Name: spec.Name,
		Description: spec.Description, Tags: maps.Clone(spec.Tags), Created: now}}
	v.life.set(NetPending, now)
	if spec.Available {
		v.life.set(NetAvailable, now)
	}
	c.vpcs[v.ID] = v
	r.usage[QuotaVPCs]++
	return v.snapshot(now, c.delay), nil
}

// GetVPC returns VPC id of region, or ClassNotFound.
func (c *Cloud) GetVPC(region, id string) (VPC, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.vpcs[id]
	if v == nil || v.Region != region {
		return VPC{}, notFound(KindVPC, id)
	}
	return v.snapshot(c.Now(), c.delay), nil
}

// VPCs returns the VPCs of region ("" for all), sorted by ID.
func (c *Cloud) VPCs(region string) []VPC {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	var out []VPC
	for _, v := range c.vpcs {
		if region == "" || v.Region == region {
			out = append(out, v.snapshot(now, c.delay))
		}
	}
	slices.SortFunc(out, func(a, b VPC) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// DeleteVPC deletes a VPC. It fails with ClassNotFound, with
// ClassIncorrectState while Pending, and with ClassDependencyViolation
// while subnets, security groups or extras (Extra.VPCID) remain in it.
func (c *Cloud) DeleteVPC(region, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.vpcs[id]
	if v == nil || v.Region != region {
		return notFound(KindVPC, id)
	}
	if st := v.life.settle(c.Now(), c.delay, nextNetState); st != NetAvailable {
		return incorrectState(KindVPC, id, st)
	}
	for _, s := range c.subnets {
		if s.VPCID == id {
			return &Error{Class: ClassDependencyViolation, Resource: KindVPC, ID: id, Reason: string(KindSubnet), Message: "subnet " + s.ID + " is in the VPC"}
		}
	}
	for _, g := range c.groups {
		if g.VPCID == id {
			return &Error{Class: ClassDependencyViolation, Resource: KindVPC, ID: id, Reason: string(KindSecurityGroup), Message: "security group " + g.ID + " is in the VPC"}
		}
	}
	for _, e := range c.extras {
		if e.VPCID == id {
			return &Error{Class: ClassDependencyViolation, Resource: KindVPC, ID: id, Reason: string(e.Kind), Message: string(e.Kind) + " " + e.ID + " is in the VPC"}
		}
	}
	delete(c.vpcs, id)
	c.regions[region].usage[QuotaVPCs]--
	return nil
}

// CreateSubnet creates a subnet in a VPC, Pending for the transition
// delay. It fails with ClassNotFound for an unknown region or VPC,
// ClassIncorrectState while the VPC is Pending, ClassInvalidParameter for
// a zone not of the region or a CIDR block outside the VPC's, and
// ClassConflict (Reason "CIDROverlap") for a block overlapping another
// subnet of the VPC.
func (c *Cloud) CreateSubnet(spec SubnetSpec) (Subnet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	r, err := c.regionLocked(spec.Region)
	if err != nil {
		return Subnet{}, err
	}
	v := c.vpcs[spec.VPCID]
	if v == nil || v.Region != r.ID {
		return Subnet{}, notFound(KindVPC, spec.VPCID)
	}
	if st := v.life.settle(now, c.delay, nextNetState); st != NetAvailable {
		return Subnet{}, incorrectState(KindVPC, v.ID, st)
	}
	z, err := c.zoneLocked(r, spec.Zone)
	if err != nil {
		return Subnet{}, err
	}
	p := spec.CIDR.Masked()
	if !p.IsValid() || !p.Addr().Is4() || p.Bits() < v.CIDR.Bits() || !v.CIDR.Contains(p.Addr()) || p.Bits() > 29 {
		return Subnet{}, errorf(ClassInvalidParameter, KindSubnet, "", "CIDR block %v is not a block of at most /29 inside %v", spec.CIDR, v.CIDR)
	}
	for _, s := range c.subnets {
		if s.VPCID == v.ID && s.CIDR.Overlaps(p) {
			return Subnet{}, &Error{Class: ClassConflict, Resource: KindSubnet, ID: s.ID, Reason: "CIDROverlap", Message: "CIDR block overlaps " + s.CIDR.String()}
		}
	}
	s := &subnet{Subnet: Subnet{ID: c.newIDLocked(KindSubnet, r.ID), Region: r.ID, VPCID: v.ID, Zone: z.Name, ZoneID: z.ID,
		CIDR: p, Name: spec.Name, Description: spec.Description, Tags: maps.Clone(spec.Tags), Created: now}}
	s.life.set(NetPending, now)
	if spec.Available {
		s.life.set(NetAvailable, now)
	}
	c.subnets[s.ID] = s
	return s.snapshot(now, c.delay), nil
}

// GetSubnet returns subnet id of region, or ClassNotFound.
func (c *Cloud) GetSubnet(region, id string) (Subnet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.subnets[id]
	if s == nil || s.Region != region {
		return Subnet{}, notFound(KindSubnet, id)
	}
	return s.snapshot(c.Now(), c.delay), nil
}

// Subnets returns the subnets of region ("" for all) in vpcID ("" for
// every VPC), sorted by ID.
func (c *Cloud) Subnets(region, vpcID string) []Subnet {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	var out []Subnet
	for _, s := range c.subnets {
		if (region == "" || s.Region == region) && (vpcID == "" || s.VPCID == vpcID) {
			out = append(out, s.snapshot(now, c.delay))
		}
	}
	slices.SortFunc(out, func(a, b Subnet) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// DeleteSubnet deletes a subnet. It fails with ClassNotFound, with
// ClassIncorrectState while Pending, with ClassDependencyViolation while
// instances (of any state short of deleted) or extras
// (Extra.AttachedTo) use it.
func (c *Cloud) DeleteSubnet(region, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.subnets[id]
	if s == nil || s.Region != region {
		return notFound(KindSubnet, id)
	}
	if st := s.life.settle(c.Now(), c.delay, nextNetState); st != NetAvailable {
		return incorrectState(KindSubnet, id, st)
	}
	if s.used > 0 {
		return &Error{Class: ClassDependencyViolation, Resource: KindSubnet, ID: id, Reason: string(KindInstance), Message: "instances are in the subnet"}
	}
	for _, e := range c.extras {
		if e.AttachedTo == id {
			return &Error{Class: ClassDependencyViolation, Resource: KindSubnet, ID: id, Reason: string(e.Kind), Message: string(e.Kind) + " " + e.ID + " uses the subnet"}
		}
	}
	delete(c.subnets, id)
	return nil
}

// UpdateSubnet runs fn on a copy of subnet id and stores its Name,
// Description and Tags.
func (c *Cloud) UpdateSubnet(region, id string, fn func(*Subnet) error) (Subnet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	s := c.subnets[id]
	if s == nil || s.Region != region {
		return Subnet{}, notFound(KindSubnet, id)
	}
	cp := s.snapshot(now, c.delay)
	if err := fn(&cp); err != nil {
		return Subnet{}, err
	}
	s.Name, s.Description, s.Tags = cp.Name, cp.Description, maps.Clone(cp.Tags)
	return s.snapshot(now, c.delay), nil
}

// UpdateVPC runs fn on a copy of VPC id and stores its Name, Description
// and Tags.
func (c *Cloud) UpdateVPC(region, id string, fn func(*VPC) error) (VPC, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	v := c.vpcs[id]
	if v == nil || v.Region != region {
		return VPC{}, notFound(KindVPC, id)
	}
	cp := v.snapshot(now, c.delay)
	if err := fn(&cp); err != nil {
		return VPC{}, err
	}
	v.Name, v.Description, v.Tags = cp.Name, cp.Description, maps.Clone(cp.Tags)
	return v.snapshot(now, c.delay), nil
}

// Extra is a face-specific network resource the portable model does not
// know (an AWS internet gateway or route table, an Aliyun route table):
// the model keeps it so that two faces see it, blocks deleting its VPC
// (VPCID) and the subnet it is attached to (AttachedTo), and leaves its
// meaning to the face. Attrs are the face's own fields.
type Extra struct {
	Kind       Kind
	ID, Region string
	VPCID      string // the VPC it lives in or is attached to; "" when none
	AttachedTo string // a subnet (or other resource) it is attached to; "" when none
	Tags       map[string]string
	Attrs      map[string]string
	Created    time.Time
}

func (e *Extra) clone() Extra {
	out := *e
	out.Tags, out.Attrs = maps.Clone(e.Tags), maps.Clone(e.Attrs)
	return out
}

// CreateExtra stores e with a new ID of e.Kind and returns it. It fails
// with ClassNotFound for an unknown region or VPC.
func (c *Cloud) CreateExtra(e Extra) (Extra, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.regionLocked(e.Region); err != nil {
		return Extra{}, err
	}
	if e.VPCID != "" {
		if v := c.vpcs[e.VPCID]; v == nil || v.Region != e.Region {
			return Extra{}, notFound(KindVPC, e.VPCID)
		}
	}
	e.ID = c.newIDLocked(e.Kind, e.Region)
	e.Created = c.Now()
	cp := e.clone()
	c.extras[e.ID] = &cp
	return e.clone(), nil
}

// GetExtra returns extra id of region, or ClassNotFound of its kind.
func (c *Cloud) GetExtra(region string, kind Kind, id string) (Extra, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.extras[id]
	if e == nil || e.Region != region || e.Kind != kind {
		return Extra{}, notFound(kind, id)
	}
	return e.clone(), nil
}

// Extras returns the extras of kind in region ("" for every region),
// sorted by ID.
func (c *Cloud) Extras(region string, kind Kind) []Extra {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Extra
	for _, e := range c.extras {
		if e.Kind == kind && (region == "" || e.Region == region) {
			out = append(out, e.clone())
		}
	}
	slices.SortFunc(out, func(a, b Extra) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// UpdateExtra runs fn on a copy of extra id and stores what it changed
// (all but Kind, ID, Region and Created). fn's error is returned as is.
func (c *Cloud) UpdateExtra(region string, kind Kind, id string, fn func(*Extra) error) (Extra, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.extras[id]
	if e == nil || e.Region != region || e.Kind != kind {
		return Extra{}, notFound(kind, id)
	}
	cp := e.clone()
	if err := fn(&cp); err != nil {
		return Extra{}, err
	}
	cp.Kind, cp.ID, cp.Region, cp.Created = e.Kind, e.ID, e.Region, e.Created
	*e = cp.clone()
	return cp, nil
}

// DeleteExtra deletes extra id, or fails with ClassNotFound.
func (c *Cloud) DeleteExtra(region string, kind Kind, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.extras[id]
	if e == nil || e.Region != region || e.Kind != kind {
		return notFound(kind, id)
	}
	delete(c.extras, id)
	return nil
}
