package social_test

import (
	"context"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// The server's default delay, a user's own, and quiet hours in the user's
// time zone decide when a post leaves; until then it is the author's alone.
func TestSendDelayFollowsServerUserAndQuietHours(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		// 22:30 in Dublin (winter: UTC+0).
		clk := &clock{t: time.Date(2026, 11, 25, 22, 30, 0, 0, time.UTC)}
		s := newService(t, dialect, clk.now)
		if _, err := s.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = nil }); err != nil {
			t.Fatal(err)
		}
		u := staffUser(t, s, "dr_aine", social.RoleUser)
		reader := staffUser(t, s, "reader", social.RoleUser)
		post := func() *storage.Status {
			t.Helper()
			st, err := s.PostStatus(ctx, u.Account, social.NewStatus{Text: "Night shift handover at 8", Visibility: social.VisibilityPublic})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		wantDelay := func(st *storage.Status, d time.Duration) {
			t.Helper()
			if d == 0 {
				if st.Pending() {
					t.Fatalf("the post waits until %v; want no delay", st.PendingUntil)
				}
				return
			}
			if !st.Pending() || !st.PendingUntil.Equal(clk.now().Add(d)) {
				t.Fatalf("the post waits until %v; want %v", st.PendingUntil, clk.now().Add(d))
			}
			if storage.IDTime(st.ID).Before(clk.now().Add(d - time.Second)) {
				t.Fatalf("a delayed post's id sorts at %v, before it is published", storage.IDTime(st.ID))
			}
		}
		st := post()
		wantDelay(st, social.DefaultSendDelay)
		if s.MayView(ctx, reader.Account, st) || s.MayView(ctx, nil, st) || !s.MayView(ctx, u.Account, st) {
			t.Fatal("a pending post is visible to someone other than its author")
		}
		if err := s.ReleaseStatus(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		if st, _ = s.StatusByID(ctx, st.ID); st.Pending() || !s.MayView(ctx, reader.Account, st) {
			t.Fatal("a released post is still pending")
		}
		if err := s.ReleaseStatus(ctx, st.ID); err != nil {
			t.Fatalf("releasing twice: %v", err)
		}

		zero := social.Duration(0)
		bad := social.Duration(20 * time.Minute)
		if err := s.SetSendPreferences(ctx, u, social.SendPreferences{Delay: &bad}); err == nil {
			t.Fatal("a 20-minute delay was accepted")
		}
		if err := s.SetSendPreferences(ctx, u, social.SendPreferences{QuietStart: "22:00", QuietEnd: "07:00", QuietDelay: social.Duration(10 * time.Minute), TimeZone: "Mars/Olympus"}); err == nil {
			t.Fatal("an unknown time zone was accepted")
		}
		if err := s.SetSendPreferences(ctx, u, social.SendPreferences{Delay: &zero, QuietStart: "22:00", QuietEnd: "07:00", QuietDelay: social.Duration(10 * time.Minute), TimeZone: "Europe/Dublin"}); err != nil {
			t.Fatal(err)
		}
		wantDelay(post(), 10*time.Minute) // 22:30: quiet hours
		clk.t = time.Date(2026, 11, 26, 6, 59, 0, 0, time.UTC)
		wantDelay(post(), 10*time.Minute) // still quiet, across midnight
		clk.t = time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
		wantDelay(post(), 0)                                  // morning: the user's own delay, none
		clk.t = time.Date(2026, 6, 1, 21, 30, 0, 0, time.UTC) // 22:30 in Dublin in summer (UTC+1)
		wantDelay(post(), 10*time.Minute)
	})
}
