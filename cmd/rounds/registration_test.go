package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// signUpApp is a Mastodon app that signs people up, as the official apps
// do: it registers itself, takes an app token with client_credentials and
// posts to /api/v1/accounts with it.
type signUpApp struct {
	n                *node
	clientID, secret string
	token            string
	addresses        atomic.Int64
}

func newSignUpApp(t *testing.T, n *node, scope string) *signUpApp {
	t.Helper()
	app, err := mastodon.RegisterApp(context.Background(), &mastodon.AppConfig{
		Server: n.base, ClientName: "sign-up test", Scopes: "read write follow", RedirectURIs: social.OOBRedirectURI,
	})
	if err != nil {
		t.Fatalf("register app: %v", err)
	}
	resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {scope},
	}, nil)
	m := oauthJSON(t, resp, body)
	tok, _ := m["access_token"].(string)
	if resp.StatusCode != 200 || tok == "" {
		t.Fatalf("client_credentials: %d %s", resp.StatusCode, body)
	}
	return &signUpApp{n: n, clientID: app.ClientID, secret: app.ClientSecret, token: tok}
}

// signUp posts a registration. Each call comes from its own client address
// (X-Forwarded-For from loopback is trusted), so that the sign-up limit of
// 5 per address does not get in the way, unless from is given.
func (a *signUpApp) signUp(t *testing.T, form url.Values, from string) (int, map[string]any) {
	t.Helper()
	if from == "" {
		i := a.addresses.Add(1)
		from = fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
	}
	resp, body := oauthSend(t, http.DefaultClient, "POST", a.n.base+"/api/v1/accounts", form, map[string]string{
		"Authorization": "Bearer " + a.token, "X-Forwarded-For": from,
	})
	return resp.StatusCode, oauthJSON(t, resp, body)
}

