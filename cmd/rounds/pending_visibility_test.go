package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// rawDo sends method path to n with form values (nil: none), a bearer
// token ("" for none) and an Accept header ("" for none), through c (nil:
// the default client), and returns the status and the body.
func rawDo(t *testing.T, c *http.Client, n *node, token, method, path string, form url.Values, accept string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, n.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const activityJSON = `application/activity+json`

// A post waiting out its send delay is seen by its author only. Alice posts
// with the delay on (a post mentioning bob, with a hashtag and a poll; a
// reply to an older post of hers; one she deletes in the window), carol (a
// locked account) too; during the delay bob follows alice, and carol
// accepts bob's follow request. Every read path, for bob and for anonymous
// readers, shows none of the waiting posts; once they are released they
// appear where they should (also in the feeds of the followers who came
// during the delay), and the deleted one never does.
func TestPendingPostIsHiddenFromEveryReadPath(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice, carol := n.user(t, "alice", false), n.user(t, "carol", true)
		bob := n.user(t, "bob", false)
		aliceTok := tokenFor(t, n, "alice", "read write")
		carolTok := tokenFor(t, n, "carol", "read write")
		bobTok := tokenFor(t, n, "bob", "read write")
		bobWeb := signedIn(t, n, "bob", "a long password")

		post := func(tok string, form url.Values) string {
			t.Helper()
			code, body := call(t, n, tok, "POST", "/api/v1/statuses", form)
			if code != http.StatusOK {
				t.Fatalf("post %v: %d %v", form, code, body)
			}
			return body["id"].(string)
		}
		// Published before the delay is turned on: alice's earlier post,
		// which her waiting reply answers.
		earlier := post(aliceTok, url.Values{"status": {"Handover notes for ward 4"}})

		d := social.Duration(10 * time.Minute)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		// bob listens on his stream before anything is posted.
		streamCtx, stopStream := context.WithCancel(ctx)
		defer stopStream()
		stream := sseUser(t, streamCtx, n.base, bobTok)

		pending := post(aliceTok, url.Values{
			"status": {"Zebrafish results at #handover, @bob"}, "poll[options][]": {"Zebrafish yes", "Zebrafish no"},
			"poll[expires_in]": {"86400"},
		})
		reply := post(aliceTok, url.Values{"status": {"Platypus addendum"}, "in_reply_to_id": {earlier}})
		deleted := post(aliceTok, url.Values{"status": {"Quokka: wrong account #handover @bob"}})
		locked := post(carolTok, url.Values{"status": {"Axolotl clinic moves to room 3"}})
		st, err := n.svc.StatusByID(ctx, mustInt(t, pending))
		if err != nil || !st.Pending() {
			t.Fatalf("the post is not waiting out its delay: %v %v", st, err)
		}
		_, poll := call(t, n, aliceTok, "GET", "/api/v1/statuses/"+pending, nil)
		pollID := poll["poll"].(map[string]any)["id"].(string)

		// During the delay bob follows alice, and carol accepts his request.
		if code, body := call(t, n, bobTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", alice.ID), nil); code != http.StatusOK || body["following"] != true {
			t.Fatalf("bob follows alice: %d %v", code, body)
		}
		if code, body := call(t, n, bobTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", carol.ID), nil); code != http.StatusOK || body["requested"] != true {
			t.Fatalf("bob asks to follow carol: %d %v", code, body)
		}
		if code, body := call(t, n, carolTok, "POST", fmt.Sprintf("/api/v1/follow_requests/%d/authorize", bob.ID), nil); code != http.StatusOK || body["followed_by"] != true {
			t.Fatalf("carol accepts bob: %d %v", code, body)
		}
		code, list := call(t, n, bobTok, "POST", "/api/v1/lists", url.Values{"title": {"Colleagues"}})
		if code != http.StatusOK {
			t.Fatalf("list: %d %v", code, list)
		}
		listID := list["id"].(string)
		if code, body := call(t, n, bobTok, "POST", "/api/v1/lists/"+listID+"/accounts", url.Values{"account_ids[]": {idString(alice.ID), idString(carol.ID)}}); code != http.StatusOK {
			t.Fatalf("list members: %d %v", code, body)
		}
		// Alice takes one back within the delay.
		if code, body := call(t, n, aliceTok, "DELETE", "/api/v1/statuses/"+deleted, nil); code != http.StatusOK {
			t.Fatalf("alice deletes her waiting post: %d %v", code, body)
		}

		get := func(tok, path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, nil, n, tok, "GET", path, nil, "") }
		}
		page := func(c *http.Client, path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, c, n, "", "GET", path, nil, "text/html") }
		}
		object := func(path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, nil, n, "", "GET", path, nil, activityJSON) }
		}
		act := func(tok, method, path string, form url.Values) func() (int, string) {
			return func() (int, string) { return rawDo(t, nil, n, tok, method, path, form, "") }
		}
		streamed := func() func() (int, string) {
			return func() (int, string) {
				time.Sleep(200 * time.Millisecond) // what the stream would send is here by now
				return http.StatusOK, stream.String()
			}
		}
		ok := func(code int, _ string) bool { return code == http.StatusOK }
		// The reply's existence shows in its parent's replies_count.
		repliesCounted := func(code int, body string) bool {
			return code == http.StatusOK && strings.Contains(body, `"replies_count":1`)
		}
		type waiting struct{ id, marker string }
		var (
			thePost   = waiting{pending, "Zebrafish"}
			theReply  = waiting{reply, "Platypus"}
			carolPost = waiting{locked, "Axolotl"}
			aliceID   = idString(alice.ID)
		)
		paths := []struct {
			name string
			of   waiting
			read func() (int, string)
			// shows tells whether the answer shows the post (default: 200
			// with the post's words in it).
			shows func(code int, body string) bool
			// after: the path shows the post once it is released.
			after bool
		}{
			{name: "home timeline (bob, follow)", of: thePost, read: get(bobTok, "/api/v1/timelines/home"), after: true},
			{name: "home timeline (bob, accepted request)", of: carolPost, read: get(bobTok, "/api/v1/timelines/home"), after: true},
			{name: "home page (bob)", of: thePost, read: page(bobWeb, "/home"), after: true},
			{name: "home page (bob, accepted request)", of: carolPost, read: page(bobWeb, "/home"), after: true},
			{name: "public timeline (anonymous)", of: thePost, read: get("", "/api/v1/timelines/public"), after: true},
			{name: "public timeline (bob)", of: thePost, read: get(bobTok, "/api/v1/timelines/public"), after: true},
			{name: "local timeline (anonymous)", of: thePost, read: get("", "/api/v1/timelines/public?local=true"), after: true},
			{name: "remote timeline (bob)", of: thePost, read: get(bobTok, "/api/v1/timelines/public?remote=true")},
			{name: "tag timeline (anonymous)", of: thePost, read: get("", "/api/v1/timelines/tag/handover"), after: true},
			{name: "tag timeline (bob)", of: thePost, read: get(bobTok, "/api/v1/timelines/tag/handover"), after: true},
			{name: "list timeline (bob)", of: thePost, read: get(bobTok, "/api/v1/timelines/list/"+listID), after: true},
			{name: "list timeline (bob, accepted request)", of: carolPost, read: get(bobTok, "/api/v1/timelines/list/"+listID), after: true},
			{name: "account statuses (anonymous)", of: thePost, read: get("", "/api/v1/accounts/"+aliceID+"/statuses"), after: true},
			{name: "account statuses (bob)", of: thePost, read: get(bobTok, "/api/v1/accounts/"+aliceID+"/statuses"), after: true},
			{name: "account statuses tagged (bob)", of: thePost, read: get(bobTok, "/api/v1/accounts/"+aliceID+"/statuses?tagged=handover"), after: true},
			{name: "account statuses (bob, accepted request)", of: carolPost, read: get(bobTok, fmt.Sprintf("/api/v1/accounts/%d/statuses", carol.ID)), after: true},
			{name: "status (anonymous)", of: thePost, read: get("", "/api/v1/statuses/"+pending), after: true},
			{name: "status (bob)", of: thePost, read: get(bobTok, "/api/v1/statuses/"+pending), after: true},
			{name: "status history (bob)", of: thePost, read: get(bobTok, "/api/v1/statuses/"+pending+"/history"), after: true},
			{name: "status context (bob)", of: thePost, read: get(bobTok, "/api/v1/statuses/"+pending+"/context"), shows: ok, after: true},
			{name: "context of the replied-to post (anonymous)", of: theReply, read: get("", "/api/v1/statuses/"+earlier+"/context"), after: true},
			{name: "context of the replied-to post (bob)", of: theReply, read: get(bobTok, "/api/v1/statuses/"+earlier+"/context"), after: true},
			{name: "replies count of the replied-to post (bob)", of: theReply, read: get(bobTok, "/api/v1/statuses/"+earlier), shows: repliesCounted, after: true},
			{name: "replies count in a timeline (anonymous)", of: theReply, read: get("", "/api/v1/accounts/"+aliceID+"/statuses"), shows: repliesCounted, after: true},
			{name: "hashtag's use (bob)", of: thePost, read: get(bobTok, "/api/v2/search?type=hashtags&q=handover"), shows: func(code int, body string) bool {
				return code == http.StatusOK && strings.Contains(body, `"uses":"1"`)
			}, after: true},
			// alice's earlier post is all she has sent.
			{name: "statuses count (bob)", of: thePost, read: get(bobTok, "/api/v1/accounts/"+aliceID), shows: func(code int, body string) bool {
				return code == http.StatusOK && !strings.Contains(body, `"statuses_count":1,`)
			}, after: true},
			{name: "outbox's total (anonymous)", of: thePost, read: object("/users/alice/outbox"), shows: func(code int, body string) bool {
				return code == http.StatusOK && !strings.Contains(body, `"totalItems":1`)
			}, after: true},
			// Only alice's earlier post is sent: the instance's counts
			// (v1 instance, NodeInfo) do not give the waiting ones away.
			{name: "instance's status count (anonymous)", of: thePost, read: get("", "/api/v1/instance"), shows: func(code int, body string) bool {
				return code == http.StatusOK && !strings.Contains(body, `"status_count":1,`)
			}, after: true},
			{name: "NodeInfo's local posts (anonymous)", of: thePost, read: get("", "/nodeinfo/2.0"), shows: func(code int, body string) bool {
				return code == http.StatusOK && !strings.Contains(body, `"localPosts":1}`) && !strings.Contains(body, `"localPosts":1,`)
			}, after: true},
			{name: "search (bob)", of: thePost, read: get(bobTok, "/api/v2/search?type=statuses&q=zebrafish"), after: true},
			{name: "search by URL (bob)", of: thePost, read: get(bobTok, "/api/v2/search?type=statuses&q="+url.QueryEscape(n.base+"/@alice/"+pending)), after: true},
			{name: "notifications (bob)", of: thePost, read: get(bobTok, "/api/v1/notifications"), after: true},
			{name: "grouped notifications (bob)", of: thePost, read: get(bobTok, "/api/v2/notifications"), after: true},
			{name: "notifications page (bob)", of: thePost, read: page(bobWeb, "/notifications"), after: true},
			{name: "stream update (bob)", of: thePost, read: streamed(), shows: func(_ int, s string) bool { return strings.Contains(s, "update:"+pending) }, after: true},
			{name: "stream notification (bob)", of: thePost, read: streamed(), shows: func(_ int, s string) bool { return strings.Contains(s, "notification:mention:"+pending) }, after: true},
			{name: "poll (anonymous)", of: thePost, read: get("", "/api/v1/polls/"+pollID), after: true},
			{name: "poll (bob)", of: thePost, read: get(bobTok, "/api/v1/polls/"+pollID), after: true},
			{name: "favourited_by (anonymous)", of: thePost, read: get("", "/api/v1/statuses/"+pending+"/favourited_by"), shows: ok, after: true},
			{name: "reblogged_by (bob)", of: thePost, read: get(bobTok, "/api/v1/statuses/"+pending+"/reblogged_by"), shows: ok, after: true},
			{name: "RSS feed", of: thePost, read: page(nil, "/@alice.rss"), after: true},
			{name: "profile page", of: thePost, read: page(nil, "/@alice"), after: true},
			{name: "signed-in post page (bob)", of: thePost, read: page(bobWeb, "/statuses/"+pending), after: true},
			{name: "deliveries page (bob)", of: thePost, read: page(bobWeb, "/statuses/"+pending+"/deliveries")},
			{name: "post page", of: thePost, read: page(nil, "/@alice/"+pending), after: true},
			{name: "page of the replied-to post", of: theReply, read: page(nil, "/@alice/"+earlier), after: true},
			{name: "tag page", of: thePost, read: page(nil, "/tags/handover"), after: true},
			{name: "local timeline page", of: thePost, read: page(nil, "/public/local"), after: true},
			{name: "ActivityPub object", of: thePost, read: object("/users/alice/statuses/" + pending), after: true},
			{name: "ActivityPub outbox", of: thePost, read: object("/users/alice/outbox?page=true"), after: true},
			{name: "pin (alice)", of: thePost, read: act(aliceTok, "POST", "/api/v1/statuses/"+pending+"/pin", nil), shows: ok, after: true},
			{name: "ActivityPub featured", of: thePost, read: object("/users/alice/collections/featured"), after: true},
			{name: "pinned statuses (anonymous)", of: thePost, read: get("", "/api/v1/accounts/"+aliceID+"/statuses?pinned=true"), after: true},
			// What bob may do to a post he can see; refused (404) while he
			// may not. These come after the reads: they change them.
			{name: "vote (bob)", of: thePost, read: act(bobTok, "POST", "/api/v1/polls/"+pollID+"/votes", url.Values{"choices[]": {"0"}}), after: true},
			{name: "favourite (bob)", of: thePost, read: act(bobTok, "POST", "/api/v1/statuses/"+pending+"/favourite", nil), after: true},
			{name: "bookmark (bob)", of: thePost, read: act(bobTok, "POST", "/api/v1/statuses/"+pending+"/bookmark", nil), after: true},
			{name: "favourites (bob)", of: thePost, read: get(bobTok, "/api/v1/favourites"), after: true},
			{name: "bookmarks (bob)", of: thePost, read: get(bobTok, "/api/v1/bookmarks"), after: true},
			{name: "boost (bob)", of: thePost, read: act(bobTok, "POST", "/api/v1/statuses/"+pending+"/reblog", nil), after: true},
			{name: "reply (bob)", of: thePost, read: act(bobTok, "POST", "/api/v1/statuses", url.Values{"status": {"@alice thanks"}, "in_reply_to_id": {pending}}), shows: ok, after: true},
		}
		check := func(released bool) {
			t.Helper()
			for _, p := range paths {
				code, body := p.read()
				shows := p.shows
				if shows == nil {
					shows = func(code int, body string) bool { return code == http.StatusOK && strings.Contains(body, p.of.marker) }
				}
				got := shows(code, body)
				switch {
				case !released && got:
					t.Errorf("%s shows the post waiting out its delay (%d):\n%.600s", p.name, code, body)
				case released && got != p.after:
					t.Errorf("%s after the release: shows the post %v, want %v (%d):\n%.600s", p.name, got, p.after, code, body)
				}
				// The post taken back in its delay is never seen.
				if strings.Contains(body, "Quokka") {
					t.Errorf("%s shows the post alice deleted in its delay (%d):\n%.600s", p.name, code, body)
				}
			}
		}
		check(false)
		if t.Failed() {
			return
		}

		// The release job's work, now rather than in ten minutes; the
		// deleted post's job finds nothing to do.
		for _, id := range []string{pending, reply, deleted, locked} {
			if err := n.svc.ReleaseStatus(ctx, mustInt(t, id)); err != nil {
				t.Fatalf("release %s: %v", id, err)
			}
		}
		check(true)
		// The author saw her own posts all along; that is not what is
		// tested here, but the release must not have lost them.
		if code, body := call(t, n, aliceTok, "GET", "/api/v1/statuses/"+pending, nil); code != http.StatusOK || body["id"] != pending {
			t.Fatalf("alice reads her post: %d %v", code, body)
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}

