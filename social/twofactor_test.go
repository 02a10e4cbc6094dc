package social_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// totpAt is the code an authenticator app shows for secret at t.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// otherCode is a six-digit code that is none of the codes of secret around
// at.
func otherCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for d := -2; d <= 2; d++ {
		near[totpAt(t, secret, at.Add(time.Duration(d)*30*time.Second))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// enableTwoFactor turns on two-factor sign-in for u and returns its secret
// and recovery codes.
func enableTwoFactor(t *testing.T, s *social.Service, clk *clock, u *storage.User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	setup, err := s.BeginTwoFactor(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.ConfirmTwoFactor(ctx, u, totpAt(t, setup.Secret, clk.now()))
	if err != nil {
		t.Fatal(err)
	}
	return setup.Secret, codes
}

var recoveryCodeRE = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)

func TestTwoFactorCodesWorkOnceWithinOneStepOfTheClockAndRecoveryCodesOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, clk := newOAuthService(t, dialect)
		erin := approvedUser(t, s, "erin")

		if on, err := s.TwoFactorEnabled(ctx, erin); err != nil || on {
			t.Fatalf("TwoFactorEnabled before setup = %v, %v", on, err)
		}
		first, err := s.BeginTwoFactor(ctx, erin)
		if err != nil {
			t.Fatal(err)
		}
		setup, err := s.BeginTwoFactor(ctx, erin)
		if err != nil {
			t.Fatalf("beginning again: %v", err)
		}
		if setup.Secret == first.Secret || len(setup.Secret) != 32 {
			t.Fatalf("secrets %q then %q", first.Secret, setup.Secret)
		}
		if !strings.HasPrefix(setup.URI, "otpauth://totp/rounds.test:erin@rounds.test?") || !strings.Contains(setup.URI, "issuer=rounds.test") || !strings.Contains(setup.URI, "secret="+setup.Secret) {
			t.Fatalf("URI = %q", setup.URI)
		}
		if g := setup.GroupedSecret(); strings.ReplaceAll(g, " ", "") != setup.Secret || g[4] != ' ' {
			t.Fatalf("GroupedSecret = %q", g)
		}

		// Not on until confirmed; the replaced secret confirms nothing.
		now := clk.now()
		if err := s.CheckSecondFactor(ctx, erin, totpAt(t, setup.Secret, now)); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("a code before confirmation = %v", err)
		}
		if _, err := s.ConfirmTwoFactor(ctx, erin, totpAt(t, first.Secret, now)); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("confirming with the replaced secret = %v", err)
		}
		if _, err := s.ConfirmTwoFactor(ctx, erin, otherCode(t, setup.Secret, now)); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("confirming with a wrong code = %v", err)
		}
		confirmCode := totpAt(t, setup.Secret, now)
		codes, err := s.ConfirmTwoFactor(ctx, erin, confirmCode)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != social.RecoveryCodeCount {
			t.Fatalf("%d recovery codes", len(codes))
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if !recoveryCodeRE.MatchString(c) || seen[c] {
				t.Fatalf("recovery codes %q", codes)
			}
			seen[c] = true
		}
		if on, err := s.TwoFactorEnabled(ctx, erin); err != nil || !on {
			t.Fatalf("TwoFactorEnabled after confirmation = %v, %v", on, err)
		}
		if _, err := s.BeginTwoFactor(ctx, erin); !errors.Is(err, social.ErrConflict) {
			t.Fatalf("beginning while on = %v", err)
		}
		if _, err := s.ConfirmTwoFactor(ctx, erin, confirmCode); !errors.Is(err, social.ErrConflict) {
			t.Fatalf("confirming twice = %v", err)
		}
		if err := s.CheckSecondFactor(ctx, erin, confirmCode); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("the confirming code used again = %v", err)
		}

		// One step of skew either way is forgiven, two are not, and no
		// code works twice or after a later one.
		clk.add(10 * time.Minute)
		now = clk.now()
		at := func(steps int) string { return totpAt(t, setup.Secret, now.Add(time.Duration(steps)*30*time.Second)) }
		for _, c := range []struct {
			steps int
			ok    bool
			what  string
		}{
			{-2, false, "two steps behind"},
			{2, false, "two steps ahead"},
			{-1, true, "one step behind"},
			{0, true, "current"},
			{0, false, "current, replayed"},
			{-1, false, "one step behind, after the current one"},
			{1, true, "one step ahead"},
			{1, false, "one step ahead, replayed"},
		} {
			err := s.CheckSecondFactor(ctx, erin, at(c.steps))
			if c.ok && err != nil || !c.ok && !errors.Is(err, social.ErrBadSecondFactor) {
				t.Errorf("%s: CheckSecondFactor = %v", c.what, err)
			}
		}

		// A recovery code works once, however it is typed.
		if err := s.CheckSecondFactor(ctx, erin, codes[0]); err != nil {
			t.Fatalf("a recovery code: %v", err)
		}
		if err := s.CheckSecondFactor(ctx, erin, codes[0]); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("a recovery code used again = %v", err)
		}
		if err := s.CheckSecondFactor(ctx, erin, " "+strings.ToUpper(strings.ReplaceAll(codes[1], "-", ""))+" "); err != nil {
			t.Fatalf("a recovery code in capitals without dashes: %v", err)
		}
		for _, bad := range []string{"", "abcd-efgh-jkmn", "12345", "1234567", codes[1]} {
			if err := s.CheckSecondFactor(ctx, erin, bad); !errors.Is(err, social.ErrBadSecondFactor) {
				t.Errorf("CheckSecondFactor(%q) = %v", bad, err)
			}
		}

		// The password grant cannot ask for the code.
		app, _ := registerApp(t, s, "read", social.OOBRedirectURI)
		_, err = s.PasswordGrant(ctx, app, "erin", "a long password", "read")
		var oe *social.OAuthError
		if !errors.As(err, &oe) || oe.Code != social.OAuthInvalidGrant || !strings.Contains(oe.Description, "two-factor") {
			t.Fatalf("password grant for a two-factor account = %v", err)
		}

		// Turning it off needs the password.
		if err := s.DisableTwoFactor(ctx, erin, "not the password"); !errors.Is(err, social.ErrBadCredentials) {
			t.Fatalf("disabling with a wrong password = %v", err)
		}
		if err := s.DisableTwoFactor(ctx, erin, "a long password"); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.TwoFactorEnabled(ctx, erin); on {
			t.Fatal("still on after DisableTwoFactor")
		}
		if err := s.CheckSecondFactor(ctx, erin, codes[2]); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("a recovery code after disabling = %v", err)
		}
		var ve *social.ValidationError
		if err := s.DisableTwoFactor(ctx, erin, "a long password"); !errors.As(err, &ve) {
			t.Fatalf("disabling twice = %v", err)
		}
		if _, err := s.PasswordGrant(ctx, app, "erin", "a long password", "read"); err != nil {
			t.Fatalf("password grant after disabling: %v", err)
		}
		if _, err := s.SignIn(ctx, "erin", "a long password", ""); err != nil {
			t.Fatalf("sign-in after disabling: %v", err)
		}
	})
}

