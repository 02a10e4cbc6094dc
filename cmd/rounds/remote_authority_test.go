package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// A server speaks only for its own objects and accounts: these tests send
// signed activities from a hand-made hostile server (fakeRemote) next to
// real Rounds servers, and check what each may change.

// sendActivity signs act as the named actor of rem, posts it to inbox and
// returns the answer's status and body.
func sendActivity(t *testing.T, rem *fakeRemote, inbox, actorName string, act federation.ActivityDoc) (int, string) {
	t.Helper()
	body, err := federation.MarshalActivity(act)
	if err != nil {
		t.Fatal(err)
	}
	resp := rem.post(t, inbox, actorName, body, nil)
	return resp.StatusCode, readAll(resp)
}

// auditOf returns the audit log entries about account id on n, newest
// first.
func auditOf(t *testing.T, n *node, id int64) []*storage.AuditEntry {
	t.Helper()
	entries, err := n.svc.AuditLog(context.Background(), social.CommandLine,
		storage.AuditFilter{TargetType: "account", TargetID: strconv.FormatInt(id, 10)}, storage.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func hasAudit(entries []*storage.AuditEntry, action, actor string) bool {
	for _, e := range entries {
		if e.Action == action && (actor == "" || e.Actor == actor) {
			return true
		}
	}
	return false
}

// A Delete from server B of a post on server C, which A does not have yet,
// must not stop A from taking C's post when it arrives; B's Delete of a post
// of C that A has changes nothing; a server's Delete of its own unknown
// post is remembered.
func TestForgedDeleteCannotPreDeleteAnotherServersPost(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, c := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		carol := c.user(t, "carol", false)
		followAcross(t, a, alice, c, "carol")
		rem := newFakeRemote(t, fakeRemoteOptions{}, "mallory")
		mallory := rem.actorURI("mallory")
		inbox := a.base + "/inbox"

		// carol's post waits out a send delay on C: its id is known
		// (to anyone who guesses or sees it) before A has it.
		delay := social.Duration(2 * time.Second)
		if _, err := c.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &delay }); err != nil {
			t.Fatal(err)
		}
		post, err := c.svc.PostStatus(ctx, carol, social.NewStatus{Text: "Handover at 8: bed 4 needs a review", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		if post.PendingUntil == nil {
			t.Fatal("carol's post was not held back by the send delay")
		}
		code, body := sendActivity(t, rem, inbox, "mallory", federation.ActivityDoc{
			ID: rem.nextID("mallory", "deletes"), Type: "Delete", Actor: mallory, ObjectID: post.URI,
			To: []string{federation.PublicCollection},
		})
		if code != http.StatusForbidden {
			t.Fatalf("mallory's Delete of carol's post on another server = %d %s, want 403", code, body)
		}
		if known, err := a.svc.KnownStatusOrTombstone(ctx, post.URI); err != nil || known {
			t.Fatalf("A keeps a tombstone for carol's post after mallory's Delete (%v)", err)
		}
		// C's Create arrives once the delay has passed, and A takes it.
		onA := waitInHome(t, a, alice, post.URI, "carol's post reaching A after mallory's forged Delete")

		// Now that A has it, mallory cannot delete it either.
		code, body = sendActivity(t, rem, inbox, "mallory", federation.ActivityDoc{
			ID: rem.nextID("mallory", "deletes"), Type: "Delete", Actor: mallory, ObjectID: post.URI,
		})
		if code != http.StatusForbidden {
			t.Fatalf("mallory's Delete of carol's post that A has = %d %s, want 403", code, body)
		}
		if _, err := a.svc.StatusByID(ctx, onA.ID); err != nil {
			t.Fatalf("carol's post is gone from A: %v", err)
		}

		// A server's Delete of its own post that A has not seen yet is
		// remembered: the late Create does not bring the post back. The
		// post mentions alice, so A would keep it otherwise (shown by a
		// second post).
		create := func(noteID string) federation.ActivityDoc {
			return federation.ActivityDoc{
				ID: noteID + "/activity", Type: "Create", Actor: mallory, To: []string{alice.URI}, ObjectID: noteID,
				Note: &federation.NoteDoc{
					ID: noteID, Type: "Note", AttributedTo: mallory, Content: "<p>@alice hello</p>", To: []string{alice.URI},
					Tags: []federation.Tag{{Type: "Mention", Href: alice.URI, Name: "@alice@" + a.domain}}, Published: time.Now().UTC(),
				},
			}
		}
		gone := rem.nextID("mallory", "statuses")
		code, body = sendActivity(t, rem, inbox, "mallory", federation.ActivityDoc{
			ID: rem.nextID("mallory", "deletes"), Type: "Delete", Actor: mallory, ObjectID: gone,
		})
		if code != http.StatusAccepted {
			t.Fatalf("mallory's Delete of her own unknown post = %d %s, want 202", code, body)
		}
		if code, body := sendActivity(t, rem, inbox, "mallory", create(gone)); code != http.StatusAccepted {
			t.Fatalf("mallory's late Create = %d %s", code, body)
		}
		kept := rem.nextID("mallory", "statuses")
		if code, body := sendActivity(t, rem, inbox, "mallory", create(kept)); code != http.StatusAccepted {
			t.Fatalf("mallory's Create = %d %s", code, body)
		}
		if _, err := a.svc.StatusByURI(ctx, kept); err != nil {
			t.Fatalf("mallory's post mentioning alice was not kept: %v", err)
		}
		if _, err := a.svc.StatusByURI(ctx, gone); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("mallory's deleted post came back with its late Create (%v)", err)
		}
	})
}

