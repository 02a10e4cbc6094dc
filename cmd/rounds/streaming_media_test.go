package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// The public streams' media variants (only_media=true over SSE, the
// `public:media` names, and only_media in a WebSocket subscribe message)
// carry only posts with images, as Mastodon's streaming server does; the
// plain streams carry both.
func TestOnlyMediaStreamsCarryOnlyPostsWithMedia(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		alice := signIn(t, n, "alice")
		tok := alice.Config.AccessToken
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		all := openSSE(t, ctx, n.base, tok, "/api/v1/streaming/public/local")
		media := openSSE(t, ctx, n.base, tok, "/api/v1/streaming/public/local?only_media=true")
		mediaAll := openSSE(t, ctx, n.base, tok, "/api/v1/streaming/public?only_media=1")
		ws := openWS(t, ctx, n.base, tok, "")
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","stream":"public:local","only_media":true}`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // the subscription is in place

		text, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "Words only, no picture", Visibility: "public"})
		if err != nil {
			t.Fatal(err)
		}
		att := uploadPNG(t, alice, 20, 20, "A chart of ward admissions")
		pic, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "With a chart", MediaIDs: []mastodon.ID{att.ID}, Visibility: "public"})
		if err != nil {
			t.Fatal(err)
		}
		waitSSE(t, ctx, all, text.ID, "the text post on the local stream")
		waitSSE(t, ctx, all, pic.ID, "the picture post on the local stream")
		for name, s := range map[string]*sseStream{"local only_media": media, "public only_media": mediaAll} {
			// The first update a media stream carries is the picture post:
			// the text post, made before it, never came.
			select {
			case d := <-s.data:
				if strings.Contains(d, `"id":"`+string(text.ID)+`"`) || !strings.Contains(d, `"id":"`+string(pic.ID)+`"`) {
					t.Fatalf("%s stream: first event %.300s, want only the post with media", name, d)
				}
			case <-ctx.Done():
				t.Fatalf("%s stream: no event", name)
			}
		}
		m := readWS(t, ctx, ws, "the WebSocket media stream")
		if m.Event != "update" || !strings.Contains(m.Payload, `"id":"`+string(pic.ID)+`"`) || strings.Join(m.Stream, ",") != "public:local:media" {
			t.Fatalf("WebSocket media stream: first message %+v, want the post with media on public:local:media", m)
		}
	})
}
