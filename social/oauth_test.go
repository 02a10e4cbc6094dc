package social_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// clock is a settable time for a Service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }

func newOAuthService(t *testing.T, dialect storage.Dialect) (*social.Service, *storage.DB, *clock) {
	t.Helper()
	db := storagetest.Open(t, dialect)
	c := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	s := social.New(social.Options{
		DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}),
		Domain: "rounds.test", Protocol: "https", Now: c.now,
	})
	return s, db, c
}

func registerApp(t *testing.T, s *social.Service, scopes string, uris ...string) (*storage.OAuthApp, string) {
	t.Helper()
	app, secret, err := s.RegisterApp(context.Background(), social.NewApp{Name: "Ivory", RedirectURIs: uris, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return app, secret
}

func approvedUser(t *testing.T, s *social.Service, name string) *storage.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), social.NewUser{Username: name, Email: name + "@hse.example", Password: "a long password", Approved: true})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func oauthCode(err error) string {
	var oe *social.OAuthError
	if errors.As(err, &oe) {
		return oe.Code
	}
	return ""
}

func TestScopeAllowsFollowsMastodonScopeHierarchy(t *testing.T) {
	cases := []struct {
		granted  string
		required string
		want     bool
	}{
		{"read", "read", true},
		{"read", "read:statuses", true},
		{"read", "read:accounts", true},
		{"read", "write:statuses", false},
		{"read:statuses", "read", false},
		{"read:statuses", "read:accounts", false},
		{"write", "write:media", true},
		{"write", "read:statuses", false},
		{"follow", "read:follows", true},
		{"follow", "write:follows", true},
		{"follow", "read:blocks", true},
		{"follow", "write:blocks", true},
		{"follow", "read:mutes", true},
		{"follow", "write:mutes", true},
		{"follow", "write:statuses", false},
		{"follow", "read:statuses", false},
		{"profile", "profile", true},
		{"read", "profile", true},
		{"read:accounts", "profile", true},
		{"profile", "read:accounts", false},
		{"write", "profile", false},
		{"admin:read", "admin:read:accounts", true},
		{"admin:read", "admin:write:accounts", false},
		{"admin:write", "admin:write:reports", true},
		{"read", "admin:read:accounts", false},
		{"push", "push", true},
		{"read write follow push", "write:favourites", true},
		{"", "read", false},
	}
	for _, c := range cases {
		if got := social.ScopeAllows(strings.Fields(c.granted), c.required); got != c.want {
			t.Errorf("ScopeAllows(%q, %q) = %v, want %v", c.granted, c.required, got, c.want)
		}
	}
}

func TestParseScopesDefaultsToReadAndRefusesUnknownScopes(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "read",
		"   ":                              "read",
		"read write follow push":           "read write follow push",
		"read+write":                       "read write",
		"read read:statuses read":          "read read:statuses",
		"profile admin:read:domain_allows": "profile admin:read:domain_allows",
	} {
		got, err := social.ParseScopes(in)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("ParseScopes(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"crypto", "read:everything", "admin", "admin:read:statuses", "READ"} {
		var ve *social.ValidationError
		if _, err := social.ParseScopes(in); !errors.As(err, &ve) || ve.Field != "scopes" {
			t.Errorf("ParseScopes(%q) = %v, want a validation error on scopes", in, err)
		}
	}
	all := social.ScopesSupported()
	for _, s := range []string{"profile", "read", "write", "follow", "push", "admin:read", "admin:write", "read:statuses", "write:media", "admin:read:accounts", "admin:write:canonical_email_blocks"} {
		if !slices.Contains(all, s) {
			t.Errorf("ScopesSupported lacks %s", s)
		}
	}
}

