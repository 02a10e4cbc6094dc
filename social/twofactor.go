package social

// Two-factor sign-in: after the password, a six-digit code from an
// authenticator app (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, the
// default every app understands) or one of ten single-use recovery codes.
// A person turns it on by scanning a secret and confirming it with a first
// code; admins may require it of every staff member, who then set it up
// while signing in. The password grant cannot ask for a code, so it refuses
// everyone who signs in this way.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"rounds/storage"
)

const (
	// totpPeriod is the length of a TOTP time step.
	totpPeriod = 30
	// totpSkew is how many steps before or after the current one a code
	// may be from: one either side forgives a phone's clock that is a little
	// off, and a code typed just as it changed.
	totpSkew = 1
	// RecoveryCodeCount is how many recovery codes a person gets.
	RecoveryCodeCount = 10
	// PendingSignInLifetime is how long a correct password waits for its
	// second factor.
	PendingSignInLifetime = 5 * time.Minute
	// PendingSetupLifetime is how long a staff member who must set up
	// two-factor sign-in has to do it: longer, as they may first have to
	// install an authenticator app.
	PendingSetupLifetime = 15 * time.Minute
	// MaxSecondFactorAttempts is how many codes one pending sign-in may try
	// before the password must be entered again.
	MaxSecondFactorAttempts = 5
)

// Errors of two-factor sign-in.
var (
	// ErrTwoFactorSetupRequired means the person is staff, the server
	// requires two-factor sign-in of staff, and they have not set it up.
	ErrTwoFactorSetupRequired = errors.New("two-factor sign-in is required for staff; set it up first")
	// ErrBadSecondFactor means a code is wrong, from too long ago, or was
	// used already.
	ErrBadSecondFactor = errors.New("the code is wrong or was already used")
	// ErrTooManySecondFactorAttempts means a pending sign-in has had its
	// last try; the person must enter their password again.
	ErrTooManySecondFactorAttempts = errors.New("too many wrong codes; sign in again")
	// ErrSignInExpired means a pending sign-in is unknown, used, too old or
	// out of tries.
	ErrSignInExpired = errors.New("the sign-in expired; sign in again")
)

// PendingSignIn is a sign-in whose password was right and whose second
// factor is still to come. SignIn returns it as its error, so that callers
// that cannot ask for a code see ErrTwoFactorRequired or
// ErrTwoFactorSetupRequired (errors.Is) while the sign-in page takes the
// token (errors.As) and asks for the code.
type PendingSignIn struct {
	// Token names the pending sign-in for CompleteSignIn or
	// CompleteSignInSetup. It is signed; only its hash is stored.
	Token string
	User  *storage.User
	// Setup is set when the person must set up two-factor sign-in first;
	// TwoFactor then holds the new secret.
	Setup     bool
	TwoFactor *TwoFactorSetup
	ExpiresAt time.Time
}

func (p *PendingSignIn) Error() string { return p.Unwrap().Error() }

// Unwrap returns ErrTwoFactorSetupRequired or ErrTwoFactorRequired.
func (p *PendingSignIn) Unwrap() error {
	if p.Setup {
		return ErrTwoFactorSetupRequired
	}
	return ErrTwoFactorRequired
}

// TwoFactorSetup is a new TOTP secret, to be put into an authenticator app.
type TwoFactorSetup struct {
	// Secret is base32, for typing in.
	Secret string
	// URI is the otpauth:// URI that QR codes carry and that phones open
	// in their authenticator app.
	URI string
	// QRToken names this setup's QR code for TwoFactorQRCode, for
	// PendingSetupLifetime.
	QRToken string
}

