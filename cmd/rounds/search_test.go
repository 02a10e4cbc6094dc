package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// searchJSON is GET /api/v2/search decoded.
type searchJSON struct {
	Accounts []struct {
		ID   string `json:"id"`
		Acct string `json:"acct"`
	} `json:"accounts"`
	Statuses []struct {
		ID      string `json:"id"`
		URI     string `json:"uri"`
		Content string `json:"content"`
	} `json:"statuses"`
	Hashtags []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		URL     string `json:"url"`
		History []struct {
			Day, Uses, Accounts string
		} `json:"history"`
		Following *bool `json:"following"`
	} `json:"hashtags"`
	Error string `json:"error"`
}

func searchAs(t *testing.T, n *node, c *mastodon.Client, query url.Values) (int, searchJSON) {
	t.Helper()
	var out searchJSON
	code, _ := rawGet(t, n, c, "/api/v2/search?"+query.Encode(), &out)
	return code, out
}

func accts(r searchJSON) string {
	var s []string
	for _, a := range r.Accounts {
		s = append(s, a.Acct)
	}
	return strings.Join(s, ",")
}

func TestSearchFindsAccountsStatusesAndHashtags(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice := n.user(t, "alice", false)
		n.user(t, "alina", false)
		bob := n.user(t, "bob", true)
		name := "Bob Aldridge"
		if _, err := n.svc.UpdateProfile(ctx, bob, social.ProfileUpdate{DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		ca, cl := signIn(t, n, "alice"), signIn(t, n, "alina")

		// Accounts: username, then a word of the display name; exact first.
		if code, r := searchAs(t, n, ca, url.Values{"q": {"al"}, "type": {"accounts"}}); code != 200 || accts(r) != "alice,alina,bob" {
			t.Fatalf("accounts for al: %d %q", code, accts(r))
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {"@alina"}, "type": {"accounts"}}); accts(r) != "alina" {
			t.Fatalf("accounts for @alina: %q", accts(r))
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {"alina@" + n.domain}, "type": {"accounts"}}); accts(r) != "alina" {
			t.Fatalf("accounts for alina@our domain: %q", accts(r))
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {"al"}, "type": {"accounts"}, "limit": {"1"}, "offset": {"1"}}); accts(r) != "alina" {
			t.Fatalf("accounts for al, second page of one: %q", accts(r))
		}
		// following: only accepted follows count (bob is locked).
		bobID := mastodon.ID(strconv.FormatInt(bob.ID, 10))
		if _, err := ca.AccountFollow(ctx, bobID); err != nil {
			t.Fatal(err)
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {"al"}, "type": {"accounts"}, "following": {"true"}}); accts(r) != "" {
			t.Fatalf("following before bob accepted: %q", accts(r))
		}
		cb := signIn(t, n, "bob")
		if err := cb.FollowRequestAuthorize(ctx, mastodon.ID(strconv.FormatInt(alice.ID, 10))); err != nil {
			t.Fatal(err)
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {"al"}, "type": {"accounts"}, "following": {"true"}}); accts(r) != "bob" {
			t.Fatalf("following: %q", accts(r))
		}
		// The v1 account search gives the same, as a list.
		found, err := ca.AccountsSearch(ctx, "ali", 10)
		if err != nil || len(found) != 2 || found[0].Acct != "alice" || found[1].Acct != "alina" {
			t.Fatalf("v1 account search = %v, %v", found, err)
		}

		// Someone who blocks the searcher is not found by them.
		if _, err := cb.AccountBlock(ctx, mastodon.ID(strconv.FormatInt(mustID(t, n, "alina"), 10))); err != nil {
			t.Fatal(err)
		}
		if _, r := searchAs(t, n, cl, url.Values{"q": {"al"}, "type": {"accounts"}}); accts(r) != "alice,alina" {
			t.Fatalf("accounts for al, searched by someone bob blocks: %q", accts(r))
		}
		if _, r := searchAs(t, n, cl, url.Values{"q": {bob.URI}, "type": {"accounts"}}); accts(r) != "" {
			t.Fatalf("bob found by his address by someone he blocks: %q", accts(r))
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {bob.URI}, "type": {"accounts"}}); accts(r) != "bob" {
			t.Fatalf("bob by his address: %q", accts(r))
		}

		// Statuses: by URI or page, visibility applied.
		pub, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Rounds at 9 #Cardiology", Visibility: "public"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Echo lab #cardiology #cardio", Visibility: "public"}); err != nil {
			t.Fatal(err)
		}
		priv, err := cb.PostStatus(ctx, &mastodon.Toot{Status: "Followers only #cardiology", Visibility: "private"})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{pub.URI, pub.URL} {
			res, err := cl.Search(ctx, q, false)
			if err != nil || len(res.Statuses) != 1 || res.Statuses[0].ID != pub.ID {
				t.Fatalf("search %s: %+v, %v", q, res, err)
			}
		}
		if _, r := searchAs(t, n, cl, url.Values{"q": {pub.URL}, "account_id": {strconv.FormatInt(bob.ID, 10)}}); len(r.Statuses) != 0 {
			t.Fatalf("account_id of another author still found %v", r.Statuses)
		}
		n.user(t, "carl", false)
		if _, r := searchAs(t, n, signIn(t, n, "carl"), url.Values{"q": {priv.URI}}); len(r.Statuses) != 0 {
			t.Fatalf("a followers-only post found by a non-follower: %v", r.Statuses)
		}
		if _, r := searchAs(t, n, nil, url.Values{"q": {priv.URL}}); len(r.Statuses) != 0 {
			t.Fatalf("a followers-only post found anonymously: %v", r.Statuses)
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {priv.URL}}); len(r.Statuses) != 1 || r.Statuses[0].ID != string(priv.ID) {
			t.Fatalf("a follower cannot find the followers-only post: %v", r.Statuses)
		}

		// Hashtags: the exact one first, then the most used, with a week of history.
		_, r := searchAs(t, n, ca, url.Values{"q": {"#card"}, "type": {"hashtags"}})
		if len(r.Hashtags) != 2 || r.Hashtags[0].Name != "cardiology" || r.Hashtags[1].Name != "cardio" {
			t.Fatalf("hashtags for #card: %+v", r.Hashtags)
		}
		h := r.Hashtags[0]
		today := time.Now().UTC().Truncate(24 * time.Hour).Unix()
		if len(h.History) != 7 || h.History[0].Day != strconv.FormatInt(today, 10) || h.History[0].Uses != "3" || h.History[0].Accounts != "2" || h.History[1].Uses != "0" {
			t.Fatalf("history of cardiology: %+v", h.History)
		}
		if h.Following == nil || *h.Following || h.URL != n.base+"/tags/cardiology" || h.ID == "" {
			t.Fatalf("tag entity: %+v", h)
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {"cardio"}, "type": {"hashtags"}}); len(r.Hashtags) != 2 || r.Hashtags[0].Name != "cardio" {
			t.Fatalf("hashtags for cardio: %+v", r.Hashtags)
		}
		if _, r := searchAs(t, n, ca, url.Values{"q": {"#card"}, "type": {"hashtags"}, "limit": {"1"}, "offset": {"1"}}); len(r.Hashtags) != 1 || r.Hashtags[0].Name != "cardio" {
			t.Fatalf("hashtags, second page: %+v", r.Hashtags)
		}

		// Without a token: allowed, but not resolving nor paging.
		if code, r := searchAs(t, n, nil, url.Values{"q": {"alice"}}); code != 200 || accts(r) != "alice" {
			t.Fatalf("anonymous search: %d %q", code, accts(r))
		}
		for _, q := range []url.Values{{"q": {"alice"}, "resolve": {"true"}}, {"q": {"alice"}, "offset": {"1"}}} {
			if code, r := searchAs(t, n, nil, q); code != http.StatusUnauthorized || r.Error == "" {
				t.Fatalf("anonymous %v: %d %+v", q, code, r)
			}
		}
		// A token must allow read:search (v2) or read:accounts (v1).
		tok := tokenFor(t, n, "alice", "read:statuses")
		if code, body := call(t, n, tok, "GET", "/api/v2/search?q=alice", nil); code != http.StatusForbidden || body["error"] == nil {
			t.Fatalf("v2 search outside the token's scopes: %d %v", code, body)
		}
		if code, body := call(t, n, tok, "GET", "/api/v1/accounts/search?q=alice", nil); code != http.StatusForbidden || body["error"] == nil {
			t.Fatalf("v1 account search outside the token's scopes: %d %v", code, body)
		}
		tok = tokenFor(t, n, "alice", "read:search")
		if code, body := call(t, n, tok, "GET", "/api/v2/search?q=alice", nil); code != 200 || len(body["accounts"].([]any)) != 1 {
			t.Fatalf("v2 search with read:search: %d %v", code, body)
		}
		// Bad input.
		for _, q := range []string{"", "?q=", "?q=a&type=people", "?q=a&limit=many", "?q=a&account_id=x"} {
			if code, body := call(t, n, tok, "GET", "/api/v2/search"+q, nil); code != http.StatusBadRequest || body["error"] == nil {
				t.Fatalf("search %q: %d %v", q, code, body)
			}
		}
	})
}

