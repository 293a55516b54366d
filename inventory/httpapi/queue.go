package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// SyncQueue is a durable job queue the Handler hands its syncs to instead
// of running them in its own goroutines (see WithSyncQueue).
// *syncjobs.Jobs implements it on River. Its methods must be safe for
// concurrent use.
type SyncQueue interface {
	// EnqueueSync enqueues a sync of the stored account and returns its
	// job ID; regions empty means the account's regions, mode empty
	// inventory.SyncFull. A missing account matches multicloud.ErrNotFound.
	EnqueueSync(ctx context.Context, accountID string, regions []string, mode inventory.SyncMode) (int64, error)
	// QueuedSync returns where the sync of job id stands; a job that does
	// not exist matches multicloud.ErrNotFound.
	QueuedSync(ctx context.Context, id int64) (*QueuedSync, error)
	// ActiveSync returns the job ID of a sync of the account that is
	// queued or running on the queue, whoever enqueued it (any process,
	// or the queue's own schedule), and whether there is one.
	ActiveSync(ctx context.Context, accountID string) (int64, bool, error)
}

// ExclusiveSyncQueue is a SyncQueue that checks for active syncs and
// enqueues in one step, so that of two Handlers (in any processes) that
// sync one account at the same instant only one enqueues; the Handler
// uses it when its SyncQueue has it. *syncjobs.Jobs implements it.
type ExclusiveSyncQueue interface {
	SyncQueue
	// EnqueueSyncsIfIdle enqueues a sync of each account, as
	// EnqueueSync, unless one of them has a sync queued or running, as
	// ActiveSync finds it: then it enqueues none and returns an error
	// with a method ActiveSync() (accountID string, jobID int64) naming
	// the account and that sync's job. It returns the job IDs in the
	// order of accountIDs.
	EnqueueSyncsIfIdle(ctx context.Context, accountIDs, regions []string, mode inventory.SyncMode) ([]int64, error)
}

// CancellableSyncQueue is a SyncQueue that can cancel a sync it holds;
// with one, POST /sync-jobs/{id}/cancel cancels queued jobs.
// *syncjobs.Jobs implements it.
type CancellableSyncQueue interface {
	SyncQueue
	// Cancel cancels the sync of job id: regions not started never
	// run, running ones are stopped, and the sync then reads as
	// QueuedStateCancelled (or partial, when some regions had synced).
	// A job that does not exist matches multicloud.ErrNotFound.
	Cancel(ctx context.Context, id int64) error
}

// activeSyncError is the error of EnqueueSyncsIfIdle for an account with
// a sync queued or running.
type activeSyncError interface {
	error
	ActiveSync() (accountID string, jobID int64)
}

// States of a QueuedSync.
const (
	QueuedStateQueued    = "queued"
	QueuedStateRunning   = "running"
	QueuedStateSucceeded = "succeeded"
	QueuedStatePartial   = "partial"
	QueuedStateFailed    = "failed"
	QueuedStateCancelled = "cancelled"
	// QueuedStateSkipped: a scheduled sync that synced nothing, as a sync
	// of the account completed after its window began; Error says why.
	QueuedStateSkipped = "skipped"
)

// QueuedSync is where one account's queued sync stands.
type QueuedSync struct {
	AccountID string
	State     string         // one of the QueuedState constants
	Regions   []QueuedRegion // empty until the sync fanned out into regions
	Report    *inventory.SyncReport
	Error     string
}

// QueuedRegion is where one region of a queued sync stands.
type QueuedRegion struct {
	Region string
	Done   bool                  // the region's job ended
	Report *inventory.SyncReport // when it succeeded
	Error  string                // its last attempt's
}

// WithSyncQueue makes the sync routes enqueue their syncs on q, one job
// per account, and GET /sync-jobs read them back from q, so jobs outlive
// the process and run on whichever worker of q is free. A job's ID is
// then "rq-" and its accounts' queue job IDs joined by "-". A second sync
// of an account that q reports a queued or running sync of (enqueued by
// any process's Handler, q's schedule, or before a restart) is refused
// with 409 naming that job. When q is an ExclusiveSyncQueue the check and
// the enqueue are one step on the queue, so of two processes' Handlers
// that sync one account at the same instant one gets 409; otherwise they
// are atomic within one Handler only, two processes can both enqueue,
// and the queue then runs the two syncs one after the other per region.
// asset_types cannot be narrowed on a queue.
// Without it (nil) syncs run in the Handler's memory.
func WithSyncQueue(q SyncQueue) Option { return func(o *Options) { o.SyncQueue = q } }

const queuedPrefix = "rq-"

// queued is what the Handler knows of the jobs it enqueued.
type queued struct {
	mu    sync.Mutex
	meta  map[string]Job // job ID -> its request, as enqueued
	order []string       // job IDs, oldest first
}

