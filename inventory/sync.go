package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"golang.org/x/sync/errgroup"
)

// callFunc returns the CallFunc of one (account, region): the adaptive
// rate limit of each (account, region, action), the account's optional
// cap, the retry policy, and a counter of attempts (may be nil). Region
// is "" for calls outside a region (the region list).
func (s *Service) callFunc(account, region string, calls *atomic.Int64) CallFunc {
	capLim := s.limits.accountCap(account)
	return func(ctx context.Context, api string, call func(context.Context) error) error {
		lim := s.limits.bucket(bucketKey{account, region, api})
		p := s.opts.Retry
		attempt := 0
		retryable := p.Retryable
		if retryable == nil {
			retryable = multicloud.IsRetryable
		}
		p.Retryable = func(err error) bool {
			ok := retryable(err)
			if ok {
				s.log.DebugContext(ctx, "retrying api call", "api", api, "region", region, "attempt", attempt, "error", err)
			}
			return ok
		}
		return p.Do(ctx, func(ctx context.Context) error {
			attempt++
			if err := lim.Wait(ctx); err != nil {
				return multicloud.Errorf(multicloud.CodeCanceled, "%s: wait for rate limiter: %w", api, err)
			}
			if capLim != nil {
				if err := capLim.Wait(ctx); err != nil {
					return multicloud.Errorf(multicloud.CodeCanceled, "%s: wait for account rate limit: %w", api, err)
				}
			}
			if calls != nil {
				calls.Add(1)
			}
			err := call(ctx)
			lim.observe(errors.Is(err, multicloud.ErrThrottled))
			return err
		})
	}
}

// SyncMode says how a sync reads the cloud and whether it reconciles
// deletions.
type SyncMode string

const (
	// SyncFull lists every scope and, for each listing that completed,
	// marks the stored assets it did not see as deleted.
	SyncFull SyncMode = "full"
	// SyncIncremental reads, per scope, only what the provider's change
	// feed (ChangeLister) reports since the scope's cursor, overlapping
	// the previous window by the feed's delivery delay, and marks the
	// assets the feed shows gone as deleted. A scope runs a full sync
	// instead when the discoverer has no feed, the store keeps no
	// cursors (IncrementalStore), the scope has no cursor or one older
	// than the feed's retention, its last full sync is older than
	// Options.FullSyncEvery, or the account may not read the feed; its
	// ScopeReport says which mode ran and why.
	SyncIncremental SyncMode = "incremental"
	// SyncRefresh lists the scopes and writes new, changed and
	// reappeared assets but marks nothing deleted: use it to refresh
	// part of an account without taking the listing as complete.
	SyncRefresh SyncMode = "refresh"
)

// SyncOptions tune one Sync.
type SyncOptions struct {
	// Regions to list; empty means the account's SupportedRegions, else
	// every region the Discoverer reports.
	Regions []string
	// AssetTypes to list; empty means the account's SupportedAssetTypes,
	// else the Discoverer's AssetTypes (AssetTyper), else AssetTypeECS.
	AssetTypes []string
	// Mode is SyncFull (the default when empty), SyncIncremental or
	// SyncRefresh.
	Mode SyncMode
	// Concurrency bounds the scopes listed at once; 0 means the
	// Service's Options.Concurrency.
	Concurrency int
	// SkipAccountRecord leaves the account's last sync fields alone; see
	// Service.RecordSync.
	SkipAccountRecord bool
	// Progress, when set, is called after every page and when a scope
	// ends. Calls are serialized, so it need not be safe for concurrent
	// use, but it must return quickly.
	Progress func(SyncProgress)
}

// SyncProgress is a progress event of a Sync.
type SyncProgress struct {
	Region      string
	AssetType   string
	Pages       int  // pages of this scope so far
	Assets      int  // assets of this scope so far
	ScopeDone   bool // the scope ended (see its ScopeReport)
	ScopesDone  int  // scopes of the sync ended so far
	ScopesTotal int
}

