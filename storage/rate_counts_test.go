package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// Rate counts add up under concurrent writers, keep keys and windows
// apart, and go once expired.
func TestRateCountsAddUpAndExpire(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		prev := time.Unix(1_800_000_000, 0).Truncate(5 * time.Minute)
		cur := prev.Add(5 * time.Minute)
		if err := db.AddRateCount(ctx, "api:t:1", prev, cur.Add(5*time.Minute), 3); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := db.AddRateCount(ctx, "api:t:1", cur, cur.Add(10*time.Minute), 1); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := db.AddRateCount(ctx, "api:t:2", cur, cur.Add(10*time.Minute), 7); err != nil {
			t.Fatal(err)
		}
		c, p, err := db.RateCounts(ctx, "api:t:1", cur, prev)
		if err != nil || c != 10 || p != 3 {
			t.Fatalf("counts = %d, %d (%v), want 10, 3", c, p, err)
		}
		if c, p, _ := db.RateCounts(ctx, "api:t:3", cur, prev); c != 0 || p != 0 {
			t.Fatalf("counts of an unseen key = %d, %d, want 0, 0", c, p)
		}
		n, err := db.PurgeRateCounts(ctx, cur.Add(6*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("purged %d (%v), want the 1 expired row", n, err)
		}
		if c, p, _ := db.RateCounts(ctx, "api:t:1", cur, prev); c != 10 || p != 0 {
			t.Fatalf("counts after the purge = %d, %d, want 10, 0", c, p)
		}
	})
}