// A moderator's suspension of a remote account is a decision made here: no
// remote activity lifts it, neither from another server, nor from the
// account's own server (an Update of the actor), nor a fetch of the actor.
// Only the state the account's own server caused, by deleting it, is lifted
// by that server's Update, and every lift is in the audit log.
func TestRemoteActivitiesNeverLiftAModeratorsSuspension(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, c := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "mod", false)
		if err := a.svc.SetRole(ctx, social.CommandLine, mustID(t, a, "mod"), social.RoleModerator, ""); err != nil {
			t.Fatal(err)
		}
		modTok := tokenFor(t, a, "mod", "admin:read admin:write")
		suspend := func(t *testing.T, acct *storage.Account) {
			t.Helper()
			code, body := call(t, a, modTok, "POST", "/api/v1/admin/accounts/"+strconv.FormatInt(acct.ID, 10)+"/action",
				url.Values{"type": {"suspend"}, "text": {"posts patient details"}})
			if code != http.StatusOK {
				t.Fatalf("the moderator's suspension of %s: %d %v", acct.URI, code, body)
			}
		}
		suspended := func(t *testing.T, uri string) bool {
			t.Helper()
			acct, err := a.svc.AccountByURI(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			return acct.Suspended()
		}
		inbox := a.base + "/inbox"
		rem := newFakeRemote(t, fakeRemoteOptions{}, "eve", "frank", "gail", "mallory")
		known := func(t *testing.T, name string) *storage.Account {
			t.Helper()
			acct, err := a.fed.FetchActor(ctx, rem.actorURI(name))
			if err != nil {
				t.Fatal(err)
			}
			return acct
		}
		deleteSelf := func(name string) (int, string) {
			return sendActivity(t, rem, inbox, name, federation.ActivityDoc{
				ID: rem.nextID(name, "deletes"), Type: "Delete", Actor: rem.actorURI(name), ObjectID: rem.actorURI(name),
				To: []string{federation.PublicCollection},
			})
		}
		updateSelf := func(name string) (int, string) {
			doc, err := federation.ParseActor(rem.actor(name).doc)
			if err != nil {
				t.Fatal(err)
			}
			return sendActivity(t, rem, inbox, name, federation.ActivityDoc{
				ID: rem.nextID(name, "updates"), Type: "Update", Actor: rem.actorURI(name), ObjectID: doc.ID, Actor2: doc,
				To: []string{federation.PublicCollection},
			})
		}
		originActor := "Rounds (as " + rem.srv.Listener.Addr().String() + " asked)"

		t.Run("a moderator's suspension survives its server's and its neighbours' activities", func(t *testing.T) {
			eve := known(t, "eve")
			suspend(t, eve)
			// mallory, on eve's own server, tries to leave a deletion of
			// eve behind, and eve's Update of herself follows.
			if code, body := sendActivity(t, rem, inbox, "mallory", federation.ActivityDoc{
				ID: rem.nextID("mallory", "deletes"), Type: "Delete", Actor: rem.actorURI("mallory"), ObjectID: eve.URI,
			}); code != http.StatusForbidden {
				t.Errorf("mallory's Delete of eve = %d %s, want 403", code, body) // and on: what follows is the harm
			}
			if code, body := updateSelf("eve"); code != http.StatusForbidden {
				t.Fatalf("eve's Update of herself while suspended = %d %s, want 403", code, body)
			}
			// Nor does her own Delete and then an Update: a suspended
			// account's Delete is not taken.
			if code, body := deleteSelf("eve"); code != http.StatusForbidden {
				t.Fatalf("eve's Delete of herself while suspended = %d %s, want 403", code, body)
			}
			if code, body := updateSelf("eve"); code != http.StatusForbidden {
				t.Fatalf("eve's Update of herself after her Delete = %d %s, want 403", code, body)
			}
			if _, err := a.fed.FetchActor(ctx, eve.URI); err != nil {
				t.Fatal(err)
			}
			if !suspended(t, eve.URI) {
				t.Fatal("eve's suspension was lifted by remote activities or a fetch")
			}
			if hasAudit(auditOf(t, a, eve.ID), "remote_restore", "") {
				t.Fatal("the audit log shows a remote lift of eve's suspension")
			}
		})

		t.Run("its own server deletes and restores an account, audited", func(t *testing.T) {
			gail := known(t, "gail")
			if code, body := deleteSelf("gail"); code != http.StatusAccepted {
				t.Fatalf("gail's Delete of herself = %d %s", code, body)
			}
			if !suspended(t, gail.URI) {
				t.Fatal("gail's deletion by her server did not suspend her here")
			}
			if !hasAudit(auditOf(t, a, gail.ID), "remote_delete", originActor) {
				t.Fatalf("no remote_delete by %q in the audit log: %+v", originActor, auditOf(t, a, gail.ID))
			}
			if code, body := updateSelf("gail"); code != http.StatusAccepted {
				t.Fatalf("gail's Update of herself after her server's Delete = %d %s", code, body)
			}
			if suspended(t, gail.URI) {
				t.Fatal("gail's server could not bring her back")
			}
			if !hasAudit(auditOf(t, a, gail.ID), "remote_restore", originActor) {
				t.Fatalf("no remote_restore by %q in the audit log: %+v", originActor, auditOf(t, a, gail.ID))
			}
		})

		t.Run("a moderator's suspension after the remote deletion sticks", func(t *testing.T) {
			frank := known(t, "frank")
			if code, body := deleteSelf("frank"); code != http.StatusAccepted {
				t.Fatalf("frank's Delete of himself = %d %s", code, body)
			}
			if !suspended(t, frank.URI) {
				t.Fatal("frank's deletion by his server did not suspend him here")
			}
			suspend(t, frank) // allowed although he is suspended already
			if code, body := updateSelf("frank"); code != http.StatusForbidden {
				t.Fatalf("frank's Update of himself after a moderator's suspension = %d %s, want 403", code, body)
			}
			if !suspended(t, frank.URI) {
				t.Fatal("frank's server lifted the moderator's suspension")
			}
			// The moderator's own lift is audited too.
			code, body := call(t, a, modTok, "POST", "/api/v1/admin/accounts/"+strconv.FormatInt(frank.ID, 10)+"/unsuspend", nil)
			if code != http.StatusOK || suspended(t, frank.URI) {
				t.Fatalf("the moderator's unsuspension: %d %v", code, body)
			}
			if !hasAudit(auditOf(t, a, frank.ID), "unsuspend", "@mod") {
				t.Fatalf("no unsuspend by @mod in the audit log: %+v", auditOf(t, a, frank.ID))
			}
		})

		t.Run("two Rounds servers", func(t *testing.T) {
			carol := c.user(t, "carol", false)
			carolOnA := followAcross(t, a, alice, c, "carol")
			// C suspends carol (its Delete of her reaches A), then lifts
			// it (its Update of her reaches A): both audited on A.
			if err := c.svc.TakeAction(ctx, social.CommandLine, carol.ID, social.AccountAction{Type: social.ActionSuspend}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "C's Delete of carol suspending her on A", func() bool { return suspended(t, carol.URI) })
			cActor := "Rounds (as " + c.domain + " asked)"
			if !hasAudit(auditOf(t, a, carolOnA.ID), "remote_delete", cActor) {
				t.Fatalf("no remote_delete by %q on A: %+v", cActor, auditOf(t, a, carolOnA.ID))
			}
			if err := c.svc.Unsuspend(ctx, social.CommandLine, carol.ID, ""); err != nil {
				t.Fatal(err)
			}
			eventually(t, "C's Update of carol bringing her back on A", func() bool { return !suspended(t, carol.URI) })
			if !hasAudit(auditOf(t, a, carolOnA.ID), "remote_restore", cActor) {
				t.Fatalf("no remote_restore by %q on A: %+v", cActor, auditOf(t, a, carolOnA.ID))
			}

			// A's moderator suspends carol. mallory's Delete of carol,
			// then carol's profile change on C (an Update of her), leave
			// her suspended on A.
			suspend(t, carolOnA)
			if code, body := sendActivity(t, rem, inbox, "mallory", federation.ActivityDoc{
				ID: rem.nextID("mallory", "deletes"), Type: "Delete", Actor: rem.actorURI("mallory"), ObjectID: carol.URI,
			}); code != http.StatusForbidden {
				t.Errorf("mallory's Delete of carol = %d %s, want 403", code, body) // and on: what follows is the harm
			}
			name := "Dr Carol Chen"
			if _, err := c.svc.UpdateProfile(ctx, carol, social.ProfileUpdate{DisplayName: &name}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			if !suspended(t, carol.URI) {
				t.Fatal("C's Update of carol lifted A's moderator's suspension")
			}
		})
	})
}

