package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mattn/go-mastodon"

	"rounds/storage"
)

func TestStreamingDeliversNotificationsAndUpdates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := startNode(t, storage.SQLite)
	n.user(t, "alice", false)
	n.user(t, "bob", false)
	ca, cb := signIn(t, n, "alice"), signIn(t, n, "bob")
	aliceAcct, _ := ca.GetAccountCurrentUser(ctx)
	bobAcct, _ := cb.GetAccountCurrentUser(ctx)

	// bob listens on the user stream through the client library's WebSocket.
	events, err := cb.NewWSClient().StreamingWSUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent := func(what string, match func(mastodon.Event) bool) {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case ev := <-events:
				if e, ok := ev.(*mastodon.ErrorEvent); ok {
					t.Fatalf("stream error while waiting for %s: %v", what, e.Err)
				}
				if match(ev) {
					return
				}
			case <-timeout:
				t.Fatalf("no %s on the stream within 15s", what)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // let the socket subscribe
	if _, err := ca.AccountFollow(ctx, bobAcct.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent("follow notification", func(ev mastodon.Event) bool {
		ne, ok := ev.(*mastodon.NotificationEvent)
		return ok && ne.Notification.Type == "follow" && ne.Notification.Account.ID == aliceAcct.ID
	})
	if _, err := cb.AccountFollow(ctx, aliceAcct.ID); err != nil {
		t.Fatal(err)
	}
	post, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Live from the ward"})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent("update", func(ev mastodon.Event) bool {
		ue, ok := ev.(*mastodon.UpdateEvent)
		return ok && ue.Status.ID == post.ID
	})
	if err := ca.DeleteStatus(ctx, post.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent("delete", func(ev mastodon.Event) bool {
		de, ok := ev.(*mastodon.DeleteEvent)
		return ok && de.ID == post.ID
	})

	// A browser passes the token as the subprotocol: it must be echoed.
	wsURL := "ws" + strings.TrimPrefix(n.base, "http") + "/api/v1/streaming"
	conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{cb.Config.AccessToken}})
	if err != nil {
		t.Fatalf("dial with the token as subprotocol: %v (%v)", err, resp)
	}
	defer conn.CloseNow()
	if conn.Subprotocol() != cb.Config.AccessToken {
		t.Fatalf("subprotocol echoed = %q", conn.Subprotocol())
	}
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","stream":"user:notification"}`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := ca.Favourite(ctx, mustPost(t, cb, "Favourite me")); err != nil {
		t.Fatal(err)
	}
	for {
		m := readWS(t, ctx, conn, "waiting for the favourite")
		if m.Event == "notification" && m.Stream[0] == "user:notification" && strings.Contains(m.Payload, `"type":"favourite"`) {
			break
		}
	}

	// Server-sent events, with the token in the Authorization header.
	req, _ := http.NewRequestWithContext(ctx, "GET", n.base+"/api/v1/streaming/user", nil)
	req.Header.Set("Authorization", "Bearer "+cb.Config.AccessToken)
	sse, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sse.Body.Close()
	if sse.StatusCode != 200 || !strings.HasPrefix(sse.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("SSE = %d %s", sse.StatusCode, sse.Header.Get("Content-Type"))
	}
	time.Sleep(300 * time.Millisecond)
	second := mustPost(t, ca, "Second post, for SSE")
	sc := bufio.NewScanner(sse.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sawEvent := false
	for sc.Scan() {
		line := sc.Text()
		if line == "event: update" {
			sawEvent = true
			continue
		}
		if sawEvent && strings.HasPrefix(line, "data: ") && strings.Contains(line, `"id":"`+string(second)+`"`) {
			break
		}
		sawEvent = false
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	// Without a token the user stream is refused.
	resp2, err := http.Get(n.base + "/api/v1/streaming/user")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous user stream = %d", resp2.StatusCode)
	}
}

func mustPost(t *testing.T, c *mastodon.Client, text string) mastodon.ID {
	t.Helper()
	st, err := c.PostStatus(context.Background(), &mastodon.Toot{Status: text})
	if err != nil {
		t.Fatal(err)
	}
	return st.ID
}

// wsMessage is one event of the streaming WebSocket.
type wsMessage struct {
	Stream  []string
	Event   string
	Payload string
}

// readWS reads the next event from conn, failing the test (saying what it
// was waiting for) when none comes or it is not JSON.
func readWS(t *testing.T, ctx context.Context, conn *websocket.Conn, waiting string) wsMessage {
	t.Helper()
	_, data, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("%s: %v", waiting, err)
	}
	var m wsMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v in %s", waiting, err, data)
	}
	return m
}
