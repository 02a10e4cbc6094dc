package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"rounds/social"
)

func init() {
	adminGroups["guidance"] = guidanceCommand
	settingKeys["question-tag"] = func(st *social.Settings, v string) error { st.QuestionTag = v; return nil }
}

// guidanceCommand runs `rounds admin guidance set FILE` (a new version of
// the organisation's social media guidance, Markdown; an empty file
// withdraws it), `show` and `pending` (who has not acknowledged it).
func guidanceCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	usage := &usageError{"admin guidance: set FILE | show | pending"}
	var rest []string
	var file string
	switch {
	case len(args) >= 2 && args[0] == "set" && !strings.HasPrefix(args[1], "-"):
		file, rest = args[1], args[2:]
	case len(args) >= 1 && (args[0] == "show" || args[0] == "pending"):
		rest = args[1:]
	default:
		return usage
	}
	cfg, err := parseCommand("admin guidance "+args[0], rest, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	var text []byte
	if file != "" {
		if text, err = os.ReadFile(file); err != nil {
			return err
		}
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	switch args[0] {
	case "set":
		g, err := svc.SetGuidance(ctx, social.CommandLine, string(text))
		if err != nil {
			return adminErr(err)
		}
		if g == nil {
			fmt.Fprintln(stdout, "The guidance is withdrawn: nobody is asked to acknowledge it.")
			return nil
		}
		fmt.Fprintf(stdout, "Guidance version %d is saved; everyone is asked to acknowledge it before they next post.\n", g.Version)
	case "show":
		g, err := svc.CurrentGuidance(ctx)
		if err != nil {
			return err
		}
		if g == nil {
			fmt.Fprintln(stdout, "No guidance has been written.")
			return nil
		}
		fmt.Fprintf(stdout, "Version %d, %s\n\n%s\n", g.Version, g.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), strings.TrimRight(g.Source, "\n"))
	case "pending":
		g, users, err := svc.GuidancePending(ctx, social.CommandLine)
		if err != nil {
			return adminErr(err)
		}
		if g == nil {
			fmt.Fprintln(stdout, "No guidance has been written.")
			return nil
		}
		fmt.Fprintf(stdout, "Not yet acknowledged version %d (%d):\n", g.Version, len(users))
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\n", u.Account.Username, u.Role)
		}
		return tw.Flush()
	}
	return nil
}
