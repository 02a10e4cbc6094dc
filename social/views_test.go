package social_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// Whoever asks (app, web page, remote server), nobody likes, boosts or
// bookmarks a post they may not see, such as one still waiting out its send
// delay; and a boost is seen only by who may see the post it boosts.
func TestInteractionsAndBoostsFollowMayView(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		author := staffUser(t, s, "dr_niamh", social.RoleUser).Account
		reader := staffUser(t, s, "dr_ciaran", social.RoleUser).Account
		booster := staffUser(t, s, "dr_orla", social.RoleUser).Account
		d := social.Duration(10 * time.Minute)
		if _, err := s.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		st, err := s.PostStatus(ctx, author, social.NewStatus{Text: "Grand rounds moved to Friday", Visibility: social.VisibilityPublic})
		if err != nil || !st.Pending() {
			t.Fatalf("post: %v, pending %v", err, st != nil && st.Pending())
		}
		if _, err := s.Favourite(ctx, reader, st.ID); !errors.Is(err, social.ErrNotFound) {
			t.Errorf("liking a post waiting out its delay: %v, want not found", err)
		}
		if _, err := s.Reblog(ctx, reader, st.ID); !errors.Is(err, social.ErrNotFound) {
			t.Errorf("boosting a post waiting out its delay: %v, want not found", err)
		}
		if err := s.Bookmark(ctx, reader, st); !errors.Is(err, social.ErrNotFound) {
			t.Errorf("bookmarking a post waiting out its delay: %v, want not found", err)
		}
		if err := s.ReleaseStatus(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Favourite(ctx, reader, st.ID); err != nil {
			t.Fatalf("liking the released post: %v", err)
		}
		boost, err := s.Reblog(ctx, booster, st.ID)
		if err != nil {
			t.Fatalf("boosting the released post: %v", err)
		}
		if !s.MayView(ctx, nil, boost) || !s.MayView(ctx, reader, boost) {
			t.Fatal("a boost of a public post is hidden")
		}
		if err := s.Block(ctx, author, reader); err != nil {
			t.Fatal(err)
		}
		if s.MayView(ctx, reader, boost) || !s.MayView(ctx, nil, boost) {
			t.Fatal("after the author blocks the reader, the boost must be hidden from the reader only")
		}
		if _, err := s.SuspendUser(ctx, author.Username); err != nil {
			t.Fatal(err)
		}
		if s.MayView(ctx, nil, boost) || s.MayView(ctx, booster, boost) {
			t.Fatal("a boost of a suspended account's post is visible")
		}
		sts, err := s.AccountTimeline(ctx, nil, booster, social.AccountTimelineOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sts) != 0 {
			t.Fatalf("the booster's statuses show %d boosts of a suspended account's post", len(sts))
		}
		if _, err := s.Reblog(ctx, reader, boost.ID); !errors.Is(err, social.ErrNotFound) {
			t.Errorf("boosting the boost of a suspended account's post: %v, want not found", err)
		}
	})
}

