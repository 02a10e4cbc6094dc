package main

import (
	"context"
	"net/url"
	"testing"

	"rounds/social"
	"rounds/storage"
)

// The pages around signing in (sign in, sign up, invite, forgotten
// password, the OAuth sign-in and consent pages, export and import) load
// in Chromium without console errors, carry the strict CSP, and refuse
// each of their forms posted without its CSRF token.
func TestAuthAndAccountPagesInBrowser(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	n.user(t, "dr_cathal", false)
	if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.RegistrationsMode = social.RegistrationsApproval }); err != nil {
		t.Fatal(err)
	}
	_, invite, err := n.svc.CreateInvite(ctx, social.CommandLine, social.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := n.svc.RegisterApp(ctx, social.NewApp{Name: "Ivory", RedirectURIs: []string{social.OOBRedirectURI}, Scopes: "read write"})
	if err != nil {
		t.Fatal(err)
	}
	authorize := n.base + "/oauth/authorize?" + url.Values{
		"client_id": {app.ClientID}, "response_type": {"code"}, "redirect_uri": {social.OOBRedirectURI}, "scope": {"read write"},
	}.Encode()
	_, b := newBrowser(t)

	anonymous := []string{n.base + "/auth/sign_in", n.base + "/auth/sign_up", invite, n.base + "/auth/password/forgot", authorize}
	names := []string{"sign-in", "sign-up", "invite", "forgot-password", "oauth-sign-in"}
	for i, page := range anonymous {
		checkPage(t, page, "")
		b.visit(page)
		b.screenshot(names[i])
		formsRefuseWithoutCSRF(t, page, "")
	}
	cookie := b.signIn(n, "dr_cathal")
	for i, page := range []string{authorize, n.base + "/settings/export", n.base + "/settings/import"} {
		checkPage(t, page, cookie)
		b.visit(page)
		b.screenshot([]string{"oauth-consent", "export", "import"}[i])
		formsRefuseWithoutCSRF(t, page, cookie)
	}
}
