package multicloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// CheapestOptions configure a CheapestScheduler; zero fields take the
// default in their comment.
type CheapestOptions struct {
	// Cache is the negative cache the scheduler consults and feeds;
	// default a new MemNegativeCache on Now. Share one cache between the
	// schedulers of a process (and, through a database-backed cache,
	// between processes).
	Cache NegativeCache
	// Currency is the currency prices are compared in; default "CNY".
	Currency string
	// Rates converts other currencies into Currency: Rates["USD"] = 7.1
	// says one USD is worth 7.1 of Currency. A price in a currency without
	// a rate is uncomparable: it ranks after every comparable price and is
	// never taken for cheaper than one. Nil: no conversion.
	Rates map[string]float64
	// MaxPlacements is the most placements a decision returns, that is the
	// most create attempts one request makes; default 5.
	MaxPlacements int
	// MaxRegions is the most (provider, region) pairs those placements
	// span; default 3.
	MaxRegions int
	// MaxPriceAge is the age after which a price is stale: stale prices
	// rank after fresh ones; default 24 hours.
	MaxPriceAge time.Duration
	// HealthTTL is how long a provider's health check and region list are
	// reused; default 30 seconds.
	HealthTTL time.Duration
	// StockRetryAfter is how soon a placement the stock probe calls sold
	// out may be asked again (the retry-after of ErrNoStock when it comes
	// first); default 1 minute.
	StockRetryAfter time.Duration
	// ProbeWait is the longest an attempt at a placement whose stock no
	// create has confirmed lately waits for the attempt already under way
	// there (see Admit); default 10 seconds.
	ProbeWait time.Duration
	// Concurrency bounds the Offerings calls of one decision; default 8.
	Concurrency int
	// Now tells the time; default time.Now.
	Now func() time.Time
}

// CheapestScheduler places a request in the cheapest place that has
// stock: it enumerates providers × allowed regions × zones × instance
// types fitting the request (through each provider's Offerer), drops what
// does not fit, lacks the request's image in its region (ImageChecker), is
// sold out (stock probe or negative cache), blocked by quota or
// credentials, or above the request's maximum price, and ranks
// the rest by hourly price in one currency, then ClosedWithStock after
// WithStock, then least excess vCPU and memory. It returns at most
// MaxPlacements placements across at most MaxRegions regions, which is how
// many creates one request may try; when every fitting placement is sold
// out it fails at once with ErrNoStock and a retry-after time (RetryAfter).
//
// The Client reports each attempt's outcome through Observe, which feeds
// the negative cache. A warm decision makes no network call: it reads the
// providers' cached offerings and the cached health checks.
//
// Prices that cost a call per instance type (a spot market) come from the
// provider's TypePricer, asked for the fitting types only.
//
// It is safe for concurrent use. Build it with NewCheapestScheduler.
type CheapestScheduler struct {
	opts CheapestOptions

	health  ttlCalls[error]
	regions ttlCalls[[]string]
	keys    sync.Map // placementMode -> keyed
	probes  probes
}

type placementMode struct {
	Placement
	mode ChargeMode
}

type keyed struct {
	key    StockKey
	family string
}

