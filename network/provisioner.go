package network

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/multicloud-ecs/multicloud"
)

// The defaults of Options.
const (
	DefaultBaseCIDR        = "172.16.0.0/12"
	DefaultVPCPrefixLen    = 16
	DefaultSwitchPrefixLen = 24
	DefaultCacheTTL        = 10 * time.Minute
	DefaultPollInterval    = 500 * time.Millisecond
	DefaultWaitTimeout     = 3 * time.Minute
)

// Provisioner runs the network flow over a provider's Primitives: it finds
// or creates a user's VPC, switches and security group, allocates and
// binds public addresses, and opens ports, with concurrent identical work
// collapsed into one call and each user's network cached.
//
// A Provisioner is safe for concurrent use; a provider keeps one for its
// lifetime. Its zero value is not usable: build one with NewProvisioner.
type Provisioner struct {
	prims Primitives
	opts  Options

	flight singleflight.Group

	mu       sync.Mutex
	cache    map[Scope]*entry
	switchMu map[Scope]chan struct{} // one switch planned and created at a time per scope
}

// entry is the cached network of one scope.
type entry struct {
	vpc      VPC
	group    SecurityGroup // zero until found or created
	switches map[string]Switch
	// listed says switches holds every switch of the VPC: true once they
	// were listed, and for a VPC this Provisioner created (it starts with
	// none), which saves a ListSwitches round trip on a cold create.
	listed  bool
	created bool // the VPC was created here, so it has no group yet
	expires time.Time
}

