package social_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func setMode(t *testing.T, s *social.Service, mode string) {
	t.Helper()
	if _, err := s.UpdateSettings(context.Background(), social.CommandLine, func(st *social.Settings) { st.RegistrationsMode = mode }); err != nil {
		t.Fatal(err)
	}
}

func registrationCodes(t *testing.T, err error) map[string]string {
	t.Helper()
	var re *social.RegistrationError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RegistrationError", err)
	}
	codes := map[string]string{}
	for _, f := range re.Fields {
		codes[f.Field] = f.Code
	}
	return codes
}

func TestRegisterFollowsTheModeAndInvitesRunOut(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
		s := newService(t, dialect, clk.now)
		in := social.Registration{Username: "nurse_ann", Password: "long enough pw", Agreement: true}

		if _, _, err := s.Register(ctx, nil, in); !errors.Is(err, social.ErrRegistrationsClosed) || !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("closed: err = %v", err)
		}

		setMode(t, s, social.RegistrationsInvite)
		if _, _, err := s.Register(ctx, nil, in); !errors.Is(err, social.ErrInviteRequired) {
			t.Fatalf("invite mode without a code: err = %v", err)
		}
		two := 2
		inv, link, err := s.CreateInvite(ctx, social.CommandLine, social.InviteOptions{MaxUses: &two, ExpiresIn: time.Hour, Comment: "ward 5"})
		if err != nil {
			t.Fatal(err)
		}
		if link != "https://rounds.test/invite/"+inv.Code || len(inv.Code) < 12 {
			t.Fatalf("link %q", link)
		}
		in.InviteCode = link // a whole link works as well as the code
		u, tok, err := s.Register(ctx, nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if tok != nil || !u.Approved || u.InviteID == nil || *u.InviteID != inv.ID || u.ConfirmationRequired {
			t.Fatalf("invited user = %+v, token %v", u, tok)
		}

		// Every problem at once, each with Mastodon's code.
		codes := registrationCodes(t, func() error {
			_, _, err := s.Register(ctx, nil, social.Registration{Username: "NURSE_ANN", Password: "short", Email: "nope", InviteCode: inv.Code})
			return err
		}())
		want := map[string]string{"username": social.ErrCodeTaken, "password": social.ErrCodeTooShort, "email": social.ErrCodeInvalid, "agreement": social.ErrCodeAccepted}
		for f, c := range want {
			if codes[f] != c {
				t.Errorf("%s: code %q, want %q (all: %v)", f, codes[f], c, codes)
			}
		}
		if codes := registrationCodes(t, func() error {
			_, _, err := s.Register(ctx, nil, social.Registration{Username: "admin", Password: "long enough pw", Agreement: true, InviteCode: inv.Code})
			return err
		}()); codes["username"] != social.ErrCodeReserved {
			t.Fatalf("reserved: %v", codes)
		}

		in.Username, in.InviteCode = "nurse_bob", inv.Code
		if _, _, err := s.Register(ctx, nil, in); err != nil {
			t.Fatal(err)
		}
		in.Username = "nurse_cat"
		_, _, err = s.Register(ctx, nil, in)
		if c := registrationCodes(t, err); c["invite_code"] != social.ErrCodeInvalid || !strings.Contains(err.Error(), "used up") {
			t.Fatalf("used-up invite: %v", err)
		}

		open, _, err := s.CreateInvite(ctx, social.CommandLine, social.InviteOptions{ExpiresIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CheckInvite(ctx, open.Code); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Hour)
		if _, err := s.CheckInvite(ctx, open.Code); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired invite checks as %v", err)
		}
		forever, _, err := s.CreateInvite(ctx, social.CommandLine, social.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeInvite(ctx, social.CommandLine, forever.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeInvite(ctx, social.CommandLine, forever.ID); err == nil {
			t.Fatal("revoked twice")
		}
		in.InviteCode = forever.Code
		if _, _, err := s.Register(ctx, nil, in); err == nil || !strings.Contains(err.Error(), "withdrawn") {
			t.Fatalf("revoked invite: %v", err)
		}
		list, err := s.Invites(ctx, social.CommandLine)
		if err != nil || len(list) != 3 {
			t.Fatalf("invites = %v, %v", list, err)
		}
		states := map[int64]string{}
		for _, i := range list {
			states[i.ID] = social.InviteState(i, clk.now())
		}
		if states[inv.ID] != social.InviteUsedUp && states[inv.ID] != social.InviteExpired || states[open.ID] != social.InviteExpired || states[forever.ID] != social.InviteRevoked {
			t.Fatalf("states = %v", states)
		}

		// Approval: a reason is needed and the account waits; an invite
		// still lets its holder straight in.
		setMode(t, s, social.RegistrationsApproval)
		in = social.Registration{Username: "dr_dee", Password: "long enough pw", Agreement: true}
		if c := registrationCodes(t, func() error { _, _, err := s.Register(ctx, nil, in); return err }()); c["reason"] != social.ErrCodeBlank {
			t.Fatalf("no reason: %v", c)
		}
		in.Reason = "ED registrar at St Elsewhere"
		u, _, err = s.Register(ctx, nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if u.Approved || u.Reason != in.Reason {
			t.Fatalf("applicant = %+v", u)
		}
		fresh, _, err := s.CreateInvite(ctx, social.CommandLine, social.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		u, _, err = s.Register(ctx, nil, social.Registration{Username: "dr_eve", Password: "long enough pw", Agreement: true, InviteCode: fresh.Code})
		if err != nil || !u.Approved {
			t.Fatalf("invited applicant: %+v, %v", u, err)
		}

		// Creating and revoking invites are staff actions in the audit log.
		entries, err := s.AuditLog(ctx, social.CommandLine, storage.AuditFilter{TargetType: "invite"}, storage.Page{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 5 {
			t.Fatalf("%d invite audit entries, want 4 creations and 1 revocation", len(entries))
		}
	})
}

func TestPasswordResetLinkWorksOnceExpiresAndEndsSignIns(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
		s := newService(t, dialect, clk.now)
		for _, name := range []string{"boss", "nurse"} {
			role := social.RoleUser
			if name == "boss" {
				role = social.RoleAdmin
			}
			if _, err := s.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true}); err != nil {
				t.Fatal(err)
			}
		}
		boss, _ := s.UserByUsername(ctx, "boss")
		nurse, _ := s.UserByUsername(ctx, "nurse")

		// Staff may not make a link for an account that ranks as high.
		if _, err := s.CreatePasswordReset(ctx, social.StaffActor(nurse), "boss"); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("a user made a reset link: %v", err)
		}
		link, err := s.CreatePasswordReset(ctx, social.StaffActor(boss), "nurse")
		if err != nil {
			t.Fatal(err)
		}
		token, ok := strings.CutPrefix(link, "https://rounds.test/auth/password/reset/")
		if !ok || len(token) < 40 {
			t.Fatalf("link %q", link)
		}
		sess, err := s.SignIn(ctx, "nurse", "a long password", "test")
		if err != nil {
			t.Fatal(err)
		}

		if err := s.ResetPasswordWithToken(ctx, token+"x", "a brand new password"); !errors.Is(err, social.ErrLinkInvalid) {
			t.Fatalf("wrong token: %v", err)
		}
		var ve *social.ValidationError
		if err := s.ResetPasswordWithToken(ctx, token, "short"); !errors.As(err, &ve) {
			t.Fatalf("short password: %v", err)
		}
		if u, err := s.PasswordResetUser(ctx, token); err != nil || u.ID != nurse.ID {
			t.Fatalf("the link stopped working after a refused password: %v", err)
		}
		if err := s.ResetPasswordWithToken(ctx, token, "a brand new password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionFromCookie(ctx, sess.Cookie); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("the old session survived the reset: %v", err)
		}
		if _, err := s.SignIn(ctx, "nurse", "a brand new password", "test"); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetPasswordWithToken(ctx, token, "yet another password"); !errors.Is(err, social.ErrLinkInvalid) {
			t.Fatalf("second use: %v", err)
		}

		late, err := s.CreatePasswordReset(ctx, social.CommandLine, "nurse")
		if err != nil {
			t.Fatal(err)
		}
		clk.add(social.PasswordResetLifetime)
		lateToken := late[strings.LastIndex(late, "/")+1:]
		if err := s.ResetPasswordWithToken(ctx, lateToken, "yet another password"); !errors.Is(err, social.ErrLinkInvalid) {
			t.Fatalf("expired link: %v", err)
		}

		entries, err := s.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: "create_password_reset_link"}, storage.Page{Limit: 10})
		if err != nil || len(entries) != 2 || entries[1].Actor != "@boss" || entries[0].Actor != "command line" {
			t.Fatalf("audit = %+v, %v", entries, err)
		}
		if err := s.RequestPasswordReset(ctx, "nurse@example.org"); !errors.Is(err, social.ErrMailNotConfigured) {
			t.Fatalf("reset by email without a mailer: %v", err)
		}
	})
}
