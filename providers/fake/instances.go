package fake

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
)

// instance is the fake's record of a VM. Its state is computed lazily:
// phases are the transient states ahead, each until a time on the Clock,
// and stable is the state after the last of them.
type instance struct {
	seq                            int64
	id, name, region, zone, typ    string
	imageID                        string
	vpcID, switchID, groupID       string
	privateIP, publicIP, addressID string
	tags                           map[string]string
	charge                         multicloud.ChargeMode
	bwMode                         multicloud.BandwidthMode
	bwMbps                         int
	created                        time.Time
	phases                         [2]phase
	nphases                        int
	stable                         multicloud.Status
}

type phase struct {
	status multicloud.Status
	until  time.Time
}

func (in *instance) status(now time.Time) multicloud.Status {
	for _, ph := range in.phases[:in.nphases] {
		if now.Before(ph.until) {
			return ph.status
		}
	}
	return in.stable
}

// transition moves in through the transient states, each lasting d, to
// stable.
func (in *instance) transition(now time.Time, d time.Duration, stable multicloud.Status, transient ...multicloud.Status) {
	in.nphases = len(transient)
	t := now
	for i, s := range transient {
		t = t.Add(d)
		in.phases[i] = phase{status: s, until: t}
	}
	in.stable = stable
}

// instanceLocked returns the instance id in region or ErrNotFound; p.mu
// must be held.
func (p *Provider) instanceLocked(op, region, id string) (*instance, error) {
	in, ok := p.instances[id]
	if !ok || in.region != region {
		return nil, p.errorf(op, region, multicloud.CodeNotFound, "InvalidInstanceId.NotFound", "instance %s not found in %s", id, region)
	}
	return in, nil
}

// snapshotLocked returns the portable view of in; p.mu must be held.
func (p *Provider) snapshotLocked(in *instance, now time.Time) *multicloud.Instance {
	out := &multicloud.Instance{
		ID: in.id, Name: in.name, Provider: p.code, Region: in.region, Zone: in.zone,
		Status: in.status(now), InstanceType: in.typ, ImageID: in.imageID,
		PublicIP: in.publicIP, PrivateIP: in.privateIP,
		TenantID: in.tags[multicloud.TagTenant], UserID: in.tags[multicloud.TagOwner], Tags: cloneTags(in.tags),
		Network:    multicloud.NetworkInfo{VPCID: in.vpcID, SwitchID: in.switchID, SecurityGroupID: in.groupID, AddressID: in.addressID},
		ChargeMode: in.charge, BandwidthMode: in.bwMode, BandwidthMbps: in.bwMbps,
		CreatedAt: in.created,
	}
	if a, ok := p.addresses[in.addressID]; ok && in.addressID != "" {
		out.PublicIP = a.ip
	}
	return out
}

// classify returns err as an *multicloud.Error of op in region, keeping
// its code and cause; an *multicloud.Error keeps the operation, provider
// and region it names and gets the missing ones.
func (p *Provider) classify(op, region string, err error) error {
	if err == nil {
		return nil
	}
	var e *multicloud.Error
	if errors.As(err, &e) && e == err {
		cp := *e
		cp.Op, cp.Provider, cp.Region = cmp.Or(cp.Op, op), cmp.Or(cp.Provider, p.code), cmp.Or(cp.Region, region)
		return &cp
	}
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: multicloud.CodeOf(err), Err: err}
}

