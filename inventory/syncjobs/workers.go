package syncjobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/multicloud-ecs/multicloud/inventory"
)

// Job kinds.
const (
	KindAccount = "inventory_sync_account"
	KindRegion  = "inventory_sync_region"
	KindFinish  = "inventory_sync_finish"
)

// AccountArgs is the job that syncs an account: it fans out into
// RegionArgs and a FinishArgs. Window is the start of the scheduled
// window (zero for a manual sync, which Request tells apart).
type AccountArgs struct {
	AccountID string             `json:"account_id" river:"unique"`
	Window    time.Time          `json:"window" river:"unique"`
	Request   string             `json:"request,omitempty" river:"unique"`
	Regions   []string           `json:"regions,omitempty"`
	Mode      inventory.SyncMode `json:"mode"`
}

// Kind implements river.JobArgs.
func (AccountArgs) Kind() string { return KindAccount }

// RegionArgs is the job that syncs one region of an account; Batch is
// its account job's ID.
type RegionArgs struct {
	AccountID string             `json:"account_id" river:"unique"`
	Region    string             `json:"region" river:"unique"`
	Batch     int64              `json:"batch" river:"unique"`
	Window    time.Time          `json:"window"`
	Mode      inventory.SyncMode `json:"mode"`
	Finish    int64              `json:"finish"` // the batch's finishing job, woken when this one ends
}

// Kind implements river.JobArgs.
func (RegionArgs) Kind() string { return KindRegion }

// FinishArgs is the job that waits for a batch's region jobs (listed in
// the output of its account job, Batch) and records the account's sync.
// Whole says the sync stands for a scheduled window: it covers every
// region of the account, in the schedule's mode or one that reconciles
// deletions (not a sync limited to regions, nor a refresh).
type FinishArgs struct {
	AccountID string    `json:"account_id"`
	Batch     int64     `json:"batch" river:"unique"`
	Start     time.Time `json:"start"`
	Whole     bool      `json:"whole,omitempty"`
}

// Kind implements river.JobArgs.
func (FinishArgs) Kind() string { return KindFinish }

// AccountOutput is what an account job records: its batch's jobs, or,
// for a scheduled window that synced nothing, why (Skipped) and the
// account job of the sync that made it needless (SkippedFor).
type AccountOutput struct {
	Regions    []string `json:"regions"`
	RegionJobs []int64  `json:"region_jobs"`
	FinishJob  int64    `json:"finish_job"`
	Skipped    string   `json:"skipped,omitempty"`
	SkippedFor int64    `json:"skipped_for,omitempty"`
}

// RegionOutput is what a region job records.
type RegionOutput struct {
	Report *inventory.SyncReport `json:"report"`
}

// schedule enqueues an account job for each auto-sync account whose
// current window this replica has not enqueued yet. Every replica runs
// it each tick; the jobs are unique per (account, window) in the
// database, so a window runs once however many replicas enqueue it, and
// no replica's death delays the schedule.
func (j *Jobs[TTx]) schedule(ctx context.Context) error {
	accounts, err := j.svc.ListAccounts(ctx)
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	now := time.Now()
	var batch []river.InsertManyParams
	var keys []windowKey
	for _, a := range accounts {
		if !a.Config.EnableAutoSync || a.Config.SyncInterval <= 0 || a.Status == inventory.AccountDisabled {
			continue
		}
		win := windowOf(a.ID, a.Config.SyncInterval, j.opts.Spread, now)
		key := windowKey{a.ID, win.UnixNano()}
		if j.enqueued(key) {
			continue // this replica enqueued it already: spare the database the unique check
		}
		keys = append(keys, key)
		batch = append(batch, river.InsertManyParams{
			Args: AccountArgs{AccountID: a.ID, Window: win.UTC(), Mode: j.opts.Mode},
			InsertOpts: &river.InsertOpts{Queue: j.opts.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true},
				MaxAttempts: j.opts.MaxAttempts},
		})
	}
	if len(batch) == 0 {
		return nil
	}
	res, err := j.client.InsertMany(ctx, batch)
	if err != nil {
		return fmt.Errorf("enqueue %d accounts: %w", len(batch), err)
	}
	j.remember(keys, now)
	n := 0
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			n++
		}
	}
	j.log.DebugContext(ctx, "syncjobs: accounts due", "due", len(batch), "enqueued", n)
	return nil
}

type accountWorker[TTx any] struct {
	river.WorkerDefaults[AccountArgs]
	j *Jobs[TTx]
}