func TestRegisterAppAcceptsNativeAndOutOfBandRedirectsAndRefusesBadInput(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, _ := newOAuthService(t, dialect)
		app, secret, err := s.RegisterApp(ctx, social.NewApp{
			Name:    " Ivory for Mastodon ",
			Website: "https://tapbots.com/ivory/",
			RedirectURIs: []string{
				"com.tapbots.Ivory.19300:/request_token\nurn:ietf:wg:oauth:2.0:oob",
				"https://app.example/callback?x=1 http://127.0.0.1/cb",
				"com.tapbots.Ivory.19300:/request_token",
			},
			Scopes: "read write follow push",
		})
		if err != nil {
			t.Fatal(err)
		}
		wantURIs := []string{"com.tapbots.Ivory.19300:/request_token", social.OOBRedirectURI, "https://app.example/callback?x=1", "http://127.0.0.1/cb"}
		if app.Name != "Ivory for Mastodon" || !slices.Equal(app.RedirectURIList(), wantURIs) || app.Scopes != "read write follow push" {
			t.Fatalf("app = %+v", app)
		}
		if secret == "" || app.ClientID == "" || strings.Contains(app.ClientSecretHash, secret) {
			t.Fatalf("client id %q, secret %q, stored %q: the secret must be stored only hashed", app.ClientID, secret, app.ClientSecretHash)
		}
		if got, err := s.AuthenticateClient(ctx, app.ClientID, secret); err != nil || got.ID != app.ID {
			t.Fatalf("AuthenticateClient = %v, %v", got, err)
		}
		for _, bad := range [][2]string{{app.ClientID, secret + "x"}, {"nope", secret}, {app.ClientID, ""}, {"", ""}} {
			if _, err := s.AuthenticateClient(ctx, bad[0], bad[1]); oauthCode(err) != social.OAuthInvalidClient {
				t.Errorf("AuthenticateClient(%q, %q) = %v, want invalid_client", bad[0], bad[1], err)
			}
		}
		if app, _, err := s.RegisterApp(ctx, social.NewApp{Name: "x", RedirectURIs: []string{social.OOBRedirectURI}}); err != nil || app.Scopes != "read" {
			t.Fatalf("an app with no scopes: %+v, %v; want read", app, err)
		}

		var elevenURIs []string
		for i := range 11 {
			elevenURIs = append(elevenURIs, fmt.Sprintf("https://app.example/%d", i))
		}
		bad := []struct {
			in    social.NewApp
			field string
		}{
			{social.NewApp{Name: "", RedirectURIs: []string{social.OOBRedirectURI}}, "name"},
			{social.NewApp{Name: strings.Repeat("n", 61), RedirectURIs: []string{social.OOBRedirectURI}}, "name"},
			{social.NewApp{Name: "x"}, "redirect URI"},
			{social.NewApp{Name: "x", RedirectURIs: []string{" "}}, "redirect URI"},
			{social.NewApp{Name: "x", RedirectURIs: []string{"/relative/callback"}}, "redirect URI"},
			{social.NewApp{Name: "x", RedirectURIs: []string{"callback"}}, "redirect URI"},
			{social.NewApp{Name: "x", RedirectURIs: []string{"https://app.example/cb#frag"}}, "redirect URI"},
			{social.NewApp{Name: "x", RedirectURIs: []string{"javascript:alert(1)"}}, "redirect URI"},
			{social.NewApp{Name: "x", RedirectURIs: []string{"https:///nohost"}}, "redirect URI"},
			{social.NewApp{Name: "x", RedirectURIs: elevenURIs}, "redirect URIs"},
			{social.NewApp{Name: "x", RedirectURIs: []string{social.OOBRedirectURI}, Scopes: "read crypto"}, "scopes"},
			{social.NewApp{Name: "x", RedirectURIs: []string{social.OOBRedirectURI}, Website: "ftp://files.example"}, "website"},
			{social.NewApp{Name: "x", RedirectURIs: []string{social.OOBRedirectURI}, Website: "not a url"}, "website"},
		}
		for _, b := range bad {
			var ve *social.ValidationError
			if _, _, err := s.RegisterApp(ctx, b.in); !errors.As(err, &ve) || ve.Field != b.field {
				t.Errorf("RegisterApp(%+v) = %v, want a validation error on %s", b.in, err, b.field)
			}
		}
	})
}

