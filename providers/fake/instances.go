package fake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// view returns the portable view of a simulated instance.
func (p *Provider) view(in sim.Instance) *multicloud.Instance {
	out := &multicloud.Instance{
		ID: in.ID, Name: in.Name, Provider: p.code, Region: in.Region, Zone: in.Zone,
		Status: instanceStatus(in.State), InstanceType: in.Type, ImageID: in.ImageID,
		PrivateIP: addrString(in.PrivateIP), PublicIP: addrString(in.PublicIP),
		TenantID: in.Tags[multicloud.TagTenant], UserID: in.Tags[multicloud.TagOwner], Tags: in.Tags,
		Network:    multicloud.NetworkInfo{VPCID: in.VPCID, SwitchID: in.SubnetID, AddressID: in.AddressID},
		ChargeMode: chargeMode(in.ChargeMode), CreatedAt: in.Created,
	}
	if len(in.SecurityGroupIDs) > 0 {
		out.Network.SecurityGroupID = in.SecurityGroupIDs[0]
	}
	p.mu.Lock()
	bw, ok := p.bw[in.ID]
	p.mu.Unlock()
	if ok {
		out.BandwidthMode, out.BandwidthMbps = bw.mode, bw.mbps
	}
	if in.AddressID != "" {
		if a, err := p.cloud.GetAddress(in.Region, in.AddressID); err == nil {
			out.PublicIP = a.IP.String()
		}
	}
	return out
}

