package social_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// The policy's rules as Mastodon 4.3 states them: a follower counts only
// after three days, an account is new for 30 days, limited accounts are
// filtered unless followed, drop records nothing, a private mention is
// filtered unless it answers one's post, and the rules apply to follows as
// to mentions.
func TestNotificationPolicyRules(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		clock := time.Now()
		s := newService(t, dialect, func() time.Time { return clock })
		me := staffUser(t, s, "me", social.RoleUser)
		fol := staffUser(t, s, "fol", social.RoleUser)
		str := staffUser(t, s, "str", social.RoleUser)
		loud := staffUser(t, s, "loud", social.RoleUser)
		set := func(c social.NotificationPolicyChange) {
			t.Helper()
			if _, err := s.ChangeNotificationPolicy(ctx, me.Account, c); err != nil {
				t.Fatal(err)
			}
		}
		v := func(x string) *string { return &x }
		mention := func(u *storage.User) {
			t.Helper()
			a, err := s.AccountByID(ctx, u.AccountID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PostStatus(ctx, a, social.NewStatus{Text: "@me a note", Visibility: social.VisibilityPublic}); err != nil {
				t.Fatal(err)
			}
		}
		// state tells how many notifications from u are listed and how
		// many wait in a request.
		state := func(u *storage.User) string {
			t.Helper()
			ns, err := s.Notifications(ctx, me.Account, nil, nil, storage.Page{Limit: 80})
			if err != nil {
				t.Fatal(err)
			}
			listed := 0
			for _, n := range ns {
				if n.FromAccountID == u.AccountID {
					listed++
				}
			}
			rs, err := s.NotificationRequests(ctx, me.Account, storage.Page{Limit: 80})
			if err != nil {
				t.Fatal(err)
			}
			held := 0
			for _, r := range rs {
				if r.FromAccountID == u.AccountID {
					held = r.NotificationsCount
				}
			}
			return fmt.Sprintf("listed %d, held %d", listed, held)
		}
		expect := func(u *storage.User, want, what string) {
			t.Helper()
			if got := state(u); got != want {
				t.Fatalf("%s: %s, want %s", what, got, want)
			}
		}

		// Not followers: a follow younger than three days does not count;
		// the follow notification itself is filtered too.
		set(social.NotificationPolicyChange{ForNotFollowers: v(social.PolicyFilter)})
		if _, err := s.Follow(ctx, fol.Account, me.Account); err != nil {
			t.Fatal(err)
		}
		mention(fol)
		expect(fol, "listed 0, held 2", "a new follower")
		clock = clock.Add(4 * 24 * time.Hour)
		mention(fol)
		expect(fol, "listed 1, held 2", "a follower of four days")
		mention(str)
		expect(str, "listed 0, held 1", "a stranger")

		// New accounts: filtered for 30 days.
		set(social.NotificationPolicyChange{ForNotFollowers: v(social.PolicyAccept), ForNewAccounts: v(social.PolicyFilter)})
		mention(str)
		expect(str, "listed 0, held 2", "an account of four days")
		clock = clock.Add(27 * 24 * time.Hour)
		mention(str)
		expect(str, "listed 1, held 2", "an account of 31 days")

		// Limited accounts: filtered by default, accepted or dropped as
		// set, and let through once followed.
		if err := s.TakeAction(ctx, social.CommandLine, loud.AccountID, social.AccountAction{Type: social.ActionSilence}); err != nil {
			t.Fatal(err)
		}
		mention(loud)
		expect(loud, "listed 0, held 1", "a limited account")
		set(social.NotificationPolicyChange{ForLimitedAccounts: v(social.PolicyDrop)})
		mention(loud)
		expect(loud, "listed 0, held 1", "a limited account dropped")
		set(social.NotificationPolicyChange{ForLimitedAccounts: v(social.PolicyAccept)})
		mention(loud)
		expect(loud, "listed 1, held 1", "a limited account accepted")
		set(social.NotificationPolicyChange{ForLimitedAccounts: v(social.PolicyDrop)})
		if _, err := s.Follow(ctx, me.Account, loud.Account); err != nil {
			t.Fatal(err)
		}
		mention(loud)
		expect(loud, "listed 2, held 1", "a followed limited account")

		// Private mentions (filtered by default) from someone not
		// followed: a reply to one's own post goes through, others wait.
		mine, err := s.PostStatus(ctx, me.Account, social.NewStatus{Text: "Who has the keys to the drug cupboard?", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		strAcct, _ := s.AccountByID(ctx, str.AccountID)
		if _, err := s.PostStatus(ctx, strAcct, social.NewStatus{Text: "@me I do", Visibility: social.VisibilityDirect, InReplyToID: mine.ID}); err != nil {
			t.Fatal(err)
		}
		expect(str, "listed 2, held 2", "a private reply to one's post")
		if _, err := s.PostStatus(ctx, strAcct, social.NewStatus{Text: "@me a private word", Visibility: social.VisibilityDirect}); err != nil {
			t.Fatal(err)
		}
		expect(str, "listed 2, held 3", "a private mention")

		if _, err := s.ChangeNotificationPolicy(ctx, me.Account, social.NotificationPolicyChange{ForNewAccounts: v("never")}); err == nil {
			t.Fatal("an unknown policy value was taken")
		}
	})
}