// ScopeReport is what a Sync did in one region for one asset type.
type ScopeReport struct {
	Region    string        `json:"region"`
	AssetType string        `json:"asset_type"`
	Added     int           `json:"added"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Deleted   int           `json:"deleted"`
	Undeleted int           `json:"undeleted"` // seen again after being marked deleted
	Failed    bool          `json:"failed"`
	Error     string        `json:"error,omitempty"`
	Duration  time.Duration `json:"duration"`
	APICalls  int           `json:"api_calls"` // attempts, retries included
	Pages     int           `json:"pages"`
	// Mode is the mode the scope ran (an incremental sync may run a
	// scope full), and Reason why (the Reason* constants).
	Mode   SyncMode `json:"mode"`
	Reason string   `json:"reason"`
}

// SyncReport is what one Sync did, per scope and in total.
type SyncReport struct {
	Provider  string        `json:"provider"`
	Account   string        `json:"account"`
	Mode      SyncMode      `json:"mode"`
	StartTime time.Time     `json:"start_time"`
	Duration  time.Duration `json:"duration"`
	Scopes    []ScopeReport `json:"scopes"` // by region, then asset type
	Added     int           `json:"added"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Deleted   int           `json:"deleted"`
	Undeleted int           `json:"undeleted"`
	Failed    int           `json:"failed"` // scopes that failed
	APICalls  int           `json:"api_calls"`
	// FullScopes and IncrementalScopes count the scopes by the mode
	// they ran.
	FullScopes        int `json:"full_scopes"`
	IncrementalScopes int `json:"incremental_scopes"`
}

// Sync lists the target's assets in every region and asset type (see
// SyncOptions), at most Concurrency scopes at once, and writes what
// changed to the store in batches: new, changed (by ContentHash) and
// reappeared assets are upserted, unchanged ones are not written. In
// SyncFull mode, the stored live assets of a scope whose listing
// completed but missed them get DeletedAt; a scope whose listing failed
// marks nothing deleted and leaves every asset it did not reach as it was,
// and other scopes carry on. The pages a failed listing did read are
// written: they are what the cloud reported, and writes are streamed in
// batches (a scope is never held whole in memory), so holding them back
// would cost memory and lose true observations.
//
// Every asset written or marked deleted yields an AssetEvent, recorded
// before the write (see Subscribe); with a Quoter for the provider, each
// asset's Cost is its current hourly price (see WithQuoter).
//
// Two Syncs of one stored account that cover a common region never run at
// once in a Service (a Sync without Regions covers every region): the
// second fails at once with an error matching multicloud.ErrConflict.
// Syncs of disjoint regions of one account (a job layer's region jobs)
// run side by side.
//
// The report is non-nil once listing started. The error is non-nil when
// the target cannot be resolved, the region list fails, or any scope
// failed; in the last case it joins the scopes' errors and the report
// says which failed. For an account target, the account's last sync
// fields are updated.
func (s *Service) Sync(ctx context.Context, t SyncTarget, opts SyncOptions) (*SyncReport, error) {
	start := s.now()
	switch opts.Mode {
	case "":
		opts.Mode = SyncFull
	case SyncFull, SyncIncremental, SyncRefresh:
	default:
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: sync mode %q is unknown", opts.Mode)
	}
	if opts.Concurrency < 0 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: negative sync concurrency")
	}
	if t.AccountID != "" {
		release, err := s.syncing.claim(t.AccountID, opts.Regions)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	d, provider, account, acct, err := s.discoverer(ctx, t)
	if err != nil {
		return nil, err
	}
	report, err := s.sync(ctx, d, provider, account, acct, opts, start)
	if acct != nil && !opts.SkipAccountRecord {
		s.recordSync(context.WithoutCancel(ctx), acct.ID, report, err)
	}
	return report, err
}