func registration(username string, extra ...string) url.Values {
	v := url.Values{"username": {username}, "password": {"a long password"}, "agreement": {"true"}, "locale": {"en"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func setRegistrations(t *testing.T, n *node, mode string) {
	t.Helper()
	if _, err := n.svc.UpdateSettings(context.Background(), social.CommandLine, func(st *social.Settings) { st.RegistrationsMode = mode }); err != nil {
		t.Fatal(err)
	}
}

// detailCode returns the first error code of field in a 422's details.
func detailCode(m map[string]any, field string) string {
	d, _ := m["details"].(map[string]any)
	list, _ := d[field].([]any)
	if len(list) == 0 {
		return ""
	}
	first, _ := list[0].(map[string]any)
	s, _ := first["error"].(string)
	return s
}

// tokenClient is a Mastodon client library acting with token.
func tokenClient(n *node, token string) *mastodon.Client {
	return mastodon.NewClient(&mastodon.Config{Server: n.base, AccessToken: token})
}

func apiStatus(err error) (int, string) {
	var ae *mastodon.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode, ae.Message
	}
	return 0, fmt.Sprint(err)
}

func TestRegistrationModesThroughTheMastodonAPI(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		app := newSignUpApp(t, n, "read write")

		// Closed, the default: refused with words a person can act on.
		var v2 map[string]any
		rawGet(t, n, nil, "/api/v2/instance", &v2)
		reg, _ := v2["registrations"].(map[string]any)
		requireKeys(t, "v2 registrations", reg, "enabled", "approval_required", "message", "url", "min_age", "reason_required")
		if reg["enabled"] != false || reg["approval_required"] != false || reg["message"] == nil {
			t.Fatalf("closed v2 registrations = %v", reg)
		}
		code, m := app.signUp(t, registration("ward_nurse"), "")
		if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(m["error"]), "Registrations are closed on this server; ask its admins for an account") {
			t.Fatalf("closed: %d %v", code, m)
		}

		// Invite: a code is needed, and a good one lets the person in at once.
		setRegistrations(t, n, social.RegistrationsInvite)
		var v1 map[string]any
		rawGet(t, n, nil, "/api/v1/instance", &v1)
		if v1["registrations"] != false || v1["invites_enabled"] != true || v1["approval_required"] != false {
			t.Fatalf("invite-mode v1 instance: registrations %v invites %v approval %v", v1["registrations"], v1["invites_enabled"], v1["approval_required"])
		}
		if code, m := app.signUp(t, registration("ward_nurse"), ""); code != http.StatusForbidden || !strings.Contains(fmt.Sprint(m["error"]), "invite") {
			t.Fatalf("invite mode without a code: %d %v", code, m)
		}
		one := 1
		single, _, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{MaxUses: &one})
		if err != nil {
			t.Fatal(err)
		}
		code, m = app.signUp(t, registration("ward_nurse", "invite_code", single.Code, "email", ""), "")
		if code != http.StatusOK {
			t.Fatalf("sign-up with an invite: %d %v", code, m)
		}
		requireKeys(t, "Token", m, "access_token", "token_type", "scope", "created_at")
		if m["token_type"] != "Bearer" || m["scope"] != "read write" {
			t.Fatalf("token = %v", m)
		}
		if _, ok := m["created_at"].(float64); !ok {
			t.Fatalf("created_at = %#v, want a number", m["created_at"])
		}
		me, err := tokenClient(n, m["access_token"].(string)).GetAccountCurrentUser(ctx)
		if err != nil || me.Username != "ward_nurse" {
			t.Fatalf("the new token: %v, %v", me, err)
		}

		expiring, _, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{ExpiresIn: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		withdrawn, _, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.RevokeInvite(ctx, social.CommandLine, withdrawn.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		for _, c := range []struct{ name, code, want string }{
			{"used up", single.Code, "used up"},
			{"expired", expiring.Code, "expired"},
			{"revoked", withdrawn.Code, "withdrawn"},
			{"unknown", "no-such-code", "not a valid invite"},
		} {
			code, m := app.signUp(t, registration("nurse_"+strings.ReplaceAll(c.name, " ", "_"), "invite_code", c.code), "")
			if code != http.StatusUnprocessableEntity || detailCode(m, "invite_code") != "ERR_INVALID" || !strings.Contains(fmt.Sprint(m["error"]), c.want) {
				t.Errorf("%s invite: %d %v", c.name, code, m)
			}
		}

		// Every problem at once, by field, as Mastodon words them.
		open, _, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		code, m = app.signUp(t, url.Values{"username": {"Ward_Nurse"}, "password": {"short"}, "email": {"not an address"}, "invite_code": {open.Code}}, "")
		if code != http.StatusUnprocessableEntity || !strings.HasPrefix(fmt.Sprint(m["error"]), "Validation failed: Username is already taken") {
			t.Fatalf("bad fields: %d %v", code, m)
		}
		for field, want := range map[string]string{"username": "ERR_TAKEN", "password": "ERR_TOO_SHORT", "email": "ERR_INVALID", "agreement": "ERR_ACCEPTED"} {
			if got := detailCode(m, field); got != want {
				t.Errorf("details[%s] = %q, want %q (%v)", field, got, want, m["details"])
			}
		}

		// The route wants an app token with write:accounts.
		resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/api/v1/accounts", registration("x", "invite_code", open.Code), nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("without a token: %d %s", resp.StatusCode, body)
		}
		readOnly := newSignUpApp(t, n, "read")
		if code, m := readOnly.signUp(t, registration("reader", "invite_code", open.Code), ""); code != http.StatusForbidden || m["error"] != "This action is outside the authorized scopes" {
			t.Fatalf("read-only app token: %d %v", code, m)
		}

		// Approval: a reason is needed, and the token waits for an admin.
		setRegistrations(t, n, social.RegistrationsApproval)
		rawGet(t, n, nil, "/api/v2/instance", &v2)
		reg, _ = v2["registrations"].(map[string]any)
		if reg["enabled"] != true || reg["approval_required"] != true || reg["reason_required"] != true || reg["message"] != nil {
			t.Fatalf("approval v2 registrations = %v", reg)
		}
		if code, m := app.signUp(t, registration("applicant"), ""); code != http.StatusUnprocessableEntity || detailCode(m, "reason") != "ERR_BLANK" {
			t.Fatalf("no reason: %d %v", code, m)
		}
		code, m = app.signUp(t, registration("applicant", "reason", "Ward sister, St Elsewhere ED"), "")
		if code != http.StatusOK {
			t.Fatalf("application: %d %v", code, m)
		}
		applicant := tokenClient(n, m["access_token"].(string))
		if _, err := applicant.GetAccountCurrentUser(ctx); !strings.Contains(fmt.Sprint(err), "Your login is currently pending approval") {
			t.Fatalf("the token of an applicant: %v", err)
		}
		if st, _ := apiStatus(func() error { _, err := applicant.GetTimelineHome(ctx, nil); return err }()); st != http.StatusForbidden {
			t.Fatalf("home timeline of an applicant: %d", st)
		}
		if _, err := n.svc.ApproveUser(ctx, "applicant"); err != nil {
			t.Fatal(err)
		}
		if me, err := applicant.GetAccountCurrentUser(ctx); err != nil || me.Username != "applicant" {
			t.Fatalf("after approval: %v, %v", me, err)
		}

		// Sign-ups are limited to 5 per 30 minutes per address.
		for i := 1; i <= 6; i++ {
			code, m := app.signUp(t, registration("limited"), "10.250.0.1")
			if i <= 5 && code == http.StatusTooManyRequests || i == 6 && (code != http.StatusTooManyRequests || m["error"] != "Too many requests") {
				t.Fatalf("sign-up %d from one address: %d %v", i, code, m)
			}
		}
	})
}

