package inventory

import (
	"context"
	"slices"

	"github.com/multicloud-ecs/multicloud"
)

// SyncRegions returns the regions a sync of the stored account lists:
// its SupportedRegions, else every region its Discoverer reports (one
// rate-limited API call). A job layer uses it to fan an account out into
// one job per region. A missing account matches multicloud.ErrNotFound.
func (s *Service) SyncRegions(ctx context.Context, accountID string) ([]string, error) {
	acct, err := s.store.GetAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if len(acct.Config.SupportedRegions) > 0 {
		return slices.Compact(slices.Sorted(slices.Values(acct.Config.SupportedRegions))), nil
	}
	d, provider, account, _, err := s.discoverer(ctx, SyncTarget{AccountID: accountID})
	if err != nil {
		return nil, err
	}
	regions, err := d.Regions(ctx, s.callFunc(provider+"/"+account, "", nil))
	if err != nil {
		return nil, &multicloud.Error{Op: "inventory.SyncRegions", Provider: provider, Code: multicloud.CodeOf(err),
			Message: "list regions", Err: err}
	}
	return slices.Compact(slices.Sorted(slices.Values(regions))), nil
}

// RecordSync stores the outcome of a sync of the stored account on the
// account (LastSyncTime, LastSyncStatus "success", "partial" or
// "failed", LastSyncError), as Sync does unless
// SyncOptions.SkipAccountRecord is set: a job layer that syncs an
// account's regions apart records the whole once they finish. r may be
// nil when nothing ran. Failures to record are logged, not returned.
func (s *Service) RecordSync(ctx context.Context, accountID string, r *SyncReport, syncErr error) {
	s.recordSync(ctx, accountID, r, syncErr)
}
