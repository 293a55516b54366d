package syncjobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// EnqueueSync enqueues a sync of the stored account, as the schedule
// does, and returns the ID of its account job, for SyncStatus and
// Cancel. regions limits it (empty means the account's regions); mode
// empty means SyncFull. The regions run on whichever replicas' workers
// are free. Errors: a missing account matches multicloud.ErrNotFound, a
// bad mode multicloud.ErrInvalidArgument; others are the database's.
func (j *Jobs[TTx]) EnqueueSync(ctx context.Context, accountID string, regions []string, mode inventory.SyncMode) (int64, error) {
	p, err := j.manualSyncs(ctx, []string{accountID}, regions, mode)
	if err != nil {
		return 0, err
	}
	res, err := j.client.InsertMany(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("syncjobs: enqueue sync: %w", err)
	}
	return res[0].Job.ID, nil
}

// manualSyncs checks a manual sync's mode and accounts and returns the
// insert of one account job per account.
func (j *Jobs[TTx]) manualSyncs(ctx context.Context, accountIDs, regions []string, mode inventory.SyncMode) ([]river.InsertManyParams, error) {
	switch mode {
	case "":
		mode = inventory.SyncFull
	case inventory.SyncFull, inventory.SyncIncremental, inventory.SyncRefresh:
	default:
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "syncjobs: sync mode %q is unknown", mode)
	}
	if len(accountIDs) == 0 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "syncjobs: no account to sync")
	}
	out := make([]river.InsertManyParams, 0, len(accountIDs))
	for _, id := range accountIDs {
		if _, err := j.svc.GetAccount(ctx, id); err != nil {
			return nil, err
		}
		var b [8]byte
		rand.Read(b[:])
		out = append(out, river.InsertManyParams{
			Args: AccountArgs{AccountID: id, Request: hex.EncodeToString(b[:]), Regions: slices.Clone(regions), Mode: mode},
			InsertOpts: &river.InsertOpts{Queue: j.opts.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true},
				MaxAttempts: j.opts.MaxAttempts},
		})
	}
	return out, nil
}

// BusyError reports that an account has a sync queued or running (see
// ActiveSync), so EnqueueSyncsIfIdle enqueued nothing. It matches
// multicloud.ErrConflict.
type BusyError struct {
	AccountID string
	JobID     int64 // the account job of the active sync
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("syncjobs: account %s is already being synced by job %d", e.AccountID, e.JobID)
}

// Is reports whether target is multicloud.ErrConflict.
func (e *BusyError) Is(target error) bool { return target == multicloud.ErrConflict }

// ActiveSync returns the account and the job ID of its active sync.
func (e *BusyError) ActiveSync() (accountID string, jobID int64) { return e.AccountID, e.JobID }

// EnqueueSyncsIfIdle enqueues a sync of each account, as EnqueueSync
// does, unless one of them has a sync queued or running (as ActiveSync
// finds it): then it enqueues none and returns a *BusyError naming the
// first such account. It returns the account jobs' IDs in the order of
// accountIDs.
//
// On the Jobs of NewPostgres and NewSQLite the check and the inserts are
// one transaction that first takes a lock per account (PostgreSQL:
// transaction-scoped advisory locks, in a fixed order; SQLite: the
// database's write lock), so that of two callers on any replicas only
// one enqueues. With New's drivers they are two steps, and two callers
// at the same instant can both enqueue. A scheduled window's job takes
// the same lock when it starts: it waits while a sync enqueued here is
// active, and syncs nothing if that sync succeeded after the window
// began, so a window and a manual sync never both list the account.
//
// Errors: a missing account matches multicloud.ErrNotFound, a bad mode
// or no account multicloud.ErrInvalidArgument; others are the
// database's.
func (j *Jobs[TTx]) EnqueueSyncsIfIdle(ctx context.Context, accountIDs, regions []string, mode inventory.SyncMode) ([]int64, error) {
	params, err := j.manualSyncs(ctx, accountIDs, regions, mode)
	if err != nil {
		return nil, err
	}
	ids := func(res []*rivertype.JobInsertResult) []int64 {
		out := make([]int64, len(res))
		for i, r := range res {
			out[i] = r.Job.ID
		}
		return out
	}
	if j.tx.begin == nil {
		for _, a := range accountIDs {
			if id, found, err := j.ActiveSync(ctx, a); err != nil || found {
				return nil, cmpOr(err, &BusyError{AccountID: a, JobID: id})
			}
		}
		res, err := j.client.InsertMany(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("syncjobs: enqueue syncs: %w", err)
		}
		return ids(res), nil
	}
	tx, err := j.tx.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("syncjobs: begin: %w", err)
	}
	defer j.tx.rollback(ctx, tx) //nolint:errcheck // a no-op after Commit
	locks := slices.Clone(accountIDs)
	slices.Sort(locks)
	if err := j.tx.lock(ctx, tx, slices.Compact(locks)); err != nil {
		return nil, fmt.Errorf("syncjobs: lock accounts: %w", err)
	}
	for _, a := range accountIDs {
		id, found, err := j.activeSync(ctx, a, func(p *river.JobListParams) (*river.JobListResult, error) {
			return j.client.JobListTx(ctx, tx, p)
		})
		if err != nil || found {
			return nil, cmpOr(err, &BusyError{AccountID: a, JobID: id})
		}
	}
	res, err := j.client.InsertManyTx(ctx, tx, params)
	if err != nil {
		return nil, fmt.Errorf("syncjobs: enqueue syncs: %w", err)
	}
	if err := j.tx.commit(ctx, tx); err != nil {
		return nil, fmt.Errorf("syncjobs: commit: %w", err)
	}
	return ids(res), nil
}

