package multicloud

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"time"
)

// Get returns the current state of an instance. A missing instance is
// ErrNotFound.
func (c *Client) Get(ctx context.Context, ref InstanceRef) (*Instance, error) {
	const op = "Get"
	prov, err := c.provider(op, ref)
	if err != nil {
		return nil, err
	}
	var in *Instance
	err = c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
		in, err = prov.Get(ctx, ref.Region, ref.ID)
		return err
	})
	if err != nil {
		return nil, wrap(op, prov.Code(), ref.Region, err)
	}
	return in, nil
}

func (c *Client) provider(op string, ref InstanceRef) (Provider, error) {
	if ref.Provider == "" || ref.Region == "" || ref.ID == "" {
		return nil, &Error{Op: op, Code: CodeInvalidArgument, Message: fmt.Sprintf("incomplete instance reference %q: provider, region and id are required", ref)}
	}
	prov, err := c.reg.Get(ref.Provider)
	if err != nil {
		return nil, wrap(op, ref.Provider, ref.Region, err)
	}
	return prov, nil
}

// Start starts a stopped instance. An instance that is not Stopped is
// ErrConflict; a missing one ErrNotFound.
func (c *Client) Start(ctx context.Context, ref InstanceRef) error {
	return c.act(ctx, "Start", ref, func(ctx context.Context, p Provider) error { return p.Start(ctx, ref.Region, ref.ID) })
}

// ActionOptions are the settings of Stop, Reboot and Delete.
type ActionOptions struct {
	// Force skips the guest's own shutdown (Stop, Reboot) or releases a
	// running instance (Delete).
	Force bool
}

// ActionOption edits the ActionOptions of one Stop, Reboot or Delete call.
type ActionOption func(*ActionOptions)

// Force skips the guest's own shutdown on Stop and Reboot, and lets Delete
// release a running instance.
func Force() ActionOption { return func(o *ActionOptions) { o.Force = true } }

func actionOptions(opts []ActionOption) ActionOptions {
	var o ActionOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Stop stops a running instance; with Force it skips the guest's own
// shutdown. An instance that is not Running is ErrConflict.
func (c *Client) Stop(ctx context.Context, ref InstanceRef, opts ...ActionOption) error {
	o := actionOptions(opts)
	return c.act(ctx, "Stop", ref, func(ctx context.Context, p Provider) error { return p.Stop(ctx, ref.Region, ref.ID, o.Force) })
}

// Reboot restarts a running instance; with Force it skips the guest's own
// shutdown. An instance that is not Running is ErrConflict.
func (c *Client) Reboot(ctx context.Context, ref InstanceRef, opts ...ActionOption) error {
	o := actionOptions(opts)
	return c.act(ctx, "Reboot", ref, func(ctx context.Context, p Provider) error { return p.Reboot(ctx, ref.Region, ref.ID, o.Force) })
}

// Delete releases an instance and the public address that was allocated
// for it. Without Force a running instance is ErrConflict: stop it first.
// Deleting an instance that no longer exists is ErrNotFound.
func (c *Client) Delete(ctx context.Context, ref InstanceRef, opts ...ActionOption) error {
	o := actionOptions(opts)
	return c.act(ctx, "Delete", ref, func(ctx context.Context, p Provider) error { return p.Delete(ctx, ref.Region, ref.ID, o.Force) })
}

func (c *Client) act(ctx context.Context, op string, ref InstanceRef, fn func(context.Context, Provider) error) error {
	prov, err := c.provider(op, ref)
	if err != nil {
		return err
	}
	err = c.opts.Retry.Do(ctx, func(ctx context.Context) error { return fn(ctx, prov) })
	if err != nil {
		return wrap(op, prov.Code(), ref.Region, err)
	}
	c.log.Info("instance "+op, "instance", ref.String())
	return nil
}

// Wait polls an instance until it reaches want, ctx ends or maxWait
// passes, and returns its last state. Waiting for StatusDeleted succeeds
// when the instance is gone. An instance that disappears while waiting for
// another state is ErrNotFound; running out of maxWait is ErrWaitTimeout
// naming the state it was stuck in; ctx ending first is ErrCanceled (and matches
// ctx's error). maxWait <= 0 waits until ctx ends.
func (c *Client) Wait(ctx context.Context, ref InstanceRef, want Status, maxWait time.Duration) (*Instance, error) {
	const op = "Wait"
	prov, err := c.provider(op, ref)
	if err != nil {
		return nil, err
	}
	parent := ctx
	if maxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxWait)
		defer cancel()
	}
	interval := c.opts.PollInterval
	var last *Instance
	for {
		in, err := prov.Get(ctx, ref.Region, ref.ID)
		switch {
		case err == nil:
			last = in
			if in.Status == want {
				return in, nil
			}
		case errors.Is(err, ErrNotFound) && want == StatusDeleted:
			return &Instance{ID: ref.ID, Provider: prov.Code(), Region: ref.Region, Status: StatusDeleted}, nil
		case !IsRetryable(err) && ctx.Err() == nil:
			return last, wrap(op, prov.Code(), ref.Region, err)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			state := StatusUnknown
			if last != nil {
				state = last.Status
			}
			code := CodeWaitTimeout // maxWait ran out
			if parent.Err() != nil {
				code = CodeCanceled // the caller gave up
			}
			return last, &Error{Op: op, Provider: prov.Code(), Region: ref.Region, Code: code,
				Message: fmt.Sprintf("instance %s still %s, not %s", ref.ID, state, want), Err: ctx.Err()}
		case <-t.C:
		}
		interval = min(interval*2, c.opts.PollInterval*8)
	}
}