// A boost shows only what its viewer may see of the boosted post: when the
// post's author blocks the viewer, the boost is gone for that viewer; when
// the author is suspended, for everyone, on every path (timelines, lists,
// the boost itself, account statuses, bookmarks, notifications, the
// stream, web pages, the booster's outbox).
func TestBoostOfHiddenPostIsHiddenEverywhere(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice, bob, carol := n.user(t, "alice", false), n.user(t, "bob", false), n.user(t, "carol", false)
		n.user(t, "eve", false)
		aliceTok := tokenFor(t, n, "alice", "read write")
		bobTok := tokenFor(t, n, "bob", "read write")
		carolTok := tokenFor(t, n, "carol", "read write")
		eveTok := tokenFor(t, n, "eve", "read write")
		eveWeb := signedIn(t, n, "eve", "a long password")
		eveID := idString(mustID(t, n, "eve"))

		must := func(tok, method, path string, form url.Values) map[string]any {
			t.Helper()
			code, body := call(t, n, tok, method, path, form)
			if code != http.StatusOK {
				t.Fatalf("%s %s: %d %v", method, path, code, body)
			}
			return body
		}
		for _, a := range []*storage.Account{bob, carol} {
			must(eveTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", a.ID), nil)
		}
		listID := must(eveTok, "POST", "/api/v1/lists", url.Values{"title": {"Boosters"}})["id"].(string)
		must(eveTok, "POST", "/api/v1/lists/"+listID+"/accounts", url.Values{"account_ids[]": {idString(bob.ID), idString(carol.ID)}})
		streamCtx, stopStream := context.WithCancel(ctx)
		defer stopStream()
		stream := sseUser(t, streamCtx, n.base, eveTok)

		orig := must(aliceTok, "POST", "/api/v1/statuses", url.Values{"status": {"Echidna rounds at noon, @eve"}})["id"].(string)
		boost := must(bobTok, "POST", "/api/v1/statuses/"+orig+"/reblog", nil)["id"].(string)
		must(eveTok, "POST", "/api/v1/statuses/"+boost+"/bookmark", nil)
		must(eveTok, "POST", "/api/v1/statuses/"+orig+"/favourite", nil)

		get := func(tok, path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, nil, n, tok, "GET", path, nil, "") }
		}
		page := func(c *http.Client, path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, c, n, "", "GET", path, nil, "text/html") }
		}
		// carol boosts the post afresh; it shows if eve's stream brings
		// the new boost.
		var carolBoosts int
		streamedBoost := func() (int, string) {
			carolBoosts++
			rawDo(t, nil, n, carolTok, "POST", "/api/v1/statuses/"+orig+"/unreblog", nil, "")
			code, body := call(t, n, carolTok, "POST", "/api/v1/statuses/"+orig+"/reblog", nil)
			if code != http.StatusOK {
				return code, ""
			}
			time.Sleep(300 * time.Millisecond) // the event is on the stream by now
			if !strings.Contains(stream.String(), "update:"+body["id"].(string)) {
				return code, ""
			}
			return code, "Echidna"
		}
		bobID := idString(bob.ID)
		paths := []struct {
			name string
			read func() (int, string)
			// blocked: the path is eve's, so alice blocking eve hides it.
			blocked bool
		}{
			{"the boost (anonymous)", get("", "/api/v1/statuses/"+boost), false},
			{"the boost (eve)", get(eveTok, "/api/v1/statuses/"+boost), true},
			{"booster's statuses (anonymous)", get("", "/api/v1/accounts/"+bobID+"/statuses"), false},
			{"booster's statuses (eve)", get(eveTok, "/api/v1/accounts/"+bobID+"/statuses"), true},
			{"home timeline (eve)", get(eveTok, "/api/v1/timelines/home"), true},
			{"list timeline (eve)", get(eveTok, "/api/v1/timelines/list/"+listID), true},
			{"bookmarks (eve)", get(eveTok, "/api/v1/bookmarks"), true},
			{"favourites (eve)", get(eveTok, "/api/v1/favourites"), true},
			{"notifications (eve)", get(eveTok, "/api/v1/notifications"), true},
			{"grouped notifications (eve)", get(eveTok, "/api/v2/notifications"), true},
			{"stream (eve)", streamedBoost, true},
			{"home page (eve)", page(eveWeb, "/home"), true},
			{"notifications page (eve)", page(eveWeb, "/notifications"), true},
			{"booster's profile page", page(nil, "/@bob"), false},
			{"booster's outbox", func() (int, string) {
				return rawDo(t, nil, n, "", "GET", "/users/bob/outbox?page=true", nil, activityJSON)
			}, false},
		}
		check := func(phase string, hidden func(blocked bool) bool) {
			t.Helper()
			for _, p := range paths {
				code, body := p.read()
				shows := code == http.StatusOK && strings.Contains(body, "Echidna")
				if p.name == "booster's outbox" {
					shows = code == http.StatusOK && strings.Contains(body, `"Announce"`)
				}
				if want := !hidden(p.blocked); shows != want {
					t.Errorf("%s: %s shows the boosted post %v, want %v (%d):\n%.600s", phase, p.name, shows, want, code, body)
				}
			}
		}
		check("before", func(bool) bool { return false })
		if t.Failed() {
			return
		}
		if code, body := call(t, n, aliceTok, "POST", "/api/v1/accounts/"+eveID+"/block", nil); code != http.StatusOK {
			t.Fatalf("alice blocks eve: %d %v", code, body)
		}
		check("alice blocks eve", func(blocked bool) bool { return blocked })
		if _, err := n.svc.SuspendUser(ctx, alice.Username); err != nil {
			t.Fatal(err)
		}
		check("alice is suspended", func(bool) bool { return true })

		// bob no longer sees his boost, but may still delete it.
		if code, _ := call(t, n, bobTok, "GET", "/api/v1/statuses/"+boost, nil); code != http.StatusNotFound {
			t.Errorf("bob reads his boost of a suspended account's post: %d, want 404", code)
		}
		code, body := rawDo(t, nil, n, bobTok, "DELETE", "/api/v1/statuses/"+boost, nil, "")
		if code != http.StatusOK || strings.Contains(body, "Echidna") {
			t.Fatalf("bob deletes his boost: %d %s", code, body)
		}
		if _, err := n.svc.StatusByID(ctx, mustInt(t, boost)); err == nil {
			t.Fatal("the boost is still there")
		}
	})
}
