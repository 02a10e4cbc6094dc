package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// inHomeOf reports whether the status id is on the first page of c's home
// timeline.
func inHomeOf(t *testing.T, c *mastodon.Client, id mastodon.ID) bool {
	t.Helper()
	home, err := c.GetTimelineHome(context.Background(), &mastodon.Pagination{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range home {
		if st.ID == id {
			return true
		}
	}
	return false
}

// A followed hashtag brings a stranger's public posts into the home
// timeline and the user stream once their send delay has passed (never
// before), and a remote post with it as it arrives; not an unlisted one,
// not one of someone blocked, and none after the unfollow.
func TestFollowedTagBringsPublicPostsHomeAfterTheirDelay(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		a, b := startNode(t, dialect), startNode(t, dialect)
		a.user(t, "alice", false)
		carol := a.user(t, "carol", false)
		erin := a.user(t, "erin", false)
		dave := a.user(t, "dave", false)
		b.user(t, "bob", false)
		ca := signIn(t, a, "alice")

		// The tag before: no use, not followed; then followed (twice:
		// idempotent), case-insensitively.
		before, err := ca.TagInfo(ctx, "Cardiology")
		if err != nil {
			t.Fatal(err)
		}
		if before.Name != "cardiology" || before.Following || len(before.History) != 7 || before.URL != a.base+"/tags/cardiology" {
			t.Fatalf("tag before following: %+v", before)
		}
		for range 2 {
			tag, err := ca.TagFollow(ctx, "Cardiology")
			if err != nil {
				t.Fatal(err)
			}
			if !tag.Following || tag.Name != "cardiology" {
				t.Fatalf("after follow: %+v", tag)
			}
		}
		if _, err := ca.TagFollow(ctx, "ecg"); err != nil {
			t.Fatal(err)
		}
		followed, err := ca.TagsFollowed(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(followed) != 2 || followed[0].Name != "ecg" || followed[1].Name != "cardiology" || !followed[1].Following {
			t.Fatalf("followed tags: %+v", followed)
		}
		eriAcct := mastodon.ID(fmt.Sprint(erin.ID))
		if _, err := ca.AccountBlock(ctx, eriAcct); err != nil {
			t.Fatal(err)
		}

		events, err := ca.NewWSClient().StreamingWSUser(ctx)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // let the socket subscribe

		const delay = 2 * time.Second
		d := social.Duration(delay)
		if _, err := a.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		post := func(who *storage.Account, text, visibility string) mastodon.ID {
			t.Helper()
			st, err := a.svc.PostStatus(ctx, who, social.NewStatus{Text: text, Visibility: visibility})
			if err != nil {
				t.Fatal(err)
			}
			return mastodon.ID(fmt.Sprint(st.ID))
		}
		unlisted := post(carol, "Quiet note on #cardiology rounds", social.VisibilityUnlisted)
		blocked := post(erin, "Blocked author on #Cardiology", social.VisibilityPublic)
		untagged := post(carol, "Nothing tagged here", social.VisibilityPublic)
		public := post(carol, "Grand rounds on #Cardiology at noon", social.VisibilityPublic)
		posted := time.Now()
		if inHomeOf(t, ca, public) {
			t.Fatal("the tagged post is in the follower's home before its send delay passed")
		}
		alice, err := a.svc.LocalAccount(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		// Waited for through the service: polling the API would soon meet
		// its rate limit, which the client library then waits out.
		waitInHome(t, a, alice, fmt.Sprintf("%s/users/carol/statuses/%s", a.base, public), "the tagged post in alice's home timeline")
		if !inHomeOf(t, ca, public) {
			t.Fatal("the tagged post is not in alice's home timeline through the API")
		}
		if since := time.Since(posted); since < delay {
			t.Fatalf("the tagged post reached the home timeline %v after posting, before its %v delay", since, delay)
		}
		for name, id := range map[string]mastodon.ID{"unlisted": unlisted, "blocked author's": blocked, "untagged": untagged} {
			if inHomeOf(t, ca, id) {
				t.Errorf("the %s post is in alice's home timeline", name)
			}
		}
		timeout := time.After(15 * time.Second)
	stream:
		for {
			select {
			case ev := <-events:
				if e, ok := ev.(*mastodon.ErrorEvent); ok {
					t.Fatalf("stream error: %v", e.Err)
				}
				if ue, ok := ev.(*mastodon.UpdateEvent); ok {
					if ue.Status.ID != public {
						t.Fatalf("the user stream sent %s (%s), not the followed tag's post", ue.Status.ID, ue.Status.Content)
					}
					break stream
				}
			case <-timeout:
				t.Fatal("the followed tag's post did not come on the user stream")
			}
		}

		// A remote post with the tag, delivered here because dave follows
		// its author, reaches alice too.
		followAcross(t, a, dave, b, "bob")
		bobsPost, err := signIn(t, b, "bob").PostStatus(ctx, &mastodon.Toot{Status: "From the other hospital: #cardiology audit", Visibility: "public"})
		if err != nil {
			t.Fatal(err)
		}
		waitInHome(t, a, alice, bobsPost.URI, "bob's remote post with the tag in alice's home")

		// After the unfollow, new posts with the tag stay out.
		tag, err := ca.TagUnfollow(ctx, "cardiology")
		if err != nil || tag.Following {
			t.Fatalf("unfollow: %+v %v", tag, err)
		}
		later := post(carol, "Second #cardiology session", social.VisibilityPublic)
		eventually(t, "the later post published", func() bool {
			st, err := a.svc.StatusByID(ctx, mustInt(t, string(later)))
			return err == nil && !st.Pending()
		})
		if inHomeOf(t, ca, later) {
			t.Fatal("a post with an unfollowed tag reached the home timeline")
		}
		if !inHomeOf(t, ca, public) {
			t.Fatal("the posts a tag brought left the home timeline at the unfollow")
		}
	})
}

// The Tag entity: anonymous readers get no following or featuring, a name
// that cannot be a hashtag is 404, one never used is answered with an
// empty week; followed tags page with a Link header; the scopes are
// Mastodon's.
func TestTagEntityPagingAndScopes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice := n.user(t, "alice", false)
		if _, err := n.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Morning #handover"}); err != nil {
			t.Fatal(err)
		}
		code, body := call(t, n, "", "GET", "/api/v1/tags/Handover", nil)
		if code != http.StatusOK {
			t.Fatalf("anonymous tag: %d %v", code, body)
		}
		requireKeys(t, "tag", body, "id", "name", "url", "history")
		if _, ok := body["following"]; ok {
			t.Error("an anonymous reader is told following")
		}
		if _, ok := body["featuring"]; ok {
			t.Error("an anonymous reader is told featuring")
		}
		hist, _ := body["history"].([]any)
		if len(hist) != 7 {
			t.Fatalf("history of %d days", len(hist))
		}
		today, _ := hist[0].(map[string]any)
		if today["uses"] != "1" || today["accounts"] != "1" {
			t.Fatalf("today's use: %v", today)
		}
		for _, bad := range []string{"12345", "no%20spaces", strings.Repeat("x", 101)} {
			if code, _ := call(t, n, "", "GET", "/api/v1/tags/"+bad, nil); code != http.StatusNotFound {
				t.Errorf("tag %q: %d, want 404", bad, code)
			}
		}
		code, body = call(t, n, "", "GET", "/api/v1/tags/neverused", nil)
		if code != http.StatusOK || body["name"] != "neverused" || body["id"] != "" {
			t.Fatalf("unused tag: %d %v", code, body)
		}

		tok := tokenFor(t, n, "alice", "read write:follows")
		code, body = call(t, n, tok, "GET", "/api/v1/tags/handover", nil)
		if code != http.StatusOK || body["following"] != false || body["featuring"] != false {
			t.Fatalf("signed-in tag: %d %v", code, body)
		}
		for _, name := range []string{"one", "two", "three"} {
			if code, body := call(t, n, tok, "POST", "/api/v1/tags/"+name+"/follow", nil); code != http.StatusOK || body["following"] != true {
				t.Fatalf("follow %s: %d %v", name, code, body)
			}
		}
		// write:follows does not feature; read does not follow.
		if code, _ := call(t, n, tok, "POST", "/api/v1/tags/one/feature", nil); code != http.StatusForbidden {
			t.Errorf("feature with write:follows: %d, want 403", code)
		}
		if code, _ := call(t, n, tokenFor(t, n, "alice", "read"), "POST", "/api/v1/tags/one/unfollow", nil); code != http.StatusForbidden {
			t.Errorf("unfollow with read: %d, want 403", code)
		}
		if code, _ := call(t, n, tokenFor(t, n, "alice", "write"), "GET", "/api/v1/followed_tags", nil); code != http.StatusForbidden {
			t.Errorf("followed_tags with write: %d, want 403", code)
		}

		// Two a page: the newest follows first, then the Link's next page.
		c := signIn(t, n, "alice")
		pg := &mastodon.Pagination{Limit: 2}
		first, err := c.TagsFollowed(ctx, pg)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 2 || first[0].Name != "three" || first[1].Name != "two" || pg.MaxID == "" {
			t.Fatalf("first page %+v, next max_id %q", first, pg.MaxID)
		}
		second, err := c.TagsFollowed(ctx, &mastodon.Pagination{MaxID: pg.MaxID, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(second) != 1 || second[0].Name != "one" {
			t.Fatalf("second page %+v", second)
		}
		// Without a send delay a post with a followed tag reaches the home
		// timeline as it is written.
		carol := n.user(t, "carol", false)
		st, err := n.svc.PostStatus(ctx, carol, social.NewStatus{Text: "Shift swap? #one"})
		if err != nil {
			t.Fatal(err)
		}
		if !inHomeOf(t, signIn(t, n, "alice"), mastodon.ID(fmt.Sprint(st.ID))) {
			t.Fatal("a post with a followed tag, sent at once, is not in the home timeline")
		}

		// Search tells a signed-in person which hashtags they follow.
		_, body = call(t, n, tok, "GET", "/api/v2/search?type=hashtags&q=%23one", nil)
		if tags, _ := body["hashtags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["following"] != true {
			t.Fatalf("search for a followed tag: %v", body)
		}
		code, body = call(t, n, tok, "GET", "/api/v1/followed_tags?limit=500", nil)
		if list, _ := body["list"].([]any); code != http.StatusOK || len(list) != 3 {
			t.Fatalf("followed_tags over the limit: %d %v", code, body)
		}
	})
}

