package sim

import (
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"time"
)

// InstanceState is the portable state of an instance. Faces map it to
// their own names (Aliyun Pending/Starting/Running/Stopping/Stopped; AWS
// pending/running/stopping/stopped/shutting-down/terminated).
type InstanceState string

// The instance states. Pending, Starting, Stopping and Deleting are
// transient: each lasts the transition delay, then the instance passes to
// the next (Pending to Starting to Running, Stopping to Stopped,
// Deleting to Deleted).
const (
	StatePending  InstanceState = "Pending"
	StateStarting InstanceState = "Starting"
	StateRunning  InstanceState = "Running"
	StateStopping InstanceState = "Stopping"
	StateStopped  InstanceState = "Stopped"
	StateDeleting InstanceState = "Deleting"
	StateDeleted  InstanceState = "Deleted"
)

func nextInstanceState(s InstanceState) (InstanceState, bool) {
	switch s {
	case StatePending:
		return StateStarting, true
	case StateStarting:
		return StateRunning, true
	case StateStopping:
		return StateStopped, true
	case StateDeleting:
		return StateDeleted, true
	}
	return s, false
}

// Disk is a disk of an instance, a fact of the instance: created and
// deleted with it (unless DeleteWithInstance is false, when it is dropped
// from the model at the instance's deletion all the same). A disk given
// to a create without an ID gets one.
type Disk struct {
	ID                 string
	Category           string // the face's disk category
	SizeGiB            int
	System             bool
	DeleteWithInstance bool
}

// Instance is a snapshot of an instance. Slices and maps are copies.
type Instance struct {
	ID         string
	Region     string
	Zone       string // zone name
	ZoneID     string
	Type       string
	VCPU       int
	ChargeMode ChargeMode
	ImageID    string
	Name       string
	VPCID      string
	SubnetID   string
	// SecurityGroupIDs are the instance's groups, in order.
	SecurityGroupIDs []string
	PrivateIP        netip.Addr
	// PublicIP is an address assigned with the instance (not elastic);
	// the zero Addr when none.
	PublicIP netip.Addr
	// AddressID is the elastic address associated with the instance
	// (in any phase of the association); "" when none.
	AddressID          string
	Disks              []Disk
	Tags               map[string]string
	Token              string // the client token of the create, if any
	DeletionProtection bool
	State              InstanceState
	StateSince         time.Time
	Created            time.Time
	// Started is when the instance last started (created, started or
	// rebooted).
	Started time.Time
}

// InstanceSpec asks for Count instances (1 when 0) alike.
type InstanceSpec struct {
	Region, Zone, Type string
	// VCPU counts against QuotaVCPUs.
	VCPU       int
	ChargeMode ChargeMode // OnDemand when empty
	ImageID    string
	Name       string
	// SubnetID is the subnet the instances join; "" for none (a classic
	// network). Its zone must be Zone.
	SubnetID         string
	SecurityGroupIDs []string
	// PublicIP assigns each instance a public address of the region.
	PublicIP           bool
	Disks              []Disk
	Tags               map[string]string
	Token              string
	DeletionProtection bool
	Count              int
	// State is the state the instances start in: StatePending (the
	// default), or a stable state for seeding.
	State InstanceState
	// Created is when the instances were created (and started); default
	// now, earlier for seeding.
	Created time.Time
}

type instance struct {
	Instance
	life      life[InstanceState]
	retention time.Duration
}

// gone reports whether a deleted instance has outlived its retention.
func (in *instance) gone(now time.Time, d time.Duration) bool {
	s, since := in.life.at(now, d, nextInstanceState)
	return s == StateDeleted && now.Sub(since) >= 0 && in.retention <= now.Sub(since)
}

func (in *instance) snapshot(now time.Time, d time.Duration) Instance {
	out := in.Instance
	out.State, out.StateSince = in.life.at(now, d, nextInstanceState)
	out.SecurityGroupIDs = slices.Clone(in.SecurityGroupIDs)
	out.Disks = slices.Clone(in.Disks)
	out.Tags = maps.Clone(in.Tags)
	return out
}

