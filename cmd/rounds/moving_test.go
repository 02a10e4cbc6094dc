package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// alice@A moves to alice2@B. Her follower bob@B and her local follower
// carol@A end up following alice2 and not alice; bob is told; A shows alice
// as moved, refuses her posts and drops her badge (keeping the record). A
// Move whose target does not list the mover, or that its mover did not
// sign, is refused and changes nothing.
func TestAccountMovesToAnotherServerWithItsFollowers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		aliceUser, err := a.svc.CreateUser(ctx, social.NewUser{Username: "alice", Password: "a long password", Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		alice := aliceUser.Account
		carol := a.user(t, "carol", false)
		bob := b.user(t, "bob", false)
		alice2 := b.user(t, "alice2", false)
		if _, err := a.svc.VerifyClinician(ctx, social.CommandLine, alice.ID, social.ClinicianDetails{Profession: "doctor", Regulator: "GMC", RegistrationNumber: "7654321"}, ""); err != nil {
			t.Fatal(err)
		}
		aliceOnB := followAcross(t, b, bob, a, "alice")
		if _, err := a.svc.Follow(ctx, carol, alice); err != nil {
			t.Fatal(err)
		}

		// Through the settings pages. Before alice2 lists alice as an
		// alias, the move is refused, with the reason; a wrong password is
		// refused too.
		// A move and an alias ask the other server (WebFinger, actor):
		// allow for a loaded test machine.
		aliceWeb := signedIn(t, a, "alice", "a long password")
		aliceWeb.Timeout = time.Minute
		move := func(password string) (*http.Response, string) {
			csrf := csrfOf(t, mePage(t, aliceWeb, a, "/settings/migration", http.StatusOK))
			return postForm(t, aliceWeb, a, "/settings/migration", url.Values{"csrf_token": {csrf}, "acct": {"alice2@" + b.domain}, "current_password": {password}})
		}
		if resp, page := move("a long password"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "does not list this account as an alias") {
			t.Fatalf("move without an alias: %d\n%s", resp.StatusCode, page)
		}
		alice2Web := signedIn(t, b, "alice2", "a long password")
		alice2Web.Timeout = time.Minute
		csrf := csrfOf(t, mePage(t, alice2Web, b, "/settings/migration", http.StatusOK))
		if resp, page := postForm(t, alice2Web, b, "/settings/aliases", url.Values{"csrf_token": {csrf}, "acct": {"alice@" + a.domain}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("adding an alias: %d\n%s", resp.StatusCode, page)
		}
		if page := mePage(t, alice2Web, b, "/settings/migration", http.StatusOK); !strings.Contains(page, alice.URI) {
			t.Fatalf("alice2's aliases do not show alice:\n%s", page)
		}
		if resp, page := move("not the password"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "password is not right") {
			t.Fatalf("move with a wrong password: %d\n%s", resp.StatusCode, page)
		}
		if got, _ := a.svc.AccountByURI(ctx, alice.URI); got.Moved() {
			t.Fatal("a refused move marked alice as moved")
		}
		if resp, page := move("a long password"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("move: %d\n%s", resp.StatusCode, page)
		}
		var ve *social.ValidationError
		alice2OnA, err := a.svc.AccountByURI(ctx, alice2.URI)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "bob following alice2 instead of alice on B", func() bool {
			return b.svc.IsFollowing(ctx, bob, alice2) && !b.svc.IsFollowing(ctx, bob, aliceOnB)
		})
		bobOnA, err := a.svc.AccountByURI(ctx, bob.URI)
		if err != nil {
			t.Fatal(err)
		}
		carolOnB := waitAccount(t, b, carol.URI)
		eventually(t, "bob's unfollow reaching A and carol following alice2 on both servers", func() bool {
			return !a.svc.IsFollowing(ctx, bobOnA, alice) && !a.svc.IsFollowing(ctx, carol, alice) &&
				a.svc.IsFollowing(ctx, carol, alice2OnA) && b.svc.IsFollowing(ctx, carolOnB, alice2)
		})

		// bob is told, as Mastodon tells: a move notification from alice.
		bobApp := signIn(t, b, "bob")
		var notes []map[string]any
		if code, _ := rawGet(t, b, bobApp, "/api/v1/notifications?types[]=move", &notes); code != http.StatusOK || len(notes) != 1 {
			t.Fatalf("bob's move notifications: %d %v", code, notes)
		}
		if acct := notes[0]["account"].(map[string]any)["acct"]; notes[0]["type"] != "move" || acct != "alice@"+a.domain {
			t.Fatalf("bob's notification: %v", notes[0])
		}
		// On B, alice's entity is moved, to alice2.
		var entity map[string]any
		rawGet(t, b, bobApp, "/api/v1/accounts/"+idOf(aliceOnB), &entity)
		moved, _ := entity["moved"].(map[string]any)
		if moved == nil || moved["acct"] != "alice2" || moved["moved"] != nil {
			t.Fatalf("alice's entity on B: moved = %v", entity["moved"])
		}
		// alice2's own entity has a null moved.
		rawGet(t, b, bobApp, "/api/v1/accounts/"+idOf(alice2), &entity)
		if v, ok := entity["moved"]; !ok || v != nil {
			t.Fatalf("alice2's moved: %v (present %v)", v, ok)
		}

		// A refuses alice's posts, from the domain and from an app.
		movedAlice, _ := a.svc.AccountByURI(ctx, alice.URI)
		if _, err := a.svc.PostStatus(ctx, movedAlice, social.NewStatus{Text: "still here?"}); !errors.As(err, &ve) {
			t.Fatalf("a moved account posting: %v", err)
		}
		aliceApp := signIn(t, a, "alice")
		req, _ := http.NewRequest("POST", a.base+"/api/v1/statuses", strings.NewReader(url.Values{"status": {"still here?"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+aliceApp.Config.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "moved to "+alice2.URI) {
			t.Fatalf("posting as moved alice: %d %s", resp.StatusCode, body)
		}
		// Her profile page says where she went; her badge is gone, its
		// record kept.
		code, page := get(t, a.base+"/@alice")
		if code != http.StatusOK || !contains(page, "has moved to", "@alice2@"+b.domain) || strings.Contains(page, "Verified doctor") {
			t.Fatalf("alice's profile on A: %d\n%s", code, page)
		}
		if strings.Contains(movedAlice.Fields, social.VerifiedFieldName) {
			t.Fatalf("a moved account keeps its verified field: %s", movedAlice.Fields)
		}
		if v, err := a.svc.Verification(ctx, alice.ID); err != nil || v == nil || v.RevokedAt != nil {
			t.Fatalf("alice's verification record after the move: %+v %v", v, err)
		}
		// The admins see the move and the kept record, and no badge.
		if _, err := a.svc.CreateUser(ctx, social.NewUser{Username: "boss", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}
		adminPage := mePage(t, signedIn(t, a, "boss", "a long password"), a, "/admin/accounts/"+idOf(alice), http.StatusOK)
		if !contains(adminPage, "This account moved to "+alice2.URI, "GMC 7654321") || strings.Contains(adminPage, "The profile shows the Registered field") {
			t.Fatalf("alice's admin page:\n%s", adminPage)
		}
		if _, err := a.svc.MoveAccount(ctx, aliceUser, "a long password", "alice2@"+b.domain); !errors.As(err, &ve) {
			t.Fatalf("moving again: %v", err)
		}

		// Forged Moves. bob follows mallory, on a hand-made server.
		rem := newFakeRemote(t, fakeRemoteOptions{AutoAccept: true}, "mallory", "eve")
		mallory := rem.actorURI("mallory")
		malloryOnB, err := b.fed.FetchActor(ctx, mallory)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Follow(ctx, bob, malloryOnB); err != nil {
			t.Fatal(err)
		}
		eventually(t, "bob following mallory", func() bool { return b.svc.IsFollowing(ctx, bob, malloryOnB) })
		// mal2 and mal3 on B list mallory as an alias.
		host := strings.TrimPrefix(rem.base, "http://")
		jrd, _ := json.Marshal(map[string]any{"subject": "acct:mallory@" + host, "links": []map[string]string{{"rel": "self", "type": "application/activity+json", "href": mallory}}})
		rem.setDoc("/.well-known/webfinger", jrd)
		mal2, mal3 := b.user(t, "mal2", false), b.user(t, "mal3", false)
		for _, to := range []*storage.Account{mal2, mal3} {
			if _, err := b.svc.AddAlias(ctx, to, "mallory@"+host); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name, signer string
			act          federation.ActivityDoc
			status       int
		}{
			{"target does not list the mover", "mallory",
				federation.ActivityDoc{ID: rem.nextID("mallory", "moves"), Type: "Move", Actor: mallory, ObjectID: mallory, Target: alice2.URI}, http.StatusForbidden},
			{"another actor moves mallory", "eve",
				federation.ActivityDoc{ID: rem.nextID("eve", "moves"), Type: "Move", Actor: rem.actorURI("eve"), ObjectID: mallory, Target: mal2.URI}, http.StatusForbidden},
			{"signed by another actor than the mover", "eve",
				federation.ActivityDoc{ID: rem.nextID("mallory", "moves"), Type: "Move", Actor: mallory, ObjectID: mallory, Target: mal2.URI}, http.StatusUnauthorized},
		} {
			if code, body := sendActivity(t, rem, bob.InboxURL, tc.signer, tc.act); code != tc.status {
				t.Fatalf("%s: %d %s", tc.name, code, body)
			}
		}
		if got, _ := b.svc.AccountByURI(ctx, mallory); got.Moved() || !b.svc.IsFollowing(ctx, bob, malloryOnB) {
			t.Fatalf("a forged Move changed something: moved to %q, bob following %v", got.MovedToURI, b.svc.IsFollowing(ctx, bob, malloryOnB))
		}
		if code, _ := rawGet(t, b, bobApp, "/api/v1/notifications?types[]=move", &notes); code != http.StatusOK || len(notes) != 1 {
			t.Fatalf("bob's move notifications after forged Moves: %v", notes)
		}

		// A true Move of mallory to mal2@B, who lists mallory: bob follows
		// mal2. A second Move within the cooldown is taken and ignored.
		if code, body := sendActivity(t, rem, bob.InboxURL, "mallory", federation.ActivityDoc{ID: rem.nextID("mallory", "moves"), Type: "Move", Actor: mallory, ObjectID: mallory, Target: mal2.URI}); code != http.StatusAccepted {
			t.Fatalf("mallory's true Move: %d %s", code, body)
		}
		eventually(t, "bob following mal2 instead of mallory", func() bool {
			return b.svc.IsFollowing(ctx, bob, mal2) && !b.svc.IsFollowing(ctx, bob, malloryOnB)
		})
		if _, err := b.svc.Follow(ctx, bob, malloryOnB); err != nil {
			t.Fatal(err)
		}
		eventually(t, "bob following mallory again", func() bool { return b.svc.IsFollowing(ctx, bob, malloryOnB) })
		if code, body := sendActivity(t, rem, bob.InboxURL, "mallory", federation.ActivityDoc{ID: rem.nextID("mallory", "moves"), Type: "Move", Actor: mallory, ObjectID: mallory, Target: mal3.URI}); code != http.StatusAccepted {
			t.Fatalf("mallory's second Move: %d %s", code, body)
		}
		if got, _ := b.svc.AccountByURI(ctx, mallory); got.MovedToURI != mal2.URI {
			t.Fatalf("a second Move within the cooldown moved mallory to %s", got.MovedToURI)
		}
	})
}

func idOf(a *storage.Account) string { return strconv.FormatInt(a.ID, 10) }
