package inventory

import (
	"context"
	"time"
)

// RunAutoSync syncs, until ctx is done, every active account whose config
// enables auto sync, each SyncInterval after its last sync (at once when
// it never synced), in SyncIncremental mode (full when a scope's full
// sync is due). It is the zero-dependency scheduler of one process: a
// fleet of replicas uses the job layer of inventory/syncjobs instead. Accounts are synced one at a time; a failed sync is
// logged and retried at the next interval. It polls the account list at
// least every Options.AutoSyncPoll, so new and edited accounts are picked
// up. It returns ctx's error. The caller starts it in a goroutine it
// owns, and stops it by cancelling ctx.
func (s *Service) RunAutoSync(ctx context.Context) error {
	tried := map[string]time.Time{} // last attempt per account, failed or not
	for {
		next := s.autoSyncOnce(ctx, tried)
		wait := s.opts.AutoSyncPoll
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// autoSyncOnce syncs the accounts that are due and returns when the next
// one is due (zero when none is enabled). tried holds the last attempt of
// each account, so an account whose sync cannot even start waits its
// interval like the others.
func (s *Service) autoSyncOnce(ctx context.Context, tried map[string]time.Time) time.Time {
	accounts, err := s.store.ListAccounts(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "auto sync: list accounts", "error", err)
		return time.Time{}
	}
	var next time.Time
	for _, a := range accounts {
		if ctx.Err() != nil {
			return time.Time{}
		}
		if !a.Config.EnableAutoSync || a.Config.SyncInterval <= 0 || a.Status == AccountDisabled {
			continue
		}
		due := time.Time{}
		if a.LastSyncTime != nil {
			due = a.LastSyncTime.Add(a.Config.SyncInterval)
		}
		if t, ok := tried[a.ID]; ok && t.Add(a.Config.SyncInterval).After(due) {
			due = t.Add(a.Config.SyncInterval)
		}
		if !due.After(s.now()) {
			tried[a.ID] = s.now()
			if _, err := s.Sync(ctx, SyncTarget{AccountID: a.ID}, SyncOptions{Mode: SyncIncremental}); err != nil {
				s.log.WarnContext(ctx, "auto sync failed", "account", a.ID, "provider", a.Provider, "error", err)
			}
			due = s.now().Add(a.Config.SyncInterval)
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next
}