// A domain block that rejects reports drops the Flags its servers send;
// another server's Flag is still filed as a report.
func TestRejectReportsDomainBlockDropsFlags(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a := startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "boss", false)
		if err := a.svc.SetRole(ctx, social.CommandLine, mustID(t, a, "boss"), social.RoleAdmin, ""); err != nil {
			t.Fatal(err)
		}
		post, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Grand rounds moved to 2pm", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		noisy := newFakeRemote(t, fakeRemoteOptions{}, "troll")
		other := newFakeRemote(t, fakeRemoteOptions{}, "nurse")
		noisyDomain := noisy.srv.Listener.Addr().String()

		// The block only rejects reports (severity noop): everything
		// else from the domain still comes in.
		code, body := call(t, a, tokenFor(t, a, "boss", "admin:read admin:write"), "POST", "/api/v1/admin/domain_blocks",
			url.Values{"domain": {noisyDomain}, "severity": {"noop"}, "reject_reports": {"true"}})
		if code != http.StatusOK || body["reject_reports"] != true {
			t.Fatalf("the domain block: %d %v", code, body)
		}
		flag := func(rem *fakeRemote, name string) (int, string) {
			return sendActivity(t, rem, a.base+"/inbox", name, federation.ActivityDoc{
				ID: rem.nextID(name, "flags"), Type: "Flag", Actor: rem.actorURI(name),
				Objects: []string{alice.URI, post.URI}, Content: "spam, says " + name,
			})
		}
		if code, body := flag(noisy, "troll"); code != http.StatusAccepted {
			t.Fatalf("the blocked domain's Flag = %d %s, want 202 (taken, then dropped)", code, body)
		}
		if code, body := flag(other, "nurse"); code != http.StatusAccepted {
			t.Fatalf("the other domain's Flag = %d %s", code, body)
		}
		reports, err := a.svc.Reports(ctx, social.CommandLine, storage.ReportFilter{}, storage.Page{Limit: 40})
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) != 1 {
			t.Fatalf("%d reports stored, want only the other domain's: %+v", len(reports), reports)
		}
		if r := reports[0]; r.Account == nil || r.Account.URI != other.actorURI("nurse") || r.TargetAccountID != alice.ID || r.Comment != "spam, says nurse" {
			t.Fatalf("the stored report = %+v (by %+v)", r, r.Account)
		}
		// The block rejects reports only: the domain's other activities
		// are taken (its account is known here and may follow alice).
		if code, body := sendActivity(t, noisy, alice.InboxURL, "troll", federation.ActivityDoc{
			ID: noisy.nextID("troll", "follows"), Type: "Follow", Actor: noisy.actorURI("troll"), ObjectID: alice.URI,
		}); code != http.StatusAccepted {
			t.Fatalf("the blocked domain's Follow = %d %s", code, body)
		}
	})
}

