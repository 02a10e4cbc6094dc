package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// quoteState returns the quote state of status id as token sees it on n,
// and the quoted status's id ("" when not shown).
func quoteState(t *testing.T, n *node, token string, id int64) (state, quotedID string) {
	t.Helper()
	code, st := call(t, n, token, "GET", fmt.Sprintf("/api/v1/statuses/%d", id), nil)
	if code != http.StatusOK {
		t.Fatalf("GET status %d: %d %v", id, code, st)
	}
	q, ok := st["quote"].(map[string]any)
	if !ok {
		return "", ""
	}
	state, _ = q["state"].(string)
	if qs, ok := q["quoted_status"].(map[string]any); ok {
		quotedID, _ = qs["id"].(string)
	}
	return state, quotedID
}

// quoteStateNow is quoteState read from the domain, for polling loops
// (the API's rate limit would refuse a tight loop); viewer nil is anonymous.
func quoteStateNow(t *testing.T, n *node, viewer *storage.Account, id int64) (state, quotedID string) {
	t.Helper()
	st, err := n.svc.StatusByID(context.Background(), id)
	if err != nil {
		return "", ""
	}
	q := n.svc.QuoteOf(context.Background(), viewer, st)
	if q == nil {
		return "", ""
	}
	if q.Quoted != nil {
		quotedID = fmt.Sprint(q.Quoted.ID)
	}
	return q.State, quotedID
}

func postJSONStatus(t *testing.T, n *node, token string, form url.Values) (int, map[string]any) {
	t.Helper()
	return call(t, n, token, "POST", "/api/v1/statuses", form)
}

func entityIDOf(t *testing.T, m map[string]any) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(fmt.Sprint(m["id"]), &id); err != nil {
		t.Fatalf("no id in %v", m)
	}
	return id
}

