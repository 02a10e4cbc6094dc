package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// conversationsOf lists c's conversations through the client library.
func conversationsOf(t *testing.T, c *mastodon.Client) []*mastodon.Conversation {
	t.Helper()
	cs, err := c.GetConversations(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// conversationWith returns the conversation of cs whose last post is
// statusID, failing when there is none.
func conversationWith(t *testing.T, who string, cs []*mastodon.Conversation, statusID mastodon.ID) *mastodon.Conversation {
	t.Helper()
	for _, c := range cs {
		if c.LastStatus != nil && c.LastStatus.ID == statusID {
			return c
		}
	}
	t.Fatalf("%s has no conversation whose last post is %s", who, statusID)
	return nil
}

func accountIDs(accts []*mastodon.Account) []mastodon.ID {
	var ids []mastodon.ID
	for _, a := range accts {
		ids = append(ids, a.ID)
	}
	return ids
}

func direct(t *testing.T, c *mastodon.Client, text string, inReplyTo mastodon.ID) *mastodon.Status {
	t.Helper()
	st, err := c.PostStatus(context.Background(), &mastodon.Toot{Status: text, Visibility: "direct", InReplyToID: inReplyTo})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Two local clinicians exchange direct messages: each has the conversation,
// unread for the one it reached, read for the one who wrote last; a reply
// stays in it; read and unread, deleting a post, deleting the conversation
// for oneself; no one reads or changes another's; mutes keep it away.
func TestConversationsOfTwoLocalUsers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		n.user(t, "carol", false)
		ca, cb, cc := signIn(t, n, "alice"), signIn(t, n, "bob"), signIn(t, n, "carol")
		aliceAcct, _ := ca.GetAccountCurrentUser(ctx)
		bobAcct, _ := cb.GetAccountCurrentUser(ctx)

		first := direct(t, ca, "@bob can you cover my clinic on Friday?", "")
		got := conversationsOf(t, cb)
		if len(got) != 1 {
			t.Fatalf("bob has %d conversations, want 1", len(got))
		}
		bobConv := got[0]
		if !bobConv.Unread || bobConv.LastStatus == nil || bobConv.LastStatus.ID != first.ID {
			t.Fatalf("bob's conversation: unread %v, last %v", bobConv.Unread, bobConv.LastStatus)
		}
		if ids := accountIDs(bobConv.Accounts); len(ids) != 1 || ids[0] != aliceAcct.ID {
			t.Fatalf("bob's conversation is with %v, want alice", ids)
		}
		got = conversationsOf(t, ca)
		if len(got) != 1 || got[0].Unread || got[0].LastStatus.ID != first.ID {
			t.Fatalf("alice's conversations: %+v", got)
		}
		aliceConv := got[0]
		if ids := accountIDs(aliceConv.Accounts); len(ids) != 1 || ids[0] != bobAcct.ID {
			t.Fatalf("alice's conversation is with %v, want bob", ids)
		}

		// Every documented key, and the raw shape.
		var raw []map[string]any
		if code, _ := rawGet(t, n, cb, "/api/v1/conversations", &raw); code != http.StatusOK || len(raw) != 1 {
			t.Fatalf("GET /api/v1/conversations: %d, %d items", code, len(raw))
		}
		requireKeys(t, "Conversation", raw[0], "id", "unread", "accounts", "last_status")
		if _, ok := raw[0]["id"].(string); !ok {
			t.Fatalf("the conversation id is not a string: %v", raw[0]["id"])
		}

		// bob answers in the thread: the same conversation for both, now
		// unread for alice and read for bob.
		reply := direct(t, cb, "@alice yes, happy to", first.ID)
		got = conversationsOf(t, ca)
		if len(got) != 1 || got[0].ID != aliceConv.ID || !got[0].Unread || got[0].LastStatus.ID != reply.ID {
			t.Fatalf("alice after bob's reply: %d conversations, %+v", len(got), got[0])
		}
		got = conversationsOf(t, cb)
		if len(got) != 1 || got[0].ID != bobConv.ID || got[0].Unread {
			t.Fatalf("bob after his reply: %+v", got)
		}

		// Read and unread.
		if err := ca.MarkConversationAsRead(ctx, aliceConv.ID); err != nil {
			t.Fatal(err)
		}
		if got = conversationsOf(t, ca); got[0].Unread {
			t.Fatal("alice's conversation is unread after she read it")
		}
		aliceTok := ca.Config.AccessToken
		code, body := call(t, n, aliceTok, "POST", "/api/v1/conversations/"+string(aliceConv.ID)+"/unread", nil)
		if code != http.StatusOK || body["unread"] != true || body["id"] != string(aliceConv.ID) {
			t.Fatalf("POST unread: %d %v", code, body)
		}
		code, body = call(t, n, aliceTok, "POST", "/api/v1/conversations/"+string(aliceConv.ID)+"/read", nil)
		if code != http.StatusOK || body["unread"] != false {
			t.Fatalf("POST read: %d %v", code, body)
		}

		// Nobody reads or changes another's conversation; reading scopes
		// do not change one.
		carolTok := cc.Config.AccessToken
		for _, path := range []string{"/read", "/unread", ""} {
			method := "POST"
			if path == "" {
				method = "DELETE"
			}
			code, body := call(t, n, carolTok, method, "/api/v1/conversations/"+string(aliceConv.ID)+path, nil)
			if code != http.StatusNotFound || body["error"] == nil {
				t.Fatalf("carol %s alice's conversation%s: %d %v", method, path, code, body)
			}
		}
		if len(conversationsOf(t, cc)) != 0 {
			t.Fatal("carol sees conversations she is not in")
		}
		readOnly := tokenFor(t, n, "alice", "read")
		if code, _ := call(t, n, readOnly, "POST", "/api/v1/conversations/"+string(aliceConv.ID)+"/read", nil); code != http.StatusForbidden {
			t.Fatalf("marking read with a read-only token: %d, want 403", code)
		}
		if code, _ := call(t, n, tokenFor(t, n, "alice", "write"), "GET", "/api/v1/conversations", nil); code != http.StatusForbidden {
			t.Fatalf("listing with a write-only token: %d, want 403", code)
		}
		if code, _ := call(t, n, "", "GET", "/api/v1/conversations", nil); code != http.StatusUnauthorized {
			t.Fatalf("listing without a token: %d, want 401", code)
		}

		// Deleting the reply brings the first post back as the last one;
		// deleting that too ends the conversation for both.
		if err := cb.DeleteStatus(ctx, reply.ID); err != nil {
			t.Fatal(err)
		}
		if got = conversationsOf(t, ca); len(got) != 1 || got[0].LastStatus.ID != first.ID {
			t.Fatalf("alice after the reply was deleted: %+v", got)
		}
		if err := ca.DeleteStatus(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		if len(conversationsOf(t, ca)) != 0 || len(conversationsOf(t, cb)) != 0 {
			t.Fatal("a conversation whose posts are all deleted is still listed")
		}

		// Deleting a conversation removes it for me only; the next post in
		// its thread brings it back.
		again := direct(t, ca, "@bob and the Saturday one?", "")
		bobConv = conversationWith(t, "bob", conversationsOf(t, cb), again.ID)
		if err := cb.DeleteConversation(ctx, bobConv.ID); err != nil {
			t.Fatal(err)
		}
		code, body = call(t, n, cb.Config.AccessToken, "DELETE", "/api/v1/conversations/"+string(bobConv.ID), nil)
		if code != http.StatusNotFound || body["error"] == nil {
			t.Fatalf("deleting it twice: %d %v", code, body)
		}
		if len(conversationsOf(t, cb)) != 0 {
			t.Fatal("bob still has the conversation he deleted")
		}
		conversationWith(t, "alice", conversationsOf(t, ca), again.ID)
		more := direct(t, ca, "@bob only the morning", again.ID)
		if c := conversationWith(t, "bob", conversationsOf(t, cb), more.ID); !c.Unread {
			t.Fatal("the conversation came back read")
		}

		// A direct post to oneself is a conversation with oneself.
		note := direct(t, ca, "remember the audit forms", "")
		self := conversationWith(t, "alice", conversationsOf(t, ca), note.ID)
		if ids := accountIDs(self.Accounts); len(ids) != 1 || ids[0] != aliceAcct.ID || self.Unread {
			t.Fatalf("alice's note to herself: accounts %v, unread %v", ids, self.Unread)
		}
		code, body = call(t, n, aliceTok, "DELETE", "/api/v1/conversations/"+string(self.ID), nil)
		if code != http.StatusOK || body == nil || len(body) != 0 {
			t.Fatalf("DELETE answers %d %v, want 200 {}", code, body)
		}

		// carol mutes alice: alice's direct post to her reaches no
		// conversation of carol's.
		if _, err := cc.AccountMute(ctx, aliceAcct.ID); err != nil {
			t.Fatal(err)
		}
		muted := direct(t, ca, "@carol are you on call?", "")
		conversationWith(t, "alice", conversationsOf(t, ca), muted.ID)
		if got := conversationsOf(t, cc); len(got) != 0 {
			t.Fatalf("carol has %d conversations from the account she muted", len(got))
		}

		// dave blocks alice: the same.
		n.user(t, "dave", false)
		cd := signIn(t, n, "dave")
		if _, err := cd.AccountBlock(ctx, aliceAcct.ID); err != nil {
			t.Fatal(err)
		}
		direct(t, ca, "@dave are you on call?", "")
		if got := conversationsOf(t, cd); len(got) != 0 {
			t.Fatalf("dave has %d conversations from the account he blocked", len(got))
		}
	})
}

// Conversations page by their last post with max_id, since_id, min_id and
// limit, and a Link header the client library follows.
func TestConversationsPageWithLinkHeader(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		ca, cb := signIn(t, n, "alice"), signIn(t, n, "bob")
		var posts []*mastodon.Status // oldest first, each its own conversation
		for i := range 5 {
			posts = append(posts, direct(t, ca, fmt.Sprintf("@bob question %d", i), ""))
		}
		// An old conversation with a new post sorts first.
		latest := direct(t, cb, "@alice answer to the first", posts[0].ID)
		order := []mastodon.ID{latest.ID, posts[4].ID, posts[3].ID, posts[2].ID, posts[1].ID}

		var seen []mastodon.ID
		pg := &mastodon.Pagination{Limit: 2}
		for range 4 {
			cs, err := cb.GetConversations(ctx, pg)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				seen = append(seen, c.LastStatus.ID)
			}
			if len(cs) == 0 || pg.MaxID == "" {
				break
			}
			pg = &mastodon.Pagination{MaxID: pg.MaxID, Limit: 2}
		}
		if fmt.Sprint(seen) != fmt.Sprint(order) {
			t.Fatalf("paging with the Link header gave %v, want %v", seen, order)
		}

		var page []map[string]any
		code, h := rawGet(t, n, cb, "/api/v1/conversations?limit=2", &page)
		link := h.Get("Link")
		if code != http.StatusOK || len(page) != 2 {
			t.Fatalf("limit=2: %d, %d items", code, len(page))
		}
		wantNext := "max_id=" + string(order[1])
		wantPrev := "min_id=" + string(order[0])
		if !strings.Contains(link, wantNext) || !strings.Contains(link, `rel="next"`) || !strings.Contains(link, wantPrev) || !strings.Contains(link, `rel="prev"`) {
			t.Fatalf("Link %q lacks %s (next) or %s (prev)", link, wantNext, wantPrev)
		}
		if strings.Index(link, `rel="next"`) > strings.Index(link, `rel="prev"`) {
			t.Fatalf("Link %q does not give next first", link)
		}
		// min_id: the ones just newer than a point, newest first.
		rawGet(t, n, cb, "/api/v1/conversations?limit=2&min_id="+url.QueryEscape(string(order[4])), &page)
		if len(page) != 2 || page[0]["last_status"].(map[string]any)["id"] != string(order[2]) || page[1]["last_status"].(map[string]any)["id"] != string(order[3]) {
			t.Fatalf("min_id page: %v", page)
		}
		// since_id: the newest above it.
		rawGet(t, n, cb, "/api/v1/conversations?since_id="+url.QueryEscape(string(order[2])), &page)
		if len(page) != 2 || page[0]["last_status"].(map[string]any)["id"] != string(order[0]) {
			t.Fatalf("since_id page: %v", page)
		}
		// An empty page has no next link.
		code, h = rawGet(t, n, cb, "/api/v1/conversations?max_id="+url.QueryEscape(string(order[4])), &page)
		if code != http.StatusOK || len(page) != 0 || h.Get("Link") != "" {
			t.Fatalf("past the end: %d, %d items, Link %q", code, len(page), h.Get("Link"))
		}
		if code, body := call(t, n, cb.Config.AccessToken, "GET", "/api/v1/conversations?limit=0", nil); code != http.StatusBadRequest || body["error"] == nil {
			t.Fatalf("limit=0: %d %v", code, body)
		}
	})
}