// cmpOr returns err if it is not nil, else busy.
func cmpOr(err error, busy *BusyError) error {
	if err != nil {
		return err
	}
	return busy
}

// State is where a sync stands.
type State string

// The states of a sync.
const (
	StateQueued    State = "queued"    // not started
	StateRunning   State = "running"   // regions in progress
	StateSucceeded State = "succeeded" // every region synced
	StatePartial   State = "partial"   // some regions failed
	StateFailed    State = "failed"    // no region synced, or the fan-out failed
	StateCancelled State = "cancelled"
	// StateSkipped: a scheduled window synced nothing, as a sync of the
	// account completed successfully after the window began (see
	// Status.Skipped).
	StateSkipped State = "skipped"
)

// RegionStatus is where one region of a sync stands.
type RegionStatus struct {
	Region   string                `json:"region"`
	JobID    int64                 `json:"job_id"`
	JobState rivertype.JobState    `json:"job_state"`
	Attempts int                   `json:"attempts"`
	Error    string                `json:"error,omitempty"` // the last attempt's
	Report   *inventory.SyncReport `json:"report,omitempty"`
}

// Status is where a sync stands, from its jobs.
type Status struct {
	JobID     int64          `json:"job_id"`
	AccountID string         `json:"account_id"`
	State     State          `json:"state"`
	Regions   []RegionStatus `json:"regions"`
	// Report is the account's merged report once every region ended.
	Report *inventory.SyncReport `json:"report,omitempty"`
	Error  string                `json:"error,omitempty"`
	// Skipped says why a skipped window synced nothing, and SkippedFor
	// names the account job of the sync that made it needless.
	Skipped    string `json:"skipped,omitempty"`
	SkippedFor int64  `json:"skipped_for,omitempty"`
}

