package storage_test

import (
	"context"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// A follow that begins while the followed account's waiting post is being
// released still gets the post in its feed: the follow's backfill waits for
// the release to commit (on PostgreSQL, where the two run at once), so
// neither leaves the post out thinking the other will add it.
func TestFollowDuringAReleaseGetsThePost(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		if dialect != storage.Postgres {
			t.Skip("SQLite runs one write transaction at a time")
		}
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		now := time.Now().UTC()
		account := func(name string) *storage.Account {
			a := &storage.Account{Username: name, URI: "https://rounds.test/users/" + name, Fields: "[]", ActorType: "Person", CreatedAt: now, UpdatedAt: now}
			if err := db.UpsertRemoteAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		author, reader := account("author"), account("reader")
		until := now.Add(time.Minute)
		st := &storage.Status{ID: storage.IDAt(until), URI: "https://rounds.test/users/author/statuses/1", AccountID: author.ID,
			Visibility: "public", Local: true, CreatedAt: now, PendingUntil: &until}
		if err := db.InTx(ctx, func(tx storage.Tx) error { return tx.InsertStatus(ctx, st, nil) }); err != nil {
			t.Fatal(err)
		}

		released, commit, releaseDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			releaseDone <- db.InTx(ctx, func(tx storage.Tx) error {
				if _, err := tx.ReleaseStatus(ctx, st); err != nil {
					return err
				}
				close(released)
				<-commit
				return nil
			})
		}()
		<-released
		followDone := make(chan error, 1)
		go func() {
			followDone <- db.InTx(ctx, func(tx storage.Tx) error {
				return tx.InsertFollow(ctx, &storage.Follow{ID: storage.NewID(), AccountID: reader.ID, TargetAccountID: author.ID,
					URI: "https://rounds.test/follows/1", AcceptedAt: &now, CreatedAt: now})
			})
		}()
		time.Sleep(300 * time.Millisecond) // the follow has done what it does before the release commits
		close(commit)
		if err := <-releaseDone; err != nil {
			t.Fatal(err)
		}
		if err := <-followDone; err != nil {
			t.Fatal(err)
		}
		feed, err := db.HomeTimeline(ctx, reader.ID, storage.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(feed) != 1 || feed[0].ID != st.ID {
			t.Fatalf("the reader's feed holds %d posts, want the released one", len(feed))
		}
	})
}

// A post waiting out its send delay is not counted, nor taken for the
// account's last post, until it is released.
func TestWaitingPostsAreNotCountedYet(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		now := time.Now().UTC()
		a := &storage.Account{Username: "author", URI: "https://rounds.test/users/author", Fields: "[]", ActorType: "Person", CreatedAt: now, UpdatedAt: now}
		if err := db.UpsertRemoteAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		until := now.Add(time.Minute)
		sent := &storage.Status{ID: storage.IDAt(now.Add(-time.Hour)), URI: "https://rounds.test/s/1", AccountID: a.ID, Visibility: "public", Local: true, CreatedAt: now}
		waiting := &storage.Status{ID: storage.IDAt(until), URI: "https://rounds.test/s/2", AccountID: a.ID, Visibility: "public", Local: true, CreatedAt: now, PendingUntil: &until}
		if err := db.InTx(ctx, func(tx storage.Tx) error {
			if err := tx.InsertStatus(ctx, sent, nil); err != nil {
				return err
			}
			return tx.InsertStatus(ctx, waiting, nil)
		}); err != nil {
			t.Fatal(err)
		}
		want := func(when string, n int, last *storage.Status) {
			t.Helper()
			x, err := db.LoadAccountExtras(ctx, []int64{a.ID})
			if err != nil {
				t.Fatal(err)
			}
			c, err := db.CountAccountStatuses(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			at, err := db.LastStatusAt(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if x.Statuses[a.ID] != n || c != n || x.LastStatusID[a.ID] != last.ID || !at.Equal(storage.IDTime(last.ID)) {
				t.Errorf("%s: counts %d and %d, last %d at %v; want %d, last %d", when, x.Statuses[a.ID], c, x.LastStatusID[a.ID], at, n, last.ID)
			}
		}
		want("waiting", 1, sent)
		if err := db.InTx(ctx, func(tx storage.Tx) error { _, err := tx.ReleaseStatus(ctx, waiting); return err }); err != nil {
			t.Fatal(err)
		}
		want("released", 2, waiting)
	})
}
