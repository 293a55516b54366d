package httpapi

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
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

// Job statuses.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobPartial   = "partial" // some scopes or accounts failed, others synced
	JobFailed    = "failed"
	// JobCancelled: a cancel was requested (POST /sync-jobs/{id}/cancel)
	// and the job ended without syncing everything.
	JobCancelled = "cancelled"
	// JobSkipped: a scheduled sync on a job queue that synced nothing, as
	// a sync of its accounts completed after its window began; Error says
	// why.
	JobSkipped = "skipped"
)

// Job is a sync of one or more accounts, as GET /sync-jobs/{id} shows it.
type Job struct {
	ID         string                  `json:"id"`
	Status     string                  `json:"status"`
	Provider   string                  `json:"provider"`
	AccountIDs []string                `json:"account_ids"`
	Mode       inventory.SyncMode      `json:"mode"`
	Regions    []string                `json:"regions"` // as asked; [] means each account's own
	CreateTime time.Time               `json:"create_time"`
	EndTime    *time.Time              `json:"end_time"`
	Progress   []RegionProgress        `json:"progress"` // by account, region, asset type
	Reports    []*inventory.SyncReport `json:"reports"`  // one per finished account; durations in nanoseconds
	Error      string                  `json:"error"`
}

// RegionProgress is how far a job got in one account's region.
type RegionProgress struct {
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	AssetType string `json:"asset_type"`
	Pages     int    `json:"pages"`
	Assets    int    `json:"assets"`
	Done      bool   `json:"done"`
}

// job is a Job and what its runner and waiters share.
type job struct {
	mu        sync.Mutex
	view      Job
	err       error         // the sync's error, set before done closes
	done      chan struct{} // closed when the job ended
	ctx       context.Context
	cancel    context.CancelFunc // cancels the job's syncs
	cancelled bool               // a cancel was requested
}

func (j *job) snapshot() Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := j.view
	v.AccountIDs = slices.Clone(v.AccountIDs)
	v.Regions = slices.Clone(v.Regions)
	v.Progress = slices.Clone(v.Progress)
	v.Reports = slices.Clone(v.Reports)
	return v
}

// jobs runs sync jobs, at most one per account at a time.
type jobs struct {
	h  *Handler
	wg sync.WaitGroup

	mu    sync.Mutex
	byID  map[string]*job
	order []string          // IDs, oldest first
	busy  map[string]string // account ID -> running job ID
}

func newJobs(h *Handler) *jobs {
	return &jobs{h: h, byID: map[string]*job{}, busy: map[string]string{}}
}

func (js *jobs) wait() { js.wg.Wait() }

// start starts a job syncing accounts; it fails with 409 when one of them
// is being synced.
func (js *jobs) start(provider string, accounts []string, opts inventory.SyncOptions) (*job, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if err := js.h.ctx.Err(); err != nil {
		return nil, &apiError{http.StatusServiceUnavailable, CodeCloudUnavailable, "the server is shutting down"}
	}
	for _, a := range accounts {
		if id, ok := js.busy[a]; ok {
			return nil, &apiError{http.StatusConflict, CodeConflict,
				fmt.Sprintf("account %s is already being synced by job %s", a, id)}
		}
	}
	var b [8]byte
	rand.Read(b[:])
	j := &job{done: make(chan struct{}), view: Job{ID: "job-" + hex.EncodeToString(b[:]), Status: JobRunning,
		Provider: provider, AccountIDs: accounts, Mode: cmp.Or(opts.Mode, inventory.SyncFull),
		Regions: nonNil(opts.Regions), CreateTime: time.Now().UTC(), Progress: []RegionProgress{},
		Reports: []*inventory.SyncReport{}}}
	j.ctx, j.cancel = context.WithCancel(js.h.ctx)
	for _, a := range accounts {
		js.busy[a] = j.view.ID
	}
	js.byID[j.view.ID] = j
	js.order = append(js.order, j.view.ID)
	js.prune()
	js.wg.Add(1)
	go js.run(j, opts)
	return j, nil
}

// prune forgets the oldest finished jobs beyond MaxJobs.
func (js *jobs) prune() {
	for i := 0; len(js.byID) > js.h.opts.MaxJobs && i < len(js.order); {
		j := js.byID[js.order[i]]
		select {
		case <-j.done:
			delete(js.byID, js.order[i])
			js.order = slices.Delete(js.order, i, i+1)
		default:
			i++
		}
	}
}

