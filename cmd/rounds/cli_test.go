package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"rounds/storage"
	"rounds/storage/storagetest"
)

func TestBadCommandLinesExitWithUsageOrClearError(t *testing.T) {
	dbFlag := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"serve", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"unknown admin verb", nil, []string{"admin", "account", "explode"}, 2, `unknown command "explode"`},
		{"bad domain", nil, []string{"--domain", "https://x.org/"}, 2, "invalid --domain (ROUNDS_DOMAIN)"},
		{"bad domain from env", map[string]string{"ROUNDS_DOMAIN": "no spaces.org"}, nil, 2, "invalid --domain (ROUNDS_DOMAIN)"},
		{"bad protocol", nil, []string{"--protocol", "gopher"}, 2, "invalid --protocol (ROUNDS_PROTOCOL)"},
		{"bad listen", map[string]string{"ROUNDS_LISTEN": "8080"}, nil, 2, "invalid --listen (ROUNDS_LISTEN)"},
		{"bad database", nil, []string{"--database", "mysql://x"}, 2, "invalid --database (ROUNDS_DATABASE)"},
		{"bad cidr", nil, []string{"--allow-private-addresses", "127.0.0.1/99"}, 2, "invalid --allow-private-addresses (ROUNDS_ALLOW_PRIVATE_ADDRESSES)"},
		{"bad job workers", nil, []string{"--job-workers", "0"}, 2, "invalid --job-workers (ROUNDS_JOB_WORKERS)"},
		{"bad debug listen", nil, []string{"--debug-listen", "6060"}, 2, "invalid --debug-listen (ROUNDS_DEBUG_LISTEN)"},
		{"bad metrics listen", nil, []string{"--metrics-listen", "9464"}, 2, "invalid --metrics-listen (ROUNDS_METRICS_LISTEN)"},
		{"database unreachable", nil, []string{"--database", "postgres://nobody@127.0.0.1:1/none", "--listen", "127.0.0.1:0"}, 1, "postgres: cannot connect"},
		{"admin without username", nil, []string{"admin", "account", "suspend", "--database", dbFlag}, 2, "give a username"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runCLI(t, c.env, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, errs, c.code, c.want)
			}
			if strings.Contains(errs, "goroutine ") || strings.Contains(errs, "panic") {
				t.Fatalf("a stack trace leaked:\n%s", errs)
			}
		})
	}
}

func TestFlagWinsOverEnvironment(t *testing.T) {
	env := map[string]string{"ROUNDS_DOMAIN": "env.example.org", "ROUNDS_LISTEN": "127.0.0.1:9999", "ROUNDS_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8, 10.1.2.0/24"}
	cfg, err := parseCommand("serve", []string{"--domain", "flag.example.org"}, &strings.Builder{}, func(k string) string { return env[k] }, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Domain != "flag.example.org" || cfg.Listen != "127.0.0.1:9999" || cfg.Protocol != "https" {
		t.Fatalf("config = %+v", cfg)
	}
	if len(cfg.AllowPrivate) != 2 || cfg.AllowPrivate[1].String() != "10.1.2.0/24" {
		t.Fatalf("allowed = %v", cfg.AllowPrivate)
	}
	local, err := parseCommand("serve", nil, &strings.Builder{}, func(string) string { return "" }, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if local.Domain != "localhost:8080" || local.Protocol != "http" || local.Database != "sqlite:rounds-data/rounds.db" || local.Listen != "127.0.0.1:8080" {
		t.Fatalf("defaults = %+v", local)
	}
}

func TestServeRefusesSchemaFromNewerRounds(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
	if code, _, errs := runCLI(t, nil, "migrate", "--database", dbURL); code != 0 {
		t.Fatal(errs)
	}
	db, err := storage.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ExecForTest(context.Background(), "INSERT INTO schema_migrations (name, group_id, migrated_at) VALUES ('29991231000000', 99, CURRENT_TIMESTAMP)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errs := runCLI(t, nil, "serve", "--database", dbURL, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errs, "newer than this version of Rounds") {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
}

func TestAdminAccountCommands(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		dbURL := storagetest.NewURL(t, dialect)
		env := map[string]string{"ROUNDS_DATABASE": dbURL, "ROUNDS_DOMAIN": "rounds.example.org"}
		if code, _, errs := runCLI(t, env, "migrate"); code != 0 {
			t.Fatal(errs)
		}
		steps := []struct {
			args []string
			code int
			want string
		}{
			{[]string{"admin", "account", "create", "--username", "boss", "--email", "boss@example.org", "--password", "a long password", "--role", "admin"}, 0, "Created @boss (https://rounds.example.org/users/boss) with the role admin"},
			{[]string{"admin", "create", "--username", "nurse"}, 0, "Password: "},
			{[]string{"admin", "account", "create", "--username", "NURSE"}, 1, "already taken"},
			{[]string{"admin", "account", "create", "--username", "x y"}, 1, "username must be"},
			{[]string{"admin", "account", "suspend", "nurse"}, 0, "Suspended @nurse"},
			{[]string{"admin", "account", "suspend", "nurse"}, 1, "already suspended"},
			{[]string{"admin", "account", "list", "--suspended"}, 0, "nurse"},
			{[]string{"admin", "account", "unsuspend", "--username", "nurse"}, 0, "Lifted the suspension of @nurse"},
			{[]string{"admin", "account", "approve", "ghost"}, 1, "no such account"},
			{[]string{"admin", "account", "reset-password", "boss", "--password", "another long one"}, 0, "Set a new password for @boss"},
			{[]string{"admin", "account", "reset-password", "boss", "--password", "short"}, 1, "at least 10 characters"},
			{[]string{"admin", "account", "list"}, 0, "boss"},
		}
		for _, s := range steps {
			code, out, errs := runCLI(t, env, s.args...)
			if code != s.code || !strings.Contains(out+errs, s.want) {
				t.Fatalf("%v: exit %d\n%s%s\nwant exit %d and %q", s.args, code, out, errs, s.code, s.want)
			}
		}
	})
}
