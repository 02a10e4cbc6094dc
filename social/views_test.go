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
