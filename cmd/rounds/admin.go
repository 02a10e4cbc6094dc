package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"rounds/social"
	"rounds/storage"
)

// adminCommand runs `rounds admin GROUP VERB ...`: account (which may be
// left out), domain, invite, token and settings.
func adminCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 {
		if group, ok := adminGroups[args[0]]; ok {
			return group(ctx, args[1:], stdout, stderr, getenv)
		}
	}
	return accountCommand(ctx, args, stdout, stderr, getenv)
}

// adminGroups are the `rounds admin` command groups besides account.
var adminGroups = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error{}

func init() {
	adminGroups["account"] = accountCommand
	adminGroups["domain"] = domainCommand
	adminGroups["invite"] = inviteCommand
}

// adminService opens the database cfg names, checks its schema and returns
// the domain service the admin commands act through, and how to close it.
func adminService(ctx context.Context, cfg *config) (*social.Service, func(), error) {
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return nil, nil, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	svc := social.New(social.Options{
		DB:       db,
		Jobs:     storage.NewJobs(db, storage.JobsOptions{}),
		Domain:   cfg.Domain,
		Protocol: cfg.Protocol,
		Logger:   newLogger(cfg),
	})
	return svc, func() { db.Close() }, nil
}

// accountCommand runs `rounds admin account VERB ...`.
func accountCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return &usageError{"admin: say what to do, such as: rounds admin account list"}
	}
	verb, args := args[0], args[1:]

	// A username may come first, before the flags: approve alice --database ...
	var positional string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		positional, args = args[0], args[1:]
	}

	var (
		username, email, password, role string
		pending, suspended              bool
	)
	extra := func(fs *flag.FlagSet) {
		switch verb {
		case "create":
			fs.StringVar(&username, "username", "", "username (letters, digits, underscores)")
			fs.StringVar(&email, "email", "", "email address (optional)")
			fs.StringVar(&password, "password", "", "password (a random one is made and printed when empty)")
			fs.StringVar(&role, "role", social.RoleUser, "user, moderator, admin or owner")
		case "list":
			fs.BoolVar(&pending, "pending", false, "only accounts waiting for approval")
			fs.BoolVar(&suspended, "suspended", false, "only suspended accounts")
		case "reset-password":
			fs.StringVar(&username, "username", "", "username")
			fs.StringVar(&password, "password", "", "new password (a random one is made and printed when empty)")
		default:
			fs.StringVar(&username, "username", "", "username")
		}
	}
	switch verb {
	case "create", "list", "approve", "suspend", "unsuspend", "reset-password":
	default:
		return &usageError{fmt.Sprintf("admin: unknown command %q", verb)}
	}
	cfg, err := parseCommand("admin account "+verb, args, stderr, getenv, false, extra)
	if err != nil {
		return err
	}
	if positional != "" {
		if username != "" || verb == "list" {
			return &usageError{fmt.Sprintf("unexpected argument %q", positional)}
		}
		username = positional
	}
	if verb != "list" && username == "" {
		return &usageError{fmt.Sprintf("admin account %s: give a username", verb)}
	}

	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	var u *storage.User
	switch verb {
	case "create":
		generated := password == ""
		if generated {
			password = social.RandomPassword()
		}
		u, err = svc.CreateUser(ctx, social.NewUser{Username: username, Email: email, Password: password, Role: role, Approved: true})
		if err != nil {
			return adminErr(err)
		}
		fmt.Fprintf(stdout, "Created @%s (%s) with the role %s.\n", u.Account.Username, u.Account.URI, u.Role)
		if generated {
			fmt.Fprintf(stdout, "Password: %s\n", password)
		}
		return nil
	case "list":
		users, err := svc.ListUsers(ctx, storage.UserFilter{Pending: pending, Suspended: suspended})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tEMAIL\tCREATED")
		for _, u := range users {
			email := ""
			if u.Email != nil {
				email = *u.Email
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Account.Username, u.Role, userStatus(u), email, u.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	case "approve":
		u, err = svc.ApproveUser(ctx, username)
		if err == nil {
			fmt.Fprintf(stdout, "Approved @%s; they can sign in now.\n", u.Account.Username)
		}
	case "suspend":
		u, err = svc.SuspendUser(ctx, username)
		if err == nil {
			fmt.Fprintf(stdout, "Suspended @%s.\n", u.Account.Username)
		}
	case "unsuspend":
		u, err = svc.UnsuspendUser(ctx, username)
		if err == nil {
			fmt.Fprintf(stdout, "Lifted the suspension of @%s.\n", u.Account.Username)
		}
	case "reset-password":
		generated := password == ""
		if generated {
			password = social.RandomPassword()
		}
		u, err = svc.ResetPassword(ctx, username, password)
		if err == nil {
			fmt.Fprintf(stdout, "Set a new password for @%s.\n", u.Account.Username)
			if generated {
				fmt.Fprintf(stdout, "Password: %s\n", password)
			}
		}
	}
	return adminErr(err)
}

func userStatus(u *storage.User) string {
	switch {
	case u.Account.Suspended():
		return "suspended"
	case !u.Approved:
		return "pending"
	}
	return "active"
}

// adminErr words domain errors for the shell.
func adminErr(err error) error {
	var ve *social.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return errors.New(ve.Error())
	case errors.Is(err, social.ErrNotFound):
		return errors.New("no such account")
	case errors.Is(err, social.ErrConflict):
		return errors.New("that username or email is already taken")
	}
	return err
}
