package network

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/multicloud-ecs/multicloud"
)

// maxParallel bounds the address calls of one Launch that run at once.
const maxParallel = 16

// Launch runs one create along the create path's dependency graph:
//
//  1. Ensure(req.Scope, req.Zone), while, when req.Address is not nil,
//     req.Quantity addresses are allocated in the background (tokens
//     derived from req.Token and the index, so a retried create gets the
//     same addresses back, and a token reused by another create gets the
//     first create's; with an empty req.Token allocations are not
//     idempotent); nothing but the binding waits for them;
//  2. beside each other (and the allocation), l.Launch into the network
//     and one AuthorizePorts call with all of req.Ports (it needs only the
//     group);
//  3. for each launched instance concurrently, AssociateAddress, retried
//     while it fails with multicloud.ErrConflict (a just-launched instance
//     cannot take an address at first), polling from Options.PollInterval
//     up to 8 times that, for at most Options.WaitTimeout.
//
// Nothing billable is left behind: when Ensure fails or the launcher
// returns no ID, every allocated address is released and the error is
// returned (the launcher's error unchanged, so a capacity error keeps its
// code for the caller to fail over; Ensure's error as Ensure documents it).
// When the launcher returns k < req.Quantity IDs beside an error, k
// addresses are bound, the rest released, and the result comes back WITH
// the launcher's error. Address and port failures are warnings on the
// instances, not errors: a failed allocation leaves instances without an
// address ("public address not allocated: ..."; the launch proceeds), a
// failed port rule warns every instance ("ports 22,80 not opened: ..."),
// and an association that finally fails warns its instance ("public
// address not bound: ...") and releases the address. What could not be
// released is listed in LaunchResult.Leaked. Cleanup runs even after ctx
// ended, each release bounded by twice Options.WaitTimeout from when it
// starts.
//
// The result is nil only with an error matching
// multicloud.ErrInvalidArgument (l is nil, req.Quantity is negative, or
// zero with an address asked for) or a context that had ended before the
// call; otherwise it is never nil, and with an error its Instances exist
// and its Leaked need attention. A launch that succeeded returns no error
// even if ctx ended while addresses were being bound: those instances
// carry warnings instead. Launch is safe for concurrent use.
func (p *Provisioner) Launch(ctx context.Context, req LaunchRequest, l Launcher) (*LaunchResult, error) {
	if err := checkLaunch(req, l); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, canceled(req.Scope, err)
	}
	scope := p.userScope(req.Scope)
	// Each cleanup gets its own bound from when it starts, detached from
	// ctx: a long launch must not use up the time to release.
	var (
		cleanupMu sync.Mutex
		cancels   []context.CancelFunc
	)
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	cleanupCtx := func() context.Context {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*p.opts.WaitTimeout)
		cleanupMu.Lock()
		cancels = append(cancels, cancel)
		cleanupMu.Unlock()
		return c
	}
	res := &LaunchResult{}

	// (b) addresses, beside everything up to the binding: they depend on
	// nothing and nothing but the binding depends on them.
	var (
		allocErr error
		addrs    []Address
		alloc    errgroup.Group
	)
	if req.Address != nil {
		alloc.Go(func() error {
			addrs, allocErr = p.allocate(ctx, req)
			return nil
		})
	}

	// (a) network.
	var err error
	if res.Network, err = p.Ensure(ctx, scope, req.Zone); err != nil {
		_ = alloc.Wait() // the allocation reports through its variables
		res.Leaked = p.releaseAll(cleanupCtx(), scope, addrs)
		return res, err
	}

	// (c) instances beside (d) port rules.
	var (
		ids                 []string
		launchErr, portsErr error
		g                   errgroup.Group
	)
	g.Go(func() error {
		ids, launchErr = l.Launch(ctx, res.Network)
		return nil
	})
	if len(req.Ports) > 0 {
		g.Go(func() error {
			portsErr = p.retryAfterLaunch(ctx, func() error {
				return p.prims.AuthorizePorts(ctx, scope, res.Network.SecurityGroup.ID, req.Ports)
			})
			return nil
		})
	}
	_ = g.Wait()
	_ = alloc.Wait()
	if errors.Is(launchErr, multicloud.ErrNotFound) || errors.Is(portsErr, multicloud.ErrNotFound) {
		p.Forget(scope) // the cached network may be gone
	}
	if len(ids) == 0 {
		if launchErr == nil {
			launchErr = &multicloud.Error{Op: "Launch", Provider: scope.Provider, Region: scope.Region,
				Code: multicloud.CodeCreateFailed, Message: "launcher returned no instance"}
		}
		res.Leaked = p.releaseAll(cleanupCtx(), scope, addrs)
		return res, launchErr
	}

	// (e) bind addresses; release those left over.
	res.Instances = make([]Launched, len(ids))
	var portsWarning string
	if portsErr != nil {
		portsWarning = fmt.Sprintf("ports %s not opened: %v", portList(req.Ports), portsErr)
	}
	var (
		mu     sync.Mutex
		leaked []string
	)
	leak := func(a Address, err error) {
		mu.Lock()
		leaked = append(leaked, leakNote(a, err))
		mu.Unlock()
	}
	g.SetLimit(maxParallel)
	for i, id := range ids {
		in := &res.Instances[i]
		in.ID = id
		if portsWarning != "" {
			in.Warnings = append(in.Warnings, portsWarning)
		}
		switch {
		case req.Address == nil:
		case i >= len(addrs):
			in.Warnings = append(in.Warnings, fmt.Sprintf("public address not allocated: %v", allocErr))
		default:
			a := addrs[i]
			g.Go(func() error {
				err := p.retryAfterLaunch(ctx, func() error { return p.prims.AssociateAddress(ctx, scope, a.ID, id) })
				if err == nil {
					a.Status, a.InstanceID = StatusInUse, id
					in.Address = &a
					return nil
				}
				in.Warnings = append(in.Warnings, fmt.Sprintf("public address not bound: %v", err))
				if rerr := p.release(cleanupCtx(), scope, a.ID, id); rerr != nil {
					leak(a, rerr)
				}
				return nil
			})
		}
	}
	for _, a := range addrs[min(len(ids), len(addrs)):] {
		g.Go(func() error {
			if err := p.release(cleanupCtx(), scope, a.ID, ""); err != nil {
				leak(a, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	res.Leaked = leaked
	return res, launchErr
}

// ReleaseAddress gives an address back: it unbinds it first when it is
// bound to instanceID, waits out busy states (polling as Launch does, for
// at most Options.WaitTimeout) and releases it. An address that no longer
// exists is not an error, so a provider's Delete can call it again. An
// address bound to another instance than instanceID (any instance, when
// instanceID is empty) is left alone: the error matches
// multicloud.ErrConflict. Other errors wrap the primitive's error with its
// code; when ctx ends, the error matches ctx.Err(). ReleaseAddress is safe
// for concurrent use.
func (p *Provisioner) ReleaseAddress(ctx context.Context, scope Scope, addressID, instanceID string) error {
	if err := p.release(ctx, scope, addressID, instanceID); err != nil {
		if ctx.Err() != nil {
			return canceled(scope, ctx.Err())
		}
		return fmt.Errorf("release address %s: %w", addressID, err)
	}
	return nil
}

// release unbinds the address from instanceID if bound to it, and
// releases it, retrying while the address is busy.
func (p *Provisioner) release(ctx context.Context, scope Scope, addressID, instanceID string) error {
	b := p.backoff()
	for {
		done, err := p.releaseStep(ctx, scope, addressID, instanceID)
		if done {
			return err
		}
		if !settling(err) {
			return err
		}
		if err := b.wait(ctx, err); err != nil {
			return err
		}
	}
}

// releaseStep moves the address one step toward released. It reports done
// when the address is gone or a final error occurred; otherwise err says
// why another step is needed.
func (p *Provisioner) releaseStep(ctx context.Context, scope Scope, addressID, instanceID string) (done bool, err error) {
	a, err := p.prims.GetAddress(ctx, scope, addressID)
	switch {
	case errors.Is(err, multicloud.ErrNotFound):
		return true, nil
	case err != nil:
		return !settling(err), err
	case a.Status == StatusBusy:
		return false, multicloud.Errorf(multicloud.CodeConflict, "address %s is busy", addressID)
	case a.InstanceID != "" && a.InstanceID != instanceID:
		return true, multicloud.Errorf(multicloud.CodeConflict, "address %s is bound to %s, not to %q", addressID, a.InstanceID, instanceID)
	case a.InstanceID != "" || a.Status == StatusInUse:
		if instanceID == "" {
			return true, multicloud.Errorf(multicloud.CodeConflict, "address %s is bound to an unknown instance", addressID)
		}
		err := p.prims.UnassociateAddress(ctx, scope, addressID, instanceID)
		if err == nil {
			err = multicloud.Errorf(multicloud.CodeConflict, "address %s is being unbound", addressID)
		}
		return !settling(err), err
	}
	err = p.prims.ReleaseAddress(ctx, scope, addressID)
	if err == nil || errors.Is(err, multicloud.ErrNotFound) {
		return true, nil
	}
	return !settling(err), err
}

// allocate allocates req.Quantity addresses concurrently. It returns those
// allocated, in index order, and the first error of those that were not.
func (p *Provisioner) allocate(ctx context.Context, req LaunchRequest) ([]Address, error) {
	got := make([]Address, req.Quantity)
	errs := make([]error, req.Quantity)
	var g errgroup.Group
	g.SetLimit(maxParallel)
	for i := range req.Quantity {
		var token string
		if req.Token != "" {
			token = Token(scopeParts(req.Scope, "address", req.Token, strconv.Itoa(i))...)
		}
		g.Go(func() error {
			errs[i] = p.retryAfterLaunch(ctx, func() error {
				var err error
				got[i], err = p.prims.AllocateAddress(ctx, req.Scope, *req.Address, token)
				return err
			})
			return nil
		})
	}
	_ = g.Wait()
	var (
		out   []Address
		first error
	)
	for i, err := range errs {
		switch {
		case err == nil:
			out = append(out, got[i])
		case first == nil:
			first = err
		}
	}
	return out, first
}

// releaseAll releases unbound addresses concurrently and returns what it
// could not release, as LaunchResult.Leaked notes.
func (p *Provisioner) releaseAll(ctx context.Context, scope Scope, addrs []Address) []string {
	notes := make([]string, len(addrs))
	var g errgroup.Group
	g.SetLimit(maxParallel)
	for i, a := range addrs {
		g.Go(func() error {
			if err := p.release(ctx, scope, a.ID, ""); err != nil {
				notes[i] = leakNote(a, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

func leakNote(a Address, err error) string {
	return fmt.Sprintf("address %s (%s): %v", a.ID, a.IP, err)
}

// portList formats rules for a warning: "22,80,8000-8100,53/udp".
func portList(rules []PortRule) string {
	parts := make([]string, 0, len(rules))
	for _, r := range rules {
		s := strconv.Itoa(r.FromPort)
		if r.ToPort > r.FromPort {
			s += "-" + strconv.Itoa(r.ToPort)
		}
		if r.Protocol != "" && !strings.EqualFold(r.Protocol, "tcp") {
			s += "/" + strings.ToLower(r.Protocol)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// checkLaunch validates Launch's input, reporting every problem at once.
func checkLaunch(req LaunchRequest, l Launcher) error {
	var errs []error
	if l == nil {
		errs = append(errs, errors.New("launcher is nil"))
	}
	if req.Quantity < 0 {
		errs = append(errs, fmt.Errorf("quantity %d is negative", req.Quantity))
	}
	if req.Address != nil && req.Quantity == 0 {
		errs = append(errs, errors.New("quantity is 0 but an address per instance is asked for"))
	}
	if len(errs) == 0 {
		return nil
	}
	return &multicloud.Error{Op: "Launch", Provider: req.Scope.Provider, Region: req.Scope.Region,
		Code: multicloud.CodeInvalidArgument, Err: errors.Join(errs...)}
}
