// Package syncjobs runs the inventory's syncs on a job queue, River
// (github.com/riverqueue/river), in the application's database:
// PostgreSQL through riverpgxv5 for a fleet of replicas, SQLite through
// riversqlite for the embedded default, with the same code.
//
// Every replica runs a Jobs over the same database. Once per tick each
// replica looks for accounts with auto sync whose interval window has
// begun, and enqueues one account job per (account, window), unique in
// the database, so each account syncs once per interval however many
// replicas run, and the schedule waits for no leader election when a
// replica dies. Windows are offset per account by a stable fraction of
// its interval, so a fleet's accounts spread over the interval instead
// of starting together. An account job fans out into one job per
// (account, region), which any replica's workers take, retried with
// backoff when they fail, and a finishing job that waits for them and
// writes the account's last sync status and time. A replica that dies
// mid-job leaves its job to River's rescuer, which hands it to another
// after Options.RescueAfter; a region's deletions are reconciled only
// once its listing completed, so a job cut short leaves the store
// consistent. Manual syncs (EnqueueSync) enqueue the same jobs. A
// window's account job waits while another sync of the account is
// active, and syncs nothing if one completed successfully after the
// window began (see AccountOutput.Skipped), so a manual sync and a
// window do not list an account twice in a row.
package syncjobs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/inventory"
)

// Defaults of Options.
const (
	DefaultQueue       = "inventory_sync"
	DefaultWorkers     = 10
	DefaultTick        = time.Minute
	DefaultMaxAttempts = 5
	DefaultJobTimeout  = 30 * time.Minute
	DefaultRescueAfter = time.Hour
	DefaultFinishPoll  = 5 * time.Second
	DefaultRetention   = 8 * 24 * time.Hour
	DefaultRetryBase   = 10 * time.Second
	DefaultRetryMax    = 10 * time.Minute
)

// Options configure Jobs. New applies the Option functions to a zero
// Options and fills in defaults.
type Options struct {
	// Queue is the River queue of the jobs; default DefaultQueue.
	Queue string
	// Workers bounds the jobs this replica runs at once; default
	// DefaultWorkers.
	Workers int
	// Tick is how often each replica looks for accounts due; default
	// DefaultTick. A window starts at most a tick late.
	Tick time.Duration
	// Spread is the fraction (0 to 1) of an account's interval its
	// windows are offset by, from a hash of its ID; default 1, the whole
	// interval. Negative means 0: every account's windows start on
	// multiples of its interval.
	Spread float64
	// Mode is the mode of scheduled syncs; default
	// inventory.SyncIncremental (full when a scope's full sync is due).
	Mode inventory.SyncMode
	// MaxAttempts is how often a failing region job runs before it is
	// given up; default DefaultMaxAttempts. Retries back off as River's
	// default retry policy does.
	MaxAttempts int
	// Retention is how long finished jobs stay in the database (River's
	// CompletedJobRetentionPeriod); default DefaultRetention. An account
	// job's unique key is what makes its window run once, so intervals
	// must be shorter than Retention.
	Retention time.Duration
	// RetryBase and RetryMax shape the backoff of failed jobs: the n-th
	// retry waits RetryBase * 2^(n-1), at most RetryMax, with up to a
	// fifth of jitter; defaults DefaultRetryBase and DefaultRetryMax.
	RetryBase, RetryMax time.Duration
	// JobTimeout bounds one job; default DefaultJobTimeout.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River takes
	// it for dead and runs it again (a replica died); default
	// DefaultRescueAfter. It must exceed JobTimeout.
	RescueAfter time.Duration
	// FinishPoll is how often a finishing job checks its regions' jobs;
	// default DefaultFinishPoll.
	FinishPoll time.Duration
	// PollInterval is how often River looks for new jobs where it gets
	// no notifications (SQLite), and FetchCooldown the least time between
	// two looks; zero keeps River's defaults (1 s and 100 ms).
	PollInterval, FetchCooldown time.Duration
	// Logger receives the job layer's logs and River's; nil discards them.
	Logger *slog.Logger
}

// Option edits Options.
type Option func(*Options)

// WithOptions replaces the Options wholesale.
func WithOptions(o Options) Option { return func(p *Options) { *p = o } }

// WithWorkers sets Options.Workers.
func WithWorkers(n int) Option { return func(o *Options) { o.Workers = n } }

// WithTick sets Options.Tick.
func WithTick(d time.Duration) Option { return func(o *Options) { o.Tick = d } }

// WithLogger sets Options.Logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// Jobs is the inventory's job layer on one River client: its workers,
// the schedule, and the API to enqueue and follow syncs. It is safe for
// concurrent use. TTx is the driver's transaction type.
type Jobs[TTx any] struct {
	svc    *inventory.Service
	opts   Options
	log    *slog.Logger
	client *river.Client[TTx]

	tx txFuncs[TTx] // zero for New's drivers: wakes are then not in the completion's transaction

	mu   sync.Mutex
	done map[windowKey]time.Time // windows this replica enqueued, and when
}

