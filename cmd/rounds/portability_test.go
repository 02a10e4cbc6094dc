package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// webSignIn signs username in to n's own pages through the sign-in form,
// as a browser does, and returns the browser with its session cookie.
func webSignIn(t *testing.T, n *node, username string) *http.Client {
	t.Helper()
	c := oauthBrowser(t)
	resp, page := oauthSend(t, c, "GET", n.base+"/auth/sign_in?return_to=/settings/export", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in page: %d %s", resp.StatusCode, page)
	}
	form := hiddenInputs(page)
	if form.Get("csrf_token") == "" || form.Get("return_to") != "/settings/export" {
		t.Fatalf("sign-in form fields %v", form)
	}
	wrong := url.Values{}
	for k, v := range form {
		wrong[k] = v
	}
	wrong.Set("username", username)
	wrong.Set("password", "not the password")
	if resp, page := oauthSend(t, c, "POST", n.base+"/auth/sign_in", wrong, nil); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Wrong username or password") {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, page)
	}
	form.Set("username", username)
	form.Set("password", "a long password")
	resp, page = oauthSend(t, c, "POST", n.base+"/auth/sign_in", form, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/export" {
		t.Fatalf("sign in: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	return c
}

// downloadExport GETs path with c and returns the body, checking that it is an
// attachment of contentType.
func downloadExport(t *testing.T, c *http.Client, n *node, path, contentType string) []byte {
	t.Helper()
	resp, body := oauthSend(t, c, "GET", n.base+path, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	name := path[strings.LastIndex(path, "/")+1:]
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="`+name+`"` {
		t.Errorf("GET %s: Content-Disposition %q", path, got)
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		t.Errorf("GET %s: Content-Type %q, want %q", path, got, contentType)
	}
	return []byte(body)
}

// uploadImport posts a file to the import form, with the page's CSRF token
// unless csrf is given, and returns the status and page.
func uploadImport(t *testing.T, c *http.Client, n *node, kind, mode, filename string, file []byte, csrf string) (int, string) {
	t.Helper()
	if csrf == "" {
		resp, page := oauthSend(t, c, "GET", n.base+"/settings/import", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("import page: %d %s", resp.StatusCode, page)
		}
		csrf = hiddenInputs(page).Get("csrf_token")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", csrf)
	_ = mw.WriteField("type", kind)
	_ = mw.WriteField("mode", mode)
	fw, _ := mw.CreateFormFile("file", filename)
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", n.base+"/settings/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

// A person moves their follows from one server to another through the
// web pages: alice on A follows, blocks and mutes accounts on A and B and
// downloads Mastodon's CSV files and her posts; carl on B uploads alice's
// following file and ends up following the same accounts, the remote ones
// through real follows that A accepts.
func TestExportedFollowsImportOnAnotherServerAndFederate(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		anna := a.user(t, "anna", false)
		ben := a.user(t, "ben", false)
		bea := b.user(t, "bea", false)
		b.user(t, "bo", false)
		carl := b.user(t, "carl", false)

		if _, err := a.svc.Follow(ctx, alice, anna); err != nil {
			t.Fatal(err)
		}
		followAndWait(t, a, b, alice, "bea@"+b.domain)
		boOnA, err := a.fed.ResolveAccount(ctx, "bo@"+b.domain)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.svc.Block(ctx, alice, boOnA); err != nil {
			t.Fatal(err)
		}
		if err := a.svc.Mute(ctx, alice, ben, true); err != nil {
			t.Fatal(err)
		}
		var posts []string
		for _, p := range []struct{ text, vis string }{
			{"Grand rounds at noon: delirium in the over-80s.", social.VisibilityPublic},
			{"Slides for the team only.", social.VisibilityPrivate},
			{"@anna see you there", social.VisibilityDirect},
		} {
			st, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: p.text, Visibility: p.vis})
			if err != nil {
				t.Fatal(err)
			}
			posts = append([]string{st.URI}, posts...)
		}

		// Without a session the downloads send the browser to sign in.
		anon := oauthBrowser(t)
		resp, _ := oauthSend(t, anon, "GET", a.base+"/settings/export/following_accounts.csv", nil, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/sign_in?return_to=%2Fsettings%2Fexport%2Ffollowing_accounts.csv" {
			t.Fatalf("anonymous download: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		web := webSignIn(t, a, "alice")
		if resp, page := oauthSend(t, web, "GET", a.base+"/settings/export", nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "/settings/export/outbox.json") {
			t.Fatalf("export page: %d %s", resp.StatusCode, page)
		}
		following := downloadExport(t, web, a, "/settings/export/following_accounts.csv", "text/csv; charset=utf-8")
		if want := "Account address,Show boosts,Notify on new posts,Languages\nbea@" + b.domain + ",true,false,\nanna@" + a.domain + ",true,false,\n"; string(following) != want {
			t.Fatalf("following_accounts.csv:\n%s\nwant:\n%s", following, want)
		}
		if got, want := string(downloadExport(t, web, a, "/settings/export/blocked_accounts.csv", "text/csv; charset=utf-8")), "bo@"+b.domain+"\n"; got != want {
			t.Fatalf("blocked_accounts.csv %q, want %q", got, want)
		}
		if got, want := string(downloadExport(t, web, a, "/settings/export/muted_accounts.csv", "text/csv; charset=utf-8")), "Account address,Hide notifications\nben@"+a.domain+",true\n"; got != want {
			t.Fatalf("muted_accounts.csv %q, want %q", got, want)
		}

		// The archive: an OrderedCollection of Create activities of every
		// post alice wrote, newest first, with her actor.
		var outbox struct {
			Type         string
			TotalItems   int
			AttributedTo struct{ ID, Type, PreferredUsername string }
			OrderedItems []struct {
				Type, Actor string
				Object      struct {
					ID, Type, Content, AttributedTo string
					To                              []string
				}
			}
		}
		raw := downloadExport(t, web, a, "/settings/export/outbox.json", "application/activity+json")
		if err := json.Unmarshal(raw, &outbox); err != nil {
			t.Fatalf("outbox.json: %v in %s", err, raw)
		}
		if outbox.Type != "OrderedCollection" || outbox.TotalItems != 3 || len(outbox.OrderedItems) != 3 ||
			outbox.AttributedTo.ID != alice.URI || outbox.AttributedTo.PreferredUsername != "alice" {
			t.Fatalf("outbox.json: %s", raw)
		}
		for i, it := range outbox.OrderedItems {
			if it.Type != "Create" || it.Actor != alice.URI || it.Object.Type != "Note" || it.Object.ID != posts[i] || it.Object.AttributedTo != alice.URI {
				t.Fatalf("item %d: %+v, want Create of %s", i, it, posts[i])
			}
		}
		if !strings.Contains(outbox.OrderedItems[1].Object.Content, "Slides for the team only.") || outbox.OrderedItems[1].Object.To[0] != alice.FollowersURL {
			t.Fatalf("followers-only post: %+v", outbox.OrderedItems[1].Object)
		}

		// carl on B imports alice's file: bea is local to B, anna is on A.
		carlWeb := webSignIn(t, b, "carl")
		if status, page := uploadImport(t, carlWeb, b, social.ImportFollowing, social.ImportMerge, "following_accounts.csv", following, "forged"); status != http.StatusForbidden {
			t.Fatalf("import with a forged CSRF token: %d %s", status, page)
		}
		if status, page := uploadImport(t, carlWeb, b, social.ImportFollowing, social.ImportMerge, "blocked_accounts.csv", following, ""); status != http.StatusUnprocessableEntity || !strings.Contains(page, "looks like a list of blocked accounts") {
			t.Fatalf("a blocks file name as follows: %d %s", status, page)
		}
		status, page := uploadImport(t, carlWeb, b, social.ImportFollowing, social.ImportMerge, "following_accounts.csv", append(following, "\nnot an address\n"...), "")
		if status != http.StatusOK || !strings.Contains(page, "2 accounts are being followed") ||
			!strings.Contains(page, "Line 5: &#34;not an address&#34; is not an account address such as name@server.example") {
			t.Fatalf("import: %d %s", status, page)
		}
		eventually(t, "carl following bea and anna", func() bool {
			c, _ := b.svc.Counts(ctx, carl)
			return c.Following == 2
		})
		annaOnB, err := b.svc.AccountByAcct(ctx, "anna", a.domain)
		if err != nil {
			t.Fatal(err)
		}
		if !b.svc.IsFollowing(ctx, carl, annaOnB) || !b.svc.IsFollowing(ctx, carl, bea) {
			t.Fatal("carl does not follow anna@A and bea")
		}
		// The follow reached A: anna has two followers there, alice and carl.
		eventually(t, "A counting carl among anna's followers", func() bool {
			c, _ := a.svc.Counts(ctx, anna)
			return c.Followers == 2
		})
	})
}

// The sign-in page of the server's own pages asks a person who uses a
// second factor for the code before there is a session, refuses a wrong
// one, never sends the browser to another site afterwards, and signs out.
func TestWebSignInAsksForTheSecondFactorAndSignsOut(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "deirdre", false)
		u, err := n.svc.UserByUsername(ctx, "deirdre")
		if err != nil {
			t.Fatal(err)
		}
		setup, err := n.svc.BeginTwoFactor(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.ConfirmTwoFactor(ctx, u, totpNow(t, setup.Secret, time.Now().Add(-30*time.Second))); err != nil {
			t.Fatal(err)
		}

		c := oauthBrowser(t)
		_, page := oauthSend(t, c, "GET", n.base+"/auth/sign_in?return_to=//evil.example/x", nil, nil)
		form := hiddenInputs(page)
		if form.Get("return_to") != "/home" {
			t.Fatalf("return_to %q kept", form.Get("return_to"))
		}
		form.Set("username", "deirdre")
		form.Set("password", "a long password")
		resp, page := oauthSend(t, c, "POST", n.base+"/auth/sign_in", form, nil)
		if resp.StatusCode != http.StatusOK || cookieNamed(resp, "rounds_session") != nil || !strings.Contains(page, `action="/auth/two_factor"`) || strings.Contains(page, "a long password") {
			t.Fatalf("password of a two-factor account: %d %s", resp.StatusCode, page)
		}
		codeForm := hiddenInputs(page)
		codeForm.Set("code", wrongTOTP(t, setup.Secret))
		if resp, page := oauthSend(t, c, "POST", n.base+"/auth/two_factor", codeForm, nil); resp.StatusCode != http.StatusUnauthorized || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("a wrong code: %d %s", resp.StatusCode, page)
		}
		codeForm.Set("code", totpNow(t, setup.Secret, time.Now()))
		resp, page = oauthSend(t, c, "POST", n.base+"/auth/two_factor", codeForm, nil)
		session := cookieNamed(resp, "rounds_session")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/home" || session == nil {
			t.Fatalf("the right code: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), page)
		}
		resp, page = oauthSend(t, c, "GET", n.base+"/settings/export", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("export page after sign-in: %d %s", resp.StatusCode, page)
		}

		// Signing out needs the session's form token, and ends the session.
		out := hiddenInputs(page[strings.Index(page, `action="/auth/sign_out"`):])
		if resp, _ := oauthSend(t, c, "POST", n.base+"/auth/sign_out", url.Values{"csrf_token": {"forged"}}, nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("sign out with a forged token: %d", resp.StatusCode)
		}
		if resp, _ := oauthSend(t, c, "POST", n.base+"/auth/sign_out", out, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", resp.StatusCode)
		}
		// The old cookie is worthless now, even to a browser that kept it.
		fresh := oauthBrowser(t)
		if resp, _ := oauthSend(t, fresh, "GET", n.base+"/settings/import", nil, map[string]string{"Cookie": "rounds_session=" + session.Value}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("import page with the signed-out session: %d", resp.StatusCode)
		}
	})
}
