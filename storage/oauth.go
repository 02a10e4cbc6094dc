package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// OAuthApp is a client application registered through POST /api/v1/apps.
type OAuthApp struct {
	bun.BaseModel `bun:"table:oauth_apps"`

	ID      int64  `bun:",pk"`
	Name    string `bun:",notnull"`
	Website string `bun:",notnull"`
	// RedirectURIs holds one URI per line.
	RedirectURIs string `bun:"redirect_uris,notnull"`
	// Scopes is space-separated.
	Scopes           string    `bun:",notnull"`
	ClientID         string    `bun:",notnull"`
	ClientSecretHash string    `bun:",notnull"`
	CreatedAt        time.Time `bun:",notnull"`
}

// RedirectURIList returns the app's redirect URIs in the order registered.
func (a *OAuthApp) RedirectURIList() []string { return strings.Fields(a.RedirectURIs) }

// ScopeList returns the app's scopes in the order registered.
func (a *OAuthApp) ScopeList() []string { return strings.Fields(a.Scopes) }

// AccessToken is an OAuth access token, known only by its hash.
type AccessToken struct {
	bun.BaseModel `bun:"table:oauth_tokens"`

	ID        int64  `bun:",pk"`
	TokenHash string `bun:",notnull"`
	AppID     int64  `bun:",notnull"`
	// UserID is nil for an app's own token (client_credentials).
	UserID     *int64
	Scopes     string    `bun:",notnull"` // space-separated
	CreatedAt  time.Time `bun:",notnull"`
	RevokedAt  *time.Time
	LastUsedAt *time.Time

	// User is the token's user with its account, loaded by
	// AccessTokenByHash; nil for an app's own token.
	User *User `bun:"-"`
}

// AuthorizationCode is a one-time code from the authorization page, known
// only by its hash.
type AuthorizationCode struct {
	bun.BaseModel `bun:"table:oauth_codes"`

	CodeHash            string `bun:",pk"`
	AppID               int64  `bun:",notnull"`
	UserID              int64  `bun:",notnull"`
	RedirectURI         string `bun:",notnull"`
	Scopes              string `bun:",notnull"`
	CodeChallenge       string `bun:",notnull"`
	CodeChallengeMethod string `bun:",notnull"`
	// TokenID is the token the code was exchanged for.
	TokenID   *int64
	CreatedAt time.Time `bun:",notnull"`
	ExpiresAt time.Time `bun:",notnull"`
	UsedAt    *time.Time
}

// Session is a browser session on the server's own pages, known only by the
// hash of the token in its cookie.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        int64     `bun:",pk"`
	TokenHash string    `bun:",notnull"`
	UserID    int64     `bun:",notnull"`
	CSRFToken string    `bun:"csrf_token,notnull"`
	UserAgent string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
	ExpiresAt time.Time `bun:",notnull"`
	RevokedAt *time.Time

	// User is the session's user with its account, loaded by
	// SessionByHash.
	User *User `bun:"-"`
}

// ServerSecret is a key the server made for itself.
type ServerSecret struct {
	bun.BaseModel `bun:"table:server_secrets"`

	Name      string    `bun:",pk"`
	Value     string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// InsertOAuthApp stores a newly registered app.
func (q queries) InsertOAuthApp(ctx context.Context, a *OAuthApp) error {
	if _, err := q.w.NewInsert().Model(a).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("client id: %w", ErrConflict)
		}
		return fmt.Errorf("insert oauth app: %w", err)
	}
	return nil
}

// OAuthAppByClientID returns the app with clientID.
func (q queries) OAuthAppByClientID(ctx context.Context, clientID string) (*OAuthApp, error) {
	a := new(OAuthApp)
	if err := q.r.NewSelect().Model(a).Where("client_id = ?", clientID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// OAuthAppByID returns the app with id.
func (q queries) OAuthAppByID(ctx context.Context, id int64) (*OAuthApp, error) {
	a := new(OAuthApp)
	if err := q.r.NewSelect().Model(a).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// InsertAccessToken stores a new access token.
func (q queries) InsertAccessToken(ctx context.Context, t *AccessToken) error {
	if _, err := q.w.NewInsert().Model(t).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("access token: %w", ErrConflict)
		}
		return fmt.Errorf("insert access token: %w", err)
	}
	return nil
}

// AccessTokenByHash returns the token with hash, revoked or not, with its
// user and the user's account when it has one.
func (q queries) AccessTokenByHash(ctx context.Context, hash string) (*AccessToken, error) {
	t := new(AccessToken)
	if err := q.scanOneP(ctx, stmtAccessTokenByHash, t, hash); err != nil {
		return nil, notFound(err)
	}
	if t.UserID != nil {
		u, err := q.UserWithAccountByID(ctx, *t.UserID)
		if err != nil {
			return nil, fmt.Errorf("user of access token %d: %w", t.ID, err)
		}
		t.User = u
	}
	return t, nil
}

// TouchAccessToken records that token id was used at now, unless that was
// already recorded after since: a busy token then costs one write a minute,
// not one per request, whichever process serves it.
func (q queries) TouchAccessToken(ctx context.Context, id int64, now, since time.Time) error {
	_, err := q.w.NewUpdate().Model((*AccessToken)(nil)).
		Set("last_used_at = ?", now).
		Where("id = ?", id).
		Where("last_used_at IS NULL OR last_used_at < ?", since).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("record access token use: %w", err)
	}
	return nil
}

// RevokeAccessToken marks token id revoked at now; a token already revoked
// keeps its first revocation time.
func (q queries) RevokeAccessToken(ctx context.Context, id int64, now time.Time) error {
	_, err := q.w.NewUpdate().Model((*AccessToken)(nil)).
		Set("revoked_at = ?", now).
		Where("id = ?", id).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke access token: %w", err)
	}
	return q.deleteRevokedWebPush(ctx)
}

