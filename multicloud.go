package multicloud

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/multicloud-ecs/multicloud/pricing"
)

// Options configure a Client. New applies the option functions to a copy
// of the defaults; every field's comment names its default.
type Options struct {
	// Scheduler chooses placements; default FixedScheduler.
	Scheduler Scheduler
	// Logger receives structured logs; default discards them.
	Logger *slog.Logger
	// Retry is the retry policy for provider calls; default DefaultRetryPolicy.
	Retry RetryPolicy
	// WaitForRunning makes CreateInstance return only once every instance
	// is Running (or WaitTimeout passed); default true.
	WaitForRunning bool
	// WaitTimeout bounds the wait for Running in CreateInstance; default 10 minutes.
	WaitTimeout time.Duration
	// PollInterval is the first interval of Wait's polling; it doubles up
	// to 8 times the first; default 2s.
	PollInterval time.Duration
	// QuoteTTL is how long a quote without its own validity is reused;
	// default 5 minutes.
	QuoteTTL time.Duration
	// NetworkIsolation is how users share a region's network when a
	// request does not say; default empty: the provider's own default,
	// IsolateUser unless the provider was configured otherwise.
	NetworkIsolation NetworkIsolation
	// SettleTimeout bounds the work a create does after its caller's
	// context ended: releasing the instances that were created for a
	// caller that is no longer there. Default 2 minutes.
	SettleTimeout time.Duration
}

// ClientOption edits the Options of a Client. Client options are named
// Use*, to tell them from the request options (With*, Add*) that edit a
// CreateInstanceRequest.
type ClientOption func(*Options)

// UseScheduler sets the scheduler.
func UseScheduler(s Scheduler) ClientOption { return func(o *Options) { o.Scheduler = s } }

// UseLogger sets the logger.
func UseLogger(l *slog.Logger) ClientOption { return func(o *Options) { o.Logger = l } }

// UseRetryPolicy sets the retry policy.
func UseRetryPolicy(p RetryPolicy) ClientOption { return func(o *Options) { o.Retry = p } }

// UseSettleTimeout sets Options.SettleTimeout.
func UseSettleTimeout(d time.Duration) ClientOption { return func(o *Options) { o.SettleTimeout = d } }

// UsePollInterval sets the first polling interval of Wait.
func UsePollInterval(d time.Duration) ClientOption { return func(o *Options) { o.PollInterval = d } }

// UseNetworkIsolation sets how users share a region's network for requests
// that do not set CreateInstanceRequest.NetworkIsolation.
func UseNetworkIsolation(i NetworkIsolation) ClientOption {
	return func(o *Options) { o.NetworkIsolation = i }
}

// UseWaitForRunning sets whether CreateInstance waits for Running, and
// for how long at most.
func UseWaitForRunning(wait bool, timeout time.Duration) ClientOption {
	return func(o *Options) { o.WaitForRunning, o.WaitTimeout = wait, timeout }
}

// Client is the portable API: create, price, find and manage instances on
// the providers of its Registry. It is safe for concurrent use. Build one
// with New: the zero Client has no registry and is not usable (its methods
// panic).
type Client struct {
	reg    *Registry
	opts   Options
	log    *slog.Logger
	quotes *pricing.Cache
	plans  planMemo
	quoted atomic.Bool // a Quote remembered a plan by quoteKey
}