// startQueued enqueues req's accounts and answers 202, or waits for
// the jobs and answers as startSync does.
func (h *Handler) startQueued(w http.ResponseWriter, r *http.Request, provider string, accounts []string, opts inventory.SyncOptions, async bool) error {
	if len(opts.AssetTypes) > 0 {
		return badRequest("asset_types cannot be narrowed when syncs run on the job queue")
	}
	view, err := h.enqueue(r.Context(), provider, accounts, opts)
	if err != nil {
		return err
	}
	loc := Prefix + "/sync-jobs/" + view.ID
	w.Header().Set("Location", loc)
	if async {
		w.Header().Set("Preference-Applied", "respond-async")
		ok(w, http.StatusAccepted, map[string]any{"job_id": view.ID, "status": JobRunning, "location": loc})
		return nil
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return multicloud.Errorf(multicloud.CodeCanceled, "request cancelled; sync continues as job %s", view.ID)
		case <-h.ctx.Done():
			return &apiError{http.StatusServiceUnavailable, CodeCloudUnavailable, "the server is shutting down; sync continues as job " + view.ID}
		}
		j, err := h.queuedJob(r.Context(), view.ID)
		if err != nil {
			return err
		}
		if j.Status == JobRunning {
			continue
		}
		if j.Error != "" {
			return &apiError{http.StatusBadGateway, CodeCloudFailed, fmt.Sprintf("sync job %s %s: %s", j.ID, j.Status, j.Error)}
		}
		ok(w, http.StatusOK, nil)
		return nil
	}
}

// enqueue refuses accounts with a queued or running sync on the queue,
// then enqueues one job per account.
func (h *Handler) enqueue(ctx context.Context, provider string, accounts []string, opts inventory.SyncOptions) (Job, error) {
	q, qs := h.opts.SyncQueue, &h.queued
	qs.mu.Lock() // held across check and enqueue: two requests never both pass
	defer qs.mu.Unlock()
	conflict := func(a string, id int64) error {
		return &apiError{http.StatusConflict, CodeConflict,
			fmt.Sprintf("account %s is already being synced by job %s%d", a, queuedPrefix, id)}
	}
	ids := make([]string, 0, len(accounts))
	if xq, ok := q.(ExclusiveSyncQueue); ok {
		qids, err := xq.EnqueueSyncsIfIdle(ctx, accounts, opts.Regions, opts.Mode)
		if busy, ok := errors.AsType[activeSyncError](err); ok {
			return Job{}, conflict(busy.ActiveSync())
		}
		if err != nil {
			return Job{}, err
		}
		for _, id := range qids {
			ids = append(ids, strconv.FormatInt(id, 10))
		}
	} else {
		for _, a := range accounts {
			id, found, err := q.ActiveSync(ctx, a)
			if err != nil {
				return Job{}, err
			}
			if found {
				return Job{}, conflict(a, id)
			}
		}
		for _, a := range accounts {
			id, err := q.EnqueueSync(ctx, a, opts.Regions, opts.Mode)
			if err != nil {
				if len(ids) > 0 {
					h.log.WarnContext(ctx, "sync enqueue failed after some accounts", "enqueued", strings.Join(ids, ","), "error", err)
				}
				return Job{}, err
			}
			ids = append(ids, strconv.FormatInt(id, 10))
		}
	}
	view := Job{ID: queuedPrefix + strings.Join(ids, "-"), Status: JobRunning, Provider: provider,
		AccountIDs: accounts, Mode: opts.Mode, Regions: nonNil(opts.Regions), CreateTime: time.Now().UTC()}
	if view.Mode == "" {
		view.Mode = inventory.SyncFull
	}
	if qs.meta == nil {
		qs.meta = map[string]Job{}
	}
	qs.meta[view.ID] = view
	qs.order = append(qs.order, view.ID)
	for len(qs.order) > h.opts.MaxJobs {
		delete(qs.meta, qs.order[0])
		qs.order = qs.order[1:]
	}
	return view, nil
}

// parseQueuedID returns the queue's job IDs of a queued Job's ID; a
// malformed one is not found.
func parseQueuedID(id string) ([]int64, error) {
	rest, found := strings.CutPrefix(id, queuedPrefix)
	var qids []int64
	for s := range strings.SplitSeq(rest, "-") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !found || len(qids) >= 1000 {
			return nil, notFound("no sync job %q", truncate(id))
		}
		qids = append(qids, n)
	}
	return qids, nil
}