// Create creates spec.Request.Quantity instances through the provider's
// network.Provisioner: the owner's network is found or created, elastic
// addresses are allocated (PublicIPElastic) and bound, ports opened in one
// call, and the instances launched by the "RunInstances" step. With
// PublicIPInstance each instance gets its own public IP instead.
//
// Create is idempotent on spec.Token: a repeat with the same spec returns
// the same instances (and the same partial-stock error); a repeat with
// another spec is ErrIdempotencyMismatch. With stock for k < Quantity
// instances it creates k and returns them with an ErrNoStock error naming
// how many are missing; with no stock it is ErrNoStock. Failed port and
// address steps are warnings on the instances, as are billable resources
// that could not be released.
//
// The launch step and the network creates inside it settle a reset
// connection and a lost, slow or unreadable response (see Fault): once
// sent, they are asked again with the same token, detached from ctx, so a
// caller that leaves still gets what was created, for the Client to
// release. A fault of the same kinds on "Create" itself is settled alike.
func (p *Provider) Create(ctx context.Context, spec *multicloud.CreateSpec) ([]*multicloud.Instance, error) {
	region, token := "", ""
	if spec != nil {
		region, token = spec.Plan.Region, spec.Token
	}
	var out []*multicloud.Instance
	err := p.settled(ctx, "Create", region, token, func(actx, sctx context.Context) error {
		var err error
		out, err = p.create(actx, sctx, spec)
		if outcomeUnknown(err) {
			out = nil
		}
		return err
	})
	return out, err
}

// create is one Create call: the create runs under ctx, its response is
// delivered (or held, or lost, as a fault says) under hold.
func (p *Provider) create(ctx, hold context.Context, spec *multicloud.CreateSpec) (out []*multicloud.Instance, err error) {
	const op = "Create"
	region, target := "", ""
	if spec != nil {
		region = spec.Plan.Region
	}
	defer func(at time.Time) { p.track(op, region, target, at, &err) }(p.now())
	defer p.leave(hold, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	if err := p.checkSpec(op, spec); err != nil {
		return nil, err
	}
	req := spec.Request
	scope := p.Scope(region, spec.Tags[multicloud.TagTenant], spec.Tags[multicloud.TagOwner])
	scope.Isolation = req.NetworkIsolation // empty: the provisioner's default
	lr := network.LaunchRequest{Scope: scope, Zone: spec.Plan.Zone, Quantity: req.Quantity, Token: spec.Token}
	if len(req.OpenPorts) > 0 {
		lr.Ports = network.TCPPorts(req.OpenPorts...)
	}
	if req.AllocatePublicIP && req.PublicIPMode != multicloud.PublicIPInstance {
		lr.Address = &network.AddressSpec{BandwidthMbps: req.PublicIPBandwidth, ChargeMode: string(cmp.Or(req.BandwidthMode, multicloud.Traffic)),
			Tags: tokenTags(spec.Token)}
	}
	var launched []string
	res, lerr := p.prov.Launch(ctx, lr, network.LaunchFunc(func(ctx context.Context, net network.Network) ([]string, error) {
		ids, err := p.runInstances(ctx, spec, net)
		launched = ids
		return ids, err
	}))

	// Build the result from what the flow reports, falling back on what
	// the launcher returned so that no created ID is ever dropped.
	var results []network.Launched
	var leaked []string
	if res != nil {
		results, leaked = res.Instances, res.Leaked
	}
	if len(results) == 0 {
		for _, id := range launched {
			results = append(results, network.Launched{ID: id})
		}
	}
	if len(results) > 0 {
		p.mu.Lock()
		now := p.now()
		ids := make([]string, 0, len(results))
		for _, l := range results {
			in, ok := p.instances[l.ID]
			if !ok {
				continue // deleted meanwhile
			}
			s := p.snapshotLocked(in, now)
			s.Warnings = slices.Clone(l.Warnings)
			if l.Address != nil && s.Network.AddressID == "" {
				s.PublicIP, s.Network.AddressID = l.Address.IP, l.Address.ID
			}
			if len(leaked) > 0 {
				s.Warnings = append(s.Warnings, "billable resources not released: "+strings.Join(leaked, "; "))
			}
			out = append(out, s)
			ids = append(ids, l.ID)
		}
		p.mu.Unlock()
		target = strings.Join(ids, ",")
	}
	if lerr == nil && len(out) == 0 {
		lerr = p.errorf(op, region, multicloud.CodeNotFound, "InvalidInstanceId.NotFound",
			"the instances of token %s were deleted", shortToken(spec.Token))
	}
	if lerr == nil {
		return out, nil
	}
	err = p.classify(op, region, lerr)
	if len(out) == 0 && len(leaked) > 0 {
		e := err.(*multicloud.Error)
		e.Message = strings.TrimPrefix(e.Message+"; billable resources not released: "+strings.Join(leaked, "; "), "; ")
	}
	return out, err
}

// tokenTags returns the tags that carry a create's token onto what it
// allocates; none for an empty token.
func tokenTags(token string) map[string]string {
	if token == "" {
		return nil
	}
	return map[string]string{multicloud.TagToken: token}
}

// checkSpec rejects a spec the Client would never send: it guards users
// who call the provider directly.
func (p *Provider) checkSpec(op string, spec *multicloud.CreateSpec) error {
	switch {
	case spec == nil || spec.Request == nil:
		return p.errorf(op, "", multicloud.CodeInvalidArgument, "", "nil spec or request")
	case spec.Request.Quantity < 1 || spec.Request.Quantity > multicloud.MaxQuantity:
		return p.errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "InvalidParameter",
			"quantity %d out of range 1-%d", spec.Request.Quantity, multicloud.MaxQuantity)
	case spec.Tags[multicloud.TagOwner] == "":
		return p.errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "InvalidParameter", "spec has no %s tag", multicloud.TagOwner)
	case spec.Plan.Zone == "" || spec.Plan.InstanceType == "" || spec.Plan.ImageID == "":
		return p.errorf(op, spec.Plan.Region, multicloud.CodeInvalidArgument, "InvalidParameter", "plan %s is not resolved", spec.Plan.Placement)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.regionLocked(op, spec.Plan.Region)
	return err
}