func TestOAuthRequestsFromUntrustedClientsAreNeverRedirected(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, _ := newOAuthService(t, dialect)
		app, _ := registerApp(t, s, "read write", "https://app.example/cb", "http://127.0.0.1/cb")
		ok := social.AuthorizationRequest{ClientID: app.ClientID, RedirectURI: "https://app.example/cb", ResponseType: "code", Scope: "read", State: "xyz"}

		auth, err := s.CheckAuthorization(ctx, ok)
		if err != nil || auth.App.ID != app.ID || !slices.Equal(auth.Scopes, []string{"read"}) {
			t.Fatalf("CheckAuthorization = %+v, %v", auth, err)
		}
		if got := auth.CodeRedirect("C0DE"); got != "https://app.example/cb?code=C0DE&state=xyz" {
			t.Fatalf("CodeRedirect = %s", got)
		}
		denied := auth.ErrorRedirect(&social.OAuthError{Code: social.OAuthAccessDenied, Description: "no"})
		if u, _ := url.Parse(denied); u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "xyz" {
			t.Fatalf("ErrorRedirect = %s", denied)
		}

		untrusted := []social.AuthorizationRequest{
			{ClientID: "", RedirectURI: "https://app.example/cb", ResponseType: "code"},
			{ClientID: "unknown", RedirectURI: "https://app.example/cb", ResponseType: "code"},
			{ClientID: app.ClientID, RedirectURI: "", ResponseType: "code"},
			{ClientID: app.ClientID, RedirectURI: "https://evil.example/cb", ResponseType: "code"},
			{ClientID: app.ClientID, RedirectURI: "https://app.example/cb/../evil", ResponseType: "code"},
			{ClientID: app.ClientID, RedirectURI: "https://app.example/cb?x=1", ResponseType: "code"},
		}
		for _, req := range untrusted {
			if auth, err := s.CheckAuthorization(ctx, req); err == nil || auth != nil {
				t.Errorf("CheckAuthorization(%+v) = %+v, %v; want an error and no redirect", req, auth, err)
			}
		}

		redirectable := []struct {
			change func(*social.AuthorizationRequest)
			code   string
		}{
			{func(r *social.AuthorizationRequest) { r.ResponseType = "token" }, social.OAuthUnsupportedResponseType},
			{func(r *social.AuthorizationRequest) { r.Scope = "read follow" }, social.OAuthInvalidScope},
			{func(r *social.AuthorizationRequest) { r.Scope = "crypto" }, social.OAuthInvalidScope},
			{func(r *social.AuthorizationRequest) { r.CodeChallengeMethod = "S256" }, social.OAuthInvalidRequest},
			{func(r *social.AuthorizationRequest) { r.CodeChallenge, r.CodeChallengeMethod = pkce("v"), "S512" }, social.OAuthInvalidRequest},
			{func(r *social.AuthorizationRequest) { r.CodeChallenge, r.CodeChallengeMethod = "short", "S256" }, social.OAuthInvalidRequest},
			{func(r *social.AuthorizationRequest) { r.CodeChallenge = "short" }, social.OAuthInvalidRequest},
			// plain is not advertised, so it is refused, named or implied.
			{func(r *social.AuthorizationRequest) { r.CodeChallenge = strings.Repeat("v3r1f13r-", 6) }, social.OAuthInvalidRequest},
			{func(r *social.AuthorizationRequest) {
				r.CodeChallenge, r.CodeChallengeMethod = strings.Repeat("v3r1f13r-", 6), "plain"
			}, social.OAuthInvalidRequest},
			{func(r *social.AuthorizationRequest) { r.CodeChallenge, r.CodeChallengeMethod = pkce("v"), "plain" }, social.OAuthInvalidRequest},
			{func(r *social.AuthorizationRequest) { r.CodeChallenge, r.CodeChallengeMethod = pkce("v"), "s256" }, social.OAuthInvalidRequest},
		}
		for _, c := range redirectable {
			req := ok
			c.change(&req)
			auth, err := s.CheckAuthorization(ctx, req)
			if oauthCode(err) != c.code || auth == nil || auth.RedirectURI != "https://app.example/cb" {
				t.Errorf("CheckAuthorization(%+v) = %+v, %v; want %s, redirectable", req, auth, err, c.code)
			}
		}

		// Granular scopes within the app's, and a native app's loopback
		// redirect on any port (RFC 8252).
		req := ok
		req.Scope, req.RedirectURI = "read:statuses write:media", "http://127.0.0.1:53682/cb"
		if auth, err := s.CheckAuthorization(ctx, req); err != nil || auth.RedirectURI != req.RedirectURI {
			t.Fatalf("granular scopes on a loopback port: %+v, %v", auth, err)
		}
	})
}

