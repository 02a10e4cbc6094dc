package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// Posts stored by many transactions at once (sharing COMMITs on SQLite)
// are each in the full-text index exactly when their transaction
// committed: the index rows of one that failed are not written.
func TestConcurrentPostsAreIndexedWithTheirTransaction(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		now := time.Now().UTC()
		a := &storage.Account{ID: storage.NewID(), Username: "x", URI: "https://r.example/users/x", Fields: "[]", ActorType: "Person", Indexable: true, CreatedAt: now, UpdatedAt: now}
		if err := db.UpsertRemoteAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		// The searcher mentioned in every post, so each is found whatever
		// its author's settings.
		viewer := &storage.Account{ID: storage.NewID(), Username: "v", URI: "https://r.example/users/v", Fields: "[]", ActorType: "Person", CreatedAt: now, UpdatedAt: now}
		if err := db.UpsertRemoteAccount(ctx, viewer); err != nil {
			t.Fatal(err)
		}
		errRefused := errors.New("refused")
		const n = 120
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx storage.Tx) error {
					st := &storage.Status{ID: storage.NewID(), URI: fmt.Sprintf("https://r.example/s/%d", i), AccountID: a.ID,
						Visibility: "direct", Content: fmt.Sprintf("<p>post%d about triage</p>", i), CreatedAt: now}
					if err := tx.InsertStatus(ctx, st, []int64{viewer.ID}); err != nil {
						return err
					}
					if i%3 == 0 {
						return errRefused
					}
					if i%5 == 0 {
						// Edited in the same transaction: the last words win.
						return tx.UpdateStatusContent(ctx, st, fmt.Sprintf("<p>post%d about sepsis</p>", i), "", "", false, now)
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRefused) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		search := func(words ...string) []*storage.Status {
			sts, err := db.SearchStatuses(ctx, storage.StatusSearch{Phrases: words, Viewer: viewer.ID, Page: storage.Page{Limit: 80}})
			if err != nil {
				t.Fatal(err)
			}
			return sts
		}
		for i := range n {
			word := fmt.Sprintf("post%d", i)
			got := len(search(word))
			want := 1
			if i%3 == 0 {
				want = 0
			}
			if got != want {
				t.Errorf("%s: found %d, want %d", word, got, want)
			}
			if want == 1 && i%5 == 0 && (len(search(word, "sepsis")) != 1 || len(search(word, "triage")) != 0) {
				t.Errorf("%s: the edit's words are not the ones found", word)
			}
		}
		// The same whether PostgreSQL reads the matches first (few) or
		// walks the posts newest first (many).
		all := search("about")
		restore := storage.SetPGFewMatches(3)
		walked := search("about")
		restore()
		if len(all) != n-n/3 || len(walked) != len(all) {
			t.Errorf("all posts: %d found from the matches, %d walking the posts; want %d", len(all), len(walked), n-n/3)
		}
		for i := range min(len(all), len(walked)) {
			if all[i].ID != walked[i].ID {
				t.Fatalf("result %d differs: %d from the matches, %d walking the posts", i, all[i].ID, walked[i].ID)
			}
		}
		var rows int
		if err := db.QueryRowForTest(ctx, "SELECT count(*) FROM status_search").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if want := n - n/3; rows != want {
			t.Errorf("%d index rows, want %d", rows, want)
		}
	})
}
