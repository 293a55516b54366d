package multicloud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// OrphanKind is the kind of a resource Sweep found.
type OrphanKind string

// The kinds Sweep finds, in the order it releases them.
const (
	OrphanInstance      OrphanKind = "INSTANCE"       // an instance the caller does not know
	OrphanAddress       OrphanKind = "ADDRESS"        // an elastic IP bound to nothing
	OrphanSecurityGroup OrphanKind = "SECURITY_GROUP" // the group of a user with no instance
	OrphanVPC           OrphanKind = "VPC"            // the VPC (and its switches) of a user with no instance
)

// Orphan is one resource the library created that Sweep found unused.
type Orphan struct {
	Kind     OrphanKind `json:"kind"`
	ID       string     `json:"id"`
	Provider string     `json:"provider"`
	Region   string     `json:"region"`
	TenantID string     `json:"tenantId,omitempty"`
	UserID   string     `json:"userId,omitempty"`
	// CreatedAt is when the resource was created; zero when the provider
	// does not say (such a resource is never within the grace period).
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// Reason says why the resource is an orphan.
	Reason string `json:"reason"`
	// Instance is the instance, for OrphanInstance.
	Instance *Instance `json:"instance,omitempty"`
	// Released is true once Sweep released it.
	Released bool `json:"released,omitempty"`
	// Err is why it could not be released; nil otherwise.
	Err error `json:"-"`
}

// SweepQuery is what a provider's Sweeper is asked for, in one region.
type SweepQuery struct {
	Region string
	// Networks asks for the VPCs and security groups of users that have
	// no instance left.
	Networks bool
}

// Sweeper is an optional Provider capability: it finds, in one region,
// what the library created (by its reserved tags, or by the names it gives
// where a resource is created without tags) that may be unused, and
// releases it. Implementations must be safe for concurrent use.
type Sweeper interface {
	// Orphans returns the candidates of q.Region: every instance that
	// carries the library's createdBy tag (Instance set; the Client keeps
	// those its caller does not know), every elastic IP of the library
	// bound to nothing, and with q.Networks the security groups and VPCs
	// of the library whose owner has no instance in the region.
	Orphans(ctx context.Context, q SweepQuery) ([]Orphan, error)
	// Release releases one orphan that Orphans returned: an instance is
	// force-deleted with its address, a VPC with its switches. A resource
	// already gone is not an error.
	Release(ctx context.Context, o Orphan) error
}