// run syncs the job's accounts one after another.
func (js *jobs) run(j *job, opts inventory.SyncOptions) {
	defer js.wg.Done()
	ctx := j.ctx
	defer j.cancel()
	var errs []error
	failedAccounts := 0
	for _, acct := range j.view.AccountIDs {
		o := opts
		o.Progress = func(p inventory.SyncProgress) { j.progress(acct, p) }
		rep, err := js.h.svc.Sync(ctx, inventory.SyncTarget{AccountID: acct}, o)
		j.mu.Lock()
		if rep != nil {
			j.view.Reports = append(j.view.Reports, rep)
		}
		j.mu.Unlock()
		if err != nil {
			js.h.log.WarnContext(ctx, "sync job account failed", "job", j.view.ID, "account", acct, "error", err)
			errs = append(errs, fmt.Errorf("account %s: %w", acct, err))
			if rep == nil || rep.Failed == len(rep.Scopes) {
				failedAccounts++
			}
		}
	}
	now := time.Now().UTC()
	j.mu.Lock()
	j.view.EndTime = &now
	switch {
	case len(errs) == 0:
		j.view.Status = JobSucceeded
	case j.cancelled:
		j.view.Status = JobCancelled
	case failedAccounts == len(j.view.AccountIDs):
		j.view.Status = JobFailed
	default:
		j.view.Status = JobPartial
	}
	j.err = errors.Join(errs...)
	if j.err != nil {
		j.view.Error = oneLine(j.err.Error())
	}
	j.mu.Unlock()
	js.mu.Lock()
	for _, a := range j.view.AccountIDs {
		if js.busy[a] == j.view.ID {
			delete(js.busy, a)
		}
	}
	js.mu.Unlock()
	close(j.done)
}

// progress records a progress event of one account's sync.
func (j *job) progress(account string, p inventory.SyncProgress) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range j.view.Progress {
		rp := &j.view.Progress[i]
		if rp.AccountID == account && rp.Region == p.Region && rp.AssetType == p.AssetType {
			rp.Pages, rp.Assets, rp.Done = p.Pages, p.Assets, p.ScopeDone
			return
		}
	}
	j.view.Progress = append(j.view.Progress, RegionProgress{AccountID: account, Region: p.Region, AssetType: p.AssetType,
		Pages: p.Pages, Assets: p.Assets, Done: p.ScopeDone})
}

func (js *jobs) get(id string) (*job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.byID[id]
	return j, ok
}

// syncRequest is the body of POST /assets/sync; POST
// /cloud-accounts/{id}/sync takes the same without provider and
// account_id.
type syncRequest struct {
	Provider   string   `json:"provider"`
	AccountID  string   `json:"account_id"`
	Regions    []string `json:"regions"`
	AssetTypes []string `json:"asset_types"`
	Mode       string   `json:"mode"`
}

// options checks the request's regions, asset types and mode.
func (req *syncRequest) options() (inventory.SyncOptions, error) {
	o := inventory.SyncOptions{Regions: req.Regions, AssetTypes: req.AssetTypes, Mode: inventory.SyncMode(req.Mode)}
	switch o.Mode {
	case "", inventory.SyncFull, inventory.SyncIncremental:
	default:
		return o, badRequest("mode %q is not %q or %q", truncate(req.Mode), inventory.SyncFull, inventory.SyncIncremental)
	}
	if len(req.Regions) > 100 || len(req.AssetTypes) > 20 {
		return o, badRequest("at most 100 regions and 20 asset types")
	}
	for _, r := range req.Regions {
		if err := checkName("region", r); err != nil {
			return o, err
		}
	}
	for _, t := range req.AssetTypes {
		if err := checkName("asset_type", t); err != nil {
			return o, err
		}
	}
	return o, nil
}

// wantsAsync reports whether the client asked for a 202 and a job.
func wantsAsync(r *http.Request) (bool, error) {
	if s := r.URL.Query().Get("async"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, badRequest("async %q is not a boolean", truncate(s))
		}
		return b, nil
	}
	for _, p := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(p, ",") {
			if strings.EqualFold(strings.TrimSpace(part), "respond-async") {
				return true, nil
			}
		}
	}
	return false, nil
}

// syncAssets answers POST /assets/sync.
func (h *Handler) syncAssets(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r.URL.Query(), []string{"async"}, nil); err != nil {
		return err
	}
	var req syncRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	return h.startSync(w, r, &req)
}

