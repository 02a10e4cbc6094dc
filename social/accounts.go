package social

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"rounds/storage"
)

// Roles a local user can hold, from most to least powerful.
const (
	RoleOwner     = "owner"
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleUser      = "user"
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleModerator, RoleUser:
		return true
	}
	return false
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,30}$`)

// NewUser describes an account to create.
type NewUser struct {
	Username string
	Email    string // optional
	Password string
	Role     string // RoleUser when empty
	// Approved users may sign in at once; admins' creations always are.
	Approved bool
	Reason   string
}

// CreateUser creates a local user and its account with a fresh RSA-2048 key
// pair for signing federation requests.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*storage.User, error) {
	a, u, err := s.prepareUser(in)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error { return tx.InsertLocalAccount(ctx, a, u) })
	if err != nil {
		return nil, domainErr(err)
	}
	return u, nil
}

func (s *Service) prepareUser(in NewUser) (*storage.Account, *storage.User, error) {
	if !usernameRE.MatchString(in.Username) {
		return nil, nil, invalid("username", "must be 1 to 30 letters, digits or underscores")
	}
	if in.Role == "" {
		in.Role = RoleUser
	}
	if !ValidRole(in.Role) {
		return nil, nil, invalid("role", "must be one of owner, admin, moderator, user")
	}
	var email *string
	if in.Email != "" {
		addr, err := mail.ParseAddress(in.Email)
		if err != nil || addr.Address != in.Email {
			return nil, nil, invalid("email", "is not an email address")
		}
		email = &in.Email
	}
	hash, err := hashPassword(in.Password)
	if err != nil {
		return nil, nil, err
	}
	pub, priv, err := newKeyPair()
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	uri := s.base + "/users/" + in.Username
	a := &storage.Account{
		ID:             storage.NewID(),
		Username:       in.Username,
		DisplayName:    in.Username,
		URI:            uri,
		URL:            s.base + "/@" + in.Username,
		InboxURL:       uri + "/inbox",
		SharedInboxURL: s.base + "/inbox",
		OutboxURL:      uri + "/outbox",
		FollowersURL:   uri + "/followers",
		FollowingURL:   uri + "/following",
		FeaturedURL:    uri + "/collections/featured",
		KeyID:          uri + "#main-key",
		PublicKeyPEM:   pub,
		PrivateKeyPEM:  priv,
		Fields:         "[]",
		Discoverable:   true,
		Indexable:      true,
		ActorType:      "Person",
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	u := &storage.User{
		ID:           storage.NewID(),
		Email:        email,
		PasswordHash: hash,
		Role:         in.Role,
		Approved:     in.Approved,
		Reason:       strings.TrimSpace(in.Reason),
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	return a, u, nil
}

func hashPassword(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return "", invalid("password", fmt.Sprintf("must be at least %d characters", MinPasswordLength))
	}
	if len(pw) > 72 {
		// bcrypt reads only the first 72 bytes; refuse rather than ignore
		// the rest silently.
		return "", invalid("password", "must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw is u's password.
func CheckPassword(u *storage.User, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) == nil
}

func newKeyPair() (pubPEM, privPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", fmt.Errorf("encode public key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("encode private key: %w", err)
	}
	pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	privPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	return pubPEM, privPEM, nil
}

// UserByUsername returns the local user with username.
func (s *Service) UserByUsername(ctx context.Context, username string) (*storage.User, error) {
	u, err := s.db.LocalUserByUsername(ctx, strings.TrimPrefix(username, "@"))
	if err != nil {
		return nil, domainErr(err)
	}
	return u, nil
}

// ListUsers returns local users, oldest first.
func (s *Service) ListUsers(ctx context.Context, f storage.UserFilter) ([]*storage.User, error) {
	return s.db.ListUsers(ctx, f)
}

// ApproveUser lets a user who applied sign in, acting as the command line.
func (s *Service) ApproveUser(ctx context.Context, username string) (*storage.User, error) {
	return s.byUsername(ctx, username, func(id int64) error { return s.Approve(ctx, CommandLine, id, "") })
}

// SuspendUser suspends a user, acting as the command line.
func (s *Service) SuspendUser(ctx context.Context, username string) (*storage.User, error) {
	return s.byUsername(ctx, username, func(id int64) error {
		return s.TakeAction(ctx, CommandLine, id, AccountAction{Type: ActionSuspend})
	})
}

// UnsuspendUser lifts a suspension, acting as the command line.
func (s *Service) UnsuspendUser(ctx context.Context, username string) (*storage.User, error) {
	return s.byUsername(ctx, username, func(id int64) error { return s.Unsuspend(ctx, CommandLine, id, "") })
}

// byUsername runs act on a local user's account id and returns the user
// as it is afterwards.
func (s *Service) byUsername(ctx context.Context, username string, act func(id int64) error) (*storage.User, error) {
	u, err := s.UserByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	if err := act(u.AccountID); err != nil {
		return nil, err
	}
	return s.UserByUsername(ctx, username)
}

// ResetPassword sets a new password for a user (the command line's
// reset). As with a reset link, the person's browser sessions end and their
// access tokens and unexchanged authorization codes are revoked, so that
// whoever knew the old password is out.
func (s *Service) ResetPassword(ctx context.Context, username, password string) (*storage.User, error) {
	hash, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	u, err := s.changeUser(ctx, username, func(tx storage.Tx, u *storage.User) error {
		u.PasswordHash = hash
		if err := tx.UpdateUser(ctx, u, "password_hash"); err != nil {
			return err
		}
		return tx.RevokeUserSignIns(ctx, u.ID, s.now())
	})
	if err == nil {
		s.accessChanged(ctx, u.ID) // its open streams end with its tokens
	}
	return u, err
}

func (s *Service) changeUser(ctx context.Context, username string, fn func(tx storage.Tx, u *storage.User) error) (*storage.User, error) {
	var user *storage.User
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		u, err := tx.LocalUserByUsername(ctx, strings.TrimPrefix(username, "@"))
		if err != nil {
			return err
		}
		user = u
		return fn(tx, u)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return user, nil
}

// RandomPassword returns a new random password for a person to change.
func RandomPassword() string {
	return randomToken(15)
}