// bob@B quotes alice@A: her public policy approves it (QuoteRequest, then
// Accept with a QuoteAuthorization); both servers show the quote; alice's
// "nobody" refuses the next one; her revoke reaches B. Local quotes on A
// follow the same rules, and the viewer's right to see the quoted post.
func TestQuotePostsAcrossServersAndLocally(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		a.user(t, "alice", false)
		a.user(t, "carol", false)
		a.user(t, "dave", false)
		bob := b.user(t, "bob", false)
		aliceTok := tokenFor(t, a, "alice", "read write")
		carolTok := tokenFor(t, a, "carol", "read write")
		daveTok := tokenFor(t, a, "dave", "read write")
		bobTok := tokenFor(t, b, "bob", "read write")
		followAcross(t, b, bob, a, "alice")
		// erin@C follows bob only: C learns of the quote's approval
		// from B's Update and checks it with A.
		c := startNode(t, dialect)
		erin := c.user(t, "erin", false)
		erinTok := tokenFor(t, c, "erin", "read write")
		followAcross(t, c, erin, b, "bob")

		code, p1 := postJSONStatus(t, a, aliceTok, url.Values{"status": {"Sepsis bundle audit results"}})
		if code != http.StatusOK {
			t.Fatalf("post: %d %v", code, p1)
		}
		if qa, _ := p1["quote_approval"].(map[string]any); qa == nil || fmt.Sprint(qa["automatic"]) != "[public]" {
			t.Fatalf("quote_approval of a new post: %v", p1["quote_approval"])
		}
		if _, ok := p1["quote"]; !ok || p1["quote"] != nil {
			t.Fatalf("quote of a post quoting nothing: %v", p1["quote"])
		}
		p1ID := entityIDOf(t, p1)
		p1URI := p1["uri"].(string)
		var p1OnB *storage.Status
		eventually(t, "alice's post on B", func() bool {
			var err error
			p1OnB, err = b.svc.StatusByURI(ctx, p1URI)
			return err == nil
		})

		// bob quotes it from B: pending until alice's server approves.
		code, q1 := postJSONStatus(t, b, bobTok, url.Values{"status": {"Worth reading"}, "quoted_status_id": {fmt.Sprint(p1OnB.ID)}})
		if code != http.StatusOK {
			t.Fatalf("quote: %d %v", code, q1)
		}
		q1ID := entityIDOf(t, q1)
		eventually(t, "bob's quote accepted on B", func() bool {
			s, qid := quoteStateNow(t, b, bob, q1ID)
			return s == "accepted" && qid == fmt.Sprint(p1OnB.ID)
		})
		if s, qid := quoteState(t, b, bobTok, q1ID); s != "accepted" || qid != fmt.Sprint(p1OnB.ID) {
			t.Fatalf("bob's quote in B's API: %q %q", s, qid)
		}
		eventually(t, "bob's quote accepted on C, alice's post fetched", func() bool {
			st, err := c.svc.StatusByURI(ctx, q1["uri"].(string))
			if err != nil {
				return false
			}
			s, qid := quoteStateNow(t, c, erin, st.ID)
			return s == "accepted" && qid != ""
		})
		if st, _ := c.svc.StatusByURI(ctx, q1["uri"].(string)); st.EditedAt != nil {
			t.Fatal("the quote's approval made bob's post edited on C")
		} else if s, qid := quoteState(t, c, erinTok, st.ID); s != "accepted" || qid == "" {
			t.Fatalf("bob's quote in C's API: %q %q", s, qid)
		}
		var q1OnA *storage.Status
		eventually(t, "bob's quote on A", func() bool {
			var err error
			q1OnA, err = a.svc.StatusByURI(ctx, q1["uri"].(string))
			return err == nil
		})
		if s, qid := quoteState(t, a, aliceTok, q1OnA.ID); s != "accepted" || qid != fmt.Sprint(p1ID) {
			t.Fatalf("bob's quote on A: %q %q", s, qid)
		}
		code, list := call(t, a, aliceTok, "GET", fmt.Sprintf("/api/v1/statuses/%d/quotes", p1ID), nil)
		if items, _ := list["list"].([]any); code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["id"] != fmt.Sprint(q1OnA.ID) {
			t.Fatalf("quotes of alice's post: %d %v", code, list)
		}
		if code, _ := call(t, a, carolTok, "GET", fmt.Sprintf("/api/v1/statuses/%d/quotes", p1ID), nil); code != http.StatusNotFound {
			t.Fatalf("someone else listing alice's quotes: %d", code)
		}
		code, notes := call(t, a, aliceTok, "GET", "/api/v1/notifications?types[]=quote", nil)
		if items, _ := notes["list"].([]any); code != http.StatusOK || len(items) != 1 {
			t.Fatalf("alice's quote notifications: %d %v", code, notes)
		}
		// The authorization both servers name is served by A.
		qtA, err := a.svc.StoredQuote(ctx, q1OnA.ID)
		if err != nil {
			t.Fatal(err)
		}
		qtB, err := b.svc.StoredQuote(ctx, q1ID)
		if err != nil || qtB.AuthorizationURI != qtA.AuthorizationURI || qtA.AuthorizationURI == "" {
			t.Fatalf("authorizations: A %q, B %+v %v", qtA.AuthorizationURI, qtB, err)
		}
		auth := signedGetAS(t, qtA.AuthorizationURI, b)
		if auth["type"] != "QuoteAuthorization" || auth["interactingObject"] != q1["uri"] || auth["interactionTarget"] != p1URI {
			t.Fatalf("QuoteAuthorization: %v", auth)
		}
		// The quoting Note says what it quotes, under every name.
		note := signedGetAS(t, q1["uri"].(string), a)
		if note["quote"] != p1URI || note["_misskey_quote"] != p1URI || note["quoteUri"] != p1URI || note["quoteAuthorization"] != qtA.AuthorizationURI {
			t.Fatalf("quoting Note: %v", note)
		}
		if ip, _ := note["interactionPolicy"].(map[string]any); ip == nil || ip["canQuote"] == nil {
			t.Fatalf("quoting Note without interactionPolicy: %v", note)
		}

		// Nobody may quote now: a new quote from B is rejected.
		code, pol := call(t, a, aliceTok, "PUT", fmt.Sprintf("/api/v1/statuses/%d/interaction_policy", p1ID), url.Values{"quote_approval_policy": {"nobody"}})
		if qa, _ := pol["quote_approval"].(map[string]any); code != http.StatusOK || qa == nil || fmt.Sprint(qa["automatic"]) != "[]" {
			t.Fatalf("set nobody: %d %v", code, pol)
		}
		code, q2 := postJSONStatus(t, b, bobTok, url.Values{"status": {"Again"}, "quoted_status_id": {fmt.Sprint(p1OnB.ID)}})
		if code != http.StatusOK {
			t.Fatalf("second quote: %d %v", code, q2)
		}
		eventually(t, "bob's second quote rejected on B", func() bool {
			s, qid := quoteStateNow(t, b, bob, entityIDOf(t, q2))
			return s == "rejected" && qid == ""
		})
		if s, qid := quoteState(t, b, bobTok, entityIDOf(t, q2)); s != "rejected" || qid != "" {
			t.Fatalf("bob's rejected quote in B's API: %q %q", s, qid)
		}
		if code, body := postJSONStatus(t, a, carolTok, url.Values{"status": {"Me too"}, "quoted_status_id": {fmt.Sprint(p1ID)}}); code != http.StatusForbidden {
			t.Fatalf("carol quoting a post nobody may quote: %d %v", code, body)
		}

		// alice revokes bob's first quote: B learns it.
		code, rv := call(t, a, aliceTok, "POST", fmt.Sprintf("/api/v1/statuses/%d/quotes/%d/revoke", p1ID, q1OnA.ID), nil)
		if code != http.StatusOK || rv["id"] != fmt.Sprint(q1OnA.ID) {
			t.Fatalf("revoke: %d %v", code, rv)
		}
		eventually(t, "bob's quote revoked on B", func() bool {
			s, qid := quoteStateNow(t, b, bob, q1ID)
			return s == "revoked" && qid == ""
		})
		if s, qid := quoteState(t, b, bobTok, q1ID); s != "revoked" || qid != "" {
			t.Fatalf("bob's revoked quote in B's API: %q %q", s, qid)
		}
		if code, list := call(t, a, aliceTok, "GET", fmt.Sprintf("/api/v1/statuses/%d/quotes", p1ID), nil); code != http.StatusOK || len(list["list"].([]any)) != 0 {
			t.Fatalf("quotes after the revoke: %d %v", code, list)
		}

		// A local quote stands at once.
		code, p2 := postJSONStatus(t, a, aliceTok, url.Values{"status": {"Handover checklist"}, "quote_approval_policy": {"followers"}})
		if qa, _ := p2["quote_approval"].(map[string]any); code != http.StatusOK || fmt.Sprint(qa["automatic"]) != "[followers]" || qa["current_user"] != "automatic" {
			t.Fatalf("followers policy: %d %v", code, p2)
		}
		if code, body := postJSONStatus(t, a, carolTok, url.Values{"status": {"x"}, "quoted_status_id": {fmt.Sprint(entityIDOf(t, p2))}}); code != http.StatusForbidden {
			t.Fatalf("a non-follower quoting a followers policy: %d %v", code, body)
		}
		code, p3 := postJSONStatus(t, a, aliceTok, url.Values{"status": {"Ward round notes"}})
		if code != http.StatusOK {
			t.Fatal(code)
		}
		code, lq := postJSONStatus(t, a, carolTok, url.Values{"status": {"Useful"}, "quoted_status_id": {fmt.Sprint(entityIDOf(t, p3))}})
		if q, _ := lq["quote"].(map[string]any); code != http.StatusOK || q == nil || q["state"] != "accepted" || q["quoted_status"].(map[string]any)["id"] != p3["id"] {
			t.Fatalf("local quote: %d %v", code, lq)
		}
		// An edit of the quoted post tells the quoter.
		if code, body := call(t, a, aliceTok, "PUT", fmt.Sprintf("/api/v1/statuses/%d", entityIDOf(t, p3)), url.Values{"status": {"Ward round notes, revised"}}); code != http.StatusOK {
			t.Fatalf("edit: %d %v", code, body)
		}
		code, notes = call(t, a, carolTok, "GET", "/api/v1/notifications?types[]=quoted_update", nil)
		if items, _ := notes["list"].([]any); code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["status"].(map[string]any)["id"] != lq["id"] {
			t.Fatalf("carol's quoted_update notifications: %d %v", code, notes)
		}
		// Deleted: the quote stays, without the post.
		if code, _ := call(t, a, aliceTok, "DELETE", fmt.Sprintf("/api/v1/statuses/%d", entityIDOf(t, p3)), nil); code != http.StatusOK {
			t.Fatalf("delete: %d", code)
		}
		if s, qid := quoteState(t, a, daveTok, entityIDOf(t, lq)); s != "deleted" || qid != "" {
			t.Fatalf("quote of a deleted post: %q %q", s, qid)
		}
		// carol quotes her own followers-only post publicly: others see
		// the quote, not the post.
		code, priv := postJSONStatus(t, a, carolTok, url.Values{"status": {"Followers only"}, "visibility": {"private"}})
		if code != http.StatusOK {
			t.Fatal(code)
		}
		code, own := postJSONStatus(t, a, carolTok, url.Values{"status": {"Public quote"}, "quoted_status_id": {fmt.Sprint(entityIDOf(t, priv))}})
		if code != http.StatusOK {
			t.Fatalf("self quote: %d %v", code, own)
		}
		if s, qid := quoteState(t, a, carolTok, entityIDOf(t, own)); s != "accepted" || qid != priv["id"] {
			t.Fatalf("carol's own view: %q %q", s, qid)
		}
		if s, qid := quoteState(t, a, daveTok, entityIDOf(t, own)); s != "unauthorized" || qid != "" {
			t.Fatalf("dave's view: %q %q", s, qid)
		}
	})
}