// SweepOptions say what Sweep looks for and whether it releases it.
type SweepOptions struct {
	// Provider limits the sweep to one provider; empty sweeps every
	// registered provider that implements Sweeper.
	Provider string
	// Region limits the sweep to one region; empty sweeps every region of
	// providers that implement RegionLister.
	Region string
	// DryRun lists what would be released without releasing anything.
	DryRun bool
	// GracePeriod leaves alone what is younger: a create in flight may
	// still bind the address or return the instance. Default 15 minutes.
	GracePeriod time.Duration
	// KnownInstance reports whether the caller's own records know an
	// instance (e.g. its ID is in the orders table). With it, instances
	// that carry the library's tags and are not known are orphans; nil
	// sweeps no instance.
	KnownInstance func(*Instance) bool
	// Networks also sweeps the security groups and VPCs of users with no
	// instance.
	Networks bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// DefaultSweepGracePeriod is the default of SweepOptions.GracePeriod.
const DefaultSweepGracePeriod = 15 * time.Minute

// Sweep finds what the library created and nothing uses, and releases it
// unless opts.DryRun: unbound elastic IPs past the grace period, instances
// with the library's tags that opts.KnownInstance does not know, and with
// opts.Networks the security groups and VPCs of users with no instance.
// It returns every orphan found, with Released or Err set, in release
// order (instances, addresses, groups, VPCs). Providers that do not
// implement Sweeper are skipped, or are ErrInvalidArgument when named in
// opts.Provider. Errors listing a region or releasing an orphan are joined
// in the returned error beside the orphans; a cancelled ctx is
// ErrCanceled. Sweep is safe for concurrent use, though two sweeps of the
// same region race to release the same orphans.
func (c *Client) Sweep(ctx context.Context, opts SweepOptions) ([]Orphan, error) {
	const op = "Sweep"
	if opts.GracePeriod <= 0 {
		opts.GracePeriod = DefaultSweepGracePeriod
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	codes := c.reg.Codes()
	if opts.Provider != "" {
		codes = []string{opts.Provider}
	}
	var (
		found []Orphan
		errs  []error
	)
	for _, code := range codes {
		prov, err := c.reg.Get(code)
		if err != nil {
			return nil, wrap(op, code, "", err)
		}
		sw, ok := prov.(Sweeper)
		if !ok {
			if opts.Provider != "" {
				return nil, &Error{Op: op, Provider: prov.Code(), Code: CodeInvalidArgument, Message: "provider cannot sweep"}
			}
			continue
		}
		regions := []string{opts.Region}
		if opts.Region == "" {
			rl, ok := prov.(RegionLister)
			if !ok {
				errs = append(errs, &Error{Op: op, Provider: prov.Code(), Code: CodeInvalidArgument, Message: "region is required: provider cannot list its regions"})
				continue
			}
			err := c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
				regions, err = rl.Regions(ctx)
				return err
			})
			if err != nil {
				errs = append(errs, wrap(op, prov.Code(), "", err))
				continue
			}
		}
		for _, region := range regions {
			var cands []Orphan
			err := c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
				cands, err = sw.Orphans(ctx, SweepQuery{Region: region, Networks: opts.Networks})
				return err
			})
			if err != nil {
				errs = append(errs, wrap(op, prov.Code(), region, err))
				continue
			}
			orphans := c.keepOrphans(cands, opts)
			if !opts.DryRun {
				c.release(ctx, sw, orphans)
			}
			for _, o := range orphans {
				if o.Err != nil {
					errs = append(errs, fmt.Errorf("%s %s: %w", o.Kind, o.ID, o.Err))
				}
			}
			found = append(found, orphans...)
		}
	}
	if err := ctx.Err(); err != nil {
		return found, &Error{Op: op, Code: CodeCanceled, Err: err}
	}
	if len(errs) > 0 {
		return found, &Error{Op: op, Code: CodeOf(errs[0]), Message: fmt.Sprintf("%d problems", len(errs)), Err: errors.Join(errs...)}
	}
	return found, nil
}

// kindOrder is the release order: what uses a resource goes first.
var kindOrder = []OrphanKind{OrphanInstance, OrphanAddress, OrphanSecurityGroup, OrphanVPC}

// keepOrphans applies the grace period and the caller's predicate, and
// sorts what is left into release order.
func (c *Client) keepOrphans(cands []Orphan, opts SweepOptions) []Orphan {
	now := opts.Now()
	var out []Orphan
	for _, o := range cands {
		if !o.CreatedAt.IsZero() && now.Sub(o.CreatedAt) < opts.GracePeriod {
			continue
		}
		if o.Kind == OrphanInstance {
			if opts.KnownInstance == nil || o.Instance == nil || opts.KnownInstance(o.Instance) {
				continue
			}
			if o.Reason == "" {
				o.Reason = "tagged createdBy=" + CreatedByValue + " and not known to the caller"
			}
		}
		out = append(out, o)
	}
	slices.SortStableFunc(out, func(a, b Orphan) int { return slices.Index(kindOrder, a.Kind) - slices.Index(kindOrder, b.Kind) })
	return out
}

// release releases orphans in order, each with the Client's retries;
// state conflicts (an address still unbinding from an instance just
// deleted) are waited out too.
func (c *Client) release(ctx context.Context, sw Sweeper, orphans []Orphan) {
	pol := c.opts.Retry
	pol.Retryable = func(err error) bool { return IsRetryable(err) || CodeOf(err) == CodeConflict }
	for i := range orphans {
		o := &orphans[i]
		o.Err = pol.Do(ctx, func(ctx context.Context) error { return sw.Release(ctx, *o) })
		if o.Err == nil {
			o.Released = true
			c.log.Info("swept", "kind", string(o.Kind), "id", o.ID, "provider", o.Provider, "region", o.Region, "reason", o.Reason)
		}
	}
}
