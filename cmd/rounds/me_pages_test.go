package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// signedIn signs username in through the sign-in page and returns the
// browser (cookies kept, redirects not followed).
func signedIn(t *testing.T, n *node, username, password string) *http.Client {
	t.Helper()
	b := oauthBrowser(t)
	resp, page := oauthSend(t, b, "GET", n.base+"/auth/sign_in?return_to=/home", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in page: %d", resp.StatusCode)
	}
	form := hiddenInputs(page)
	form.Set("username", username)
	form.Set("password", password)
	resp, page = oauthSend(t, b, "POST", n.base+"/auth/sign_in", form, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/home" {
		t.Fatalf("sign in as %s: %d %q\n%s", username, resp.StatusCode, resp.Header.Get("Location"), page)
	}
	return b
}

// mePage GETs path and fails unless the answer is want.
func mePage(t *testing.T, b *http.Client, n *node, path string, want int) string {
	t.Helper()
	resp, body := oauthSend(t, b, "GET", n.base+path, nil, nil)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, resp.StatusCode, want, body)
	}
	return body
}

// csrfOf is the CSRF token a page's forms carry.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	tok := hiddenInputs(body).Get("csrf_token")
	if tok == "" {
		t.Fatalf("no csrf_token in\n%s", body)
	}
	return tok
}

// postForm posts form (with the page's CSRF token added by the caller).
func postForm(t *testing.T, b *http.Client, n *node, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return oauthSend(t, b, "POST", n.base+path, form, nil)
}

// postMultipart posts fields and files as multipart/form-data.
func postMultipart(t *testing.T, b *http.Client, n *node, path string, fields url.Values, files map[string][]byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile(name, name+".png")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", n.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var postedRE = regexp.MustCompile(`^/statuses/(\d+)$`)

// posted returns the id of the post a compose answer sent the browser to.
func posted(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	m := postedRE.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("compose: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return m[1]
}

// postMultipartID composes a post from fields and returns its id.
func postMultipartID(t *testing.T, b *http.Client, n *node, fields url.Values) string {
	t.Helper()
	resp, body := postMultipart(t, b, n, "/compose", fields, nil)
	return posted(t, resp, body)
}

func TestMePagesComposeWithImageReplyAndWarningShowOnHomeAndProfile(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "aoife", false)
		b := signedIn(t, n, "aoife", "a long password")
		csrf := csrfOf(t, mePage(t, b, n, "/compose", http.StatusOK))

		resp, body := postMultipart(t, b, n, "/compose", url.Values{
			"csrf_token": {csrf}, "text": {"Ward round teaching at noon"}, "visibility": {"public"},
			"alt_1": {"A whiteboard with the week's rota"},
		}, map[string][]byte{"image_1": testPNG(t, 8, 6)})
		id := posted(t, resp, body)

		home := mePage(t, b, n, "/home", http.StatusOK)
		if !contains(home, "Ward round teaching at noon", `alt="A whiteboard with the week&#39;s rota"`, `<img src="`+n.base+`/media/`, "/statuses/"+id+"/deliveries") {
			t.Fatalf("home does not show the post with its image and alt text:\n%s", home)
		}
		if profile := mePage(t, b, n, "/@aoife", http.StatusOK); !strings.Contains(profile, "Ward round teaching at noon") {
			t.Fatalf("the public profile does not show the post:\n%s", profile)
		}

		// A reply, with a content warning, starts from the post's Reply link.
		reply := mePage(t, b, n, "/compose?in_reply_to="+id, http.StatusOK)
		if !contains(reply, `name="in_reply_to_id" value="`+id+`"`, "Ward round teaching at noon") {
			t.Fatalf("reply form:\n%s", reply)
		}
		resp, body = postMultipart(t, b, n, "/compose", url.Values{
			"csrf_token": {csrf}, "in_reply_to_id": {id}, "text": {"Slides are on the shared drive"},
			"spoiler_text": {"Teaching admin"}, "visibility": {"unlisted"},
		}, nil)
		replyID := posted(t, resp, body)
		var rid int64
		fmt.Sscan(replyID, &rid)
		st, err := n.svc.StatusByID(context.Background(), rid)
		if err != nil || st.InReplyToID == nil || fmt.Sprint(*st.InReplyToID) != id || st.Visibility != social.VisibilityUnlisted || st.SpoilerText != "Teaching admin" {
			t.Fatalf("the reply as stored: %+v, %v", st, err)
		}
		if home := mePage(t, b, n, "/home", http.StatusOK); !contains(home, `<summary>Teaching admin</summary>`, "Slides are on the shared drive") {
			t.Fatalf("home does not show the reply behind its content warning:\n%s", home)
		}

		// The patient-identifier guard: refused under block, with the
		// masked finding and no way round it.
		flagged := url.Values{"csrf_token": {csrf}, "text": {"Good news for Mrs B, NHS no 943 476 5919"}, "visibility": {"public"}}
		resp, body = postMultipart(t, b, n, "/compose", flagged, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "943 *** ****") || strings.Contains(body, `name="post_anyway"`) {
			t.Fatalf("a flagged post under the block policy: %d\n%s", resp.StatusCode, body)
		}
		if _, err := n.svc.UpdateSettings(context.Background(), social.CommandLine, func(s *social.Settings) { s.GuardPolicy = social.GuardWarn }); err != nil {
			t.Fatal(err)
		}
		resp, body = postMultipart(t, b, n, "/compose", flagged, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !contains(body, "943 *** ****", `name="post_anyway" value="yes"`, `name="confirm_no_patient"`) {
			t.Fatalf("a flagged post under the warn policy: %d\n%s", resp.StatusCode, body)
		}
		// The button alone is not the confirmation; with the box ticked it posts.
		flagged.Set("post_anyway", "yes")
		if resp, body = postMultipart(t, b, n, "/compose", flagged, nil); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("post anyway without ticking the box: %d\n%s", resp.StatusCode, body)
		}
		flagged.Set("confirm_no_patient", "yes")
		postMultipartID(t, b, n, flagged)
	})
}

