package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"rounds/social"
	"rounds/storage"
)

// adminCommand runs `rounds admin GROUP VERB ...`: account (which may be
// left out), domain, invite, token, settings, relay and the others that
// register themselves in adminGroups.
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
	adminGroups["token"] = tokenCommand
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
		username, email, password, role, reason string
		pending, suspended, link                bool
		details                                 social.ClinicianDetails
		recheck                                 string
	)
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "username")
		switch verb {
		case "create":
			fs.StringVar(&email, "email", "", "email address (optional)")
			fs.StringVar(&password, "password", "", "password (a random one is made and printed when empty)")
			fs.StringVar(&role, "role", social.RoleUser, "user, moderator, admin or owner")
		case "list":
			fs.BoolVar(&pending, "pending", false, "only accounts waiting for approval")
			fs.BoolVar(&suspended, "suspended", false, "only suspended accounts")
		case "reset-password":
			fs.StringVar(&password, "password", "", "new password (a random one is made and printed when empty)")
			fs.BoolVar(&link, "link", false, "print a one-time reset link for the person instead of setting a password")
		case "role":
			fs.StringVar(&role, "role", "", "user, moderator, admin or owner")
		case "verify":
			fs.StringVar(&details.Profession, "profession", "", "doctor, nurse, midwife, pharmacist, ... (see social.Professions)")
			fs.StringVar(&details.Regulator, "regulator", "", "the regulator, such as \"Medical Council of Ireland\", NMBI, CORU, PSI, GMC, NMC")
			fs.StringVar(&details.RegistrationNumber, "registration-number", "", "the registration number with that regulator")
			fs.StringVar(&details.Organisation, "organisation", "", "the employing organisation")
			fs.StringVar(&details.Specialty, "specialty", "", "the clinician's specialty, such as Cardiology (optional)")
			fs.StringVar(&recheck, "recheck", "", "when to check the registration again, as YYYY-MM-DD (default: in one year)")
		}
		if verb != "create" && verb != "list" {
			fs.StringVar(&reason, "reason", "", "why; kept in the audit log")
		}
	}
	switch verb {
	case "create", "list", "approve", "reject", "suspend", "unsuspend", "limit", "unlimit", "warn",
		"disable", "enable", "delete", "reset-password", "reset-two-factor", "role", "verify", "unverify":
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
	if verb == "role" && role == "" {
		return &usageError{"admin account role: give the new role with --role user|moderator|admin|owner"}
	}
	if recheck != "" {
		t, err := time.Parse("2006-01-02", recheck)
		if err != nil {
			return &usageError{"admin account verify: --recheck must be a date such as 2027-06-30"}
		}
		details.RecheckAt = t
	}

	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	a := social.CommandLine
	name := "@" + strings.TrimPrefix(username, "@")

	switch verb {
	case "create":
		generated := password == ""
		if generated {
			password = social.RandomPassword()
		}
		u, err := svc.CreateUser(ctx, social.NewUser{Username: username, Email: email, Password: password, Role: role, Approved: true})
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
		fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tVERIFIED\tEMAIL\tCREATED")
		for _, u := range users {
			email := ""
			if u.Email != nil {
				email = *u.Email
			}
			verified := ""
			if v, err := svc.Verification(ctx, u.AccountID); err == nil && v.Current(time.Now()) {
				verified = v.Regulator + " " + v.RegistrationNumber
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Account.Username, u.Role, userStatus(u), verified, email, u.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	case "reset-password":
		if link {
			l, err := svc.CreatePasswordReset(ctx, a, username)
			if err != nil {
				return adminErr(err)
			}
			fmt.Fprintf(stdout, "Give %s this link; it works once, within an hour:\n%s\n", name, l)
			return nil
		}
		generated := password == ""
		if generated {
			password = social.RandomPassword()
		}
		u, err := svc.ResetPassword(ctx, username, password)
		if err != nil {
			return adminErr(err)
		}
		fmt.Fprintf(stdout, "Set a new password for @%s.\n", u.Account.Username)
		if generated {
			fmt.Fprintf(stdout, "Password: %s\n", password)
		}
		return nil
	}

	if verb == "reset-two-factor" {
		if err := svc.ResetTwoFactor(ctx, a, username, reason); err != nil {
			return adminErr(err)
		}
		fmt.Fprintf(stdout, "Turned off two-factor sign-in for %s; they sign in with their password and can set it up again.\n", name)
		return nil
	}

	id, err := svc.LocalAccountID(ctx, username)
	if err != nil {
		return adminErr(err)
	}
	var done string
	switch verb {
	case "approve":
		err, done = svc.Approve(ctx, a, id, reason), "Approved %s; they can sign in now."
	case "reject":
		err, done = svc.Reject(ctx, a, id, reason), "Rejected the application of %s; the username is free again."
	case "suspend":
		err, done = svc.TakeAction(ctx, a, id, social.AccountAction{Type: social.ActionSuspend, Text: reason}), "Suspended %s; other servers are told the account is gone."
	case "unsuspend":
		err, done = svc.Unsuspend(ctx, a, id, reason), "Lifted the suspension of %s."
	case "limit":
		err, done = svc.TakeAction(ctx, a, id, social.AccountAction{Type: social.ActionSilence, Text: reason}), "Limited %s: their posts stay out of public timelines."
	case "unlimit":
		err, done = svc.Unsilence(ctx, a, id, reason), "Lifted the limit on %s."
	case "warn":
		err, done = svc.TakeAction(ctx, a, id, social.AccountAction{Type: social.ActionWarn, Text: reason}), "Warned %s."
	case "disable":
		err, done = svc.TakeAction(ctx, a, id, social.AccountAction{Type: social.ActionDisable, Text: reason}), "Disabled sign-in for %s."
	case "enable":
		err, done = svc.Enable(ctx, a, id, reason), "Enabled sign-in for %s again."
	case "delete":
		err, done = svc.DeleteAccount(ctx, a, id, reason), "Deleted the content of %s; other servers are told the account is gone."
	case "role":
		err, done = svc.SetRole(ctx, a, id, role, reason), "%s now has the role "+role+"."
	case "verify":
		var v *storage.ClinicianVerification
		v, err = svc.VerifyClinician(ctx, a, id, details, reason)
		if err == nil {
			spec := ""
			if v.Specialty != "" {
				spec = " (" + strings.ReplaceAll(v.Specialty, "%", "%%") + ")"
			}
			done = "Verified %s" + spec + ": " + social.VerifiedFieldName + ": " + v.Regulator + " " + v.RegistrationNumber + ", to re-check by " + v.RecheckAt.Format("2 January 2006") + "."
		}
	case "unverify":
		err, done = svc.RevokeVerification(ctx, a, id, reason), "Removed the verification of %s."
	}
	if err != nil {
		return adminErr(err)
	}
	fmt.Fprintf(stdout, done+"\n", name)
	return nil
}

func userStatus(u *storage.User) string {
	switch {
	case u.Account.Suspended():
		return "suspended"
	case u.Disabled:
		return "disabled"
	case u.Account.SilencedAt != nil:
		return "limited"
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
	case errors.Is(err, social.ErrForbidden):
		return errors.New("not allowed")
	}
	return err
}