func TestSingleUseInviteRacedByTenSignUpsOpensOneAccount(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		app := newSignUpApp(t, n, "read write")
		setRegistrations(t, n, social.RegistrationsInvite)
		one := 1
		inv, _, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{MaxUses: &one})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		codes := make([]int, 10)
		start := make(chan struct{})
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				form := registration(fmt.Sprintf("racer_%d", i), "invite_code", inv.Code)
				req, _ := http.NewRequest("POST", n.base+"/api/v1/accounts", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", "Bearer "+app.token)
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.2.0.%d", i+1))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes[i] = resp.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				won++
			case http.StatusUnprocessableEntity:
			default:
				t.Errorf("a racer got %d", c)
			}
		}
		if won != 1 {
			t.Fatalf("%d sign-ups got the single-use invite (codes %v)", won, codes)
		}
		list, err := n.svc.Invites(ctx, social.CommandLine)
		if err != nil || len(list) != 1 || list[0].Uses != 1 {
			t.Fatalf("invites = %+v, %v", list, err)
		}
		users, err := n.svc.ListUsers(ctx, storage.UserFilter{})
		if err != nil || len(users) != 1 || users[0].InviteID == nil || *users[0].InviteID != inv.ID {
			t.Fatalf("users = %v, %v", users, err)
		}
	})
}

// smtpSink is a mail server on loopback that keeps what it is sent.
type smtpSink struct {
	port int
	msgs chan *mail.Message
}

func startSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpSink{port: ln.Addr().(*net.TCPAddr).Port, msgs: make(chan *mail.Message, 16)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.session(conn)
		}
	}()
	return s
}

// session speaks just enough SMTP (RFC 5321) for net/smtp: no STARTTLS
// and no AUTH are offered.
func (s *smtpSink) session(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(conn)
	_ = tp.PrintfLine("220 sink.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			_ = tp.PrintfLine("250-sink.test")
			_ = tp.PrintfLine("250 8BITMIME")
		case "HELO", "MAIL", "RCPT", "RSET", "NOOP":
			_ = tp.PrintfLine("250 OK")
		case "DATA":
			_ = tp.PrintfLine("354 go ahead")
			raw, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
			if err != nil {
				_ = tp.PrintfLine("554 unreadable message")
				continue
			}
			s.msgs <- msg
			_ = tp.PrintfLine("250 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 not here")
		}
	}
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// next waits for the next email and returns its recipient, subject and the
// one link in it.
func (s *smtpSink) next(t *testing.T) (to, subject, link string) {
	t.Helper()
	select {
	case msg := <-s.msgs:
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		dec := new(mime.WordDecoder)
		subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
		return msg.Header.Get("To"), subject, linkRE.FindString(string(body))
	case <-time.After(20 * time.Second):
		t.Fatal("no email within 20s")
	}
	return "", "", ""
}

