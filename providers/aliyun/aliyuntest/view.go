package aliyuntest

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// view joins the simulated cloud's resources with the emulator's own
// attributes for one call: the instances, VPCs, vSwitches, security
// groups and EIPs as ECS and VPC show them. Each resource is read from
// the cloud once per view, so that the pointers between them (an
// instance's vSwitch, its EIP and back) agree. Build one with Server.view
// while holding Server.mu; a view is not shared between calls.
type view struct {
	st   *state
	c    *sim.Cloud
	now  time.Time
	d    time.Duration
	ins  map[string]*instance
	vpcs map[string]*vpc
	vsws map[string]*vswitch
	sgs  map[string]*securityGroup
	eips map[string]*eip
}

// view returns a view at now; s.mu must be held.
func (s *Server) view(now time.Time) *view {
	return &view{st: s.st, c: s.cloud, now: now, d: s.cloud.TransitionDelay(),
		ins: map[string]*instance{}, vpcs: map[string]*vpc{}, vsws: map[string]*vswitch{},
		sgs: map[string]*securityGroup{}, eips: map[string]*eip{}}
}

// live reports whether an instance in state st exists for ECS: one being
// deleted is gone at once.
func live(st sim.InstanceState) bool { return st != sim.StateDeleting && st != sim.StateDeleted }

func aliveInstance(in *sim.Instance) bool { return live(in.State) }

// instancePhase is the ECS phase of a simulated instance state.
func instancePhase(st sim.InstanceState) phase {
	switch st {
	case sim.StatePending:
		return phPending
	case sim.StateStarting:
		return phStarting
	case sim.StateStopping:
		return phStopping
	case sim.StateStopped:
		return phStopped
	}
	return phRunning
}

func netLife(st sim.NetState, since time.Time) lifecycle {
	if st == sim.NetPending {
		return lifecycle{ph: phPending, since: since.UnixNano()}
	}
	return lifecycle{ph: phAvailable, since: since.UnixNano()}
}

func addressPhase(st sim.AddressState) phase {
	switch st {
	case sim.AddressAssociating:
		return phAssociating
	case sim.AddressInUse:
		return phInUse
	case sim.AddressUnassociating:
		return phUnassociating
	}
	return phAvailable
}

// tagsOf are a tag map as a tag list, sorted by key.
func tagsOf(m map[string]string) []tag {
	if len(m) == 0 {
		return nil
	}
	out := make([]tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, tag{k, m[k]})
	}
	return out
}

// tagMap is a tag list as a map.
func tagMap(ts []tag) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Key] = t.Value
	}
	return m
}

// typeOf is the catalog's instance type of id, or one made up from the
// simulated instance for a type the catalog does not sell.
func typeOf(id string, vcpu int) *instanceType {
	if t := instanceTypeByID[id]; t != nil {
		return t
	}
	family, _, _ := strings.Cut(strings.TrimPrefix(id, "ecs."), ".")
	return &instanceType{id: id, family: "ecs." + family, cpu: max(vcpu, 1), memGiB: float64(max(vcpu, 1) * 2)}
}

// imageOf is the catalog's image of id, or a Linux image named id.
func imageOf(id string) *image {
	if img := imageByID[id]; img != nil {
		return img
	}
	return &image{id: id, osName: id, osNameEn: id, platform: "Others Linux", sizeGiB: 20}
}

// noVSwitch stands for the network of an instance another face created
// outside any subnet.
var noVSwitch = &vswitch{vpc: &vpc{}}

// hydrate returns the instance of a simulated one, nil once it is being
// deleted.
func (v *view) hydrate(si sim.Instance) *instance {
	if in, ok := v.ins[si.ID]; ok {
		return in
	}
	if !live(si.State) {
		return nil
	}
	a := v.st.ecs[si.ID]
	if a == nil {
		a = &ecsAttrs{}
	}
	rg := v.st.regions[si.Region]
	if rg == nil {
		rg = &region{id: si.Region, localName: si.Region, priceFactor: 1, idPrefix: regionIDPrefix(si.Region)}
	}
	in := &instance{
		id: si.ID, rg: rg, zone: si.Zone, name: si.Name, hostName: a.hostName, description: a.description,
		keyPair: a.keyPair, typ: typeOf(si.Type, si.VCPU), img: imageOf(si.ImageID), sgIDs: si.SecurityGroupIDs,
		tags: tagsOf(si.Tags), privateIP: ipUint(si.PrivateIP), publicIP: ipUint(si.PublicIP),
		prepaid: si.ChargeMode == sim.Prepaid, payByBW: a.payByBW,
		deletionProtection: si.DeletionProtection, bwOut: a.bwOut, bwIn: a.bwIn,
		created: si.Created.Unix(), started: si.Started.Unix(), expired: a.expired, autoRenew: a.autoRenew,
		autoRenewPeriod: a.autoRenewPeriod, renewUnit: a.renewUnit, userData: a.userData, ramRole: a.ramRole,
		life: lifecycle{ph: instancePhase(si.State), since: si.StateSince.UnixNano()},
	}
	for i, d := range si.Disks {
		ds := diskSpec{category: d.Category, size: int32(d.SizeGiB), deleteWithInstance: d.DeleteWithInstance}
		if i < len(a.pls) {
			ds.pl = a.pls[i]
		}
		in.disks = append(in.disks, ds)
	}
	v.ins[si.ID] = in
	in.vsw = noVSwitch
	if si.SubnetID != "" {
		if w := v.vswitch(si.SubnetID); w != nil {
			in.vsw = w
		}
	}
	if si.AddressID != "" {
		in.eip = v.eip(si.AddressID)
	}
	return in
}

