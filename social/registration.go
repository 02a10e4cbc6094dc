package social

// Registration: who may open an account, as the admin chose
// (Settings.RegistrationsMode), invite links, email confirmation and
// one-time password reset links.

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// How long one-time links work.
const (
	PasswordResetLifetime     = time.Hour
	EmailConfirmationLifetime = 48 * time.Hour
)

// Limits on what a person and an admin may enter.
const (
	maxReasonLength        = 1000
	maxInviteCommentLength = 500
	maxInviteUses          = 10000
	maxInviteLifetime      = 366 * 24 * time.Hour
)

// refusal is an error that is also ErrForbidden, with its own words.
type refusal struct{ msg string }

func (e *refusal) Error() string        { return e.msg }
func (e *refusal) Is(target error) bool { return target == ErrForbidden }

// pendingLogin is an error that is also ErrLoginPending, with its own
// words: code that knows only ErrLoginPending still refuses the person.
type pendingLogin struct{ msg string }

func (e *pendingLogin) Error() string        { return e.msg }
func (e *pendingLogin) Is(target error) bool { return target == ErrLoginPending }

var (
	// ErrRegistrationsClosed means nobody may sign up: admins create the
	// accounts.
	ErrRegistrationsClosed error = &refusal{"registrations are closed on this server; ask its admins for an account"}
	// ErrInviteRequired means sign-ups need an invite link.
	ErrInviteRequired error = &refusal{"this server takes new accounts by invite only; ask its admins for an invite link"}
	// ErrEmailUnconfirmed means the person signed up with an email address
	// and has not yet followed the link sent to it. It is also
	// ErrLoginPending.
	ErrEmailUnconfirmed error = &pendingLogin{"your login is missing a confirmed e-mail address"}
	// ErrLinkInvalid means a one-time link is unknown, expired or used.
	ErrLinkInvalid = errors.New("this link has expired or was already used")
	// ErrMailNotConfigured means the server sends no email.
	ErrMailNotConfigured = errors.New("this server does not send email")
)

// emailUnconfirmed reports whether u must still confirm their email address
// before signing in. signInAllowed refuses such a person with
// ErrEmailUnconfirmed.
func emailUnconfirmed(u *storage.User) bool {
	return u.ConfirmationRequired && u.ConfirmedAt == nil
}

// Error codes of a refused registration, as Mastodon's POST /api/v1/accounts
// gives them in details.
const (
	ErrCodeBlank    = "ERR_BLANK"
	ErrCodeInvalid  = "ERR_INVALID"
	ErrCodeTaken    = "ERR_TAKEN"
	ErrCodeReserved = "ERR_RESERVED"
	ErrCodeAccepted = "ERR_ACCEPTED"
	ErrCodeTooLong  = "ERR_TOO_LONG"
	ErrCodeTooShort = "ERR_TOO_SHORT"
)

// FieldError is one problem with one field of a registration.
type FieldError struct {
	Field       string
	Code        string // ERR_TAKEN ...
	Description string // "is already taken"
}

// RegistrationError is a refused registration: every problem found, field
// by field, in the order of the form.
type RegistrationError struct {
	Fields []FieldError
}

func (e *RegistrationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = strings.ReplaceAll(f.Field, "_", " ") + " " + f.Description
	}
	return strings.Join(parts, ", ")
}

func (e *RegistrationError) add(field, code, description string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Code: code, Description: description})
}

func fieldError(field, code, description string) *RegistrationError {
	e := &RegistrationError{}
	e.add(field, code, description)
	return e
}

// Registration is what a person signing up gives.
type Registration struct {
	Username string
	// Email is optional. When the server sends email, a given address must
	// be confirmed before the person signs in.
	Email    string
	Password string
	// Reason is required in approval mode, for the admins who review it.
	Reason string
	// InviteCode is required in invite mode; in approval mode a valid one
	// lets the person in without review. A whole invite link works too.
	InviteCode string
	// Agreement must be true: the person accepts the server's rules.
	Agreement bool
	// Locale is the language the person asked for; every page and email is
	// in English for now.
	Locale string
	// Scopes are those of the new access token, space-separated: Mastodon
	// gives the scopes of the app token that asked. Empty means the app's.
	Scopes string
	// Address is the network address the sign-up came from
	// (ClientAddress), which the IP blocks judge.
	Address string
}

