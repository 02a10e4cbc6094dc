package migrations_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"

	"rounds/migrations"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// The migration that made the full-text index fills it with the posts
// stored before it (with their poll options), in batches, and running it
// again changes nothing.
func TestIndexPostsForSearchIndexesEarlierPosts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		s := social.New(social.Options{DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}), Domain: "rounds.test", Protocol: "https"})
		noDelay := social.Duration(0)
		if _, err := s.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &noDelay }); err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, social.NewUser{Username: "ana", Password: "a long password", Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 7 {
			if _, err := s.PostStatus(ctx, u.Account, social.NewStatus{Text: fmt.Sprintf("ward round note %d", i), Visibility: social.VisibilityPublic}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.PostStatus(ctx, u.Account, social.NewStatus{Text: "nothing here", SpoilerText: "sepsis", Visibility: social.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PostStatus(ctx, u.Account, social.NewStatus{Text: "Which antiemetic?", Visibility: social.VisibilityPublic,
			Poll: &social.NewPoll{Options: []string{"Ondansetron", "Cyclizine"}, ExpiresIn: 3600}}); err != nil {
			t.Fatal(err)
		}
		count := func(q string) int {
			t.Helper()
			sts, err := s.FindStatuses(ctx, social.SearchQuery{Q: q, Viewer: u.Account, Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			return len(sts)
		}
		if n := count("ward round"); n != 7 {
			t.Fatalf("before: %d posts found, want 7", n)
		}
		// As the index was before this migration: empty.
		if err := db.ExecForTest(ctx, "DELETE FROM status_search"); err != nil {
			t.Fatal(err)
		}
		if n := count("ward round"); n != 0 {
			t.Fatalf("emptied index: %d posts found", n)
		}
		var d schema.Dialect = sqlitedialect.New()
		if dialect == storage.Postgres {
			d = pgdialect.New()
		}
		bdb := bun.NewDB(db.SQLDB(), d)
		defer migrations.SetIndexBatch(3)()
		for run := 1; run <= 2; run++ {
			if err := migrations.IndexPostsForSearch(ctx, bdb); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			if n, m, o := count("ward round"), count("sepsis"), count("cyclizine"); n != 7 || m != 1 || o != 1 {
				t.Fatalf("after run %d: %d, %d and %d posts found, want 7, 1 and 1", run, n, m, o)
			}
			var rows int
			if err := db.QueryRowForTest(ctx, "SELECT count(*) FROM status_search").Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != 9 {
				t.Fatalf("after run %d: %d index rows, want 9", run, rows)
			}
		}
	})
}