// syncAccount answers POST /cloud-accounts/{id}/sync.
func (h *Handler) syncAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := checkQuery(r.URL.Query(), []string{"async"}, nil); err != nil {
		return err
	}
	var body struct {
		Regions    []string `json:"regions"`
		AssetTypes []string `json:"asset_types"`
		Mode       string   `json:"mode"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if _, err := wantsAsync(r); err != nil {
		return err
	}
	req := syncRequest{AccountID: id, Regions: body.Regions, AssetTypes: body.AssetTypes, Mode: body.Mode}
	if _, err := req.options(); err != nil { // before the store is asked
		return err
	}
	a, err := h.svc.GetAccount(r.Context(), id)
	if err != nil {
		return err
	}
	req.Provider = a.Provider
	return h.startSync(w, r, &req)
}

// startSync starts the job of req and answers 202 with it, or waits for
// it and answers data null (the design's answer) or the sync's error.
func (h *Handler) startSync(w http.ResponseWriter, r *http.Request, req *syncRequest) error {
	async, err := wantsAsync(r)
	if err != nil {
		return err
	}
	opts, err := req.options()
	if err != nil {
		return err
	}
	accounts, err := h.accountsOf(r, req.Provider, req.AccountID)
	if err != nil {
		return err
	}
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	if h.opts.SyncQueue != nil {
		return h.startQueued(w, r, req.Provider, ids, opts, async)
	}
	j, err := h.jobs.start(req.Provider, ids, opts)
	if err != nil {
		return err
	}
	loc := Prefix + "/sync-jobs/" + j.view.ID
	w.Header().Set("Location", loc)
	if async {
		w.Header().Set("Preference-Applied", "respond-async")
		ok(w, http.StatusAccepted, map[string]any{"job_id": j.view.ID, "status": JobRunning, "location": loc})
		return nil
	}
	select {
	case <-j.done:
	case <-r.Context().Done():
		// The client left; the job runs on and can be looked up.
		return multicloud.Errorf(multicloud.CodeCanceled, "request cancelled; sync continues as job %s", j.view.ID)
	}
	if j.err != nil {
		return j.err
	}
	ok(w, http.StatusOK, nil)
	return nil
}

func (h *Handler) getJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if h.opts.SyncQueue != nil {
		j, err := h.queuedJob(r.Context(), id)
		if err != nil {
			return err
		}
		ok(w, http.StatusOK, j)
		return nil
	}
	j, found := h.jobs.get(id)
	if !found {
		return notFound("no sync job %q", truncate(id))
	}
	ok(w, http.StatusOK, j.snapshot())
	return nil
}

// listJobs answers GET /sync-jobs: the kept jobs, newest first.
func (h *Handler) listJobs(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r.URL.Query(), nil, nil); err != nil {
		return err
	}
	if h.opts.SyncQueue != nil {
		out, err := h.listQueued(r.Context())
		if err != nil {
			return err
		}
		ok(w, http.StatusOK, map[string]any{"jobs": out, "total": len(out)})
		return nil
	}
	h.jobs.mu.Lock()
	list := make([]*job, 0, len(h.jobs.order))
	for i := len(h.jobs.order) - 1; i >= 0; i-- {
		list = append(list, h.jobs.byID[h.jobs.order[i]])
	}
	h.jobs.mu.Unlock()
	out := make([]Job, len(list))
	for i, j := range list {
		out[i] = j.snapshot()
	}
	ok(w, http.StatusOK, map[string]any{"jobs": out, "total": len(out)})
	return nil
}

// requestCancel cancels a running job's syncs: scopes being listed stop
// and mark nothing deleted, what was written stays. It reports false
// when the job had ended already.
func (j *job) requestCancel() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	select {
	case <-j.done:
		return false
	default:
	}
	j.cancelled = true
	j.cancel()
	return true
}

// cancelJob answers POST /sync-jobs/{id}/cancel: 202 and the job (still
// running: it ends as cancelled once its syncs stopped), 409 when it had
// ended, 404 when it is unknown.
func (h *Handler) cancelJob(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if h.opts.SyncQueue != nil {
		j, err := h.cancelQueued(r.Context(), id)
		if err != nil {
			return err
		}
		ok(w, http.StatusAccepted, j)
		return nil
	}
	j, found := h.jobs.get(id)
	if !found {
		return notFound("no sync job %q", truncate(id))
	}
	if !j.requestCancel() {
		v := j.snapshot()
		return &apiError{http.StatusConflict, CodeConflict, fmt.Sprintf("sync job %s has ended (%s)", v.ID, v.Status)}
	}
	ok(w, http.StatusAccepted, j.snapshot())
	return nil
}
