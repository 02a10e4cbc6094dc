package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// peopleNames reads the usernames of a JSON list of accounts, as call
// returns it ({"list": [...]}).
func peopleNames(t *testing.T, body map[string]any) []string {
	t.Helper()
	list, ok := body["list"].([]any)
	if !ok {
		t.Fatalf("not a list: %v", body)
	}
	out := []string{}
	for _, e := range list {
		out = append(out, e.(map[string]any)["username"].(string))
	}
	return out
}

func peopleID(a *storage.Account) string { return fmt.Sprint(a.ID) }

// Private notes, endorsements (and their pin aliases), several accounts
// and posts by id, and familiar followers, through the API as apps call
// them, with Mastodon's errors.
func TestPeopleNotesEndorsementsAndLookupsByID(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice := n.user(t, "alice", false)
		bob := n.user(t, "bob", false)
		carol := n.user(t, "carol", false)
		erin := n.user(t, "erin", false)
		dave := n.user(t, "dave", false)
		ca := signIn(t, n, "alice")
		tok := ca.Config.AccessToken
		if _, err := n.svc.SuspendUser(ctx, "dave"); err != nil {
			t.Fatal(err)
		}

		// A private note, shown only to its writer in the Relationship.
		code, rel := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(bob)+"/note", url.Values{"comment": {"Met at the ED handover course"}})
		if code != 200 || rel["note"] != "Met at the ED handover course" || rel["id"] != peopleID(bob) {
			t.Fatalf("note: %d %v", code, rel)
		}
		code, rels := call(t, n, tok, "GET", "/api/v1/accounts/relationships?id[]="+peopleID(bob), nil)
		if code != 200 || rels["list"].([]any)[0].(map[string]any)["note"] != "Met at the ED handover course" {
			t.Fatalf("relationships after the note: %d %v", code, rels)
		}
		cb := signIn(t, n, "bob")
		code, rels = call(t, n, cb.Config.AccessToken, "GET", "/api/v1/accounts/relationships?id[]="+peopleID(bob), nil)
		if code != 200 || rels["list"].([]any)[0].(map[string]any)["note"] != "" {
			t.Fatalf("someone else sees alice's note: %v", rels)
		}
		if code, body := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(bob)+"/note", url.Values{"comment": {strings.Repeat("x", 2001)}}); code != 422 || body["error"] == nil {
			t.Fatalf("a note too long: %d %v", code, body)
		}
		if code, body := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(bob)+"/note", url.Values{"comment": {""}}); code != 200 || body["note"] != "" {
			t.Fatalf("clearing the note: %d %v", code, body)
		}
		for _, path := range []string{"/api/v1/accounts/987654321/note", "/api/v1/accounts/" + peopleID(dave) + "/note", "/api/v1/accounts/987654321/endorse"} {
			if code, body := call(t, n, tok, "POST", path, url.Values{"comment": {"x"}}); code != 404 || body["error"] != "Record not found" {
				t.Fatalf("POST %s: %d %v, want 404", path, code, body)
			}
		}

		// Endorsing: only someone followed, as on Mastodon.
		code, body := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(bob)+"/endorse", nil)
		if code != 422 || body["error"] != "Validation failed: You must be already following the person you want to endorse" {
			t.Fatalf("endorsing someone not followed: %d %v", code, body)
		}
		for _, who := range []*storage.Account{bob, carol} {
			if _, err := ca.AccountFollow(ctx, mastodon.ID(peopleID(who))); err != nil {
				t.Fatal(err)
			}
		}
		if code, rel := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(bob)+"/endorse", nil); code != 200 || rel["endorsed"] != true {
			t.Fatalf("endorse: %d %v", code, rel)
		}
		if code, rel := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(carol)+"/pin", nil); code != 200 || rel["endorsed"] != true {
			t.Fatalf("pin (the older name): %d %v", code, rel)
		}
		mine, err := ca.GetEndorsements(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 2 || mine[0].Username != "carol" || mine[1].Username != "bob" {
			t.Fatalf("my endorsements: %+v", mine)
		}
		var page []map[string]any
		if code, hdr := rawGet(t, n, ca, "/api/v1/endorsements?limit=1", &page); code != 200 || len(page) != 1 || !strings.Contains(hdr.Get("Link"), `rel="next"`) {
			t.Fatalf("a page of endorsements: %d %v %q", code, page, hdr.Get("Link"))
		}
		// Public: anyone sees whom alice endorses.
		code, pub := call(t, n, "", "GET", "/api/v1/accounts/"+peopleID(alice)+"/endorsements", nil)
		if got := peopleNames(t, pub); code != 200 || strings.Join(got, ",") != "carol,bob" {
			t.Fatalf("alice's endorsements, anonymously: %d %v", code, got)
		}
		if code, rel := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(carol)+"/unpin", nil); code != 200 || rel["endorsed"] != false {
			t.Fatalf("unpin: %d %v", code, rel)
		}
		// An unfollow ends the endorsement; following again does not bring
		// it back.
		if _, err := ca.AccountUnfollow(ctx, mastodon.ID(peopleID(bob))); err != nil {
			t.Fatal(err)
		}
		if _, err := ca.AccountFollow(ctx, mastodon.ID(peopleID(bob))); err != nil {
			t.Fatal(err)
		}
		code, pub = call(t, n, "", "GET", "/api/v1/accounts/"+peopleID(alice)+"/endorsements", nil)
		if got := peopleNames(t, pub); code != 200 || len(got) != 0 {
			t.Fatalf("endorsements after unfollow and unpin: %d %v", code, got)
		}
		if code, rel := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(carol)+"/endorse", nil); code != 200 || rel["endorsed"] != true {
			t.Fatalf("endorse carol: %d %v", code, rel)
		}
		if code, rel := call(t, n, tok, "POST", "/api/v1/accounts/"+peopleID(carol)+"/unendorse", nil); code != 200 || rel["endorsed"] != false {
			t.Fatalf("unendorse: %d %v", code, rel)
		}

		// Several accounts: unknown and suspended ones skipped, in the
		// order asked, anonymously too.
		code, accts := call(t, n, "", "GET", "/api/v1/accounts?id[]="+peopleID(bob)+"&id[]=987654321&id[]="+peopleID(dave)+"&id[]="+peopleID(alice)+"&id[]=nope", nil)
		if got := peopleNames(t, accts); code != 200 || strings.Join(got, ",") != "bob,alice" {
			t.Fatalf("accounts by id: %d %v", code, got)
		}

		// Several posts: only those the viewer may see.
		post := func(who *storage.Account, text, vis string) string {
			st, err := n.svc.PostStatus(ctx, who, social.NewStatus{Text: text, Visibility: vis})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(st.ID)
		}
		public := post(bob, "Public note", social.VisibilityPublic)
		private := post(bob, "For followers", social.VisibilityPrivate)
		direct := post(bob, "Nobody else", social.VisibilityDirect)
		q := "/api/v1/statuses?id[]=" + private + "&id[]=" + public + "&id[]=" + direct + "&id[]=987654321"
		texts := func(body map[string]any) []string {
			var out []string
			for _, e := range body["list"].([]any) {
				out = append(out, e.(map[string]any)["id"].(string))
			}
			return out
		}
		if code, sts := call(t, n, tok, "GET", q, nil); code != 200 || strings.Join(texts(sts), ",") != private+","+public {
			t.Fatalf("statuses by id for a follower: %d %v", code, texts(sts))
		}
		if code, sts := call(t, n, "", "GET", q, nil); code != 200 || strings.Join(texts(sts), ",") != public {
			t.Fatalf("statuses by id anonymously: %d %v", code, texts(sts))
		}
		// A post in its send delay is its author's alone.
		d := social.Duration(10 * time.Minute)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		pending := post(bob, "Not yet", social.VisibilityPublic)
		if code, sts := call(t, n, tok, "GET", "/api/v1/statuses?id[]="+pending, nil); code != 200 || len(texts(sts)) != 0 {
			t.Fatalf("a post in its send delay by id: %d %v", code, texts(sts))
		}

		// Familiar followers: those alice follows (bob, carol) who follow
		// erin; an unknown account has none.
		for _, who := range []*storage.Account{bob, carol} {
			if _, err := n.svc.Follow(ctx, who, erin); err != nil {
				t.Fatal(err)
			}
		}
		code, ff := call(t, n, tok, "GET", "/api/v1/accounts/familiar_followers?id[]="+peopleID(erin)+"&id[]=987654321", nil)
		list, _ := ff["list"].([]any)
		if code != 200 || len(list) != 2 {
			t.Fatalf("familiar followers: %d %v", code, ff)
		}
		first, second := list[0].(map[string]any), list[1].(map[string]any)
		if first["id"] != peopleID(erin) || strings.Join(peopleNames(t, map[string]any{"list": first["accounts"]}), ",") != "bob,carol" {
			t.Fatalf("familiar followers of erin: %v", first)
		}
		if second["id"] != "987654321" || len(second["accounts"].([]any)) != 0 {
			t.Fatalf("familiar followers of an unknown account: %v", second)
		}
	})
}