// InsertAuthorizationCode stores a new authorization code.
func (q queries) InsertAuthorizationCode(ctx context.Context, c *AuthorizationCode) error {
	if _, err := q.w.NewInsert().Model(c).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("authorization code: %w", ErrConflict)
		}
		return fmt.Errorf("insert authorization code: %w", err)
	}
	return nil
}

// AuthorizationCodeByHash returns the code with hash, used or not.
func (q queries) AuthorizationCodeByHash(ctx context.Context, hash string) (*AuthorizationCode, error) {
	c := new(AuthorizationCode)
	if err := q.r.NewSelect().Model(c).Where("code_hash = ?", hash).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return c, nil
}

// UseAuthorizationCode marks the unused code with hash as used at now and
// exchanged for token tokenID. It returns ErrNotFound when the code was
// already used, so that of two concurrent exchanges only one succeeds.
func (q queries) UseAuthorizationCode(ctx context.Context, hash string, now time.Time, tokenID int64) error {
	res, err := q.w.NewUpdate().Model((*AuthorizationCode)(nil)).
		Set("used_at = ?", now).
		Set("token_id = ?", tokenID).
		Where("code_hash = ?", hash).
		Where("used_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("use authorization code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteUnusedAuthorizationCodes deletes userID's authorization codes that
// were not exchanged yet, only appID's when appID is not 0, and returns how
// many there were. Used codes stay: a second use of one still revokes the
// token it gave.
func (q queries) DeleteUnusedAuthorizationCodes(ctx context.Context, userID, appID int64) (int, error) {
	d := q.w.NewDelete().Model((*AuthorizationCode)(nil)).
		Where("user_id = ?", userID).
		Where("used_at IS NULL")
	if appID != 0 {
		d = d.Where("app_id = ?", appID)
	}
	res, err := d.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("delete unused authorization codes: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// UserForSignIn returns the local user who signs in as login: a username
// (with or without a leading @) or, when login holds an @ after that, an
// email address. Both are matched case-insensitively.
func (q queries) UserForSignIn(ctx context.Context, login string) (*User, error) {
	login = strings.TrimPrefix(strings.TrimSpace(login), "@")
	if login == "" {
		return nil, ErrNotFound
	}
	u := new(User)
	sel := q.r.NewSelect().Model(u).Relation("Account").Where("account.domain = ''")
	if strings.Contains(login, "@") {
		sel = sel.Where("lower(u.email) = ?", strings.ToLower(login))
	} else {
		sel = sel.Where("lower(account.username) = ?", strings.ToLower(login))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return u, nil
}

// UserWithAccountByID returns the local user with id and its account.
func (q queries) UserWithAccountByID(ctx context.Context, id int64) (*User, error) {
	u := new(User)
	if err := q.scanOneP(ctx, stmtUserWithAccountByID, u, id); err != nil {
		return nil, notFound(err)
	}
	return u, nil
}

var (
	stmtAccessTokenByHash   = prepareRead(selectSQL((*AccessToken)(nil), "WHERE token_hash = ?"))
	stmtUserWithAccountByID = prepareRead("SELECT " + columnsWithAccount((*User)(nil), "u") +
		" FROM users AS u LEFT JOIN accounts AS account ON account.id = u.account_id WHERE u.id = ?")
)

// InsertSession stores a new browser session.
func (q queries) InsertSession(ctx context.Context, s *Session) error {
	if _, err := q.w.NewInsert().Model(s).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("session: %w", ErrConflict)
		}
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// SessionByHash returns the unrevoked session with hash that has not expired
// at now, with its user and the user's account.
func (q queries) SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, error) {
	s := new(Session)
	err := q.r.NewSelect().Model(s).
		Where("token_hash = ?", hash).
		Where("revoked_at IS NULL").
		Where("expires_at > ?", now).
		Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	u, err := q.UserWithAccountByID(ctx, s.UserID)
	if err != nil {
		return nil, fmt.Errorf("user of session %d: %w", s.ID, err)
	}
	s.User = u
	return s, nil
}

// RevokeSession ends the session with hash at now; ending one that has
// already ended changes nothing.
func (q queries) RevokeSession(ctx context.Context, hash string, now time.Time) error {
	_, err := q.w.NewUpdate().Model((*Session)(nil)).
		Set("revoked_at = ?", now).
		Where("token_hash = ?", hash).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// ServerSecret returns the secret called name, storing candidate as its
// value first when there is none yet. Processes that race to create it all
// get the one that was stored first.
func (q queries) ServerSecret(ctx context.Context, name, candidate string, now time.Time) (string, error) {
	s := new(ServerSecret)
	err := q.r.NewSelect().Model(s).Where("name = ?", name).Scan(ctx)
	if err == nil {
		return s.Value, nil
	}
	if err = notFound(err); err != ErrNotFound {
		return "", fmt.Errorf("read server secret %s: %w", name, err)
	}
	_, err = q.w.NewInsert().
		Model(&ServerSecret{Name: name, Value: candidate, CreatedAt: now}).
		On("CONFLICT (name) DO NOTHING").
		Exec(ctx)
	if err != nil {
		return "", fmt.Errorf("store server secret %s: %w", name, err)
	}
	// Read through the writer: on SQLite a reader that began before the
	// insert would not see it.
	if err := q.w.NewSelect().Model(s).Where("name = ?", name).Scan(ctx); err != nil {
		return "", fmt.Errorf("read server secret %s: %w", name, err)
	}
	return s.Value, nil
}
