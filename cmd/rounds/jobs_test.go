package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestQueuedJobsRunExactlyOnceAfterSIGKILL queues jobs, kills the server with
// SIGKILL while it works them, starts it again, and checks that every job ran
// exactly once: none lost, none doubled.
func TestQueuedJobsRunExactlyOnceAfterSIGKILL(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		const total = 500
		ctx := context.Background()
		dbURL := storagetest.NewURL(t, dialect)
		if code, out, errs := runCLI(t, nil, "migrate", "--database", dbURL); code != 0 {
			t.Fatalf("migrate = %d\n%s%s", code, out, errs)
		}
		db, err := storage.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.ExecForTest(ctx, "CREATE TABLE job_marks (n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		insertMarks(t, db, total)
		marks := func() (all, distinct int) {
			t.Helper()
			if err := db.QueryRowForTest(ctx, "SELECT count(*), count(DISTINCT n) FROM job_marks").Scan(&all, &distinct); err != nil {
				t.Fatal(err)
			}
			return all, distinct
		}

		dir := t.TempDir()
		env := []string{"ROUNDS_TEST_MARK_DELAY=30ms"}
		args := []string{"--database", dbURL, "--job-workers", "10", "--job-timeout", "1s"}
		c := startChild(t, dir, env, args...)
		deadline := time.Now().Add(30 * time.Second)
		for {
			if n, _ := marks(); n >= 50 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the first server ran fewer than 50 jobs in 30s")
			}
			time.Sleep(5 * time.Millisecond)
		}
		c.stop(syscall.SIGKILL)
		before, _ := marks()
		if before >= total {
			t.Fatalf("all %d jobs ran before the kill; the test proves nothing", total)
		}
		t.Logf("killed after %d of %d jobs", before, total)

		// Jobs that were running when the process died are rescued once
		// they have been stuck longer than the job timeout plus a margin.
		time.Sleep(2500 * time.Millisecond)
		c2 := startChild(t, dir, env, args...)
		deadline = time.Now().Add(90 * time.Second)
		for {
			all, distinct := marks()
			if all != distinct {
				t.Fatalf("%d marks but %d distinct jobs: a job ran twice", all, distinct)
			}
			if all == total {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the restart only %d of %d jobs ran within 90s", all, total)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // nothing more may arrive
		if all, distinct := marks(); all != total || distinct != total {
			t.Fatalf("marks = %d (%d distinct), want %d each", all, distinct, total)
		}
		if code := c2.stop(syscall.SIGTERM); code != 0 {
			t.Fatalf("exit code after SIGTERM = %d", code)
		}
	})
}

// TestTwoProcessesShareTheJobQueueOnPostgres runs two servers on one
// PostgreSQL database: both work the queue, and every job runs exactly
// once. Federation deliveries are jobs of this same queue, so none is sent
// twice. Both then stop promptly on SIGTERM, listeners and all.
func TestTwoProcessesShareTheJobQueueOnPostgres(t *testing.T) {
	const total = 400
	ctx := context.Background()
	dbURL := storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	if code, out, errs := runCLI(t, nil, "migrate", "--database", dbURL); code != 0 {
		t.Fatalf("migrate = %d\n%s%s", code, out, errs)
	}
	db, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ExecForTest(ctx, "CREATE TABLE job_marks (n INTEGER NOT NULL, node TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	args := []string{"--database", dbURL, "--job-workers", "5", "--job-timeout", "5s"}
	a := startChild(t, t.TempDir(), []string{"ROUNDS_TEST_MARK_DELAY=10ms", "ROUNDS_TEST_MARK_NODE=a"}, args...)
	b := startChild(t, t.TempDir(), []string{"ROUNDS_TEST_MARK_DELAY=10ms", "ROUNDS_TEST_MARK_NODE=b"}, args...)

	insertMarks(t, db, total)
	var all, distinct, byA, byB int
	count := func() {
		t.Helper()
		err := db.QueryRowForTest(ctx, `SELECT count(*), count(DISTINCT n),
			count(*) FILTER (WHERE node = 'a'), count(*) FILTER (WHERE node = 'b') FROM job_marks`).Scan(&all, &distinct, &byA, &byB)
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for count(); all < total; count() {
		if all != distinct {
			t.Fatalf("%d marks but %d distinct jobs: a job ran twice", all, distinct)
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d jobs ran within 60s", all, total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // nothing more may arrive
	count()
	if all != total || distinct != total {
		t.Fatalf("marks = %d (%d distinct), want %d each", all, distinct, total)
	}
	if byA == 0 || byB == 0 {
		t.Fatalf("process a ran %d jobs and b %d: both should work the queue", byA, byB)
	}
	t.Logf("process a ran %d jobs, b %d", byA, byB)
	stopGracefully(t, map[string]*child{"a": a, "b": b})
}

// insertMarks queues test jobs 0 to n-1 (markArgs) in one transaction.
func insertMarks(t *testing.T, db *storage.DB, n int) {
	t.Helper()
	ctx := context.Background()
	jobs := storage.NewJobs(db, storage.JobsOptions{})
	err := db.InTx(ctx, func(tx storage.Tx) error {
		for i := range n {
			if err := jobs.InsertTx(ctx, tx, markArgs{N: i}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