// NewProvisioner returns a Provisioner over p, with Options edited by
// opts in order; fields left zero take their defaults. Invalid options
// (a bad BaseCIDR or prefix length) are reported by the first Ensure, as
// an error matching multicloud.ErrInvalidArgument.
func NewProvisioner(p Primitives, opts ...func(*Options)) *Provisioner {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if o.BaseCIDR == "" {
		o.BaseCIDR = DefaultBaseCIDR
	}
	if o.VPCPrefixLen == 0 {
		o.VPCPrefixLen = DefaultVPCPrefixLen
	}
	if o.SwitchPrefixLen == 0 {
		o.SwitchPrefixLen = DefaultSwitchPrefixLen
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Isolation == "" {
		o.Isolation = IsolateUser
	}
	return &Provisioner{
		prims:    p,
		opts:     o,
		cache:    make(map[Scope]*entry),
		switchMu: make(map[Scope]chan struct{}),
	}
}

// Ensure returns scope's network in zone. The VPC tagged Owner =
// scope.Owner is found (FindVPC) or created with a block from PlanVPC and
// waited for until Available; then, concurrently, the VPC's switch in zone
// is found (ListSwitches) or created with a block from PlanSwitch, and the
// scope's security group is found or created. Every create carries a token
// from Token, so a retried Ensure never makes a second resource.
//
// Concurrent calls for the same scope and zone share one operation; the
// VPC and group of a scope are shared across zones; different Owners never
// share. The result is cached per scope for Options.CacheTTL, so a warm
// Ensure calls no primitive at all. A shared operation runs under the
// context of the caller that started it; a caller whose context ends
// returns at once, and a caller left waiting on an operation whose starter
// left runs it again itself.
//
// Errors are *multicloud.Error values wrapping the primitive's error (so
// errors.Is and errors.As reach it): with Code multicloud.CodeNetwork,
// except a quota failure (including a VPC with no free switch block),
// which keeps multicloud.CodeQuotaExceeded so that a scheduler can fail
// over. When ctx ends, the error matches ctx.Err() and
// multicloud.ErrCanceled. A not-found from a cached VPC drops the cache
// entry and the flow runs once more uncached.
func (p *Provisioner) Ensure(ctx context.Context, scope Scope, zone string) (Network, error) {
	scope = p.userScope(scope)
	if err := ctx.Err(); err != nil {
		return Network{}, canceled(scope, err)
	}
	if n, ok := p.cachedNetwork(scope, zone); ok {
		return n, nil
	}
	n, err := share(ctx, &p.flight, flightKey(scope, "zone", zone), func(ctx context.Context) (Network, error) {
		return p.ensure(ctx, scope, zone)
	})
	if err != nil {
		if ctx.Err() != nil {
			return Network{}, canceled(scope, ctx.Err())
		}
		return Network{}, err
	}
	return n, nil
}

// Forget drops the cached network of scope, so that the next Ensure looks
// it up again (for instance after its VPC was deleted). Forgetting a scope
// that is not cached does nothing. Forget is safe for concurrent use.
func (p *Provisioner) Forget(scope Scope) {
	scope = p.userScope(scope)
	p.mu.Lock()
	delete(p.cache, scope)
	p.mu.Unlock()
}

// userScope returns scope with its isolation filled from the options.
func (p *Provisioner) userScope(scope Scope) Scope {
	if scope.Isolation == "" {
		scope.Isolation = p.opts.Isolation
	}
	return scope
}

// ensure runs the flow for one scope and zone, from the cache where it
// can, once more uncached when a cached VPC turned out to be gone.
func (p *Provisioner) ensure(ctx context.Context, scope Scope, zone string) (Network, error) {
	e, cached := p.cachedEntry(scope)
	n, err := p.ensureFrom(ctx, scope, zone, e, cached)
	if err != nil && cached && errors.Is(err, multicloud.ErrNotFound) && ctx.Err() == nil {
		p.Forget(scope)
		n, err = p.ensureFrom(ctx, scope, zone, entry{}, false)
	}
	return n, err
}

func (p *Provisioner) ensureFrom(ctx context.Context, scope Scope, zone string, e entry, cached bool) (Network, error) {
	vpc := e.vpc
	if !cached {
		var err error
		vpc, err = share(ctx, &p.flight, flightKey(scope.vpcScope(), "vpc"), func(ctx context.Context) (VPC, error) {
			return p.ensureVPC(ctx, scope)
		})
		if err != nil {
			return Network{}, err
		}
	}
	var (
		sw Switch
		sg = e.group
		g  errgroup.Group
	)
	g.Go(func() error {
		var err error
		sw, err = p.ensureSwitch(ctx, scope, vpc, zone)
		return err
	})
	if sg.ID == "" {
		fresh, _ := p.cachedEntry(scope)
		g.Go(func() error {
			var err error
			sg, err = share(ctx, &p.flight, flightKey(scope, "group", vpc.ID), func(ctx context.Context) (SecurityGroup, error) {
				return p.ensureGroup(ctx, scope, vpc, fresh.vpc.ID == vpc.ID && fresh.created)
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Network{}, err
	}
	return Network{VPC: vpc, Switch: sw, SecurityGroup: sg}, nil
}

// ensureVPC finds or creates the VPC of user scope (the user's own, the
// tenant's or the account's, by its isolation), waits until it is
// Available, runs the provider's VPCPreparer steps, and caches it.
func (p *Provisioner) ensureVPC(ctx context.Context, scope Scope) (VPC, error) {
	vs := scope.vpcScope()
	var vpc VPC
	err := p.retry(ctx, func() error {
		var err error
		vpc, err = p.prims.FindVPC(ctx, vs)
		return err
	})
	created := false
	switch {
	case errors.Is(err, multicloud.ErrNotFound):
		created = true
		cidr, err := PlanVPC(p.opts.BaseCIDR, p.opts.VPCPrefixLen, vpcPlanKey(vs))
		if err != nil {
			return VPC{}, p.fail(ctx, scope, "plan vpc", err)
		}
		err = p.retry(ctx, func() error {
			var err error
			vpc, err = p.prims.CreateVPC(ctx, vs, cidr, Token(scopeParts(vs, "vpc")...))
			return err
		})
		if errors.Is(err, multicloud.ErrQuotaExceeded) {
			return VPC{}, p.fail(ctx, scope, quotaStep(scope.Isolation, cidr), err)
		}
		if err != nil {
			return VPC{}, p.fail(ctx, scope, "create vpc "+cidr, err)
		}
	case err != nil:
		return VPC{}, p.fail(ctx, scope, "find vpc", err)
	}
	if vpc.Status != StatusAvailable {
		id := vpc.ID
		var err error
		if vpc, err = p.waitVPC(ctx, vs, id); err != nil {
			return VPC{}, p.fail(ctx, scope, "wait for vpc "+id, err)
		}
	}
	if prep, ok := p.prims.(VPCPreparer); ok {
		err := p.retry(ctx, func() error { return prep.PrepareVPC(ctx, vs, vpc, Token(scopeParts(vs, "prepare", vpc.ID)...)) })
		if err != nil {
			return VPC{}, p.fail(ctx, scope, "prepare vpc "+vpc.ID, err)
		}
	}
	own := vs == scope // the VPC is the user's alone
	p.update(scope, vpc, func(e *entry) {
		if own && created && len(e.switches) == 0 {
			e.listed, e.created = true, true
		}
	})
	return vpc, nil
}

// quotaStep is the step of a VPC create that met the region's VPC quota:
// it names the isolation in force and the ones that need fewer VPCs.
func quotaStep(iso Isolation, cidr string) string {
	switch iso {
	case IsolateUser:
		return "create vpc " + cidr + ": the region's vpc quota is reached under network isolation \"user\" (a vpc per user); isolation \"tenant\" or \"shared\" serves more users per vpc"
	case IsolateTenant:
		return "create vpc " + cidr + ": the region's vpc quota is reached under network isolation \"tenant\" (a vpc per tenant); isolation \"shared\" uses one vpc for all"
	}
	return "create vpc " + cidr + ": the region's vpc quota is reached under network isolation \"" + string(iso) + "\" (one vpc per account)"
}

// vpcPlanKey is what PlanVPC hashes for the VPC of shared or user scope
// vs: the owner for a user's VPC, as it always was.
func vpcPlanKey(vs Scope) string {
	if !vs.shared() {
		return vs.Owner
	}
	return string(vs.Isolation) + "\x00" + vs.Tenant
}

// waitVPC polls the VPC until it is Available, for at most
// Options.WaitTimeout.
func (p *Provisioner) waitVPC(ctx context.Context, scope Scope, id string) (VPC, error) {
	b := p.backoff()
	for {
		vpc, err := p.prims.GetVPC(ctx, scope, id)
		switch {
		case err == nil && vpc.Status == StatusAvailable:
			return vpc, nil
		case err == nil:
			err = multicloud.Errorf(multicloud.CodeConflict, "vpc %s is %s", id, vpc.Status)
		case !transient(err):
			return VPC{}, err
		}
		if err := b.wait(ctx, err); err != nil {
			return VPC{}, err
		}
	}
}

// ensureSwitch finds the VPC's switch in zone or creates one in a free
// block. Switches of a scope are planned one at a time, so that two zones
// never pick the same block.
func (p *Provisioner) ensureSwitch(ctx context.Context, scope Scope, vpc VPC, zone string) (Switch, error) {
	if e, ok := p.cachedEntry(scope); ok && e.vpc.ID == vpc.ID {
		if sw, ok := e.switches[zone]; ok {
			return sw, nil
		}
	}
	unlock, err := p.lockSwitches(ctx, scope.vpcScope())
	if err != nil {
		return Switch{}, err
	}
	defer unlock()
	if e, ok := p.cachedEntry(scope); ok && e.vpc.ID == vpc.ID && e.listed && scope.vpcScope() == scope {
		if sw, ok := e.switches[zone]; ok {
			return sw, nil
		}
		// Every switch of the VPC is known: plan without listing. Another
		// process may still have added one since; then the create fails
		// and the flow lists and plans again.
		known := make([]Switch, 0, len(e.switches))
		for _, s := range e.switches {
			known = append(known, s)
		}
		if sw, err := p.createSwitch(ctx, scope, vpc, zone, known); err == nil || ctx.Err() != nil {
			return sw, err
		}
	}
	var list []Switch
	err = p.retry(ctx, func() error {
		var err error
		list, err = p.prims.ListSwitches(ctx, scope.vpcScope(), vpc.ID)
		return err
	})
	if err != nil {
		return Switch{}, p.fail(ctx, scope, "list switches of "+vpc.ID, err)
	}
	return p.createSwitch(ctx, scope, vpc, zone, list)
}

// createSwitch returns the user's switch of zone in list, or creates one
// in a block free of list's, and caches the user's switches of list with
// it. The switches of a user are all of the VPC's under IsolateUser and
// IsolateShared, and those tagged for the user under IsolateTenant. The
// caller holds the VPC's switch lock.
func (p *Provisioner) createSwitch(ctx context.Context, scope Scope, vpc VPC, zone string, list []Switch) (Switch, error) {
	ss := scope.switchScope()
	byZone := make(map[string]Switch)
	used := make([]string, 0, len(list))
	for _, s := range list {
		used = append(used, s.CIDR)
		if scope.Isolation == IsolateTenant && !ss.Match(s.Tags) {
			continue // another user's
		}
		if _, ok := byZone[s.Zone]; !ok {
			byZone[s.Zone] = s
		}
	}
	sw, ok := byZone[zone]
	if !ok {
		cidr, err := PlanSwitch(vpc.CIDR, p.opts.SwitchPrefixLen, used, zone)
		if err != nil {
			return Switch{}, p.fail(ctx, scope, "plan switch in "+zone, err)
		}
		err = p.retry(ctx, func() error {
			var err error
			sw, err = p.prims.CreateSwitch(ctx, ss, vpc.ID, zone, cidr, Token(scopeParts(ss, "switch", vpc.ID, zone)...))
			return err
		})
		if err != nil {
			return Switch{}, p.fail(ctx, scope, "create switch "+cidr+" in "+zone, err)
		}
		byZone[zone] = sw
	}
	p.update(scope, vpc, func(e *entry) {
		for z, s := range byZone {
			e.switches[z] = s
		}
		e.listed = true
	})
	return sw, nil
}

// lockSwitches takes the switch lock of a VPC's scope, or fails when ctx ends
// first. The returned function releases it.
func (p *Provisioner) lockSwitches(ctx context.Context, scope Scope) (func(), error) {
	p.mu.Lock()
	ch, ok := p.switchMu[scope]
	if !ok {
		ch = make(chan struct{}, 1)
		p.switchMu[scope] = ch
	}
	p.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ensureGroup finds or creates the scope's security group in the VPC and
// caches it.
//
// A VPC created by this Provisioner has no group yet, so for it the find is
// skipped: the create's token still makes a concurrent create by another
// process return the same group.
func (p *Provisioner) ensureGroup(ctx context.Context, scope Scope, vpc VPC, fresh bool) (SecurityGroup, error) {
	var sg SecurityGroup
	var err error = multicloud.ErrNotFound
	if !fresh {
		err = p.retry(ctx, func() error {
			var err error
			sg, err = p.prims.FindSecurityGroup(ctx, scope, vpc.ID)
			return err
		})
	}
	switch {
	case errors.Is(err, multicloud.ErrNotFound):
		err = p.retry(ctx, func() error {
			var err error
			sg, err = p.prims.CreateSecurityGroup(ctx, scope, vpc.ID, Token(scopeParts(scope, "group", vpc.ID)...))
			return err
		})
		if err != nil {
			return SecurityGroup{}, p.fail(ctx, scope, "create security group in "+vpc.ID, err)
		}
	case err != nil:
		return SecurityGroup{}, p.fail(ctx, scope, "find security group in "+vpc.ID, err)
	}
	p.update(scope, vpc, func(e *entry) { e.group = sg })
	return sg, nil
}

// cachedNetwork returns the cached network of scope in zone, if complete
// and fresh.
func (p *Provisioner) cachedNetwork(scope Scope, zone string) (Network, bool) {
	e, ok := p.cachedEntry(scope)
	if !ok || e.group.ID == "" {
		return Network{}, false
	}
	sw, ok := e.switches[zone]
	if !ok {
		return Network{}, false
	}
	return Network{VPC: e.vpc, Switch: sw, SecurityGroup: e.group}, true
}

// cachedEntry returns a copy of scope's fresh cache entry; an expired one
// is dropped.
func (p *Provisioner) cachedEntry(scope Scope) (entry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.cache[scope]
	if !ok {
		return entry{}, false
	}
	if !p.opts.Now().Before(e.expires) {
		delete(p.cache, scope)
		return entry{}, false
	}
	c := *e
	c.switches = make(map[string]Switch, len(e.switches))
	for z, s := range e.switches {
		c.switches[z] = s
	}
	return c, true
}

// update applies f to scope's cache entry for vpc, starting a fresh entry
// when there is none or it holds another VPC.
func (p *Provisioner) update(scope Scope, vpc VPC, f func(*entry)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.cache[scope]
	if !ok || e.vpc.ID != vpc.ID || !p.opts.Now().Before(e.expires) {
		e = &entry{vpc: vpc, switches: make(map[string]Switch), expires: p.opts.Now().Add(p.opts.CacheTTL)}
		p.cache[scope] = e
	}
	f(e)
}

// flightKey is the singleflight key of one step for scope.
func flightKey(scope Scope, step ...string) string {
	b := strconv.AppendQuote(nil, string(scope.Isolation))
	for _, s := range scopeParts(scope, step...) {
		b = strconv.AppendQuote(b, s)
	}
	return string(b)
}

// scopeParts returns scope's fields followed by more, for keys and tokens.
// A user's scope gives the same parts under every isolation, so that its
// tokens do not change with it; a shared scope adds its isolation.
func scopeParts(scope Scope, more ...string) []string {
	parts := []string{scope.Provider, scope.Account, scope.Region, scope.Tenant, scope.Owner}
	if scope.shared() {
		parts = append(parts, "isolation="+string(scope.Isolation))
	}
	return append(parts, more...)
}

// errLeft is what a shared operation returns when the caller that started
// it left (its context ended): the callers waiting on it run it again.
var errLeft = errors.New("the caller running the shared operation left")

// share runs fn once for all concurrent callers with the same key. fn runs
// under the starting caller's context; a caller returns when its own ctx
// ends, and a waiting caller whose starter left runs fn again.
func share[T any](ctx context.Context, g *singleflight.Group, key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for {
		ch := g.DoChan(key, func() (any, error) {
			v, err := fn(ctx)
			if err != nil && ctx.Err() != nil {
				return nil, errLeft
			}
			return v, err
		})
		select {
		case <-ctx.Done():
			return zero, ctx.Err()
		case r := <-ch:
			if r.Err == nil {
				return r.Val.(T), nil
			}
			if errors.Is(r.Err, errLeft) {
				if ctx.Err() != nil {
					return zero, ctx.Err()
				}
				continue
			}
			return zero, r.Err
		}
	}
}