// CreateInstances creates spec.Count instances in Pending and returns
// them. It fails, creating nothing, with ClassNotFound for an unknown
// region, subnet or group; ClassInvalidParameter for a zone not of the
// region or a subnet in another zone, or groups of another VPC;
// ClassQuotaExceeded past QuotaInstances or QuotaVCPUs; ClassNoStock when
// the zone cannot take Count of the type in the charge mode;
// ClassConflict when the subnet has too few free addresses.
func (c *Cloud) CreateInstances(spec InstanceSpec) ([]Instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	c.pruneLocked(now)
	ins, r, err := c.createLocked(spec, maps.Clone(spec.Tags), now)
	if err != nil {
		return nil, err
	}
	out := make([]Instance, len(ins))
	for i, in := range ins {
		r.instanceIDs = insertSorted(r.instanceIDs, in.ID)
		out[i] = in.snapshot(now, c.delay)
	}
	return out, nil
}

// SeedInstances creates the instances of every spec, as CreateInstances
// does, in one pass that sorts each region's index once, and returns
// their IDs in order: for seeding a cloud with many instances. Specs that
// share a tag map share one copy of it. It stops at the first spec that
// fails, keeping those created before it, and returns their IDs with the
// error.
func (c *Cloud) SeedInstances(specs []InstanceSpec) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	c.pruneLocked(now)
	all := make([]string, 0, len(specs))
	touched := map[*regionState]bool{}
	tagCopies := map[uintptr]map[string]string{} // by the identity of the caller's map, which the specs keep alive
	var err error
	for _, spec := range specs {
		var tags map[string]string
		if spec.Tags != nil {
			p := reflect.ValueOf(spec.Tags).Pointer()
			if tags = tagCopies[p]; tags == nil {
				tags = maps.Clone(spec.Tags)
				tagCopies[p] = tags
			}
		}
		var out []*instance
		var r *regionState
		if out, r, err = c.createLocked(spec, tags, now); err != nil {
			break
		}
		for _, in := range out {
			r.instanceIDs = append(r.instanceIDs, in.ID)
			all = append(all, in.ID)
		}
		touched[r] = true
	}
	for r := range touched {
		slices.Sort(r.instanceIDs)
		r.instanceIDs = slices.Compact(r.instanceIDs)
	}
	return all, err
}

// createLocked creates spec's instances with tags (a copy the instances
// share: the model never changes a tag map in place) and returns them with
// their region, leaving the region's sorted index to the caller.
func (c *Cloud) createLocked(spec InstanceSpec, tags map[string]string, now time.Time) ([]*instance, *regionState, error) {
	n := max(spec.Count, 1)
	mode := modeOrDefault(spec.ChargeMode)
	initial := spec.State
	switch initial {
	case "":
		initial = StatePending
	case StatePending, StateStarting, StateRunning, StateStopping, StateStopped:
	default:
		return nil, nil, errorf(ClassInvalidParameter, KindInstance, "", "cannot create instances in state %s", initial)
	}
	created := now
	if !spec.Created.IsZero() {
		created = spec.Created
	}
	r, err := c.regionLocked(spec.Region)
	if err != nil {
		return nil, nil, err
	}
	z, err := c.zoneLocked(r, spec.Zone)
	if err != nil {
		return nil, nil, err
	}
	var sn *subnet
	if spec.SubnetID != "" {
		sn = c.subnets[spec.SubnetID]
		if sn == nil || sn.Region != r.ID {
			return nil, nil, notFound(KindSubnet, spec.SubnetID)
		}
		if sn.Zone != spec.Zone {
			return nil, nil, errorf(ClassInvalidParameter, KindSubnet, sn.ID, "subnet is in zone %s, not %s", sn.Zone, spec.Zone)
		}
		if free := sn.free(); free < n {
			return nil, nil, &Error{Class: ClassConflict, Resource: KindSubnet, ID: sn.ID, Reason: "NoFreeAddress", Message: "not enough free private addresses"}
		}
	}
	for _, gid := range spec.SecurityGroupIDs {
		g := c.groups[gid]
		if g == nil || g.Region != r.ID {
			return nil, nil, notFound(KindSecurityGroup, gid)
		}
		if sn != nil && g.VPCID != sn.VPCID {
			return nil, nil, errorf(ClassInvalidParameter, KindSecurityGroup, gid, "group is in VPC %s, not %s", g.VPCID, sn.VPCID)
		}
	}
	if err := c.checkQuotaLocked(r, QuotaInstances, n); err != nil {
		return nil, nil, err
	}
	if err := c.checkQuotaLocked(r, QuotaVCPUs, n*spec.VCPU); err != nil {
		return nil, nil, err
	}
	if err := c.takeLocked(StockKey{r.ID, spec.Zone, spec.Type}, mode, n, now); err != nil {
		return nil, nil, err
	}
	out := make([]*instance, 0, n)
	for range n {
		in := &instance{Instance: Instance{
			ID: c.newIDLocked(KindInstance, r.ID), Region: r.ID, Zone: z.Name, ZoneID: z.ID, Type: spec.Type,
			VCPU: spec.VCPU, ChargeMode: mode, ImageID: spec.ImageID, Name: spec.Name,
			SecurityGroupIDs: slices.Clone(spec.SecurityGroupIDs), Tags: tags, Token: spec.Token,
			DeletionProtection: spec.DeletionProtection, Created: created, Started: created,
		}}
		in.retention = c.opts.DeletedRetention
		if sn != nil {
			in.VPCID, in.SubnetID = sn.VPCID, sn.ID
			in.PrivateIP = sn.alloc()
			sn.used++
		}
		if spec.PublicIP {
			in.PublicIP = r.allocPublicIP()
		}
		for _, d := range spec.Disks {
			if d.ID == "" {
				d.ID = c.newIDLocked(KindDisk, r.ID)
			}
			in.Disks = append(in.Disks, d)
		}
		for _, gid := range spec.SecurityGroupIDs {
			c.groups[gid].instances++
		}
		in.life.set(initial, now)
		c.instances[in.ID] = in
		out = append(out, in)
	}
	r.usage[QuotaInstances] += n
	r.usage[QuotaVCPUs] += n * spec.VCPU
	return out, r, nil
}