func TestSearchResolvesARemotePostByItsAddress(t *testing.T) {
	ctx := context.Background()
	a, b := startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	a.user(t, "alice", false)
	b.user(t, "bob", false)
	ca, cb := signIn(t, a, "alice"), signIn(t, b, "bob")
	first, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Grand rounds notes #nephrology", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Journal club tomorrow", Visibility: "unlisted"})
	if err != nil {
		t.Fatal(err)
	}
	private, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Only for followers", Visibility: "private"})
	if err != nil {
		t.Fatal(err)
	}

	// Not known on b, and without resolve nobody asks a.
	if res, err := cb.Search(ctx, first.URI, false); err != nil || len(res.Statuses) != 0 {
		t.Fatalf("search without resolve = %+v, %v", res, err)
	}
	// By its ActivityPub id.
	res, err := cb.Search(ctx, first.URI, true)
	if err != nil || len(res.Statuses) != 1 {
		t.Fatalf("resolve by id = %+v, %v", res, err)
	}
	got := res.Statuses[0]
	if got.URI != first.URI || !strings.Contains(got.Content, "Grand rounds notes") || got.Account.Acct != "alice@"+a.domain {
		t.Fatalf("resolved post = %+v", got)
	}
	if len(got.Tags) != 1 || got.Tags[0].Name != "nephrology" {
		t.Fatalf("resolved post's tags = %+v", got.Tags)
	}
	// It is stored: found again without resolve, and by its local id.
	if res, err := cb.Search(ctx, first.URI, false); err != nil || len(res.Statuses) != 1 || res.Statuses[0].ID != got.ID {
		t.Fatalf("search after resolving = %+v, %v", res, err)
	}
	if st, err := cb.GetStatus(ctx, got.ID); err != nil || st.URI != first.URI {
		t.Fatalf("GET the resolved post = %+v, %v", st, err)
	}
	// By its page's address (a redirects the fetch to the id).
	res, err = cb.Search(ctx, second.URL, true)
	if err != nil || len(res.Statuses) != 1 || res.Statuses[0].URI != second.URI || res.Statuses[0].Visibility != "unlisted" {
		t.Fatalf("resolve by page = %+v, %v", res, err)
	}
	// A followers-only post is not given to a stranger's server.
	if res, err := cb.Search(ctx, private.URI, true); err != nil || len(res.Statuses) != 0 {
		t.Fatalf("resolve a followers-only post = %+v, %v", res, err)
	}
	// A profile's address finds the account.
	if res, err := cb.Search(ctx, a.base+"/@alice", true); err != nil || len(res.Accounts) != 1 || res.Accounts[0].Acct != "alice@"+a.domain {
		t.Fatalf("resolve a profile page = %+v, %v", res, err)
	}
	// resolve=true asks nothing of anyone for an anonymous search: refused.
	code, _ := searchAs(t, b, nil, url.Values{"q": {second.URI}, "resolve": {"true"}})
	if code != http.StatusUnauthorized {
		t.Fatalf("anonymous resolve: %d", code)
	}
}

