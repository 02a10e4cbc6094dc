package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"rounds/social"
	"rounds/storage"
)

func init() { adminGroups["audit"] = auditCommand }

// auditCommand runs `rounds admin audit [--csv] [--limit N]`: the newest
// entries of the audit log, or the whole log as CSV.
func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var asCSV bool
	var limit int
	cfg, err := parseCommand("admin audit", args, stderr, getenv, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&asCSV, "csv", false, "write the whole log as CSV")
		fs.IntVar(&limit, "limit", 50, "how many of the newest entries to show")
	})
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	if asCSV {
		return svc.WriteAuditCSV(ctx, social.CommandLine, stdout)
	}
	entries, err := svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{}, storage.Page{Limit: limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tWHO\tACTION\tTARGET\tREASON")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.CreatedAt.UTC().Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.Target, e.Reason)
	}
	return tw.Flush()
}
