package storage_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// markArgs is a job whose work is to record its number in job_marks.
type markArgs struct {
	N int `json:"n"`
}

func (markArgs) Kind() string { return "test_mark" }

type markWorker struct {
	river.WorkerDefaults[markArgs]
	db *storage.DB
}

func (w *markWorker) Work(ctx context.Context, job *river.Job[markArgs]) error {
	return w.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.ExecForTest(ctx, "INSERT INTO job_marks (n) VALUES (?)", job.Args.N); err != nil {
			return err
		}
		return storage.CompleteTx(ctx, tx, job)
	})
}

func countMarks(t *testing.T, db *storage.DB, n int) int {
	t.Helper()
	var c int
	if err := db.QueryRowForTest(context.Background(), "SELECT count(*) FROM job_marks WHERE n = ?", n).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJobCommittedWithDataRunsAfterRestartAndRolledBackNeverRuns(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		url := storagetest.NewURL(t, dialect)

		// First "process": inserts jobs but never works them.
		db1, err := storage.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db1.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db1.ExecForTest(ctx, "CREATE TABLE job_marks (n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		jobs1 := storage.NewJobs(db1, storage.JobsOptions{})
		rollback := errors.New("roll back")
		err = db1.InTx(ctx, func(tx storage.Tx) error {
			if err := tx.ExecForTest(ctx, "INSERT INTO job_marks (n) VALUES (?)", 100); err != nil {
				return err
			}
			if err := jobs1.InsertTx(ctx, tx, markArgs{N: 1}, nil); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx = %v, want the rollback error", err)
		}
		err = db1.InTx(ctx, func(tx storage.Tx) error {
			return jobs1.InsertTx(ctx, tx, markArgs{N: 2}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := countMarks(t, db1, 100); n != 0 {
			t.Fatalf("the rolled-back row is stored (%d)", n)
		}
		db1.Close()

		// Second "process": works what was committed.
		db2, err := storage.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		jobs2 := storage.NewJobs(db2, storage.JobsOptions{PollInterval: 50 * time.Millisecond})
		storage.AddWorker(jobs2, &markWorker{db: db2})
		if err := jobs2.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer jobs2.Stop(ctx)

		deadline := time.Now().Add(20 * time.Second)
		for countMarks(t, db2, 2) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the committed job did not run within 20s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		var queued int
		if err := db2.QueryRowForTest(ctx, "SELECT count(*) FROM river_job").Scan(&queued); err != nil {
			t.Fatal(err)
		}
		if queued != 1 {
			t.Fatalf("river_job holds %d jobs, want only the committed one", queued)
		}
		if n := countMarks(t, db2, 1); n != 0 {
			t.Fatalf("the rolled-back job ran %d times", n)
		}
		if n := countMarks(t, db2, 2); n != 1 {
			t.Fatalf("the committed job ran %d times, want 1", n)
		}
	})
}

// openJobsDB opens and migrates a database with a job_marks table.
func openJobsDB(t *testing.T, url string, create bool) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if create {
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.ExecForTest(ctx, "CREATE TABLE job_marks (n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// startMarkJobs starts a queue working markArgs on db that polls every poll.
func startMarkJobs(t *testing.T, db *storage.DB, poll time.Duration) *storage.Jobs {
	t.Helper()
	ctx := context.Background()
	jobs := storage.NewJobs(db, storage.JobsOptions{PollInterval: poll, Logger: quietTestLogger()})
	storage.AddWorker(jobs, &markWorker{db: db})
	if err := jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jobs.Stop(ctx) })
	return jobs
}

// waitMark waits up to limit for job n to have run and returns how long it took.
func waitMark(t *testing.T, db *storage.DB, n int, limit time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	for countMarks(t, db, n) == 0 {
		if time.Since(began) > limit {
			t.Fatalf("job %d did not run within %v", n, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(began)
}

// The queue polls rarely (an idle server must not wake every few
// milliseconds), so a job inserted in a transaction of this process must
// wake it when the transaction commits, alone or in a shared group commit.
func TestJobInsertedInCommittedTransactionRunsAtOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := openJobsDB(t, storagetest.NewURL(t, dialect), true)
		const poll = 10 * time.Second
		jobs := startMarkJobs(t, db, poll)
		time.Sleep(200 * time.Millisecond) // let the queue settle into waiting
		for n := 1; n <= 3; n++ {
			if err := db.InTx(ctx, func(tx storage.Tx) error { return jobs.InsertTx(ctx, tx, markArgs{N: n}, nil) }); err != nil {
				t.Fatal(err)
			}
			if took := waitMark(t, db, n, 2*poll); took > time.Second {
				t.Fatalf("job %d ran %v after its commit; the queue polls every %v and should have been woken", n, took, poll)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Many writers at once: on SQLite they share one COMMIT.
		errs := make(chan error, 20)
		for n := 10; n < 30; n++ {
			go func() {
				errs <- db.InTx(ctx, func(tx storage.Tx) error { return jobs.InsertTx(ctx, tx, markArgs{N: n}, nil) })
			}()
		}
		for range 20 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		began := time.Now()
		for n := 10; n < 30; n++ {
			waitMark(t, db, n, 2*poll)
		}
		if took := time.Since(began); took > time.Second {
			t.Fatalf("20 jobs took %v to run after their commits", took)
		}
		// A transaction that rolls back wakes nothing and runs nothing.
		rollback := errors.New("roll back")
		if err := db.InTx(ctx, func(tx storage.Tx) error {
			if err := jobs.InsertTx(ctx, tx, markArgs{N: 99}, nil); err != nil {
				return err
			}
			return rollback
		}); !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if countMarks(t, db, 99) != 0 {
			t.Fatal("a rolled-back job ran")
		}
	})
}

// A job inserted by another process (the admin CLI) wakes nobody here on
// SQLite: the queue's slow poll must still find it. On PostgreSQL, River's
// NOTIFY of the insert wakes the queue at once.
func TestJobInsertedByAnotherProcessRunsWithinPollInterval(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		url := storagetest.NewURL(t, dialect)
		server := openJobsDB(t, url, true)
		poll := time.Second
		if dialect == storage.Postgres {
			poll = 10 * time.Second
		}
		startMarkJobs(t, server, poll)
		cli := openJobsDB(t, url, false)
		cliJobs := storage.NewJobs(cli, storage.JobsOptions{}) // insert only, as `rounds admin` does
		for n := 1; n <= 2; n++ {
			time.Sleep(300 * time.Millisecond)
			if err := cliJobs.Insert(ctx, markArgs{N: n}, nil); err != nil {
				t.Fatal(err)
			}
			// The poll is jittered by up to 10 %; the rest is slack for a busy machine.
			limit := poll + poll/10 + time.Second
			if dialect == storage.Postgres {
				limit = time.Second
			}
			if took := waitMark(t, server, n, 3*poll); took > limit {
				t.Fatalf("job %d from another process ran %v after its insert (the queue polls every %v), want within %v", n, took, poll, limit)
			}
		}
	})
}

// A job scheduled for later runs at its time, not at the next poll: the
// queue is woken when River's scheduler has made it available and it is due.
func TestScheduledJobRunsAtItsTimeNotAtNextPoll(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := openJobsDB(t, storagetest.NewURL(t, dialect), true)
		const poll = 30 * time.Second
		jobs := startMarkJobs(t, db, poll)
		// Further ahead than the scheduler's look-ahead (5 s), so the job is
		// made available before it is due and only a wake-up at its time
		// (or a poll) makes the queue fetch it.
		const delay = 6 * time.Second
		at := time.Now().Add(delay)
		if err := db.InTx(ctx, func(tx storage.Tx) error {
			return jobs.InsertTx(ctx, tx, markArgs{N: 1}, &river.InsertOpts{ScheduledAt: at})
		}); err != nil {
			t.Fatal(err)
		}
		waitMark(t, db, 1, 2*poll)
		if late := time.Since(at); late < 0 || late > time.Second {
			t.Fatalf("the job scheduled for %v ran %v after its time", delay, late)
		}
	})
}

func quietTestLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
