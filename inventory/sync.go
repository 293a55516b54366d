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

// callFunc returns the CallFunc of one account: its shared rate limiter,
// the retry policy, and a counter of attempts (may be nil).
func (s *Service) callFunc(key string, calls *atomic.Int64) CallFunc {
	lim := s.limiter(key)
	return func(ctx context.Context, api string, call func(context.Context) error) error {
		p := s.opts.Retry
		attempt := 0
		retryable := p.Retryable
		if retryable == nil {
			retryable = multicloud.IsRetryable
		}
		p.Retryable = func(err error) bool {
			ok := retryable(err)
			if ok {
				s.log.DebugContext(ctx, "retrying api call", "api", api, "attempt", attempt, "error", err)
			}
			return ok
		}
		return p.Do(ctx, func(ctx context.Context) error {
			attempt++
			if err := lim.Wait(ctx); err != nil {
				return multicloud.Errorf(multicloud.CodeCanceled, "%s: wait for rate limiter: %w", api, err)
			}
			if calls != nil {
				calls.Add(1)
			}
			return call(ctx)
		})
	}
}

// SyncMode says whether a sync reconciles deletions.
type SyncMode string

const (
	// SyncFull lists every scope and, for each listing that completed,
	// marks the stored assets it did not see as deleted.
	SyncFull SyncMode = "full"
	// SyncIncremental writes new, changed and reappeared assets of the
	// listed scopes but marks nothing deleted: use it to refresh part of
	// an account (a few regions, or a listing filtered by the provider)
	// without taking the listing as complete.
	SyncIncremental SyncMode = "incremental"
)

// SyncOptions tune one Sync.
type SyncOptions struct {
	// Regions to list; empty means the account's SupportedRegions, else
	// every region the Discoverer reports.
	Regions []string
	// AssetTypes to list; empty means the account's SupportedAssetTypes,
	// else AssetTypeECS.
	AssetTypes []string
	// Mode is SyncFull (the default when empty) or SyncIncremental.
	Mode SyncMode
	// Concurrency bounds the scopes listed at once; 0 means the
	// Service's Options.Concurrency.
	Concurrency int
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
// Two Syncs of one stored account never run at once in a Service: the
// second fails at once with an error matching multicloud.ErrConflict.
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
	case SyncFull, SyncIncremental:
	default:
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: sync mode %q is unknown", opts.Mode)
	}
	if opts.Concurrency < 0 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "inventory: negative sync concurrency")
	}
	if t.AccountID != "" {
		release, err := s.syncing.claim(t.AccountID)
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
	if acct != nil {
		s.recordSync(context.WithoutCancel(ctx), acct.ID, report, err)
	}
	return report, err
}

func (s *Service) sync(ctx context.Context, d Discoverer, provider, account string, acct *StoredAccount, opts SyncOptions, start time.Time) (*SyncReport, error) {
	var calls atomic.Int64
	call := s.callFunc(provider+"/"+account, &calls)
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
		types = []string{AssetTypeECS}
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
		"unchanged", report.Unchanged, "deleted", report.Deleted, "api_calls", report.APICalls, "duration", report.Duration)
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

// syncScope lists one scope and reconciles it into the store, filling sr.
// It returns the scope's failure, also recorded in sr.
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
			"region", sc.Region, "asset_type", sc.AssetType, "error", err)
		return err
	}
	states, err := s.store.ScopeStates(ctx, sc)
	if err != nil {
		return fail(fmt.Errorf("load stored state: %w", err))
	}
	call := s.callFunc(sc.Provider+"/"+sc.Account, &calls)
	seen := make(map[string]struct{}, len(states))
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
	now := s.now()
	emit := func(ctx context.Context, page []Asset) error {
		sr.Pages++
		for i := range page {
			a := page[i]
			if a.AssetID == "" {
				return errors.New("discoverer emitted an asset without an asset ID")
			}
			if _, dup := seen[a.AssetID]; dup {
				continue // pages may overlap while the listing shifts
			}
			seen[a.AssetID] = struct{}{}
			fill(&a, sc.Provider, sc.Account, sc.Region, sc.AssetType)
			s.priceAsset(ctx, &a)
			a.Hash = ContentHash(&a)
			st, known := states[a.AssetID]
			switch {
			case !known:
				pending.Added++
				a.CreateTime = now
			case st.Deleted:
				pending.Undeleted++
			case st.Hash != a.Hash:
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
		progress(SyncProgress{Region: sc.Region, AssetType: sc.AssetType, Pages: sr.Pages, Assets: len(seen)})
		return nil
	}
	listErr := d.Discover(ctx, sc.Region, sc.AssetType, call, emit)
	// What was seen is real even when the listing broke off: keep it.
	if err := flush(ctx); err != nil {
		return fail(errors.Join(listErr, err))
	}
	if listErr != nil {
		return fail(listErr)
	}
	if mode != SyncFull {
		return nil
	}
	var gone []string
	for id, st := range states {
		if _, ok := seen[id]; !ok && !st.Deleted {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	slices.Sort(gone)
	if err := s.recordEvents(ctx, deletedEvents(sc, gone, states, now)); err != nil {
		return fail(fmt.Errorf("record %d events: %w", len(gone), err))
	}
	n, err := s.store.MarkDeleted(ctx, sc, gone, now)
	sr.Deleted = n
	if err != nil {
		return fail(fmt.Errorf("mark %d assets deleted: %w", len(gone), err))
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