// A remote account that may not see a post (followers-only while not a
// follower, direct while not mentioned) cannot like it, boost it, vote in
// its poll, or have a reply threaded under it, whoever knows its id; a
// follower can, except boost, which followers-only posts never allow.
func TestRemoteInteractionsNeedThePostToBeVisible(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a := startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "bob", false)
		rem := newFakeRemote(t, fakeRemoteOptions{}, "eve", "mallory")
		inbox := a.base + "/inbox"
		send := func(name string, act federation.ActivityDoc) (int, string) {
			act.Actor = rem.actorURI(name)
			return sendActivity(t, rem, inbox, name, act)
		}

		// eve follows alice; mallory does not.
		if code, body := send("eve", federation.ActivityDoc{ID: rem.nextID("eve", "follows"), Type: "Follow", ObjectID: alice.URI}); code != http.StatusAccepted {
			t.Fatalf("eve's Follow = %d %s", code, body)
		}
		eventually(t, "eve following alice", func() bool {
			c, err := a.svc.Counts(ctx, alice)
			return err == nil && c.Followers == 1
		})

		post := func(text, visibility string, poll *social.NewPoll) *storage.Status {
			t.Helper()
			st, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: text, Visibility: visibility, Poll: poll})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		public := post("Teaching at noon", social.VisibilityPublic, nil)
		private := post("Bed 7 is a safeguarding case", social.VisibilityPrivate, nil)
		direct := post("@bob the on-call rota is attached", social.VisibilityDirect, nil)
		poll := post("Which day for the M&M meeting?", social.VisibilityPrivate, &social.NewPoll{Options: []string{"Tuesday", "Thursday"}, ExpiresIn: 3600})

		like := func(name string, st *storage.Status) int {
			code, _ := send(name, federation.ActivityDoc{ID: rem.nextID(name, "likes"), Type: "Like", ObjectID: st.URI})
			return code
		}
		boost := func(name string, st *storage.Status) int {
			code, _ := send(name, federation.ActivityDoc{ID: rem.nextID(name, "boosts"), Type: "Announce", ObjectID: st.URI,
				To: []string{federation.PublicCollection}, Published: time.Now().UTC()})
			return code
		}
		vote := func(name string, st *storage.Status, option string) int {
			id := rem.nextID(name, "votes")
			code, _ := send(name, federation.ActivityDoc{ID: id + "/activity", Type: "Create", To: []string{alice.URI}, ObjectID: id,
				Note: &federation.NoteDoc{ID: id, Type: "Note", Name: option, InReplyTo: st.URI, AttributedTo: rem.actorURI(name), To: []string{alice.URI}}})
			return code
		}
		reply := func(name string, st *storage.Status) *storage.Status {
			t.Helper()
			id := rem.nextID(name, "statuses")
			code, body := send(name, federation.ActivityDoc{ID: id + "/activity", Type: "Create", To: []string{alice.URI}, ObjectID: id,
				Note: &federation.NoteDoc{ID: id, Type: "Note", AttributedTo: rem.actorURI(name), InReplyTo: st.URI,
					Content: "<p>@alice what happened?</p>", To: []string{alice.URI}, Published: time.Now().UTC(),
					Tags: []federation.Tag{{Type: "Mention", Href: alice.URI, Name: "@alice@" + a.domain}}}})
			if code != http.StatusAccepted {
				t.Fatalf("%s's reply = %d %s", name, code, body)
			}
			r, err := a.svc.StatusByURI(ctx, id)
			if err != nil {
				t.Fatalf("%s's reply mentioning alice was not kept: %v", name, err)
			}
			return r
		}
		counts := func(st *storage.Status) social.StatusCounts {
			t.Helper()
			c, err := a.svc.CountsOf(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		voters := func() int {
			t.Helper()
			p, err := a.svc.StatusPoll(ctx, poll)
			if err != nil || p == nil {
				t.Fatalf("the poll: %v %v", p, err)
			}
			return p.VotersCount
		}

		// mallory knows every id, but sees only the public post.
		for _, st := range []*storage.Status{private, direct, poll} {
			if code := like("mallory", st); code != http.StatusNotFound {
				t.Errorf("mallory's Like of a %s post = %d, want 404", st.Visibility, code)
			}
			if code := boost("mallory", st); code != http.StatusAccepted { // a boost of a post we do not show: ignored
				t.Errorf("mallory's Announce of a %s post = %d, want 202", st.Visibility, code)
			}
			if c := counts(st); c.Favourites != 0 || c.Reblogs != 0 {
				t.Errorf("mallory liked or boosted alice's %s post: %+v", st.Visibility, c)
			}
		}
		if code := vote("mallory", poll, "Tuesday"); code != http.StatusAccepted || voters() != 0 {
			t.Errorf("mallory's vote in a followers-only poll = %d, counted: %d voters", code, voters())
		}
		if r := reply("mallory", private); r.InReplyToID != nil || counts(private).Replies != 0 {
			t.Errorf("mallory's reply was threaded under alice's followers-only post: %+v", r)
		}
		if r := reply("mallory", direct); r.InReplyToID != nil || counts(direct).Replies != 0 {
			t.Errorf("mallory's reply was threaded under alice's direct post: %+v", r)
		}
		if code := like("mallory", public); code != http.StatusAccepted || counts(public).Favourites != 1 {
			t.Errorf("mallory's Like of the public post = %d, %+v", code, counts(public))
		}

		// eve follows alice: she may like, vote and reply, not boost.
		if code := like("eve", private); code != http.StatusAccepted || counts(private).Favourites != 1 {
			t.Errorf("eve's Like of the followers-only post = %d, %+v", code, counts(private))
		}
		// A vote's id is on the voter's server, like anything it sends.
		forged := alice.URI + "#votes/1"
		if code, body := send("eve", federation.ActivityDoc{ID: rem.nextID("eve", "votes"), Type: "Create", To: []string{alice.URI}, ObjectID: forged,
			Note: &federation.NoteDoc{ID: forged, Type: "Note", Name: "Tuesday", InReplyTo: poll.URI, AttributedTo: rem.actorURI("eve"), To: []string{alice.URI}}}); code != http.StatusForbidden || voters() != 0 {
			t.Errorf("eve's vote with an id on alice's server = %d %s, %d voters; want 403, not counted", code, body, voters())
		}
		if code := vote("eve", poll, "Thursday"); code != http.StatusAccepted || voters() != 1 {
			t.Errorf("eve's vote = %d, %d voters", code, voters())
		}
		if r := reply("eve", private); r.InReplyToID == nil || *r.InReplyToID != private.ID || counts(private).Replies != 1 {
			t.Errorf("eve's reply is not threaded under the followers-only post: %+v", r)
		}
		if code := boost("eve", private); code != http.StatusForbidden || counts(private).Reblogs != 0 {
			t.Errorf("eve's Announce of the followers-only post = %d, %+v; want 403, never boosted", code, counts(private))
		}
		if code := like("eve", direct); code != http.StatusNotFound || counts(direct).Favourites != 0 {
			t.Errorf("eve's Like of a direct post to bob = %d, %+v", code, counts(direct))
		}
	})
}