// NewCheapestScheduler returns a scheduler configured by opts.
func NewCheapestScheduler(opts ...func(*CheapestOptions)) *CheapestScheduler {
	var o CheapestOptions
	for _, f := range opts {
		f(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Cache == nil {
		now := o.Now
		o.Cache = NewMemNegativeCache(func(c *NegativeCacheOptions) { c.Now = now })
	}
	o.Currency = cmp.Or(strings.ToUpper(o.Currency), "CNY")
	if o.MaxPlacements <= 0 {
		o.MaxPlacements = 5
	}
	if o.MaxRegions <= 0 {
		o.MaxRegions = 3
	}
	if o.MaxPriceAge <= 0 {
		o.MaxPriceAge = 24 * time.Hour
	}
	if o.HealthTTL <= 0 {
		o.HealthTTL = 30 * time.Second
	}
	if o.StockRetryAfter <= 0 {
		o.StockRetryAfter = time.Minute
	}
	if o.ProbeWait <= 0 {
		o.ProbeWait = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	return &CheapestScheduler{opts: o}
}

// Cache returns the scheduler's negative cache.
func (s *CheapestScheduler) Cache() NegativeCache { return s.opts.Cache }

// Schedule returns the placements to try, cheapest first. Errors:
// ErrNoStock when fitting placements exist but all are sold out or
// blocked (RetryAfter tells when to come back), ErrNoPlacement when
// nothing fits or every provider is unavailable; both name the rejection
// counts by reason.
func (s *CheapestScheduler) Schedule(ctx context.Context, req *CreateInstanceRequest, reg *Registry) ([]Placement, error) {
	e, err := s.decide(ctx, req, reg, false)
	if err != nil {
		return nil, err
	}
	out := make([]Placement, len(e.Chosen))
	for i, c := range e.Chosen {
		out[i] = c.Placement
	}
	return out, nil
}

// Explain returns the whole decision Schedule would make for req now: the
// chosen placements and every rejected candidate with its reason, regions
// outside the request's included. It returns ErrNoStock or ErrNoPlacement
// as Schedule does, together with the explanation.
func (s *CheapestScheduler) Explain(ctx context.Context, req *CreateInstanceRequest, reg *Registry) (*Explanation, error) {
	return s.decide(ctx, req, reg, true)
}

// Observe records the outcome of a create at pl into the negative cache:
// a success clears the placement's no-stock block, a no-stock starts or
// extends one, a quota error blocks the type's family in the account and
// region, a permission error the provider account. Other errors change
// nothing. Placements the scheduler did not return are ignored.
func (s *CheapestScheduler) Observe(req *CreateInstanceRequest, pl Placement, err error) {
	v, ok := s.keys.Load(placementMode{pl, chargeModeOf(req)})
	if !ok {
		return
	}
	k := v.(keyed)
	defer s.settle(k.key, err == nil)
	switch {
	case err == nil:
		s.opts.Cache.InStock(k.key)
	case CodeOf(err) == CodeNoStock:
		s.opts.Cache.NoStock(k.key)
	case CodeOf(err) == CodeQuotaExceeded:
		s.opts.Cache.QuotaExceeded(k.key.Provider, k.key.Account, k.key.Region, k.family)
	case CodeOf(err) == CodePermissionDenied:
		s.opts.Cache.BadCredentials(k.key.Provider, k.key.Account)
	}
}

func chargeModeOf(req *CreateInstanceRequest) ChargeMode {
	if req == nil || req.InstanceChargeMode == "" {
		return OnDemand
	}
	return req.InstanceChargeMode
}

// source is one (provider, region) to read offerings from.
type source struct {
	prov    Provider
	region  string
	allowed bool
	offers  []OfferingGroup
	err     error
	noImage bool // the provider's ImageChecker says the region lacks the request's image
	// prices are the provider's TypePricer prices of the fitting types, by
	// type and zone; nil keeps the offerings' prices.
	prices map[string]map[string]Price
}

func (s *CheapestScheduler) decide(ctx context.Context, req *CreateInstanceRequest, reg *Registry, full bool) (*Explanation, error) {
	const op = "Schedule"
	if req == nil {
		return nil, &Error{Op: op, Code: CodeInvalidArgument, Message: "nil request"}
	}
	now := s.opts.Now()
	e := &Explanation{At: now, Currency: s.opts.Currency, Require: RequirementsOf(req)}
	mode := chargeModeOf(req)
	cons := req.Constraints
	if cons == nil {
		cons = &Constraints{}
	}
	maxCost := math.Inf(1)
	if cons.MaxHourlyPrice > 0 {
		if r, ok := s.rate(cons.MaxPriceCurrency); ok {
			maxCost = cons.MaxHourlyPrice * r
		} else {
			return nil, &Error{Op: op, Code: CodeInvalidArgument,
				Message: fmt.Sprintf("max price currency %q has no rate to %s", cons.MaxPriceCurrency, s.opts.Currency)}
		}
	}
	reject := func(c Candidate, r Reason, detail string) {
		if !full {
			e.uncounted(r) // Schedule counts rejections; Explain itemizes them
			return
		}
		c.Reason, c.Detail = r, detail
		if c.PriceAge == 0 && c.Price.Known() {
			c.PriceAge = now.Sub(c.Price.AsOf)
		}
		if c.Cost == 0 {
			c.Cost = math.NaN()
		}
		e.Rejected = append(e.Rejected, c)
	}

	var sources []*source
	for _, code := range reg.Codes() {
		prov, err := reg.Get(code)
		if err != nil {
			continue
		}
		whole := Candidate{Offering: Offering{Placement: Placement{Provider: prov.Code()}, ChargeMode: mode}}
		if !providerAllowed(req, cons, prov.Code()) {
			reject(whole, RejectProviderNotAllowed, "")
			continue
		}
		if _, ok := prov.(Offerer); !ok {
			reject(whole, RejectNotOffered, "the provider lists no offerings")
			continue
		}
		if cm, ok := prov.(ChargeModer); ok && !slices.Contains(cm.ChargeModes(), mode) {
			reject(whole, RejectChargeModeUnsupported, "the provider does not sell "+string(mode))
			continue
		}
		if err := s.healthy(ctx, prov); err != nil {
			reject(whole, RejectUnhealthy, err.Error())
			continue
		}
		regions, err := s.regionsOf(ctx, prov, req, cons)
		if err != nil {
			reject(whole, RejectUnhealthy, err.Error())
			continue
		}
		for _, r := range regions {
			ok := regionAllowed(req, cons, r)
			if ok || full {
				sources = append(sources, &source{prov: prov, region: r, allowed: ok})
			} else {
				reject(Candidate{Offering: Offering{Placement: Placement{Provider: prov.Code(), Region: r}, ChargeMode: mode}}, RejectRegionNotAllowed, "")
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	for _, src := range sources {
		s.checkImage(gctx, g, src, req.ImageKey)
		if co, ok := src.prov.(CachedOfferer); ok {
			if src.offers, ok = co.CachedOfferings(src.region, mode); ok {
				continue // warm: no goroutine, no call
			}
		}
		g.Go(func() error {
			src.offers, src.err = src.prov.(Offerer).Offerings(gctx, src.region, mode)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: op, Code: CodeCanceled, Err: err}
	}
	// Prices that cost a call per type (spot markets): only for the types
	// that fit, inline when cached.
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	for _, src := range sources {
		s.priceTypes(gctx, g, src, mode, &e.Require)
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: op, Code: CodeCanceled, Err: err}
	}

	type ranked struct {
		o      *Offering
		cost   float64 // NaN unless tier <= 1
		age    time.Duration
		tier   int // 0 fresh, 1 stale, 2 uncomparable, 3 unknown
		stock  int // 0 WithStock, 1 unknown, 2 ClosedWithStock
		excess float64
	}
	if full {
		n := len(e.Rejected)
		for _, src := range sources {
			for i := range src.offers {
				n += len(src.offers[i].Offers)
			}
		}
		e.Rejected = slices.Grow(e.Rejected, n)
	}
	cand := func(rk ranked) Candidate {
		return Candidate{Offering: *rk.o, Cost: rk.cost, PriceAge: rk.age}
	}
	var eligible []ranked
	var earliest time.Time
	soldOut := 0
	probeOnly := false // some placement is sold out by the stock probe alone
	for _, src := range sources {
		if src.err != nil {
			reject(Candidate{Offering: Offering{Placement: Placement{Provider: src.prov.Code(), Region: src.region}, ChargeMode: mode}},
				RejectUnhealthy, src.err.Error())
			continue
		}
		for gi := range src.offers {
			grp := &src.offers[gi]
			misfit, detail := e.Require.misfit(&grp.Type), ""
			switch {
			case !src.allowed:
				misfit = RejectRegionNotAllowed
			case misfit == "" && src.noImage:
				misfit, detail = RejectImageUnavailable, "no image of "+req.ImageKey+" in "+src.region
			}
			if misfit != "" {
				if full {
					for i := range grp.Offers {
						reject(Candidate{Offering: grp.Offers[i]}, misfit, detail)
					}
				} else {
					e.uncountedN(misfit, len(grp.Offers))
				}
				continue
			}
			excess := e.Require.excess(&grp.Type)
			zonePrices, repriced := src.prices[grp.Type.ID]
			for i := range grp.Offers {
				o := &grp.Offers[i]
				if o.ChargeMode != "" && o.ChargeMode != mode {
					// Offered in another mode than asked: a create would
					// not be billed as the request says.
					reject(Candidate{Offering: *o}, RejectChargeModeUnsupported, "offered as "+string(o.ChargeMode))
					continue
				}
				if repriced {
					oc := *o // the provider's offerings stay untouched
					oc.Price = zonePrices[o.Zone]
					o = &oc
				}
				if b, ok := s.opts.Cache.Blocked(o.Key(), grp.Type.Family); ok {
					inStock := o.Stock == WithStock || o.Stock == ClosedWithStock
					if b.Reason == RejectNoStockCached && inStock && !o.StockAsOf.IsZero() && o.StockAsOf.After(b.Since) {
						// A stock answer newer than the no-stock ends the block.
						s.opts.Cache.InStock(o.Key())
					} else {
						if b.Reason == RejectNoStockCached {
							soldOut++
							if earliest.IsZero() || b.Until.Before(earliest) {
								earliest = b.Until
							}
						}
						c := Candidate{Offering: *o, Until: b.Until}
						reject(c, b.Reason, "until "+b.Until.UTC().Format(time.RFC3339))
						continue
					}
				}
				switch o.Stock {
				case WithoutStock:
					soldOut++
					probeOnly = true
					reject(Candidate{Offering: *o}, RejectNoStock, "stock probe")
					continue
				case ClosedWithoutStock:
					reject(Candidate{Offering: *o}, RejectNotOffered, "")
					continue
				}
				rk := ranked{o: o, cost: math.NaN(), tier: 3, excess: excess}
				switch o.Stock {
				case StockUnknown:
					rk.stock = 1
				case ClosedWithStock:
					rk.stock = 2
				}
				if o.Price.Known() {
					rk.age = now.Sub(o.Price.AsOf)
					if r, ok := s.rate(o.Price.Currency); ok {
						rk.cost, rk.tier = o.Price.Amount*r, 0
						if !o.Price.AsOf.IsZero() && rk.age > s.opts.MaxPriceAge {
							rk.tier = 1
						}
					} else {
						rk.tier = 2
					}
				}
				if !math.IsInf(maxCost, 1) {
					switch {
					case rk.tier == 3:
						reject(cand(rk), RejectPriceUnknown, "a maximum price is set")
						continue
					case rk.tier == 2:
						reject(cand(rk), RejectPriceUncomparable, "no rate from "+o.Price.Currency+" to "+s.opts.Currency)
						continue
					case rk.cost > maxCost:
						reject(cand(rk), RejectAbovePrice, fmt.Sprintf("%.4f > %.4f %s", rk.cost, maxCost, s.opts.Currency))
						continue
					}
				}
				eligible = append(eligible, rk)
			}
		}
	}
	slices.SortFunc(eligible, func(a, b ranked) int {
		if c := cmp.Compare(a.tier, b.tier); c != 0 {
			return c
		}
		if a.tier <= 1 {
			if c := cmp.Compare(a.cost, b.cost); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(a.stock, b.stock), cmp.Compare(a.excess, b.excess),
			strings.Compare(a.o.Provider, b.o.Provider), strings.Compare(a.o.Region, b.o.Region),
			strings.Compare(a.o.Zone, b.o.Zone), strings.Compare(a.o.InstanceType, b.o.InstanceType))
	})
	regions := map[[2]string]bool{}
	for _, rk := range eligible {
		rg := [2]string{rk.o.Provider, rk.o.Region}
		if len(e.Chosen) < s.opts.MaxPlacements && (regions[rg] || len(regions) < s.opts.MaxRegions) {
			regions[rg] = true
			c := cand(rk)
			c.Rank = len(e.Chosen) + 1
			e.Chosen = append(e.Chosen, c)
			pm := placementMode{c.Placement, mode}
			if _, ok := s.keys.Load(pm); !ok {
				s.keys.Store(pm, keyed{c.Key(), c.Type.Family})
			}
			continue
		}
		if !full {
			e.uncounted(RejectOverLimit)
			continue
		}
		switch rk.tier {
		case 1:
			reject(cand(rk), RejectPriceStale, "")
		case 2:
			reject(cand(rk), RejectPriceUncomparable, "no rate from "+rk.o.Price.Currency+" to "+s.opts.Currency)
		case 3:
			reject(cand(rk), RejectPriceUnknown, "")
		default:
			reject(cand(rk), RejectOverLimit, "")
		}
	}
	if len(e.Chosen) > 0 {
		return e, nil
	}
	counts := summary(e)
	if soldOut > 0 {
		if probe := now.Add(s.opts.StockRetryAfter); earliest.IsZero() || probeOnly && probe.Before(earliest) {
			earliest = probe
		}
		return e, &Error{Op: op, Code: CodeNoStock, Region: req.Region,
			Message: "every fitting placement is sold out (" + counts + ")", Err: &RetryAfterError{At: earliest}}
	}
	return e, &Error{Op: op, Code: CodeNoPlacement, Region: req.Region, Message: "no placement fits the request (" + counts + ")"}
}

// checkImage sets src.noImage from the provider's ImageChecker: inline
// from its cache, else in a goroutine of g. An allowed source only, and
// only when the request names an image key; an error leaves noImage false.
func (s *CheapestScheduler) checkImage(ctx context.Context, g *errgroup.Group, src *source, key string) {
	if key == "" || !src.allowed {
		return
	}
	ic, ok := src.prov.(ImageChecker)
	if !ok {
		return
	}
	if cc, ok := src.prov.(CachedImageChecker); ok {
		if avail, known := cc.CachedImageAvailable(src.region, key); known {
			src.noImage = !avail
			return
		}
	}
	g.Go(func() error {
		if avail, err := ic.ImageAvailable(ctx, src.region, key); err == nil {
			src.noImage = !avail
		}
		return nil
	})
}

// priceTypes sets src.prices from the provider's TypePricer for the types
// of src that fit req and have stock somewhere: inline when cached, else in
// a goroutine of g. An error keeps the offerings' prices.
func (s *CheapestScheduler) priceTypes(ctx context.Context, g *errgroup.Group, src *source, mode ChargeMode, req *Requirements) {
	tp, ok := src.prov.(TypePricer)
	if !ok || src.err != nil || !src.allowed || src.noImage {
		return
	}
	var types []string
	for gi := range src.offers {
		grp := &src.offers[gi]
		if req.misfit(&grp.Type) != "" {
			continue
		}
		if slices.ContainsFunc(grp.Offers, func(o Offering) bool { return o.Stock != WithoutStock && o.Stock != ClosedWithoutStock }) {
			types = append(types, grp.Type.ID)
		}
	}
	if len(types) == 0 {
		return
	}
	if p, ok := tp.CachedTypePrices(src.region, mode, types); ok {
		src.prices = p
		return
	}
	g.Go(func() error {
		if p, err := tp.TypePrices(ctx, src.region, mode, types); err == nil {
			src.prices = p
		}
		return nil
	})
}

// summary counts the rejections by reason: "no_stock 3, quota 1".
func summary(e *Explanation) string {
	counts := e.Counts()
	var parts []string
	for _, r := range allReasons {
		if n := counts[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	if len(parts) == 0 {
		return "no candidates"
	}
	return strings.Join(parts, ", ")
}

func (s *CheapestScheduler) rate(currency string) (float64, bool) {
	currency = strings.ToUpper(currency)
	if currency == s.opts.Currency {
		return 1, true
	}
	r, ok := s.opts.Rates[currency]
	return r, ok && r > 0
}

func providerAllowed(req *CreateInstanceRequest, c *Constraints, code string) bool {
	if len(c.Providers) == 0 {
		return req.Provider == "" || strings.EqualFold(req.Provider, code)
	}
	return slices.ContainsFunc(c.Providers, func(p string) bool { return strings.EqualFold(p, code) })
}

func regionAllowed(req *CreateInstanceRequest, c *Constraints, region string) bool {
	if len(c.Regions) == 0 && req.Region == "" {
		return true
	}
	return region == req.Region || slices.Contains(c.Regions, region)
}

// regionsOf returns the regions to read of prov: those it lists (cached
// for HealthTTL), else the request's own.
func (s *CheapestScheduler) regionsOf(ctx context.Context, prov Provider, req *CreateInstanceRequest, c *Constraints) ([]string, error) {
	rl, ok := prov.(RegionLister)
	if !ok {
		out := slices.Clone(c.Regions)
		if req.Region != "" && !slices.Contains(out, req.Region) {
			out = append(out, req.Region)
		}
		return out, nil
	}
	return s.regions.get(ctx, prov.Code(), s.opts.Now, s.opts.HealthTTL, rl.Regions)
}

// healthy runs prov's health check, reusing a result for HealthTTL.
func (s *CheapestScheduler) healthy(ctx context.Context, prov Provider) error {
	hc, ok := prov.(HealthChecker)
	if !ok {
		return nil
	}
	_, err := s.health.get(ctx, prov.Code(), s.opts.Now, s.opts.HealthTTL, func(ctx context.Context) (error, error) {
		return nil, hc.CheckHealth(ctx)
	})
	return err
}

// ttlCalls remembers the result of a call per key for a TTL, with one
// call in flight per key for any number of callers. A call that ends with
// a context error is not remembered.
type ttlCalls[T any] struct {
	mu sync.Mutex
	m  map[string]*ttlCall[T]
}

type ttlCall[T any] struct {
	done chan struct{}
	at   time.Time
	v    T
	err  error
}

func (t *ttlCalls[T]) get(ctx context.Context, key string, now func() time.Time, ttl time.Duration, fn func(context.Context) (T, error)) (T, error) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]*ttlCall[T]{}
	}
	c := t.m[key]
	if c != nil {
		select {
		case <-c.done:
			if now().Sub(c.at) < ttl {
				t.mu.Unlock()
				return c.v, c.err
			}
			c = nil
		default:
		}
	}
	if c != nil {
		t.mu.Unlock()
		select {
		case <-c.done:
			return c.v, c.err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	c = &ttlCall[T]{done: make(chan struct{})}
	t.m[key] = c
	t.mu.Unlock()
	c.v, c.err = fn(ctx)
	c.at = now()
	if ctx.Err() != nil {
		c.at = time.Time{} // not remembered
	}
	close(c.done)
	return c.v, c.err
}

// RetryAfterError is the cause of an ErrNoStock that says when to try
// again: the earliest end of the negative-cache blocks that made every
// fitting placement unavailable.
type RetryAfterError struct {
	At time.Time
}

func (e *RetryAfterError) Error() string {
	return "retry after " + e.At.UTC().Format(time.RFC3339)
}

// RetryAfter returns when err says to try again, if it says so.
func RetryAfter(err error) (time.Time, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.At, true
	}
	return time.Time{}, false
}
