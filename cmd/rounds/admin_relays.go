package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"rounds/social"
)

func init() { adminGroups["relay"] = relayCommand }

// relayCommand runs `rounds admin relay add URL | list | remove RELAY |
// enable RELAY | disable RELAY`, where RELAY is an ID or the URL it was
// added with.
func relayCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	usage := &usageError{"admin relay: add URL | list | remove RELAY | enable RELAY | disable RELAY (RELAY: its ID or URL)"}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usage
	}
	verb, rest := args[0], args[1:]
	var ref string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		ref, rest = rest[0], rest[1:]
	}
	switch verb {
	case "list":
		if ref != "" {
			return &usageError{fmt.Sprintf("unexpected argument %q", ref)}
		}
	case "add", "remove", "enable", "disable":
		if ref == "" {
			return usage
		}
	default:
		return usage
	}
	cfg, err := parseCommand("admin relay "+verb, rest, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	if verb == "add" {
		r, err := svc.AddRelay(ctx, social.CommandLine, ref)
		if err != nil {
			return adminErr(err)
		}
		fmt.Fprintf(stdout, "relay %d added: %s (pending until the relay accepts)\n", r.ID, r.URL)
		return nil
	}
	if verb == "list" {
		relays, err := svc.Relays(ctx, social.CommandLine)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURL\tSTATE\tENABLED\tDROPPED")
		for _, r := range relays {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%t\t%d\n", r.ID, r.URL, r.State, r.Enabled, r.Dropped)
		}
		return tw.Flush()
	}
	r, err := svc.FindRelay(ctx, social.CommandLine, ref)
	if errors.Is(err, social.ErrNotFound) {
		return fmt.Errorf("no such relay: %s", ref)
	}
	if err != nil {
		return err
	}
	switch verb {
	case "remove":
		if err := svc.RemoveRelay(ctx, social.CommandLine, r.ID); err != nil {
			return adminErr(err)
		}
		fmt.Fprintf(stdout, "relay %d removed: %s\n", r.ID, r.URL)
	default:
		if _, err := svc.SetRelayEnabled(ctx, social.CommandLine, r.ID, verb == "enable"); err != nil {
			return adminErr(err)
		}
		fmt.Fprintf(stdout, "relay %d %sd: %s\n", r.ID, verb, r.URL)
	}
	return nil
}
