package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

func TestStatusesOfTheSameInstantAreAllStored(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		now := time.Now().UTC()
		a := &storage.Account{ID: storage.NewID(), Username: "x", URI: "https://r.example/users/x", Fields: "[]", ActorType: "Person", CreatedAt: now, UpdatedAt: now}
		if err := db.UpsertRemoteAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		id := storage.IDAt(now.Truncate(time.Second))
		err := db.InTx(ctx, func(tx storage.Tx) error {
			for i, uri := range []string{"https://r.example/s/1", "https://r.example/s/2", "https://r.example/s/3"} {
				st := &storage.Status{ID: id, URI: uri, AccountID: a.ID, Visibility: "public", CreatedAt: now}
				if err := tx.InsertStatus(ctx, st, nil); err != nil {
					return err
				}
				if st.ID != id+int64(i) {
					t.Errorf("status %d got id %d, want %d", i, st.ID, id+int64(i))
				}
			}
			// The same URI again is a conflict, not a new row.
			again := &storage.Status{ID: storage.NewID(), URI: "https://r.example/s/2", AccountID: a.ID, Visibility: "public", CreatedAt: now}
			if err := tx.InsertStatus(ctx, again, nil); !errors.Is(err, storage.ErrConflict) {
				t.Errorf("same URI again = %v, want ErrConflict", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, uri := range []string{"https://r.example/s/1", "https://r.example/s/2", "https://r.example/s/3"} {
			if _, err := db.StatusByURI(ctx, uri); err != nil {
				t.Fatalf("%s was not stored: %v", uri, err)
			}
		}
	})
}

func TestIDAtSpreadsPostsOfOneSecond(t *testing.T) {
	sec := time.Now().Truncate(time.Second)
	seen := map[int64]bool{}
	dups := 0
	for i := 0; i < 1000; i++ {
		id := storage.IDAt(sec)
		if seen[id] {
			dups++
		}
		seen[id] = true
		if got := storage.IDTime(id); got.Before(sec) || !got.Before(sec.Add(time.Second)) {
			t.Fatalf("IDAt(%v) encodes %v", sec, got)
		}
	}
	// 1,000 draws from 65 million values (1,000 milliseconds times 65,536)
	// repeat about once in 130 runs, two repeats about once in 30,000; a
	// generator that ignored the milliseconds or the random bits would
	// repeat hundreds of times. InsertStatus copes with a repeat anyway.
	if dups > 1 {
		t.Fatalf("%d repeated ids in 1,000", dups)
	}
}