// instance returns instance id (of any region), or nil.
func (v *view) instance(id string) *instance {
	if in, ok := v.ins[id]; ok {
		return in
	}
	si, err := v.c.Instance("", id)
	if err != nil {
		return nil
	}
	return v.hydrate(si)
}

// instanceIn returns instance id of rg, or nil.
func (v *view) instanceIn(rg *region, id string) *instance {
	if in := v.instance(id); in != nil && in.rg.id == rg.id {
		return in
	}
	return nil
}

// instancesOf returns every instance of rg, sorted by ID.
func (v *view) instancesOf(rg *region) []*instance {
	var out []*instance
	for _, si := range v.c.Instances(rg.id) {
		if in := v.hydrate(si); in != nil {
			out = append(out, in)
		}
	}
	return out
}

// instancePage returns at most n instances of rg after the ID after, and
// the ID to continue after ("" at the end), reading only the page.
func (v *view) instancePage(rg *region, after string, n int) ([]*instance, string) {
	page, next := v.c.InstancePage(rg.id, after, n, aliveInstance)
	out := make([]*instance, 0, len(page))
	for _, si := range page {
		if in := v.hydrate(si); in != nil {
			out = append(out, in)
		}
	}
	return out, next
}

// liveInstances is how many instances rg holds.
func (v *view) liveInstances(rg *region) int { return v.c.Usage(rg.id, sim.QuotaInstances) }

func (v *view) hydrateVPC(sv sim.VPC) *vpc {
	if x, ok := v.vpcs[sv.ID]; ok {
		return x
	}
	rg := v.st.regions[sv.Region]
	x := &vpc{id: sv.ID, name: sv.Name, description: sv.Description, rg: rg, cidr: sv.CIDR, tags: tagsOf(sv.Tags),
		created: sv.Created.Unix(), life: netLife(sv.State, sv.Created)}
	if a := v.st.vpcx[sv.ID]; a != nil {
		x.vrouter, x.routeTable = a.vrouter, a.routeTable
	} else {
		x.vrouter, x.routeTable = "vrt-"+strings.TrimPrefix(sv.ID, "vpc-"), "vtb-"+strings.TrimPrefix(sv.ID, "vpc-")
	}
	v.vpcs[sv.ID] = x
	for _, ss := range v.c.Subnets(sv.Region, sv.ID) {
		x.vswitches = append(x.vswitches, v.hydrateVSwitch(ss))
	}
	x.sgs = len(v.c.SecurityGroups(sv.Region, sv.ID))
	return x
}

// vpc returns VPC id (of any region), or nil.
func (v *view) vpc(id string) *vpc {
	if x, ok := v.vpcs[id]; ok {
		return x
	}
	for _, r := range v.st.regionList {
		if sv, err := v.c.GetVPC(r.id, id); err == nil {
			return v.hydrateVPC(sv)
		}
	}
	return nil
}

// vpcIn returns VPC id of rg, or nil.
func (v *view) vpcIn(rg *region, id string) *vpc {
	if x, ok := v.vpcs[id]; ok {
		if x.rg == rg {
			return x
		}
		return nil
	}
	sv, err := v.c.GetVPC(rg.id, id)
	if err != nil {
		return nil
	}
	return v.hydrateVPC(sv)
}

// vpcsOf returns the VPCs of rg, sorted by ID.
func (v *view) vpcsOf(rg *region) []*vpc {
	var out []*vpc
	for _, sv := range v.c.VPCs(rg.id) {
		out = append(out, v.hydrateVPC(sv))
	}
	return out
}

func (v *view) hydrateVSwitch(ss sim.Subnet) *vswitch {
	if w, ok := v.vsws[ss.ID]; ok {
		return w
	}
	w := &vswitch{id: ss.ID, name: ss.Name, description: ss.Description, zone: ss.Zone, cidr: ss.CIDR,
		tags: tagsOf(ss.Tags), created: ss.Created.Unix(), life: netLife(ss.State, ss.Created), used: ss.Instances,
		allocated: uint32(ss.Capacity - ss.FreeIPs)}
	v.vsws[ss.ID] = w
	w.vpc = v.vpc(ss.VPCID)
	if w.vpc == nil {
		w.vpc = &vpc{id: ss.VPCID, rg: v.st.regions[ss.Region]}
	}
	return w
}

// vswitch returns vSwitch id (of any region), or nil.
func (v *view) vswitch(id string) *vswitch {
	if w, ok := v.vsws[id]; ok {
		return w
	}
	for _, r := range v.st.regionList {
		if ss, err := v.c.GetSubnet(r.id, id); err == nil {
			return v.hydrateVSwitch(ss)
		}
	}
	return nil
}