func TestSignInWithTwoFactorWaitsForTheCodeAndAllowsFiveTries(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, clk := newOAuthService(t, dialect)
		gwen := approvedUser(t, s, "gwen")
		secret, recovery := enableTwoFactor(t, s, clk, gwen)
		clk.add(time.Minute)

		signIn := func() *social.PendingSignIn {
			t.Helper()
			sess, err := s.SignIn(ctx, "gwen", "a long password", "test")
			var p *social.PendingSignIn
			if sess != nil || !errors.Is(err, social.ErrTwoFactorRequired) || !errors.As(err, &p) || p.Setup || p.Token == "" || p.User.ID != gwen.ID {
				t.Fatalf("SignIn of a two-factor account = %+v, %v", sess, err)
			}
			return p
		}
		if _, err := s.SignIn(ctx, "gwen", "not the password", ""); !errors.Is(err, social.ErrBadCredentials) {
			t.Fatalf("a wrong password = %v", err)
		}

		p := signIn()
		if _, err := s.CompleteSignIn(ctx, p.Token, otherCode(t, secret, clk.now()), "test"); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("a wrong code = %v", err)
		}
		code := totpAt(t, secret, clk.now())
		sess, err := s.CompleteSignIn(ctx, p.Token, code, "Mozilla/5.0 test")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionFromCookie(ctx, sess.Cookie)
		if err != nil || got.User.ID != gwen.ID || got.CSRFToken != sess.CSRFToken || sess.User.ID != gwen.ID {
			t.Fatalf("the session = %+v, %v", got, err)
		}
		if _, err := s.CompleteSignIn(ctx, p.Token, recovery[0], "test"); !errors.Is(err, social.ErrSignInExpired) {
			t.Fatalf("a finished sign-in used again = %v", err)
		}

		// The same code in a new sign-in is a replay; a recovery code works.
		p = signIn()
		if _, err := s.CompleteSignIn(ctx, p.Token, code, "test"); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("a replayed code = %v", err)
		}
		if _, err := s.CompleteSignIn(ctx, p.Token, recovery[0], "test"); err != nil {
			t.Fatalf("a recovery code: %v", err)
		}

		// Five tries, then the password again.
		p = signIn()
		wrong := otherCode(t, secret, clk.now())
		for i := 1; i < social.MaxSecondFactorAttempts; i++ {
			if _, err := s.CompleteSignIn(ctx, p.Token, wrong, "test"); !errors.Is(err, social.ErrBadSecondFactor) {
				t.Fatalf("wrong code %d = %v", i, err)
			}
		}
		if _, err := s.CompleteSignIn(ctx, p.Token, wrong, "test"); !errors.Is(err, social.ErrTooManySecondFactorAttempts) {
			t.Fatalf("the last wrong code = %v", err)
		}
		if _, err := s.CompleteSignIn(ctx, p.Token, recovery[1], "test"); !errors.Is(err, social.ErrSignInExpired) {
			t.Fatalf("a right code after the last try = %v", err)
		}

		// Time runs out; forged tokens count for nothing.
		p = signIn()
		clk.add(social.PendingSignInLifetime)
		if _, err := s.CompleteSignIn(ctx, p.Token, recovery[1], "test"); !errors.Is(err, social.ErrSignInExpired) {
			t.Fatalf("an expired sign-in = %v", err)
		}
		p = signIn()
		token, _, _ := strings.Cut(p.Token, ".")
		for _, forged := range []string{"", token, token + ".AAAA", "x" + p.Token} {
			if _, err := s.CompleteSignIn(ctx, forged, recovery[1], "test"); !errors.Is(err, social.ErrSignInExpired) {
				t.Errorf("CompleteSignIn(%q) = %v", forged, err)
			}
		}
		if _, err := s.CompleteSignIn(ctx, p.Token, recovery[1], "test"); err != nil {
			t.Fatalf("the real token after forged ones: %v", err)
		}

		// A suspension between the password and the code stops the sign-in.
		p = signIn()
		if _, err := s.SuspendUser(ctx, "gwen"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteSignIn(ctx, p.Token, recovery[2], "test"); !errors.Is(err, social.ErrLoginDisabled) {
			t.Fatalf("a suspended person's code = %v", err)
		}
	})
}

