package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestAdminCannotResetTheOwnersTwoFactor: through the admin pages and the
// admin API, an admin can neither reset the owner's (or another admin's)
// two-factor sign-in nor change their verification; on a plain user the
// same forms work.
func TestAdminCannotResetTheOwnersTwoFactor(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		mk := func(name, role string) *storage.User {
			t.Helper()
			u, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true})
			if err != nil {
				t.Fatal(err)
			}
			setup, err := n.svc.BeginTwoFactor(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.svc.ConfirmTwoFactor(ctx, u, totpNow(t, setup.Secret, time.Now())); err != nil {
				t.Fatal(err)
			}
			return u
		}
		owner := mk("root", social.RoleOwner)
		peer := mk("oisin", social.RoleAdmin)
		nurse := mk("nurse", social.RoleUser)
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "hana", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}
		token := tokenFor(t, n, "hana", "read write admin:read admin:write")
		page := signInPages(t, n, "hana")
		verify := url.Values{"profession": {"doctor"}, "regulator": {"Medical Council of Ireland"}, "registration_number": {"990011"}}

		for _, target := range []*storage.User{owner, peer} {
			path := fmt.Sprintf("/admin/accounts/%d", target.AccountID)
			page.formPage = path
			if code, body, _ := page.post(path+"/reset_two_factor", url.Values{"reason": {"lost phone"}}); code != http.StatusForbidden {
				t.Errorf("admin page: resetting @%s's two-factor: %d, want 403\n%s", target.Account.Username, code, body)
			}
			if on, _ := n.svc.TwoFactorEnabled(ctx, target); !on {
				t.Errorf("@%s lost two-factor sign-in to an admin", target.Account.Username)
			}
			if code, _, _ := page.post(path+"/verification", verify); code != http.StatusForbidden {
				t.Errorf("admin page: verifying @%s: %d, want 403", target.Account.Username, code)
			}
			api := fmt.Sprintf("/api/v1/admin/accounts/%d/verification", target.AccountID)
			if code, body := call(t, n, token, "POST", api, verify); code != http.StatusForbidden || body["error"] == nil {
				t.Errorf("admin API: verifying @%s: %d %v, want 403", target.Account.Username, code, body)
			}
			if _, err := n.svc.VerifyClinician(ctx, social.CommandLine, target.AccountID, social.ClinicianDetails{Profession: "nurse", Regulator: "NMBI", RegistrationNumber: "1"}, ""); err != nil {
				t.Fatal(err)
			}
			if code, body := call(t, n, token, "DELETE", api, nil); code != http.StatusForbidden || body["error"] == nil {
				t.Errorf("admin API: revoking @%s's verification: %d %v, want 403", target.Account.Username, code, body)
			}
			if code, _, _ := page.post(path+"/verification/revoke", nil); code != http.StatusForbidden {
				t.Errorf("admin page: revoking @%s's verification: %d, want 403", target.Account.Username, code)
			}
			if v, _ := n.svc.Verification(ctx, target.AccountID); v == nil || v.RevokedAt != nil {
				t.Errorf("@%s's verification was changed by an admin", target.Account.Username)
			}
		}

		page.formPage = fmt.Sprintf("/admin/accounts/%d", nurse.AccountID)
		page.mustPost(page.formPage+"/reset_two_factor", url.Values{"reason": {"lost phone"}}, "two_factor")
		if on, _ := n.svc.TwoFactorEnabled(ctx, nurse); on {
			t.Fatal("the reset of a user's two-factor did not happen")
		}
	})
}