// fingerprint says what a create asked for, to tell a repeat from a token
// reused with other parameters. It is built without fmt: it runs on every
// create.
func fingerprint(spec *multicloud.CreateSpec) string {
	r := spec.Request
	b := make([]byte, 0, 256)
	for _, s := range []string{spec.Plan.Region, spec.Plan.Zone, spec.Plan.InstanceType, spec.Plan.ImageID, r.InstanceName,
		r.SystemDiskType, string(r.BandwidthMode), string(r.PublicIPMode), string(r.InstanceChargeMode), r.KeyPairName} {
		b = strconv.AppendQuote(b, s)
	}
	for _, n := range []int{r.Quantity, r.SystemDiskSize, r.PublicIPBandwidth, r.Duration} {
		b = strconv.AppendInt(append(b, '|'), int64(n), 10)
	}
	b = strconv.AppendBool(append(b, '|'), r.AllocatePublicIP)
	for _, port := range r.OpenPorts {
		b = strconv.AppendInt(append(b, ','), int64(port), 10)
	}
	var buf [8]string
	keys := buf[:0]
	for k := range spec.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = strconv.AppendQuote(append(b, '|'), k)
		b = strconv.AppendQuote(append(b, '='), spec.Tags[k])
	}
	return string(b)
}

// runInstances is the launch step of Create ("RunInstances" in the call
// log and for faults): it creates the instances into net, taking stock,
// settled (see settled) on the create's token.
func (p *Provider) runInstances(ctx context.Context, spec *multicloud.CreateSpec, net network.Network) ([]string, error) {
	var ids []string
	err := p.settled(ctx, "RunInstances", spec.Plan.Region, spec.Token, func(_, sctx context.Context) error {
		var err error
		ids, err = p.runInstancesOnce(sctx, spec, net)
		if outcomeUnknown(err) {
			ids = nil
		}
		return err
	})
	return ids, err
}