// reservedUsernames are names a person signing up may not take: they
// suggest the server's staff or its mail. Admins may still create them.
var reservedUsernames = map[string]bool{
	"abuse": true, "admin": true, "administrator": true, "help": true, "hostmaster": true,
	"info": true, "mod": true, "moderator": true, "moderators": true, "noreply": true,
	"no_reply": true, "owner": true, "postmaster": true, "root": true, "rounds": true,
	"security": true, "staff": true, "support": true, "system": true, "webmaster": true,
}

// Register opens an account for a person signing up, as the registration
// mode allows, and, when app is not nil, returns an access token of app for
// it (POST /api/v1/accounts). In closed mode it refuses with
// ErrRegistrationsClosed; in invite mode it needs a usable invite, counted
// in the same transaction as the account; in approval mode it needs a
// reason and leaves the account waiting for an admin. Problems with the
// fields come together as a *RegistrationError.
func (s *Service) Register(ctx context.Context, app *storage.OAuthApp, in Registration) (*storage.User, *IssuedToken, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, nil, err
	}
	in.Username = strings.TrimPrefix(strings.TrimSpace(in.Username), "@")
	in.Email = strings.TrimSpace(in.Email)
	in.Reason = strings.TrimSpace(in.Reason)
	in.InviteCode = inviteCodeOf(in.InviteCode)

	var scopes string
	if app != nil {
		requested := in.Scopes
		if strings.TrimSpace(requested) == "" {
			requested = app.Scopes
		}
		sc, err := tokenScopes(app, requested)
		if err != nil {
			return nil, nil, err
		}
		scopes = strings.Join(sc, " ")
	}

	switch st.RegistrationsMode {
	case RegistrationsClosed:
		return nil, nil, ErrRegistrationsClosed
	case RegistrationsInvite:
		if in.InviteCode == "" {
			return nil, nil, ErrInviteRequired
		}
	}

	problems := &RegistrationError{}
	var invite *storage.Invite
	if in.InviteCode != "" {
		inv, err := s.db.InviteByCode(ctx, in.InviteCode)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			problems.add("invite_code", ErrCodeInvalid, "is not a valid invite")
		case err != nil:
			return nil, nil, err
		default:
			if why := inviteProblem(inv, s.now()); why != "" {
				problems.add("invite_code", ErrCodeInvalid, why)
			} else {
				invite = inv
			}
		}
	}
	if err := s.checkRegistration(ctx, in, st.RegistrationsMode == RegistrationsApproval && invite == nil && in.InviteCode == "", problems); err != nil {
		return nil, nil, err
	}
	needsApproval, err := s.checkSignUpBlocks(ctx, in, invite != nil, problems)
	if err != nil {
		return nil, nil, err
	}
	if len(problems.Fields) > 0 {
		return nil, nil, problems
	}

	// An invite is an admin's word for the person, so it needs no review,
	// unless an IP block asks for it.
	approved := (st.RegistrationsMode == RegistrationsInvite || invite != nil) && !needsApproval
	a, u, err := s.prepareUser(NewUser{
		Username: in.Username,
		Email:    in.Email,
		Password: in.Password,
		Role:     RoleUser,
		Approved: approved,
		Reason:   in.Reason,
	})
	var ve *ValidationError
	if errors.As(err, &ve) {
		return nil, nil, fieldError(ve.Field, ErrCodeInvalid, ve.Reason)
	}
	if err != nil {
		return nil, nil, err
	}
	confirm := s.mailer != nil && u.Email != nil
	u.ConfirmationRequired = confirm
	if confirm && s.jobs == nil {
		return nil, nil, errors.New("register: email confirmation needs the job queue")
	}
	now := s.now()
	var issued *IssuedToken
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if invite != nil {
			if err := tx.UseInvite(ctx, invite.ID, now); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					// Someone else took its last use, or an admin revoked
					// it, since it was read.
					return fieldError("invite_code", ErrCodeInvalid, "has been used up")
				}
				return err
			}
			u.InviteID = &invite.ID
		}
		if err := tx.InsertLocalAccount(ctx, a, u); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				if strings.HasPrefix(err.Error(), "email") {
					return fieldError("email", ErrCodeTaken, "is already taken")
				}
				return fieldError("username", ErrCodeTaken, "is already taken")
			}
			return err
		}
		if confirm {
			if err := s.jobs.InsertTx(ctx, tx, MailArgs{Message: mailConfirmEmail, UserID: u.ID}, nil); err != nil {
				return err
			}
		}
		if app != nil {
			t, it := s.newAccessToken(app.ID, &u.ID, scopes)
			if err := tx.InsertAccessToken(ctx, t); err != nil {
				return err
			}
			issued = it
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return u, issued, nil
}