func TestOAuthCodeNeedsPKCEMatchingRedirectAndWorksOnceWithinTenMinutes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, clk := newOAuthService(t, dialect)
		app, _ := registerApp(t, s, "read write follow push", "com.tapbots.Ivory.19300:/request_token", social.OOBRedirectURI)
		other, _ := registerApp(t, s, "read write follow push", "com.tapbots.Ivory.19300:/request_token")
		alice := approvedUser(t, s, "alice")
		verifier := strings.Repeat("v3r1f13r-", 6)

		code := func(scope, challenge, method string) string {
			t.Helper()
			auth, err := s.CheckAuthorization(ctx, social.AuthorizationRequest{
				ClientID: app.ClientID, RedirectURI: "com.tapbots.Ivory.19300:/request_token", ResponseType: "code",
				Scope: scope, CodeChallenge: challenge, CodeChallengeMethod: method,
			})
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.IssueAuthorizationCode(ctx, alice, auth)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		const redirect = "com.tapbots.Ivory.19300:/request_token"

		// S256: the wrong verifier, none, or another app are refused, and
		// do not use the code up.
		c := code("read write", pkce(verifier), "S256")
		for _, bad := range []struct {
			app                *storage.OAuthApp
			redirect, verifier string
		}{
			{app, redirect, strings.Repeat("x", 43)},
			{app, redirect, ""},
			{app, redirect, "short"},
			{app, social.OOBRedirectURI, verifier},
			{app, "", verifier},
			{other, redirect, verifier},
		} {
			if tok, err := s.ExchangeCode(ctx, bad.app, c, bad.redirect, bad.verifier); oauthCode(err) != social.OAuthInvalidGrant {
				t.Errorf("ExchangeCode(app %d, %q, %q) = %+v, %v; want invalid_grant", bad.app.ID, bad.redirect, bad.verifier, tok, err)
			}
		}
		tok, err := s.ExchangeCode(ctx, app, c, redirect, verifier)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tok.Scopes, []string{"read", "write"}) || tok.Token == "" {
			t.Fatalf("token = %+v", tok)
		}
		u, scopes, err := s.AuthenticateToken(ctx, tok.Token)
		if err != nil || u.ID != alice.ID || u.Account.Username != "alice" || !slices.Equal(scopes, []string{"read", "write"}) {
			t.Fatalf("AuthenticateToken = %+v, %v, %v", u, scopes, err)
		}

		// A second use is refused and revokes the token the first gave.
		if _, err := s.ExchangeCode(ctx, app, c, redirect, verifier); oauthCode(err) != social.OAuthInvalidGrant {
			t.Fatalf("a code used twice = %v, want invalid_grant", err)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok.Token); !errors.Is(err, social.ErrInvalidToken) {
			t.Fatalf("the token of a replayed code = %v, want ErrInvalidToken", err)
		}

		// Without PKCE, no verifier may be sent.
		c = code("read", "", "")
		if _, err := s.ExchangeCode(ctx, app, c, redirect, verifier); oauthCode(err) != social.OAuthInvalidGrant {
			t.Fatalf("a verifier for a code without a challenge = %v", err)
		}
		if _, err := s.ExchangeCode(ctx, app, c, redirect, ""); err != nil {
			t.Fatalf("no PKCE: %v", err)
		}

		// Ten minutes, not a moment more.
		c = code("read", pkce(verifier), "S256")
		clk.add(social.AuthorizationCodeLifetime)
		if _, err := s.ExchangeCode(ctx, app, c, redirect, verifier); oauthCode(err) != social.OAuthInvalidGrant {
			t.Fatalf("an expired code = %v, want invalid_grant", err)
		}
		if _, err := s.ExchangeCode(ctx, app, "no-such-code", redirect, verifier); oauthCode(err) != social.OAuthInvalidGrant {
			t.Fatalf("an unknown code = %v", err)
		}

		// A person suspended between consent and exchange gets no token.
		c = code("read", "", "")
		if _, err := s.SuspendUser(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ExchangeCode(ctx, app, c, redirect, ""); oauthCode(err) != social.OAuthInvalidGrant {
			t.Fatalf("a suspended person's code = %v, want invalid_grant", err)
		}
		suspended, _ := s.UserByUsername(ctx, "alice")
		auth, _ := s.CheckAuthorization(ctx, social.AuthorizationRequest{ClientID: app.ClientID, RedirectURI: redirect, ResponseType: "code"})
		if _, err := s.IssueAuthorizationCode(ctx, suspended, auth); !errors.Is(err, social.ErrLoginDisabled) {
			t.Fatalf("a code for a suspended person = %v, want ErrLoginDisabled", err)
		}
	})
}