// Featured tags: created, listed with their counts, limited to ten,
// suggested from the most used, deleted; shown to anyone for an account;
// served as the actor's featuredTags collection and read from there by
// another Rounds server.
func TestFeaturedTagsCRUDLimitSuggestionsAndFederation(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "carol", false)
		for _, text := range []string{"#Cardiology one", "#cardiology two", "#cardiology three #ecg"} {
			if _, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: text}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "private #cardiology", Visibility: social.VisibilityPrivate}); err != nil {
			t.Fatal(err)
		}
		tok := tokenFor(t, a, "alice", "read write")

		code, body := call(t, a, tok, "GET", "/api/v1/featured_tags/suggestions", nil)
		list, _ := body["list"].([]any)
		if code != http.StatusOK || len(list) != 2 || list[0].(map[string]any)["name"] != "cardiology" || list[1].(map[string]any)["name"] != "ecg" {
			t.Fatalf("suggestions: %d %v", code, body)
		}
		requireKeys(t, "suggestion", list[0].(map[string]any), "name", "url", "history", "following", "featuring")

		code, ft := call(t, a, tok, "POST", "/api/v1/featured_tags", url.Values{"name": {"Cardiology"}})
		if code != http.StatusOK {
			t.Fatalf("feature: %d %v", code, ft)
		}
		today := time.Now().UTC().Format("2006-01-02")
		if ft["name"] != "cardiology" || ft["statuses_count"] != "3" || ft["last_status_at"] != today || ft["url"] != a.base+"/@alice/tagged/cardiology" {
			t.Fatalf("featured tag: %v", ft)
		}
		if code, again := call(t, a, tok, "POST", "/api/v1/featured_tags", url.Values{"name": {"#cardiology"}}); code != http.StatusOK || again["id"] != ft["id"] {
			t.Fatalf("featuring it again: %d %v, want the same %v", code, again, ft["id"])
		}
		_, body = call(t, a, tok, "GET", "/api/v1/featured_tags/suggestions", nil)
		if list, _ := body["list"].([]any); len(list) != 1 || list[0].(map[string]any)["name"] != "ecg" {
			t.Fatalf("suggestions after featuring: %v", body)
		}
		for _, bad := range []string{"", "12345", "two words"} {
			if code, _ := call(t, a, tok, "POST", "/api/v1/featured_tags", url.Values{"name": {bad}}); code != http.StatusUnprocessableEntity {
				t.Errorf("featuring %q: %d, want 422", bad, code)
			}
		}
		code, tag := call(t, a, tok, "POST", "/api/v1/tags/ecg/feature", nil)
		if code != http.StatusOK || tag["featuring"] != true || tag["following"] != false {
			t.Fatalf("feature by tag: %d %v", code, tag)
		}
		for i := range 8 {
			if code, body := call(t, a, tok, "POST", "/api/v1/featured_tags", url.Values{"name": {fmt.Sprintf("topic%d", i)}}); code != http.StatusOK {
				t.Fatalf("feature topic%d: %d %v", i, code, body)
			}
		}
		code, body = call(t, a, tok, "POST", "/api/v1/featured_tags", url.Values{"name": {"eleventh"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(body["error"]), "maximum number of hashtags") {
			t.Fatalf("an eleventh featured tag: %d %v", code, body)
		}
		if code, _ := call(t, a, tok, "POST", "/api/v1/tags/eleventh/feature", nil); code != http.StatusUnprocessableEntity {
			t.Fatalf("an eleventh featured tag by tag: %d", code)
		}
		if code, _ := call(t, a, tok, "POST", "/api/v1/tags/ecg/feature", nil); code != http.StatusOK {
			t.Fatalf("featuring a featured tag again at the limit: %d", code)
		}
		code, body = call(t, a, "", "GET", fmt.Sprintf("/api/v1/accounts/%d/featured_tags", alice.ID), nil)
		if list, _ := body["list"].([]any); code != http.StatusOK || len(list) != 10 {
			t.Fatalf("public featured tags: %d %v", code, body)
		}
		requireKeys(t, "featured tag", body["list"].([]any)[0].(map[string]any), "id", "name", "url", "statuses_count", "last_status_at")
		if unused := body["list"].([]any)[9].(map[string]any); unused["statuses_count"] != "0" || unused["last_status_at"] != nil {
			t.Fatalf("a featured tag never used: %v", unused)
		}

		carolTok := tokenFor(t, a, "carol", "read write")
		id := fmt.Sprint(ft["id"])
		if code, _ := call(t, a, carolTok, "DELETE", "/api/v1/featured_tags/"+id, nil); code != http.StatusNotFound {
			t.Fatalf("carol deleting alice's featured tag: %d, want 404", code)
		}
		if code, body := call(t, a, tok, "DELETE", "/api/v1/featured_tags/"+id, nil); code != http.StatusOK || len(body) != 0 {
			t.Fatalf("delete: %d %v", code, body)
		}
		if code, _ := call(t, a, tok, "DELETE", "/api/v1/featured_tags/"+id, nil); code != http.StatusNotFound {
			t.Fatalf("deleting it again: %d, want 404", code)
		}
		if code, tag := call(t, a, tok, "POST", "/api/v1/tags/ecg/unfeature", nil); code != http.StatusOK || tag["featuring"] != false {
			t.Fatalf("unfeature: %d %v", code, tag)
		}
		code, body = call(t, a, tok, "GET", "/api/v1/featured_tags", nil)
		if list, _ := body["list"].([]any); code != http.StatusOK || len(list) != 8 {
			t.Fatalf("own featured tags: %d %v", code, body)
		}

		// The page a featured tag links to shows the posts with the tag.
		code, page := get(t, a.base+"/@alice/tagged/ecg")
		if code != http.StatusOK || !strings.Contains(page, "three") || strings.Contains(page, "two</p>") {
			t.Fatalf("the tagged profile page: %d\n%s", code, page)
		}

		// Federation: the actor names its collection, which lists Hashtags.
		actor := fetchAS(t, a.base+"/users/alice")
		if actor["featuredTags"] != a.base+"/users/alice/collections/tags" {
			t.Fatalf("the actor's featuredTags: %v", actor["featuredTags"])
		}
		coll := fetchAS(t, a.base+"/users/alice/collections/tags")
		items, _ := coll["items"].([]any)
		if coll["type"] != "Collection" || len(items) != 8 {
			t.Fatalf("featuredTags collection: %v", coll)
		}
		first, _ := items[0].(map[string]any)
		if first["type"] != "Hashtag" || first["name"] != "#topic0" || first["href"] != a.base+"/@alice/tagged/topic0" {
			t.Fatalf("a featured Hashtag: %v", first)
		}
		// ... and the other server reads it when it fetches the actor.
		remote, err := b.fed.ResolveAccount(ctx, "alice@"+a.domain)
		if err != nil {
			t.Fatal(err)
		}
		var got []any
		eventually(t, "alice's featured tags on the other server", func() bool {
			_, body := call(t, b, "", "GET", fmt.Sprintf("/api/v1/accounts/%d/featured_tags", remote.ID), nil)
			got, _ = body["list"].([]any)
			return len(got) == 8
		})
		if g := got[0].(map[string]any); g["name"] != "topic0" || g["url"] != a.base+"/@alice/tagged/topic0" {
			t.Fatalf("a remote featured tag: %v", g)
		}
		// A change reaches the servers of alice's followers: the actor is
		// sent again and its collection read again.
		followAcross(t, b, b.user(t, "bob", false), a, "alice")
		remoteNames := func() string {
			_, body := call(t, b, "", "GET", fmt.Sprintf("/api/v1/accounts/%d/featured_tags", remote.ID), nil)
			list, _ := body["list"].([]any)
			var names []string
			for _, it := range list {
				names = append(names, fmt.Sprint(it.(map[string]any)["name"]))
			}
			return strings.Join(names, ",")
		}
		if code, _ := call(t, a, tok, "POST", "/api/v1/tags/handover/feature", nil); code != http.StatusOK {
			t.Fatalf("feature handover: %d", code)
		}
		eventually(t, "the newly featured tag on the other server", func() bool { return strings.HasSuffix(remoteNames(), ",handover") })
		if code, _ := call(t, a, tok, "POST", "/api/v1/tags/topic0/unfeature", nil); code != http.StatusOK {
			t.Fatalf("unfeature topic0: %d", code)
		}
		eventually(t, "the unfeatured tag gone on the other server", func() bool { return !strings.Contains(remoteNames(), "topic0") })
	})
}