// New returns a Client over reg. A nil registry is ErrInvalidArgument.
func New(reg *Registry, opts ...ClientOption) (*Client, error) {
	if reg == nil {
		return nil, &Error{Op: "New", Code: CodeInvalidArgument, Message: "nil registry"}
	}
	o := Options{WaitForRunning: true}
	for _, f := range opts {
		f(&o)
	}
	if o.Scheduler == nil {
		o.Scheduler = FixedScheduler{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Retry = o.Retry.withDefaults()
	if o.Retry.Budget == nil {
		o.Retry.Budget = NewRetryBudget(0)
	}
	if o.SettleTimeout <= 0 {
		o.SettleTimeout = 2 * time.Minute
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 10 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.QuoteTTL <= 0 {
		o.QuoteTTL = 5 * time.Minute
	}
	c := &Client{reg: reg, opts: o, log: o.Logger}
	c.quotes = pricing.NewCache(c.quoteUncached, func(co *pricing.CacheOptions) { co.DefaultTTL = o.QuoteTTL })
	return c, nil
}

// Registry returns the client's registry.
func (c *Client) Registry() *Registry { return c.reg }

// prepared is a request ready to schedule: the portable form, and the
// form the request's own provider sees (its defaults filled), when that
// provider is a RequestValidator.
type prepared struct {
	*CreateInstanceRequest
	own *CreateInstanceRequest // nil when the provider has no rules or is not named
}

// prepare normalizes a copy of req and validates it, together with what
// the scheduler requires and the rules of the provider it names.
func (c *Client) prepare(op string, req *CreateInstanceRequest) (prepared, error) {
	if req == nil {
		return prepared{}, &Error{Op: op, Code: CodeInvalidArgument, Message: "nil request"}
	}
	r := req.Clone()
	r.NetworkIsolation = cmp.Or(r.NetworkIsolation, c.opts.NetworkIsolation)
	r.Normalize()
	var v validator
	v.portable(r)
	if rc, ok := c.opts.Scheduler.(RequestChecker); ok {
		for _, fe := range rc.CheckRequest(r) {
			v.errs = append(v.errs, fe)
		}
	}
	var own *CreateInstanceRequest
	if r.Provider != "" {
		// The provider's own rules, in the same report; a provider that is
		// not registered is the scheduler's to report.
		if prov, err := c.reg.Get(r.Provider); err == nil {
			if rv, ok := prov.(RequestValidator); ok {
				own = r.Clone()
				rv.DefaultRequest(own)
				v.merge(rv.ValidateRequest(own))
			}
		}
	}
	if err := v.err(); err != nil {
		err.(*Error).Op = op
		return prepared{}, err
	}
	return prepared{r, own}, nil
}

// requestFor returns r as the provider of pl is to see it: a copy with
// the provider's defaults filled in and its rules checked when it is a
// RequestValidator, else r itself; for the request's own provider, the
// copy prepare checked. A request the provider refuses is
// ErrInvalidArgument naming the provider and every field.
func (c *Client) requestFor(p prepared, pl Placement) (*CreateInstanceRequest, error) {
	r := p.CreateInstanceRequest
	if p.own != nil && strings.EqualFold(pl.Provider, r.Provider) {
		return p.own, nil
	}
	prov, err := c.reg.Get(pl.Provider)
	if err != nil {
		return nil, err
	}
	rv, ok := prov.(RequestValidator)
	if !ok {
		return r, nil
	}
	pr := r.Clone()
	rv.DefaultRequest(pr)
	if err := ValidationError(rv.ValidateRequest(pr)...); err != nil {
		e := err.(*Error)
		e.Provider, e.Region = prov.Code(), pl.Region
		return nil, e
	}
	return pr, nil
}

// CreateInstance creates req.Quantity instances and returns them. It
// validates the request (ErrInvalidArgument naming every bad field), tags
// everything with the reserved tenant tags, asks the scheduler for
// placements and tries them in order, moving on when one lacks capacity;
// it retries throttling and transient failures with backoff, reusing the
// same idempotency token, so a retry never creates a second set. With
// WaitForRunning it returns once the instances are Running.
//
// When only some instances could be created it returns them together with
// an error saying how many are missing: check the slice even when err is
// not nil. When every placement fails, the error lists each attempt and
// carries the code of the last one (errors.Is(err, ErrNoStock) when all
// were out of stock).
//
// Nothing billable is left behind on cancellation: once ctx ends, whatever
// was created for the call is released (under a context of its own,
// bounded by Options.SettleTimeout) and the error matches ErrCanceled; an
// instance that could not be released is named by ID in that error, and
// is the only case where an instance exists that the caller was not given.
// Providers settle the outcome of a create call that was in flight when
// ctx ended (see Provider.Create), so what they created is known.
func (c *Client) CreateInstance(ctx context.Context, req *CreateInstanceRequest) ([]*Instance, error) {
	const op = "CreateInstance"
	p, err := c.prepare(op, req)
	if err != nil {
		return nil, err
	}
	r := p.CreateInstanceRequest
	log := c.log.With("op", op, "tenant", r.TenantID, "user", r.UserID, "idempotency_key", r.IdempotencyKey)
	placements, err := c.schedule(ctx, op, r)
	if err != nil {
		return nil, err
	}
	tags := maps.Clone(r.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[TagTenant], tags[TagOwner], tags[TagCreatedBy] = r.TenantID, r.UserID, CreatedByValue

	var attempts []error
	var lastErr error
	var last Placement
	for _, pl := range placements {
		// A placement whose provider refuses the request is skipped like
		// one without capacity: another provider may take it.
		pr, err := c.requestFor(p, pl)
		if err == nil {
			err = c.admit(ctx, r, pl)
		}
		if err == nil {
			var insts []*Instance
			insts, err = c.createAt(ctx, pr, pl, tags, log)
			c.observe(r, pl, err)
			if len(insts) > 0 || err == nil {
				return insts, err
			}
		}
		attempts = append(attempts, fmt.Errorf("%s: %w", pl, err))
		lastErr, last = err, pl
		if pr != nil && !IsCapacity(err) || ctx.Err() != nil {
			break
		}
		log.Info("placement failed over", "placement", pl.String(), "err", err)
	}
	if len(attempts) == 1 {
		return nil, wrap(op, last.Provider, last.Region, lastErr)
	}
	return nil, &Error{Op: op, Region: r.Region, Code: CodeOf(lastErr),
		Message: fmt.Sprintf("tried %d of %d placements", len(attempts), len(placements)), Err: errors.Join(attempts...)}
}

func (c *Client) schedule(ctx context.Context, op string, r *CreateInstanceRequest) ([]Placement, error) {
	placements, err := c.opts.Scheduler.Schedule(ctx, r, c.reg)
	if err != nil {
		return nil, wrap(op, r.Provider, r.Region, err)
	}
	if len(placements) == 0 {
		return nil, &Error{Op: op, Region: r.Region, Code: CodeNoPlacement, Message: "scheduler returned no placement"}
	}
	return placements, nil
}

// createAt runs one placement: resolve, quote, create, wait.
func (c *Client) createAt(ctx context.Context, r *CreateInstanceRequest, pl Placement, tags map[string]string, log *slog.Logger) ([]*Instance, error) {
	prov, err := c.reg.Get(pl.Provider)
	if err != nil {
		return nil, err
	}
	plan, token, err := c.resolve(ctx, prov, r, pl)
	if err != nil {
		return nil, err
	}
	// The quote (usually cached after Client.Quote) runs beside the create
	// rather than in front of it: it adds no round trip to the create path.
	var (
		quote *pricing.Quote
		qerr  error
		qdone = make(chan struct{})
	)
	pr := pricingRequest(r, plan)
	if q, ok := c.quotes.Cached(pr); ok {
		quote = q
		close(qdone)
	} else {
		go func() {
			defer close(qdone)
			quote, qerr = c.quotes.Quote(ctx, pr)
		}()
	}
	tags = maps.Clone(tags)
	tags[TagToken] = token
	spec := &CreateSpec{Request: r, Plan: *plan, Tags: tags, Token: token}
	log.Info("creating instances", "plan", plan.Placement.String(), "image", plan.ImageID, "quantity", r.Quantity)
	var insts []*Instance
	err = c.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
		insts, err = prov.Create(ctx, spec)
		if len(insts) > 0 {
			return nonRetryable{err} // never retry once instances exist
		}
		if err != nil && IsRetryable(err) {
			log.Warn("create retried", "plan", plan.Placement.String(), "err", err)
		}
		return err
	})
	if nr, ok := err.(nonRetryable); ok {
		err = nr.err
	}
	<-qdone
	var warnings []string
	if qerr != nil {
		warnings = append(warnings, "price not quoted: "+qerr.Error())
	}
	for _, in := range insts {
		if quote != nil {
			in.Quote = quote
		}
		in.Warnings = append(in.Warnings, warnings...)
	}
	if err != nil && len(insts) > 0 && ctx.Err() == nil {
		missing := r.Quantity - len(insts)
		err = &Error{Op: "CreateInstance", Provider: plan.Provider, Region: plan.Region, Code: CodeOf(err),
			Message: fmt.Sprintf("%d of %d instances not created", missing, r.Quantity), Err: err}
	}
	if len(insts) > 0 && c.opts.WaitForRunning && ctx.Err() == nil {
		if werr := c.waitAll(ctx, insts); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	if ctx.Err() != nil {
		return nil, c.releaseForGone(ctx, prov, plan, insts, log)
	}
	if err == nil {
		log.Info("created instances", "count", len(insts), "plan", plan.Placement.String())
	}
	return insts, err
}

// releaseForGone releases the instances a create made for a caller whose
// context ended, under a context detached from it and bounded by
// Options.SettleTimeout, and returns the create's ErrCanceled error: it
// names every instance that could not be released.
func (c *Client) releaseForGone(ctx context.Context, prov Provider, plan *Plan, insts []*Instance, log *slog.Logger) error {
	const op = "CreateInstance"
	cerr := ctx.Err()
	if len(insts) == 0 {
		return &Error{Op: op, Provider: plan.Provider, Region: plan.Region, Code: CodeCanceled, Err: cerr}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.SettleTimeout)
	defer cancel()
	leaked := c.releaseAll(sctx, prov, insts)
	if len(leaked) == 0 {
		log.Info("released instances of a canceled create", "count", len(insts))
		return &Error{Op: op, Provider: plan.Provider, Region: plan.Region, Code: CodeCanceled,
			Message: fmt.Sprintf("canceled; the %d instances created were released", len(insts)), Err: cerr}
	}
	ids := make([]string, 0, len(leaked))
	var errs []error
	for _, l := range leaked {
		ids = append(ids, l.ID)
		errs = append(errs, l.Err)
	}
	log.Error("instances of a canceled create not released", "instances", ids)
	return &Error{Op: op, Provider: plan.Provider, Region: plan.Region, Code: CodeCanceled,
		Message: fmt.Sprintf("canceled; instances not released, release them: %s", strings.Join(ids, ", ")),
		Err:     errors.Join(cerr, errors.Join(errs...))}
}

// leak is a billable resource that exists and could not be released.
type leak struct {
	ID  string // the resource's ID
	Err error  // why it could not be released
}

// settlePolicy paces releases: they must not be starved by the budget of
// the caller's own calls, and they wait out state conflicts (an instance
// still starting) as well as throttling and server failures, bounded by
// the settle context's time rather than by a count.
var settlePolicy = RetryPolicy{MaxAttempts: 1000, BaseDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond,
	Retryable: func(err error) bool { return IsRetryable(err) || CodeOf(err) == CodeConflict }}

// releaseAll force-deletes insts (at most 8 at once) and returns those
// that could not be deleted. An instance already gone counts as released.
func (c *Client) releaseAll(ctx context.Context, prov Provider, insts []*Instance) []leak {
	var (
		mu     sync.Mutex
		leaked []leak
		wg     sync.WaitGroup
		sem    = make(chan struct{}, 8)
	)
	for _, in := range insts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := settlePolicy.Do(ctx, func(ctx context.Context) error {
				err := prov.Delete(ctx, in.Region, in.ID, true)
				if CodeOf(err) == CodeNotFound {
					return nil
				}
				return err
			})
			if err != nil {
				mu.Lock()
				leaked = append(leaked, leak{ID: in.ID, Err: err})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return leaked
}

// nonRetryable stops RetryPolicy.Do from retrying an error.
type nonRetryable struct{ err error }

func (n nonRetryable) Error() string {
	if n.err == nil {
		return "<nil>"
	}
	return n.err.Error()
}

// merge copies the fresh state of got into in, keeping what only the
// create knows (quote, warnings) and the public address it bound, which a
// provider may not show yet while the binding completes.
func merge(in, got *Instance) {
	prev := *in
	*in = *got
	in.Quote, in.Warnings = prev.Quote, prev.Warnings
	if in.Network.AddressID == "" && prev.Network.AddressID != "" {
		in.Network.AddressID = prev.Network.AddressID
	}
	if in.PublicIP == "" && in.Network.AddressID == prev.Network.AddressID {
		in.PublicIP = prev.PublicIP
		if in.BandwidthMbps == 0 {
			in.BandwidthMode, in.BandwidthMbps = prev.BandwidthMode, prev.BandwidthMbps
		}
	}
}

// Token derives the provider idempotency token of a request at a
// scheduler placement: the same key and placement give the same token, so
// a retry of the same request reaches the same instances, while failing
// over to another placement does not collide with the first. The token
// does not depend on how the provider resolves the placement (zone, type,
// image): if a later retry resolves differently, the provider sees the
// same token with other parameters and refuses it (ErrIdempotencyMismatch)
// instead of creating a second set. It is 64 hex characters.
func Token(idempotencyKey string, p Placement) string {
	h := sha256.New()
	for _, s := range []string{idempotencyKey, strings.ToLower(p.Provider), p.Region, p.Zone, p.InstanceType} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func pricingRequest(r *CreateInstanceRequest, plan *Plan) pricing.Request {
	pr := pricing.Request{
		Provider: plan.Provider, Region: plan.Region, Zone: plan.Zone, InstanceType: plan.InstanceType, ImageID: plan.ImageID,
		ChargeMode: r.InstanceChargeMode, DurationMonths: r.Duration,
		SystemDiskType: r.SystemDiskType, SystemDiskSizeGiB: r.SystemDiskSize, Quantity: r.Quantity,
	}
	if r.AllocatePublicIP {
		pr.BandwidthMode, pr.BandwidthMbps = r.BandwidthMode, r.PublicIPBandwidth
	}
	return pr
}

// wrap returns err as an *Error with op and placement context, once: an
// error that already is an *Error gets the missing context filled in a
// copy, anything else becomes the cause of a new one.
func wrap(op, provider, region string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e == err {
		cp := *e
		if cp.Op == "" {
			cp.Op = op
		} else if cp.Op != op {
			cp.Op = op + ": " + cp.Op
		}
		if cp.Provider == "" {
			cp.Provider = provider
		}
		if cp.Region == "" {
			cp.Region = region
		}
		return &cp
	}
	return &Error{Op: op, Provider: provider, Region: region, Code: CodeOf(err), Err: err}
}
