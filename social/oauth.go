package social

// OAuth 2 as Mastodon apps use it (RFC 6749, PKCE from RFC 7636, revocation
// from RFC 7009): apps register themselves, people grant them scopes on the
// authorization page or, for command-line clients, with the password grant,
// and every API request is authenticated by its bearer token. The browser
// sessions of that authorization page live here too.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"rounds/storage"
)

// OOBRedirectURI is the redirect URI of apps that cannot receive a
// redirect: the authorization page shows the code for the person to copy.
const OOBRedirectURI = "urn:ietf:wg:oauth:2.0:oob"

// DefaultScope is what an app or token gets when it asks for no scope.
const DefaultScope = "read"

// AuthorizationCodeLifetime is how long an authorization code may be
// exchanged for a token; RFC 6749 section 4.1.2 recommends at most ten
// minutes.
const AuthorizationCodeLifetime = 10 * time.Minute

// SessionLifetime is how long a browser session lasts after sign-in.
const SessionLifetime = 30 * 24 * time.Hour

// tokenUseInterval is how often a token's last use is written down: often
// enough to show which apps are in use, rarely enough not to add a write to
// every request.
const tokenUseInterval = time.Minute

// Limits on what an app may register, as Mastodon's.
const (
	maxAppNameLength     = 60
	maxURILength         = 2000
	maxRedirectURIsOfApp = 10
)

// Errors about a person's standing, shared by tokens and sign-in.
var (
	// ErrInvalidToken means an access token is unknown or revoked.
	ErrInvalidToken = errors.New("the access token is invalid")
	// ErrLoginDisabled means the person is suspended.
	ErrLoginDisabled = errors.New("your login is currently disabled")
	// ErrLoginPending means the person applied and is not approved yet.
	ErrLoginPending = errors.New("your login is currently pending approval")
	// ErrBadCredentials means the username or password is wrong; which of
	// the two is not said.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrTwoFactorRequired means the account signs in with a second factor,
	// which must be checked before a session starts (CompleteSignIn).
	ErrTwoFactorRequired = errors.New("this account signs in with a second factor")
)

// OAuth 2 error codes (RFC 6749 sections 4.1.2.1 and 5.2, RFC 7009).
const (
	OAuthInvalidRequest          = "invalid_request"
	OAuthInvalidClient           = "invalid_client"
	OAuthInvalidGrant            = "invalid_grant"
	OAuthUnauthorizedClient      = "unauthorized_client"
	OAuthUnsupportedGrantType    = "unsupported_grant_type"
	OAuthUnsupportedResponseType = "unsupported_response_type"
	OAuthInvalidScope            = "invalid_scope"
	OAuthAccessDenied            = "access_denied"
)

