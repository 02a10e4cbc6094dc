package social_test

import (
	"context"
	"slices"
	"testing"
	"time"

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
		anaPublic := post(ana, "ward round at nine", social.VisibilityPublic)
		catReply, err := s.PostStatus(ctx, cat, social.NewStatus{Text: "asthma clinic is full, sorry", Visibility: social.VisibilityPublic, InReplyToID: anaPublic.ID})
		if err != nil {
			t.Fatal(err)
		}
		catBoosted := post(cat, "asthma guideline ana boosts", social.VisibilityPublic)
		poll, err := s.PostStatus(ctx, ben, social.NewStatus{Text: "Which device for a wheezy toddler?", Visibility: social.VisibilityPublic,
			Poll: &social.NewPoll{Options: []string{"Salbutamol nebuliser", "Spacer and mask"}, ExpiresIn: 3600}})
		if err != nil {
			t.Fatal(err)
		}
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
		if _, err := s.Reblog(ctx, ana, catBoosted.ID); err != nil {
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

		expect(find(ana, "asthma"), ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn, catReply, catBoosted), "ana searching asthma")
		expect(find(ana, "ASTHMA"), find(ana, "asthma"), "case")
		expect(find(ana, "#asthma"), find(ana, "asthma"), "a hashtag's word")
		expect(find(ana, `"spacer technique"`), ids(spacer), "a phrase")
		expect(find(ana, `"technique spacer"`), ids(), "a phrase in the wrong order")
		expect(find(ana, "asthma -inhalers -leaflet -clinic -guideline"), ids(withCW, catFavourited, catMention, anaOwn), "exclusions")
		expect(find(ana, `asthma -"death review"`), ids(spacer, catFavourited, catBookmarked, catMention, anaOwn, catReply, catBoosted), "an excluded phrase")
		expect(find(ana, "salbutamol"), ids(poll), "a poll option")
		expect(find(ana, "death review"), ids(withCW), "words of a content warning")
		expect(find(ana, "asthma", func(q *social.SearchQuery) { q.AccountID = cat.ID }), ids(catFavourited, catBookmarked, catMention, catReply, catBoosted), "one account's posts")
		// Ben finds his own unlisted and followers-only posts; cat, not
		// indexable, is found only by herself, by those she mentioned or
		// replied to and by those who touched her posts; the
		// public posts of dan and eve are hidden from ana alone; nobody
		// anonymous finds anything.
		expect(find(ben, "asthma"), ids(spacer, benUnlisted, benFollowers, withCW, danPublic, evePublic), "ben searching")
		expect(find(cat, "asthma"), ids(spacer, withCW, catPublic, catFavourited, catBookmarked, catMention, catReply, catBoosted, danPublic, evePublic), "cat searching")
		expect(find(nil, "asthma"), ids(), "anonymous")
		for _, hidden := range []*storage.Status{danPublic, evePublic, benUnlisted, benFollowers, catPublic} {
			if slices.Contains(find(ana, "asthma"), hidden.ID) {
				t.Errorf("ana found %q", hidden.Text)
			}
		}

		// Pages: newest first, then older than the last one seen.
		first := find(ana, "asthma", func(q *social.SearchQuery) { q.Limit = 2 })
		expect(first, ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn, catReply, catBoosted)[:2], "first page")
		expect(find(ana, "asthma", func(q *social.SearchQuery) { q.Limit = 2; q.MaxID = first[1] }),
			ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn, catReply, catBoosted)[2:4], "second page")
		expect(find(ana, "asthma", func(q *social.SearchQuery) { q.Limit = 2; q.Offset = 2 }),
			ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn, catReply, catBoosted)[2:4], "second page by offset")
		newest := ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn, catReply, catBoosted)
		expect(find(ana, "asthma", func(q *social.SearchQuery) { q.Limit = 2; q.MinID = newest[4] }), newest[2:4], "the page just newer than min_id")

		// Operators.
		all := find(ana, "asthma")
		today := time.Now().UTC().Format("2006-01-02")
		for _, c := range []struct {
			q    string
			want []int64
		}{
			{"asthma from:cat", ids(catFavourited, catBookmarked, catMention, catReply, catBoosted)},
			{"asthma from:@cat@rounds.test", ids(catFavourited, catBookmarked, catMention, catReply, catBoosted)},
			{"asthma FROM:Cat", ids(catFavourited, catBookmarked, catMention, catReply, catBoosted)},
			{"asthma -from:cat", ids(spacer, withCW, anaOwn)},
			{"asthma from:me", ids(anaOwn)},
			{"from:me", ids(anaOwn, anaPublic)},
			{"from:nobody asthma", ids()},
			{"from:dan asthma", ids()},
			{"asthma is:reply", ids(catReply)},
			{"asthma -is:reply", ids(spacer, withCW, catFavourited, catBookmarked, catMention, anaOwn, catBoosted)},
			{"asthma is:sensitive", ids(withCW)},
			{"toddler has:poll", ids(poll)},
			{"asthma has:poll", ids()},
			{"asthma in:library", ids(catFavourited, catBookmarked, catMention, anaOwn, catReply, catBoosted)},
			{"asthma in:all", all},
			{"asthma language:zz", ids()},
			{"asthma -language:zz", all},
			{"asthma before:2000-01-01", ids()},
			{"asthma after:2000-01-01", all},
			{"asthma during:" + today, all},
			{"asthma before:someday has:unicorn", all},
			{"foo:bar", ids()},
			{"has:media", ids()},
		} {
			expect(find(ana, c.q), c.want, c.q)
		}

		// An edit changes the words; a deletion removes the post.
		if _, err := s.EditStatus(ctx, ben, spacer.ID, social.NewStatus{Text: "Bronchiolitis: the new guidance"}); err != nil {
			t.Fatal(err)
		}
		expect(find(ana, "spacer technique"), ids(), "old words after an edit")
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
