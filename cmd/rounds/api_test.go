package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// signIn registers an app and signs in as username with the password grant,
// as command-line clients do, through a real Mastodon client library.
func signIn(t *testing.T, n *node, username string) *mastodon.Client {
	t.Helper()
	ctx := context.Background()
	app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{
		Server: n.base, ClientName: "rounds-test", Scopes: "read write follow", RedirectURIs: "urn:ietf:wg:oauth:2.0:oob",
	})
	if err != nil {
		t.Fatalf("register app: %v", err)
	}
	c := mastodon.NewClient(&mastodon.Config{Server: n.base, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
	if err := c.Authenticate(ctx, username, "a long password"); err != nil {
		t.Fatalf("sign in as %s: %v", username, err)
	}
	return c
}

// rawGet fetches path with c's token and decodes the JSON.
func rawGet(t *testing.T, n *node, c *mastodon.Client, path string, v any) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", n.base+path, nil)
	if c != nil {
		req.Header.Set("Authorization", "Bearer "+c.Config.AccessToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: Content-Type %q, body %s", path, resp.Header.Get("Content-Type"), b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, b)
		}
	}
	return resp.StatusCode, resp.Header
}

var mastoTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
}

func TestMastodonClientPostsPagesAndInteracts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "aoife", false)
		c := signIn(t, n, "aoife")

		me, err := c.GetAccountCurrentUser(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if me.Username != "aoife" || me.Acct != "aoife" {
			t.Fatalf("verify_credentials = %+v", me)
		}
		var cred map[string]any
		rawGet(t, n, c, "/api/v1/accounts/verify_credentials", &cred)
		requireKeys(t, "credential account", cred, "id", "username", "acct", "url", "display_name", "note", "avatar", "avatar_static",
			"header", "header_static", "locked", "fields", "emojis", "bot", "group", "discoverable", "created_at", "last_status_at",
			"statuses_count", "followers_count", "following_count", "source", "role", "noindex", "limited", "moved")
		if _, ok := cred["id"].(string); !ok || !mastoTimeRE.MatchString(cred["created_at"].(string)) {
			t.Fatalf("id or created_at malformed: %v %v", cred["id"], cred["created_at"])
		}

		inst, err := c.GetInstance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(inst.Version, "4.3.0 (compatible; Rounds ") || inst.URI != n.domain {
			t.Fatalf("instance = %+v", inst)
		}
		var v2 map[string]any
		rawGet(t, n, nil, "/api/v2/instance", &v2)
		if v2["api_versions"].(map[string]any)["mastodon"] == nil || v2["configuration"].(map[string]any)["statuses"].(map[string]any)["max_characters"] != float64(500) {
			t.Fatalf("v2 instance = %v", v2)
		}

		// 25 posts, read back 10 at a time by following the Link header.
		var posted []mastodon.ID
		for i := 0; i < 25; i++ {
			st, err := c.PostStatus(ctx, &mastodon.Toot{Status: fmt.Sprintf("Teaching point %d #rounds", i)})
			if err != nil {
				t.Fatal(err)
			}
			posted = append(posted, st.ID)
		}
		seen := map[mastodon.ID]bool{}
		pg := &mastodon.Pagination{Limit: 10}
		for pages := 0; pages < 10; pages++ {
			sts, err := c.GetTimelineHome(ctx, pg)
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) == 0 {
				break
			}
			for _, st := range sts {
				if seen[st.ID] {
					t.Fatalf("%s appeared twice across pages", st.ID)
				}
				seen[st.ID] = true
			}
			if pg.MaxID == "" {
				break
			}
			pg = &mastodon.Pagination{MaxID: pg.MaxID, Limit: 10}
		}
		if len(seen) != 25 {
			t.Fatalf("paging saw %d of 25 posts", len(seen))
		}

		var st map[string]any
		rawGet(t, n, c, "/api/v1/statuses/"+string(posted[0]), &st)
		requireKeys(t, "status", st, "id", "uri", "url", "created_at", "account", "content", "visibility", "sensitive", "spoiler_text",
			"media_attachments", "application", "mentions", "tags", "emojis", "reblogs_count", "favourites_count", "replies_count",
			"reblog", "poll", "card", "language", "text", "edited_at", "in_reply_to_id", "in_reply_to_account_id", "favourited",
			"reblogged", "muted", "bookmarked", "pinned", "filtered")
		if tags := st["tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["name"] != "rounds" {
			t.Fatalf("tags = %v", st["tags"])
		}

		fav, err := c.Favourite(ctx, posted[0])
		if err != nil {
			t.Fatal(err)
		}
		if fav.Favourited != true || fav.FavouritesCount != 1 {
			t.Fatalf("after favourite: favourited %v count %d", fav.Favourited, fav.FavouritesCount)
		}
		boost, err := c.Reblog(ctx, posted[0])
		if err != nil {
			t.Fatal(err)
		}
		if boost.Reblog == nil || boost.Reblog.ID != posted[0] || boost.Reblog.Reblogged != true {
			t.Fatalf("reblog = %+v", boost)
		}
		orig, err := c.Unreblog(ctx, posted[0])
		if err != nil {
			t.Fatal(err)
		}
		if orig.ID != posted[0] || orig.Reblogged != false {
			t.Fatalf("unreblog answered %+v", orig)
		}

		// Bad input: clear errors, nothing stored.
		_, err = c.PostStatus(ctx, &mastodon.Toot{Status: "   "})
		var apiErr *mastodon.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(apiErr.Message, "can't be blank") {
			t.Fatalf("blank post = %v", err)
		}
		_, err = c.PostStatus(ctx, &mastodon.Toot{Status: strings.Repeat("x", 501)})
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("long post = %v", err)
		}
		var e map[string]any
		if code, _ := rawGet(t, n, c, "/api/v1/statuses/424242", &e); code != 404 || e["error"] == nil {
			t.Fatalf("missing status = %d %v", code, e)
		}
		if code, _ := rawGet(t, n, c, "/api/v1/no/such/route", &e); code != 404 || e["error"] == nil {
			t.Fatalf("unknown route = %d %v", code, e)
		}
		if code, _ := rawGet(t, n, nil, "/api/v1/timelines/home", &e); code != 401 || e["error"] == nil {
			t.Fatalf("home without a token = %d %v", code, e)
		}
		// A retry with the same Idempotency-Key returns the first post.
		postOnce := func() string {
			req, _ := http.NewRequest("POST", n.base+"/api/v1/statuses", strings.NewReader(`{"status":"Posted once, sent twice"}`))
			req.Header.Set("Authorization", "Bearer "+c.Config.AccessToken)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "retry-123")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var st map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&st)
			if resp.StatusCode != 200 {
				t.Fatalf("idempotent post = %d %v", resp.StatusCode, st)
			}
			return st["id"].(string)
		}
		if first, second := postOnce(), postOnce(); first != second {
			t.Fatalf("the retry made a second post: %s then %s", first, second)
		}
		me, _ = c.GetAccountCurrentUser(ctx)
		if me.StatusesCount != 26 {
			t.Fatalf("statuses_count = %d after the idempotent post, want 26", me.StatusesCount)
		}
		if err := c.DeleteStatus(ctx, posted[2]); err != nil {
			t.Fatal(err)
		}
		me, _ = c.GetAccountCurrentUser(ctx)
		if me.StatusesCount != 25 {
			t.Fatalf("statuses_count = %d, want 25: refused posts must not be stored", me.StatusesCount)
		}
		if err := c.DeleteStatus(ctx, posted[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetStatus(ctx, posted[1]); err == nil {
			t.Fatal("a deleted status is still there")
		}
	})
}

