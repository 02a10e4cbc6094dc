package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"rounds/social"
	"rounds/storage"
)

// inviteCommand runs `rounds admin invite VERB ...`: create, list and
// revoke invite links.
func inviteCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return &usageError{"admin invite: say what to do: create, list or revoke"}
	}
	verb, args := args[0], args[1:]
	var positional string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		positional, args = args[0], args[1:]
	}
	var (
		maxUses   int
		expiresIn time.Duration
		comment   string
	)
	var extra func(fs *flag.FlagSet)
	switch verb {
	case "create":
		extra = func(fs *flag.FlagSet) {
			fs.IntVar(&maxUses, "max-uses", 0, "how many accounts the link may open (default: no limit)")
			fs.DurationVar(&expiresIn, "expires-in", 0, "how long the link works, such as 24h (default: until revoked)")
			fs.StringVar(&comment, "comment", "", "whom the link is for, for the admins' list")
		}
	case "list", "revoke":
	default:
		return &usageError{fmt.Sprintf("admin invite: unknown command %q", verb)}
	}
	cfg, err := parseCommand("admin invite "+verb, args, stderr, getenv, false, extra)
	if err != nil {
		return err
	}
	var id int64
	switch {
	case verb == "revoke" && positional == "":
		return &usageError{"admin invite revoke: give the invite's ID (see rounds admin invite list)"}
	case verb == "revoke":
		if id, err = strconv.ParseInt(positional, 10, 64); err != nil || id <= 0 {
			return &usageError{fmt.Sprintf("admin invite revoke: %q is not an invite ID", positional)}
		}
	case positional != "":
		return &usageError{fmt.Sprintf("unexpected argument %q", positional)}
	}

	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	switch verb {
	case "create":
		opts := social.InviteOptions{ExpiresIn: expiresIn, Comment: comment}
		if maxUses != 0 {
			opts.MaxUses = &maxUses
		}
		inv, link, err := svc.CreateInvite(ctx, social.CommandLine, opts)
		if err != nil {
			return inviteErr(err)
		}
		fmt.Fprintf(stdout, "Created invite %d (%s, %s).\n", inv.ID, usesText(inv), expiryText(inv))
		fmt.Fprintf(stdout, "Invite link: %s\n", link)
		if st, err := svc.Settings(ctx); err == nil && st.RegistrationsMode == social.RegistrationsClosed {
			fmt.Fprintln(stdout, "Registrations are closed, so the link opens no account yet: run 'rounds admin registrations invite' to let invites in.")
		}
		return nil
	case "list":
		invites, err := svc.Invites(ctx, social.CommandLine)
		if err != nil {
			return err
		}
		now := time.Now()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tUSES\tEXPIRES\tCREATED\tLINK\tCOMMENT")
		for _, inv := range invites {
			uses := strconv.Itoa(inv.Uses)
			if inv.MaxUses != nil {
				uses += "/" + strconv.Itoa(*inv.MaxUses)
			}
			expires := "never"
			if inv.ExpiresAt != nil {
				expires = inv.ExpiresAt.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", inv.ID, social.InviteState(inv, now), uses, expires,
				inv.CreatedAt.Format("2006-01-02"), svc.InviteLink(inv), inv.Comment)
		}
		return tw.Flush()
	case "revoke":
		if _, err := svc.RevokeInvite(ctx, social.CommandLine, id); err != nil {
			return inviteErr(err)
		}
		fmt.Fprintf(stdout, "Revoked invite %d; its link opens no more accounts.\n", id)
	}
	return nil
}

func usesText(inv *storage.Invite) string {
	switch {
	case inv.MaxUses == nil:
		return "any number of uses"
	case *inv.MaxUses == 1:
		return "single use"
	}
	return fmt.Sprintf("up to %d uses", *inv.MaxUses)
}

func expiryText(inv *storage.Invite) string {
	if inv.ExpiresAt == nil {
		return "works until revoked"
	}
	return "works until " + inv.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
}

// inviteErr words invite errors for the shell.
func inviteErr(err error) error {
	if errors.Is(err, social.ErrNotFound) {
		return errors.New("no such invite")
	}
	return adminErr(err)
}