// txFuncs open and end a transaction of the driver's type, so that a
// region job's completion and its finishing job's wake commit together.
type txFuncs[TTx any] struct {
	begin    func(context.Context) (TTx, error)
	commit   func(context.Context, TTx) error
	rollback func(context.Context, TTx) error
	// lock takes, until the transaction ends, a lock per key (given
	// sorted) that every replica's transactions over the same keys wait
	// for.
	lock func(context.Context, TTx, []string) error
}

// lockPrefix namespaces the job layer's advisory locks on PostgreSQL.
const lockPrefix = "multicloud.syncjobs.account:"

// windowKey is an account's window.
type windowKey struct {
	account string
	start   int64 // unix nanoseconds
}

// enqueued reports whether this replica enqueued the window already.
func (j *Jobs[TTx]) enqueued(k windowKey) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.done[k]
	return ok
}

// remember records enqueued windows, forgetting those older than a day.
func (j *Jobs[TTx]) remember(keys []windowKey, now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for k, at := range j.done {
		if now.Sub(at) > 24*time.Hour {
			delete(j.done, k)
		}
	}
	for _, k := range keys {
		j.done[k] = now
	}
}

// NewPostgres returns Jobs on a PostgreSQL pool, after running River's
// migrations on it. The pool needs a connection per worker and a few for
// River (pgxpool's default of four is too few: set MaxConns to at least
// Workers + 4). See New.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, svc *inventory.Service, opts ...Option) (*Jobs[pgx.Tx], error) {
	return newJobs(ctx, riverpgxv5.New(pool), svc, txFuncs[pgx.Tx]{
		begin:    func(ctx context.Context) (pgx.Tx, error) { return pool.Begin(ctx) },
		commit:   func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		rollback: func(ctx context.Context, tx pgx.Tx) error { return tx.Rollback(ctx) },
		lock: func(ctx context.Context, tx pgx.Tx, keys []string) error {
			for _, k := range keys { // in sorted order, so two transactions never wait on each other
				if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", lockPrefix+k); err != nil {
					return err
				}
			}
			return nil
		},
	}, opts)
}

// NewSQLite returns Jobs on a SQLite database (modernc.org/sqlite, the
// same file as the inventory's store or another), after running River's
// migrations on it. SQLite allows one writer, so db should be limited to
// one open connection. See New.
func NewSQLite(ctx context.Context, db *sql.DB, svc *inventory.Service, opts ...Option) (*Jobs[*sql.Tx], error) {
	return newJobs(ctx, riversqlite.New(db), svc, txFuncs[*sql.Tx]{
		begin:    func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		commit:   func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback: func(_ context.Context, tx *sql.Tx) error { return tx.Rollback() },
		// SQLite has one writer: a write that changes nothing takes the
		// database's write lock (waiting up to busy_timeout) before the
		// transaction reads, so no other connection's insert can slip
		// between the check and the insert.
		lock: func(ctx context.Context, tx *sql.Tx, _ []string) error {
			_, err := tx.ExecContext(ctx, "UPDATE river_job SET id = id WHERE 0")
			return err
		},
	}, opts)
}

// New runs River's migrations on the driver's database (they are
// idempotent, and serialized between replicas by River) and returns Jobs
// over svc, not yet running: call Run. Errors: a nil service or a bad
// option match multicloud.ErrInvalidArgument; a failed migration is
// returned as is.
//
// With a driver New does not know how to open transactions of, a region
// job wakes its finishing job just before its completion is recorded
// rather than in the same transaction; NewPostgres and NewSQLite do both
// at once.
func New[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], svc *inventory.Service, opts ...Option) (*Jobs[TTx], error) {
	return newJobs(ctx, driver, svc, txFuncs[TTx]{}, opts)
}