func TestAuthenticateTokenRefusesRevokedTokensAndSuspendedOrUnapprovedUsers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, db, clk := newOAuthService(t, dialect)
		app, _ := registerApp(t, s, "read write", social.OOBRedirectURI)
		other, _ := registerApp(t, s, "read", social.OOBRedirectURI)
		approvedUser(t, s, "bob")

		tok, err := s.PasswordGrant(ctx, app, "bob", "a long password", "read")
		if err != nil {
			t.Fatal(err)
		}
		lastUsed := func() *time.Time {
			t.Helper()
			sum := sha256.Sum256([]byte(tok.Token))
			stored, err := db.AccessTokenByHash(ctx, hex.EncodeToString(sum[:]))
			if err != nil {
				t.Fatal(err)
			}
			if stored.TokenHash == tok.Token {
				t.Fatal("the token is stored in the clear")
			}
			return stored.LastUsedAt
		}
		if lastUsed() != nil {
			t.Fatal("a new token has been used")
		}
		first := clk.now()
		if _, _, err := s.AuthenticateToken(ctx, tok.Token); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); got == nil || !got.Equal(first) {
			t.Fatalf("last used %v, want %v", got, first)
		}
		clk.add(30 * time.Second)
		_, _, _ = s.AuthenticateToken(ctx, tok.Token)
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("last use written again after 30s: %v", got)
		}
		clk.add(31 * time.Second)
		_, _, _ = s.AuthenticateToken(ctx, tok.Token)
		if got := lastUsed(); !got.Equal(clk.now()) {
			t.Fatalf("last use not written after a minute: %v, want %v", got, clk.now())
		}

		// Suspension refuses the token; lifting it lets the token work again.
		if _, err := s.SuspendUser(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok.Token); !errors.Is(err, social.ErrLoginDisabled) {
			t.Fatalf("a suspended person's token = %v, want ErrLoginDisabled", err)
		}
		if _, err := s.UnsuspendUser(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok.Token); err != nil {
			t.Fatalf("after the suspension is lifted: %v", err)
		}

		// Revocation: only by the token's app, idempotent, unknown tokens
		// are no error.
		if err := s.RevokeToken(ctx, other, tok.Token); oauthCode(err) != social.OAuthUnauthorizedClient {
			t.Fatalf("revoking another app's token = %v, want unauthorized_client", err)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok.Token); err != nil {
			t.Fatalf("a refused revocation revoked the token: %v", err)
		}
		for range 2 {
			if err := s.RevokeToken(ctx, app, tok.Token); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RevokeToken(ctx, app, "never-issued"); err != nil {
			t.Fatalf("revoking an unknown token = %v, want nil (RFC 7009)", err)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok.Token); !errors.Is(err, social.ErrInvalidToken) {
			t.Fatalf("a revoked token = %v, want ErrInvalidToken", err)
		}
		if _, err := s.TokenApp(ctx, tok.Token); !errors.Is(err, social.ErrInvalidToken) {
			t.Fatalf("TokenApp of a revoked token = %v", err)
		}
		for _, bad := range []string{"", "nonsense"} {
			if _, _, err := s.AuthenticateToken(ctx, bad); !errors.Is(err, social.ErrInvalidToken) {
				t.Fatalf("AuthenticateToken(%q) = %v", bad, err)
			}
		}

		// An unapproved applicant cannot get a token; once approved, can.
		if _, err := s.CreateUser(ctx, social.NewUser{Username: "cara", Password: "a long password"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PasswordGrant(ctx, app, "cara", "a long password", "read"); oauthCode(err) != social.OAuthInvalidGrant {
			t.Fatalf("an unapproved applicant's password grant = %v", err)
		}
		if _, err := s.ApproveUser(ctx, "cara"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PasswordGrant(ctx, app, "cara", "a long password", "read"); err != nil {
			t.Fatalf("after approval: %v", err)
		}
	})
}

func TestPasswordGrantAndClientCredentialsStayWithinTheAppsScopes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, _ := newOAuthService(t, dialect)
		app, _ := registerApp(t, s, "read write:statuses", social.OOBRedirectURI)
		dana := approvedUser(t, s, "Dana")

		for _, login := range []string{"dana", "@Dana", "DANA@hse.example", "dana@rounds.test"} {
			tok, err := s.PasswordGrant(ctx, app, login, "a long password", "")
			if err != nil {
				t.Fatalf("sign in as %q: %v", login, err)
			}
			if u, scopes, err := s.AuthenticateToken(ctx, tok.Token); err != nil || u.ID != dana.ID || !slices.Equal(scopes, []string{"read"}) {
				t.Fatalf("token of %q: %v %v %v", login, u, scopes, err)
			}
		}
		for _, c := range []struct{ login, password, scope, code string }{
			{"dana", "wrong password", "read", social.OAuthInvalidGrant},
			{"nobody", "a long password", "read", social.OAuthInvalidGrant},
			{"dana@elsewhere.example", "a long password", "read", social.OAuthInvalidGrant},
			{"dana", "a long password", "write", social.OAuthInvalidScope},
			{"dana", "a long password", "read follow", social.OAuthInvalidScope},
			{"dana", "a long password", "read bogus", social.OAuthInvalidScope},
		} {
			if _, err := s.PasswordGrant(ctx, app, c.login, c.password, c.scope); oauthCode(err) != c.code {
				t.Errorf("PasswordGrant(%q, %q, %q) = %v, want %s", c.login, c.password, c.scope, err, c.code)
			}
		}
		tok, err := s.PasswordGrant(ctx, app, "dana", "a long password", "read:statuses write:statuses")
		if err != nil || !slices.Equal(tok.Scopes, []string{"read:statuses", "write:statuses"}) {
			t.Fatalf("granular scopes within the app's: %+v, %v", tok, err)
		}

		appTok, err := s.ClientCredentials(ctx, app, "read")
		if err != nil {
			t.Fatal(err)
		}
		u, scopes, err := s.AuthenticateToken(ctx, appTok.Token)
		if err != nil || u != nil || !slices.Equal(scopes, []string{"read"}) {
			t.Fatalf("an app token = %v, %v, %v; want no user", u, scopes, err)
		}
		if got, err := s.TokenApp(ctx, appTok.Token); err != nil || got.ID != app.ID {
			t.Fatalf("TokenApp = %v, %v", got, err)
		}
		if _, err := s.ClientCredentials(ctx, app, "admin:read"); oauthCode(err) != social.OAuthInvalidScope {
			t.Fatalf("client credentials beyond the app's scopes = %v", err)
		}
	})
}