// A Misskey post quotes with _misskey_quote only: it is kept (it quotes a
// local post) and shown as a quote.
func TestMisskeyQuoteOfLocalPostShowsAsQuote(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		aliceTok := tokenFor(t, n, "alice", "read write")
		code, p := postJSONStatus(t, n, aliceTok, url.Values{"status": {"Antibiotic stewardship"}})
		if code != http.StatusOK {
			t.Fatal(code)
		}
		fake := newFakeRemote(t, fakeRemoteOptions{}, "mia")
		mia := fake.actor("mia")
		noteID := fake.nextID("mia", "notes")
		body, _ := json.Marshal(map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", map[string]any{"_misskey_quote": "misskey:_misskey_quote", "misskey": "https://misskey-hub.net/ns#"}},
			"id":       noteID + "/activity", "type": "Create", "actor": mia.id,
			"to": []any{"https://www.w3.org/ns/activitystreams#Public"},
			"object": map[string]any{
				"id": noteID, "type": "Note", "attributedTo": mia.id, "content": "<p>RE: " + p["uri"].(string) + "</p>",
				"_misskey_quote": p["uri"], "published": "2026-12-07T10:00:00Z",
				"to": []any{"https://www.w3.org/ns/activitystreams#Public"},
			},
		})
		if resp := fake.post(t, n.base+"/inbox", "mia", body, nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Create: %d", resp.StatusCode)
		}
		st, err := n.svc.StatusByURI(ctx, noteID)
		if err != nil {
			t.Fatalf("the quoting post was not kept: %v", err)
		}
		if s, qid := quoteState(t, n, aliceTok, st.ID); s != "accepted" || qid != p["id"] {
			t.Fatalf("Misskey quote: %q %q", s, qid)
		}
		if s, qid := quoteState(t, n, "", st.ID); s != "accepted" || qid != p["id"] {
			t.Fatalf("Misskey quote, anonymous: %q %q", s, qid)
		}
	})
}