// Suggestions come from this server's verified clinicians (those of one's
// own organisation first) and friends of friends, never someone followed,
// muted, blocked, opted out, suspended, or dismissed; the directory lists
// the discoverable accounts with Mastodon's parameters and Rounds' filters.
func TestSuggestionsAndDirectory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice := n.user(t, "alice", false)
		bob := n.user(t, "bob", false)
		erin := n.user(t, "erin", false)
		vera := n.user(t, "vera", false)
		vic := n.user(t, "vic", false)
		mo := n.user(t, "mo", false)
		bl := n.user(t, "bl", false)
		hidden := n.user(t, "hidden", false)
		gone := n.user(t, "gone", false)
		fol := n.user(t, "fol", false)
		verify := func(a *storage.Account, profession, org string) {
			t.Helper()
			if _, err := n.svc.VerifyClinician(ctx, social.CommandLine, a.ID, social.ClinicianDetails{Profession: profession, Regulator: "NMBI", RegistrationNumber: fmt.Sprint(a.ID), Organisation: org}, ""); err != nil {
				t.Fatal(err)
			}
		}
		verify(alice, "doctor", "St James's Hospital")
		verify(vic, "nurse", "Beaumont Hospital")
		verify(vera, "nurse", "St James's Hospital")
		for _, a := range []*storage.Account{mo, bl, hidden, gone, fol} {
			verify(a, "pharmacist", "Beaumont Hospital")
		}
		off := false
		if _, err := n.svc.UpdateProfile(ctx, hidden, social.ProfileUpdate{Discoverable: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.SuspendUser(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		for _, f := range [][2]*storage.Account{{alice, bob}, {alice, fol}, {bob, erin}, {bob, vic}} {
			if _, err := n.svc.Follow(ctx, f[0], f[1]); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.svc.Mute(ctx, alice, mo, true); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.Block(ctx, bl, alice); err != nil {
			t.Fatal(err)
		}
		ca := signIn(t, n, "alice")
		tok := ca.Config.AccessToken

		code, v1 := call(t, n, tok, "GET", "/api/v1/suggestions", nil)
		if got := strings.Join(peopleNames(t, v1), ","); code != 200 || got != "vera,vic,erin" {
			t.Fatalf("v1 suggestions: %d %s, want vera (same organisation), vic, erin (friend of a friend)", code, got)
		}
		code, v2 := call(t, n, tok, "GET", "/api/v2/suggestions?limit=5", nil)
		list, _ := v2["list"].([]any)
		if code != 200 || len(list) != 3 {
			t.Fatalf("v2 suggestions: %d %v", code, v2)
		}
		want := []struct{ name, source, sources string }{
			{"vera", "staff", "featured"}, {"vic", "staff", "featured,friends_of_friends"}, {"erin", "global", "friends_of_friends"},
		}
		for i, w := range want {
			s := list[i].(map[string]any)
			var sources []string
			for _, x := range s["sources"].([]any) {
				sources = append(sources, x.(string))
			}
			if s["account"].(map[string]any)["username"] != w.name || s["source"] != w.source || strings.Join(sources, ",") != w.sources {
				t.Errorf("v2 suggestion %d: %v, want %+v", i, s, w)
			}
		}
		// Dismissed and followed ones go, for good.
		if code, body := call(t, n, tok, "DELETE", "/api/v1/suggestions/"+peopleID(erin), nil); code != 200 {
			t.Fatalf("dismiss: %d %v", code, body)
		}
		if code, body := call(t, n, tok, "DELETE", "/api/v1/suggestions/987654321", nil); code != 404 {
			t.Fatalf("dismiss an unknown account: %d %v", code, body)
		}
		if _, err := ca.AccountFollow(ctx, mastodon.ID(peopleID(vera))); err != nil {
			t.Fatal(err)
		}
		code, v1 = call(t, n, tok, "GET", "/api/v1/suggestions", nil)
		if got := strings.Join(peopleNames(t, v1), ","); code != 200 || got != "vic" {
			t.Fatalf("suggestions after a dismissal and a follow: %d %s", code, got)
		}
		if code, _ := call(t, n, "", "GET", "/api/v1/suggestions", nil); code != 401 {
			t.Fatalf("suggestions without a token: %d", code)
		}

		// The directory, anonymously: discoverable accounts only.
		dir := func(query string) string {
			t.Helper()
			code, body := call(t, n, "", "GET", "/api/v1/directory"+query, nil)
			if code != 200 {
				t.Fatalf("directory%s: %d %v", query, code, body)
			}
			return strings.Join(peopleNames(t, body), ",")
		}
		if got := dir("?order=new"); got != "fol,bl,mo,vic,vera,erin,bob,alice" {
			t.Fatalf("directory, newest first: %s (hidden opted out, gone is suspended)", got)
		}
		if got := dir("?order=new&limit=2&offset=1"); got != "bl,mo" {
			t.Fatalf("directory page: %s", got)
		}
		if _, err := n.svc.PostStatus(ctx, erin, social.NewStatus{Text: "Most recent", Visibility: social.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Earlier", Visibility: social.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		if got := dir("?limit=2&local=true"); got != "bob,erin" {
			t.Fatalf("directory, most active first: %s", got)
		}
		if got := dir("?order=new&verified=true"); got != "fol,bl,mo,vic,vera,alice" {
			t.Fatalf("directory of verified clinicians: %s", got)
		}
		if got := dir("?order=new&profession=Nurse"); got != "vic,vera" {
			t.Fatalf("directory of nurses: %s", got)
		}
		if got := dir("?order=new&organisation=st+james%27s+hospital"); got != "vera,alice" {
			t.Fatalf("directory of an organisation: %s", got)
		}
		// Signed in, alice does not see whom she mutes (mo) or who blocks
		// her (bl).
		code, body := call(t, n, tok, "GET", "/api/v1/directory?order=new&verified=true", nil)
		if got := strings.Join(peopleNames(t, body), ","); code != 200 || got != "fol,vic,vera,alice" {
			t.Fatalf("directory for alice: %d %s", code, got)
		}
		if code, body := call(t, n, "", "GET", "/api/v1/directory?offset=-1", nil); code != 400 || body["error"] == nil {
			t.Fatalf("a negative offset: %d %v", code, body)
		}
	})
}

// Removing a follower on another server sends it a Reject of their
// Follow, and that server drops the follow; a local follower is removed at
// once. The answer is the Relationship.
func TestRemoveFromFollowersAcrossServers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		carol := a.user(t, "carol", false)
		bob := b.user(t, "bob", false)
		aliceOnB := followAcross(t, b, bob, a, "alice")
		bobOnA, err := a.svc.AccountByURI(ctx, bob.URI)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.Follow(ctx, carol, alice); err != nil {
			t.Fatal(err)
		}
		tok := signIn(t, a, "alice").Config.AccessToken
		for _, who := range []*storage.Account{bobOnA, carol} {
			code, rel := call(t, a, tok, "POST", "/api/v1/accounts/"+peopleID(who)+"/remove_from_followers", nil)
			if code != http.StatusOK || rel["followed_by"] != false || rel["id"] != peopleID(who) {
				t.Fatalf("remove %s from followers: %d %v", who.Username, code, rel)
			}
		}
		if a.svc.IsFollowing(ctx, carol, alice) || a.svc.IsFollowing(ctx, bobOnA, alice) {
			t.Fatal("the removed followers still follow alice here")
		}
		eventually(t, "bob's server dropping his follow of alice", func() bool {
			return !b.svc.IsFollowing(ctx, bob, aliceOnB)
		})
		// Again: not a follower any more, nothing to do.
		if code, rel := call(t, a, tok, "POST", "/api/v1/accounts/"+peopleID(bobOnA)+"/remove_from_followers", nil); code != 200 || rel["followed_by"] != false {
			t.Fatalf("removing a non-follower: %d %v", code, rel)
		}
		if code, body := call(t, a, tok, "POST", "/api/v1/accounts/987654321/remove_from_followers", nil); code != 404 {
			t.Fatalf("removing an unknown account: %d %v", code, body)
		}

		// The same Reject refuses a follow request of a locked account:
		// bob's server forgets the request.
		a.user(t, "lena", true)
		lenaOnB, err := b.fed.ResolveAccount(ctx, "lena@"+a.domain)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Follow(ctx, bob, lenaOnB); err != nil {
			t.Fatal(err)
		}
		lenaTok := signIn(t, a, "lena").Config.AccessToken
		eventually(t, "bob's follow request reaching lena", func() bool {
			code, body := call(t, a, lenaTok, "GET", "/api/v1/follow_requests", nil)
			list, _ := body["list"].([]any)
			return code == 200 && len(list) == 1
		})
		if code, rel := call(t, a, lenaTok, "POST", "/api/v1/follow_requests/"+peopleID(bobOnA)+"/reject", nil); code != 200 || rel["requested_by"] != false {
			t.Fatalf("rejecting bob's request: %d %v", code, rel)
		}
		eventually(t, "bob's server dropping his follow request", func() bool {
			rel, err := b.svc.RelationshipWith(ctx, bob, lenaOnB)
			return err == nil && !rel.Requested && !rel.Following
		})
	})
}
