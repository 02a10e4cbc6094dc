package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Account is a person or service, local (Domain == "") or remote.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`

	ID             int64  `bun:",pk"`
	Username       string `bun:",notnull"`
	Domain         string `bun:",notnull"`
	DisplayName    string `bun:",notnull"`
	Note           string `bun:",notnull"`
	URI            string `bun:"uri,notnull"`
	URL            string `bun:"url,notnull"`
	InboxURL       string `bun:",notnull"`
	SharedInboxURL string `bun:",notnull"`
	OutboxURL      string `bun:",notnull"`
	FollowersURL   string `bun:",notnull"`
	FollowingURL   string `bun:",notnull"`
	FeaturedURL    string `bun:",notnull"`
	AvatarURL      string `bun:",notnull"`
	HeaderURL      string `bun:",notnull"`
	KeyID          string `bun:",notnull"`
	PublicKeyPEM   string `bun:"public_key_pem,notnull"`
	PrivateKeyPEM  string `bun:"private_key_pem,notnull"`
	Fields         string `bun:",notnull"` // JSON array of {name, value, verified_at}
	Locked         bool   `bun:",notnull"`
	Discoverable   bool   `bun:",notnull"`
	Indexable      bool   `bun:",notnull"`
	Bot            bool   `bun:",notnull"`
	ActorType      string `bun:",notnull"`
	// AlsoKnownAs is the JSON array of the actor ids the account says it
	// also is (its aliases, ActivityPub alsoKnownAs).
	AlsoKnownAs string `bun:",notnull"`
	// MovedToURI is the actor id the account moved to ("" when it has not
	// moved); MovedAt is when.
	MovedToURI  string `bun:"moved_to_uri,notnull"`
	MovedAt     *time.Time
	SuspendedAt *time.Time
	SilencedAt  *time.Time // limited by a moderator
	FetchedAt   *time.Time
	CreatedAt   time.Time `bun:",notnull"`
	UpdatedAt   time.Time `bun:",notnull"`
}

// Local reports whether the account lives on this server.
func (a *Account) Local() bool { return a.Domain == "" }

// Moved reports whether the account moved to another.
func (a *Account) Moved() bool { return a.MovedToURI != "" }

// Suspended reports whether the account is suspended.
func (a *Account) Suspended() bool { return a.SuspendedAt != nil }

// User is a local person who signs in; each has one Account.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID           int64   `bun:",pk"`
	AccountID    int64   `bun:",notnull"`
	Email        *string // nil when no email was given
	PasswordHash string  `bun:",notnull"`
	Role         string  `bun:",notnull"`
	Approved     bool    `bun:",notnull"`
	Reason       string  `bun:",notnull"`
	Disabled     bool    `bun:",notnull"` // sign-in refused by an admin
	// SendPreferences is the user's send delay and quiet hours, as JSON.
	SendPreferences string `bun:",notnull"`
	InviteID        *int64 // the invite the user joined with
	ConfirmedAt     *time.Time
	LastSignInAt    *time.Time
	CreatedAt       time.Time `bun:",notnull"`
	UpdatedAt       time.Time `bun:",notnull"`

	// ConfirmationRequired means the user signed up with an email address
	// they must confirm (ConfirmedAt set) before signing in.
	ConfirmationRequired bool `bun:",notnull"`

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
}

// InsertLocalAccount stores a new local account and its user. It returns
// ErrConflict when the username or email is taken.
func (q queries) InsertLocalAccount(ctx context.Context, a *Account, u *User) error {
	if _, err := q.w.NewInsert().Model(a).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("username %q: %w", a.Username, ErrConflict)
		}
		return fmt.Errorf("insert account: %w", err)
	}
	u.AccountID = a.ID
	if _, err := q.w.NewInsert().Model(u).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("email: %w", ErrConflict)
		}
		return fmt.Errorf("insert user: %w", err)
	}
	u.Account = a
	return nil
}

// LocalUserByUsername returns the user whose account has username
// (case-insensitively), with its account.
func (q queries) LocalUserByUsername(ctx context.Context, username string) (*User, error) {
	u := new(User)
	err := q.r.NewSelect().Model(u).Relation("Account").
		Where("lower(account.username) = ?", strings.ToLower(username)).
		Where("account.domain = ''").
		Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return u, nil
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	// Pending keeps only users waiting for approval.
	Pending bool
	// Suspended keeps only suspended users.
	Suspended bool
	Limit     int
}

// ListUsers returns local users with their accounts, oldest first.
func (q queries) ListUsers(ctx context.Context, f UserFilter) ([]*User, error) {
	var users []*User
	sel := q.r.NewSelect().Model(&users).Relation("Account").OrderExpr("u.id ASC")
	if f.Pending {
		sel = sel.Where("u.approved = ?", false)
	}
	if f.Suspended {
		sel = sel.Where("account.suspended_at IS NOT NULL")
	}
	if f.Limit > 0 {
		sel = sel.Limit(int64(f.Limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// CountUsersWithRole counts local users holding any of roles.
func (q queries) CountUsersWithRole(ctx context.Context, roles ...string) (int, error) {
	n, err := q.r.NewSelect().Model((*User)(nil)).Where("role IN (?)", bun.In(roles)).Count(ctx)
	return int(n), err
}

// UpdateUser saves the given columns of u.
func (q queries) UpdateUser(ctx context.Context, u *User, columns ...string) error {
	u.UpdatedAt = time.Now().UTC()
	columns = append(columns, "updated_at")
	res, err := q.w.NewUpdate().Model(u).Column(columns...).WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// UpdateAccount saves the given columns of a.
func (q queries) UpdateAccount(ctx context.Context, a *Account, columns ...string) error {
	a.UpdatedAt = time.Now().UTC()
	columns = append(columns, "updated_at")
	res, err := q.w.NewUpdate().Model(a).Column(columns...).WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AccountByID returns the account with id.
func (q queries) AccountByID(ctx context.Context, id int64) (*Account, error) {
	a := new(Account)
	if err := q.scanOneP(ctx, stmtAccountByID, a, id); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// AccountByURI returns the account whose ActivityPub id is uri.
func (q queries) AccountByURI(ctx context.Context, uri string) (*Account, error) {
	a := new(Account)
	if err := q.scanOneP(ctx, stmtAccountByURI, a, uri); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

var (
	stmtAccountByID    = prepareRead(selectSQL((*Account)(nil), "WHERE id = ?"))
	stmtAccountByURI   = prepareRead(selectSQL((*Account)(nil), "WHERE uri = ?"))
	stmtAccountByKeyID = prepareRead(selectSQL((*Account)(nil), "WHERE key_id = ? LIMIT 1"))
)

// AccountByKeyID returns the account owning the public key keyID.
func (q queries) AccountByKeyID(ctx context.Context, keyID string) (*Account, error) {
	a := new(Account)
	if err := q.scanOneP(ctx, stmtAccountByKeyID, a, keyID); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// AccountByUsername returns the account username@domain (domain "" for
// local), case-insensitively.
func (q queries) AccountByUsername(ctx context.Context, username, domain string) (*Account, error) {
	a := new(Account)
	err := q.r.NewSelect().Model(a).
		Where("lower(username) = ?", strings.ToLower(username)).
		Where("domain = ?", strings.ToLower(domain)).
		Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// UpsertRemoteAccount stores a remote account by its URI, updating what a
// fresh fetch says; a.ID is set to the stored row's.
func (q queries) UpsertRemoteAccount(ctx context.Context, a *Account) error {
	existing, err := q.AccountByURI(ctx, a.URI)
	switch {
	case err == nil:
		a.ID = existing.ID
		a.CreatedAt = existing.CreatedAt
		a.SuspendedAt = existing.SuspendedAt
		// A limit is ours (a moderator's or a domain block's), not the
		// remote server's: a refetch keeps it. So is a move, taken only
		// from a checked Move activity.
		a.SilencedAt = existing.SilencedAt
		a.MovedToURI, a.MovedAt = existing.MovedToURI, existing.MovedAt
		_, err = q.w.NewUpdate().Model(a).WherePK().
			ExcludeColumn("id", "created_at", "suspended_at", "silenced_at", "private_key_pem", "moved_to_uri", "moved_at").Exec(ctx)
		return err
	case err == ErrNotFound:
		if a.ID == 0 {
			a.ID = NewID()
		}
		if _, err := q.w.NewInsert().Model(a).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("remote account %s: %w", a.URI, ErrConflict)
			}
			return fmt.Errorf("insert remote account: %w", err)
		}
		return nil
	default:
		return err
	}
}

// CountLocalUsers counts local users who may sign in.
func (q queries) CountLocalUsers(ctx context.Context) (int, error) {
	n, err := q.r.NewSelect().Model((*User)(nil)).Where("approved = ?", true).Count(ctx)
	return int(n), err
}

// AccountsByUsernamePrefix finds accounts whose username starts with
// prefix, local ones first.
func (q queries) AccountsByUsernamePrefix(ctx context.Context, prefix string, limit int) ([]*Account, error) {
	var accts []*Account
	esc := escapeLike(prefix)
	err := q.r.NewSelect().Model(&accts).
		Where(`lower(username) LIKE ? ESCAPE '\'`, esc+"%").
		Where("suspended_at IS NULL").Where("username <> 'instance.actor'").
		OrderExpr("CASE WHEN domain = '' THEN 0 ELSE 1 END, username").
		Limit(int64(limit)).Scan(ctx)
	return accts, err
}
