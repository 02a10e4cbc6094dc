package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"rounds/social"
)

func init() { adminGroups["registrations"] = registrationsCommand }

// registrationModeText says what each registration mode means.
var registrationModeText = map[string]string{
	social.RegistrationsClosed:   "closed: only admins create accounts",
	social.RegistrationsInvite:   "by invite: people with an invite link sign up (rounds admin invite create)",
	social.RegistrationsApproval: "by approval: anyone applies with a reason, and signs in once an admin approves (rounds admin account list --pending)",
}

// registrationsCommand runs `rounds admin registrations [closed|invite|approval]`:
// without a mode it shows the current one.
func registrationsCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var mode string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
		if _, ok := registrationModeText[mode]; !ok {
			return &usageError{fmt.Sprintf("admin registrations: %q is not a mode: give closed, invite or approval", mode)}
		}
	}
	cfg, err := parseCommand("admin registrations", args, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	if mode == "" {
		st, err := svc.Settings(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Registrations are %s.\n", registrationModeText[st.RegistrationsMode])
		return nil
	}
	st, err := svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.RegistrationsMode = mode })
	if err != nil {
		return adminErr(err)
	}
	fmt.Fprintf(stdout, "Registrations are now %s.\n", registrationModeText[st.RegistrationsMode])
	return nil
}