// fetchAS GETs an ActivityPub document.
func fetchAS(t *testing.T, u string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &m) != nil {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, raw)
	}
	return m
}

// A Mastodon account's featured hashtags: read from its featuredTags when
// its actor is fetched, and again when its server announces a change as
// an Add or Remove of a Hashtag to that collection (Mastodon sends no
// Update of the actor then).
func TestRemoteFeaturedTagsFollowAddAndRemove(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		fake := newFakeRemote(t, fakeRemoteOptions{}, "mia")
		mia := fake.actor("mia")
		plain := mia.doc
		var doc map[string]any
		if err := json.Unmarshal(mia.doc, &doc); err != nil {
			t.Fatal(err)
		}
		collection := mia.id + "/collections/tags"
		doc["featuredTags"] = collection
		withTags, _ := json.Marshal(doc)
		fake.setActorDoc("mia", withTags)
		setTags := func(names ...string) {
			var tags []federation.Tag
			for _, name := range names {
				tags = append(tags, federation.Tag{Type: "Hashtag", Href: fake.base + "/tags/" + name, Name: "#" + name})
			}
			body, err := federation.MarshalHashtagCollection(collection, tags)
			if err != nil {
				t.Fatal(err)
			}
			fake.setDoc("/users/mia/collections/tags", body)
		}
		setTags("Nephrology")
		remote, err := n.fed.FetchActor(ctx, mia.id)
		if err != nil {
			t.Fatal(err)
		}
		names := func() string {
			_, body := call(t, n, "", "GET", fmt.Sprintf("/api/v1/accounts/%d/featured_tags", remote.ID), nil)
			list, _ := body["list"].([]any)
			var out []string
			for _, it := range list {
				out = append(out, fmt.Sprint(it.(map[string]any)["name"]))
			}
			return strings.Join(out, ",")
		}
		eventually(t, "mia's featured tag read", func() bool { return names() == "nephrology" })

		announce := func(typ, name string) {
			t.Helper()
			body, _ := json.Marshal(map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams", "id": fake.nextID("mia", "featured_tags"),
				"type": typ, "actor": mia.id, "target": collection,
				"object": map[string]any{"type": "Hashtag", "href": fake.base + "/tags/" + name, "name": "#" + name},
			})
			resp := fake.post(t, n.base+"/inbox", "mia", body, nil)
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("%s: %d", typ, resp.StatusCode)
			}
		}
		setTags("Nephrology", "dialysis")
		announce("Add", "dialysis")
		eventually(t, "the added tag read", func() bool { return names() == "nephrology,dialysis" })
		setTags("dialysis")
		announce("Remove", "Nephrology")
		eventually(t, "the removed tag gone", func() bool { return names() == "dialysis" })

		// An actor that no longer names a collection features nothing.
		fake.setActorDoc("mia", plain)
		if _, err := n.fed.FetchActor(ctx, mia.id); err != nil {
			t.Fatal(err)
		}
		if got := names(); got != "" {
			t.Fatalf("featured tags of an actor without featuredTags: %q", got)
		}
	})
}
