package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// An edit that makes a reply (or a post with mentions) heated is refused
// once with the tone check's 422; the same edit after the wait goes
// through. Under hold an edit is asked about as under ask (a post already
// out cannot wait); under off nothing is checked. An edit that keeps the
// words is not checked again.
func TestTonePauseOnEdits(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		const wait = 1500 * time.Millisecond
		n := startNodeWith(t, dialect, func(rc *rawConfig) { rc.toneRetryWait = wait.String() })
		n.user(t, "alice", false)
		bob := n.user(t, "bob", false)
		parent, err := n.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Starting everyone on the new anticoagulant protocol from Monday."})
		if err != nil {
			t.Fatal(err)
		}
		tok := tokenFor(t, n, "alice", "read write")
		code, body := postReply(t, n, tok, parent.ID, "@bob I disagree, the evidence is weak.", "")
		if code != http.StatusOK {
			t.Fatalf("a civil reply: %d %v", code, body)
		}
		reply := body["id"].(string)
		code, body = call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {"Protocol review on Friday."}})
		if code != http.StatusOK {
			t.Fatalf("a plain post: %d %v", code, body)
		}
		plain := body["id"].(string)
		edit := func(id, text string) (int, map[string]any) {
			t.Helper()
			return call(t, n, tok, "PUT", "/api/v1/statuses/"+id, url.Values{"status": {text}})
		}

		heated := "@bob you absolute idiot, did you even read the guideline?"
		code, body = edit(reply, heated)
		msg, _ := body["error"].(string)
		if code != http.StatusUnprocessableEntity || !strings.Contains(msg, "send the same text again after") || !strings.HasPrefix(msg, "This edit reads as heated") {
			t.Fatalf("a heated edit of a reply: %d %v", code, body)
		}
		if reasons, _ := body["rounds_tone_reasons"].([]any); len(reasons) == 0 {
			t.Fatalf("no rounds_tone_reasons in %v", body)
		}
		asked := time.Now()
		if code, body := edit(reply, heated); code != http.StatusUnprocessableEntity {
			t.Fatalf("the same edit inside the wait: %d %v", code, body)
		}
		if code, body := call(t, n, tok, "GET", "/api/v1/statuses/"+reply, nil); code != http.StatusOK || strings.Contains(body["content"].(string), "idiot") {
			t.Fatalf("the refused edit changed the reply: %d %v", code, body["content"])
		}
		// A post that neither replies nor mentions is not checked.
		if code, body := edit(plain, "Whoever wrote this protocol is a clown."); code != http.StatusOK {
			t.Fatalf("a heated edit to nobody in particular: %d %v", code, body)
		}
		time.Sleep(time.Until(asked.Add(wait + 100*time.Millisecond)))
		if code, body := edit(reply, heated); code != http.StatusOK || !strings.Contains(body["content"].(string), "idiot") {
			t.Fatalf("the same edit after the wait: %d %v", code, body)
		}
		// Unchanged words (a change of the warning only would be checked)
		// are not asked about again.
		if code, body := call(t, n, tok, "PUT", "/api/v1/statuses/"+reply, url.Values{"status": {heated}, "sensitive": {"true"}}); code != http.StatusOK {
			t.Fatalf("an edit keeping the words: %d %v", code, body)
		}

		// Hold asks, for an edit.
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(s *social.Settings) { s.TonePolicy = social.ToneHold }); err != nil {
			t.Fatal(err)
		}
		other := "@bob SHUT UP AND READ THE STUDY, YOU HAVE NO IDEA"
		if code, body := edit(reply, other); code != http.StatusUnprocessableEntity {
			t.Fatalf("a heated edit under hold: %d %v", code, body)
		}
		// Off checks nothing.
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(s *social.Settings) { s.TonePolicy = social.ToneOff }); err != nil {
			t.Fatal(err)
		}
		if code, body := edit(reply, other); code != http.StatusOK {
			t.Fatalf("a heated edit under off: %d %v", code, body)
		}
		var id int64
		fmt.Sscan(reply, &id)
		if st, err := n.svc.StatusByID(ctx, id); err != nil || st.Pending() {
			t.Fatalf("the edited reply: %v, %v", st, err)
		}
	})
}
