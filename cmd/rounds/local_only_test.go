package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// A local-only post (staff-only communication) is seen by the signed-in
// accounts of its server and by nobody else. Alice, on A, has a local
// follower (bob) and a remote one (rita, on B), and posts with
// local_only=true, mentioning rita; bob replies (local-only by default)
// and boosts it; alice edits it, and deletes another local-only post; then
// she posts a public control post. B receives the control post, and
// nothing of the local-only ones: no Create, Update, Announce or Delete,
// no delivery rows, B cannot fetch it, and its search cannot resolve it.
// On A, bob sees it on every path a member reads; an anonymous reader on
// none.
func TestLocalOnlyPostStaysOnThisServer(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		bob := a.user(t, "bob", false)
		rita := b.user(t, "rita", false)
		followAcross(t, b, rita, a, "alice")
		aliceTok := tokenFor(t, a, "alice", "read write")
		bobTok := tokenFor(t, a, "bob", "read write")
		ritaTok := tokenFor(t, b, "rita", "read write")
		bobWeb := signedIn(t, a, "bob", "a long password")
		if code, body := call(t, a, bobTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", alice.ID), nil); code != http.StatusOK || body["following"] != true {
			t.Fatalf("bob follows alice: %d %v", code, body)
		}

		// Live: the local stream of a member and of an anonymous reader.
		streamCtx, stopStreams := context.WithCancel(ctx)
		defer stopStreams()
		bobLocal := sseLog(t, streamCtx, a.base+"/api/v1/streaming/public/local", bobTok)
		anonLocal := sseLog(t, streamCtx, a.base+"/api/v1/streaming/public/local", "")

		post := func(tok string, form url.Values) map[string]any {
			t.Helper()
			code, body := call(t, a, tok, "POST", "/api/v1/statuses", form)
			if code != http.StatusOK {
				t.Fatalf("post %v: %d %v", form, code, body)
			}
			return body
		}
		lo := post(aliceTok, url.Values{"status": {"Staffroom: wombat rota changes #handover @rita@" + b.domain}, "local_only": {"true"}})
		loID := lo["id"].(string)
		if lo["local_only"] != true {
			t.Fatalf("the status entity: local_only = %v", lo["local_only"])
		}
		reply := post(bobTok, url.Values{"status": {"Wombat rota noted"}, "in_reply_to_id": {loID}})
		if reply["local_only"] != true {
			t.Fatalf("a reply to a local-only post is local_only = %v, want true by default", reply["local_only"])
		}
		code, boost := call(t, a, bobTok, "POST", "/api/v1/statuses/"+loID+"/reblog", nil)
		if code != http.StatusOK || boost["local_only"] != true {
			t.Fatalf("bob boosts it: %d %v", code, boost)
		}
		code, edited := call(t, a, aliceTok, "PUT", "/api/v1/statuses/"+loID, url.Values{"status": {"Staffroom: wombat rota changes, take two #handover @rita@" + b.domain}})
		if code != http.StatusOK || edited["local_only"] != true || edited["edited_at"] == nil {
			t.Fatalf("alice edits it: %d %v", code, edited)
		}
		gone := post(aliceTok, url.Values{"status": {"Staffroom: numbat drill"}, "local_only": {"1"}})
		if code, body := call(t, a, aliceTok, "DELETE", "/api/v1/statuses/"+gone["id"].(string), nil); code != http.StatusOK {
			t.Fatalf("alice deletes a local-only post: %d %v", code, body)
		}
		// Scheduled, the post keeps local_only, and so does it published.
		at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		sched := post(aliceTok, url.Values{"status": {"Staffroom: quokka audit"}, "local_only": {"true"}, "scheduled_at": {at}})
		if params, _ := sched["params"].(map[string]any); params["local_only"] != true {
			t.Fatalf("the scheduled post: %v", sched)
		}
		// Due now rather than in an hour.
		sqlExec(t, a, "UPDATE scheduled_statuses SET scheduled_at = created_at WHERE id = "+sched["id"].(string))
		if err := a.svc.PublishScheduledStatus(ctx, mustInt(t, sched["id"].(string))); err != nil {
			t.Fatal(err)
		}
		// The web compose form's box.
		alicePages := signInPages(t, a, "alice")
		if code, body, _ := alicePages.post("/compose", url.Values{"text": {"Staffroom: bilby handover"}, "visibility": {"public"}, "local_only": {"yes"}}); code != http.StatusOK {
			t.Fatalf("compose: %d\n%s", code, body)
		}
		// The control: public, it reaches B.
		control := post(aliceTok, url.Values{"status": {"Kangaroo care works"}})
		if control["local_only"] != false {
			t.Fatalf("a public post's local_only: %v", control["local_only"])
		}
		eventually(t, "the control post reaching B", func() bool {
			_, err := b.svc.StatusByURI(ctx, control["uri"].(string))
			return err == nil
		})
		// Deliveries run in order of their jobs; give any stray one a
		// moment all the same.
		time.Sleep(300 * time.Millisecond)

		// A queued nothing for them; B knows nothing of them.
		var staff []*storage.Status
		for _, marker := range []string{"wombat", "quokka", "bilby"} {
			sts, err := a.svc.AccountTimeline(ctx, alice, alice, social.AccountTimelineOptions{Page: storage.Page{Limit: 40}})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, st := range sts {
				if strings.Contains(strings.ToLower(st.Text), marker) && st.ReblogOfID == nil {
					found = true
					if !st.LocalOnly {
						t.Errorf("alice's %s post is not local-only", marker)
					}
					staff = append(staff, st)
				}
			}
			if !found {
				t.Fatalf("alice's %s post is not among her statuses", marker)
			}
		}
		replySt, _ := a.svc.StatusByID(ctx, mustInt(t, reply["id"].(string)))
		boostSt, _ := a.svc.StatusByID(ctx, mustInt(t, boost["id"].(string)))
		staff = append(staff, replySt, boostSt)
		for _, st := range staff {
			if ds, err := a.svc.Deliveries(ctx, st.ID); err != nil || len(ds) != 0 {
				t.Errorf("deliveries of %s: %v %v", st.URI, ds, err)
			}
			if _, err := b.svc.StatusByURI(ctx, st.URI); err == nil {
				t.Errorf("B holds %s", st.URI)
			}
			if ritaOnA, err := a.svc.AccountByURI(ctx, rita.URI); err != nil || a.svc.MayView(ctx, ritaOnA, st) {
				t.Errorf("rita (remote) may view %s on A (%v)", st.URI, err)
			}
		}
		if got := bobLocal.String(); !strings.Contains(got, "update:"+loID) || !strings.Contains(got, "update:"+control["id"].(string)) {
			t.Errorf("bob's local stream: %s, want the local-only post and the control", got)
		}
		if got := anonLocal.String(); strings.Contains(got, "update:"+loID) || !strings.Contains(got, "update:"+control["id"].(string)) {
			t.Errorf("the anonymous local stream: %s, want the control post only", got)
		}
		// Nothing that A queued for other servers names them (a Delete
		// names only the gone post's id), and B received nothing about them.
		uris := []string{gone["uri"].(string)}
		for _, st := range staff {
			uris = append(uris, st.URI)
		}
		sent := sqlStrings(t, a, "SELECT body FROM outbox_activities")
		received := sqlStrings(t, b, "SELECT uri FROM received_activities")
		if !strings.Contains(strings.Join(sent, "\n"), control["uri"].(string)) || len(received) == 0 {
			t.Fatalf("A's outbox %d activities, B received %d: the control post should be among them", len(sent), len(received))
		}
		for _, uri := range uris {
			for _, body := range sent {
				if strings.Contains(body, uri) {
					t.Errorf("A queued an activity about %s:\n%.600s", uri, body)
				}
			}
			for _, got := range received {
				if strings.HasPrefix(got, uri) {
					t.Errorf("B received %s", got)
				}
			}
		}
		if ds, err := a.svc.Deliveries(ctx, mustInt(t, control["id"].(string))); err != nil || len(ds) != 1 {
			t.Errorf("the control post's deliveries: %v %v", ds, err)
		}
		ritaHome := func() (int, string) { return rawDo(t, nil, b, ritaTok, "GET", "/api/v1/timelines/home", nil, "") }
		if code, body := ritaHome(); code != http.StatusOK || !strings.Contains(body, "Kangaroo") {
			t.Fatalf("rita's home on B lacks the control post: %d %.600s", code, body)
		}
		ritaNotes := func() (int, string) {
			return rawDo(t, nil, b, ritaTok, "GET", "/api/v1/notifications", nil, "")
		}
		ritaSearch := func() (int, string) {
			return rawDo(t, nil, b, ritaTok, "GET", "/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(lo["uri"].(string)), nil, "")
		}

		get := func(tok, path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, nil, a, tok, "GET", path, nil, "") }
		}
		page := func(c *http.Client, path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, c, a, "", "GET", path, nil, "text/html") }
		}
		object := func(path string) func() (int, string) {
			return func() (int, string) { return rawDo(t, nil, a, "", "GET", path, nil, activityJSON) }
		}
		aliceID := idString(alice.ID)
		replyID := reply["id"].(string)
		paths := []struct {
			name   string
			read   func() (int, string)
			member bool // the path is a signed-in member's: it shows the post
		}{
			{"home timeline (bob)", get(bobTok, "/api/v1/timelines/home"), true},
			{"home page (bob)", page(bobWeb, "/home"), true},
			{"local timeline (bob)", get(bobTok, "/api/v1/timelines/public?local=true"), true},
			{"public timeline (bob)", get(bobTok, "/api/v1/timelines/public"), true},
			{"tag timeline (bob)", get(bobTok, "/api/v1/timelines/tag/handover"), true},
			{"account statuses (bob)", get(bobTok, "/api/v1/accounts/"+aliceID+"/statuses"), true},
			{"status (bob)", get(bobTok, "/api/v1/statuses/"+loID), true},
			{"context of the reply (bob)", get(bobTok, "/api/v1/statuses/"+replyID+"/context"), true},
			{"search (bob)", get(bobTok, "/api/v2/search?type=statuses&q=wombat"), true},
			{"signed-in post page (bob)", page(bobWeb, "/statuses/"+loID), true},
			{"local timeline page (bob, signed in)", page(bobWeb, "/public/local"), true},
			{"the post's address (bob, sent to his own page of it)", func() (int, string) {
				code, body := rawDo(t, bobWeb, a, "", "GET", "/@alice/"+loID, nil, "text/html")
				if code != http.StatusSeeOther || !strings.Contains(body, `href="/statuses/`+loID+`"`) {
					return code, body
				}
				return page(bobWeb, "/statuses/"+loID)()
			}, true},
			{"local timeline (anonymous)", get("", "/api/v1/timelines/public?local=true"), false},
			{"public timeline (anonymous)", get("", "/api/v1/timelines/public"), false},
			{"tag timeline (anonymous)", get("", "/api/v1/timelines/tag/handover"), false},
			{"account statuses (anonymous)", get("", "/api/v1/accounts/"+aliceID+"/statuses"), false},
			{"booster's statuses (anonymous)", get("", fmt.Sprintf("/api/v1/accounts/%d/statuses", bob.ID)), false},
			{"status (anonymous)", get("", "/api/v1/statuses/"+loID), false},
			{"the boost (anonymous)", get("", "/api/v1/statuses/"+boost["id"].(string)), false},
			{"context of the reply (anonymous)", get("", "/api/v1/statuses/"+replyID+"/context"), false},
			{"oEmbed (anonymous)", get("", "/api/oembed?url="+url.QueryEscape(lo["url"].(string))), false},
			{"RSS feed", page(nil, "/@alice.rss"), false},
			{"profile page", page(nil, "/@alice"), false},
			{"booster's profile page", page(nil, "/@bob"), false},
			{"post page", page(nil, "/@alice/"+loID), false},
			{"local timeline page", page(nil, "/public/local"), false},
			{"tag page", page(nil, "/tags/handover"), false},
			{"ActivityPub object", object("/users/alice/statuses/" + loID), false},
			{"ActivityPub object of the reply", object("/users/bob/statuses/" + replyID), false},
			{"ActivityPub outbox", object("/users/alice/outbox?page=true"), false},
			{"booster's ActivityPub outbox", object("/users/bob/outbox?page=true"), false},
			{"rita's home on B", ritaHome, false},
			{"rita's notifications on B", ritaNotes, false},
			{"B's search resolving the post", ritaSearch, false},
		}
		for _, p := range paths {
			code, body := p.read()
			lower := strings.ToLower(body)
			shows := code == http.StatusOK && strings.Contains(lower, "wombat")
			if shows != p.member {
				t.Errorf("%s shows the local-only post %v, want %v (%d):\n%.600s", p.name, shows, p.member, code, body)
			}
			if !p.member && code == http.StatusOK && (strings.Contains(lower, "quokka") || strings.Contains(lower, "bilby") || strings.Contains(lower, "numbat")) {
				t.Errorf("%s shows another local-only post (%d):\n%.600s", p.name, code, body)
			}
		}
		// Anonymous reads of it are 404, as for a post that does not exist.
		for _, path := range []string{"/api/v1/statuses/" + loID, "/users/alice/statuses/" + loID} {
			if code, _ := rawDo(t, nil, a, "", "GET", path, nil, activityJSON); code != http.StatusNotFound {
				t.Errorf("GET %s anonymously: %d, want 404", path, code)
			}
		}
	})
}

// sqlStrings runs query, which selects one text column, on n's database.
func sqlStrings(t *testing.T, n *node, query string) []string {
	t.Helper()
	db, err := storage.Open(context.Background(), n.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.SQLDB().QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sqlExec runs statement on n's database.
func sqlExec(t *testing.T, n *node, statement string) {
	t.Helper()
	db, err := storage.Open(context.Background(), n.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQLDB().ExecContext(context.Background(), statement); err != nil {
		t.Fatal(err)
	}
}

// sseLog opens a stream over server-sent events at streamURL, with
// token ("" for none); the server has subscribed once the response has
// begun.
func sseLog(t *testing.T, ctx context.Context, streamURL, token string) *streamLog {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", streamURL, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SSE stream %s = %d", streamURL, resp.StatusCode)
	}
	log := &streamLog{}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event != "":
				log.add(event, strings.TrimPrefix(line, "data: "))
				event = ""
			}
		}
	}()
	return log
}