// GroupedSecret is the secret in groups of four, easier to copy by hand.
func (t *TwoFactorSetup) GroupedSecret() string {
	var b strings.Builder
	for i, r := range t.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TwoFactorEnabled reports whether u signs in with a second factor.
func (s *Service) TwoFactorEnabled(ctx context.Context, u *storage.User) (bool, error) {
	tf, err := s.db.TwoFactorByUser(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return tf.EnabledAt != nil, nil
}

// BeginTwoFactor makes a new TOTP secret for u, which takes effect once
// ConfirmTwoFactor has seen a code made with it. Beginning again replaces
// an unconfirmed secret; it returns ErrConflict when two-factor sign-in is
// already on.
func (s *Service) BeginTwoFactor(ctx context.Context, u *storage.User) (*TwoFactorSetup, error) {
	u, err := s.withAccount(ctx, u)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.domain, AccountName: s.totpAccountName(u)})
	if err != nil {
		return nil, fmt.Errorf("make a TOTP secret: %w", err)
	}
	tf := &storage.TwoFactor{UserID: u.ID, Secret: key.Secret(), CreatedAt: s.now()}
	if err := s.db.PutUnconfirmedTwoFactor(ctx, tf); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, fmt.Errorf("%w: two-factor sign-in is already on for @%s; turn it off first to set it up again", ErrConflict, u.Account.Username)
		}
		return nil, err
	}
	return s.twoFactorSetup(ctx, u, tf.Secret)
}

// ConfirmTwoFactor turns on two-factor sign-in for u once code, made with
// the secret from BeginTwoFactor, is right. It returns the recovery codes,
// which are shown this once: only their hashes are kept.
func (s *Service) ConfirmTwoFactor(ctx context.Context, u *storage.User, code string) ([]string, error) {
	var codes []string
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		codes, err = s.confirmTwoFactor(ctx, tx, u, code)
		return err
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return codes, nil
}

func (s *Service) confirmTwoFactor(ctx context.Context, tx storage.Tx, u *storage.User, code string) ([]string, error) {
	tf, err := tx.TwoFactorByUser(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalid("two-factor sign-in", "has not been set up yet; begin again")
	}
	if err != nil {
		return nil, err
	}
	if tf.EnabledAt != nil {
		return nil, fmt.Errorf("%w: two-factor sign-in is already on", ErrConflict)
	}
	now := s.now()
	step, ok := totpStep(tf.Secret, code, now)
	if !ok {
		return nil, ErrBadSecondFactor
	}
	if err := tx.EnableTwoFactor(ctx, u.ID, now, step); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%w: two-factor sign-in is already on", ErrConflict)
		}
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = hashRecoveryCode(codes[i])
	}
	if err := tx.ReplaceRecoveryCodes(ctx, u.ID, hashes, now); err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTwoFactor turns off two-factor sign-in for u, who must give their
// password. Staff may not while the server requires it of them.
func (s *Service) DisableTwoFactor(ctx context.Context, u *storage.User, password string) error {
	fresh, err := s.db.UserWithAccountByID(ctx, u.ID)
	if err != nil {
		return domainErr(err)
	}
	if !CheckPassword(fresh, password) {
		return ErrBadCredentials
	}
	on, err := s.TwoFactorEnabled(ctx, fresh)
	if err != nil {
		return err
	}
	if !on {
		return invalid("two-factor sign-in", "is not on")
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	if IsStaff(fresh.Role) && st.RequireStaffTwoFactor {
		return invalid("two-factor sign-in", "is required for staff on this server")
	}
	return s.db.InTx(ctx, func(tx storage.Tx) error { return tx.DeleteTwoFactor(ctx, fresh.ID) })
}

// ResetTwoFactor turns off two-factor sign-in for the user with username,
// who lost their authenticator and recovery codes: an admin's action, kept
// in the audit log. Staff who must use two-factor sign-in set it up again at
// their next sign-in. Staff may not reset it for an account ranked as high
// as theirs: removing the owner's second factor is a step to taking the
// owner's account.
func (s *Service) ResetTwoFactor(ctx context.Context, a Actor, username, reason string) error {
	if err := a.require(PermManageAccounts); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		u, err := tx.LocalUserByUsername(ctx, strings.TrimPrefix(username, "@"))
		if err != nil {
			return err
		}
		if err := a.mayActOn(u); err != nil {
			return err
		}
		if _, err := tx.TwoFactorByUser(ctx, u.ID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return invalid("", "@"+u.Account.Username+" has no two-factor sign-in to reset")
			}
			return err
		}
		if err := tx.DeleteTwoFactor(ctx, u.ID); err != nil {
			return err
		}
		// A code issued before the reset (perhaps to whoever has the
		// lost phone) gives no token after it.
		if _, err := tx.DeleteUnusedAuthorizationCodes(ctx, u.ID, 0); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, accountAudit("reset_two_factor", u.Account, reason))
	})
	return domainErr(err)
}

