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

// contentsOf lists the contents of a list of statuses (or of the statuses
// of a list of notifications).
func contentsOf(body map[string]any) []string {
	var out []string
	list, _ := body["list"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		if st, ok := m["status"].(map[string]any); ok {
			m = st
		}
		if c, ok := m["content"].(string); ok {
			out = append(out, c)
		}
	}
	return out
}

func anyContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// A clinician blocks another server for themselves: its posts leave their
// home (rows already there too), public and hashtag timelines, threads and
// search; its accounts' notifications go and no new ones come; follows end
// both ways on both servers (Undo{Follow} and Reject{Follow}), and a new
// follow from there is refused. Someone else on the same server still sees
// everything. The list, the relationship's domain_blocking and the errors
// are Mastodon's.
func TestUserDomainBlockHidesServerAndEndsFollows(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "carol", false)
		bob := b.user(t, "bob", false)
		aliceTok := tokenFor(t, a, "alice", "read write follow")
		carolTok := tokenFor(t, a, "carol", "read write follow")

		bobOnA := followAcross(t, a, alice, b, "bob")
		aliceOnB := followAcross(t, b, bob, a, "alice")

		post, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Grand rounds #cardiology today @alice@" + a.domain, Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		onA := waitInHome(t, a, alice, post.URI, "bob's post reaching alice's home")
		// alice's own reply, to see the thread without bob's post.
		code, reply := call(t, a, aliceTok, "POST", "/api/v1/statuses", url.Values{"status": {"Thanks for the cardiology talk"}, "in_reply_to_id": {fmt.Sprint(onA.ID)}})
		if code != 200 {
			t.Fatalf("reply: %d %v", code, reply)
		}
		eventually(t, "bob's mention notifying alice", func() bool {
			_, ns := call(t, a, aliceTok, "GET", "/api/v1/notifications", nil)
			return anyContains(contentsOf(ns), "Grand rounds")
		})

		// Errors first: no token, a token without the scope, no domain,
		// this server's own domain.
		if code, body := call(t, a, "", "POST", "/api/v1/domain_blocks", url.Values{"domain": {b.domain}}); code != 401 {
			t.Errorf("no token: %d %v", code, body)
		}
		readOnly := tokenFor(t, a, "alice", "read")
		if code, body := call(t, a, readOnly, "POST", "/api/v1/domain_blocks", url.Values{"domain": {b.domain}}); code != 403 {
			t.Errorf("read-only token: %d %v", code, body)
		}
		if code, body := call(t, a, aliceTok, "POST", "/api/v1/domain_blocks", url.Values{}); code != 422 || body["error"] == nil {
			t.Errorf("no domain: %d %v", code, body)
		}
		if code, body := call(t, a, aliceTok, "POST", "/api/v1/domain_blocks", url.Values{"domain": {a.domain}}); code != 422 {
			t.Errorf("own domain: %d %v", code, body)
		}

		if code, body := call(t, a, aliceTok, "POST", "/api/v1/domain_blocks", url.Values{"domain": {strings.ToUpper(b.domain)}}); code != 200 || len(body) != 0 {
			t.Fatalf("block: %d %v", code, body)
		}
		req, _ := http.NewRequest("GET", a.base+"/api/v1/domain_blocks?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+aliceTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.Contains(resp.Header.Get("Link"), "max_id=") {
			t.Errorf("domain_blocks has no Link paging: %q", resp.Header.Get("Link"))
		}
		if code, body := call(t, a, readOnly, "GET", "/api/v1/domain_blocks", nil); code != 200 || fmt.Sprint(body["list"]) != "["+b.domain+"]" {
			t.Fatalf("list: %d %v", code, body)
		}

		// Home (the row already in the feed), public, hashtag, thread,
		// search and notifications are free of bob's server for alice.
		if _, home := call(t, a, aliceTok, "GET", "/api/v1/timelines/home", nil); anyContains(contentsOf(home), "Grand rounds") {
			t.Error("bob's post is still in alice's home")
		}
		for _, path := range []string{"/api/v1/timelines/public", "/api/v1/timelines/public?remote=true", "/api/v1/timelines/tag/cardiology"} {
			if _, body := call(t, a, aliceTok, "GET", path, nil); anyContains(contentsOf(body), "Grand rounds") {
				t.Errorf("%s still shows bob's post to alice", path)
			}
			if _, body := call(t, a, carolTok, "GET", path, nil); !anyContains(contentsOf(body), "Grand rounds") {
				t.Errorf("%s hides bob's post from carol, who blocked nothing", path)
			}
		}
		_, thread := call(t, a, aliceTok, "GET", "/api/v1/statuses/"+reply["id"].(string)+"/context", nil)
		if anc, _ := thread["ancestors"].([]any); len(anc) != 0 {
			t.Errorf("the thread still shows bob's post: %v", anc)
		}
		if _, ns := call(t, a, aliceTok, "GET", "/api/v1/notifications", nil); anyContains(contentsOf(ns), "Grand rounds") {
			t.Error("bob's notification is still listed")
		}
		_, found := call(t, a, aliceTok, "GET", "/api/v2/search?q=bob&type=accounts", nil)
		if accts, _ := found["accounts"].([]any); len(accts) != 0 {
			t.Errorf("search still suggests bob: %v", accts)
		}

		// The relationship says so, and the follows are gone both ways, on
		// both servers.
		_, rels := call(t, a, aliceTok, "GET", fmt.Sprintf("/api/v1/accounts/relationships?id[]=%d", bobOnA.ID), nil)
		rel := rels["list"].([]any)[0].(map[string]any)
		if rel["domain_blocking"] != true || rel["following"] != false || rel["followed_by"] != false {
			t.Fatalf("relationship after the block: %v", rel)
		}
		eventually(t, "B dropping both follows", func() bool {
			return !b.svc.IsFollowing(ctx, bob, aliceOnB) && !b.svc.IsFollowing(ctx, aliceOnB, bob)
		})

		// A new mention from there makes no notification nor comes on
		// alice's public stream, and a new follow from there is refused.
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		events, err := mastodon.NewClient(&mastodon.Config{Server: a.base, AccessToken: aliceTok}).NewWSClient().StreamingWSPublic(sctx, false)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // let the socket subscribe
		later, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Are you coming @alice@" + a.domain, Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "bob's mention reaching A", func() bool {
			_, err := a.svc.StatusByURI(ctx, later.URI)
			return err == nil
		})
		if _, ns := call(t, a, aliceTok, "GET", "/api/v1/notifications", nil); anyContains(contentsOf(ns), "Are you coming") {
			t.Error("a mention from the blocked domain notified alice")
		}
		dm, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Privately @alice@" + a.domain, Visibility: social.VisibilityDirect})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "bob's direct post reaching A", func() bool {
			_, err := a.svc.StatusByURI(ctx, dm.URI)
			return err == nil
		})
		if _, convs := call(t, a, aliceTok, "GET", "/api/v1/conversations", nil); len(convs["list"].([]any)) != 0 {
			t.Errorf("a direct post from the blocked domain opened a conversation: %v", convs["list"])
		}
		if code, st := call(t, a, carolTok, "POST", "/api/v1/statuses", url.Values{"status": {"Carol on the ward"}}); code != 200 {
			t.Fatalf("carol's post: %d %v", code, st)
		}
	stream:
		for {
			select {
			case ev := <-events:
				if ue, ok := ev.(*mastodon.UpdateEvent); ok {
					if strings.Contains(ue.Status.Content, "Are you coming") {
						t.Error("the blocked domain's post came on alice's public stream")
					}
					if strings.Contains(ue.Status.Content, "Carol on the ward") {
						break stream
					}
				}
			case <-sctx.Done():
				t.Fatal("carol's post did not come on alice's public stream")
			}
		}
		if _, err := b.svc.Follow(ctx, bob, aliceOnB); err != nil {
			t.Fatal(err)
		}
		eventually(t, "A refusing bob's new follow", func() bool {
			rel, err := b.svc.RelationshipWith(ctx, bob, aliceOnB)
			return err == nil && !rel.Following && !rel.Requested
		})
		if a.svc.IsFollowing(ctx, bobOnA, alice) {
			t.Error("bob follows alice on A despite her block")
		}

		// Unblocking brings bob's server back into the public timeline.
		if code, body := call(t, a, aliceTok, "DELETE", "/api/v1/domain_blocks", url.Values{"domain": {b.domain}}); code != 200 {
			t.Fatalf("unblock: %d %v", code, body)
		}
		if _, body := call(t, a, aliceTok, "GET", "/api/v1/domain_blocks", nil); len(body["list"].([]any)) != 0 {
			t.Errorf("list after unblock: %v", body)
		}
		if _, body := call(t, a, aliceTok, "GET", "/api/v1/timelines/public", nil); !anyContains(contentsOf(body), "Grand rounds") {
			t.Error("bob's post is not back in the public timeline after the unblock")
		}
	})
}
