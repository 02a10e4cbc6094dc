package main

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// The moderation commands of `rounds admin account` and `rounds admin
// token`, each leaving its audit entry as "command line".
func TestAdminModerationCommands(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		env := map[string]string{"ROUNDS_DATABASE": n.dbURL, "ROUNDS_DOMAIN": n.domain, "ROUNDS_PROTOCOL": "http"}
		steps := []struct {
			args []string
			code int
			want string
		}{
			{[]string{"admin", "account", "create", "--username", "dr_sean", "--password", "a long password"}, 0, "Created @dr_sean"},
			{[]string{"admin", "account", "verify", "dr_sean", "--profession", "doctor", "--regulator", "Medical Council of Ireland", "--registration-number", "445566", "--recheck", "2031-03-01", "--reason", "checked the register"}, 0, "Verified @dr_sean: Registered: Medical Council of Ireland 445566, to re-check by 1 March 2031."},
			{[]string{"admin", "account", "verify", "dr_sean", "--profession", "astronaut", "--regulator", "X", "--registration-number", "1"}, 1, "profession must be one of"},
			{[]string{"admin", "account", "verify", "dr_sean", "--recheck", "next year"}, 2, "--recheck must be a date"},
			{[]string{"admin", "account", "list"}, 0, "Medical Council of Ireland 445566"},
			{[]string{"admin", "account", "unverify", "dr_sean", "--reason", "left the register"}, 0, "Removed the verification of @dr_sean"},
			{[]string{"admin", "account", "unverify", "dr_sean"}, 1, "is not verified"},
			{[]string{"admin", "account", "role", "dr_sean", "--role", "moderator"}, 0, "@dr_sean now has the role moderator"},
			{[]string{"admin", "account", "role", "dr_sean"}, 2, "give the new role"},
			{[]string{"admin", "account", "role", "dr_sean", "--role", "king"}, 1, "role must be"},
			{[]string{"admin", "account", "warn", "dr_sean", "--reason", "mind the tone"}, 0, "Warned @dr_sean"},
			{[]string{"admin", "account", "limit", "dr_sean"}, 0, "Limited @dr_sean"},
			{[]string{"admin", "account", "unlimit", "dr_sean"}, 0, "Lifted the limit on @dr_sean"},
			{[]string{"admin", "account", "suspend", "dr_sean", "--reason", "posted a chart"}, 0, "Suspended @dr_sean"},
			{[]string{"admin", "account", "unsuspend", "dr_sean"}, 0, "Lifted the suspension of @dr_sean"},
			{[]string{"admin", "account", "disable", "dr_sean"}, 0, "Disabled sign-in for @dr_sean"},
			{[]string{"admin", "account", "list"}, 0, "disabled"},
			{[]string{"admin", "account", "enable", "dr_sean"}, 0, "Enabled sign-in for @dr_sean"},
			{[]string{"admin", "token", "create", "--username", "dr_sean", "--scopes", "read write"}, 0, "Access token for @dr_sean"},
			{[]string{"admin", "token", "create", "--username", "dr_sean", "--scopes", "read sudo"}, 1, "sudo"},
			{[]string{"admin", "token", "create"}, 2, "give --username"},
			{[]string{"admin", "token", "mint"}, 2, "the only command is"},
			{[]string{"admin", "audit"}, 0, "command line  verify_clinician"},
			{[]string{"admin", "audit", "--csv"}, 0, "time,actor,action,target_type,target_id,target,reason,detail\n"},
		}
		var token string
		for _, s := range steps {
			code, out, errs := runCLI(t, env, s.args...)
			if code != s.code || !strings.Contains(out+errs, s.want) {
				t.Fatalf("%v: exit %d\n%s%s\nwant exit %d and %q", s.args, code, out, errs, s.code, s.want)
			}
			if s.args[1] == "token" && code == 0 {
				token = regexp.MustCompile(`(?m)^[A-Za-z0-9_-]{40,}$`).FindString(out)
			}
		}
		if token == "" {
			t.Fatal("no token printed")
		}
		// The printed token works against the running server.
		if code, body := call(t, n, token, "GET", "/api/v1/accounts/verify_credentials", nil); code != http.StatusOK || body["username"] != "dr_sean" {
			t.Fatalf("the CLI's token: %d %v", code, body)
		}
		id := mustID(t, n, "dr_sean")
		entries, err := n.svc.AuditLog(context.Background(), social.CommandLine, storage.AuditFilter{TargetType: "account", TargetID: idString(id)}, storage.Page{Limit: 80})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			if entries[i].Actor != "command line" {
				t.Errorf("entry %s by %q", entries[i].Action, entries[i].Actor)
			}
			got = append(got, entries[i].Action)
		}
		want := "verify_clinician revoke_verification change_role warn limit unlimit suspend unsuspend disable enable create_token"
		if strings.Join(got, " ") != want {
			t.Fatalf("audit log:\n%s\nwant\n%s", strings.Join(got, " "), want)
		}
		if entries[len(entries)-1].Reason != "checked the register" {
			t.Fatalf("the first entry's reason is %q", entries[len(entries)-1].Reason)
		}
	})
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// `rounds admin settings` shows and changes the run-time settings, and
// refuses bad values with a clear message.
func TestAdminSettingsCommand(t *testing.T) {
	dbURL := storagetest.NewURL(t, storage.SQLite)
	env := map[string]string{"ROUNDS_DATABASE": dbURL}
	if code, _, errs := runCLI(t, env, "migrate"); code != 0 {
		t.Fatal(errs)
	}
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"admin", "settings"}, 0, "send-delay                1m0s"},
		{[]string{"admin", "settings", "set", "send-delay", "2m"}, 0, "send-delay                2m0s"},
		{[]string{"admin", "settings", "set", "send-delay", "20m"}, 1, "between 0 and 15 minutes"},
		{[]string{"admin", "settings", "set", "send-delay", "soon"}, 1, "duration such as 60s"},
		{[]string{"admin", "settings", "set", "guard-policy", "warn"}, 0, "guard-policy              warn"},
		{[]string{"admin", "settings", "set", "guard-policy", "maybe"}, 1, "block, warn or off"},
		{[]string{"admin", "settings", "guard-pattern", "add", "Beaumont MRN", `\bBH\d{7}\b`}, 0, `Beaumont MRN: \bBH\d{7}\b`},
		{[]string{"admin", "settings", "guard-pattern", "add", "Broken", `(`}, 1, "Broken"},
		{[]string{"admin", "settings", "guard-pattern", "remove", "Nothing"}, 1, "no pattern labelled"},
		{[]string{"admin", "settings", "guard-pattern", "remove", "Beaumont MRN"}, 0, "guard-policy"},
		{[]string{"admin", "settings", "set", "require-staff-two-factor", "yes please"}, 1, "true or false"},
		{[]string{"admin", "settings", "set", "colour", "blue"}, 2, "KEY: federation-mode"},
	}
	for _, s := range steps {
		code, out, errs := runCLI(t, env, s.args...)
		if code != s.code || !strings.Contains(out+errs, s.want) {
			t.Fatalf("%v: exit %d\n%s%s\nwant exit %d and %q", s.args, code, out, errs, s.code, s.want)
		}
	}
}
