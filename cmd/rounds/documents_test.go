package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func getAS(t *testing.T, url string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &doc)
	return resp.StatusCode, doc, resp.Header
}

func TestDiscoveryDocumentsAndContentNegotiation(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		doc := n.user(t, "doc", false)
		pub, err := n.svc.PostStatus(ctx, doc, social.NewStatus{Text: "Public <teaching> point", SpoilerText: "cw"})
		if err != nil {
			t.Fatal(err)
		}
		priv, err := n.svc.PostStatus(ctx, doc, social.NewStatus{Text: "followers only", Visibility: social.VisibilityPrivate})
		if err != nil {
			t.Fatal(err)
		}

		// WebFinger round trip: acct -> actor -> preferredUsername@domain.
		code, body := get(t, n.base+"/.well-known/webfinger?resource=acct:doc@"+n.domain)
		if code != 200 {
			t.Fatalf("webfinger = %d %s", code, body)
		}
		var jrd struct {
			Subject string
			Links   []struct{ Rel, Type, Href string }
		}
		_ = json.Unmarshal([]byte(body), &jrd)
		if jrd.Subject != "acct:doc@"+n.domain || len(jrd.Links) == 0 || jrd.Links[0].Rel != "self" || jrd.Links[0].Type != "application/activity+json" || jrd.Links[0].Href != doc.URI {
			t.Fatalf("webfinger = %s", body)
		}
		code, actor, hdr := getAS(t, jrd.Links[0].Href)
		if code != 200 || actor["id"] != doc.URI || actor["preferredUsername"] != "doc" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/activity+json") {
			t.Fatalf("actor = %d %v", code, actor)
		}
		if ep, _ := actor["endpoints"].(map[string]any); ep["sharedInbox"] != n.base+"/inbox" {
			t.Fatalf("sharedInbox = %v", actor["endpoints"])
		}
		if pk, _ := actor["publicKey"].(map[string]any); pk["id"] != doc.URI+"#main-key" || pk["owner"] != doc.URI || !strings.Contains(pk["publicKeyPem"].(string), "BEGIN PUBLIC KEY") {
			t.Fatalf("publicKey = %v", actor["publicKey"])
		}
		if code, body := get(t, n.base+"/.well-known/webfinger?resource="+doc.URI); code != 200 || !strings.Contains(body, "acct:doc@") {
			t.Fatalf("webfinger by actor URL = %d %s", code, body)
		}
		if code, _ := get(t, n.base+"/.well-known/webfinger?resource=acct:nobody@"+n.domain); code != 404 {
			t.Fatalf("unknown account = %d", code)
		}
		if code, _ := get(t, n.base+"/.well-known/webfinger"); code != 400 {
			t.Fatalf("no resource = %d", code)
		}
		if code, body := get(t, n.base+"/.well-known/host-meta"); code != 200 || !strings.Contains(body, `/.well-known/webfinger?resource={uri}`) {
			t.Fatalf("host-meta = %d %s", code, body)
		}

		// NodeInfo 2.0 and 2.1.
		_, links := get(t, n.base+"/.well-known/nodeinfo")
		for _, v := range []string{"2.0", "2.1"} {
			if !strings.Contains(links, "/nodeinfo/"+v) {
				t.Fatalf("nodeinfo links lack %s: %s", v, links)
			}
			code, body := get(t, n.base+"/nodeinfo/"+v)
			var ni struct {
				Version  string
				Software struct{ Name, Version string }
				Usage    struct {
					Users      struct{ Total int }
					LocalPosts int
				}
				Protocols         []string
				OpenRegistrations bool
			}
			_ = json.Unmarshal([]byte(body), &ni)
			if code != 200 || ni.Version != v || ni.Software.Name != "rounds" || ni.Usage.Users.Total != 1 || ni.Usage.LocalPosts != 2 || len(ni.Protocols) != 1 {
				t.Fatalf("nodeinfo %s = %d %s", v, code, body)
			}
		}

		// A status as a Note, with Mastodon's addressing; followers-only
		// is not public.
		code, note, _ := getAS(t, pub.URI)
		if code != 200 || note["type"] != "Note" || note["summary"] != "cw" || note["sensitive"] != true || note["attributedTo"] != doc.URI {
			t.Fatalf("note = %d %v", code, note)
		}
		if to, _ := note["to"].([]any); len(to) != 1 || to[0] != "https://www.w3.org/ns/activitystreams#Public" {
			t.Fatalf("to = %v", note["to"])
		}
		if !strings.Contains(note["content"].(string), "&lt;teaching&gt;") {
			t.Fatalf("content not escaped: %v", note["content"])
		}
		if code, _, _ := getAS(t, priv.URI); code != 404 {
			t.Fatalf("followers-only status fetched unsigned = %d", code)
		}

		// A browser gets a page.
		resp, err := http.Get(doc.URI)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "@doc@"+n.domain) || !strings.Contains(string(page), "&lt;teaching&gt;") {
			t.Fatalf("profile page = %d %s", resp.StatusCode, page)
		}
		if strings.Contains(string(page), "followers only") {
			t.Fatal("the public page shows a followers-only post")
		}

		// Collections: totals, and pages with the items.
		code, outbox, _ := getAS(t, doc.OutboxURL)
		if code != 200 || outbox["type"] != "OrderedCollection" || outbox["totalItems"] != float64(2) || outbox["first"] != doc.OutboxURL+"?page=true" {
			t.Fatalf("outbox = %v", outbox)
		}
		_, first, _ := getAS(t, doc.OutboxURL+"?page=true")
		items, _ := first["orderedItems"].([]any)
		if first["type"] != "OrderedCollectionPage" || len(items) != 1 || items[0].(map[string]any)["type"] != "Create" {
			t.Fatalf("outbox page = %v", first)
		}
		if code, feat, _ := getAS(t, doc.FeaturedURL); code != 200 || feat["type"] != "OrderedCollection" {
			t.Fatalf("featured = %d %v", code, feat)
		}
	})
}

func TestAuthorizedFetchRequiresSignedGets(t *testing.T) {
	ctx := context.Background()
	locked := startNodeWith(t, storage.SQLite, func(rc *rawConfig) { rc.authorizedFetch = true })
	other := startNode(t, storage.SQLite)
	doc := locked.user(t, "doc", false)

	if code, _, _ := getAS(t, doc.URI); code != http.StatusUnauthorized {
		t.Fatalf("unsigned actor GET in authorized-fetch mode = %d, want 401", code)
	}
	// The instance actor stays readable, or nobody could check our
	// signatures.
	if code, a, _ := getAS(t, locked.base+"/actor"); code != 200 || a["type"] != "Application" {
		t.Fatalf("instance actor = %d %v", code, a)
	}
	// Another server's signed fetch works.
	got, err := other.fed.ResolveAccount(ctx, "doc@"+locked.domain)
	if err != nil {
		t.Fatal(err)
	}
	if got.URI != doc.URI {
		t.Fatalf("resolved %s", got.URI)
	}
	// A browser still gets the page.
	resp, err := http.Get(doc.URI)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("browser GET = %d", resp.StatusCode)
	}
}
