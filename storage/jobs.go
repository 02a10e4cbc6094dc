package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// ErrNoWorkers is returned by Start when no job kind has a worker.
var ErrNoWorkers = errors.New("jobs: no workers registered")

// JobsOptions configures the durable job queue.
type JobsOptions struct {
	// Workers is how many jobs run at once in this process.
	Workers int
	// Timeout is how long one job may run before it is cancelled.
	Timeout time.Duration
	// RescueAfter is how long a job may sit in the running state before it is
	// taken to belong to a process that died and is run again. It must be
	// longer than Timeout.
	RescueAfter time.Duration
	// PollInterval is how often an idle queue looks for new jobs that
	// nothing woke it for: jobs inserted by another process (the admin
	// CLI). Jobs inserted by this process wake it when their transaction
	// commits, and scheduled jobs when they are due (jobs_wake.go), so
	// this can be long; 2 s by default.
	PollInterval time.Duration
	// Logger receives the queue's own log lines.
	Logger *slog.Logger
}

// Jobs is the durable job queue: it lives in the same database as the data,
// so a job inserted in a transaction exists exactly when the change that
// caused it does. Register every worker (storage.AddWorker(jobs, w))
// before the first Insert or Start.
type Jobs struct {
	db      *DB
	opts    JobsOptions
	workers *river.Workers

	mu    sync.Mutex
	kinds int

	once   sync.Once
	client *river.Client[*sql.Tx]
	err    error
}

// AddWorker registers w as the worker of its job kind.
func AddWorker[T river.JobArgs](j *Jobs, w river.Worker[T]) {
	j.mu.Lock()
	defer j.mu.Unlock()
	river.AddWorker(j.workers, w)
	j.kinds++
}

func (j *Jobs) hasWorkers() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.kinds > 0
}

// NewJobs returns the job queue of db. Nothing runs until Start.
func NewJobs(db *DB, opts JobsOptions) *Jobs {
	if opts.Workers <= 0 {
		opts.Workers = 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	if opts.RescueAfter <= opts.Timeout {
		opts.RescueAfter = opts.Timeout + max(opts.Timeout/2, time.Second)
	}
	if opts.PollInterval <= 0 {
		// Each poll is a query (polling every 50 ms cost an idle server
		// 3 % of a core); the interval bounds how long a job inserted by
		// another process, such as the admin CLI, waits.
		opts.PollInterval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Jobs{db: db, opts: opts, workers: river.NewWorkers()}
}

func (j *Jobs) riverClient() (*river.Client[*sql.Tx], error) {
	j.once.Do(func() {
		cfg := &river.Config{
			Workers:              j.workers,
			JobTimeout:           j.opts.Timeout,
			RescueStuckJobsAfter: j.opts.RescueAfter,
			FetchPollInterval:    j.opts.PollInterval,
			FetchCooldown:        min(10*time.Millisecond, j.opts.PollInterval),
			Logger:               j.opts.Logger.With("component", "jobs"),
			// Both drivers run over database/sql (so jobs share bun's
			// transactions), which has no LISTEN; the driver's listener
			// is this process's own wake-up (jobs_wake.go).
			SkipUnknownJobCheck: false,
		}
		if j.hasWorkers() {
			cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: j.opts.Workers}, QueueRelay: {MaxWorkers: RelayWorkers}}
		} else {
			// An insert-only client (the admin CLI) must not refuse job
			// kinds that the server process will work.
			cfg.Workers = nil
		}
		j.client, j.err = river.NewClient[*sql.Tx](&wakeDriver{Driver: j.db.riverDriver(), w: j.db.jobWake, db: j.db}, cfg)
	})
	return j.client, j.err
}

// QueueRelay is the queue of what relays send: a few workers only, so a
// relay's pace cannot take the server's other work (relays.go).
const QueueRelay = "relay"

// RelayWorkers is how many relay jobs run at once in this process.
const RelayWorkers = 2

// InsertTx adds a job inside tx: it runs only if tx commits.
func (j *Jobs) InsertTx(ctx context.Context, tx Tx, args river.JobArgs, opts *river.InsertOpts) error {
	c, err := j.riverClient()
	if err != nil {
		return err
	}
	if _, err := c.InsertTx(ctx, tx.SQLTx(), args, opts); err != nil {
		return fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	tx.markJobs()
	return nil
}

// InsertManyTx adds many jobs inside tx at once.
func (j *Jobs) InsertManyTx(ctx context.Context, tx Tx, args []river.JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	c, err := j.riverClient()
	if err != nil {
		return err
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	if _, err := c.InsertManyTx(ctx, tx.SQLTx(), params); err != nil {
		return fmt.Errorf("insert %d jobs: %w", len(args), err)
	}
	tx.markJobs()
	return nil
}

// markJobs records that tx inserted jobs: the queue is woken when it
// commits.
func (tx Tx) markJobs() {
	if tx.jobs != nil {
		tx.jobs.inserted = true
	}
}

// Insert adds a job on its own.
func (j *Jobs) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	return j.db.InTx(ctx, func(tx Tx) error { return j.InsertTx(ctx, tx, args, opts) })
}

// Start begins working jobs in the background until ctx ends or Stop.
func (j *Jobs) Start(ctx context.Context) error {
	if !j.hasWorkers() {
		return ErrNoWorkers
	}
	c, err := j.riverClient()
	if err != nil {
		return err
	}
	return c.Start(ctx)
}

// Stop waits for running jobs to finish, or cancels them when ctx ends first.
// Cancelled jobs are retried later, by this or another process.
func (j *Jobs) Stop(ctx context.Context) error {
	if j.client == nil {
		return nil
	}
	err := j.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return j.client.StopAndCancel(context.WithoutCancel(ctx))
	}
	return err
}

// CompleteTx marks job as done inside tx, so the job's effect and its
// completion commit together and a crash cannot make it run twice.
func CompleteTx[T river.JobArgs](ctx context.Context, tx Tx, job *river.Job[T]) error {
	var err error
	if tx.dialect == Postgres {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx.SQLTx(), job)
	} else {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, tx.SQLTx(), job)
	}
	return err
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