func newJobs[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], svc *inventory.Service, tx txFuncs[TTx], opts []Option) (*Jobs[TTx], error) {
	o := Options{Spread: 1}
	for _, f := range opts {
		f(&o)
	}
	if svc == nil {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "syncjobs: nil service")
	}
	if o.Workers < 0 || o.Tick < 0 || o.MaxAttempts < 0 || o.JobTimeout < 0 || o.RescueAfter < 0 || o.FinishPoll < 0 || o.RetryBase < 0 || o.RetryMax < 0 || o.Retention < 0 || o.Spread > 1 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "syncjobs: option out of range")
	}
	setDefault(&o.Queue, DefaultQueue)
	setDefault(&o.Workers, DefaultWorkers)
	setDefault(&o.Tick, DefaultTick)
	setDefault(&o.Mode, inventory.SyncIncremental)
	setDefault(&o.MaxAttempts, DefaultMaxAttempts)
	setDefault(&o.JobTimeout, DefaultJobTimeout)
	setDefault(&o.RescueAfter, DefaultRescueAfter)
	setDefault(&o.FinishPoll, DefaultFinishPoll)
	setDefault(&o.Retention, DefaultRetention)
	setDefault(&o.RetryBase, DefaultRetryBase)
	setDefault(&o.RetryMax, DefaultRetryMax)
	o.Spread = max(o.Spread, 0)
	if o.RescueAfter <= o.JobTimeout {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "syncjobs: RescueAfter %v must exceed JobTimeout %v", o.RescueAfter, o.JobTimeout)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("syncjobs: river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("syncjobs: river migrations: %w", err)
	}
	j := &Jobs[TTx]{svc: svc, opts: o, log: log, tx: tx, done: map[windowKey]time.Time{}}
	workers := river.NewWorkers()
	river.AddWorker(workers, &accountWorker[TTx]{j: j})
	river.AddWorker(workers, &regionWorker[TTx]{j: j})
	river.AddWorker(workers, &finishWorker[TTx]{j: j})
	cfg := &river.Config{
		Queues:               map[string]river.QueueConfig{o.Queue: {MaxWorkers: o.Workers}},
		Workers:              workers,
		MaxAttempts:          o.MaxAttempts,
		JobTimeout:           o.JobTimeout,
		RescueStuckJobsAfter: o.RescueAfter,
		// A window's account job must outlive the window, or the
		// schedule would enqueue the window again.
		CompletedJobRetentionPeriod: o.Retention,
		RetryPolicy:                 backoff{base: o.RetryBase, max: o.RetryMax},
		FetchPollInterval:           o.PollInterval,
		FetchCooldown:               o.FetchCooldown,
		Logger:                      log,
	}
	if j.client, err = river.NewClient(driver, cfg); err != nil {
		return nil, fmt.Errorf("syncjobs: river client: %w", err)
	}
	return j, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Run starts the replica's workers and its schedule, and returns when ctx
// is done: then it stops hard,
// cancelling the syncs in flight (another replica, or this one after a
// restart, runs them again), and returns ctx's error. It returns at once
// with River's error if the client cannot start. Run once per Jobs.
func (j *Jobs[TTx]) Run(ctx context.Context) error {
	events, unsubscribe := j.client.Subscribe(river.EventKindJobFailed, river.EventKindJobCancelled)
	defer unsubscribe()
	if err := j.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("syncjobs: start: %w", err)
	}
	// Wake finishing jobs once a region job's failure or cancellation is
	// recorded (a completion wakes its finishing job in the same
	// transaction, see regionWorker.Work). This is only a shortcut: a
	// replica that stops takes its subscription with it.
	woken := make(chan struct{})
	go func() {
		defer close(woken)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				if ev.Job == nil || ev.Job.Kind != KindRegion || ev.Job.FinalizedAt == nil || ev.Job.State == rivertype.JobStateCompleted {
					continue
				}
				var a RegionArgs
				if json.Unmarshal(ev.Job.EncodedArgs, &a) == nil && a.Finish != 0 {
					j.pokeFinish(ctx, a.Finish)
				}
			}
		}
	}()
	// The schedule: every replica, each tick (jittered by up to a
	// tenth, so replicas do not tick together).
	scheduled := make(chan struct{})
	go func() {
		defer close(scheduled)
		for {
			if err := j.schedule(ctx); err != nil && ctx.Err() == nil {
				j.log.WarnContext(ctx, "syncjobs: schedule", "error", err)
			}
			t := time.NewTimer(j.opts.Tick + time.Duration(rand.Int64N(int64(j.opts.Tick)/10+1)))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	<-ctx.Done()
	<-woken
	<-scheduled
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := j.client.StopAndCancel(stopCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		j.log.Warn("syncjobs: stop", "error", err)
	}
	return ctx.Err()
}

// Client returns the River client, for what this package does not
// wrap (subscriptions, queue pauses, job listings).
func (j *Jobs[TTx]) Client() *river.Client[TTx] { return j.client }

// windowOf returns the start of the window of an account's interval
// that holds t: windows are the interval long, offset by a hash of the
// account ID times spread.
func windowOf(accountID string, interval time.Duration, spread float64, t time.Time) time.Time {
	h := sha256.Sum256([]byte(accountID))
	off := time.Duration(float64(binary.BigEndian.Uint64(h[:8])%uint64(interval)) * spread)
	return t.Add(-off).Truncate(interval).Add(off)
}

// backoff is the retry policy of failed jobs (see Options.RetryBase).
type backoff struct{ base, max time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := b.base
	for i := 1; i < job.Attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	d += time.Duration(rand.Int64N(int64(d)/5 + 1))
	return time.Now().Add(d)
}