// checkRegistration adds every problem with in's fields to problems.
func (s *Service) checkRegistration(ctx context.Context, in Registration, reasonRequired bool, problems *RegistrationError) error {
	switch name := in.Username; {
	case name == "":
		problems.add("username", ErrCodeBlank, "can't be blank")
	case utf8.RuneCountInString(name) > 30:
		problems.add("username", ErrCodeTooLong, "is too long (maximum is 30 characters)")
	case !usernameRE.MatchString(name):
		problems.add("username", ErrCodeInvalid, "must contain only letters, numbers and underscores")
	case reservedUsernames[strings.ToLower(name)]:
		problems.add("username", ErrCodeReserved, "is reserved")
	default:
		_, err := s.db.AccountByUsername(ctx, name, "")
		switch {
		case err == nil:
			problems.add("username", ErrCodeTaken, "is already taken")
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
	}

	if in.Email != "" {
		addr, err := mail.ParseAddress(in.Email)
		if err != nil || addr.Address != in.Email || len(in.Email) > 254 {
			problems.add("email", ErrCodeInvalid, "is not an email address")
		} else {
			_, err := s.db.UserForSignIn(ctx, in.Email)
			switch {
			case err == nil:
				problems.add("email", ErrCodeTaken, "is already taken")
			case !errors.Is(err, storage.ErrNotFound):
				return err
			}
		}
	}

	switch n := utf8.RuneCountInString(in.Password); {
	case in.Password == "":
		problems.add("password", ErrCodeBlank, "can't be blank")
	case n < MinPasswordLength:
		problems.add("password", ErrCodeTooShort, fmt.Sprintf("is too short (minimum is %d characters)", MinPasswordLength))
	case len(in.Password) > 72:
		problems.add("password", ErrCodeTooLong, "is too long (maximum is 72 bytes)")
	}

	if !in.Agreement {
		problems.add("agreement", ErrCodeAccepted, "must be accepted")
	}

	switch {
	case reasonRequired && in.Reason == "":
		problems.add("reason", ErrCodeBlank, "can't be blank: tell the admins who you are and why you are joining")
	case utf8.RuneCountInString(in.Reason) > maxReasonLength:
		problems.add("reason", ErrCodeTooLong, fmt.Sprintf("is too long (maximum is %d characters)", maxReasonLength))
	}
	return nil
}

// ConfirmEmail follows an email confirmation link and returns the person,
// whose address is now confirmed. It returns ErrLinkInvalid when the link is
// unknown, expired, used, or for an address the person no longer has.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (*storage.User, error) {
	var user *storage.User
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		c, err := tx.UseEmailConfirmation(ctx, hashToken(token), s.now())
		if errors.Is(err, storage.ErrNotFound) {
			return ErrLinkInvalid
		}
		if err != nil {
			return err
		}
		u, err := tx.UserWithAccountByID(ctx, c.UserID)
		if err != nil {
			return err
		}
		if u.Email == nil || !strings.EqualFold(*u.Email, c.Email) {
			return ErrLinkInvalid
		}
		user = u
		if u.ConfirmedAt != nil {
			return nil
		}
		now := s.now()
		u.ConfirmedAt = &now
		return tx.UpdateUser(ctx, u, "confirmed_at")
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return user, nil
}

// ResendConfirmation sends the confirmation link again to login's address
// (a username or email) when they still have to confirm it. It answers the
// same whether or not there is such a person.
func (s *Service) ResendConfirmation(ctx context.Context, login string) error {
	if s.mailer == nil {
		return ErrMailNotConfigured
	}
	u, err := s.db.UserForSignIn(ctx, login)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !emailUnconfirmed(u) || u.Email == nil {
		return nil
	}
	return s.jobs.Insert(ctx, MailArgs{Message: mailConfirmEmail, UserID: u.ID}, oncePer(10*time.Minute))
}

// oncePer keeps one email of a kind to a person per period, however often
// it is asked for.
func oncePer(d time.Duration) *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: d}}
}

func (s *Service) newEmailConfirmation(ctx context.Context, u *storage.User) (string, error) {
	token := randomToken(32)
	now := s.now()
	err := s.db.InsertEmailConfirmation(ctx, &storage.EmailConfirmation{
		TokenHash: hashToken(token),
		UserID:    u.ID,
		Email:     *u.Email,
		ExpiresAt: now.Add(EmailConfirmationLifetime),
		CreatedAt: now,
	})
	if err != nil {
		return "", err
	}
	return s.base + "/auth/confirmation/" + token, nil
}

// Invites