// OAuthError is an OAuth 2 error: a code from the RFC that apps act on and a
// description for the person reading logs.
type OAuthError struct {
	Code        string
	Description string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(code, description string) *OAuthError {
	return &OAuthError{Code: code, Description: description}
}

// invalidGrant is Doorkeeper's wording, which Mastodon apps have seen for
// every way a code or password can fail.
func invalidGrant() *OAuthError {
	return oauthErr(OAuthInvalidGrant, "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
}

// Scopes, as Mastodon defines them (docs.joinmastodon.org/api/oauth-scopes).
var (
	topScopes  = []string{"profile", "read", "write", "follow", "push", "admin:read", "admin:write"}
	readScopes = []string{
		"read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
		"read:follows", "read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
	}
	writeScopes = []string{
		"write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
		"write:filters", "write:follows", "write:lists", "write:media", "write:mutes",
		"write:notifications", "write:reports", "write:statuses",
	}
	// followScopes are what the deprecated follow scope grants.
	followScopes     = []string{"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}
	adminScopeTopics = []string{"accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks", "canonical_email_blocks"}
)

// ScopesSupported lists every scope the server knows: the high-level ones
// first, then the granular ones.
func ScopesSupported() []string {
	all := slices.Concat(topScopes, readScopes, writeScopes)
	for _, t := range adminScopeTopics {
		all = append(all, "admin:read:"+t)
	}
	for _, t := range adminScopeTopics {
		all = append(all, "admin:write:"+t)
	}
	return all
}

func knownScope(s string) bool {
	if slices.Contains(topScopes, s) || slices.Contains(readScopes, s) || slices.Contains(writeScopes, s) {
		return true
	}
	for _, prefix := range []string{"admin:read:", "admin:write:"} {
		if t, ok := strings.CutPrefix(s, prefix); ok && slices.Contains(adminScopeTopics, t) {
			return true
		}
	}
	return false
}

// ParseScopes reads a scope parameter: scopes separated by spaces (or by
// pluses, which some apps leave encoded in query strings), each known, none
// repeated. No scope at all means DefaultScope.
func ParseScopes(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '+' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return []string{DefaultScope}, nil
	}
	var out []string
	for _, f := range fields {
		if !knownScope(f) {
			return nil, invalid("scopes", fmt.Sprintf("include %q, which is not a scope this server knows", f))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// ScopeAllows reports whether a token holding granted may do what needs
// required, as Mastodon decides it: a scope allows itself; read, write,
// admin:read and admin:write allow their granular scopes (read allows
// read:statuses); the deprecated follow allows read:follows, write:follows,
// read:blocks, write:blocks, read:mutes and write:mutes. profile allows only
// reading one's own account, which Mastodon also lets read and read:accounts
// do, so a required profile is met by any of the three.
func ScopeAllows(granted []string, required string) bool {
	for _, g := range granted {
		switch {
		case g == required:
		case (g == "read" || g == "write" || g == "admin:read" || g == "admin:write") && strings.HasPrefix(required, g+":"):
		case g == "follow" && slices.Contains(followScopes, required):
		case required == "profile" && (g == "read" || g == "read:accounts"):
		default:
			continue
		}
		return true
	}
	return false
}

// scopeOutside returns the first of requested that allowed does not allow,
// or "" when allowed covers them all: a token's scopes must be within its
// app's.
func scopeOutside(requested, allowed []string) string {
	for _, r := range requested {
		if !ScopeAllows(allowed, r) {
			return r
		}
	}
	return ""
}

// tokenScopes reads the scope a token request asks for and checks that the
// app registered it.
func tokenScopes(app *storage.OAuthApp, scope string) ([]string, error) {
	scopes, err := ParseScopes(scope)
	if err != nil {
		return nil, oauthErr(OAuthInvalidScope, "The requested scope is invalid, unknown, or malformed: "+err.Error())
	}
	if s := scopeOutside(scopes, app.ScopeList()); s != "" {
		return nil, oauthErr(OAuthInvalidScope, fmt.Sprintf("The requested scope %q was not registered by the app (it registered %q).", s, app.Scopes))
	}
	return scopes, nil
}

// NewApp describes an app registering itself.
type NewApp struct {
	Name    string
	Website string // optional
	// RedirectURIs are where the app may be sent back to. Apps send one
	// string with several URIs separated by newlines or spaces, or an array;
	// each entry here may hold several.
	RedirectURIs []string
	// Scopes is space-separated; empty means DefaultScope.
	Scopes string
}

// RegisterApp stores a new app and returns it with its client secret, which
// is shown this once: only its hash is kept.
func (s *Service) RegisterApp(ctx context.Context, in NewApp) (*storage.OAuthApp, string, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return nil, "", invalid("name", "can't be blank")
	case utf8.RuneCountInString(name) > maxAppNameLength:
		return nil, "", invalid("name", fmt.Sprintf("is too long (at most %d characters)", maxAppNameLength))
	}
	website := strings.TrimSpace(in.Website)
	if website != "" {
		u, err := url.Parse(website)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(website) > maxURILength {
			return nil, "", invalid("website", "must be an http or https URL")
		}
	}
	uris, err := parseRedirectURIs(in.RedirectURIs)
	if err != nil {
		return nil, "", err
	}
	scopes, err := ParseScopes(in.Scopes)
	if err != nil {
		return nil, "", err
	}
	secret := randomToken(32)
	app := &storage.OAuthApp{
		ID:               storage.NewID(),
		Name:             name,
		Website:          website,
		RedirectURIs:     strings.Join(uris, "\n"),
		Scopes:           strings.Join(scopes, " "),
		ClientID:         randomToken(32),
		ClientSecretHash: hashToken(secret),
		CreatedAt:        s.now(),
	}
	if err := s.db.InsertOAuthApp(ctx, app); err != nil {
		return nil, "", domainErr(err)
	}
	return app, secret, nil
}

func parseRedirectURIs(in []string) ([]string, error) {
	var uris []string
	for _, v := range in {
		for _, u := range strings.Fields(v) {
			if !slices.Contains(uris, u) {
				uris = append(uris, u)
			}
		}
	}
	if len(uris) == 0 {
		return nil, invalid("redirect URI", "can't be blank")
	}
	if len(uris) > maxRedirectURIsOfApp {
		return nil, invalid("redirect URIs", fmt.Sprintf("are too many (at most %d)", maxRedirectURIsOfApp))
	}
	for _, u := range uris {
		if err := checkRedirectURI(u); err != nil {
			return nil, err
		}
	}
	return uris, nil
}

// checkRedirectURI accepts absolute URIs, including the custom schemes of
// native apps (com.tapbots.Ivory.19300:/request_token) and the out-of-band
// URN.
func checkRedirectURI(raw string) error {
	if raw == OOBRedirectURI {
		return nil
	}
	if len(raw) > maxURILength {
		return invalid("redirect URI", fmt.Sprintf("is too long (at most %d characters)", maxURILength))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Path == "" && u.Opaque == "") {
		return invalid("redirect URI", fmt.Sprintf("must be an absolute URI (got %q)", raw))
	}
	if strings.Contains(raw, "#") {
		// RFC 6749 section 3.1.2.
		return invalid("redirect URI", fmt.Sprintf("must not contain a fragment (got %q)", raw))
	}
	switch u.Scheme {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return invalid("redirect URI", fmt.Sprintf("must not use the %s: scheme", u.Scheme))
	case "http", "https":
		if u.Host == "" {
			return invalid("redirect URI", fmt.Sprintf("must name a host (got %q)", raw))
		}
	}
	return nil
}

// AuthenticateClient returns the app whose credentials these are. Unknown
// apps and wrong secrets are the same invalid_client error.
func (s *Service) AuthenticateClient(ctx context.Context, clientID, clientSecret string) (*storage.OAuthApp, error) {
	bad := oauthErr(OAuthInvalidClient, "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
	if clientID == "" || clientSecret == "" {
		return nil, bad
	}
	app, err := s.db.OAuthAppByClientID(ctx, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(clientSecret)), []byte(app.ClientSecretHash)) != 1 {
		return nil, bad
	}
	return app, nil
}

// AuthorizationRequest is what an app asks for on the authorization page
// (RFC 6749 section 4.1.1, RFC 7636 section 4.3).
type AuthorizationRequest struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	Scope               string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// Authorization is a checked AuthorizationRequest, ready to show a person
// and, when they agree, to turn into a code.
type Authorization struct {
	App                 *storage.OAuthApp
	RedirectURI         string
	Scopes              []string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// CheckAuthorization checks an authorization request. On error, the
// returned Authorization is nil when the app or redirect URI cannot be
// trusted, and the error must be shown on a page, never sent to the
// redirect URI (RFC 6749 section 4.1.2.1); otherwise it is non-nil and the
// error may go back to the app with ErrorRedirect.
func (s *Service) CheckAuthorization(ctx context.Context, req AuthorizationRequest) (*Authorization, error) {
	if req.ClientID == "" {
		return nil, oauthErr(OAuthInvalidRequest, "The client_id parameter is missing.")
	}
	app, err := s.db.OAuthAppByClientID(ctx, req.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, oauthErr(OAuthInvalidClient, "No app is registered with this client_id.")
	}
	if err != nil {
		return nil, err
	}
	if req.RedirectURI == "" {
		return nil, oauthErr(OAuthInvalidRequest, "The redirect_uri parameter is missing.")
	}
	if !redirectURIRegistered(app, req.RedirectURI) {
		return nil, oauthErr(OAuthInvalidRequest, "The redirect_uri is not one the app registered.")
	}
	auth := &Authorization{App: app, RedirectURI: req.RedirectURI, State: req.State}
	if req.ResponseType != "code" {
		return auth, oauthErr(OAuthUnsupportedResponseType, "The response_type must be code.")
	}
	auth.Scopes, err = tokenScopes(app, req.Scope)
	if err != nil {
		return auth, err
	}
	switch {
	case req.CodeChallenge == "" && req.CodeChallengeMethod != "":
		return auth, oauthErr(OAuthInvalidRequest, "The code_challenge parameter is missing.")
	case req.CodeChallenge == "":
	default:
		// Only S256, as /.well-known/oauth-authorization-server says
		// (code_challenge_methods_supported). A challenge without a method
		// is "plain" (RFC 7636 section 4.3), whose challenge is the verifier
		// itself: anyone who sees the authorization request (browser
		// history, a proxy's log, another app on the device) could redeem
		// the code, which is what PKCE is there to stop. Mastodon also
		// allows S256 only.
		method := req.CodeChallengeMethod
		switch {
		case method != "S256":
			return auth, oauthErr(OAuthInvalidRequest, "The code_challenge_method must be S256; plain and other methods are not supported.")
		case !validS256Challenge(req.CodeChallenge):
			return auth, oauthErr(OAuthInvalidRequest, "An S256 code_challenge is the unpadded base64url SHA-256 of the verifier: 43 characters.")
		}
		auth.CodeChallenge, auth.CodeChallengeMethod = req.CodeChallenge, method
	}
	return auth, nil
}

// redirectURIRegistered reports whether uri is one of app's redirect URIs.
// An http loopback URI matches whatever its port, as native apps listen on
// a port chosen when they run (RFC 8252 section 7.3).
func redirectURIRegistered(app *storage.OAuthApp, uri string) bool {
	registered := app.RedirectURIList()
	if slices.Contains(registered, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || !loopback(u.Hostname()) {
		return false
	}
	for _, r := range registered {
		ru, err := url.Parse(r)
		if err == nil && ru.Scheme == "http" && ru.Hostname() == u.Hostname() && ru.Path == u.Path && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validS256Challenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// validVerifier checks a code_verifier's form (RFC 7636 section 4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	return true
}

// CodeRedirect is where to send the browser with a new code.
func (a *Authorization) CodeRedirect(code string) string {
	return a.redirect(url.Values{"code": {code}})
}

// ErrorRedirect is where to send the browser to tell the app about err.
func (a *Authorization) ErrorRedirect(err *OAuthError) string {
	return a.redirect(url.Values{"error": {err.Code}, "error_description": {err.Description}})
}

// redirect adds v and the state to the redirect URI as it was registered:
// re-serialising a parsed URI would lower-case a custom scheme.
func (a *Authorization) redirect(v url.Values) string {
	if a.State != "" {
		v.Set("state", a.State)
	}
	sep := "?"
	if strings.Contains(a.RedirectURI, "?") {
		sep = "&"
	}
	return a.RedirectURI + sep + v.Encode()
}

// IssueAuthorizationCode makes the one-time code for u's consent to auth.
// u must still be allowed to sign in.
func (s *Service) IssueAuthorizationCode(ctx context.Context, u *storage.User, auth *Authorization) (string, error) {
	if err := signInAllowed(u); err != nil {
		return "", err
	}
	code := randomToken(32)
	now := s.now()
	err := s.db.InsertAuthorizationCode(ctx, &storage.AuthorizationCode{
		CodeHash:            hashToken(code),
		AppID:               auth.App.ID,
		UserID:              u.ID,
		RedirectURI:         auth.RedirectURI,
		Scopes:              strings.Join(auth.Scopes, " "),
		CodeChallenge:       auth.CodeChallenge,
		CodeChallengeMethod: auth.CodeChallengeMethod,
		CreatedAt:           now,
		ExpiresAt:           now.Add(AuthorizationCodeLifetime),
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// IssuedToken is a new access token, shown to the app this once.
type IssuedToken struct {
	Token     string
	Scopes    []string
	CreatedAt time.Time
}

func (s *Service) newAccessToken(appID int64, userID *int64, scopes string) (*storage.AccessToken, *IssuedToken) {
	raw := randomToken(32)
	now := s.now()
	t := &storage.AccessToken{
		ID:        storage.NewID(),
		TokenHash: hashToken(raw),
		AppID:     appID,
		UserID:    userID,
		Scopes:    scopes,
		CreatedAt: now,
	}
	return t, &IssuedToken{Token: raw, Scopes: strings.Fields(scopes), CreatedAt: now}
}

// ExchangeCode trades an authorization code for an access token
// (grant_type authorization_code). The code must be app's, unused and
// unexpired; redirectURI must be the one it was issued for; verifier must
// answer its PKCE challenge when it had one. A code used a second time also
// revokes the token it was first exchanged for, as it may have been stolen
// (RFC 6749 section 4.1.2).
func (s *Service) ExchangeCode(ctx context.Context, app *storage.OAuthApp, code, redirectURI, verifier string) (*IssuedToken, error) {
	if code == "" {
		return nil, oauthErr(OAuthInvalidRequest, "The code parameter is missing.")
	}
	hash := hashToken(code)
	now := s.now()
	var issued *IssuedToken
	replayed, replayedUser := false, int64(0)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		c, err := tx.AuthorizationCodeByHash(ctx, hash)
		if errors.Is(err, storage.ErrNotFound) {
			return invalidGrant()
		}
		if err != nil {
			return err
		}
		if c.AppID != app.ID {
			return invalidGrant()
		}
		if c.UsedAt != nil {
			replayed, replayedUser = true, c.UserID
			if c.TokenID == nil {
				return nil
			}
			// Returning nil commits the revocation; the caller still
			// refuses the code.
			return tx.RevokeAccessToken(ctx, *c.TokenID, now)
		}
		if !now.Before(c.ExpiresAt) {
			return oauthErr(OAuthInvalidGrant, "The authorization code has expired; start signing in again.")
		}
		if redirectURI != c.RedirectURI {
			return oauthErr(OAuthInvalidGrant, "The redirect_uri does not match the one the code was issued for.")
		}
		if err := checkPKCE(c, verifier); err != nil {
			return err
		}
		u, err := tx.UserWithAccountByID(ctx, c.UserID)
		if err != nil {
			return err
		}
		if err := signInAllowed(u); err != nil {
			return oauthErr(OAuthInvalidGrant, firstUpper(err.Error())+".")
		}
		t, it := s.newAccessToken(app.ID, &u.ID, c.Scopes)
		if err := tx.UseAuthorizationCode(ctx, hash, now, t.ID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return invalidGrant() // another exchange of the same code won
			}
			return err
		}
		if err := tx.InsertAccessToken(ctx, t); err != nil {
			return err
		}
		issued = it
		return nil
	})
	if err != nil {
		return nil, err
	}
	if replayed {
		s.accessChanged(ctx, replayedUser)
		return nil, invalidGrant()
	}
	return issued, nil
}

// checkPKCE checks the code_verifier against the code's challenge (RFC 7636
// section 4.6). A verifier for a code that had no challenge is refused too:
// it means the challenge was lost on the way, perhaps stripped by an
// attacker.
func checkPKCE(c *storage.AuthorizationCode, verifier string) error {
	if c.CodeChallenge == "" {
		if verifier != "" {
			return oauthErr(OAuthInvalidGrant, "A code_verifier was sent, but the authorization request had no code_challenge.")
		}
		return nil
	}
	if verifier == "" {
		return oauthErr(OAuthInvalidGrant, "The code_verifier parameter is missing; this code was issued with a PKCE code_challenge.")
	}
	if !validVerifier(verifier) {
		return oauthErr(OAuthInvalidGrant, "A code_verifier must be 43 to 128 letters, digits, '-', '.', '_' or '~'.")
	}
	// Codes are issued with S256 only (CheckAuthorization); one stored with
	// another method, from before that rule, is not redeemed.
	if c.CodeChallengeMethod != "S256" {
		return oauthErr(OAuthInvalidGrant, "This code was issued with a code_challenge_method that is no longer supported; authorize again.")
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(c.CodeChallenge)) != 1 {
		return oauthErr(OAuthInvalidGrant, "The code_verifier does not match the code_challenge.")
	}
	return nil
}

// PasswordGrant signs a person in from an app with their username (or
// email) and password (grant_type password), as command-line clients do.
// Suspended and unapproved people are refused, and so are people who sign
// in with a second factor, which this grant cannot ask for, and staff who
// must set one up first.
func (s *Service) PasswordGrant(ctx context.Context, app *storage.OAuthApp, login, password, scope string) (*IssuedToken, error) {
	scopes, err := tokenScopes(app, scope)
	if err != nil {
		return nil, err
	}
	u, err := s.checkCredentials(ctx, login, password)
	switch {
	case errors.Is(err, ErrBadCredentials):
		return nil, oauthErr(OAuthInvalidGrant, "The username or password is wrong.")
	case errors.Is(err, ErrLoginDisabled), errors.Is(err, ErrLoginPending):
		return nil, oauthErr(OAuthInvalidGrant, firstUpper(err.Error())+".")
	case err != nil:
		return nil, err
	}
	code, setup, err := s.secondFactorNeeded(ctx, u)
	switch {
	case err != nil:
		return nil, err
	case code:
		return nil, oauthErr(OAuthInvalidGrant, "This account signs in with two-factor authentication, which the password grant cannot ask for; sign in through the browser instead.")
	case setup:
		return nil, oauthErr(OAuthInvalidGrant, "Two-factor sign-in is required for staff on this server; set it up in the browser first, by signing in through an app's authorization page.")
	}
	t, it := s.newAccessToken(app.ID, &u.ID, strings.Join(scopes, " "))
	if err := s.db.InsertAccessToken(ctx, t); err != nil {
		return nil, err
	}
	return it, nil
}

// ClientCredentials gives app a token of its own, with no user
// (grant_type client_credentials).
func (s *Service) ClientCredentials(ctx context.Context, app *storage.OAuthApp, scope string) (*IssuedToken, error) {
	scopes, err := tokenScopes(app, scope)
	if err != nil {
		return nil, err
	}
	t, it := s.newAccessToken(app.ID, nil, strings.Join(scopes, " "))
	if err := s.db.InsertAccessToken(ctx, t); err != nil {
		return nil, err
	}
	return it, nil
}

// RevokeToken revokes one of app's tokens, and the codes the token's user
// gave app that it has not exchanged yet. An unknown or already revoked
// token is no error (RFC 7009 section 2.2); another app's token is
// unauthorized_client, as Mastodon answers.
func (s *Service) RevokeToken(ctx context.Context, app *storage.OAuthApp, token string) error {
	if token == "" {
		return oauthErr(OAuthInvalidRequest, "The token parameter is missing.")
	}
	t, err := s.db.AccessTokenByHash(ctx, hashToken(token))
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.AppID != app.ID {
		return oauthErr(OAuthUnauthorizedClient, "You are not authorized to revoke this token")
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.RevokeAccessToken(ctx, t.ID, s.now()); err != nil {
			return err
		}
		if t.UserID == nil {
			return nil
		}
		// A code the person gave the app and it has not exchanged yet
		// would give it a new token right after signing out.
		_, err := tx.DeleteUnusedAuthorizationCodes(ctx, *t.UserID, app.ID)
		return err
	})
	if err != nil {
		return err
	}
	var userID int64
	if t.UserID != nil {
		userID = *t.UserID
	}
	s.accessChanged(ctx, userID)
	return nil
}

// AuthenticateToken returns the user an access token acts for (nil for an
// app's own token) and its scopes. It returns ErrInvalidToken for unknown
// and revoked tokens, and ErrLoginDisabled or ErrLoginPending when the
// user is suspended or not yet approved. It writes down the token's use at
// most once a minute.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*storage.User, []string, error) {
	t, err := s.accessToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if t.User != nil {
		if err := signInAllowed(t.User); err != nil {
			return nil, nil, err
		}
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenUseInterval {
		if err := s.db.TouchAccessToken(ctx, t.ID, now, now.Add(-tokenUseInterval)); err != nil {
			// Only bookkeeping: the request goes on.
			s.log.Warn("could not record an access token's use", "token_id", t.ID, "error", err)
		}
	}
	return t.User, strings.Fields(t.Scopes), nil
}

// TokenApp returns the app a valid access token was issued to.
func (s *Service) TokenApp(ctx context.Context, token string) (*storage.OAuthApp, error) {
	t, err := s.accessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	app, err := s.db.OAuthAppByID(ctx, t.AppID)
	if err != nil {
		return nil, domainErr(err)
	}
	return app, nil
}

func (s *Service) accessToken(ctx context.Context, token string) (*storage.AccessToken, error) {
	if token == "" {
		return nil, ErrInvalidToken
	}
	t, err := s.db.AccessTokenByHash(ctx, hashToken(token))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if t.RevokedAt != nil {
		return nil, ErrInvalidToken
	}
	return t, nil
}

// signInAllowed says whether u may sign in or act through a token now.
func signInAllowed(u *storage.User) error {
	switch {
	case u.Account != nil && u.Account.Suspended(), u.Disabled:
		return ErrLoginDisabled
	case emailUnconfirmed(u):
		return ErrEmailUnconfirmed
	case !u.Approved:
		return ErrLoginPending
	}
	return nil
}

// twoFactorRequired reports whether u signs in with a second factor: the
// password grant then refuses u, SignIn returns a PendingSignIn instead of
// a session, and the sign-in page asks for the second factor and starts the
// session only once it is checked (CompleteSignIn).
func (s *Service) twoFactorRequired(ctx context.Context, u *storage.User) (bool, error) {
	return s.TwoFactorEnabled(ctx, u)
}

// dummyPasswordHash is compared against when there is no such user, so that
// a wrong username takes as long to refuse as a wrong password.
var dummyPasswordHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte(randomToken(16)), bcrypt.DefaultCost)
	return h
})

// checkCredentials returns the user login (a username, @username,
// username@this.domain or email address) names when password is theirs and
// they may sign in.
func (s *Service) checkCredentials(ctx context.Context, login, password string) (*storage.User, error) {
	u, err := s.db.UserForSignIn(ctx, login)
	if errors.Is(err, storage.ErrNotFound) {
		// People type their handle as often as their email address.
		if name, domain, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(login), "@"), "@"); ok && strings.EqualFold(domain, s.domain) {
			u, err = s.db.UserForSignIn(ctx, name)
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyPasswordHash(), []byte(password))
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !CheckPassword(u, password) {
		return nil, ErrBadCredentials
	}
	if err := signInAllowed(u); err != nil {
		return nil, err
	}
	return u, nil
}

// BrowserSession is a person signed in to the server's own pages.
type BrowserSession struct {
	// Cookie is the value for the session cookie; only SignIn sets it.
	Cookie string
	User   *storage.User
	// CSRFToken goes into every form the session shows and must come back
	// with it; CheckCSRF compares.
	CSRFToken string
	ExpiresAt time.Time
}

// CheckCSRF reports whether a form posted the session's CSRF token.
func (b *BrowserSession) CheckCSRF(posted string) bool {
	return posted != "" && subtle.ConstantTimeCompare([]byte(posted), []byte(b.CSRFToken)) == 1
}

// SignIn checks a username (or email) and password from the sign-in page
// and starts a browser session. It returns ErrBadCredentials,
// ErrLoginDisabled or ErrLoginPending when the person may not sign in. When
// a second factor must be checked first, or set up first by staff who must
// use one, it starts no session and returns a *PendingSignIn as the error,
// which unwraps to ErrTwoFactorRequired or ErrTwoFactorSetupRequired; the
// page then asks for the code and calls CompleteSignIn or
// CompleteSignInSetup.
func (s *Service) SignIn(ctx context.Context, login, password, userAgent string) (*BrowserSession, error) {
	u, err := s.checkCredentials(ctx, login, password)
	if err != nil {
		return nil, err
	}
	code, setup, err := s.secondFactorNeeded(ctx, u)
	if err != nil {
		return nil, err
	}
	if code || setup {
		p, err := s.pendingSignIn(ctx, u, setup)
		if err != nil {
			return nil, err
		}
		return nil, p
	}
	sess, bs, err := s.newSession(ctx, userAgent)
	if err != nil {
		return nil, err
	}
	bs.User = u
	err = s.db.InTx(ctx, func(tx storage.Tx) error { return s.saveSession(ctx, tx, sess, u) })
	if err != nil {
		return nil, err
	}
	return bs, nil
}

// newSession makes a session, not yet stored and without its user, and its
// signed cookie.
func (s *Service) newSession(ctx context.Context, userAgent string) (*storage.Session, *BrowserSession, error) {
	token := randomToken(32)
	now := s.now()
	if utf8.RuneCountInString(userAgent) > 300 {
		userAgent = string([]rune(userAgent)[:300])
	}
	sess := &storage.Session{
		ID:        storage.NewID(),
		TokenHash: hashToken(token),
		CSRFToken: randomToken(32),
		UserAgent: strings.ToValidUTF8(userAgent, ""),
		CreatedAt: now,
		ExpiresAt: now.Add(SessionLifetime),
	}
	cookie, err := s.sign(ctx, "session", token)
	if err != nil {
		return nil, nil, err
	}
	return sess, &BrowserSession{Cookie: cookie, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt}, nil
}

// saveSession stores sess as u's new session and records the sign-in.
func (s *Service) saveSession(ctx context.Context, tx storage.Tx, sess *storage.Session, u *storage.User) error {
	sess.UserID = u.ID
	if err := tx.InsertSession(ctx, sess); err != nil {
		return err
	}
	now := sess.CreatedAt
	u.LastSignInAt = &now
	return tx.UpdateUser(ctx, u, "last_sign_in_at")
}

// SessionFromCookie returns the session a session cookie names. It returns
// ErrNotFound when the cookie is forged, expired or ended, or its person may
// no longer sign in.
func (s *Service) SessionFromCookie(ctx context.Context, cookie string) (*BrowserSession, error) {
	token, ok, err := s.verify(ctx, "session", cookie)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	sess, err := s.db.SessionByHash(ctx, hashToken(token), s.now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if signInAllowed(sess.User) != nil {
		return nil, ErrNotFound
	}
	return &BrowserSession{User: sess.User, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt}, nil
}

// EndSession signs out the session a cookie names; a cookie naming no live
// session is no error.
func (s *Service) EndSession(ctx context.Context, cookie string) error {
	token, ok, err := s.verify(ctx, "session", cookie)
	if err != nil || !ok {
		return err
	}
	return s.db.RevokeSession(ctx, hashToken(token), s.now())
}

// NewFormToken protects a form shown before anyone has signed in (the
// sign-in form) from cross-site posts: field goes into a hidden input and
// cookie into a cookie, and CheckFormToken tells whether a post carries the
// pair. A page that already has such a cookie should reuse its token
// (FormTokenFromCookie), so that two open tabs both work.
func (s *Service) NewFormToken(ctx context.Context) (cookie, field string, err error) {
	field = randomToken(32)
	cookie, err = s.sign(ctx, "form", field)
	return cookie, field, err
}

// FormTokenFromCookie returns the form token a cookie from NewFormToken
// holds, and false when the cookie is not one.
func (s *Service) FormTokenFromCookie(ctx context.Context, cookie string) (string, bool, error) {
	return s.verify(ctx, "form", cookie)
}

// CheckFormToken reports whether a posted form token matches its cookie.
func (s *Service) CheckFormToken(ctx context.Context, cookie, field string) (bool, error) {
	v, ok, err := s.verify(ctx, "form", cookie)
	if err != nil || !ok {
		return false, err
	}
	return field != "" && subtle.ConstantTimeCompare([]byte(v), []byte(field)) == 1, nil
}

// cookieKeyName names the server secret that signs cookies.
const cookieKeyName = "cookie_signing_key"

// sign returns value with an HMAC for purpose, so that a cookie made for
// one purpose is worthless for another and a forged one is refused before
// any lookup.
func (s *Service) sign(ctx context.Context, purpose, value string) (string, error) {
	var fresh [32]byte
	_, _ = rand.Read(fresh[:])
	stored, err := s.db.ServerSecret(ctx, cookieKeyName, hex.EncodeToString(fresh[:]), s.now())
	if err != nil {
		return "", err
	}
	key, err := hex.DecodeString(stored)
	if err != nil {
		return "", fmt.Errorf("server secret %s is not hex: %w", cookieKeyName, err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return value + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// verify returns the value a signed string from sign holds.
func (s *Service) verify(ctx context.Context, purpose, signed string) (string, bool, error) {
	value, _, ok := strings.Cut(signed, ".")
	if !ok || value == "" {
		return "", false, nil
	}
	want, err := s.sign(ctx, purpose, value)
	if err != nil {
		return "", false, err
	}
	return value, hmac.Equal([]byte(want), []byte(signed)), nil
}

func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