func TestStaffMustSetUpTwoFactorWhenRequiredAndOnlyAdminsResetIt(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, clk := newOAuthService(t, dialect)
		newStaff := func(name, role string) *storage.User {
			t.Helper()
			u, err := s.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		hana := newStaff("hana", social.RoleAdmin)
		root := newStaff("root", social.RoleOwner)
		mod := newStaff("mo", social.RoleModerator)
		approvedUser(t, s, "ida")
		app, _ := registerApp(t, s, "read", social.OOBRedirectURI)

		// Not required: staff sign in with a password alone.
		if _, err := s.SignIn(ctx, "hana", "a long password", ""); err != nil {
			t.Fatalf("staff sign-in before the requirement: %v", err)
		}
		if _, err := s.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.RequireStaffTwoFactor = true }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignIn(ctx, "ida", "a long password", ""); err != nil {
			t.Fatalf("a user who is not staff: %v", err)
		}
		_, err := s.PasswordGrant(ctx, app, "hana", "a long password", "read")
		var oe *social.OAuthError
		if !errors.As(err, &oe) || oe.Code != social.OAuthInvalidGrant || !strings.Contains(oe.Description, "required for staff") {
			t.Fatalf("password grant for staff without two-factor = %v", err)
		}

		_, err = s.SignIn(ctx, "hana", "a long password", "")
		var p *social.PendingSignIn
		if !errors.Is(err, social.ErrTwoFactorSetupRequired) || !errors.As(err, &p) || !p.Setup || p.TwoFactor == nil || p.TwoFactor.Secret == "" {
			t.Fatalf("staff sign-in under the requirement = %v", err)
		}
		secret := p.TwoFactor.Secret
		again, err := s.PendingTwoFactorSetup(ctx, p.Token)
		if err != nil || again.Secret != secret || again.URI != p.TwoFactor.URI {
			t.Fatalf("PendingTwoFactorSetup = %+v, %v", again, err)
		}
		png, err := s.TwoFactorQRCode(ctx, p.TwoFactor.QRToken)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("QR code = %d bytes, %v", len(png), err)
		}
		if _, err := s.TwoFactorQRCode(ctx, p.TwoFactor.QRToken+"x"); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("a forged QR token = %v", err)
		}
		// The setup token is no token for the code page.
		if _, err := s.CompleteSignIn(ctx, p.Token, totpAt(t, secret, clk.now()), ""); !errors.Is(err, social.ErrSignInExpired) {
			t.Fatalf("a setup sign-in completed as a code sign-in = %v", err)
		}
		if _, _, err := s.CompleteSignInSetup(ctx, p.Token, otherCode(t, secret, clk.now()), ""); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("setup with a wrong code = %v", err)
		}
		sess, codes, err := s.CompleteSignInSetup(ctx, p.Token, totpAt(t, secret, clk.now()), "")
		if err != nil || sess.User.ID != hana.ID || len(codes) != social.RecoveryCodeCount {
			t.Fatalf("setup = %+v, %q, %v", sess, codes, err)
		}
		if _, err := s.SessionFromCookie(ctx, sess.Cookie); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.TwoFactorEnabled(ctx, hana); !on {
			t.Fatal("two-factor sign-in not on after setup")
		}
		if _, err := s.TwoFactorQRCode(ctx, p.TwoFactor.QRToken); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("the QR code after setup = %v", err)
		}
		if _, err := s.PendingTwoFactorSetup(ctx, p.Token); !errors.Is(err, social.ErrSignInExpired) {
			t.Fatalf("PendingTwoFactorSetup after setup = %v", err)
		}
		var ve *social.ValidationError
		if err := s.DisableTwoFactor(ctx, hana, "a long password"); !errors.As(err, &ve) || !strings.Contains(ve.Reason, "required for staff") {
			t.Fatalf("staff turning it off under the requirement = %v", err)
		}
		// The next sign-in asks for a code.
		clk.add(time.Minute)
		if _, err := s.SignIn(ctx, "hana", "a long password", ""); !errors.Is(err, social.ErrTwoFactorRequired) {
			t.Fatalf("staff sign-in after setup = %v", err)
		}

		// A moderator may not reset it; an admin may, and it is audited.
		if err := s.ResetTwoFactor(ctx, social.StaffActor(mod), "hana", "lost phone"); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("a moderator resetting two-factor = %v", err)
		}
		if on, _ := s.TwoFactorEnabled(ctx, hana); !on {
			t.Fatal("a refused reset turned it off")
		}
		if err := s.ResetTwoFactor(ctx, social.StaffActor(root), "@hana", "lost phone"); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.TwoFactorEnabled(ctx, hana); on {
			t.Fatal("still on after the reset")
		}
		if err := s.CheckSecondFactor(ctx, hana, codes[0]); !errors.Is(err, social.ErrBadSecondFactor) {
			t.Fatalf("a recovery code after the reset = %v", err)
		}
		log, err := s.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: "reset_two_factor"}, storage.Page{Limit: 10})
		if err != nil || len(log) != 1 || log[0].Actor != "@root" || log[0].Target != "@hana" || log[0].Reason != "lost phone" || log[0].TargetType != "account" {
			t.Fatalf("audit log = %+v, %v", log, err)
		}
		if err := s.ResetTwoFactor(ctx, social.StaffActor(root), "hana", ""); !errors.As(err, &ve) {
			t.Fatalf("resetting twice = %v", err)
		}
		if err := s.ResetTwoFactor(ctx, social.CommandLine, "nobody", ""); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("resetting an unknown user = %v", err)
		}
		// Reset staff set it up again at their next sign-in.
		if _, err := s.SignIn(ctx, "hana", "a long password", ""); !errors.Is(err, social.ErrTwoFactorSetupRequired) {
			t.Fatalf("staff sign-in after the reset = %v", err)
		}
	})
}