// SyncStatus returns where the sync of an account job (EnqueueSync's
// ID, or a scheduled one's) stands. A job that does not exist, or not an
// account job, matches multicloud.ErrNotFound. Jobs finished longer ago
// than River's retention (a day by default) are gone.
func (j *Jobs[TTx]) SyncStatus(ctx context.Context, jobID int64) (*Status, error) {
	row, err := j.client.JobGet(ctx, jobID)
	if errors.Is(err, rivertype.ErrNotFound) || err == nil && row.Kind != KindAccount {
		return nil, multicloud.Errorf(multicloud.CodeNotFound, "syncjobs: no sync job %d", jobID)
	}
	if err != nil {
		return nil, fmt.Errorf("syncjobs: get job: %w", err)
	}
	var args AccountArgs
	if err := json.Unmarshal(row.EncodedArgs, &args); err != nil {
		return nil, fmt.Errorf("syncjobs: job %d args: %w", jobID, err)
	}
	st := &Status{JobID: jobID, AccountID: args.AccountID}
	switch row.State {
	case rivertype.JobStateCancelled:
		st.State = StateCancelled
		return st, nil
	case rivertype.JobStateDiscarded:
		st.State = StateFailed
		if n := len(row.Errors); n > 0 {
			st.Error = row.Errors[n-1].Error
		}
		return st, nil
	case rivertype.JobStateCompleted:
	default:
		st.State = StateQueued
		if row.State == rivertype.JobStateRunning || row.State == rivertype.JobStateRetryable {
			st.State = StateRunning
		}
		return st, nil
	}
	var out AccountOutput
	if err := json.Unmarshal(row.Output(), &out); err != nil {
		return nil, fmt.Errorf("syncjobs: job %d output: %w", jobID, err)
	}
	if out.Skipped != "" {
		st.State, st.Skipped, st.SkippedFor = StateSkipped, out.Skipped, out.SkippedFor
		return st, nil
	}
	rows, err := listJobs(ctx, j, append(slices.Clone(out.RegionJobs), out.FinishJob))
	if err != nil {
		return nil, err
	}
	byID := map[int64]*rivertype.JobRow{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	st.State = StateRunning
	done, ok, cancelled := 0, 0, 0
	for i, id := range out.RegionJobs {
		rs := RegionStatus{Region: out.Regions[i], JobID: id}
		if r := byID[id]; r != nil {
			rs.JobState, rs.Attempts = r.State, r.Attempt
			if n := len(r.Errors); n > 0 {
				rs.Error = r.Errors[n-1].Error
			}
			var ro RegionOutput
			if r.State == rivertype.JobStateCompleted && json.Unmarshal(r.Output(), &ro) == nil {
				rs.Report = ro.Report
				ok++
			}
			if r.FinalizedAt != nil {
				done++
			}
			if r.State == rivertype.JobStateCancelled {
				cancelled++
			}
		}
		st.Regions = append(st.Regions, rs)
	}
	if fin := byID[out.FinishJob]; fin != nil && fin.State == rivertype.JobStateCompleted {
		var ro RegionOutput
		if json.Unmarshal(fin.Output(), &ro) == nil {
			st.Report = ro.Report
		}
	}
	if done == len(out.RegionJobs) {
		switch {
		case cancelled > 0 && ok < len(out.RegionJobs):
			st.State = StateCancelled
		case ok == len(out.RegionJobs):
			st.State = StateSucceeded
		case ok > 0:
			st.State = StatePartial
		default:
			st.State = StateFailed
		}
	}
	return st, nil
}

// Cancel cancels a sync: its account job and the region jobs not yet
// done (a running one has its context cancelled; what it wrote stays,
// and the scope it was reconciling marks nothing deleted). The finishing
// job then records the account's sync as partial or failed. A missing
// job matches multicloud.ErrNotFound.
func (j *Jobs[TTx]) Cancel(ctx context.Context, jobID int64) error {
	row, err := j.client.JobCancel(ctx, jobID)
	if errors.Is(err, rivertype.ErrNotFound) {
		return multicloud.Errorf(multicloud.CodeNotFound, "syncjobs: no sync job %d", jobID)
	}
	if err != nil {
		return fmt.Errorf("syncjobs: cancel job: %w", err)
	}
	var out AccountOutput
	if row.State != rivertype.JobStateCompleted || json.Unmarshal(row.Output(), &out) != nil {
		return nil
	}
	for _, id := range out.RegionJobs {
		if _, err := j.client.JobCancel(ctx, id); err != nil && !errors.Is(err, rivertype.ErrNotFound) {
			return fmt.Errorf("syncjobs: cancel region job: %w", err)
		}
	}
	// Cancelled jobs that never ran wake no one: wake the finishing job.
	j.pokeFinish(ctx, out.FinishJob)
	return nil
}

// activeStates are the River states of a job not yet finalized.
var activeStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// ActiveSync returns the account job ID of a sync of accountID that is
// queued or running in the database, whoever enqueued it (EnqueueSync on
// any replica, or the schedule), and whether there is one. A sync is
// active from its account job's insert until its finishing job ended:
// an account job not yet finalized, or a finishing job not yet finalized
// (then its batch, the account job, is named). With several, the oldest
// is returned. It reads the database on every call and is safe for
// concurrent use; errors are the database's.
func (j *Jobs[TTx]) ActiveSync(ctx context.Context, accountID string) (int64, bool, error) {
	return j.activeSync(ctx, accountID, func(p *river.JobListParams) (*river.JobListResult, error) {
		return j.client.JobList(ctx, p)
	})
}

// activeSync is ActiveSync with the job listing of list (the client's,
// or within a transaction).
func (j *Jobs[TTx]) activeSync(ctx context.Context, accountID string, list func(*river.JobListParams) (*river.JobListResult, error)) (int64, bool, error) {
	// The account filter runs in SQL: "->>" on the args column means the
	// same on PostgreSQL (jsonb) and SQLite (JSONB blob, 3.45+).
	res, err := list(river.NewJobListParams().Kinds(KindAccount, KindFinish).States(activeStates...).
		Where("args ->> 'account_id' = @account_id", river.NamedArgs{"account_id": accountID}).
		OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1))
	if err != nil {
		return 0, false, fmt.Errorf("syncjobs: list active syncs: %w", err)
	}
	if len(res.Jobs) == 0 {
		return 0, false, nil
	}
	row := res.Jobs[0]
	if row.Kind == KindFinish {
		var fa FinishArgs
		if err := json.Unmarshal(row.EncodedArgs, &fa); err != nil {
			return 0, false, fmt.Errorf("syncjobs: job %d args: %w", row.ID, err)
		}
		return fa.Batch, true, nil
	}
	return row.ID, true, nil
}
