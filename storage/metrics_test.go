package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// queuedArgs is a job kind of its own, so that the jobs counted are only
// this test's.
type queuedArgs struct {
	N int `json:"n"`
}

func (queuedArgs) Kind() string { return "test_queued" }

// The queue gauges count unfinished jobs and measure how long the oldest
// due one has waited, not how far ahead a later one is scheduled.
func TestPendingJobsCountsAndMeasuresTheWait(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		jobs := storage.NewJobs(db, storage.JobsOptions{}) // insert only: nothing works them
		n, wait, err := jobs.Pending(ctx, "test_queued")
		if err != nil || n != 0 || wait != 0 {
			t.Fatalf("empty queue: %d jobs, %v s, %v", n, wait, err)
		}
		// One due 90 s ago and never picked up, one due in an hour.
		if err := jobs.Insert(ctx, queuedArgs{N: 1}, &river.InsertOpts{ScheduledAt: time.Now().Add(-90 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		if err := jobs.Insert(ctx, queuedArgs{N: 2}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		n, wait, err = jobs.Pending(ctx, "test_queued")
		if err != nil || n != 2 || wait < 89 || wait > 120 {
			t.Fatalf("queue: %d jobs, waited %v s (%v); want 2 and about 90", n, wait, err)
		}
		// Another kind is not counted.
		if n, _, err := jobs.Pending(ctx, "deliver"); err != nil || n != 0 {
			t.Fatalf("deliver jobs: %d, %v", n, err)
		}
	})
}