// TestStaffActOnlyOnAccountsRankedBelowThem: resetting two-factor sign-in,
// verifying or revoking a registration and making a token follow the rank
// rule of every other staff action (and of password reset links): an admin
// may not take the owner's second factor, nor another admin's.
func TestStaffActOnlyOnAccountsRankedBelowThem(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, _, clk := newOAuthService(t, dialect)
		owner := staffUser(t, s, "root", social.RoleOwner)
		admin := staffUser(t, s, "hana", social.RoleAdmin)
		peer := staffUser(t, s, "oisin", social.RoleAdmin)
		nurse := staffUser(t, s, "nurse", social.RoleUser)
		for _, u := range []*storage.User{owner, peer, nurse} {
			setup, err := s.BeginTwoFactor(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ConfirmTwoFactor(ctx, u, totpAt(t, setup.Secret, clk.now())); err != nil {
				t.Fatal(err)
			}
		}
		a := social.StaffActor(admin)
		details := social.ClinicianDetails{Profession: "doctor", Regulator: "Medical Council of Ireland", RegistrationNumber: "777"}

		for _, target := range []*storage.User{owner, peer} {
			name := target.Account.Username
			if err := s.ResetTwoFactor(ctx, a, name, "lost phone"); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("an admin resetting the two-factor sign-in of @%s = %v, want ErrForbidden", name, err)
			}
			if on, _ := s.TwoFactorEnabled(ctx, target); !on {
				t.Errorf("@%s lost two-factor sign-in to an admin", name)
			}
			if _, err := s.VerifyClinician(ctx, a, target.AccountID, details, ""); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("an admin verifying @%s = %v, want ErrForbidden", name, err)
			}
			if _, err := s.VerifyClinician(ctx, social.CommandLine, target.AccountID, details, ""); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeVerification(ctx, a, target.AccountID, ""); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("an admin revoking @%s's verification = %v, want ErrForbidden", name, err)
			}
			if v, _ := s.Verification(ctx, target.AccountID); v == nil || v.RevokedAt != nil {
				t.Errorf("@%s's verification was revoked by an admin", name)
			}
			if _, err := s.CreateToken(ctx, a, name, "read write admin:read admin:write", "takeover"); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("an admin making a token for @%s = %v, want ErrForbidden", name, err)
			}
		}
		// Nor on their own account: a registration is verified by someone else.
		var ve *social.ValidationError
		if _, err := s.VerifyClinician(ctx, a, admin.AccountID, details, ""); !errors.As(err, &ve) {
			t.Errorf("an admin verifying themselves = %v, want a ValidationError", err)
		}

		// Below them, all of it works; the owner may act on admins.
		if err := s.ResetTwoFactor(ctx, a, "nurse", "lost phone"); err != nil {
			t.Fatalf("an admin resetting a user's two-factor: %v", err)
		}
		if _, err := s.VerifyClinician(ctx, a, nurse.AccountID, details, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeVerification(ctx, a, nurse.AccountID, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetTwoFactor(ctx, social.StaffActor(owner), "oisin", "lost phone"); err != nil {
			t.Fatalf("the owner resetting an admin's two-factor: %v", err)
		}
		if on, _ := s.TwoFactorEnabled(ctx, peer); on {
			t.Fatal("the owner's reset did not turn it off")
		}
	})
}