// Work fans the account out: one region job per region and a finishing
// job. Inserts are unique per (account, region, batch), so a retry
// enqueues nothing twice. A scheduled window first decides, under the
// account's lock, whether it syncs at all (see startWindow).
func (w *accountWorker[TTx]) Work(ctx context.Context, job *river.Job[AccountArgs]) error {
	a := job.Args
	var fin *rivertype.JobRow
	if !a.Window.IsZero() {
		d, err := w.j.startWindow(ctx, job)
		if err != nil {
			return err
		}
		switch {
		case d.wait > 0:
			w.j.log.DebugContext(ctx, "syncjobs: window waits for a sync", "account", a.AccountID, "window", a.Window, "sync", d.by)
			return river.JobSnooze(d.wait)
		case d.skip != "":
			w.j.log.InfoContext(ctx, "syncjobs: window skipped", "account", a.AccountID, "window", a.Window, "reason", d.skip)
			return river.RecordOutput(ctx, AccountOutput{Regions: []string{}, RegionJobs: []int64{}, Skipped: d.skip, SkippedFor: d.by})
		}
		fin = d.finish
	}
	if fin == nil {
		// The finishing job first, so region jobs know whom to wake; it
		// sleeps until they do.
		res, err := w.j.client.Insert(ctx, w.j.finishArgs(job), w.j.finishOpts())
		if err != nil {
			return fmt.Errorf("enqueue finish: %w", err)
		}
		fin = res.Job
	}
	regions := a.Regions
	if len(regions) == 0 {
		var err error
		if regions, err = w.j.svc.SyncRegions(ctx, a.AccountID); err != nil {
			return fmt.Errorf("regions of account %s: %w", a.AccountID, err)
		}
	}
	params := make([]river.InsertManyParams, 0, len(regions))
	for _, r := range regions {
		params = append(params, river.InsertManyParams{
			Args: RegionArgs{AccountID: a.AccountID, Region: r, Batch: job.ID, Window: a.Window, Mode: a.Mode, Finish: fin.ID},
			InsertOpts: &river.InsertOpts{Queue: w.j.opts.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true},
				MaxAttempts: w.j.opts.MaxAttempts},
		})
	}
	res, err := w.j.client.InsertMany(ctx, params)
	if err != nil {
		return fmt.Errorf("enqueue %d regions: %w", len(params), err)
	}
	out := AccountOutput{Regions: regions, FinishJob: fin.ID}
	for _, r := range res {
		out.RegionJobs = append(out.RegionJobs, r.Job.ID)
	}
	return river.RecordOutput(ctx, out)
}

// finishArgs returns the finishing job of an account job.
func (j *Jobs[TTx]) finishArgs(job *river.Job[AccountArgs]) FinishArgs {
	a := job.Args
	whole := len(a.Regions) == 0 && (a.Mode != inventory.SyncRefresh || a.Mode == j.opts.Mode)
	return FinishArgs{AccountID: a.AccountID, Batch: job.ID, Start: time.Now().UTC(), Whole: whole}
}

// finishOpts are the insert options of a finishing job: unique per
// batch, asleep until its region jobs wake it.
func (j *Jobs[TTx]) finishOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: j.opts.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: j.opts.MaxAttempts,
		ScheduledAt: time.Now().Add(finishFallback)}
}

// windowStart is what startWindow decided for a scheduled window: wait
// (a sync of the account, by, is active), skip (a sync, by, completed
// successfully after the window began), or sync with the finishing job
// finish.
type windowStart struct {
	wait   time.Duration
	skip   string
	by     int64
	finish *rivertype.JobRow
}

