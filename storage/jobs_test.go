package storage_test

import (
	"context"
	"errors"
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