// addrString is a's text, "" for the zero Addr.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// instance returns the instance id of region, not deleted, or
// ErrNotFound.
func (p *Provider) instance(op, region, id string) (sim.Instance, error) {
	in, err := p.cloud.Instance(region, id)
	if err == nil && deleted(in.State) {
		err = &sim.Error{Class: sim.ClassNotFound, Resource: sim.KindInstance, ID: id, Message: "the instance is deleted"}
	}
	if err != nil {
		return sim.Instance{}, p.simError(op, region, err)
	}
	return in, nil
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
		ids := make([]string, 0, len(results))
		for _, l := range results {
			in, err := p.cloud.Instance(region, l.ID)
			if err != nil || deleted(in.State) {
				continue // deleted meanwhile
			}
			s := p.view(in)
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
	_, err := p.region(op, spec.Plan.Region)
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

// runResult is what a RunInstances token answers: the instances created
// and the error of a partial create, returned again on a repeat.
type runResult struct {
	ids []string
	err error
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
	res, _, err := p.cloud.Idempotent(sim.TokenKey{Action: op, Region: region, Token: spec.Token}, fingerprint(spec), func() (any, error) {
		return p.runInstances1(spec, net)
	})
	if err != nil {
		return nil, p.simError(op, region, err)
	}
	r := res.(runResult)
	return slices.Clone(r.ids), r.err
}

// runInstances1 creates the instances of spec into net: as many as the
// zone has stock for, with an ErrNoStock error naming the missing ones
// when that is fewer than asked.
func (p *Provider) runInstances1(spec *multicloud.CreateSpec, net network.Network) (any, error) {
	const op = "RunInstances"
	plan, req, region := spec.Plan, spec.Request, spec.Plan.Region
	sw, err := p.cloud.GetSubnet(region, net.Switch.ID)
	if err != nil || sw.VPCID != net.VPC.ID {
		return nil, p.errorf(op, region, multicloud.CodeNotFound, "InvalidVSwitchId.NotFound", "switch %s not found in vpc %s", net.Switch.ID, net.VPC.ID)
	}
	if sw.Zone != plan.Zone {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "InvalidVSwitchId.ZoneMismatch",
			"switch %s is in %s, the instances in %s", sw.ID, sw.Zone, plan.Zone)
	}
	if g, err := p.cloud.GetSecurityGroup(region, net.SecurityGroup.ID); err != nil || g.VPCID != net.VPC.ID {
		return nil, p.errorf(op, region, multicloud.CodeNotFound, "InvalidSecurityGroupId.NotFound", "security group %s not found in vpc %s", net.SecurityGroup.ID, net.VPC.ID)
	}
	if !p.sells(region, plan.InstanceType) {
		return nil, p.errorf(op, region, multicloud.CodeInvalidArgument, "InvalidInstanceType.ValueNotSupported",
			"instance type %q is not sold in %s", plan.InstanceType, region)
	}
	mode := simMode(req.InstanceChargeMode)
	n := req.Quantity
	if avail := p.cloud.Available(region, plan.Zone, plan.InstanceType, mode); avail != sim.Unlimited {
		n = min(n, avail)
	}
	if n <= 0 {
		return nil, p.errorf(op, region, multicloud.CodeNoStock, "OperationDenied.NoStock",
			"zone %s has no stock of %s", plan.Zone, plan.InstanceType)
	}
	vcpu := 0
	if t, ok := p.catalog.Type(plan.InstanceType); ok {
		vcpu = t.VCPU
	}
	created, err := p.cloud.CreateInstances(sim.InstanceSpec{
		Region: region, Zone: plan.Zone, Type: plan.InstanceType, VCPU: vcpu, ChargeMode: mode, ImageID: plan.ImageID,
		Name: req.InstanceName, SubnetID: sw.ID, SecurityGroupIDs: []string{net.SecurityGroup.ID},
		PublicIP: req.AllocatePublicIP && req.PublicIPMode == multicloud.PublicIPInstance,
		Tags:     cloneTags(spec.Tags), Token: spec.Token, Count: n,
	})
	if err != nil {
		return nil, p.simError(op, region, err)
	}
	r := runResult{ids: make([]string, 0, n)}
	p.mu.Lock()
	for _, in := range created {
		r.ids = append(r.ids, in.ID)
		if req.AllocatePublicIP {
			p.bw[in.ID] = bandwidth{mode: cmp.Or(req.BandwidthMode, multicloud.Traffic), mbps: req.PublicIPBandwidth}
		}
	}
	p.mu.Unlock()
	if n < req.Quantity {
		r.err = p.errorf(op, region, multicloud.CodeNoStock, "OperationDenied.NoStock",
			"%d of %d instances not created: zone %s has no more stock of %s", req.Quantity-n, req.Quantity, plan.Zone, plan.InstanceType)
	}
	return r, nil
}

// Get returns the current state of an instance; a missing one is
// ErrNotFound, as is a deleted one.
func (p *Provider) Get(ctx context.Context, region, id string) (_ *multicloud.Instance, err error) {
	const op = "Get"
	defer p.track(op, region, id, p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return nil, err
	}
	in, err := p.instance(op, region, id)
	if err != nil {
		return nil, err
	}
	return p.view(in), nil
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
	if _, err := p.region(op, region); err != nil {
		return nil, err
	}
	out := make(map[string]*multicloud.Instance, len(ids))
	for _, id := range ids {
		if in, err := p.cloud.Instance(region, id); err == nil && !deleted(in.State) {
			out[id] = p.view(in)
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

// idSeq is the sequence number of a fake ID ("i-000042" is 42), its
// creation order; -1 for an ID the fake did not make.
func idSeq(id string) int64 {
	_, num, ok := strings.Cut(id, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// compareIDs orders IDs: the fake's by creation, others (those of a cloud
// another face made) by their text.
func compareIDs(a, b string) int {
	if x, y := idSeq(a), idSeq(b); x >= 0 && y >= 0 && x != y {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

// pageTokenPrefix starts every page token of List.
const pageTokenPrefix = "after:"

// List returns one page of the instances of q.Region, oldest first (by
// ID for IDs the fake did not make), that carry every tag of q.Tags and,
// when q.Status is set, are in that state; deleted instances are left
// out. Pages hold q.PageSize instances (default 50, at most 100);
// NextToken is an opaque token, empty on the last page. An unknown region
// or a bad token is ErrInvalidArgument.
func (p *Provider) List(ctx context.Context, q multicloud.ListQuery) (_ *multicloud.InstancePage, err error) {
	const op = "List"
	defer p.track(op, q.Region, "", p.now(), &err)
	defer p.leave(ctx, op, q.Region, &err)
	if err := p.enter(ctx, op, q.Region); err != nil {
		return nil, err
	}
	after, ok := strings.CutPrefix(q.PageToken, pageTokenPrefix)
	if q.PageToken != "" && (!ok || after == "") {
		return nil, p.errorf(op, q.Region, multicloud.CodeInvalidArgument, "InvalidNextToken", "bad page token %q", q.PageToken)
	}
	size := q.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	if _, err := p.region(op, q.Region); err != nil {
		return nil, err
	}
	var match []sim.Instance
	for _, in := range p.cloud.Instances(q.Region) {
		if deleted(in.State) || (after != "" && compareIDs(in.ID, after) <= 0) || (q.Status != "" && in.State != simState(q.Status)) {
			continue
		}
		ok := true
		for k, v := range q.Tags {
			if got, has := in.Tags[k]; !has || got != v {
				ok = false
				break
			}
		}
		if ok {
			match = append(match, in)
		}
	}
	slices.SortFunc(match, func(a, b sim.Instance) int { return compareIDs(a.ID, b.ID) })
	page := &multicloud.InstancePage{}
	if len(match) > size {
		match = match[:size]
		page.NextToken = pageTokenPrefix + match[size-1].ID
	}
	for _, in := range match {
		page.Instances = append(page.Instances, p.view(in))
	}
	return page, nil
}

// act runs a state change of op on an instance through the simulated
// cloud; needs says which states op needs, for the error of another.
func (p *Provider) act(ctx context.Context, op, needs, region, id string, fn func(region, id string) (sim.Instance, error)) (err error) {
	defer p.track(op, region, id, p.now(), &err)
	defer p.leave(ctx, op, region, &err)
	if err := p.enter(ctx, op, region); err != nil {
		return err
	}
	if _, err := p.instance(op, region, id); err != nil {
		return err
	}
	_, err = fn(region, id)
	return p.stateError(op, needs, region, id, err)
}

// stateError is simError, saying for an incorrect state what op needs.
func (p *Provider) stateError(op, needs, region, id string, err error) error {
	out := p.simError(op, region, err)
	if e, ok := err.(*sim.Error); ok && e.Class == sim.ClassIncorrectState && e.Resource == sim.KindInstance && e.Reason == "" {
		st := multicloud.StatusUnknown
		if in, gerr := p.cloud.Instance(region, id); gerr == nil {
			st = instanceStatus(in.State)
		}
		me := out.(*multicloud.Error)
		me.Message = fmt.Sprintf("instance %s is %s, %s needs %s", id, st, strings.ToLower(op), needs)
	}
	return out
}

// Start starts a Stopped instance: Starting for TransitionDelay, then
// Running. Any other state is ErrConflict; a missing instance ErrNotFound.
func (p *Provider) Start(ctx context.Context, region, id string) error {
	return p.act(ctx, "Start", "Stopped", region, id, p.cloud.StartInstance)
}

// Stop stops a Running instance: Stopping for TransitionDelay, then
// Stopped. Any other state is ErrConflict; a missing instance ErrNotFound.
// force makes no difference in the fake.
func (p *Provider) Stop(ctx context.Context, region, id string, force bool) error {
	return p.act(ctx, "Stop", "Running", region, id, p.cloud.StopInstance)
}

// Reboot restarts a Running instance: Starting for TransitionDelay, then
// Running. Any other state is ErrConflict; a missing instance ErrNotFound.
// force makes no difference in the fake.
func (p *Provider) Reboot(ctx context.Context, region, id string, force bool) error {
	return p.act(ctx, "Reboot", "Running", region, id, p.cloud.RebootInstance)
}

// Delete deletes an instance and gives its stock back: Deleted for
// TransitionDelay, then gone. Without force only a Stopped instance may
// be deleted; with force a Running, Starting or Stopping one too; a
// Pending one never (ErrConflict, IncorrectInstanceStatus.Initializing),
// as the cloud refuses to delete an instance being initialized. A
// missing instance is ErrNotFound. The elastic address bound to it
// becomes Available and, when this module allocated it (createdBy tag),
// is released through the provisioner, detached from ctx's cancellation
// and bounded by a minute, as the Aliyun provider does; an address that
// could not be released makes Delete return an ErrConflict naming it
// after the instance is gone (not retryable: a retried Delete would find
// no instance and forget the address).
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
	in, err := p.instance(op, region, id)
	if err != nil {
		return err
	}
	var (
		addrID string
		scope  network.Scope
	)
	if in.AddressID != "" {
		if a, err := p.cloud.GetAddress(region, in.AddressID); err == nil && a.Tags[network.TagCreatedBy] == network.CreatedByValue {
			addrID = a.ID
			scope = p.Scope(in.Region, in.Tags[multicloud.TagTenant], in.Tags[multicloud.TagOwner])
		}
	}
	if _, err := p.cloud.DeleteInstance(region, id, sim.DeleteOptions{Force: force}); err != nil {
		needs := "Stopped (or force)"
		if force {
			needs = "Running, Starting, Stopping or Stopped"
		}
		return p.stateError(op, needs, region, id, err)
	}
	p.mu.Lock()
	delete(p.bw, id)
	p.mu.Unlock()
	if addrID == "" {
		return nil
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