// A direct post waiting out its send delay is in its author's conversation
// only; at its release it reaches the other's, with a conversation event on
// the direct stream, and none before.
func TestPendingDirectPostReachesConversationsAtRelease(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		ca, cb := signIn(t, n, "alice"), signIn(t, n, "bob")
		aliceAcct, _ := ca.GetAccountCurrentUser(ctx)
		events, err := cb.NewWSClient().StreamingWSDirect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // let the socket subscribe

		const delay = 2 * time.Second
		d := social.Duration(delay)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		posted := time.Now()
		st := direct(t, ca, "@bob the patient in bay 4 needs review", "")
		conversationWith(t, "alice", conversationsOf(t, ca), st.ID)
		if got := conversationsOf(t, cb); len(got) != 0 {
			t.Fatalf("bob has %d conversations while the post waits out its delay", len(got))
		}

		var conv *mastodon.Conversation
		timeout := time.After(20 * time.Second)
		for conv == nil {
			select {
			case ev := <-events:
				switch e := ev.(type) {
				case *mastodon.ErrorEvent:
					t.Fatalf("stream error: %v", e.Err)
				case *mastodon.ConversationEvent:
					conv = e.Conversation
				}
			case <-timeout:
				t.Fatal("no conversation event on bob's direct stream within 20s")
			}
		}
		if since := time.Since(posted); since < delay-200*time.Millisecond {
			t.Fatalf("the conversation event came %v after posting, before the %v delay", since, delay)
		}
		if !conv.Unread || conv.LastStatus == nil || conv.LastStatus.ID != st.ID || len(conv.Accounts) != 1 || conv.Accounts[0].ID != aliceAcct.ID {
			t.Fatalf("the event's conversation: %+v", conv)
		}
		if c := conversationWith(t, "bob", conversationsOf(t, cb), st.ID); c.ID != conv.ID || !c.Unread {
			t.Fatalf("bob's conversation after the release: %+v", c)
		}

		// Read on one app, the others hear of it.
		if err := cb.MarkConversationAsRead(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		for {
			select {
			case ev := <-events:
				if e, ok := ev.(*mastodon.ConversationEvent); ok {
					if e.Conversation.ID != conv.ID || e.Conversation.Unread {
						t.Fatalf("the event after reading: %+v", e.Conversation)
					}
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no conversation event after bob read it")
			}
		}
	})
}