// Full-text search through the API, with go-mastodon: words and phrases,
// paging, the indexable setting, and posts that arrived from another
// server, before and after their author edits them.
func TestFullTextSearchThroughTheAPI(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "bob", false)
		b.user(t, "rem", false)
		ca, cb := signIn(t, a, "alice"), signIn(t, a, "bob")

		var bobs []*mastodon.Status
		for _, text := range []string{"Sepsis six: give oxygen first", "Sepsis talk at noon", "Sepsis screening audit"} {
			st, err := cb.PostStatus(ctx, &mastodon.Toot{Status: text, Visibility: "public"})
			if err != nil {
				t.Fatal(err)
			}
			bobs = append(bobs, st)
		}
		res, err := ca.Search(ctx, "sepsis oxygen", false)
		if err != nil || len(res.Statuses) != 1 || res.Statuses[0].ID != bobs[0].ID || res.Statuses[0].Account.Acct != "bob" {
			t.Fatalf("search sepsis oxygen = %+v, %v", res, err)
		}
		if res, _ := ca.Search(ctx, `"talk at noon"`, false); len(res.Statuses) != 1 || res.Statuses[0].ID != bobs[1].ID {
			t.Fatalf(`search "talk at noon" = %+v`, res.Statuses)
		}
		// Newest first; max_id and offset page on; anonymous finds none.
		_, r := searchAs(t, a, ca, url.Values{"q": {"sepsis"}, "type": {"statuses"}, "limit": {"2"}})
		if len(r.Statuses) != 2 || r.Statuses[0].ID != string(bobs[2].ID) || r.Statuses[1].ID != string(bobs[1].ID) {
			t.Fatalf("first page: %+v", r.Statuses)
		}
		for _, q := range []url.Values{
			{"q": {"sepsis"}, "type": {"statuses"}, "limit": {"2"}, "max_id": {r.Statuses[1].ID}},
			{"q": {"sepsis"}, "type": {"statuses"}, "limit": {"2"}, "offset": {"2"}},
		} {
			if _, r := searchAs(t, a, ca, q); len(r.Statuses) != 1 || r.Statuses[0].ID != string(bobs[0].ID) {
				t.Fatalf("second page %v: %+v", q, r.Statuses)
			}
		}
		if code, r := searchAs(t, a, nil, url.Values{"q": {"sepsis"}}); code != 200 || len(r.Statuses) != 0 {
			t.Fatalf("anonymous full-text search: %d %+v", code, r.Statuses)
		}
		if code, body := call(t, a, tokenFor(t, a, "alice", "read"), "GET", "/api/v2/search?q=sepsis&max_id=x", nil); code != http.StatusBadRequest || body["error"] == nil {
			t.Fatalf("a bad max_id: %d %v", code, body)
		}
		// An image's description is part of its post's words.
		att, err := cb.UploadMediaFromMedia(ctx, &mastodon.Media{File: bytes.NewReader(testPNG(t, 64, 48)), Description: "Lactate chart, names hidden"})
		if err != nil {
			t.Fatal(err)
		}
		withImage, err := cb.PostStatus(ctx, &mastodon.Toot{Status: "This morning's board", MediaIDs: []mastodon.ID{att.ID}, Visibility: "public"})
		if err != nil {
			t.Fatal(err)
		}
		if res, _ := ca.Search(ctx, "lactate chart", false); len(res.Statuses) != 1 || res.Statuses[0].ID != withImage.ID {
			t.Fatalf("search by an image's description: %+v", res.Statuses)
		}
		if res, _ := ca.Search(ctx, "morning has:media from:bob", false); len(res.Statuses) != 1 || res.Statuses[0].ID != withImage.ID {
			t.Fatalf("has:media from:bob: %+v", res.Statuses)
		}
		if res, _ := ca.Search(ctx, "morning -has:media", false); len(res.Statuses) != 0 {
			t.Fatalf("-has:media: %+v", res.Statuses)
		}
		// A better description, given after posting, replaces the old words.
		if code, body := call(t, a, tokenFor(t, a, "bob", "write"), "PUT", "/api/v1/media/"+string(att.ID), url.Values{"description": {"Troponin trend, names hidden"}}); code != 200 {
			t.Fatalf("describe attached media: %d %v", code, body)
		}
		if res, _ := ca.Search(ctx, "troponin", false); len(res.Statuses) != 1 || res.Statuses[0].ID != withImage.ID {
			t.Fatalf("search by the new description: %+v", res.Statuses)
		}
		if res, _ := ca.Search(ctx, "lactate", false); len(res.Statuses) != 0 {
			t.Fatalf("the old description is still searchable: %+v", res.Statuses)
		}

		// Bob turns indexable off: others no longer find his posts; he does.
		bobTok := tokenFor(t, a, "bob", "read write")
		if code, body := call(t, a, bobTok, "PATCH", "/api/v1/accounts/update_credentials", url.Values{"indexable": {"false"}}); code != 200 || body["indexable"] != false {
			t.Fatalf("update_credentials indexable=false: %d %v", code, body)
		}
		if res, _ := ca.Search(ctx, "sepsis", false); len(res.Statuses) != 0 {
			t.Fatalf("bob's posts found after he turned indexable off: %+v", res.Statuses)
		}
		if res, _ := cb.Search(ctx, "sepsis", false); len(res.Statuses) != 3 {
			t.Fatalf("bob's own search: %d posts", len(res.Statuses))
		}
		// ... but a post alice favourited stays findable for her.
		if _, err := ca.Favourite(ctx, bobs[2].ID); err != nil {
			t.Fatal(err)
		}
		if res, _ := ca.Search(ctx, "sepsis", false); len(res.Statuses) != 1 || res.Statuses[0].ID != bobs[2].ID {
			t.Fatalf("a favourited post: %+v", res.Statuses)
		}

		// A post from another server, stored when it arrives, and its edit.
		followAcross(t, a, alice, b, "rem")
		rem, err := b.svc.UserByUsername(ctx, "rem")
		if err != nil {
			t.Fatal(err)
		}
		post, err := b.svc.PostStatus(ctx, rem.Account, social.NewStatus{Text: "Bronchiolitis season is here", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		found := func(q string) string {
			res, err := ca.Search(ctx, q, false)
			if err != nil || len(res.Statuses) != 1 {
				return ""
			}
			return res.Statuses[0].URI
		}
		eventually(t, "the remote post found by its words", func() bool { return found("bronchiolitis season") == post.URI })
		if _, err := b.svc.EditStatus(ctx, rem.Account, post.ID, social.NewStatus{Text: "Croup season is here"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the remote edit found by its words", func() bool { return found("croup") == post.URI })
		if found("bronchiolitis") != "" {
			t.Fatal("the remote post is still found by words its edit removed")
		}
		// A remote post's image description, as it arrives.
		m, err := b.svc.UploadMedia(ctx, rem.Account, bytes.NewReader(testPNG(t, 64, 48)), "Peak flow diary, week two")
		if err != nil {
			t.Fatal(err)
		}
		pic, err := b.svc.PostStatus(ctx, rem.Account, social.NewStatus{Text: "Look at this", MediaIDs: []int64{m.ID}, Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the remote post found by its image's description", func() bool { return found("peak flow diary") == pic.URI })
	})
}
