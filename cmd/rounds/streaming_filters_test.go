package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"rounds/storage"
)

// streamed is one message read from a streaming socket, its payload
// decoded.
type streamed struct {
	Stream string
	Event  string
	Status struct {
		ID       string `json:"id"`
		Content  string `json:"content"`
		Filtered []struct {
			Filter struct {
				Title        string `json:"title"`
				FilterAction string `json:"filter_action"`
			} `json:"filter"`
			KeywordMatches []string `json:"keyword_matches"`
		} `json:"filtered"`
	}
	Notification struct {
		Type   string `json:"type"`
		Status struct {
			Content string `json:"content"`
		} `json:"status"`
	}
}

// A viewer's filters apply on the streaming API as on timelines: warn
// filters in `filtered`, hide filters drop the event, each in its
// stream's context (home for user, public for public, notifications for
// notifications), and a filter made while the socket is open applies at
// once.
func TestStreamingAppliesFiltersPerContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := startNode(t, storage.SQLite)
	n.user(t, "alice", false)
	n.user(t, "bob", false)
	alice, bob := tokenFor(t, n, "alice", "read write"), tokenFor(t, n, "bob", "read write")
	if code, body := call(t, n, alice, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", mustID(t, n, "bob")), url.Values{}); code != 200 {
		t.Fatalf("follow: %d %v", code, body)
	}
	filter := func(title, action, keyword string, contexts ...string) {
		t.Helper()
		form := url.Values{"title": {title}, "context[]": contexts, "filter_action": {action}, "keywords_attributes[0][keyword]": {keyword}}
		if code, body := call(t, n, alice, "POST", "/api/v2/filters", form); code != 200 {
			t.Fatalf("filter %s: %d %v", title, code, body)
		}
	}
	filter("Pets", "warn", "cat", "home")
	filter("Rota", "hide", "rota", "public")
	filter("Gossip", "hide", "gossip", "home")
	filter("Secrets", "hide", "secret", "notifications")

	wsURL := "ws" + strings.TrimPrefix(n.base, "http") + "/api/v1/streaming?access_token=" + alice
	conn, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	for _, s := range []string{"user", "public"} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","stream":"`+s+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // let the socket subscribe

	post := func(text string) {
		t.Helper()
		if code, body := call(t, n, bob, "POST", "/api/v1/statuses", url.Values{"status": {text}}); code != 200 {
			t.Fatalf("post %q: %d %v", text, code, body)
		}
	}
	// readUntil collects messages until the post with marker has come on
	// both streams.
	readUntil := func(marker string) []streamed {
		t.Helper()
		var got []streamed
		seen := map[string]bool{}
		for !seen["user"] || !seen["public"] {
			m := readWS(t, ctx, conn, fmt.Sprintf("waiting for %q (got %+v)", marker, got))
			s := streamed{Stream: m.Stream[0], Event: m.Event}
			var err error
			switch m.Event {
			case "update":
				err = json.Unmarshal([]byte(m.Payload), &s.Status)
			case "notification":
				err = json.Unmarshal([]byte(m.Payload), &s.Notification)
			}
			if err != nil {
				t.Fatalf("%s payload: %v in %s", m.Event, err, m.Payload)
			}
			got = append(got, s)
			if m.Event == "update" && strings.Contains(s.Status.Content, marker) {
				seen[s.Stream] = true
			}
		}
		return got
	}
	find := func(got []streamed, stream, event, text string) []streamed {
		var out []streamed
		for _, s := range got {
			if s.Stream == stream && s.Event == event && (strings.Contains(s.Status.Content, text) || strings.Contains(s.Notification.Status.Content, text)) {
				out = append(out, s)
			}
		}
		return out
	}

	post("My cat is off her food")
	post("The new rota is out")
	post("Time for some gossip")
	post("@alice secret plans for Friday")
	post("@alice the handover is at eight")
	post("first marker")
	got := readUntil("first marker")

	// Warn on home: the status says which filter matched; public has none.
	if u := find(got, "user", "update", "My cat"); len(u) != 1 || len(u[0].Status.Filtered) != 1 ||
		u[0].Status.Filtered[0].Filter.Title != "Pets" || u[0].Status.Filtered[0].Filter.FilterAction != "warn" ||
		len(u[0].Status.Filtered[0].KeywordMatches) != 1 || u[0].Status.Filtered[0].KeywordMatches[0] != "cat" {
		t.Fatalf("the cat post on the user stream: %+v", u)
	}
	if p := find(got, "public", "update", "My cat"); len(p) != 1 || len(p[0].Status.Filtered) != 0 {
		t.Fatalf("the cat post on the public stream: %+v", p)
	}
	// Hide on public drops it there only; hide on home likewise.
	if len(find(got, "public", "update", "rota")) != 0 || len(find(got, "user", "update", "rota")) != 1 {
		t.Fatalf("the rota post, hidden on public only: %+v", got)
	}
	if len(find(got, "user", "update", "gossip")) != 0 || len(find(got, "public", "update", "gossip")) != 1 {
		t.Fatalf("the gossip post, hidden on home only: %+v", got)
	}
	// Hide on notifications drops the mention's notification, not the post.
	if len(find(got, "user", "notification", "secret plans")) != 0 || len(find(got, "user", "update", "secret plans")) != 1 {
		t.Fatalf("the secret mention, hidden in notifications only: %+v", got)
	}
	if len(find(got, "user", "notification", "handover is at eight")) != 1 {
		t.Fatalf("the other mention's notification is missing: %+v", got)
	}

	// A filter made now applies to the next event.
	filter("Late", "hide", "overtime", "home", "public")
	post("Overtime again tonight")
	post("second marker")
	got = readUntil("second marker")
	if len(find(got, "user", "update", "Overtime")) != 0 || len(find(got, "public", "update", "Overtime")) != 0 {
		t.Fatalf("a filter made while streaming did not apply: %+v", got)
	}
}