// runInstancesOnce is one RunInstances call.
func (p *Provider) runInstancesOnce(ctx context.Context, spec *multicloud.CreateSpec, net network.Network) (ids []string, err error) {
	const op = "RunInstances"
	region := spec.Plan.Region
	defer func(at time.Time) { p.track(op, region, strings.Join(ids, ","), at, &err) }(p.now())
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	fp := fingerprint(spec)
	p.mu.Lock()
	defer p.mu.Unlock()
	if rec, err := p.claimLocked(op, region, "instances", spec.Token, fp); err != nil || rec != nil {
		if err != nil {
			return nil, err
		}
		return slices.Clone(rec.ids), rec.err
	}
	plan, req := spec.Plan, spec.Request
	sw, ok := p.switches[net.Switch.ID]
	if !ok || sw.vpcID != net.VPC.ID || sw.region != region {
		return nil, p.errorf(op, region, multicloud.CodeNotFound, "InvalidVSwitchId.NotFound", "switch %s not found in vpc %s", net.Switch.ID, net.VPC.ID)
	}
	if sw.zone != plan.Zone {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "InvalidVSwitchId.ZoneMismatch",
			"switch %s is in %s, the instances in %s", sw.id, sw.zone, plan.Zone)
	}
	if g, ok := p.groups[net.SecurityGroup.ID]; !ok || g.vpcID != net.VPC.ID {
		return nil, p.errorf(op, region, multicloud.CodeNotFound, "InvalidSecurityGroupId.NotFound", "security group %s not found in vpc %s", net.SecurityGroup.ID, net.VPC.ID)
	}
	if !p.soldLocked(region, plan.InstanceType) {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "InvalidInstanceType.ValueNotSupported",
			"instance type %q is not sold in %s", plan.InstanceType, region)
	}
	k := stockKey{region, plan.Zone, plan.InstanceType}
	avail := p.availLocked(k, req.InstanceChargeMode)
	n := min(avail, req.Quantity)
	if n == 0 {
		return nil, p.errorf(op, region, multicloud.CodeNoStock, "OperationDenied.NoStock",
			"zone %s has no stock of %s", plan.Zone, plan.InstanceType)
	}
	now := p.now()
	ids = make([]string, 0, n)
	for range n {
		in := &instance{
			id: p.newID("i"), name: req.InstanceName, region: region, zone: plan.Zone, typ: plan.InstanceType, imageID: plan.ImageID,
			vpcID: net.VPC.ID, switchID: sw.id, groupID: net.SecurityGroup.ID, privateIP: sw.nextHost(),
			tags: cloneTags(spec.Tags), charge: req.InstanceChargeMode, created: now,
		}
		in.seq = p.seq
		if req.AllocatePublicIP {
			in.bwMode, in.bwMbps = cmp.Or(req.BandwidthMode, multicloud.Traffic), req.PublicIPBandwidth
			if req.PublicIPMode == multicloud.PublicIPInstance {
				in.publicIP = p.publicIPLocked()
			}
		}
		in.transition(now, p.opts.TransitionDelay, multicloud.StatusRunning, multicloud.StatusPending, multicloud.StatusStarting)
		p.instances[in.id] = in
		ids = append(ids, in.id)
	}
	p.stock[k] = avail - n
	if n < req.Quantity {
		err = p.errorf(op, region, multicloud.CodeNoStock, "OperationDenied.NoStock",
			"%d of %d instances not created: zone %s has no more stock of %s", req.Quantity-n, req.Quantity, plan.Zone, plan.InstanceType)
	}
	p.storeTokenLocked(region, "instances", spec.Token, &tokenRecord{fingerprint: fp, ids: slices.Clone(ids), err: err})
	return ids, err
}

// nextHost returns the next private address of the switch, skipping the
// network address and the gateways of the first hosts.
func (s *vswitch) nextHost() string {
	s.hosts++
	a := s.cidr.Addr().As4()
	v := binary.BigEndian.Uint32(a[:]) + 2 + s.hosts
	binary.BigEndian.PutUint32(a[:], v)
	return netip.AddrFrom4(a).String()
}

