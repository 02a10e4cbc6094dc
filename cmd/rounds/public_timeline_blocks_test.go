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

	"rounds/storage"
	"rounds/storage/storagetest"
)

// The public and hashtag timelines leave out, for a signed-in reader, the
// posts of accounts the reader blocks or mutes and of accounts that block
// the reader, as Mastodon's do; anonymous readers and others still see them.
func TestPublicTimelinesHideBlockedAndMutedAccounts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		carol := n.user(t, "carol", false)
		n.user(t, "bob", false)
		n.user(t, "dave", false)
		aliceTok := tokenFor(t, n, "alice", "read write follow")
		bobTok := tokenFor(t, n, "bob", "read write follow")
		carolTok := tokenFor(t, n, "carol", "read write")
		daveTok := tokenFor(t, n, "dave", "read")
		bob, _ := n.svc.AccountByAcct(t.Context(), "bob", "")

		for tok, text := range map[string]string{aliceTok: "Wombat rounds at #ward9", carolTok: "Numbat rounds at #ward9"} {
			if code, body := call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {text}}); code != http.StatusOK {
				t.Fatalf("post %q: %d %v", text, code, body)
			}
		}
		// alice blocks bob; bob mutes carol.
		if code, body := call(t, n, aliceTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/block", bob.ID), nil); code != http.StatusOK {
			t.Fatalf("alice blocks bob: %d %v", code, body)
		}
		if code, body := call(t, n, bobTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/mute", carol.ID), nil); code != http.StatusOK {
			t.Fatalf("bob mutes carol: %d %v", code, body)
		}
		for _, path := range []string{"/api/v1/timelines/public", "/api/v1/timelines/public?local=true", "/api/v1/timelines/tag/ward9"} {
			for who, tok := range map[string]string{"bob": bobTok, "dave": daveTok, "anonymous": ""} {
				_, body := rawDo(t, nil, n, tok, "GET", path, nil, "")
				hidden := who == "bob"
				for _, word := range []string{"Wombat", "Numbat"} {
					if shows := strings.Contains(body, word); shows == hidden {
						t.Errorf("%s reading %s: shows %s %v, want %v", who, path, word, shows, !hidden)
					}
				}
			}
		}
	})
}

// The live streams leave out, for their listener, the posts of accounts the
// listener blocks or mutes, as the timelines do; other listeners get them.
func TestStreamsHideBlockedAndMutedAccounts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		carol, eve := n.user(t, "carol", false), n.user(t, "eve", false)
		n.user(t, "bob", false)
		n.user(t, "dave", false)
		n.user(t, "frank", false)
		bobTok := tokenFor(t, n, "bob", "read write follow")
		daveTok := tokenFor(t, n, "dave", "read")
		carolTok := tokenFor(t, n, "carol", "read write")
		eveTok := tokenFor(t, n, "eve", "read write")
		frankTok := tokenFor(t, n, "frank", "read write")
		if code, body := call(t, n, bobTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/mute", carol.ID), nil); code != http.StatusOK {
			t.Fatalf("bob mutes carol: %d %v", code, body)
		}
		if code, body := call(t, n, bobTok, "POST", fmt.Sprintf("/api/v1/accounts/%d/block", eve.ID), nil); code != http.StatusOK {
			t.Fatalf("bob blocks eve: %d %v", code, body)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		bobStream := openSSE(t, ctx, n.base, bobTok, "/api/v1/streaming/public/local")
		daveStream := openSSE(t, ctx, n.base, daveTok, "/api/v1/streaming/public/local")
		time.Sleep(200 * time.Millisecond) // both listening

		post := func(tok, text string) mastodon.ID {
			code, body := call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {text}})
			if code != http.StatusOK {
				t.Fatalf("post %q: %d %v", text, code, body)
			}
			return mastodon.ID(body["id"].(string))
		}
		muted := post(carolTok, "Numbat rounds")
		blocked := post(eveTok, "Bilby rounds")
		last := post(frankTok, "Quoll rounds")
		for _, id := range []mastodon.ID{muted, blocked, last} {
			waitSSE(t, ctx, daveStream, id, "dave's stream")
		}
		// bob's first update is frank's: carol's and eve's, sent before it,
		// never came.
		for {
			select {
			case d := <-bobStream.data:
				if strings.Contains(d, `"id":"`+string(muted)+`"`) || strings.Contains(d, `"id":"`+string(blocked)+`"`) {
					t.Fatalf("bob's stream carried a post of an account he mutes or blocks: %.300s", d)
				}
				if strings.Contains(d, `"id":"`+string(last)+`"`) {
					return
				}
			case <-ctx.Done():
				t.Fatal("bob's stream: frank's post never came")
			}
		}
	})
}