// An FEP-044f quote between two other servers' posts waits until the
// quoted post's server serves its QuoteAuthorization; the quoted post,
// unknown here, is fetched. A named authorization that is not served keeps
// the quote pending, without the post.
func TestRemoteQuoteIsAcceptedOnceItsAuthorizationIsFetched(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice := n.user(t, "alice", false)
		aliceTok := tokenFor(t, n, "alice", "read write")
		fake := newFakeRemote(t, fakeRemoteOptions{}, "mia", "zed")
		mia, zed := fake.actor("mia"), fake.actor("zed")
		public := []any{"https://www.w3.org/ns/activitystreams#Public"}
		quotedID := fake.nextID("mia", "statuses")
		quotedPath := quotedID[len(fake.base):]
		quotedDoc, _ := json.Marshal(map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": quotedID, "type": "Note",
			"attributedTo": mia.id, "content": "<p>Case report</p>", "published": "2026-12-07T09:00:00Z", "to": public,
		})
		fake.setDoc(quotedPath, quotedDoc)
		// quote posts zed's quote of mia's post, naming the authorization
		// at authPath, which mia's server serves for interactingObject
		// (its own note when "").
		quote := func(authPath, interactingObject string) *storage.Status {
			t.Helper()
			noteID := fake.nextID("zed", "statuses")
			if interactingObject == "" {
				interactingObject = noteID
			}
			auth, _ := json.Marshal(map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams", "id": fake.base + authPath, "type": "QuoteAuthorization",
				"attributedTo": mia.id, "interactingObject": interactingObject, "interactionTarget": quotedID,
			})
			fake.setDoc(authPath, auth)
			body, _ := json.Marshal(map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams", "id": noteID + "/activity", "type": "Create",
				"actor": zed.id, "to": public, "cc": []any{alice.URI},
				"object": map[string]any{
					"id": noteID, "type": "Note", "attributedTo": zed.id, "content": "<p>@alice look</p>",
					"quote": quotedID, "quoteAuthorization": fake.base + authPath, "published": "2026-12-07T10:00:00Z",
					"to": public, "cc": []any{alice.URI},
					"tag": []any{map[string]any{"type": "Mention", "href": alice.URI, "name": "@alice"}},
				},
			})
			if resp := fake.post(t, n.base+"/inbox", "zed", body, nil); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("Create: %d", resp.StatusCode)
			}
			st, err := n.svc.StatusByURI(ctx, noteID)
			if err != nil {
				t.Fatalf("the quoting post was not kept: %v", err)
			}
			return st
		}
		// An authorization of another post does not stand for this one.
		forged := quote("/users/mia/quote_authorizations/1", quotedID+"/other")
		good := quote("/users/mia/quote_authorizations/2", "")
		eventually(t, "the quoted post fetched and the quote accepted", func() bool {
			s, qid := quoteStateNow(t, n, alice, good.ID)
			return s == "accepted" && qid != ""
		})
		if s, qid := quoteState(t, n, aliceTok, good.ID); s != "accepted" || qid == "" {
			t.Fatalf("the verified quote in the API: %q %q", s, qid)
		}
		if s, qid := quoteState(t, n, aliceTok, forged.ID); s != "pending" || qid != "" {
			t.Fatalf("a quote with another post's authorization: %q %q", s, qid)
		}
	})
}