func (s *Service) sync(ctx context.Context, d Discoverer, provider, account string, acct *StoredAccount, opts SyncOptions, start time.Time) (*SyncReport, error) {
	var calls atomic.Int64
	call := s.callFunc(provider+"/"+account, "", &calls)
	regions, types := opts.Regions, opts.AssetTypes
	if acct != nil {
		if len(regions) == 0 {
			regions = acct.Config.SupportedRegions
		}
		if len(types) == 0 {
			types = acct.Config.SupportedAssetTypes
		}
	}
	if len(types) == 0 {
		types = defaultAssetTypes(d)
	}
	if len(regions) == 0 {
		var err error
		if regions, err = d.Regions(ctx, call); err != nil {
			return nil, &multicloud.Error{Op: "inventory.Sync", Provider: provider, Code: multicloud.CodeOf(err),
				Message: "list regions", Err: err}
		}
	}
	regions = slices.Compact(slices.Sorted(slices.Values(regions)))
	types = slices.Compact(slices.Sorted(slices.Values(types)))

	report := &SyncReport{Provider: provider, Account: account, Mode: opts.Mode, StartTime: start}
	report.Scopes = make([]ScopeReport, 0, len(regions)*len(types))
	for _, r := range regions {
		for _, ty := range types {
			report.Scopes = append(report.Scopes, ScopeReport{Region: r, AssetType: ty})
		}
	}
	var (
		progressMu sync.Mutex
		scopesDone int
	)
	progress := func(p SyncProgress) {
		if opts.Progress == nil {
			return
		}
		progressMu.Lock()
		defer progressMu.Unlock()
		if p.ScopeDone {
			scopesDone++
		}
		p.ScopesDone, p.ScopesTotal = scopesDone, len(report.Scopes)
		opts.Progress(p)
	}
	limit := opts.Concurrency
	if limit == 0 {
		limit = s.opts.Concurrency
	}
	// No errgroup context: one scope failing must not cancel the others.
	var g errgroup.Group
	g.SetLimit(limit)
	scopeErrs := make([]error, len(report.Scopes))
	for i := range report.Scopes {
		g.Go(func() error {
			sr := &report.Scopes[i]
			sc := Scope{Provider: provider, Account: account, AssetType: sr.AssetType, Region: sr.Region}
			scopeErrs[i] = s.syncScope(ctx, d, sc, opts.Mode, sr, progress)
			progress(SyncProgress{Region: sr.Region, AssetType: sr.AssetType, Pages: sr.Pages,
				Assets: sr.Added + sr.Updated + sr.Unchanged + sr.Undeleted, ScopeDone: true})
			return nil
		})
	}
	g.Wait()

	var errs []error
	for i, sr := range report.Scopes {
		report.Added += sr.Added
		report.Updated += sr.Updated
		report.Unchanged += sr.Unchanged
		report.Deleted += sr.Deleted
		report.Undeleted += sr.Undeleted
		report.APICalls += sr.APICalls
		switch sr.Mode {
		case SyncIncremental:
			report.IncrementalScopes++
		case SyncFull:
			report.FullScopes++
		}
		if sr.Failed {
			report.Failed++
			errs = append(errs, fmt.Errorf("%s %s: %w", sr.Region, sr.AssetType, scopeErrs[i]))
		}
	}
	// Calls outside scopes (the region list) count in the total.
	report.APICalls = max(report.APICalls, int(calls.Load()))
	report.Duration = s.now().Sub(start)
	s.log.InfoContext(ctx, "sync done", "provider", provider, "account", account, "mode", opts.Mode,
		"scopes", len(report.Scopes), "failed", report.Failed, "added", report.Added, "updated", report.Updated,
		"unchanged", report.Unchanged, "deleted", report.Deleted, "incremental_scopes", report.IncrementalScopes, "api_calls", report.APICalls, "duration", report.Duration)
	if len(errs) > 0 {
		return report, &multicloud.Error{Op: "inventory.Sync", Provider: provider, Code: multicloud.CodeOf(errs[0]),
			Message: fmt.Sprintf("%d of %d scopes failed", len(errs), len(report.Scopes)), Err: errors.Join(errs...)}
	}
	return report, nil
}

// fill sets the identity fields the engine owns.
func fill(a *Asset, provider, account, region, assetType string) {
	a.Provider, a.Account, a.AssetType, a.Region = provider, account, assetType, region
	a.ID, a.DeletedAt = 0, nil
}

// scopePlan is how one scope syncs.
type scopePlan struct {
	mode    SyncMode
	reason  string
	feed    ChangeFeed
	lister  ChangeLister
	cursor  SyncCursor
	cursors IncrementalStore // nil when the store keeps none
}

