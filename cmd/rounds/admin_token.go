package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"rounds/social"
)

// tokenCommand runs `rounds admin token create --username U --scopes S`:
// an access token for automation, printed once.
func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return &usageError{"admin token: the only command is: rounds admin token create --username NAME --scopes \"read write\""}
	}
	var username, scopes, name string
	cfg, err := parseCommand("admin token create", args[1:], stderr, getenv, false, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "the account the token acts as")
		fs.StringVar(&scopes, "scopes", "read", "space-separated OAuth scopes, such as \"read write follow\"")
		fs.StringVar(&name, "name", "rounds admin token", "the app name the token is listed under")
	})
	if err != nil {
		return err
	}
	if username == "" {
		return &usageError{"admin token create: give --username"}
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	t, err := svc.CreateToken(ctx, social.CommandLine, strings.TrimPrefix(username, "@"), scopes, name)
	if err != nil {
		return adminErr(err)
	}
	fmt.Fprintf(stdout, "Access token for @%s with the scopes %q (shown once; keep it secret):\n%s\n", strings.TrimPrefix(username, "@"), strings.Join(t.Scopes, " "), t.Token)
	return nil
}
