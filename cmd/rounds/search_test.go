package main

import (
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