// A direct post from another Rounds server makes the conversation on the
// receiver's side, and the answer joins the sender's.
func TestDirectPostFromAnotherServerMakesConversation(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		bob := b.user(t, "bob", false)
		cb := signIn(t, b, "bob")
		ca := signIn(t, a, "alice")

		post, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "@bob@" + b.domain + " could you see my patient in ED?", Visibility: social.VisibilityDirect})
		if err != nil {
			t.Fatal(err)
		}
		// Waited for through the domain: polling the API this often would
		// run into its rate limit, where the client library waits it out.
		eventually(t, "the conversation on B", func() bool {
			cs, err := b.svc.Conversations(ctx, bob, storage.Page{})
			return err == nil && len(cs) > 0
		})
		got := conversationsOf(t, cb)
		if len(got) != 1 {
			t.Fatalf("bob has %d conversations, want 1", len(got))
		}
		onB := got[0]
		if !onB.Unread || onB.LastStatus == nil || !strings.Contains(onB.LastStatus.Content, "could you see my patient") {
			t.Fatalf("bob's conversation: %+v", onB)
		}
		if len(onB.Accounts) != 1 || onB.Accounts[0].Acct != "alice@"+a.domain {
			t.Fatalf("bob's conversation is with %v", onB.Accounts)
		}

		// bob answers from B: it joins alice's conversation on A, unread.
		// (Which of the two is its last post depends on the ids A gives
		// them: B sends times to the second, so two posts of the same
		// second may sort either way, on Mastodon too.)
		reply := direct(t, cb, "@alice@"+a.domain+" on my way", onB.LastStatus.ID)
		eventually(t, "bob's answer on A", func() bool {
			_, err := a.svc.StatusByURI(ctx, reply.URI)
			return err == nil
		})
		cs := conversationsOf(t, ca)
		if len(cs) != 1 || !cs[0].Unread {
			t.Fatalf("alice's conversations after bob's answer: %+v", cs)
		}
		if err := ca.MarkConversationAsRead(ctx, cs[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.DeleteStatus(ctx, alice, post.ID); err != nil {
			t.Fatal(err)
		}
		cs = conversationsOf(t, ca)
		if len(cs) != 1 || cs[0].LastStatus == nil || !strings.Contains(cs[0].LastStatus.Content, "on my way") {
			t.Fatalf("alice's conversation after she deleted her post: %+v", cs)
		}
	})
}

