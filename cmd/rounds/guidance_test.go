package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func TestGuidanceMustBeAcknowledgedBeforePostingAgainForEachVersion(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNodeWith(t, dialect, func(rc *rawConfig) { rc.scheduleMinOffset = "1s" })
		alice := n.user(t, "alice", false)
		n.user(t, "bob", false)
		tok := tokenFor(t, n, "alice", "read write")
		env := map[string]string{"ROUNDS_DATABASE": n.dbURL, "ROUNDS_DOMAIN": n.domain}
		postCode := func(text string) (int, map[string]any) {
			t.Helper()
			return call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {text}})
		}

		// No guidance written: nothing is asked.
		if code, body := postCode("before any guidance"); code != 200 {
			t.Fatalf("post without guidance: %d %v", code, body)
		}
		if _, out, _ := runCLI(t, env, "admin", "guidance", "show"); !strings.Contains(out, "No guidance") {
			t.Fatalf("show = %q", out)
		}

		// The question tag is a run setting too.
		if code, out, errs := runCLI(t, env, "admin", "settings", "set", "question-tag", "#AskAClinician"); code != 0 || !regexp.MustCompile(`(?m)^question-tag +AskAClinician$`).MatchString(out) {
			t.Fatalf("settings set question-tag: %d %q %s", code, out, errs)
		}
		if code, _, _ := runCLI(t, env, "admin", "settings", "set", "question-tag", "ask me"); code == 0 {
			t.Fatal("a question tag with a space was taken")
		}

		file := filepath.Join(t.TempDir(), "guidance.md")
		write := func(text string) {
			t.Helper()
			if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out, errs := runCLI(t, env, "admin", "guidance", "set", file); code != 0 {
				t.Fatalf("guidance set: %d %s %s", code, out, errs)
			}
		}
		write("# Our guidance\n\nSpeak for yourself. <script>alert(1)</script>\n")
		code, body := postCode("after the guidance")
		if msg, _ := body["error"].(string); code != 422 || !strings.Contains(msg, n.base+"/settings/guidance") {
			t.Fatalf("post before acknowledging: %d %v", code, body)
		}
		// Scheduling is a post too.
		at := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339)
		if code, body := call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {"later"}, "scheduled_at": {at}}); code != 422 {
			t.Fatalf("scheduling before acknowledging: %d %v", code, body)
		}
		_, out, _ := runCLI(t, env, "admin", "guidance", "pending")
		if !contains(out, "version 1 (2)", "alice", "bob") {
			t.Fatalf("pending = %q", out)
		}
		if _, out, _ := runCLI(t, env, "admin", "guidance", "show"); !contains(out, "Version 1", "# Our guidance") {
			t.Fatalf("show = %q", out)
		}

		// Apps see the guidance in the extended description and a rule.
		code, doc := call(t, n, "", "GET", "/api/v1/instance/extended_description", nil)
		content, _ := doc["content"].(string)
		if code != 200 || !strings.Contains(content, "Our guidance</h1>") || strings.Contains(content, "<script") || doc["updated_at"] == nil {
			t.Fatalf("extended description: %d %v", code, doc)
		}
		_, rules := call(t, n, "", "GET", "/api/v1/instance/rules", nil)
		list, _ := rules["list"].([]any)
		last, _ := list[len(list)-1].(map[string]any)
		if hint, _ := last["hint"].(string); hint != n.base+"/about/guidance" {
			t.Fatalf("rules = %v", rules)
		}

		if err := n.svc.AcknowledgeGuidance(ctx, alice, 2); err == nil {
			t.Fatal("acknowledged a version that does not exist")
		}
		if err := n.svc.AcknowledgeGuidance(ctx, alice, 1); err != nil {
			t.Fatal(err)
		}
		if code, body := postCode("having read it"); code != 200 {
			t.Fatalf("post after acknowledging: %d %v", code, body)
		}
		if _, out, _ := runCLI(t, env, "admin", "guidance", "pending"); !contains(out, "version 1 (1)", "bob") || strings.Contains(out, "alice") {
			t.Fatalf("pending after alice read it = %q", out)
		}
		// A post scheduled now, after acknowledging, is published even
		// though a new version comes before its time.
		at = time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339)
		code, sched := call(t, n, tok, "POST", "/api/v1/statuses", url.Values{"status": {"scheduled after reading"}, "scheduled_at": {at}})
		if code != 200 {
			t.Fatalf("schedule: %d %v", code, sched)
		}

		// Setting the same text again asks nobody again; a new version does.
		write("# Our guidance\n\nSpeak for yourself. <script>alert(1)</script>\n")
		if code, body := postCode("same version"); code != 200 {
			t.Fatalf("post after an unchanged save: %d %v", code, body)
		}
		write("# Our guidance, v2\n\nAlso: no clinical advice to individuals.\n")
		code, body = postCode("version 2 unread")
		if msg, _ := body["error"].(string); code != 422 || !strings.Contains(msg, "version 2") {
			t.Fatalf("post before reading v2: %d %v", code, body)
		}
		eventually(t, "the scheduled post published", func() bool {
			sts, err := n.svc.HomeTimeline(ctx, alice, storage.Page{Limit: 10})
			if err != nil {
				return false
			}
			for _, st := range sts {
				if st.Text == "scheduled after reading" {
					return true
				}
			}
			return false
		})
		if err := n.svc.AcknowledgeGuidance(ctx, alice, 2); err != nil {
			t.Fatal(err)
		}
		if code, body := postCode("read v2"); code != 200 {
			t.Fatalf("post after reading v2: %d %v", code, body)
		}

		// The audit log names each version.
		entries, err := n.svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: "update_guidance"}, storage.Page{Limit: 10})
		if err != nil || len(entries) != 2 {
			t.Fatalf("audit entries = %d, %v", len(entries), err)
		}
		var detail map[string]any
		_ = json.Unmarshal([]byte(entries[0].Detail), &detail)
		if detail["version"] != float64(2) {
			t.Fatalf("audit detail = %s", entries[0].Detail)
		}

		// Withdrawn, nothing is asked.
		write("")
		n.user(t, "carol", false)
		if code, body := call(t, n, tokenFor(t, n, "carol", "write"), "POST", "/api/v1/statuses", url.Values{"status": {"no guidance now"}}); code != 200 {
			t.Fatalf("post with the guidance withdrawn: %d %v", code, body)
		}
	})
}