func TestMePagesSendDelayShowsUndoThatDeletesThePost(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "brid", false)
		d := social.Duration(time.Minute)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		b := signedIn(t, n, "brid", "a long password")
		csrf := csrfOf(t, mePage(t, b, n, "/compose", http.StatusOK))
		id := postMultipartID(t, b, n, url.Values{"csrf_token": {csrf}, "text": {"Rota swap anyone?"}})

		resp, body := oauthSend(t, b, "GET", n.base+"/statuses/"+id, nil, nil)
		if resp.StatusCode != http.StatusOK || !regexp.MustCompile(`Sending in (1:00|0:5\d)`).MatchString(body) || !strings.Contains(body, `action="/statuses/`+id+`/undo"`) || resp.Header.Get("Refresh") == "" {
			t.Fatalf("a waiting post: %d Refresh=%q\n%s", resp.StatusCode, resp.Header.Get("Refresh"), body)
		}
		if resp, home := oauthSend(t, b, "GET", n.base+"/home", nil, nil); !contains(home, "Rota swap anyone?", "Sending in") || resp.Header.Get("Refresh") == "" {
			t.Fatalf("home does not offer the undo:\n%s", home)
		}
		if deliveries := mePage(t, b, n, "/statuses/"+id+"/deliveries", http.StatusOK); !strings.Contains(deliveries, "has gone nowhere yet") {
			t.Fatalf("deliveries of a waiting post:\n%s", deliveries)
		}
		if resp, _ := postForm(t, b, n, "/statuses/"+id+"/undo", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("undo without a CSRF token: %d", resp.StatusCode)
		}
		resp, body = postForm(t, b, n, "/statuses/"+id+"/undo", url.Values{"csrf_token": {csrf}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Undone") {
			t.Fatalf("undo: %d\n%s", resp.StatusCode, body)
		}
		var sid int64
		fmt.Sscan(id, &sid)
		if _, err := n.svc.StatusByID(ctx, sid); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("the undone post is still there: %v", err)
		}

		// Another person's post has no deliveries page for me.
		n.user(t, "cian", false)
		c := signedIn(t, n, "cian", "a long password")
		other := postMultipartID(t, c, n, url.Values{"csrf_token": {csrfOf(t, mePage(t, c, n, "/compose", http.StatusOK))}, "text": {"Mine"}})
		mePage(t, b, n, "/statuses/"+other+"/deliveries", http.StatusNotFound)
		// Signed out, the pages send the browser to sign in.
		anon := oauthBrowser(t)
		if resp, _ := oauthSend(t, anon, "GET", n.base+"/home", nil, nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/auth/sign_in?return_to=%2Fhome") {
			t.Fatalf("/home signed out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestSettingsPagesChangeProfileSendingPasswordTwoFactorAndApps(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "dara", false)
		b := signedIn(t, n, "dara", "a long password")
		csrf := csrfOf(t, mePage(t, b, n, "/settings/profile", http.StatusOK))

		// Every form refuses a post without the session's token.
		for _, path := range []string{"/compose", "/settings/profile", "/settings/sending", "/settings/password",
			"/settings/two_factor/begin", "/settings/two_factor/confirm", "/settings/two_factor/disable", "/settings/apps/1/revoke", "/statuses/1/undo"} {
			if resp, body := postForm(t, b, n, path, url.Values{"csrf_token": {"forged"}}); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("POST %s with a forged token: %d\n%s", path, resp.StatusCode, body)
			}
		}

		// Profile.
		resp, body := postForm(t, b, n, "/settings/profile", url.Values{
			"csrf_token": {csrf}, "display_name": {"Dr Dara Byrne"}, "note": {"Registrar, emergency medicine.\nDublin."},
			"field_name": {"Specialty", "", "", ""}, "field_value": {"Emergency medicine", "", "", ""},
			"views_my_own": {"yes"}, "locked": {"yes"},
		})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save profile: %d\n%s", resp.StatusCode, body)
		}
		settings := mePage(t, b, n, "/settings/profile?saved=1", http.StatusOK)
		if !contains(settings, `value="Dr Dara Byrne"`, "Registrar, emergency medicine.\nDublin.", `value="Specialty"`, `value="Emergency medicine"`, `name="views_my_own" value="yes" checked`, `name="locked" value="yes" checked`, "Your profile is saved") {
			t.Fatalf("profile settings after saving:\n%s", settings)
		}
		if profile := mePage(t, b, n, "/@dara", http.StatusOK); !strings.Contains(profile, "Dr Dara Byrne") {
			t.Fatalf("public profile after saving:\n%s", profile)
		}
		resp, body = postMultipart(t, b, n, "/settings/profile", url.Values{"csrf_token": {csrf}, "display_name": {"Dr Dara Byrne"}}, map[string][]byte{"avatar": testPNG(t, 64, 64)})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload an avatar: %d\n%s", resp.StatusCode, body)
		}
		dara, _ := n.svc.LocalAccount(ctx, "dara")
		if !strings.HasPrefix(dara.AvatarURL, n.base+"/media/") || !strings.Contains(mePage(t, b, n, "/@dara", http.StatusOK), dara.AvatarURL) {
			t.Fatalf("the avatar is %q, and not on the profile", dara.AvatarURL)
		}
		if !strings.Contains(mePage(t, b, n, "/settings/profile", http.StatusOK), `name="remove_avatar"`) {
			t.Fatal("the profile settings offer no way to remove the avatar")
		}
		resp, body = postForm(t, b, n, "/settings/profile", url.Values{"csrf_token": {csrf}, "display_name": {strings.Repeat("x", 31)}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The display name is too long") {
			t.Fatalf("a too long name: %d\n%s", resp.StatusCode, body)
		}

		// Sending.
		if resp, body := postForm(t, b, n, "/settings/sending", url.Values{"csrf_token": {csrf}, "delay": {"30"}, "quiet_start": {"22:00"}, "quiet_end": {"07:00"}, "quiet_delay": {"600"}, "time_zone": {"Europe/Dublin"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save sending: %d\n%s", resp.StatusCode, body)
		}
		if sending := mePage(t, b, n, "/settings/sending", http.StatusOK); !contains(sending, `<option value="30" selected>`, `value="22:00"`, `<option value="600" selected>`, `value="Europe/Dublin"`) {
			t.Fatalf("sending settings after saving:\n%s", sending)
		}
		u, _ := n.svc.UserByUsername(ctx, "dara")
		if p := n.svc.SendPreferences(u); p.Delay == nil || time.Duration(*p.Delay) != 30*time.Second || p.QuietStart != "22:00" {
			t.Fatalf("send preferences: %+v", p)
		}
		if resp, body := postForm(t, b, n, "/settings/sending", url.Values{"csrf_token": {csrf}, "quiet_start": {"late"}, "quiet_end": {"07:00"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "such as 22:00") {
			t.Fatalf("a bad quiet-hours start: %d\n%s", resp.StatusCode, body)
		}

		// Authorized apps: a token shows its app, which can be signed out.
		tok := tokenFor(t, n, "dara", "read")
		apps := mePage(t, b, n, "/settings/apps", http.StatusOK)
		m := regexp.MustCompile(`action="/settings/apps/(\d+)/revoke"`).FindStringSubmatch(apps)
		if m == nil {
			t.Fatalf("apps page lists no app:\n%s", apps)
		}
		if resp, body := postForm(t, b, n, "/settings/apps/"+m[1]+"/revoke", url.Values{"csrf_token": {csrf}, "name": {"test"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d\n%s", resp.StatusCode, body)
		}
		if code, _ := call(t, n, tok, "GET", "/api/v1/accounts/verify_credentials", nil); code != http.StatusUnauthorized {
			t.Fatalf("the revoked app's token still works: %d", code)
		}
		if apps := mePage(t, b, n, "/settings/apps", http.StatusOK); !strings.Contains(apps, "No app may act for you") {
			t.Fatalf("apps page after revoking:\n%s", apps)
		}

		// Two-factor sign-in: set up, on, off.
		resp, body = postForm(t, b, n, "/settings/two_factor/begin", url.Values{"csrf_token": {csrf}})
		sm := secretRE.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || sm == nil || !qrRE.MatchString(body) {
			t.Fatalf("begin two-factor: %d\n%s", resp.StatusCode, body)
		}
		secret := strings.ReplaceAll(sm[1], " ", "")
		confirm := hiddenInputs(body)
		confirm.Set("code", wrongTOTP(t, secret))
		if resp, body := postForm(t, b, n, "/settings/two_factor/confirm", confirm); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, sm[1]) {
			t.Fatalf("a wrong code: %d\n%s", resp.StatusCode, body)
		}
		confirm.Set("code", totpNow(t, secret, time.Now()))
		resp, body = postForm(t, b, n, "/settings/two_factor/confirm", confirm)
		if resp.StatusCode != http.StatusOK || len(recoveryCodeRE.FindAllString(body, -1)) == 0 {
			t.Fatalf("confirm two-factor: %d\n%s", resp.StatusCode, body)
		}
		if on, _ := n.svc.TwoFactorEnabled(ctx, u); !on {
			t.Fatal("two-factor sign-in is not on")
		}
		if tf := mePage(t, b, n, "/settings/two_factor", http.StatusOK); !strings.Contains(tf, "is <strong>on</strong>") {
			t.Fatalf("two-factor page when on:\n%s", tf)
		}
		if resp, _ := postForm(t, b, n, "/settings/two_factor/disable", url.Values{"csrf_token": {csrf}, "password": {"wrong password"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("disable with a wrong password: %d", resp.StatusCode)
		}
		if resp, body := postForm(t, b, n, "/settings/two_factor/disable", url.Values{"csrf_token": {csrf}, "password": {"a long password"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "is <strong>off</strong>") {
			t.Fatalf("disable: %d\n%s", resp.StatusCode, body)
		}

		// Password: the current one is checked; other sessions end.
		other := signedIn(t, n, "dara", "a long password")
		if resp, body := postForm(t, b, n, "/settings/password", url.Values{"csrf_token": {csrf}, "current_password": {"not it at all"}, "new_password": {"a newer password"}, "confirm_password": {"a newer password"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "current password is not right") {
			t.Fatalf("a wrong current password: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := postForm(t, b, n, "/settings/password", url.Values{"csrf_token": {csrf}, "current_password": {"a long password"}, "new_password": {"short"}, "confirm_password": {"short"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 10 characters") {
			t.Fatalf("a short new password: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := postForm(t, b, n, "/settings/password", url.Values{"csrf_token": {csrf}, "current_password": {"a long password"}, "new_password": {"a newer password"}, "confirm_password": {"a newer password"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("change password: %d\n%s", resp.StatusCode, body)
		}
		mePage(t, b, n, "/settings/password?saved=1", http.StatusOK)
		if resp, _ := oauthSend(t, other, "GET", n.base+"/home", nil, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the other session survived the password change: %d", resp.StatusCode)
		}
		signedIn(t, n, "dara", "a newer password")
	})
}

// In a real browser: write a post with an image and its description on
// the compose form, see it on one's public profile and home, and every
// form of the signed-in pages refuses a post without its CSRF token.
func TestMePagesInBrowserComposeThenProfile(t *testing.T) {
	n := startNode(t, storage.SQLite)
	n.user(t, "eimear", false)
	_, b := newBrowser(t)
	cookie := b.signIn(n, "eimear")
	img := filepath.Join(t.TempDir(), "rota.png")
	if err := os.WriteFile(img, testPNG(t, 8, 6), 0o600); err != nil {
		t.Fatal(err)
	}
	b.visit(n.base + "/compose")
	b.run("write a post with an image",
		chromedp.SendKeys(chromedp.CSS("#text"), "Handover at 8 sharp, seminar room"),
		chromedp.SetUploadFiles(chromedp.CSS("#image_1"), []string{img}),
		chromedp.SendKeys(chromedp.CSS("#alt_1"), "The handover rota for this week"),
		chromedp.Click(chromedp.CSS("form.compose button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("article.status")),
	)
	if where := browserEval[string](b, `location.pathname`); !postedRE.MatchString(where) {
		t.Fatalf("after posting the browser is on %s", where)
	}
	b.screenshot("posted")
	b.visit(n.base + "/@eimear")
	if !strings.Contains(b.text(), "Handover at 8 sharp, seminar room") {
		t.Fatalf("the profile does not show the post:\n%s", b.text())
	}
	b.visit(n.base + "/home")
	if home := b.outerHTML("main"); !contains(home, "Handover at 8 sharp", `alt="The handover rota for this week"`) {
		t.Fatalf("home:\n%s", home)
	}
	b.screenshot("home")
	for _, path := range []string{"/home", "/compose", "/settings/profile", "/settings/sending", "/settings/password", "/settings/two_factor", "/settings/apps"} {
		checkPage(t, n.base+path, cookie)
		if formsRefuseWithoutCSRF(t, n.base+path, cookie) == 0 {
			t.Errorf("%s has no form", path)
		}
	}
}

// A post written on the web form reaches a follower on another server; its
// deliveries page names that server as delivered, and the follower's reply
// shows on the author's notifications page.
func TestMePagesDeliveriesAndNotificationsAcrossServers(t *testing.T) {
	ctx := context.Background()
	a, b := startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	a.user(t, "fionn", false)
	grainne := b.user(t, "grainne", false)
	fionnOnB, err := b.fed.ResolveAccount(ctx, "fionn@"+a.domain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Follow(ctx, grainne, fionnOnB); err != nil {
		t.Fatal(err)
	}
	eventually(t, "grainne following fionn", func() bool {
		fionn, _ := a.svc.LocalAccount(ctx, "fionn")
		c, _ := a.svc.Counts(ctx, fionn)
		return c.Followers == 1
	})
	br := signedIn(t, a, "fionn", "a long password")
	csrf := csrfOf(t, mePage(t, br, a, "/compose", http.StatusOK))
	id := postMultipartID(t, br, a, url.Values{"csrf_token": {csrf}, "text": {"Grand rounds moved to the atrium"}})
	var onB *storage.Status
	eventually(t, "the post reaching grainne", func() bool {
		sts, _ := b.svc.HomeTimeline(ctx, grainne, storage.Page{Limit: 5})
		for _, st := range sts {
			if strings.Contains(st.Content, "Grand rounds moved") {
				onB = st
				return true
			}
		}
		return false
	})
	eventually(t, "the delivery being recorded", func() bool {
		body := mePage(t, br, a, "/statuses/"+id+"/deliveries", http.StatusOK)
		return contains(body, b.domain, "1 delivered", "Delivered")
	})

	if _, err := b.svc.PostStatus(ctx, grainne, social.NewStatus{Text: "@fionn@" + a.domain + " see you there", InReplyToID: onB.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reply's notification", func() bool {
		body := mePage(t, br, a, "/notifications", http.StatusOK)
		return contains(body, "mentioned you", "see you there", "@grainne@"+b.domain)
	})
}