// planScope picks the mode of one scope (see SyncIncremental).
func (s *Service) planScope(ctx context.Context, d Discoverer, sc Scope, mode SyncMode, now time.Time) (scopePlan, error) {
	p := scopePlan{mode: SyncFull}
	p.cursors, _ = s.store.(IncrementalStore)
	switch mode {
	case SyncFull:
		p.reason = ReasonRequested
		return p, nil
	case SyncRefresh:
		p.mode, p.reason = SyncRefresh, ReasonRefreshRequested
		return p, nil
	}
	lister, ok := d.(ChangeLister)
	switch {
	case !ok:
		p.reason = ReasonNoChangeFeed
		return p, nil
	case p.cursors == nil:
		p.reason = ReasonNoCursorStore
		return p, nil
	}
	cur, ok, err := p.cursors.SyncCursor(ctx, sc)
	if err != nil {
		return p, fmt.Errorf("load sync cursor: %w", err)
	}
	p.cursor, p.feed, p.lister = cur, lister.ChangeFeed(), lister
	switch {
	case !ok:
		p.reason = ReasonFirstSync
	case p.feed.Retention > 0 && now.Sub(cur.FeedTime)+p.feed.DeliveryDelay >= p.feed.Retention:
		p.reason = ReasonCursorExpired
	case now.Sub(cur.FullTime) >= s.opts.FullSyncEvery:
		p.reason = ReasonFullDue
	default:
		p.mode, p.reason = SyncIncremental, ReasonChangeFeed
	}
	return p, nil
}

