package social_test

import (
	"context"
	"slices"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// Full-text search finds, for a signed-in viewer, their own posts, the
// ones they favourited, bookmarked or were mentioned in, and public posts
// of indexable accounts; never blocked or muted authors' posts, nor one
// the viewer may not see; and it follows edits and deletions.
func TestFullTextSearchFindsWhatTheViewerMaySee(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		ana := staffUser(t, s, "ana", social.RoleUser).Account
		ben := staffUser(t, s, "ben", social.RoleUser).Account
		cat := staffUser(t, s, "cat", social.RoleUser).Account
		dan := staffUser(t, s, "dan", social.RoleUser).Account
		eve := staffUser(t, s, "eve", social.RoleUser).Account
		no := false
		if _, err := s.UpdateProfile(ctx, cat, social.ProfileUpdate{Indexable: &no}); err != nil {
			t.Fatal(err)
		}
		post := func(a *storage.Account, text, visibility string) *storage.Status {
			t.Helper()
			st, err := s.PostStatus(ctx, a, social.NewStatus{Text: text, Visibility: visibility})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		spacer := post(ben, "Asthma inhalers: the spacer technique matters. #asthma", social.VisibilityPublic)
		benUnlisted := post(ben, "asthma clinic moves on Monday", social.VisibilityUnlisted)
		benFollowers := post(ben, "asthma audit results, followers only", social.VisibilityPrivate)
		withCW := func() *storage.Status {
			st, err := s.PostStatus(ctx, ben, social.NewStatus{Text: "the body says little", SpoilerText: "asthma death review", Visibility: social.VisibilityPublic})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}()
		catPublic := post(cat, "asthma thoughts nobody indexes", social.VisibilityPublic)
		catFavourited := post(cat, "asthma plan ana favourites", social.VisibilityPublic)
		catBookmarked := post(cat, "asthma leaflet ana bookmarks", social.VisibilityPublic)
		catMention := post(cat, "@ana asthma question for you", social.VisibilityPublic)
		anaOwn := post(ana, "my own asthma notes", social.VisibilityPrivate)
		danPublic := post(dan, "asthma from someone ana blocks", social.VisibilityPublic)
		evePublic := post(eve, "asthma from someone ana mutes", social.VisibilityPublic)
		if _, err := s.Favourite(ctx, ana, catFavourited.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Bookmark(ctx, ana, catBookmarked); err != nil {
			t.Fatal(err)
		}
		if err := s.Block(ctx, ana, dan); err != nil {
			t.Fatal(err)
		}
		if err := s.Mute(ctx, ana, eve, true); err != nil {
			t.Fatal(err)
		}
		// A boost is not found a second time.
		if _, err := s.Reblog(ctx, cat, spacer.ID); err != nil {
			t.Fatal(err)
		}

		find := func(viewer *storage.Account, q string, more ...func(*social.SearchQuery)) []int64 {
			t.Helper()
			sq := social.SearchQuery{Q: q, Viewer: viewer, Limit: 40}
			for _, m := range more {
				m(&sq)
			}
			sts, err := s.FindStatuses(ctx, sq)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			ids := []int64{}
			for _, st := range sts {
				ids = append(ids, st.ID)
			}
			return ids
		}
		ids := func(sts ...*storage.Status) []int64 {
			out := []int64{}
			for _, st := range sts {
				out = append(out, st.ID)
			}
			slices.Sort(out)
			slices.Reverse(out) // newest first
			return out
		}
		expect := func(got, want []int64, what string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: found %v, want %v", what, got, want)
			}
		}

		expect(find(ana, "asthma"), ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn), "ana searching asthma")
		expect(find(ana, "ASTHMA"), find(ana, "asthma"), "case")
		expect(find(ana, "#asthma"), find(ana, "asthma"), "a hashtag's word")
		expect(find(ana, `"spacer technique"`), ids(spacer), "a phrase")
		expect(find(ana, `"technique spacer"`), ids(), "a phrase in the wrong order")
		expect(find(ana, "asthma -inhalers -leaflet"), ids(withCW, catFavourited, catMention, anaOwn), "exclusions")
		expect(find(ana, `asthma -"death review"`), ids(spacer, catFavourited, catBookmarked, catMention, anaOwn), "an excluded phrase")
		expect(find(ana, "death review"), ids(withCW), "words of a content warning")
		expect(find(ana, "asthma", func(q *social.SearchQuery) { q.AccountID = cat.ID }), ids(catFavourited, catBookmarked, catMention), "one account's posts")
		// Ben finds his own unlisted and followers-only posts; cat, not
		// indexable, is found only by herself and those she touched; the
		// public posts of dan and eve are hidden from ana alone; nobody
		// anonymous finds anything.
		expect(find(ben, "asthma"), ids(spacer, benUnlisted, benFollowers, withCW, danPublic, evePublic), "ben searching")
		expect(find(cat, "asthma"), ids(spacer, withCW, catPublic, catFavourited, catBookmarked, catMention, danPublic, evePublic), "cat searching")
		expect(find(nil, "asthma"), ids(), "anonymous")
		for _, hidden := range []*storage.Status{danPublic, evePublic, benUnlisted, benFollowers, catPublic} {
			if slices.Contains(find(ana, "asthma"), hidden.ID) {
				t.Errorf("ana found %q", hidden.Text)
			}
		}

		// Pages: newest first, then older than the last one seen.
		first := find(ana, "asthma", func(q *social.SearchQuery) { q.Limit = 2 })
		expect(first, ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn)[:2], "first page")
		expect(find(ana, "asthma", func(q *social.SearchQuery) { q.Limit = 2; q.MaxID = first[1] }),
			ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn)[2:4], "second page")
		expect(find(ana, "asthma", func(q *social.SearchQuery) { q.Limit = 2; q.Offset = 2 }),
			ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn)[2:4], "second page by offset")

		// An edit changes the words; a deletion removes the post.
		if _, err := s.EditStatus(ctx, ben, spacer.ID, social.NewStatus{Text: "Bronchiolitis: the new guidance"}); err != nil {
			t.Fatal(err)
		}
		expect(find(ana, "spacer"), ids(), "old words after an edit")
		expect(find(ana, "bronchiolitis guidance"), ids(spacer), "new words after an edit")
		if _, err := s.DeleteStatus(ctx, ben, withCW.ID); err != nil {
			t.Fatal(err)
		}
		expect(find(ana, "death review"), ids(), "a deleted post")

		// Queries that are syntax to a search engine are words here, and
		// never an error.
		for _, q := range []string{`"`, `asthma"`, `" OR 1=1 --`, `NEAR(asthma notes)`, `asthma*`, `-asthma`, `body:x`, `'; DROP TABLE statuses; --`, `!!`, `a & | b`, `^asthma`, `(asthma`} {
			find(ana, q)
		}
		expect(find(ana, "-asthma"), ids(), "only an exclusion")
		expect(find(ana, `"my own`), ids(anaOwn), "an unclosed quote")
	})
}