// Instance returns the instance id of region, or ClassNotFound.
func (c *Cloud) Instance(region, id string) (Instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	in, err := c.instanceLocked(region, id, now)
	if err != nil {
		return Instance{}, err
	}
	return in.snapshot(now, c.delay), nil
}

func (c *Cloud) instanceLocked(region, id string, now time.Time) (*instance, error) {
	in := c.instances[id]
	if in == nil || (region != "" && in.Region != region) || in.gone(now, c.delay) {
		return nil, notFound(KindInstance, id)
	}
	return in, nil
}

// Instances returns the instances of region ("" for every region) sorted
// by ID, deleted ones included while Options.DeletedRetention keeps them.
func (c *Cloud) Instances(region string) []Instance {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	c.pruneLocked(now)
	var out []Instance
	for _, id := range c.order {
		if region != "" && id != region {
			continue
		}
		for _, iid := range c.regions[id].instanceIDs {
			out = append(out, c.instances[iid].snapshot(now, c.delay))
		}
	}
	if region == "" {
		slices.SortFunc(out, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	}
	return out
}

// InstanceCount returns how many instances region holds, deleted ones
// included while Options.DeletedRetention keeps them.
func (c *Cloud) InstanceCount(region string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked(c.Now())
	if r, ok := c.regions[region]; ok {
		return len(r.instanceIDs)
	}
	return 0
}

// InstancePage returns at most limit instances of region whose IDs sort
// after after ("" for the first), in ID order, those keep rejects left out
// (nil keeps all), and the ID to continue after ("" when no instance is
// left). keep sees each instance's fields in place, without copies: it
// must not keep or change them, nor call the Cloud. It reads only the
// page, not the region, when keep rejects none.
func (c *Cloud) InstancePage(region, after string, limit int, keep func(*Instance) bool) ([]Instance, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	c.pruneLocked(now)
	r, ok := c.regions[region]
	if !ok || limit <= 0 {
		return nil, ""
	}
	ids := r.instanceIDs
	i, _ := slices.BinarySearch(ids, after)
	if i < len(ids) && ids[i] == after {
		i++
	}
	var out []Instance
	for ; i < len(ids); i++ {
		in := c.instances[ids[i]]
		if keep != nil && !keep(c.peekLocked(in, now)) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID
		}
		out = append(out, in.snapshot(now, c.delay))
	}
	return out, ""
}

// InstanceRange returns the instances of region keep accepts (nil keeps
// all) from the offset-th to before the (offset+limit)-th in ID order, and
// how many keep accepts in all: page-number paging. keep is called as by
// InstancePage, on every instance of the region.
func (c *Cloud) InstanceRange(region string, offset, limit int, keep func(*Instance) bool) ([]Instance, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	c.pruneLocked(now)
	r, ok := c.regions[region]
	if !ok {
		return nil, 0
	}
	var out []Instance
	n := 0
	for _, id := range r.instanceIDs {
		in := c.instances[id]
		if keep != nil && !keep(c.peekLocked(in, now)) {
			continue
		}
		if n >= offset && n < offset+limit {
			out = append(out, in.snapshot(now, c.delay))
		}
		n++
	}
	return out, n
}

