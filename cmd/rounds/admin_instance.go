package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"rounds/social"
)

func init() { adminGroups["instance"] = instanceCommand }

// instanceCommand runs `rounds admin instance set-document KIND FILE
// [--effective-date YYYY-MM-DD]`: the extended description, privacy policy
// or terms of service from FILE (Markdown or plain text).
func instanceCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	usage := &usageError{"admin instance: set-document " + strings.Join(social.InstanceDocumentKinds, "|") + " FILE [--effective-date YYYY-MM-DD]"}
	if len(args) < 3 || args[0] != "set-document" || !slices.Contains(social.InstanceDocumentKinds, args[1]) || strings.HasPrefix(args[2], "-") {
		return usage
	}
	kind, file := args[1], args[2]
	var effective string
	cfg, err := parseCommand("admin instance set-document", args[3:], stderr, getenv, false, func(fs *flag.FlagSet) {
		fs.StringVar(&effective, "effective-date", "", "for terms of service: the day they take effect (default today)")
	})
	if err != nil {
		return err
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := svc.SetInstanceDocument(ctx, social.CommandLine, kind, string(text), effective); err != nil {
		return adminErr(err)
	}
	what := strings.ReplaceAll(kind, "_", " ")
	if effective != "" {
		what += " effective " + effective
	}
	fmt.Fprintf(stdout, "The %s is saved.\n", what)
	return nil
}
