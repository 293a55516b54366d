package syncjobs

import (
	"context"

	"github.com/riverqueue/river/rivertype"

	"github.com/multicloud-ecs/multicloud/inventory/httpapi"
)

// QueuedSync returns SyncStatus(ctx, id) as the asset API's view of a
// queued sync, so that Jobs is an httpapi.SyncQueue
// (httpapi.WithSyncQueue). A sync whose regions all ended shows as
// running until its finishing job recorded the account's sync and its
// report, so a caller that sees it end finds the account's last sync
// status written. Errors are SyncStatus's.
func (j *Jobs[TTx]) QueuedSync(ctx context.Context, id int64) (*httpapi.QueuedSync, error) {
	st, err := j.SyncStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &httpapi.QueuedSync{AccountID: st.AccountID, State: string(st.State), Report: st.Report, Error: st.Error}
	if st.State == StateSkipped {
		out.State, out.Error = httpapi.QueuedStateSkipped, st.Skipped
	}
	switch st.State {
	case StateSucceeded, StatePartial, StateFailed, StateCancelled:
		if len(st.Regions) > 0 && st.Report == nil {
			out.State = httpapi.QueuedStateRunning
		}
	}
	for _, r := range st.Regions {
		done := r.JobState == rivertype.JobStateCompleted || r.JobState == rivertype.JobStateCancelled ||
			r.JobState == rivertype.JobStateDiscarded
		out.Regions = append(out.Regions, httpapi.QueuedRegion{Region: r.Region, Done: done, Report: r.Report, Error: r.Error})
	}
	return out, nil
}

var (
	_ httpapi.ExclusiveSyncQueue   = (*Jobs[any])(nil)
	_ httpapi.CancellableSyncQueue = (*Jobs[any])(nil)
)