// vswitchIn returns vSwitch id of rg, or nil.
func (v *view) vswitchIn(rg *region, id string) *vswitch {
	if w := v.vswitch(id); w != nil && w.vpc.rg == rg {
		return w
	}
	return nil
}

// vswitchesOf returns the vSwitches of rg, sorted by ID.
func (v *view) vswitchesOf(rg *region) []*vswitch {
	var out []*vswitch
	for _, ss := range v.c.Subnets(rg.id, "") {
		out = append(out, v.hydrateVSwitch(ss))
	}
	return out
}

func (v *view) hydrateSG(sg sim.SecurityGroup) *securityGroup {
	if g, ok := v.sgs[sg.ID]; ok {
		return g
	}
	g := &securityGroup{id: sg.ID, name: sg.Name, description: sg.Description, typ: "normal", rg: v.st.regions[sg.Region],
		vpcID: sg.VPCID, tags: tagsOf(sg.Tags), created: sg.Created.Unix(), instances: sg.Instances}
	if a := v.st.sgx[sg.ID]; a != nil {
		g.typ, g.innerPolicy = a.typ, a.innerPolicy
	}
	for _, r := range sg.Rules {
		g.rules = append(g.rules, ruleOf(r))
	}
	v.sgs[sg.ID] = g
	return g
}

// ruleOf is the ECS rule of a simulated one.
func ruleOf(r sim.Rule) sgRule {
	pr := "-1/-1"
	if r.FromPort > 0 {
		pr = strconv.Itoa(r.FromPort) + "/" + strconv.Itoa(r.ToPort)
	}
	return sgRule{proto: r.Protocol, portRange: pr, sourceCidr: r.SourceCIDR, sourceGroup: r.SourceGroupID,
		policy: r.Policy, nicType: r.Qualifier, description: r.Description, priority: r.Priority,
		created: r.Created.Unix(), id: r.ID}
}

// simRule is the simulated rule of an ECS one (a port range already
// checked by parseRule).
func simRule(r sgRule) sim.Rule {
	from, to := -1, -1
	if a, b, ok := strings.Cut(r.portRange, "/"); ok && r.portRange != "-1/-1" {
		from, _ = strconv.Atoi(a)
		to, _ = strconv.Atoi(b)
	}
	return sim.Rule{ID: r.id, Protocol: r.proto, FromPort: from, ToPort: to, SourceCIDR: r.sourceCidr,
		SourceGroupID: r.sourceGroup, Policy: r.policy, Priority: r.priority, Qualifier: r.nicType, Description: r.description}
}

// sgIn returns security group id of rg, or nil.
func (v *view) sgIn(rg *region, id string) *securityGroup {
	if g, ok := v.sgs[id]; ok {
		if g.rg == rg {
			return g
		}
		return nil
	}
	sg, err := v.c.GetSecurityGroup(rg.id, id)
	if err != nil {
		return nil
	}
	return v.hydrateSG(sg)
}

// sgsOf returns the security groups of rg, sorted by ID.
func (v *view) sgsOf(rg *region) []*securityGroup {
	var out []*securityGroup
	for _, sg := range v.c.SecurityGroups(rg.id, "") {
		out = append(out, v.hydrateSG(sg))
	}
	return out
}

func (v *view) hydrateEIP(sa sim.Address) *eip {
	if e, ok := v.eips[sa.ID]; ok {
		return e
	}
	e := &eip{id: sa.ID, name: sa.Name, rg: v.st.regions[sa.Region], ip: ipUint(sa.IP), bandwidth: sa.Bandwidth,
		internetChargeType: "PayByBandwidth", tags: tagsOf(sa.Tags), allocated: sa.Allocated.Unix(),
		life: lifecycle{ph: addressPhase(sa.State), since: v.now.UnixNano()}}
	if a := v.st.eipx[sa.ID]; a != nil {
		e.description, e.internetChargeType, e.prepaid = a.description, a.internetChargeType, a.prepaid
	}
	v.eips[sa.ID] = e
	if sa.InstanceID != "" {
		e.instance = v.instance(sa.InstanceID)
	}
	return e
}

// eip returns EIP id (of any region), or nil.
func (v *view) eip(id string) *eip {
	if e, ok := v.eips[id]; ok {
		return e
	}
	for _, r := range v.st.regionList {
		if sa, err := v.c.GetAddress(r.id, id); err == nil {
			return v.hydrateEIP(sa)
		}
	}
	return nil
}

// eipIn returns EIP id of rg, or nil.
func (v *view) eipIn(rg *region, id string) *eip {
	if e, ok := v.eips[id]; ok {
		if e.rg == rg {
			return e
		}
		return nil
	}
	sa, err := v.c.GetAddress(rg.id, id)
	if err != nil {
		return nil
	}
	return v.hydrateEIP(sa)
}

// eipsOf returns the EIPs of rg, sorted by ID.
func (v *view) eipsOf(rg *region) []*eip {
	var out []*eip
	for _, sa := range v.c.Addresses(rg.id) {
		out = append(out, v.hydrateEIP(sa))
	}
	return out
}
