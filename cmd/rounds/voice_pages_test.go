package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// The staff's pages: an admin writes the guidance, sees who has not read
// it and the question figures, and sets the question tag; a moderator
// reads the figures and the pending list but may not write; a plain user
// gets neither. The sign-up page and the instance description show the
// guidance.
func TestGuidanceAndQuestionAdminPages(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		for name, role := range map[string]string{"boss": social.RoleAdmin, "mod": social.RoleModerator} {
			if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true}); err != nil {
				t.Fatal(err)
			}
		}
		alice := n.user(t, "alice", false)
		carol := n.user(t, "carol", false)
		boss := signInPages(t, n, "boss")

		// Writing the guidance from the admin page.
		code, body, at := boss.post("/admin/guidance", url.Values{"text": {"# Guidance\n\nBe kind & careful."}})
		if code != http.StatusOK || !strings.Contains(at, "done=guidance") || !contains(body, "version 1", "Be kind &amp; careful.", "Not yet read") {
			t.Fatalf("saving the guidance: %d at %s\n%s", code, at, body)
		}
		if !contains(body, ">alice<", ">carol<", ">boss<") {
			t.Fatalf("pending list:\n%s", body)
		}
		if _, err := n.svc.PostStatus(ctx, carol, social.NewStatus{Text: "hi"}); err == nil {
			t.Fatal("carol posted before reading the guidance")
		}
		if err := n.svc.AcknowledgeGuidance(ctx, carol, 1); err != nil {
			t.Fatal(err)
		}
		_, body, _ = boss.get("/admin/guidance")
		if strings.Contains(body, ">carol<") || !strings.Contains(body, ">alice<") {
			t.Fatalf("pending after carol read it:\n%s", body)
		}

		// The question tag from the settings page.
		_, body, _ = boss.get("/admin/settings")
		if !strings.Contains(body, `name="question_tag"`) {
			t.Fatalf("settings page lacks the question tag")
		}
		code, body, _ = boss.post("/admin/settings", url.Values{"registrations_mode": {"closed"}, "guard_policy": {"block"}, "send_delay": {"0s"}, "question_tag": {"#AskAClinician"}})
		st, _ := n.svc.Settings(ctx)
		if code != http.StatusOK || st.QuestionTag != "AskAClinician" {
			t.Fatalf("saving the question tag: %d, tag %q\n%s", code, st.QuestionTag, body)
		}
		code, _, _ = boss.post("/admin/settings", url.Values{"registrations_mode": {"closed"}, "guard_policy": {"block"}, "send_delay": {"0s"}, "question_tag": {"ask me"}})
		if st, _ := n.svc.Settings(ctx); code == http.StatusOK && st.QuestionTag != "AskAClinician" {
			t.Fatalf("a bad tag was saved: %q", st.QuestionTag)
		}
		if _, err := n.svc.PostStatus(ctx, carol, social.NewStatus{Text: "@alice #AskAClinician statins and grapefruit"}); err != nil {
			t.Fatal(err)
		}
		_, body, _ = boss.get("/admin/questions")
		if !contains(body, "Questions answered", ">alice<", "The organisation") || !strings.Contains(body, "<td>1</td>") {
			t.Fatalf("questions page:\n%s", body)
		}

		mod := signInPages(t, n, "mod")
		if code, body, _ := mod.get("/admin/questions"); code != 200 || !strings.Contains(body, ">alice<") {
			t.Fatalf("moderator on the questions page: %d", code)
		}
		code, body, _ = mod.get("/admin/guidance")
		if code != 200 || strings.Contains(body, `action="/admin/guidance"`) || !strings.Contains(body, ">alice<") {
			t.Fatalf("moderator on the guidance page: %d\n%s", code, body)
		}
		mod.formPage = "/settings/guidance"
		if code, _, _ := mod.post("/admin/guidance", url.Values{"text": {"mine"}}); code != http.StatusForbidden {
			t.Fatalf("moderator writing the guidance: %d", code)
		}
		plain := signInPages(t, n, "alice")
		if code, _, _ := plain.get("/admin/questions"); code != http.StatusForbidden {
			t.Fatalf("a clinician on the staff's questions page: %d", code)
		}
		// alice reads it from her settings page, with its form.
		plain.formPage = "/settings/guidance"
		code, body, at = plain.post("/settings/guidance", url.Values{"version": {"1"}})
		if code != 200 || !strings.Contains(at, "done=1") || !strings.Contains(body, "You confirmed") {
			t.Fatalf("acknowledging: %d at %s\n%s", code, at, body)
		}
		if _, err := n.svc.PostStatus(ctx, alice, social.NewStatus{Text: "read it"}); err != nil {
			t.Fatal(err)
		}

		// Public pages: the guidance itself, and beside the sign-up form.
		if code, body := get(t, n.base+"/about/guidance"); code != 200 || !strings.Contains(body, "Be kind &amp; careful.") {
			t.Fatalf("/about/guidance: %d\n%s", code, body)
		}
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.RegistrationsMode = social.RegistrationsApproval }); err != nil {
			t.Fatal(err)
		}
		if code, body := get(t, n.base+"/auth/sign_up"); code != 200 || !contains(body, "Our social media guidance", "Be kind &amp; careful.") {
			t.Fatalf("sign-up page: %d\n%s", code, body)
		}
	})
}