// ListOptions select instances across providers and regions. Empty fields
// do not filter.
type ListOptions struct {
	Provider string // one provider; empty lists every registered provider
	Region   string // one region; empty lists every region of providers that implement RegionLister
	TenantID string // instances tagged tenantId = TenantID
	UserID   string // instances tagged Owner = UserID
	Status   Status
	Tags     map[string]string // all must match
	PageSize int               // per provider call; providers cap it
}

// List returns an iterator over the instances that match opts, fetching
// pages lazily. The iteration yields a non-nil error, once, for a region
// or provider it could not list, then goes on with the rest; stop early by
// breaking out of the loop.
func (c *Client) List(ctx context.Context, opts ListOptions) iter.Seq2[*Instance, error] {
	return func(yield func(*Instance, error) bool) {
		codes := c.reg.Codes()
		if opts.Provider != "" {
			codes = []string{opts.Provider}
		}
		tags := maps.Clone(opts.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		if opts.TenantID != "" {
			tags[TagTenant] = opts.TenantID
		}
		if opts.UserID != "" {
			tags[TagOwner] = opts.UserID
		}
		for _, code := range codes {
			prov, err := c.reg.Get(code)
			if err != nil {
				if !yield(nil, wrap("List", code, "", err)) {
					return
				}
				continue
			}
			regions := []string{opts.Region}
			if opts.Region == "" {
				rl, ok := prov.(RegionLister)
				if !ok {
					if !yield(nil, &Error{Op: "List", Provider: prov.Code(), Code: CodeInvalidArgument, Message: "region is required: provider cannot list its regions"}) {
						return
					}
					continue
				}
				err := c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
					regions, err = rl.Regions(ctx)
					return err
				})
				if err != nil {
					if !yield(nil, wrap("List", prov.Code(), "", err)) {
						return
					}
					continue
				}
			}
			for _, region := range regions {
				if !c.listRegion(ctx, prov, ListQuery{Region: region, Tags: tags, Status: opts.Status, PageSize: opts.PageSize}, yield) {
					return
				}
			}
		}
	}
}

// listRegion yields every page of one region; it returns false when the
// consumer stopped.
func (c *Client) listRegion(ctx context.Context, prov Provider, q ListQuery, yield func(*Instance, error) bool) bool {
	for {
		var page *InstancePage
		err := c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
			page, err = prov.List(ctx, q)
			return err
		})
		if err != nil {
			return yield(nil, wrap("List", prov.Code(), q.Region, err))
		}
		for _, in := range page.Instances {
			if !yield(in, nil) {
				return false
			}
		}
		if page.NextToken == "" {
			return true
		}
		q.PageToken = page.NextToken
	}
}