// startWindow decides whether a scheduled window's account job syncs.
// It waits while another sync of the account is active (see ActiveSync):
// a manual sync, one that fanned out already, or an earlier window's
// (a later window waits for this one, so two windows never wait for each
// other, and manual syncs wait for none). Then it skips the window if a
// sync of the whole account (FinishArgs.Whole) completed successfully
// after the window began: a failed or partial sync, or one of some
// regions, leaves the window to run. Otherwise it enqueues the window's
// finishing job, which makes the sync active for every replica.
//
// On the Jobs of NewPostgres and NewSQLite the check and the finishing
// job's insert are one transaction under the account's lock, the one
// EnqueueSyncsIfIdle takes, so a manual sync enqueued through it and a
// window never both sync: either the window sees the manual sync, or
// the manual enqueue sees the window's job. A retry of a window that
// enqueued its finishing job goes on with it.
func (j *Jobs[TTx]) startWindow(ctx context.Context, job *river.Job[AccountArgs]) (windowStart, error) {
	if j.tx.begin == nil {
		return j.decideWindow(ctx, job, func(p *river.JobListParams) (*river.JobListResult, error) { return j.client.JobList(ctx, p) },
			func(args FinishArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
				return j.client.Insert(ctx, args, opts)
			})
	}
	tx, err := j.tx.begin(ctx)
	if err != nil {
		return windowStart{}, fmt.Errorf("begin: %w", err)
	}
	defer j.tx.rollback(ctx, tx) //nolint:errcheck // a no-op after Commit
	if err := j.tx.lock(ctx, tx, []string{job.Args.AccountID}); err != nil {
		return windowStart{}, fmt.Errorf("lock account: %w", err)
	}
	d, err := j.decideWindow(ctx, job, func(p *river.JobListParams) (*river.JobListResult, error) { return j.client.JobListTx(ctx, tx, p) },
		func(args FinishArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
			return j.client.InsertTx(ctx, tx, args, opts)
		})
	if err != nil || d.finish == nil {
		return d, err
	}
	if err := j.tx.commit(ctx, tx); err != nil {
		return windowStart{}, fmt.Errorf("commit: %w", err)
	}
	return d, nil
}

// decideWindow is startWindow's check and insert, with the job listing
// of list and the insert of insert.
func (j *Jobs[TTx]) decideWindow(ctx context.Context, job *river.Job[AccountArgs],
	list func(*river.JobListParams) (*river.JobListResult, error),
	insert func(FinishArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error),
) (windowStart, error) {
	a := job.Args
	byAccount := river.NamedArgs{"account_id": a.AccountID}
	active, err := list(river.NewJobListParams().Kinds(KindAccount, KindFinish).States(activeStates...).
		Where("args ->> 'account_id' = @account_id", byAccount).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1000))
	if err != nil {
		return windowStart{}, fmt.Errorf("list active syncs: %w", err)
	}
	var d windowStart
	for _, r := range active.Jobs {
		if r.ID == job.ID {
			continue
		}
		switch r.Kind {
		case KindFinish:
			var fa FinishArgs
			if err := json.Unmarshal(r.EncodedArgs, &fa); err != nil {
				return windowStart{}, fmt.Errorf("job %d args: %w", r.ID, err)
			}
			if fa.Batch == job.ID {
				return windowStart{finish: r}, nil // a retry: this window started already
			}
			d.by = cmp.Or(d.by, fa.Batch)
		case KindAccount:
			var oa AccountArgs
			if err := json.Unmarshal(r.EncodedArgs, &oa); err != nil {
				return windowStart{}, fmt.Errorf("job %d args: %w", r.ID, err)
			}
			if oa.Window.IsZero() || oa.Window.Before(a.Window) {
				d.by = cmp.Or(d.by, r.ID)
			}
		}
	}
	if d.by != 0 {
		// Jittered, so that windows waiting for one sync do not all look
		// again at once.
		d.wait = time.Duration(float64(j.opts.FinishPoll) * (0.5 + rand.Float64()))
		return d, nil
	}
	done, err := list(river.NewJobListParams().Kinds(KindFinish).States(rivertype.JobStateCompleted).
		Where("args ->> 'account_id' = @account_id", byAccount).OrderBy(river.JobListOrderByFinalizedAt, river.SortOrderDesc).First(50))
	if err != nil {
		return windowStart{}, fmt.Errorf("list finished syncs: %w", err)
	}
	for _, r := range done.Jobs {
		if r.FinalizedAt == nil || r.FinalizedAt.Before(a.Window) {
			break
		}
		var fa FinishArgs
		var out RegionOutput
		if json.Unmarshal(r.EncodedArgs, &fa) != nil || !fa.Whole || json.Unmarshal(r.Output(), &out) != nil ||
			out.Report == nil || out.Report.Failed > 0 {
			continue
		}
		return windowStart{by: fa.Batch, skip: fmt.Sprintf("account %s synced successfully by job %d at %s, after the window began at %s",
			a.AccountID, fa.Batch, r.FinalizedAt.UTC().Format(time.RFC3339Nano), a.Window.UTC().Format(time.RFC3339Nano))}, nil
	}
	res, err := insert(j.finishArgs(job), j.finishOpts())
	if err != nil {
		return windowStart{}, fmt.Errorf("enqueue finish: %w", err)
	}
	return windowStart{finish: res.Job}, nil
}

type regionWorker[TTx any] struct {
	river.WorkerDefaults[RegionArgs]
	j *Jobs[TTx]
}

