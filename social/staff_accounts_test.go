package social_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// Staff create accounts only when their role allows, never with a role as
// high as their own, and each creation is in the audit log under who made
// it.
func TestCreateUserAsChecksTheRoleAndIsAudited(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
		s := newService(t, dialect, clk.now)
		owner := staffUser(t, s, "owner", social.RoleOwner)
		admin := staffUser(t, s, "it_admin", social.RoleAdmin)
		mod := staffUser(t, s, "mod", social.RoleModerator)
		in := func(name, role string) social.NewUser {
			return social.NewUser{Username: name, Password: "a long password", Role: role}
		}
		for _, c := range []struct {
			who  *storage.User
			role string
		}{{mod, social.RoleUser}, {admin, social.RoleAdmin}, {admin, social.RoleOwner}, {owner, social.RoleOwner}} {
			if _, err := s.CreateUserAs(ctx, social.StaffActor(c.who), in("x_"+c.role, c.role)); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("a %s creating a %s: %v, want ErrForbidden", c.who.Role, c.role, err)
			}
		}
		if _, err := s.CreateUserAs(ctx, social.StaffActor(admin), in("bad name", "")); err == nil {
			t.Error("a username with a space was accepted")
		}
		doc, err := s.CreateUserAs(ctx, social.StaffActor(admin), in("dr_niamh", ""))
		if err != nil {
			t.Fatal(err)
		}
		if !doc.Approved || doc.Role != social.RoleUser || doc.Account == nil {
			t.Fatalf("created %+v", doc)
		}
		if _, err := s.CreateUserAs(ctx, social.StaffActor(owner), in("new_admin", social.RoleAdmin)); err != nil {
			t.Fatalf("an owner creating an admin: %v", err)
		}
		if _, err := s.CreateUserAs(ctx, social.StaffActor(admin), in("dr_niamh", "")); !errors.Is(err, social.ErrConflict) {
			t.Fatalf("a taken username: %v, want ErrConflict", err)
		}
		if got := auditActions(t, s, doc.AccountID); len(got) != 1 || got[0] != "@it_admin:create_account" {
			t.Fatalf("audit log of the new account: %v", got)
		}
		if _, err := s.SignIn(ctx, "dr_niamh", "a long password", "test"); err != nil {
			t.Fatalf("the new account cannot sign in: %v", err)
		}
	})
}
