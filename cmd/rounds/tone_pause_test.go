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

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// postReply posts text from an app as a reply to parent, with an
// Idempotency-Key when key is set, and returns the status code and body.
func postReply(t *testing.T, n *node, token string, parent int64, text, key string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"status": {text}, "in_reply_to_id": {fmt.Sprint(parent)}}
	req, _ := http.NewRequest("POST", n.base+"/api/v1/statuses", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST /api/v1/statuses: %v in %s", err, raw)
	}
	return resp.StatusCode, out
}

// A heated reply from an app is refused once with a 422 that says why and
// how to send it anyway; the same text sent again after the wait is posted
// (once, with its Idempotency-Key); blunt civil disagreement is never
// paused. Under "hold" the reply is accepted but waits the hold delay, and
// its author can cancel it; under "off" nothing is checked.
func TestTonePauseAsksHoldsOrLetsRepliesThrough(t *testing.T) {
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

		// The default policy is ask.
		heated := "@bob you absolute idiot, did you even read the guideline?"
		code, body := postReply(t, n, tok, parent.ID, heated, "key-1")
		msg, _ := body["error"].(string)
		if code != http.StatusUnprocessableEntity || !strings.Contains(msg, "calls someone 'idiot'") ||
			!strings.Contains(msg, "send the same text again after") || !strings.Contains(msg, "Are you sure you're right?") {
			t.Fatalf("first send of a heated reply: %d %v", code, body)
		}
		if reasons, _ := body["rounds_tone_reasons"].([]any); len(reasons) == 0 {
			t.Fatalf("no rounds_tone_reasons in %v", body)
		}
		firstAsked := time.Now()
		// Sending again at once is still refused.
		if code, body := postReply(t, n, tok, parent.ID, heated, "key-1"); code != http.StatusUnprocessableEntity {
			t.Fatalf("second send inside the wait: %d %v", code, body)
		}
		// Blunt but civil disagreement goes out at once.
		civil := "@bob I disagree, the evidence for this is weak: see the 2019 Cochrane review. NICE says the same."
		if code, body := postReply(t, n, tok, parent.ID, civil, ""); code != http.StatusOK {
			t.Fatalf("civil disagreement: %d %v", code, body)
		}
		// A post that mentions someone is checked too; one that neither
		// mentions nor replies to anyone is not.
		if code, body := call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {"@bob you clueless clown, read the protocol"}}); code != http.StatusUnprocessableEntity {
			t.Fatalf("a heated post mentioning bob: %d %v", code, body)
		}
		if code, body := call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {"Whoever wrote this protocol is a clown."}}); code != http.StatusOK {
			t.Fatalf("a heated post to nobody in particular: %d %v", code, body)
		}
		// After the wait, the same text is posted, once.
		time.Sleep(time.Until(firstAsked.Add(wait + 100*time.Millisecond)))
		code, body = postReply(t, n, tok, parent.ID, heated, "key-1")
		if code != http.StatusOK {
			t.Fatalf("the same text after the wait: %d %v", code, body)
		}
		id, _ := body["id"].(string)
		if code, again := postReply(t, n, tok, parent.ID, heated, "key-1"); code != http.StatusOK || again["id"] != id {
			t.Fatalf("a retry with the same Idempotency-Key: %d %v, want the post %s", code, again, id)
		}
		// A different text starts its own pause.
		if code, _ := postReply(t, n, tok, parent.ID, "@bob what a pathetic excuse for a protocol, you clown", ""); code != http.StatusUnprocessableEntity {
			t.Fatalf("a new heated text: %d, want 422", code)
		}

		// Hold, set on the admin settings page: accepted, but waiting the
		// hold delay, and cancellable.
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "boss", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}
		admin := signInPages(t, n, "boss")
		if code, page, _ := admin.get("/admin/settings"); code != http.StatusOK || !strings.Contains(page, `<option value="ask" selected>`) {
			t.Fatalf("the settings page: %d, the tone policy ask not shown as chosen", code)
		}
		admin.mustPost("/admin/settings", url.Values{"registrations_mode": {"closed"}, "guard_policy": {"block"}, "send_delay": {"0s"},
			"tone_policy": {"hold"}, "tone_hold_delay": {"10m"}, "tone_flag_words": {"Numbskull\n"}, "tone_allow_words": {""}}, "settings")
		st, err := n.svc.Settings(ctx)
		if err != nil || st.TonePolicy != social.ToneHold || st.HoldDelay() != 10*time.Minute || len(st.ToneFlagWords) != 1 || st.ToneFlagWords[0] != "numbskull" {
			t.Fatalf("settings after the page: %+v %v", st.ToneSettings, err)
		}
		code, body = postReply(t, n, tok, parent.ID, "@bob SHUT UP AND READ THE STUDY, YOU HAVE NO IDEA", "")
		if code != http.StatusOK {
			t.Fatalf("a heated reply under hold: %d %v", code, body)
		}
		var heldID int64
		fmt.Sscan(body["id"].(string), &heldID)
		held, err := n.svc.StatusByID(ctx, heldID)
		if err != nil {
			t.Fatal(err)
		}
		if !held.Pending() || time.Until(*held.PendingUntil) < 9*time.Minute {
			t.Fatalf("the held reply is not waiting about 10 minutes: pending until %v", held.PendingUntil)
		}
		if code, _ := call(t, n, "", "GET", fmt.Sprintf("/api/v1/statuses/%d", heldID), nil); code != http.StatusNotFound {
			t.Fatalf("others can read the held reply: %d", code)
		}
		if code, _ := call(t, n, tok, "DELETE", fmt.Sprintf("/api/v1/statuses/%d", heldID), nil); code != http.StatusOK {
			t.Fatalf("cancelling the held reply: %d", code)
		}
		// A word the admins flag counts.
		code, body = postReply(t, n, tok, parent.ID, "@bob only a numbskull would skip the renal dosing", "")
		if code != http.StatusOK {
			t.Fatalf("a reply with a flagged word under hold: %d %v", code, body)
		}
		var flaggedID int64
		fmt.Sscan(body["id"].(string), &flaggedID)
		if st, err := n.svc.StatusByID(ctx, flaggedID); err != nil || !st.Pending() {
			t.Fatalf("the reply with a flagged word is not held: %v %v", st, err)
		}
		// A civil reply under hold goes out without the hold.
		code, body = postReply(t, n, tok, parent.ID, "@bob Respectfully, table 3 shows no difference in mortality.", "")
		if code != http.StatusOK {
			t.Fatalf("civil reply under hold: %d %v", code, body)
		}
		var civilID int64
		fmt.Sscan(body["id"].(string), &civilID)
		if st, err := n.svc.StatusByID(ctx, civilID); err != nil || st.Pending() {
			t.Fatalf("the civil reply under hold is held: %v %v", st, err)
		}

		// Off: nothing is checked.
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.TonePolicy = social.ToneOff }); err != nil {
			t.Fatal(err)
		}
		code, body = postReply(t, n, tok, parent.ID, "@bob you utter muppet", "")
		if code != http.StatusOK {
			t.Fatalf("a heated reply with the policy off: %d %v", code, body)
		}
		var offID int64
		fmt.Sscan(body["id"].(string), &offID)
		if st, err := n.svc.StatusByID(ctx, offID); err != nil || st.Pending() {
			t.Fatalf("the reply with the policy off is held: %v %v", st, err)
		}
	})
}