func TestEmailConfirmationAndPasswordResetByEmail(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		sink := startSMTPSink(t)
		n := startNodeWith(t, dialect, func(rc *rawConfig) {
			rc.smtpHost, rc.smtpPort, rc.smtpFrom = "127.0.0.1", strconv.Itoa(sink.port), "Rounds <rounds@hospital.example>"
		})
		app := newSignUpApp(t, n, "read write")
		setRegistrations(t, n, social.RegistrationsInvite)
		inv, _, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		code, m := app.signUp(t, registration("ann", "invite_code", inv.Code, "email", "ann@hospital.example"), "")
		if code != http.StatusOK {
			t.Fatalf("sign-up: %d %v", code, m)
		}
		ann := tokenClient(n, m["access_token"].(string))
		if st, msg := apiStatus(func() error { _, err := ann.GetAccountCurrentUser(ctx); return err }()); st != http.StatusForbidden || msg != "Your login is missing a confirmed e-mail address" {
			t.Fatalf("before confirming: %d %q", st, msg)
		}

		to, subject, link := sink.next(t)
		if !strings.Contains(to, "ann@hospital.example") || !strings.Contains(subject, "Confirm your email address") || !strings.HasPrefix(link, n.base+"/auth/confirmation/") {
			t.Fatalf("confirmation email: to %q subject %q link %q", to, subject, link)
		}
		if code, page := get(t, link); code != http.StatusOK || !strings.Contains(page, "Email address confirmed") {
			t.Fatalf("confirmation link: %d\n%s", code, page)
		}
		if me, err := ann.GetAccountCurrentUser(ctx); err != nil || me.Username != "ann" {
			t.Fatalf("after confirming: %v, %v", me, err)
		}
		if code, _ := get(t, link); code != http.StatusNotFound {
			t.Fatalf("a confirmation link worked twice: %d", code)
		}

		// Forgotten password: the page answers the same for an unknown
		// address, and only the account's owner gets a link.
		browser := oauthBrowser(t)
		resp, page := oauthSend(t, browser, "GET", n.base+"/auth/password/forgot", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<label for="email">`) {
			t.Fatalf("forgot page: %d\n%s", resp.StatusCode, page)
		}
		form := hiddenInputs(page)
		form.Set("email", "nobody@hospital.example")
		respNobody, pageNobody := oauthSend(t, browser, "POST", n.base+"/auth/password/forgot", form, nil)
		form.Set("email", "ann@hospital.example")
		respAnn, pageAnn := oauthSend(t, browser, "POST", n.base+"/auth/password/forgot", form, nil)
		if respNobody.StatusCode != http.StatusOK || respAnn.StatusCode != http.StatusOK ||
			strings.ReplaceAll(pageNobody, "nobody@", "ann@") != pageAnn || !strings.Contains(pageAnn, "Check your email") {
			t.Fatalf("forgot answers differ: %d %d\n%s\n%s", respNobody.StatusCode, respAnn.StatusCode, pageNobody, pageAnn)
		}
		to, subject, link = sink.next(t)
		if !strings.Contains(to, "ann@hospital.example") || !strings.Contains(subject, "Reset your password") || !strings.HasPrefix(link, n.base+"/auth/password/reset/") {
			t.Fatalf("reset email: to %q subject %q link %q", to, subject, link)
		}
		resp, page = oauthSend(t, browser, "GET", link, nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "@ann@") {
			t.Fatalf("reset page: %d\n%s", resp.StatusCode, page)
		}
		form = hiddenInputs(page)
		form.Set("password", "a brand new password")
		form.Set("password_confirmation", "a brand new password")
		if resp, page := oauthSend(t, browser, "POST", link, form, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Password changed") {
			t.Fatalf("reset: %d\n%s", resp.StatusCode, page)
		}
		if st, _ := apiStatus(func() error { _, err := ann.GetAccountCurrentUser(ctx); return err }()); st != http.StatusUnauthorized {
			t.Fatalf("the token from before the reset answers %d, want 401", st)
		}
		again := mastodon.NewClient(&mastodon.Config{Server: n.base, ClientID: app.clientID, ClientSecret: app.secret})
		if err := again.Authenticate(ctx, "ann", "a brand new password"); err != nil {
			t.Fatalf("sign in with the new password: %v", err)
		}
	})
}

func TestWebSignUpAndAdminPasswordResetLinkPages(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	browser := oauthBrowser(t)

	// Closed: the sign-up page says so.
	if resp, page := oauthSend(t, browser, "GET", n.base+"/auth/sign_up", nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Registrations are closed") {
		t.Fatalf("closed sign-up page: %d\n%s", resp.StatusCode, page)
	}

	// Approval: the form asks for a reason; the applicant waits.
	setRegistrations(t, n, social.RegistrationsApproval)
	resp, page := oauthSend(t, browser, "GET", n.base+"/auth/sign_up", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<label for="reason">`) || !strings.Contains(page, `<label for="username">`) {
		t.Fatalf("approval sign-up page: %d\n%s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(page, "<script") {
		t.Fatalf("CSP %q or a script on the page", csp)
	}
	form := hiddenInputs(page)
	for k, v := range map[string]string{"username": "web_applicant", "password": "a long password", "password_confirmation": "a long password", "agreement": "1"} {
		form.Set(k, v)
	}
	if resp, page := oauthSend(t, browser, "POST", n.base+"/auth/sign_up", form, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Reason can&#39;t be blank") {
		t.Fatalf("no reason: %d\n%s", resp.StatusCode, page)
	}
	form.Set("reason", "Pharmacist on ward 7")
	forged := url.Values{}
	for k, v := range form {
		forged[k] = v
	}
	forged.Set("csrf_token", "forged")
	if resp, _ := oauthSend(t, browser, "POST", n.base+"/auth/sign_up", forged, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a forged form token: %d", resp.StatusCode)
	}
	if resp, page := oauthSend(t, browser, "POST", n.base+"/auth/sign_up", form, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "waiting for an admin") {
		t.Fatalf("application: %d\n%s", resp.StatusCode, page)
	}
	if u, err := n.svc.UserByUsername(ctx, "web_applicant"); err != nil || u.Approved || u.Reason != "Pharmacist on ward 7" {
		t.Fatalf("applicant = %+v, %v", u, err)
	}

	// An invite link opens the form and then the account.
	setRegistrations(t, n, social.RegistrationsInvite)
	_, link, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, page = oauthSend(t, browser, "GET", link, nil, nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(page, `name="reason"`) {
		t.Fatalf("invite page: %d\n%s", resp.StatusCode, page)
	}
	form = hiddenInputs(page)
	for k, v := range map[string]string{"username": "invited", "password": "a long password", "password_confirmation": "a long password", "agreement": "on"} {
		form.Set(k, v)
	}
	if resp, page := oauthSend(t, browser, "POST", link, form, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Your account is ready") {
		t.Fatalf("invited sign-up: %d\n%s", resp.StatusCode, page)
	}
	if resp, page := oauthSend(t, browser, "GET", n.base+"/invite/nonsense", nil, nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "not a valid invite") {
		t.Fatalf("unknown invite: %d\n%s", resp.StatusCode, page)
	}

	// Without email, the forgot page sends people to an admin, whose link
	// works once.
	if _, page := oauthSend(t, browser, "GET", n.base+"/auth/password/forgot", nil, nil); !strings.Contains(page, "sends no email") {
		t.Fatalf("forgot page without email:\n%s", page)
	}
	c := signIn(t, n, "invited")
	reset, err := n.svc.CreatePasswordReset(ctx, social.CommandLine, "invited")
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := oauthSend(t, browser, "GET", reset+"wrong", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a wrong token: %d", resp.StatusCode)
	}
	resp, page = oauthSend(t, browser, "GET", reset, nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<label for="password">`) || !strings.Contains(page, `<label for="password_confirmation">`) {
		t.Fatalf("reset page: %d\n%s", resp.StatusCode, page)
	}
	form = hiddenInputs(page)
	form.Set("password", "a new long password")
	form.Set("password_confirmation", "not the same at all")
	if resp, _ := oauthSend(t, browser, "POST", reset, form, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("mismatched passwords: %d", resp.StatusCode)
	}
	form.Set("password_confirmation", "a new long password")
	if resp, page := oauthSend(t, browser, "POST", reset, form, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Password changed") {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, page)
	}
	if resp, page := oauthSend(t, browser, "POST", reset, form, nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "expired or was already used") {
		t.Fatalf("second use: %d\n%s", resp.StatusCode, page)
	}
	if st, _ := apiStatus(func() error { _, err := c.GetAccountCurrentUser(ctx); return err }()); st != http.StatusUnauthorized {
		t.Fatalf("an app signed in before the reset answers %d", st)
	}
	again := mastodon.NewClient(&mastodon.Config{Server: n.base, ClientID: c.Config.ClientID, ClientSecret: c.Config.ClientSecret})
	if err := again.Authenticate(ctx, "invited", "a new long password"); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
}

func TestAdminInviteAndRegistrationsCommands(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		dbURL := storagetest.NewURL(t, dialect)
		env := map[string]string{"ROUNDS_DATABASE": dbURL, "ROUNDS_DOMAIN": "rounds.example.org"}
		if code, _, errs := runCLI(t, env, "migrate"); code != 0 {
			t.Fatal(errs)
		}
		code, out, errs := runCLI(t, env, "admin", "invite", "create", "--max-uses", "1", "--expires-in", "24h", "--comment", "Ward 5 nurses")
		if code != 0 || !contains(out, "single use", "Invite link: https://rounds.example.org/invite/", "Registrations are closed") {
			t.Fatalf("create: exit %d\n%s%s", code, out, errs)
		}
		id := regexp.MustCompile(`Created invite (\d+)`).FindStringSubmatch(out)
		if id == nil {
			t.Fatalf("no invite id in %q", out)
		}
		steps := []struct {
			args []string
			code int
			want []string
		}{
			{[]string{"admin", "invite", "list"}, 0, []string{id[1], "active", "0/1", "Ward 5 nurses", "https://rounds.example.org/invite/"}},
			{[]string{"admin", "invite", "create", "--max-uses", "-3"}, 1, []string{"max_uses must be"}},
			{[]string{"admin", "invite", "revoke"}, 2, []string{"give the invite's ID"}},
			{[]string{"admin", "invite", "revoke", "12345"}, 1, []string{"no such invite"}},
			{[]string{"admin", "invite", "revoke", id[1]}, 0, []string{"Revoked invite " + id[1]}},
			{[]string{"admin", "invite", "revoke", id[1]}, 1, []string{"already revoked"}},
			{[]string{"admin", "invite", "list"}, 0, []string{"revoked"}},
			{[]string{"admin", "invite", "explode"}, 2, []string{`unknown command "explode"`}},
			{[]string{"admin", "registrations"}, 0, []string{"Registrations are closed"}},
			{[]string{"admin", "registrations", "invite"}, 0, []string{"now by invite"}},
			{[]string{"admin", "registrations"}, 0, []string{"Registrations are by invite"}},
			{[]string{"admin", "registrations", "approval"}, 0, []string{"now by approval"}},
			{[]string{"admin", "registrations", "open"}, 2, []string{`"open" is not a mode`}},
			{[]string{"admin", "account", "create", "--username", "nurse"}, 0, []string{"Created @nurse"}},
			{[]string{"admin", "account", "reset-password", "nurse", "--link"}, 0, []string{"https://rounds.example.org/auth/password/reset/"}},
		}
		for _, s := range steps {
			code, out, errs := runCLI(t, env, s.args...)
			if code != s.code || !contains(out+errs, s.want...) {
				t.Fatalf("%v: exit %d\n%s%s\nwant exit %d and %q", s.args, code, out, errs, s.code, s.want)
			}
		}
		db, err := storage.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		entries, err := db.AuditLog(context.Background(), storage.AuditFilter{TargetType: "invite"}, storage.Page{Limit: 10})
		if err != nil || len(entries) != 2 || entries[0].Action != "revoke_invite" || entries[1].Action != "create_invite" || entries[0].Actor != "command line" {
			t.Fatalf("audit = %+v, %v", entries, err)
		}
	})
}