func TestOAuthBrowserSessionsAreSignedCheckedAndEnd(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, clk := newOAuthService(t, dialect)
		erin := approvedUser(t, s, "erin")

		if _, err := s.SignIn(ctx, "erin", "not the password", "test"); !errors.Is(err, social.ErrBadCredentials) {
			t.Fatalf("a wrong password = %v", err)
		}
		sess, err := s.SignIn(ctx, "erin", "a long password", "Mozilla/5.0 test")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionFromCookie(ctx, sess.Cookie)
		if err != nil || got.User.ID != erin.ID || got.User.Account.Username != "erin" || got.CSRFToken != sess.CSRFToken {
			t.Fatalf("SessionFromCookie = %+v, %v", got, err)
		}
		if !got.CheckCSRF(sess.CSRFToken) || got.CheckCSRF("") || got.CheckCSRF(sess.CSRFToken+"x") {
			t.Fatal("CheckCSRF accepts the wrong token or refuses the right one")
		}
		if u, _ := s.UserByUsername(ctx, "erin"); u.LastSignInAt == nil {
			t.Fatal("sign-in time not recorded")
		}

		// Forged and tampered cookies are refused.
		token, _, _ := strings.Cut(sess.Cookie, ".")
		for _, bad := range []string{"", token, token + ".AAAA", "x" + sess.Cookie, sess.Cookie + "x"} {
			if _, err := s.SessionFromCookie(ctx, bad); !errors.Is(err, social.ErrNotFound) {
				t.Errorf("SessionFromCookie(%q) = %v, want ErrNotFound", bad, err)
			}
		}
		// A form token's cookie is no session cookie, and the other way.
		formCookie, field, err := s.NewFormToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.CheckFormToken(ctx, formCookie, field); err != nil || !ok {
			t.Fatalf("CheckFormToken of a fresh pair = %v, %v", ok, err)
		}
		if v, ok, _ := s.FormTokenFromCookie(ctx, formCookie); !ok || v != field {
			t.Fatalf("FormTokenFromCookie = %q, %v", v, ok)
		}
		for _, pair := range [][2]string{{formCookie, field + "x"}, {formCookie, ""}, {"", field}, {sess.Cookie, token}} {
			if ok, _ := s.CheckFormToken(ctx, pair[0], pair[1]); ok {
				t.Errorf("CheckFormToken(%q, %q) accepted", pair[0], pair[1])
			}
		}
		if _, err := s.SessionFromCookie(ctx, formCookie); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("a form cookie as a session = %v", err)
		}

		// Suspension ends the session's use; so do sign-out and time.
		if _, err := s.SuspendUser(ctx, "erin"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionFromCookie(ctx, sess.Cookie); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("a suspended person's session = %v", err)
		}
		if _, err := s.SignIn(ctx, "erin", "a long password", ""); !errors.Is(err, social.ErrLoginDisabled) {
			t.Fatalf("a suspended person signing in = %v", err)
		}
		if _, err := s.UnsuspendUser(ctx, "erin"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionFromCookie(ctx, sess.Cookie); err != nil {
			t.Fatalf("after the suspension is lifted: %v", err)
		}
		if err := s.EndSession(ctx, sess.Cookie); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionFromCookie(ctx, sess.Cookie); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("an ended session = %v", err)
		}
		if err := s.EndSession(ctx, "garbage"); err != nil {
			t.Fatalf("ending a bad cookie = %v", err)
		}
		later, err := s.SignIn(ctx, "erin@hse.example", "a long password", "")
		if err != nil {
			t.Fatal(err)
		}
		clk.add(social.SessionLifetime)
		if _, err := s.SessionFromCookie(ctx, later.Cookie); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("an expired session = %v", err)
		}

		if _, err := s.CreateUser(ctx, social.NewUser{Username: "fionn", Password: "a long password"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignIn(ctx, "fionn", "a long password", ""); !errors.Is(err, social.ErrLoginPending) {
			t.Fatalf("an unapproved applicant signing in = %v", err)
		}
	})
}