// cancelQueued cancels the queue's jobs of a running queued Job and
// returns the Job: 409 when it has ended, 404 when it is unknown, 405
// when the queue cannot cancel.
func (h *Handler) cancelQueued(ctx context.Context, id string) (Job, error) {
	cq, ok := h.opts.SyncQueue.(CancellableSyncQueue)
	if !ok {
		return Job{}, &apiError{http.StatusMethodNotAllowed, CodeMethodNotAllowed, "this server's sync queue cannot cancel jobs"}
	}
	view, err := h.queuedJob(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if view.Status != JobRunning {
		return Job{}, &apiError{http.StatusConflict, CodeConflict, fmt.Sprintf("sync job %s has ended (%s)", view.ID, view.Status)}
	}
	qids, err := parseQueuedID(id)
	if err != nil {
		return Job{}, err
	}
	for _, qid := range qids {
		if err := cq.Cancel(ctx, qid); err != nil {
			return Job{}, err
		}
	}
	return h.queuedJob(ctx, id)
}

// queuedJob builds the Job of id from the queue's jobs. A job this
// Handler did not enqueue (another process's, or before a restart) is
// shown with what the queue knows: its accounts, progress and reports.
func (h *Handler) queuedJob(ctx context.Context, id string) (Job, error) {
	qids, err := parseQueuedID(id)
	if err != nil {
		return Job{}, err
	}
	h.queued.mu.Lock()
	view, known := h.queued.meta[id]
	h.queued.mu.Unlock()
	if !known {
		view = Job{ID: id, Regions: []string{}, Mode: inventory.SyncFull}
	}
	view.AccountIDs = view.AccountIDs[:0:0]
	view.Progress, view.Reports = []RegionProgress{}, []*inventory.SyncReport{}
	var errs []string
	active, succeeded, skipped, failed, cancelled := 0, 0, 0, 0, 0
	var end time.Time
	for _, qid := range qids {
		st, err := h.opts.SyncQueue.QueuedSync(ctx, qid)
		if errors.Is(err, multicloud.ErrNotFound) {
			return Job{}, notFound("no sync job %q", truncate(id))
		}
		if err != nil {
			return Job{}, err
		}
		view.AccountIDs = append(view.AccountIDs, st.AccountID)
		for _, rg := range st.Regions {
			if rg.Report == nil {
				view.Progress = append(view.Progress, RegionProgress{AccountID: st.AccountID, Region: rg.Region, Done: rg.Done})
				continue
			}
			for _, sc := range rg.Report.Scopes {
				view.Progress = append(view.Progress, RegionProgress{AccountID: st.AccountID, Region: sc.Region,
					AssetType: sc.AssetType, Pages: sc.Pages, Assets: sc.Added + sc.Updated + sc.Unchanged + sc.Undeleted, Done: true})
			}
		}
		if st.Report != nil {
			view.Reports = append(view.Reports, st.Report)
			if !known {
				view.Provider = st.Report.Provider
				if st.Report.Mode == inventory.SyncIncremental {
					view.Mode = st.Report.Mode
				}
			}
			if e := st.Report.StartTime.Add(st.Report.Duration); e.After(end) {
				end = e
			}
		}
		switch st.State {
		case QueuedStateQueued, QueuedStateRunning:
			active++
		case QueuedStateSucceeded:
			succeeded++
		case QueuedStateSkipped:
			skipped++
			errs = append(errs, fmt.Sprintf("account %s: skipped: %s", st.AccountID, st.Error))
		default:
			if st.State != QueuedStatePartial {
				failed++
			}
			if st.State == QueuedStateCancelled {
				cancelled++
			}
			msg := st.Error
			for _, rg := range st.Regions {
				if msg == "" && rg.Report == nil && rg.Error != "" {
					msg = rg.Region + ": " + rg.Error
				}
			}
			if msg == "" {
				msg = st.State
			}
			errs = append(errs, fmt.Sprintf("account %s: %s", st.AccountID, msg))
		}
	}
	switch {
	case active > 0:
		view.Status = JobRunning
	case skipped == len(qids):
		view.Status = JobSkipped
	case succeeded+skipped == len(qids):
		view.Status = JobSucceeded
	case cancelled > 0 && succeeded == 0:
		view.Status = JobCancelled
	case failed == len(qids):
		view.Status = JobFailed
	default:
		view.Status = JobPartial
	}
	if active == 0 {
		view.Error = oneLine(strings.Join(errs, "; "))
		if !end.IsZero() {
			end = end.UTC()
			view.EndTime = &end
		}
	}
	return view, nil
}

// listQueued answers GET /sync-jobs from the jobs this Handler enqueued,
// newest first.
func (h *Handler) listQueued(ctx context.Context) ([]Job, error) {
	h.queued.mu.Lock()
	ids := slices.Clone(h.queued.order)
	h.queued.mu.Unlock()
	slices.Reverse(ids)
	out := make([]Job, 0, len(ids))
	for _, id := range ids {
		j, err := h.queuedJob(ctx, id)
		if ae := (*apiError)(nil); errors.As(err, &ae) && ae.status == http.StatusNotFound {
			continue // gone from the queue (its retention ended)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}