// A direct post to people on two servers lists every participant on each,
// also those of a third party's server, and the answers stay in the one
// conversation.
func TestGroupDirectPostAcrossServersListsEveryParticipant(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "dave", false)
		bob := b.user(t, "bob", false)
		// B knows dave (someone there looked him up before).
		if _, err := b.fed.ResolveAccount(ctx, "dave@"+a.domain); err != nil {
			t.Fatal(err)
		}
		_, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "@bob@" + b.domain + " @dave handover at 8?", Visibility: social.VisibilityDirect})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the conversation on B", func() bool {
			cs, err := b.svc.Conversations(ctx, bob, storage.Page{})
			return err == nil && len(cs) > 0
		})
		cb := signIn(t, b, "bob")
		cs := conversationsOf(t, cb)
		if len(cs) != 1 {
			t.Fatalf("bob has %d conversations", len(cs))
		}
		var accts []string
		for _, acc := range cs[0].Accounts {
			accts = append(accts, acc.Acct)
		}
		sort.Strings(accts)
		if want := fmt.Sprint([]string{"alice@" + a.domain, "dave@" + a.domain}); fmt.Sprint(accts) != want {
			t.Fatalf("bob's conversation is with %v, want %s", accts, want)
		}

		// bob answers both: one conversation for each of alice and dave.
		reply := direct(t, cb, "@alice@"+a.domain+" @dave@"+a.domain+" yes", cs[0].LastStatus.ID)
		eventually(t, "bob's answer on A", func() bool {
			_, err := a.svc.StatusByURI(ctx, reply.URI)
			return err == nil
		})
		for _, name := range []string{"alice", "dave"} {
			got := conversationsOf(t, signIn(t, a, name))
			if len(got) != 1 || len(got[0].Accounts) != 2 {
				t.Fatalf("%s's conversations after bob's answer: %d, %+v", name, len(got), got)
			}
		}
	})
}