// CheckSecondFactor checks code, a current TOTP code or an unused recovery
// code, for u. A TOTP code works once, and a recovery code is used up. It
// returns ErrBadSecondFactor when the code is not good.
func (s *Service) CheckSecondFactor(ctx context.Context, u *storage.User, code string) error {
	return s.db.InTx(ctx, func(tx storage.Tx) error { return s.checkSecondFactor(ctx, tx, u, code) })
}

func (s *Service) checkSecondFactor(ctx context.Context, tx storage.Tx, u *storage.User, code string) error {
	code = strings.Join(strings.Fields(code), "")
	now := s.now()
	if len(code) == int(otp.DigitsSix) && isDigits(code) {
		tf, err := tx.TwoFactorByUser(ctx, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrBadSecondFactor
		}
		if err != nil {
			return err
		}
		if tf.EnabledAt == nil {
			return ErrBadSecondFactor
		}
		step, ok := totpStep(tf.Secret, code, now)
		if !ok {
			return ErrBadSecondFactor
		}
		fresh, err := tx.UseTwoFactorStep(ctx, u.ID, step)
		if err != nil {
			return err
		}
		if !fresh {
			return ErrBadSecondFactor
		}
		return nil
	}
	rc := normalizeRecoveryCode(code)
	if len(rc) != recoveryCodeLength {
		return ErrBadSecondFactor
	}
	ok, err := tx.UseRecoveryCode(ctx, u.ID, hashRecoveryCode(rc), now)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadSecondFactor
	}
	return nil
}

// secondFactorNeeded says what u must do after their password: nothing,
// give a code (code), or set up two-factor sign-in first (setup).
func (s *Service) secondFactorNeeded(ctx context.Context, u *storage.User) (code, setup bool, err error) {
	on, err := s.twoFactorRequired(ctx, u)
	if err != nil || on {
		return on, false, err
	}
	if !IsStaff(u.Role) {
		return false, false, nil
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return false, false, err
	}
	return false, st.RequireStaffTwoFactor, nil
}

