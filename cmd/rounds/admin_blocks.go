package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"rounds/social"
	"rounds/storage"
)

// The sign-up block commands: rounds admin email-domain-block,
// canonical-email-block and ip-block.
const (
	emailDomainBlockUsage    = "rounds admin email-domain-block add DOMAIN | list | remove DOMAIN"
	canonicalEmailBlockUsage = "rounds admin canonical-email-block add EMAIL|HASH | list | remove EMAIL|HASH | test EMAIL"
	ipBlockUsage             = "rounds admin ip-block add CIDR --severity sign_up_requires_approval|sign_up_block|no_access [--comment C] [--expires-in D] | list | remove CIDR"
)

func init() {
	adminGroups["email-domain-block"] = emailDomainBlockCommand
	adminGroups["canonical-email-block"] = canonicalEmailBlockCommand
	adminGroups["ip-block"] = ipBlockCommand
}

// blockVerb reads `VERB [ARG] [flags]` for a block command group: verbs
// maps each verb to what its argument is ("" for none).
func blockVerb(group, usage string, args []string, verbs map[string]string) (verb, arg string, rest []string, err error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", "", nil, &usageError{"admin " + group + ": say what to do:\n  " + usage}
	}
	verb, rest = args[0], args[1:]
	what, known := verbs[verb]
	if !known {
		return "", "", nil, &usageError{fmt.Sprintf("admin %s: unknown command %q; use:\n  %s", group, verb, usage)}
	}
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		arg, rest = rest[0], rest[1:]
	}
	switch {
	case what != "" && arg == "":
		return "", "", nil, &usageError{fmt.Sprintf("admin %s %s: give %s", group, verb, what)}
	case what == "" && arg != "":
		return "", "", nil, &usageError{fmt.Sprintf("unexpected argument %q", arg)}
	}
	return verb, arg, rest, nil
}

// blockErr words block errors for the shell.
func blockErr(err error) error {
	var ve *social.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return errors.New(ve.Error())
	case errors.Is(err, social.ErrNotFound):
		return errors.New("no such block")
	}
	return err
}

// emailDomainBlockCommand runs `rounds admin email-domain-block VERB ...`.
func emailDomainBlockCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	verb, arg, rest, err := blockVerb("email-domain-block", emailDomainBlockUsage, args, map[string]string{"add": "a domain", "remove": "a domain", "list": ""})
	if err != nil {
		return err
	}
	cfg, err := parseCommand("admin email-domain-block "+verb, rest, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	a := social.CommandLine
	switch verb {
	case "add":
		b, err := svc.BlockEmailDomain(ctx, a, arg)
		if err != nil {
			return blockErr(err)
		}
		fmt.Fprintf(stdout, "Blocked sign-ups with email addresses at %s and its subdomains.\n", b.Domain)
		return nil
	case "remove":
		b, err := svc.EmailDomainBlockOf(ctx, a, arg)
		if errors.Is(err, social.ErrNotFound) {
			return fmt.Errorf("%s is not blocked (rounds admin email-domain-block list shows the blocks)", arg)
		}
		if err == nil {
			_, err = svc.UnblockEmailDomain(ctx, a, b.ID)
		}
		if err != nil {
			return blockErr(err)
		}
		fmt.Fprintf(stdout, "Lifted the block of email addresses at %s.\n", b.Domain)
		return nil
	}
	list, err := allPages(func(p storage.Page) ([]*storage.EmailDomainBlock, error) { return svc.EmailDomainBlocks(ctx, a, p) },
		func(b *storage.EmailDomainBlock) int64 { return b.ID })
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "No email domain is blocked.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL DOMAIN\tSINCE")
	for _, b := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", b.ID, b.Domain, b.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

// canonicalEmailBlockCommand runs `rounds admin canonical-email-block
// VERB ...`. An argument with an @ is an email address, else a hash.
func canonicalEmailBlockCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	verb, arg, rest, err := blockVerb("canonical-email-block", canonicalEmailBlockUsage, args,
		map[string]string{"add": "an email address or hash", "remove": "an email address or hash", "test": "an email address", "list": ""})
	if err != nil {
		return err
	}
	cfg, err := parseCommand("admin canonical-email-block "+verb, rest, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	a := social.CommandLine
	email, hash := arg, ""
	if !strings.Contains(arg, "@") {
		email, hash = "", arg
	}
	switch verb {
	case "add":
		b, err := svc.BlockCanonicalEmail(ctx, a, email, hash)
		if err != nil {
			return blockErr(err)
		}
		fmt.Fprintf(stdout, "Blocked sign-ups with that address and its variants (block %d, hash %s).\n", b.ID, b.CanonicalEmailHash)
		return nil
	case "remove", "test":
		list, err := svc.CanonicalEmailBlocksMatching(ctx, a, email, hash)
		if err != nil {
			return blockErr(err)
		}
		if hash == "" {
			hash = social.CanonicalEmailHash(email)
		}
		if verb == "test" {
			if len(list) == 0 {
				fmt.Fprintf(stdout, "%s is not blocked (hash %s).\n", arg, hash)
				return nil
			}
			fmt.Fprintf(stdout, "%s is blocked by block %d (hash %s).\n", arg, list[0].ID, hash)
			return nil
		}
		if len(list) == 0 {
			return fmt.Errorf("%s is not blocked (rounds admin canonical-email-block list shows the blocks)", arg)
		}
		if _, err := svc.UnblockCanonicalEmail(ctx, a, list[0].ID); err != nil {
			return blockErr(err)
		}
		fmt.Fprintf(stdout, "Lifted block %d (hash %s).\n", list[0].ID, hash)
		return nil
	}
	list, err := allPages(func(p storage.Page) ([]*storage.CanonicalEmailBlock, error) {
		return svc.CanonicalEmailBlocks(ctx, a, p)
	},
		func(b *storage.CanonicalEmailBlock) int64 { return b.ID })
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "No email address is blocked.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCANONICAL EMAIL HASH\tSINCE")
	for _, b := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", b.ID, b.CanonicalEmailHash, b.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