// Work syncs one region of an account, after checking that no other job
// syncs the same (account, region): if one runs, it snoozes.
func (w *regionWorker[TTx]) Work(ctx context.Context, job *river.Job[RegionArgs]) error {
	a := job.Args
	// Running region jobs are at most the fleet's worker slots.
	running, err := w.j.client.JobList(ctx, river.NewJobListParams().Kinds(KindRegion).
		States(rivertype.JobStateRunning).First(10_000))
	if err != nil {
		return fmt.Errorf("list running jobs: %w", err)
	}
	for _, other := range running.Jobs {
		var oa RegionArgs
		if other.ID != job.ID && json.Unmarshal(other.EncodedArgs, &oa) == nil && oa.AccountID == a.AccountID && oa.Region == a.Region {
			// Jittered, so two that saw each other do not meet again.
			return river.JobSnooze(time.Duration(float64(w.j.opts.FinishPoll) * (0.5 + rand.Float64())))
		}
	}
	report, err := w.j.svc.Sync(ctx, inventory.SyncTarget{AccountID: a.AccountID},
		inventory.SyncOptions{Regions: []string{a.Region}, Mode: a.Mode, SkipAccountRecord: true})
	if err != nil && ctx.Err() != nil && report != nil && report.Failed == len(report.Scopes) {
		// Cut short (a replica stopping): run again at once, elsewhere
		// or after a restart, without spending an attempt.
		return river.JobSnooze(0)
	}
	if err != nil {
		if job.Attempt >= job.MaxAttempts {
			// The last attempt: wake the finisher, which sees this job
			// running and looks again after FinishPoll until its discard
			// is recorded.
			ctx, cancel := detach(ctx)
			defer cancel()
			w.j.pokeFinish(ctx, a.Finish)
		}
		return err // River retries with backoff; the finisher reads the last error
	}
	if err := river.RecordOutput(ctx, RegionOutput{Report: report}); err != nil {
		return err
	}
	w.j.completeAndWake(ctx, job, a.Finish)
	return nil
}

// wakeTimeout bounds the database work of recording a region job's end
// once its context may be cancelled.
const wakeTimeout = 30 * time.Second

// detach returns a context that outlives ctx's cancellation, for at most
// wakeTimeout, with ctx's values (River's client among them).
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), wakeTimeout)
}

// completeAndWake records a region job's completion and wakes its
// finishing job in one transaction, so that no completed region job
// leaves its finisher asleep. Both are done with a context the replica's
// stop does not cancel: River's StopAndCancel cancels a job's context
// when the job may already have synced its region, and River still
// records that job's completion; a wake made with the cancelled context
// would be lost, and the finisher would sleep until its fallback
// (finishFallback), keeping the account's sync "active" that long. If
// the transaction fails, the wake is tried alone and River records the
// completion when Work returns.
func (j *Jobs[TTx]) completeAndWake(ctx context.Context, job *river.Job[RegionArgs], finish int64) {
	ctx, cancel := detach(ctx)
	defer cancel()
	if j.tx.begin == nil {
		j.pokeFinish(ctx, finish) // the finisher sees this job running and looks again after FinishPoll
		return
	}
	err := func() error {
		tx, err := j.tx.begin(ctx)
		if err != nil {
			return err
		}
		defer j.tx.rollback(ctx, tx) //nolint:errcheck // a no-op after Commit
		if _, err := river.JobCompleteTx[riverdriver.Driver[TTx]](ctx, tx, job); err != nil {
			return fmt.Errorf("complete: %w", err)
		}
		row, err := j.client.JobGetTx(ctx, tx, finish)
		if err != nil {
			return fmt.Errorf("get finishing job: %w", err)
		}
		if row.FinalizedAt == nil && row.State != rivertype.JobStateRunning {
			// A running finisher looks again after FinishPoll; JobRetry
			// leaves running jobs alone anyway.
			if _, err := j.client.JobRetryTx(ctx, tx, finish); err != nil {
				return fmt.Errorf("wake finishing job: %w", err)
			}
		}
		return j.tx.commit(ctx, tx)
	}()
	if err != nil {
		j.log.WarnContext(ctx, "syncjobs: complete region job", "job", job.ID, "error", err)
		j.pokeFinish(ctx, finish)
	}
}

// pokeFinish makes a finishing job run now, if it sleeps.
func (j *Jobs[TTx]) pokeFinish(ctx context.Context, id int64) {
	row, err := j.client.JobGet(ctx, id)
	if err != nil || row.FinalizedAt != nil || row.State == rivertype.JobStateRunning {
		return // it runs at its time all the same
	}
	if _, err := j.client.JobRetry(ctx, id); err != nil {
		j.log.DebugContext(ctx, "syncjobs: wake finishing job", "job", id, "error", err)
	}
}