// A quote waiting out its send delay tells the quoted author nothing until
// it leaves.
func TestQuoteNotifiesOnlyOnceThePostLeaves(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		carol := n.user(t, "carol", false)
		aliceTok := tokenFor(t, n, "alice", "read write")
		code, p := postJSONStatus(t, n, aliceTok, url.Values{"status": {"Discharge summary template"}})
		if code != http.StatusOK {
			t.Fatal(code)
		}
		d := social.Duration(2 * time.Second)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		q, err := n.svc.PostStatus(ctx, carol, social.NewStatus{Text: "Handy", QuotedStatusID: entityIDOf(t, p)})
		if err != nil || !q.Pending() {
			t.Fatalf("quote: %v %v", q, err)
		}
		count := func() int {
			_, notes := call(t, n, aliceTok, "GET", "/api/v1/notifications?types[]=quote", nil)
			items, _ := notes["list"].([]any)
			return len(items)
		}
		if c := count(); c != 0 {
			t.Fatalf("%d quote notifications before the quote left", c)
		}
		eventually(t, "the quote released", func() bool {
			st, err := n.svc.StatusByID(ctx, q.ID)
			return err == nil && !st.Pending()
		})
		if c := count(); c != 1 {
			t.Fatalf("%d quote notifications after the quote left", c)
		}
	})
}