// InviteOptions describes a new invite link.
type InviteOptions struct {
	// MaxUses is how many accounts the link may open; nil for no limit.
	MaxUses *int
	// ExpiresIn is how long the link works; zero for ever.
	ExpiresIn time.Duration
	// Comment reminds the admins whom the link was for.
	Comment string
}

// CreateInvite makes an invite link, for admins, and returns it with its
// address. The audit log keeps who made it.
func (s *Service) CreateInvite(ctx context.Context, a Actor, o InviteOptions) (*storage.Invite, string, error) {
	if err := a.require(PermManageAccounts); err != nil {
		return nil, "", err
	}
	if o.MaxUses != nil && (*o.MaxUses < 1 || *o.MaxUses > maxInviteUses) {
		return nil, "", invalid("max_uses", fmt.Sprintf("must be from 1 to %d, or no limit", maxInviteUses))
	}
	if o.ExpiresIn < 0 || o.ExpiresIn > maxInviteLifetime {
		return nil, "", invalid("expires_in", "must be at most a year, or never")
	}
	o.Comment = strings.TrimSpace(o.Comment)
	if utf8.RuneCountInString(o.Comment) > maxInviteCommentLength {
		return nil, "", invalid("comment", fmt.Sprintf("must be at most %d characters", maxInviteCommentLength))
	}
	now := s.now()
	inv := &storage.Invite{
		ID:        storage.NewID(),
		Code:      randomToken(9),
		MaxUses:   o.MaxUses,
		Comment:   o.Comment,
		CreatedAt: now,
	}
	if a.User != nil {
		inv.UserID = &a.User.ID
	}
	if o.ExpiresIn > 0 {
		at := now.Add(o.ExpiresIn)
		inv.ExpiresAt = &at
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertInvite(ctx, inv); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, inviteAudit("create_invite", inv, map[string]any{
			"max_uses": inv.MaxUses, "expires_at": inv.ExpiresAt, "comment": inv.Comment,
		}))
	})
	if err != nil {
		return nil, "", domainErr(err)
	}
	return inv, s.InviteLink(inv), nil
}

func inviteAudit(action string, inv *storage.Invite, detail any) audit {
	id := strconv.FormatInt(inv.ID, 10)
	return audit{action: action, targetType: "invite", targetID: id, target: "invite " + id, detail: detail}
}

// InviteLink is the address a person opens to sign up with inv.
func (s *Service) InviteLink(inv *storage.Invite) string { return s.base + "/invite/" + inv.Code }

// Invites lists every invite, newest first, for admins.
func (s *Service) Invites(ctx context.Context, a Actor) ([]*storage.Invite, error) {
	if err := a.require(PermManageAccounts); err != nil {
		return nil, err
	}
	return s.db.Invites(ctx)
}

// RevokeInvite stops invite id from opening more accounts, for admins.
func (s *Service) RevokeInvite(ctx context.Context, a Actor, id int64) (*storage.Invite, error) {
	if err := a.require(PermManageAccounts); err != nil {
		return nil, err
	}
	var inv *storage.Invite
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		inv, err = tx.InviteByID(ctx, id)
		if err != nil {
			return err
		}
		if inv.RevokedAt != nil {
			return invalid("", fmt.Sprintf("invite %d is already revoked", id))
		}
		now := s.now()
		if err := tx.RevokeInvite(ctx, id, now); err != nil {
			return err
		}
		inv.RevokedAt = &now
		return s.appendAudit(ctx, tx, a, inviteAudit("revoke_invite", inv, nil))
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return inv, nil
}

// Invite states, as InviteState words them.
const (
	InviteActive  = "active"
	InviteExpired = "expired"
	InviteRevoked = "revoked"
	InviteUsedUp  = "used up"
)

// InviteState says whether inv can still open accounts at now.
func InviteState(inv *storage.Invite, now time.Time) string {
	switch {
	case inv.RevokedAt != nil:
		return InviteRevoked
	case inv.ExpiresAt != nil && !now.Before(*inv.ExpiresAt):
		return InviteExpired
	case inv.MaxUses != nil && inv.Uses >= *inv.MaxUses:
		return InviteUsedUp
	}
	return InviteActive
}

// inviteProblem words why inv cannot be used at now, or "".
func inviteProblem(inv *storage.Invite, now time.Time) string {
	switch InviteState(inv, now) {
	case InviteRevoked:
		return "was withdrawn by the admins"
	case InviteExpired:
		return "has expired"
	case InviteUsedUp:
		return "has been used up"
	}
	return ""
}

