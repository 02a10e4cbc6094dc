package social_test

import (
	"context"
	"errors"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// An admin adds a relay by its inbox (Mastodon-style: the Follow names the
// public collection) or by its actor (LitePub-style: the actor is
// followed); a moderator may not; only the relay's own host answers the
// Follow; an accepted, enabled relay's inbox is where public posts go, a
// disabled one's is not; and past the cap a relay's deliveries are dropped
// and counted.
func TestRelayRules(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		s := social.New(social.Options{DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}), Domain: "rounds.test", Protocol: "https", RelayQueueCap: 3})
		mod, err := s.CreateUser(ctx, social.NewUser{Username: "mod", Password: "a long password", Role: social.RoleModerator, Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddRelay(ctx, social.StaffActor(mod), "https://relay.example/inbox"); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("a moderator adding a relay: %v, want forbidden", err)
		}
		for _, bad := range []string{"relay.example/inbox", "ftp://relay.example/inbox", "https://rounds.test/inbox", "https://user@relay.example/inbox"} {
			var ve *social.ValidationError
			if _, err := s.AddRelay(ctx, social.CommandLine, bad); !errors.As(err, &ve) {
				t.Errorf("adding %q: %v, want a validation error", bad, err)
			}
		}
		masto, err := s.AddRelay(ctx, social.CommandLine, "https://relay.example/inbox")
		if err != nil {
			t.Fatal(err)
		}
		if masto.InboxURL != "https://relay.example/inbox" || masto.FollowObject != social.PublicCollection || masto.ActorURI != "" || masto.State != storage.RelayPending {
			t.Fatalf("Mastodon-style relay = %+v", masto)
		}
		lite, err := s.AddRelay(ctx, social.CommandLine, "https://litepub.example/relay")
		if err != nil {
			t.Fatal(err)
		}
		if lite.InboxURL != "" || lite.FollowObject != lite.URL || lite.ActorURI != lite.URL {
			t.Fatalf("LitePub-style relay = %+v", lite)
		}

		// Only the relay's host may accept; then its actor is known.
		if _, err := s.ReceiveRelayAnswer(ctx, "https://elsewhere.example/actor", masto.FollowURI, true); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("an Accept from another host: %v, want forbidden", err)
		}
		if handled, err := s.ReceiveRelayAnswer(ctx, "https://relay.example/actor", masto.FollowURI, true); !handled || err != nil {
			t.Fatalf("the relay's Accept: %t %v", handled, err)
		}
		if handled, _ := s.ReceiveRelayAnswer(ctx, "https://relay.example/actor", "https://rounds.test/users/mod#follows/1", true); handled {
			t.Fatal("a Follow that is no relay's was taken for one")
		}
		if inboxes, err := s.RelayInboxes(ctx); err != nil || len(inboxes) != 1 || inboxes[0] != masto.InboxURL {
			t.Fatalf("relay inboxes = %v %v", inboxes, err)
		}
		r, err := s.RelayOf(ctx, "https://relay.example/actor")
		if err != nil || r == nil || r.ID != masto.ID {
			t.Fatalf("RelayOf the relay's actor = %v %v", r, err)
		}

		// The queue takes three, then drops and counts.
		for i, want := range []bool{true, true, true, false, false} {
			queued, err := s.QueueRelayObject(ctx, r, "https://origin.example/notes/"+string(rune('a'+i)), false)
			if err != nil || queued != want {
				t.Fatalf("delivery %d: queued %t %v, want %t", i, queued, err, want)
			}
		}
		if r, _ := s.RelayByID(ctx, masto.ID); r.Dropped != 2 {
			t.Fatalf("dropped = %d, want 2", r.Dropped)
		}

		if _, err := s.SetRelayEnabled(ctx, social.CommandLine, masto.ID, false); err != nil {
			t.Fatal(err)
		}
		if inboxes, _ := s.RelayInboxes(ctx); len(inboxes) != 0 {
			t.Fatalf("a disabled relay still gets posts: %v", inboxes)
		}
		if r, _ := s.RelayOf(ctx, "https://relay.example/actor"); r != nil {
			t.Fatal("a disabled relay's deliveries are still taken")
		}
		if err := s.RemoveRelay(ctx, social.CommandLine, masto.ID); err != nil {
			t.Fatal(err)
		}
		if rs, _ := s.Relays(ctx, social.CommandLine); len(rs) != 1 || rs[0].ID != lite.ID {
			t.Fatalf("relays after removal = %v", rs)
		}
	})
}