// syncScope syncs one scope, in the mode planScope picks, and reconciles
// it into the store, filling sr. It returns the scope's failure, also
// recorded in sr.
func (s *Service) syncScope(ctx context.Context, d Discoverer, sc Scope, mode SyncMode, sr *ScopeReport, progress func(SyncProgress)) error {
	start := time.Now()
	var calls atomic.Int64
	defer func() {
		sr.Duration = time.Since(start)
		sr.APICalls = int(calls.Load())
	}()
	fail := func(err error) error {
		sr.Failed, sr.Error = true, err.Error()
		s.log.WarnContext(ctx, "sync scope failed", "provider", sc.Provider, "account", sc.Account,
			"region", sc.Region, "asset_type", sc.AssetType, "mode", sr.Mode, "error", err)
		return err
	}
	now := s.now()
	plan, err := s.planScope(ctx, d, sc, mode, now)
	sr.Mode, sr.Reason = plan.mode, plan.reason
	if err != nil {
		return fail(err)
	}
	stored, err := s.store.ScopeStates(ctx, sc)
	if err != nil {
		return fail(fmt.Errorf("load stored state: %w", err))
	}
	// Held for the whole listing: compact it, and drop the map.
	states, err := newScopeStates(stored)
	stored = nil
	if err != nil {
		return fail(fmt.Errorf("load stored state: %w", err))
	}
	call := s.callFunc(sc.Provider+"/"+sc.Account, sc.Region, &calls)
	batch := make([]Asset, 0, s.opts.BatchSize)
	var pending ScopeReport // counts of the batch not yet written
	var events []AssetEvent // of the batch, recorded before it is written
	flush := func(ctx context.Context) error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.recordEvents(ctx, events); err != nil {
			return fmt.Errorf("record %d events: %w", len(events), err)
		}
		events = events[:0]
		if err := s.store.UpsertAssets(ctx, batch); err != nil {
			return fmt.Errorf("store %d assets: %w", len(batch), err)
		}
		sr.Added += pending.Added
		sr.Updated += pending.Updated
		sr.Undeleted += pending.Undeleted
		pending = ScopeReport{}
		clear(batch)
		batch = batch[:0]
		return nil
	}
	emit := func(ctx context.Context, page []Asset) error {
		sr.Pages++
		for i := range page {
			a := page[i]
			if a.AssetID == "" {
				return errors.New("discoverer emitted an asset without an asset ID")
			}
			at, known := states.find(a.AssetID)
			if states.see(a.AssetID, at, known) {
				continue // pages may overlap while the listing shifts
			}
			fill(&a, sc.Provider, sc.Account, sc.Region, sc.AssetType)
			s.priceAsset(ctx, &a)
			a.Hash = ContentHash(&a)
			var st AssetState
			if known {
				st = states.state(at)
			}
			switch {
			case !known:
				pending.Added++
				a.CreateTime = now
			case st.Deleted:
				pending.Undeleted++
			case !states.sameHash(at, a.Hash):
				pending.Updated++
			default:
				sr.Unchanged++
				continue
			}
			a.UpdateTime, a.DiscoverTime = now, now
			events = append(events, changeEvent(&a, known, st, now))
			batch = append(batch, a)
			if len(batch) >= s.opts.BatchSize {
				if err := flush(ctx); err != nil {
					return err
				}
			}
		}
		progress(SyncProgress{Region: sc.Region, AssetType: sc.AssetType, Pages: sr.Pages, Assets: states.seen})
		return nil
	}

	var gone []string // assets to mark deleted
	if plan.mode == SyncIncremental {
		since := plan.cursor.FeedTime.Add(-plan.feed.DeliveryDelay)
		prior := func(ctx context.Context, ids []string) (map[string]Asset, error) {
			list, err := plan.cursors.AssetsByID(ctx, sc, ids)
			if err != nil {
				return nil, err
			}
			out := make(map[string]Asset, len(list))
			for _, a := range list {
				out[a.AssetID] = a
			}
			return out, nil
		}
		deleted, err := plan.lister.DiscoverChanges(ctx, sc.Region, sc.AssetType, since, now, call, prior, emit)
		switch {
		case err == nil:
			for _, id := range deleted {
				if at, ok := states.find(id); ok && !states.state(at).Deleted {
					gone = append(gone, id)
				}
			}
		case sr.Pages == 0 && errors.Is(err, multicloud.ErrPermissionDenied):
			sr.Mode, sr.Reason = SyncFull, ReasonFeedDenied
		case sr.Pages == 0 && errors.Is(err, multicloud.ErrInvalidArgument):
			sr.Mode, sr.Reason = SyncFull, ReasonFeedNotForType
		default:
			if ferr := flush(ctx); ferr != nil {
				err = errors.Join(err, ferr)
			}
			return fail(fmt.Errorf("read change feed: %w", err))
		}
		if sr.Mode == SyncFull {
			s.log.InfoContext(ctx, "change feed unusable, syncing scope in full", "provider", sc.Provider,
				"account", sc.Account, "region", sc.Region, "reason", sr.Reason, "error", err)
		}
	}
	if sr.Mode != SyncIncremental {
		listErr := d.Discover(ctx, sc.Region, sc.AssetType, call, emit)
		// What was seen is real even when the listing broke off: keep it.
		if err := flush(ctx); err != nil {
			return fail(errors.Join(listErr, err))
		}
		if listErr != nil {
			return fail(listErr)
		}
		if sr.Mode == SyncFull {
			gone = states.unseenLive()
		}
	} else if err := flush(ctx); err != nil {
		return fail(err)
	}
	if len(gone) > 0 {
		slices.Sort(gone)
		if err := s.recordEvents(ctx, deletedEvents(sc, gone, states, now)); err != nil {
			return fail(fmt.Errorf("record %d events: %w", len(gone), err))
		}
		n, err := s.store.MarkDeleted(ctx, sc, gone, now)
		sr.Deleted = n
		if err != nil {
			return fail(fmt.Errorf("mark %d assets deleted: %w", len(gone), err))
		}
	}
	// The scope is reconciled up to now: move its cursor.
	if plan.cursors != nil && sr.Mode != SyncRefresh {
		c := SyncCursor{FeedTime: now, FullTime: plan.cursor.FullTime}
		if sr.Mode == SyncFull {
			c.FullTime = now
		}
		if err := plan.cursors.PutSyncCursor(ctx, sc, c); err != nil {
			return fail(fmt.Errorf("store sync cursor: %w", err))
		}
	}
	return nil
}

// recordSync stores the outcome of an account's sync on the account.
func (s *Service) recordSync(ctx context.Context, id string, r *SyncReport, syncErr error) {
	a, err := s.store.GetAccount(ctx, id)
	if err != nil {
		s.log.WarnContext(ctx, "record sync result", "account", id, "error", err)
		return
	}
	now := s.now()
	a.LastSyncTime = &now
	switch {
	case syncErr == nil:
		a.LastSyncStatus, a.LastSyncError = "success", ""
	case r != nil && r.Failed < len(r.Scopes):
		a.LastSyncStatus, a.LastSyncError = "partial", syncErr.Error()
	default:
		a.LastSyncStatus, a.LastSyncError = "failed", syncErr.Error()
	}
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		s.log.WarnContext(ctx, "record sync result", "account", id, "error", err)
	}
}