// `rounds admin settings` sets the tone policy and the hold, and adds and
// removes the words the tone check flags or allows.
func TestAdminSettingsToneCommands(t *testing.T) {
	dbURL := storagetest.NewURL(t, storage.SQLite)
	env := map[string]string{"ROUNDS_DATABASE": dbURL}
	if code, _, errs := runCLI(t, env, "migrate"); code != 0 {
		t.Fatal(errs)
	}
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"admin", "settings"}, 0, "tone-policy               ask"},
		{[]string{"admin", "settings", "set", "tone-policy", "hold"}, 0, "tone-policy               hold"},
		{[]string{"admin", "settings", "set", "tone-policy", "shout"}, 1, "off, ask or hold"},
		{[]string{"admin", "settings", "set", "tone-hold-delay", "20m"}, 0, "tone-hold-delay           20m0s"},
		{[]string{"admin", "settings", "set", "tone-hold-delay", "2h"}, 1, "between 1 and 60 minutes"},
		{[]string{"admin", "settings", "tone-word", "add", "flag", "Numbskull"}, 0, "tone-word                 flag numbskull"},
		{[]string{"admin", "settings", "tone-word", "add", "allow", "muppet"}, 0, "tone-word                 allow muppet"},
		{[]string{"admin", "settings", "tone-word", "remove", "allow", "clown"}, 1, `"clown" is not on the allow list`},
		{[]string{"admin", "settings", "tone-word", "remove", "flag", "numbskull"}, 0, "allow muppet"},
		{[]string{"admin", "settings", "tone-word", "drop", "flag", "x"}, 2, "tone-word add|remove"},
	}
	for _, s := range steps {
		code, out, errs := runCLI(t, env, s.args...)
		if code != s.code || !strings.Contains(out+errs, s.want) {
			t.Fatalf("%v: exit %d\n%s%s\nwant exit %d and %q", s.args, code, out, errs, s.code, s.want)
		}
	}
}
