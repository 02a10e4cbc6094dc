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

func newService(t *testing.T, dialect storage.Dialect, now func() time.Time) *social.Service {
	t.Helper()
	db := storagetest.Open(t, dialect)
	s := social.New(social.Options{
		DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}),
		Domain: "rounds.test", Protocol: "https", Now: now,
	})
	// Posts leave at once here; the send delay has tests of its own.
	noDelay := social.Duration(0)
	if _, err := s.UpdateSettings(context.Background(), social.CommandLine, func(st *social.Settings) { st.SendDelay = &noDelay }); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateUserStoresAccountWithKeysAndRefusesBadInput(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		u, err := s.CreateUser(ctx, social.NewUser{Username: "Dr_Aoife", Email: "aoife@hse.example", Password: "long enough pw", Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.UserByUsername(ctx, "dr_aoife")
		if err != nil {
			t.Fatal(err)
		}
		a := got.Account
		if got.ID != u.ID || a.URI != "https://rounds.test/users/Dr_Aoife" || a.KeyID != a.URI+"#main-key" || a.SharedInboxURL != "https://rounds.test/inbox" {
			t.Fatalf("stored account = %+v", a)
		}
		if !strings.HasPrefix(a.PublicKeyPEM, "-----BEGIN PUBLIC KEY-----") || !strings.HasPrefix(a.PrivateKeyPEM, "-----BEGIN PRIVATE KEY-----") {
			t.Fatal("the account has no key pair")
		}
		if got.Role != social.RoleUser || !got.Approved {
			t.Fatalf("role %q approved %v", got.Role, got.Approved)
		}
		if !social.CheckPassword(got, "long enough pw") || social.CheckPassword(got, "long enough pX") {
			t.Fatal("the password does not check out")
		}

		bad := []struct {
			in    social.NewUser
			field string
		}{
			{social.NewUser{Username: "has space", Password: "long enough pw"}, "username"},
			{social.NewUser{Username: "", Password: "long enough pw"}, "username"},
			{social.NewUser{Username: strings.Repeat("a", 31), Password: "long enough pw"}, "username"},
			{social.NewUser{Username: "ok", Password: "short"}, "password"},
			{social.NewUser{Username: "ok", Password: "long enough pw", Email: "not-an-email"}, "email"},
			{social.NewUser{Username: "ok", Password: "long enough pw", Role: "king"}, "role"},
		}
		for _, b := range bad {
			_, err := s.CreateUser(ctx, b.in)
			var ve *social.ValidationError
			if !errors.As(err, &ve) || ve.Field != b.field {
				t.Errorf("CreateUser(%+v) = %v, want a validation error on %s", b.in, err, b.field)
			}
		}
		if _, err := s.CreateUser(ctx, social.NewUser{Username: "DR_AOIFE", Password: "long enough pw"}); !errors.Is(err, social.ErrConflict) {
			t.Fatalf("a username differing only in case = %v, want ErrConflict", err)
		}
		if _, err := s.CreateUser(ctx, social.NewUser{Username: "other", Email: "AOIFE@hse.example", Password: "long enough pw"}); !errors.Is(err, social.ErrConflict) {
			t.Fatalf("a taken email = %v, want ErrConflict", err)
		}
		users, err := s.ListUsers(ctx, storage.UserFilter{})
		if err != nil || len(users) != 1 {
			t.Fatalf("ListUsers = %d users, %v; refused input must store nothing", len(users), err)
		}
	})
}

func TestApproveSuspendUnsuspendAndResetPassword(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		if _, err := s.CreateUser(ctx, social.NewUser{Username: "nurse", Password: "long enough pw", Reason: "ward 3"}); err != nil {
			t.Fatal(err)
		}
		pending, _ := s.ListUsers(ctx, storage.UserFilter{Pending: true})
		if len(pending) != 1 {
			t.Fatalf("%d pending, want 1", len(pending))
		}
		if _, err := s.ApproveUser(ctx, "nurse"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApproveUser(ctx, "nurse"); err == nil {
			t.Fatal("approving twice should say so")
		}
		if _, err := s.SuspendUser(ctx, "@nurse"); err != nil {
			t.Fatal(err)
		}
		suspended, _ := s.ListUsers(ctx, storage.UserFilter{Suspended: true})
		if len(suspended) != 1 || !suspended[0].Account.Suspended() {
			t.Fatal("the suspension is not stored")
		}
		if _, err := s.UnsuspendUser(ctx, "nurse"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, "nurse", "a new long password"); err != nil {
			t.Fatal(err)
		}
		u, _ := s.UserByUsername(ctx, "nurse")
		if u.Account.Suspended() || !u.Approved || !social.CheckPassword(u, "a new long password") {
			t.Fatalf("after the changes: %+v", u)
		}
		if _, err := s.SuspendUser(ctx, "nobody"); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("suspending nobody = %v, want ErrNotFound", err)
		}
	})
}

func TestSetupLinkCreatesOwnerOnceAndExpires(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		now := time.Now()
		s := newService(t, dialect, func() time.Time { return now })
		link, err := s.NewSetupLink(ctx)
		if err != nil {
			t.Fatal(err)
		}
		token := link[strings.LastIndex(link, "/")+1:]
		if !strings.HasPrefix(link, "https://rounds.test/setup/") || len(token) < 40 {
			t.Fatalf("link = %q", link)
		}
		stale, _ := s.NewSetupLink(ctx)
		staleToken := stale[strings.LastIndex(stale, "/")+1:]

		// A bad password is refused without using up the token.
		if _, err := s.CompleteSetup(ctx, token, social.NewUser{Username: "boss", Password: "short"}); err == nil {
			t.Fatal("a short password was accepted")
		}
		u, err := s.CompleteSetup(ctx, token, social.NewUser{Username: "boss", Password: "long enough pw"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != social.RoleOwner || !u.Approved {
			t.Fatalf("first admin: role %q approved %v", u.Role, u.Approved)
		}
		if _, err := s.CompleteSetup(ctx, token, social.NewUser{Username: "boss2", Password: "long enough pw"}); err == nil {
			t.Fatal("the setup link worked twice")
		}
		if _, err := s.CompleteSetup(ctx, staleToken, social.NewUser{Username: "boss3", Password: "long enough pw"}); !errors.Is(err, social.ErrSetupDone) {
			t.Fatalf("another link after an admin exists = %v, want ErrSetupDone", err)
		}
		if _, err := s.NewSetupLink(ctx); !errors.Is(err, social.ErrSetupDone) {
			t.Fatalf("NewSetupLink with an admin = %v, want ErrSetupDone", err)
		}
	})
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		now := time.Now()
		s := newService(t, dialect, func() time.Time { return now })
		link, _ := s.NewSetupLink(ctx)
		token := link[strings.LastIndex(link, "/")+1:]
		now = now.Add(social.SetupLinkLifetime + time.Second)
		if ok, _ := s.SetupTokenValid(ctx, token); ok {
			t.Fatal("an expired token is valid")
		}
		if _, err := s.CompleteSetup(ctx, token, social.NewUser{Username: "late", Password: "long enough pw"}); err == nil {
			t.Fatal("an expired setup link worked")
		}
	})
}