// ipBlockCommand runs `rounds admin ip-block VERB ...`.
func ipBlockCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	verb, arg, rest, err := blockVerb("ip-block", ipBlockUsage, args, map[string]string{"add": "an address or network (CIDR)", "remove": "an address or network (CIDR)", "list": ""})
	if err != nil {
		return err
	}
	var (
		severity, comment string
		expiresIn         time.Duration
	)
	var extra func(fs *flag.FlagSet)
	if verb == "add" {
		extra = func(fs *flag.FlagSet) {
			fs.StringVar(&severity, "severity", "", "sign_up_requires_approval, sign_up_block or no_access")
			fs.StringVar(&comment, "comment", "", "why (staff only)")
			fs.DurationVar(&expiresIn, "expires-in", 0, "how long the block lasts, such as 720h (default: until removed)")
		}
	}
	cfg, err := parseCommand("admin ip-block "+verb, rest, stderr, getenv, false, extra)
	if err != nil {
		return err
	}
	if verb == "add" {
		switch {
		case severity == "":
			return &usageError{"admin ip-block add: give --severity sign_up_requires_approval, sign_up_block or no_access"}
		case !slices.Contains(social.IPSeverities(), severity):
			return &usageError{fmt.Sprintf("admin ip-block add: --severity must be sign_up_requires_approval, sign_up_block or no_access, not %q", severity)}
		case expiresIn < 0:
			return &usageError{"admin ip-block add: --expires-in must be positive"}
		}
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	a := social.CommandLine
	switch verb {
	case "add":
		b, err := svc.BlockIP(ctx, a, social.IPBlockInput{IP: arg, Severity: severity, Comment: comment, ExpiresIn: expiresIn})
		if err != nil {
			return blockErr(err)
		}
		fmt.Fprintf(stdout, "Blocked %s: %s, %s.\n", b.IP, severityText(b.Severity), untilText(b.ExpiresAt))
		return nil
	case "remove":
		b, err := svc.IPBlockOf(ctx, a, arg)
		if errors.Is(err, social.ErrNotFound) {
			return fmt.Errorf("%s is not blocked (rounds admin ip-block list shows the blocks)", arg)
		}
		if err == nil {
			_, err = svc.UnblockIP(ctx, a, b.ID)
		}
		if err != nil {
			return blockErr(err)
		}
		fmt.Fprintf(stdout, "Lifted the block of %s.\n", b.IP)
		return nil
	}
	list, err := allPages(func(p storage.Page) ([]*storage.IPBlock, error) { return svc.IPBlocks(ctx, a, p) },
		func(b *storage.IPBlock) int64 { return b.ID })
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "No IP block.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNETWORK\tSEVERITY\tUNTIL\tCOMMENT")
	for _, b := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", b.ID, b.IP, b.Severity, untilText(b.ExpiresAt), oneLine(b.Comment))
	}
	return tw.Flush()
}

func severityText(s string) string {
	switch s {
	case social.IPSignUpRequiresApproval:
		return "sign-ups from it wait for an admin's approval"
	case social.IPSignUpBlock:
		return "no sign-ups from it"
	}
	return "no access at all from it (sign-in, pages, API)"
}

func untilText(t *time.Time) string {
	switch {
	case t == nil:
		return "until removed"
	case !t.After(time.Now()):
		return "expired " + t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return "until " + t.UTC().Format("2006-01-02 15:04 UTC")
}

// allPages reads every page of a list, newest first.
func allPages[T any](page func(storage.Page) ([]T, error), id func(T) int64) ([]T, error) {
	var out []T
	for p := (storage.Page{Limit: 200}); ; {
		list, err := page(p)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if len(list) < p.Limit {
			return out, nil
		}
		p.MaxID = id(list[len(list)-1])
	}
}