// Get returns the current state of an instance; a missing one is
// ErrNotFound.
func (p *Provider) Get(ctx context.Context, region, id string) (_ *multicloud.Instance, err error) {
	const op = "Get"
	defer p.track(op, region, id, p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	in, err := p.instanceLocked(op, region, id)
	if err != nil {
		return nil, err
	}
	return p.snapshotLocked(in, p.now()), nil
}

// GetBatch returns the instances among ids that exist in region, keyed
// by ID, in one call (multicloud.BatchGetter); at most BatchSize IDs, else
// ErrInvalidArgument. An unknown region is ErrInvalidArgument.
func (p *Provider) GetBatch(ctx context.Context, region string, ids []string) (_ map[string]*multicloud.Instance, err error) {
	const op = "GetBatch"
	defer p.track(op, region, "", p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	if len(ids) > MaxPageSize {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "InvalidParameter", "at most %d ids, got %d", MaxPageSize, len(ids))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.regionLocked(op, region); err != nil {
		return nil, err
	}
	now := p.now()
	out := make(map[string]*multicloud.Instance, len(ids))
	for _, id := range ids {
		if in, ok := p.instances[id]; ok && in.region == region {
			out[id] = p.snapshotLocked(in, now)
		}
	}
	return out, nil
}

// BatchSize is the most IDs GetBatch takes: MaxPageSize.
func (p *Provider) BatchSize() int { return MaxPageSize }

// The page sizes of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// List returns one page of the instances of q.Region, oldest first, that
// carry every tag of q.Tags and, when q.Status is set, are in that state.
// Pages hold q.PageSize instances (default 50, at most 100); NextToken is
// an opaque token, empty on the last page. An unknown region or a bad
// token is ErrInvalidArgument.
func (p *Provider) List(ctx context.Context, q multicloud.ListQuery) (_ *multicloud.InstancePage, err error) {
	const op = "List"
	defer p.track(op, q.Region, "", p.now(), &err)
	defer p.leave(ctx, op, q.Region, &err)
	if err := p.enter(ctx, op, q.Region); err != nil {
		return nil, err
	}
	var after int64
	if q.PageToken != "" {
		after, err = strconv.ParseInt(q.PageToken, 10, 64)
		if err != nil || after < 0 {
			return nil, p.errorf(op, q.Region, multicloud.CodeInvalidArgument, "InvalidNextToken", "bad page token %q", q.PageToken)
		}
	}
	size := q.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.regionLocked(op, q.Region); err != nil {
		return nil, err
	}
	now := p.now()
	var match []*instance
	for _, in := range p.instances {
		if in.region != q.Region || in.seq <= after || (q.Status != "" && in.status(now) != q.Status) {
			continue
		}
		ok := true
		for k, v := range q.Tags {
			if got, has := in.tags[k]; !has || got != v {
				ok = false
				break
			}
		}
		if ok {
			match = append(match, in)
		}
	}
	slices.SortFunc(match, func(a, b *instance) int { return int(a.seq - b.seq) })
	page := &multicloud.InstancePage{}
	if len(match) > size {
		match = match[:size]
		page.NextToken = strconv.FormatInt(match[size-1].seq, 10)
	}
	for _, in := range match {
		page.Instances = append(page.Instances, p.snapshotLocked(in, now))
	}
	return page, nil
}

// act runs a state change of op on an instance under the lock.
func (p *Provider) act(ctx context.Context, op, region, id string, fn func(in *instance, st multicloud.Status, now time.Time) error) (err error) {
	defer p.track(op, region, id, p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return err
	}
	return p.change(op, region, id, fn)
}

// change runs fn on an instance under the lock.
func (p *Provider) change(op, region, id string, fn func(in *instance, st multicloud.Status, now time.Time) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	in, err := p.instanceLocked(op, region, id)
	if err != nil {
		return err
	}
	now := p.now()
	return fn(in, in.status(now), now)
}

func (p *Provider) conflict(op string, in *instance, st multicloud.Status, needs string) error {
	return p.errorf(op, in.region, multicloud.CodeConflict, "IncorrectInstanceStatus",
		"instance %s is %s, %s needs %s", in.id, st, strings.ToLower(op), needs)
}

// Start starts a Stopped instance: Starting for TransitionDelay, then
// Running. Any other state is ErrConflict; a missing instance ErrNotFound.
func (p *Provider) Start(ctx context.Context, region, id string) error {
	return p.act(ctx, "Start", region, id, func(in *instance, st multicloud.Status, now time.Time) error {
		if st != multicloud.StatusStopped {
			return p.conflict("Start", in, st, "Stopped")
		}
		in.transition(now, p.opts.TransitionDelay, multicloud.StatusRunning, multicloud.StatusStarting)
		return nil
	})
}

// Stop stops a Running instance: Stopping for TransitionDelay, then
// Stopped. Any other state is ErrConflict; a missing instance ErrNotFound.
// force makes no difference in the fake.
func (p *Provider) Stop(ctx context.Context, region, id string, force bool) error {
	return p.act(ctx, "Stop", region, id, func(in *instance, st multicloud.Status, now time.Time) error {
		if st != multicloud.StatusRunning {
			return p.conflict("Stop", in, st, "Running")
		}
		in.transition(now, p.opts.TransitionDelay, multicloud.StatusStopped, multicloud.StatusStopping)
		return nil
	})
}

// Reboot restarts a Running instance: Stopping, then Starting, each for
// TransitionDelay, then Running. Any other state is ErrConflict; a missing
// instance ErrNotFound. force makes no difference in the fake.
func (p *Provider) Reboot(ctx context.Context, region, id string, force bool) error {
	return p.act(ctx, "Reboot", region, id, func(in *instance, st multicloud.Status, now time.Time) error {
		if st != multicloud.StatusRunning {
			return p.conflict("Reboot", in, st, "Running")
		}
		in.transition(now, p.opts.TransitionDelay, multicloud.StatusRunning, multicloud.StatusStopping, multicloud.StatusStarting)
		return nil
	})
}

// Delete removes an instance and gives its stock back. Without force only
// a Stopped instance may be deleted (ErrConflict otherwise); with force
// any. A missing instance is ErrNotFound. The elastic address bound to it
// becomes Available and, when this module allocated it (createdBy tag),
// is released through the provisioner, detached from ctx's cancellation
// and bounded by a minute, as the Aliyun provider does; an address that could not be
// released makes Delete return an ErrConflict naming it after the instance
// is gone (not retryable: a retried Delete would find no instance and
// forget the address).
//
// A response fault on "Delete" (see Fault) applies once the address was
// released too: the instance and its address are gone, and a retried
// Delete finds no instance.
func (p *Provider) Delete(ctx context.Context, region, id string, force bool) (err error) {
	const op = "Delete"
	defer p.track(op, region, id, p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return err
	}
	var (
		addrID string
		scope  network.Scope
	)
	err = p.change(op, region, id, func(in *instance, st multicloud.Status, now time.Time) error {
		if !force && st != multicloud.StatusStopped {
			return p.conflict("Delete", in, st, "Stopped (or force)")
		}
		if a, ok := p.addresses[in.addressID]; ok && in.addressID != "" && a.instanceID == in.id {
			a.instanceID, a.busyUntil = "", time.Time{}
			if a.tags[network.TagCreatedBy] == network.CreatedByValue {
				addrID = a.id
				scope = p.Scope(in.region, in.tags[multicloud.TagTenant], in.tags[multicloud.TagOwner])
			}
		}
		k := stockKey{in.region, in.zone, in.typ}
		p.stock[k] = p.stockLocked(k) + 1
		delete(p.instances, in.id)
		return nil
	})
	if err != nil || addrID == "" {
		return err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if rerr := p.prov.ReleaseAddress(rctx, scope, addrID, id); rerr != nil {
		return &multicloud.Error{Op: "Delete", Provider: p.code, Region: region, Code: multicloud.CodeConflict,
			Message: fmt.Sprintf("instance %s deleted but its address %s not released; release it", id, addrID), Err: rerr}
	}
	return nil
}

// Regions returns the IDs of the regions served, in configured order.
func (p *Provider) Regions(ctx context.Context) (_ []string, err error) {
	const op = "Regions"
	defer p.track(op, "", "", p.now(), &err)
	defer p.leave(ctx, op, "", &err)
	if err := p.enter(ctx, op, ""); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.order), nil
}

// CheckHealth succeeds unless a fault is injected for "CheckHealth" (or
// for every call).
func (p *Provider) CheckHealth(ctx context.Context) (err error) {
	const op = "CheckHealth"
	defer p.track(op, "", "", p.now(), &err)
	defer p.leave(ctx, op, "", &err)
	return p.enter(ctx, op, "")
}