// peekLocked returns in's fields with its state at now, in place.
func (c *Cloud) peekLocked(in *instance, now time.Time) *Instance {
	in.State, in.StateSince = in.life.at(now, c.delay, nextInstanceState)
	return &in.Instance
}

// pruneLocked drops deleted instances past their retention.
func (c *Cloud) pruneLocked(now time.Time) {
	if len(c.deleted) == 0 {
		return
	}
	kept := c.deleted[:0]
	for _, in := range c.deleted {
		if !in.gone(now, c.delay) {
			kept = append(kept, in)
			continue
		}
		delete(c.instances, in.ID)
		if r := c.regions[in.Region]; r != nil {
			r.instanceIDs = removeSorted(r.instanceIDs, in.ID)
		}
	}
	clear(c.deleted[len(kept):])
	c.deleted = kept
}

// insertSorted inserts id into the sorted s.
func insertSorted(s []string, id string) []string {
	i, found := slices.BinarySearch(s, id)
	if found {
		return s
	}
	return slices.Insert(s, i, id)
}

// removeSorted removes id from the sorted s.
func removeSorted(s []string, id string) []string {
	if i, found := slices.BinarySearch(s, id); found {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// change runs a state change on instance id of region: check sees the
// settled state.
func (c *Cloud) change(region, id string, check func(*instance, InstanceState) error, apply func(*instance, time.Time)) (Instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	in, err := c.instanceLocked(region, id, now)
	if err != nil {
		return Instance{}, err
	}
	st := in.life.settle(now, c.delay, nextInstanceState)
	if err := check(in, st); err != nil {
		return Instance{}, err
	}
	apply(in, now)
	return in.snapshot(now, c.delay), nil
}

func requireState(want ...InstanceState) func(*instance, InstanceState) error {
	return func(in *instance, st InstanceState) error {
		if !slices.Contains(want, st) {
			return incorrectState(KindInstance, in.ID, st)
		}
		return nil
	}
}

// StartInstance starts a Stopped instance: it passes through Starting to
// Running. Another state is ClassIncorrectState.
func (c *Cloud) StartInstance(region, id string) (Instance, error) {
	return c.change(region, id, requireState(StateStopped), func(in *instance, now time.Time) {
		in.life.set(StateStarting, now)
		in.Started = now
	})
}

// StopInstance stops a Running instance: it passes through Stopping to
// Stopped. Another state is ClassIncorrectState.
func (c *Cloud) StopInstance(region, id string) (Instance, error) {
	return c.change(region, id, requireState(StateRunning), func(in *instance, now time.Time) {
		in.life.set(StateStopping, now)
	})
}

// RebootInstance reboots a Running instance: it passes through Starting
// to Running. Another state is ClassIncorrectState.
func (c *Cloud) RebootInstance(region, id string) (Instance, error) {
	return c.change(region, id, requireState(StateRunning), func(in *instance, now time.Time) {
		in.life.set(StateStarting, now)
		in.Started = now
	})
}

// DeleteOptions refine DeleteInstance.
type DeleteOptions struct {
	// Force deletes a Running, Starting or Stopping instance too (AWS's
	// terminate always forces).
	Force bool
	// IgnoreProtection deletes an instance with deletion protection.
	IgnoreProtection bool
}

// DeleteInstance deletes an instance that is Stopped (or Running,
// Starting or Stopping with Force): it passes through Deleting to
// Deleted, and stays visible as Deleted for Options.DeletedRetention. Its
// stock, subnet address and group memberships are given back at once,
// its elastic address is disassociated (not released) and its disks go
// with it. It fails with ClassIncorrectState, Reason "Initializing", while
// Pending; Reason "DeletionProtection" when protected; plain for other
// states (a deleted instance included).
func (c *Cloud) DeleteInstance(region, id string, o DeleteOptions) (Instance, error) {
	check := func(in *instance, st InstanceState) error {
		switch {
		case in.DeletionProtection && !o.IgnoreProtection:
			return &Error{Class: ClassIncorrectState, Resource: KindInstance, ID: in.ID, Reason: "DeletionProtection", Message: "deletion protection is on"}
		case st == StatePending:
			return &Error{Class: ClassIncorrectState, Resource: KindInstance, ID: in.ID, Reason: "Initializing", Message: "the instance is being initialized"}
		case st == StateStopped, o.Force && (st == StateRunning || st == StateStarting || st == StateStopping):
			return nil
		}
		return incorrectState(KindInstance, in.ID, st)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	in, err := c.instanceLocked(region, id, now)
	if err != nil {
		return Instance{}, err
	}
	if err := check(in, in.life.settle(now, c.delay, nextInstanceState)); err != nil {
		return Instance{}, err
	}
	c.releaseInstanceLocked(in, now)
	snap := in.snapshot(now, c.delay)
	c.pruneLocked(now)
	return snap, nil
}

// releaseInstanceLocked gives back what an instance holds and marks it
// Deleting.
func (c *Cloud) releaseInstanceLocked(in *instance, now time.Time) {
	if s, _ := in.life.at(now, c.delay, nextInstanceState); s == StateDeleting || s == StateDeleted {
		return
	}
	c.giveBackLocked(StockKey{in.Region, in.Zone, in.Type}, 1)
	if sn := c.subnets[in.SubnetID]; sn != nil {
		sn.used--
	}
	for _, gid := range in.SecurityGroupIDs {
		if g := c.groups[gid]; g != nil {
			g.instances--
		}
	}
	if a := c.addresses[in.AddressID]; a != nil && a.InstanceID == in.ID {
		a.InstanceID = ""
		a.life.set(AddressAvailable, now)
	}
	in.AddressID = ""
	in.Disks = nil
	in.life.set(StateDeleting, now)
	if r := c.regions[in.Region]; r != nil {
		r.usage[QuotaInstances]--
		r.usage[QuotaVCPUs] -= in.VCPU
	}
	c.deleted = append(c.deleted, in)
}

// SetInstanceState forces the state of an instance, as if changed outside
// the code under test; transient states pass on after the transition
// delay as usual. StateDeleting and StateDeleted delete it (as
// RemoveInstance). An unknown instance or state is an error.
func (c *Cloud) SetInstanceState(id string, st InstanceState) error {
	switch st {
	case StatePending, StateStarting, StateRunning, StateStopping, StateStopped:
	case StateDeleting, StateDeleted:
		return c.RemoveInstance(id)
	default:
		return errorf(ClassInvalidParameter, KindInstance, id, "unknown state %q", st)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	in, err := c.instanceLocked("", id, now)
	if err != nil {
		return err
	}
	in.life.set(st, now)
	return nil
}

// RemoveInstance deletes an instance whatever its state, as if released
// outside the code under test; its elastic address is disassociated, not
// released. An unknown instance is ClassNotFound.
func (c *Cloud) RemoveInstance(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	in, err := c.instanceLocked("", id, now)
	if err != nil {
		return err
	}
	c.releaseInstanceLocked(in, now)
	c.pruneLocked(now)
	return nil
}

// UpdateInstance runs fn on a copy of instance id of region and stores
// the fields a face may change: Name, Tags, DeletionProtection,
// SecurityGroupIDs (memberships are recounted; every group must exist in
// the instance's VPC). fn's error is returned as is.
func (c *Cloud) UpdateInstance(region, id string, fn func(*Instance) error) (Instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	in, err := c.instanceLocked(region, id, now)
	if err != nil {
		return Instance{}, err
	}
	cp := in.snapshot(now, c.delay)
	if err := fn(&cp); err != nil {
		return Instance{}, err
	}
	if !slices.Equal(cp.SecurityGroupIDs, in.SecurityGroupIDs) {
		for _, gid := range cp.SecurityGroupIDs {
			g := c.groups[gid]
			if g == nil || g.Region != in.Region {
				return Instance{}, notFound(KindSecurityGroup, gid)
			}
			if in.VPCID != "" && g.VPCID != in.VPCID {
				return Instance{}, errorf(ClassInvalidParameter, KindSecurityGroup, gid, "group is in VPC %s, not %s", g.VPCID, in.VPCID)
			}
		}
		for _, gid := range in.SecurityGroupIDs {
			if g := c.groups[gid]; g != nil {
				g.instances--
			}
		}
		for _, gid := range cp.SecurityGroupIDs {
			c.groups[gid].instances++
		}
		in.SecurityGroupIDs = slices.Clone(cp.SecurityGroupIDs)
	}
	in.Name, in.Tags, in.DeletionProtection = cp.Name, maps.Clone(cp.Tags), cp.DeletionProtection
	return in.snapshot(now, c.delay), nil
}