func TestMastodonClientsOnTwoServersFollowAndSeePosts(t *testing.T) {
	ctx := context.Background()
	a, b := startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	a.user(t, "alice", false)
	b.user(t, "bob", false)
	ca, cb := signIn(t, a, "alice"), signIn(t, b, "bob")

	res, err := ca.Search(ctx, "@bob@"+b.domain, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accounts) != 1 || res.Accounts[0].Acct != "bob@"+b.domain {
		t.Fatalf("search = %+v", res.Accounts)
	}
	rel, err := ca.AccountFollow(ctx, res.Accounts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Following && !rel.Requested {
		t.Fatalf("relationship after follow = %+v", rel)
	}
	eventually(t, "the follow being accepted", func() bool {
		rels, err := ca.GetAccountRelationships(ctx, []string{string(res.Accounts[0].ID)})
		return err == nil && len(rels) == 1 && rels[0].Following
	})
	// bob hears of the new follower, and of a mention.
	eventually(t, "bob's follow notification", func() bool {
		ns, err := cb.GetNotifications(ctx, nil)
		return err == nil && len(ns) == 1 && ns[0].Type == "follow" && ns[0].Account.Acct == "alice@"+a.domain
	})
	if _, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Thanks for sharing, @bob@" + b.domain + "!"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob's mention notification", func() bool {
		ns, err := cb.GetNotifications(ctx, nil)
		return err == nil && len(ns) == 2 && ns[0].Type == "mention" && ns[0].Status != nil && strings.Contains(ns[0].Status.Content, "Thanks for sharing")
	})
	// An image with alt text, uploaded and attached as apps do.
	img := testPNG(t, 64, 48)
	att, err := cb.UploadMediaFromMedia(ctx, &mastodon.Media{File: bytes.NewReader(img), Description: "Handover board, names hidden"})
	if err != nil {
		t.Fatal(err)
	}
	if att.Description != "Handover board, names hidden" || att.URL == "" || att.Meta.Original.Width != 64 {
		t.Fatalf("attachment = %+v", att)
	}
	resp, err := http.Get(att.URL)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(served, img) {
		t.Fatalf("media URL = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if _, err := cb.UploadMediaFromMedia(ctx, &mastodon.Media{File: strings.NewReader("not an image at all")}); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("text upload = %v", err)
	}
	post, err := cb.PostStatus(ctx, &mastodon.Toot{Status: "Morning handover done. #nursing", MediaIDs: []mastodon.ID{att.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(post.MediaAttachments) != 1 || post.MediaAttachments[0].ID != att.ID {
		t.Fatalf("post media = %+v", post.MediaAttachments)
	}
	if _, err := cb.PostStatus(ctx, &mastodon.Toot{Status: "again", MediaIDs: []mastodon.ID{att.ID}}); err == nil {
		t.Fatal("one upload was attached to two posts")
	}
	eventually(t, "bob's post in alice's home timeline", func() bool {
		sts, err := ca.GetTimelineHome(ctx, &mastodon.Pagination{Limit: 40})
		if err != nil {
			return false
		}
		for _, st := range sts {
			if st.URI == post.URI {
				return st.Account.Acct == "bob@"+b.domain && len(st.MediaAttachments) == 1 &&
					st.MediaAttachments[0].Description == "Handover board, names hidden" &&
					st.MediaAttachments[0].RemoteURL == att.URL
			}
		}
		return false
	})
}

// testPNG makes a small real PNG image.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