// pendingSignIn starts a sign-in that waits for u's second factor, or,
// with setup, for u to set one up.
func (s *Service) pendingSignIn(ctx context.Context, u *storage.User, setup bool) (*PendingSignIn, error) {
	p := &PendingSignIn{User: u, Setup: setup}
	lifetime := PendingSignInLifetime
	if setup {
		var err error
		if p.TwoFactor, err = s.BeginTwoFactor(ctx, u); err != nil {
			return nil, err
		}
		lifetime = PendingSetupLifetime
	}
	token := randomToken(32)
	signed, err := s.sign(ctx, "sign_in_challenge", token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p.Token, p.ExpiresAt = signed, now.Add(lifetime)
	err = s.db.InsertSignInChallenge(ctx, &storage.SignInChallenge{
		TokenHash: hashToken(token), UserID: u.ID, Setup: setup, CreatedAt: now, ExpiresAt: p.ExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CompleteSignIn finishes a pending sign-in from SignIn with code, a TOTP
// or recovery code, and starts the browser session just as SignIn does
// when no second factor is needed. A wrong code is ErrBadSecondFactor; the
// last of MaxSecondFactorAttempts wrong codes is
// ErrTooManySecondFactorAttempts, and after that, or after
// PendingSignInLifetime, the pending sign-in is ErrSignInExpired.
func (s *Service) CompleteSignIn(ctx context.Context, pendingToken, code, userAgent string) (*BrowserSession, error) {
	return s.completeSignIn(ctx, pendingToken, false, userAgent, func(tx storage.Tx, u *storage.User) error {
		return s.checkSecondFactor(ctx, tx, u, code)
	})
}

// CompleteSignInSetup finishes a pending sign-in of a staff member who had
// to set up two-factor sign-in: code confirms the secret that came with it,
// as ConfirmTwoFactor does, and the session starts. It returns the recovery
// codes, shown this once, and the errors of CompleteSignIn.
func (s *Service) CompleteSignInSetup(ctx context.Context, pendingToken, code, userAgent string) (*BrowserSession, []string, error) {
	var codes []string
	sess, err := s.completeSignIn(ctx, pendingToken, true, userAgent, func(tx storage.Tx, u *storage.User) error {
		var err error
		codes, err = s.confirmTwoFactor(ctx, tx, u, code)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return sess, codes, nil
}

// PendingTwoFactorSetup returns again the secret a pending sign-in that
// must set up two-factor sign-in came with, to show it once more after a
// wrong code. It returns ErrSignInExpired when the sign-in is over.
func (s *Service) PendingTwoFactorSetup(ctx context.Context, pendingToken string) (*TwoFactorSetup, error) {
	hash, err := s.challengeHash(ctx, pendingToken)
	if err != nil {
		return nil, err
	}
	c, err := s.db.SignInChallengeByHash(ctx, hash, s.now())
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!c.Setup || c.Attempts >= MaxSecondFactorAttempts)) {
		return nil, ErrSignInExpired
	}
	if err != nil {
		return nil, err
	}
	u, err := s.db.UserWithAccountByID(ctx, c.UserID)
	if err != nil {
		return nil, domainErr(err)
	}
	tf, err := s.db.TwoFactorByUser(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && tf.EnabledAt != nil) {
		// Reset by an admin or set up in another tab meanwhile.
		return nil, ErrSignInExpired
	}
	if err != nil {
		return nil, err
	}
	return s.twoFactorSetup(ctx, u, tf.Secret)
}

func (s *Service) challengeHash(ctx context.Context, pendingToken string) (string, error) {
	token, ok, err := s.verify(ctx, "sign_in_challenge", pendingToken)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrSignInExpired
	}
	return hashToken(token), nil
}

// completeSignIn counts an attempt at the pending sign-in named by
// pendingToken, runs check, and starts the session when it passes. The
// attempt is counted in the same transaction, which commits even when the
// code is wrong.
func (s *Service) completeSignIn(ctx context.Context, pendingToken string, setup bool, userAgent string, check func(storage.Tx, *storage.User) error) (*BrowserSession, error) {
	hash, err := s.challengeHash(ctx, pendingToken)
	if err != nil {
		return nil, err
	}
	// Signing reads the database outside the transaction, which on SQLite
	// holds the only writing connection; so the session is made first.
	sess, bs, err := s.newSession(ctx, userAgent)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var refused error
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		c, err := tx.TakeSignInAttempt(ctx, hash, now, MaxSecondFactorAttempts)
		if errors.Is(err, storage.ErrNotFound) {
			refused = ErrSignInExpired
			return nil
		}
		if err != nil {
			return err
		}
		if c.Setup != setup {
			refused = ErrSignInExpired
			return nil
		}
		u, err := tx.UserWithAccountByID(ctx, c.UserID)
		if err != nil {
			return err
		}
		if err := signInAllowed(u); err != nil {
			refused = err
			return nil
		}
		if err := check(tx, u); err != nil {
			if !errors.Is(err, ErrBadSecondFactor) {
				return err
			}
			// Returning nil commits the attempt.
			refused = ErrBadSecondFactor
			if c.Attempts >= MaxSecondFactorAttempts {
				refused = ErrTooManySecondFactorAttempts
			}
			return nil
		}
		if err := tx.UseSignInChallenge(ctx, hash, now); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return ErrSignInExpired
			}
			return err
		}
		bs.User = u
		return s.saveSession(ctx, tx, sess, u)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	if refused != nil {
		return nil, refused
	}
	return bs, nil
}

// TwoFactorQRCode returns the QR code, as a PNG, of the unconfirmed setup
// whose QRToken this is. It returns ErrNotFound when the token is forged or
// expired, or the setup was replaced or confirmed.
func (s *Service) TwoFactorQRCode(ctx context.Context, qrToken string) ([]byte, error) {
	v, ok, err := s.verify(ctx, "two_factor_qr", qrToken)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	parts := strings.Split(v, "~")
	if len(parts) != 3 {
		return nil, ErrNotFound
	}
	userID, err1 := strconv.ParseInt(parts[0], 10, 64)
	expires, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || s.now().Unix() >= expires {
		return nil, ErrNotFound
	}
	tf, err := s.db.TwoFactorByUser(ctx, userID)
	if err != nil {
		return nil, domainErr(err)
	}
	if tf.EnabledAt != nil || subtle.ConstantTimeCompare([]byte(secretDigest(tf.Secret)), []byte(parts[2])) != 1 {
		return nil, ErrNotFound
	}
	u, err := s.db.UserWithAccountByID(ctx, userID)
	if err != nil {
		return nil, domainErr(err)
	}
	key, err := s.totpKey(u, tf.Secret)
	if err != nil {
		return nil, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, fmt.Errorf("draw QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return b.Bytes(), nil
}

// twoFactorSetup describes u's unconfirmed secret.
func (s *Service) twoFactorSetup(ctx context.Context, u *storage.User, secret string) (*TwoFactorSetup, error) {
	key, err := s.totpKey(u, secret)
	if err != nil {
		return nil, err
	}
	// The QR token names the secret by a digest, so that it stops working
	// when the secret is replaced, without carrying the secret itself.
	expires := s.now().Add(PendingSetupLifetime).Unix()
	qr, err := s.sign(ctx, "two_factor_qr", fmt.Sprintf("%d~%d~%s", u.ID, expires, secretDigest(secret)))
	if err != nil {
		return nil, err
	}
	return &TwoFactorSetup{Secret: secret, URI: key.URL(), QRToken: qr}, nil
}

// totpKey is the otpauth:// key of u's secret: the issuer is the server's
// domain, the account username@domain.
func (s *Service) totpKey(u *storage.User, secret string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("stored TOTP secret of user %d is not base32: %w", u.ID, err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.domain, AccountName: s.totpAccountName(u), Secret: raw})
	if err != nil {
		return nil, fmt.Errorf("describe TOTP secret: %w", err)
	}
	return key, nil
}

func (s *Service) totpAccountName(u *storage.User) string {
	return u.Account.Username + "@" + s.domain
}

// withAccount returns u with its account loaded.
func (s *Service) withAccount(ctx context.Context, u *storage.User) (*storage.User, error) {
	if u.Account != nil {
		return u, nil
	}
	full, err := s.db.UserWithAccountByID(ctx, u.ID)
	if err != nil {
		return nil, domainErr(err)
	}
	return full, nil
}

func secretDigest(secret string) string { return hashToken(secret)[:16] }

// totpStep returns the time step, within totpSkew of now's, whose code is
// code.
func totpStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != int(otp.DigitsSix) || !isDigits(code) {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := current + d
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Recovery codes are twelve characters of Crockford's base32 (no i, l, o
// or u, which are easily misread), 60 random bits, written in three groups
// of four.
const (
	recoveryAlphabet   = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryCodeLength = 12
)

func newRecoveryCode() string {
	b := make([]byte, recoveryCodeLength)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = recoveryAlphabet[b[i]&31]
	}
	return string(b[0:4]) + "-" + string(b[4:8]) + "-" + string(b[8:12])
}

// normalizeRecoveryCode reads a recovery code as a person may type it: in
// any case, with or without dashes and spaces, with i or l for 1 and o for
// 0.
func normalizeRecoveryCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'i', 'l':
			r = '1'
		case 'o':
			r = '0'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func hashRecoveryCode(code string) string { return hashToken(normalizeRecoveryCode(code)) }