// A page that a hidden boost thinned is filled from further on, forwards
// and backwards, so that a short page still means the timeline's end.
func TestTimelinePagesStayFullWhenBoostsAreHidden(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		author := staffUser(t, s, "dr_sean", social.RoleUser).Account
		booster := staffUser(t, s, "dr_maeve", social.RoleUser).Account
		reader := staffUser(t, s, "dr_eoin", social.RoleUser).Account
		if _, err := s.Follow(ctx, reader, booster); err != nil {
			t.Fatal(err)
		}
		post := func(a *storage.Account, text string) *storage.Status {
			t.Helper()
			st, err := s.PostStatus(ctx, a, social.NewStatus{Text: text, Visibility: social.VisibilityPublic})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond) // ids in posting order
			return st
		}
		b1 := post(booster, "one")
		b2 := post(booster, "two")
		hidden, err := s.Reblog(ctx, booster, post(author, "boosted").ID)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
		b3 := post(booster, "three")
		if _, err := s.SuspendUser(ctx, author.Username); err != nil {
			t.Fatal(err)
		}
		ids := func(sts []*storage.Status, err error) []int64 {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, st := range sts {
				if st.ID == hidden.ID {
					t.Fatal("the hidden boost is on the page")
				}
				out = append(out, st.ID)
			}
			return out
		}
		pages := map[string]func(storage.Page) ([]*storage.Status, error){
			"account": func(p storage.Page) ([]*storage.Status, error) {
				return s.AccountTimeline(ctx, nil, booster, social.AccountTimelineOptions{Page: p})
			},
			"home": func(p storage.Page) ([]*storage.Status, error) { return s.HomeTimeline(ctx, reader, p) },
		}
		for name, page := range pages {
			if got := ids(page(storage.Page{Limit: 2})); len(got) != 2 || got[0] != b3.ID || got[1] != b2.ID {
				t.Errorf("%s: the first page is %v, want [%d %d]", name, got, b3.ID, b2.ID)
			}
			if got := ids(page(storage.Page{Limit: 2, MinID: b1.ID})); len(got) != 2 || got[0] != b3.ID || got[1] != b2.ID {
				t.Errorf("%s: the page after the oldest is %v, want [%d %d]", name, got, b3.ID, b2.ID)
			}
			if got := ids(page(storage.Page{Limit: 2, MaxID: b2.ID})); len(got) != 1 || got[0] != b1.ID {
				t.Errorf("%s: the last page is %v, want [%d]", name, got, b1.ID)
			}
		}
	})
}

// Notifications about posts one may no longer see are left out, and the
// page is filled from further on.
func TestNotificationPagesStayFullWhenPostsAreHidden(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		reader := staffUser(t, s, "dr_una", social.RoleUser).Account
		friend := staffUser(t, s, "dr_liam", social.RoleUser).Account
		blocker := staffUser(t, s, "dr_fiona", social.RoleUser).Account
		mention := func(a *storage.Account) *storage.Status {
			t.Helper()
			st, err := s.PostStatus(ctx, a, social.NewStatus{Text: "@dr_una see the new rota", Visibility: social.VisibilityPublic})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
			return st
		}
		first, hidden, last := mention(friend), mention(blocker), mention(friend)
		if err := s.Block(ctx, blocker, reader); err != nil {
			t.Fatal(err)
		}
		ns, err := s.Notifications(ctx, reader, nil, nil, storage.Page{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, n := range ns {
			got = append(got, *n.StatusID)
		}
		if len(got) != 2 || got[0] != last.ID || got[1] != first.ID {
			t.Fatalf("notifications about %v, want [%d %d] (not %d)", got, last.ID, first.ID, hidden.ID)
		}
	})
}

// Bookmarks of posts one may no longer see are left out, and the page is
// filled from further on, both ways.
func TestBookmarkPagesStayFullWhenPostsAreHidden(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		reader := staffUser(t, s, "dr_aoife", social.RoleUser).Account
		friend := staffUser(t, s, "dr_conor", social.RoleUser).Account
		blocker := staffUser(t, s, "dr_roisin", social.RoleUser).Account
		mark := func(a *storage.Account) *storage.Status {
			t.Helper()
			st, err := s.PostStatus(ctx, a, social.NewStatus{Text: "Rota for December", Visibility: social.VisibilityPublic})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Bookmark(ctx, reader, st); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
			return st
		}
		first, _, third, last := mark(friend), mark(blocker), mark(friend), mark(friend)
		if err := s.Block(ctx, blocker, reader); err != nil {
			t.Fatal(err)
		}
		ids := func(p storage.Page) []int64 {
			t.Helper()
			sts, _, err := s.Bookmarks(ctx, reader, p)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, st := range sts {
				out = append(out, st.ID)
			}
			return out
		}
		if got := ids(storage.Page{Limit: 3}); len(got) != 3 || got[0] != last.ID || got[2] != first.ID {
			t.Errorf("bookmarks %v, want [%d %d %d]", got, last.ID, third.ID, first.ID)
		}
		_, all, _ := s.Bookmarks(ctx, reader, storage.Page{Limit: 3})
		if got := ids(storage.Page{Limit: 2, MinID: all[2]}); len(got) != 2 || got[0] != last.ID || got[1] != third.ID {
			t.Errorf("bookmarks after the oldest %v, want [%d %d]", got, last.ID, third.ID)
		}
	})
}