// TestUnexchangedCodesDieWithTheGrant: an authorization code not yet
// exchanged gives no token after the person revokes the app (on the
// authorized apps page, or by revoking one of its tokens), changes or
// resets their password, has their two-factor sign-in reset, or is
// suspended, disabled or deleted (and then restored). Another app's code
// survives revoking one app.
func TestUnexchangedCodesDieWithTheGrant(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, clk := newOAuthService(t, dialect)
		const redirect = "com.tapbots.Ivory.19300:/request_token"
		app, _ := registerApp(t, s, "read write", redirect)
		other, _ := registerApp(t, s, "read write", redirect)
		verifier := strings.Repeat("v3r1f13r-", 6)
		seq := 0
		code := func(u *storage.User, app *storage.OAuthApp) string {
			t.Helper()
			auth, err := s.CheckAuthorization(ctx, social.AuthorizationRequest{
				ClientID: app.ClientID, RedirectURI: redirect, ResponseType: "code",
				Scope: "read", CodeChallenge: pkce(verifier), CodeChallengeMethod: "S256",
			})
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.IssueAuthorizationCode(ctx, u, auth)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		fresh := func() *storage.User {
			seq++
			return approvedUser(t, s, fmt.Sprintf("nurse%d", seq))
		}
		must := func(t *testing.T, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}

		cases := []struct {
			name string
			// event happens after the code is issued, and leaves the
			// person able to sign in again.
			event func(t *testing.T, u *storage.User)
		}{
			{"the app is revoked on the authorized apps page", func(t *testing.T, u *storage.User) {
				_, err := s.ExchangeCode(ctx, app, code(u, app), redirect, verifier)
				must(t, err)
				must(t, s.RevokeApp(ctx, u, app.ID))
			}},
			{"one of the app's tokens is revoked", func(t *testing.T, u *storage.User) {
				tok, err := s.ExchangeCode(ctx, app, code(u, app), redirect, verifier)
				must(t, err)
				must(t, s.RevokeToken(ctx, app, tok.Token))
			}},
			{"the password is changed", func(t *testing.T, u *storage.User) {
				must(t, s.ChangePassword(ctx, u, "a long password", "another long password", ""))
			}},
			{"the password is reset by link", func(t *testing.T, u *storage.User) {
				link, err := s.CreatePasswordReset(ctx, social.CommandLine, u.Account.Username)
				must(t, err)
				must(t, s.ResetPasswordWithToken(ctx, link[strings.LastIndex(link, "/")+1:], "another long password"))
			}},
			{"the password is reset from the command line", func(t *testing.T, u *storage.User) {
				_, err := s.ResetPassword(ctx, u.Account.Username, "another long password")
				must(t, err)
			}},
			{"two-factor sign-in is reset", func(t *testing.T, u *storage.User) {
				must(t, s.ResetTwoFactor(ctx, social.CommandLine, u.Account.Username, "lost phone"))
			}},
			{"the account is suspended and unsuspended", func(t *testing.T, u *storage.User) {
				must(t, s.TakeAction(ctx, social.CommandLine, u.AccountID, social.AccountAction{Type: social.ActionSuspend}))
				must(t, s.Unsuspend(ctx, social.CommandLine, u.AccountID, ""))
			}},
			{"the account is disabled and enabled", func(t *testing.T, u *storage.User) {
				must(t, s.TakeAction(ctx, social.CommandLine, u.AccountID, social.AccountAction{Type: social.ActionDisable}))
				must(t, s.Enable(ctx, social.CommandLine, u.AccountID, ""))
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u := fresh()
				if c.name == "two-factor sign-in is reset" {
					setup, err := s.BeginTwoFactor(ctx, u)
					must(t, err)
					_, err = s.ConfirmTwoFactor(ctx, u, totpAt(t, setup.Secret, clk.now()))
					must(t, err)
				}
				kept := code(u, other)
				doomed := code(u, app)
				c.event(t, u)
				if tok, err := s.ExchangeCode(ctx, app, doomed, redirect, verifier); oauthCode(err) != social.OAuthInvalidGrant {
					t.Errorf("a code issued before %s = %+v, %v; want invalid_grant", c.name, tok, err)
				}
				if strings.Contains(c.name, "app") {
					if _, err := s.ExchangeCode(ctx, other, kept, redirect, verifier); err != nil {
						t.Errorf("another app's code after %s: %v", c.name, err)
					}
				}
				// A code issued afterwards works.
				if _, err := s.ExchangeCode(ctx, app, code(u, app), redirect, verifier); err != nil {
					t.Errorf("a code issued after %s: %v", c.name, err)
				}
			})
		}
	})
}
