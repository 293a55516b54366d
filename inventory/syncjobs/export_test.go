package syncjobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// LockedEnqueue begins a transaction that takes the account's lock, as
// EnqueueSyncsIfIdle does, and enqueues a manual sync of the account in
// it; commit commits it. It needs the Jobs of NewPostgres or NewSQLite.
func (j *Jobs[TTx]) LockedEnqueue(ctx context.Context, accountID string) (commit func() error, err error) {
	params, err := j.manualSyncs(ctx, []string{accountID}, nil, "")
	if err != nil {
		return nil, err
	}
	tx, err := j.tx.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := j.tx.lock(ctx, tx, []string{accountID}); err != nil {
		j.tx.rollback(ctx, tx) //nolint:errcheck // the lock's error is the one to report
		return nil, err
	}
	if _, err := j.client.InsertManyTx(ctx, tx, params); err != nil {
		j.tx.rollback(ctx, tx) //nolint:errcheck // the insert's error is the one to report
		return nil, err
	}
	return func() error { return j.tx.commit(ctx, tx) }, nil
}

// StartWindow runs the start of a scheduled window's account job, as
// the job with ID id would: it returns whether the window waits, why it
// is skipped, and the ID of its finishing job when it syncs.
func (j *Jobs[TTx]) StartWindow(ctx context.Context, id int64, accountID string, window time.Time) (wait bool, skip string, finish int64, err error) {
	job := &river.Job[AccountArgs]{JobRow: &rivertype.JobRow{ID: id},
		Args: AccountArgs{AccountID: accountID, Window: window, Mode: j.opts.Mode}}
	d, err := j.startWindow(ctx, job)
	if d.finish != nil {
		finish = d.finish.ID
	}
	return d.wait > 0, d.skip, finish, err
}