// CheckInvite tells the sign-up page whether code opens an account now. It
// returns ErrRegistrationsClosed in closed mode and a *RegistrationError on
// invite_code when the invite is unknown or no longer usable.
func (s *Service) CheckInvite(ctx context.Context, code string) (*storage.Invite, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if st.RegistrationsMode == RegistrationsClosed {
		return nil, ErrRegistrationsClosed
	}
	inv, err := s.db.InviteByCode(ctx, inviteCodeOf(code))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fieldError("invite_code", ErrCodeInvalid, "is not a valid invite")
	}
	if err != nil {
		return nil, err
	}
	if why := inviteProblem(inv, s.now()); why != "" {
		return nil, fieldError("invite_code", ErrCodeInvalid, why)
	}
	return inv, nil
}

// inviteCodeOf takes the code out of an invite link, or returns a bare code
// as it is.
func inviteCodeOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "/invite/"); i >= 0 {
		s = s[i+len("/invite/"):]
	}
	return strings.TrimRight(s, "/")
}

// Password reset links

// CreatePasswordReset makes a one-time link, valid for
// PasswordResetLifetime, where username's owner sets a new password: for
// admins to hand over when the server sends no email. Only the token's hash
// is stored, and the audit log keeps who made it. Staff may not make one for
// an account ranked as high as theirs.
func (s *Service) CreatePasswordReset(ctx context.Context, a Actor, username string) (string, error) {
	if err := a.require(PermManageAccounts); err != nil {
		return "", err
	}
	var link string
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		u, err := tx.LocalUserByUsername(ctx, strings.TrimPrefix(strings.TrimSpace(username), "@"))
		if err != nil {
			return err
		}
		if err := a.mayActOn(u); err != nil {
			return err
		}
		link, err = s.newPasswordReset(ctx, tx, u)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, accountAudit("create_password_reset_link", u.Account, ""))
	})
	if err != nil {
		return "", domainErr(err)
	}
	return link, nil
}

// passwordResetStore is a DB or a Tx.
type passwordResetStore interface {
	InsertPasswordReset(ctx context.Context, p *storage.PasswordReset) error
}

func (s *Service) newPasswordReset(ctx context.Context, db passwordResetStore, u *storage.User) (string, error) {
	token := randomToken(32)
	now := s.now()
	err := db.InsertPasswordReset(ctx, &storage.PasswordReset{
		TokenHash: hashToken(token),
		UserID:    u.ID,
		ExpiresAt: now.Add(PasswordResetLifetime),
		CreatedAt: now,
	})
	if err != nil {
		return "", err
	}
	return s.base + "/auth/password/reset/" + token, nil
}

// RequestPasswordReset emails a reset link to the person whose address is
// email, when there is one. It answers the same whether or not there is,
// so that nobody learns who has an account; it sends at most one link per
// person every ten minutes. Without email it returns ErrMailNotConfigured:
// an admin must make the link.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	if s.mailer == nil {
		return ErrMailNotConfigured
	}
	email = strings.TrimSpace(email)
	if !strings.Contains(email, "@") {
		return invalid("email", "is not an email address")
	}
	u, err := s.db.UserForSignIn(ctx, email)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.jobs.Insert(ctx, MailArgs{Message: mailPasswordReset, UserID: u.ID}, oncePer(10*time.Minute))
}

// PasswordResetUser returns the person a reset link is for while it still
// works, or ErrLinkInvalid.
func (s *Service) PasswordResetUser(ctx context.Context, token string) (*storage.User, error) {
	id, err := s.db.PasswordResetValid(ctx, hashToken(token), s.now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	return s.db.UserWithAccountByID(ctx, id)
}

// ResetPasswordWithToken sets a new password through a reset link. The
// link works once (and ends the person's other links); the person's
// browser sessions end and their apps' access tokens are revoked, so that
// whoever knew the old password is out. It returns ErrLinkInvalid for an
// unknown, expired or used link, and a *ValidationError for a password
// that will not do (the link still works then).
func (s *Service) ResetPasswordWithToken(ctx context.Context, token, newPassword string) error {
	hash, err := hashPassword(newPassword)
	if err != nil {
		return err
	}
	var userID int64
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		now := s.now()
		id, err := tx.UsePasswordReset(ctx, hashToken(token), now)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrLinkInvalid
		}
		if err != nil {
			return err
		}
		u, err := tx.UserWithAccountByID(ctx, id)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := tx.UpdateUser(ctx, u, "password_hash"); err != nil {
			return err
		}
		userID = u.ID
		return tx.RevokeUserSignIns(ctx, u.ID, now)
	})
	if err != nil {
		return domainErr(err)
	}
	s.accessChanged(ctx, userID)
	return nil
}