type finishWorker[TTx any] struct {
	river.WorkerDefaults[FinishArgs]
	j *Jobs[TTx]
}

// Work waits until every region job of the batch is final, then records
// the account's sync: success when all completed, partial when some
// did, failed when none did. While a region job is queued or waiting
// for a retry it sleeps long (finishFallback): region jobs wake it when
// they end; while the rest are running it looks again after FinishPoll,
// as a region job wakes it just before its end is recorded.
func (w *finishWorker[TTx]) Work(ctx context.Context, job *river.Job[FinishArgs]) error {
	a := job.Args
	acct, err := w.j.client.JobGet(ctx, a.Batch)
	if err != nil {
		return fmt.Errorf("get account job: %w", err)
	}
	var out AccountOutput
	if acct.State != rivertype.JobStateCompleted || json.Unmarshal(acct.Output(), &out) != nil {
		if acct.FinalizedAt != nil {
			// The fan-out failed for good: nothing ran.
			w.j.svc.RecordSync(ctx, a.AccountID, nil, fmt.Errorf("fan-out of the sync: %s", acct.State))
			return nil
		}
		return river.JobSnooze(w.j.opts.FinishPoll) // the fan-out has not recorded its jobs yet
	}
	rows, err := listJobs(ctx, w.j, out.RegionJobs)
	if err != nil {
		return err
	}
	wait := time.Duration(0)
	for _, r := range rows {
		switch {
		case r.FinalizedAt != nil:
		case r.State == rivertype.JobStateRunning:
			wait = max(wait, w.j.opts.FinishPoll)
		default:
			wait = max(wait, w.j.finishSleep())
		}
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	report, syncErr := mergeRegions(a, rows)
	w.j.svc.RecordSync(ctx, a.AccountID, report, syncErr)
	return river.RecordOutput(ctx, RegionOutput{Report: report})
}

// finishFallback is how long a finishing job first sleeps: region jobs
// wake it when they end.
const finishFallback = time.Minute

// finishSleep is how long a finishing job sleeps while region jobs are
// queued: they wake it when they end (from Work, and again once the end
// is recorded), so this only bounds the delay when both wake-ups came
// while it ran.
func (j *Jobs[TTx]) finishSleep() time.Duration { return 12 * j.opts.FinishPoll }

// Timeout lets a finishing job wait as long as its regions may run.
func (w *finishWorker[TTx]) Timeout(*river.Job[FinishArgs]) time.Duration { return time.Minute }

// listJobs returns the jobs with the given IDs, in that order; missing
// ones (cleaned away) are absent.
func listJobs[TTx any](ctx context.Context, j *Jobs[TTx], ids []int64) ([]*rivertype.JobRow, error) {
	var out []*rivertype.JobRow
	for chunk := range slices.Chunk(ids, 1000) {
		res, err := j.client.JobList(ctx, river.NewJobListParams().IDs(chunk...).First(len(chunk)))
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, res.Jobs...)
	}
	return out, nil
}

// mergeRegions joins the region jobs' reports into one report of the
// account, and their failures into one error.
func mergeRegions(a FinishArgs, rows []*rivertype.JobRow) (*inventory.SyncReport, error) {
	report := &inventory.SyncReport{Account: a.AccountID, StartTime: a.Start, Duration: time.Since(a.Start)}
	var errs []error
	for _, r := range rows {
		var args RegionArgs
		_ = json.Unmarshal(r.EncodedArgs, &args)
		report.Mode = args.Mode
		var out RegionOutput
		if r.State == rivertype.JobStateCompleted && json.Unmarshal(r.Output(), &out) == nil && out.Report != nil {
			rr := out.Report
			report.Provider = rr.Provider
			report.Scopes = append(report.Scopes, rr.Scopes...)
			report.Added += rr.Added
			report.Updated += rr.Updated
			report.Unchanged += rr.Unchanged
			report.Deleted += rr.Deleted
			report.Undeleted += rr.Undeleted
			report.Failed += rr.Failed
			report.APICalls += rr.APICalls
			report.FullScopes += rr.FullScopes
			report.IncrementalScopes += rr.IncrementalScopes
			continue
		}
		msg := string(r.State)
		if n := len(r.Errors); n > 0 {
			msg = r.Errors[n-1].Error
		}
		report.Scopes = append(report.Scopes, inventory.ScopeReport{Region: args.Region, Failed: true, Error: msg})
		report.Failed++
		errs = append(errs, fmt.Errorf("%s: %s", args.Region, msg))
	}
	return report, errors.Join(errs...)
}
