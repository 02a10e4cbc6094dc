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

// domainUsage is the syntax of `rounds admin domain`, shown with its usage
// errors.
const domainUsage = `rounds admin domain block DOMAIN [--severity silence|suspend|noop] [--reject-media] [--reject-reports] [--reason TEXT] [--public-comment TEXT] [--obfuscate]
  rounds admin domain unblock DOMAIN
  rounds admin domain list
  rounds admin domain allow|disallow DOMAIN
  rounds admin domain mode open|allowlist`

// domainCommand runs `rounds admin domain VERB ...`: federation policy per
// domain, and the federation mode.
func domainCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return &usageError{"admin domain: say what to do:\n  " + domainUsage}
	}
	verb, args := args[0], args[1:]
	needsArg := map[string]string{"block": "a domain", "unblock": "a domain", "allow": "a domain", "disallow": "a domain", "mode": "open or allowlist", "list": ""}
	what, known := needsArg[verb]
	if !known {
		return &usageError{fmt.Sprintf("admin domain: unknown command %q; use one of:\n  %s", verb, domainUsage)}
	}
	var positional string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		positional, args = args[0], args[1:]
	}
	if what != "" && positional == "" {
		return &usageError{fmt.Sprintf("admin domain %s: give %s", verb, what)}
	}
	if what == "" && positional != "" {
		return &usageError{fmt.Sprintf("unexpected argument %q", positional)}
	}

	var (
		severity, reason, publicComment    string
		rejectMedia, rejectReports, obfusc bool
		given                              = map[string]bool{}
		blockFlags                         *flag.FlagSet
	)
	extra := func(fs *flag.FlagSet) {
		if verb != "block" {
			return
		}
		blockFlags = fs
		fs.StringVar(&severity, "severity", social.SeveritySilence, "silence, suspend or noop")
		fs.BoolVar(&rejectMedia, "reject-media", false, "show the domain's media as links only, and no avatars")
		fs.BoolVar(&rejectReports, "reject-reports", false, "drop reports sent from the domain")
		fs.StringVar(&reason, "reason", "", "why (private: staff and the audit log see it)")
		fs.StringVar(&publicComment, "public-comment", "", "why, as the public list of blocked domains shows it")
		fs.BoolVar(&obfusc, "obfuscate", false, "show the domain partly hidden in the public list")
	}
	cfg, err := parseCommand("admin domain "+verb, args, stderr, getenv, false, extra)
	if err != nil {
		return err
	}
	if blockFlags != nil {
		blockFlags.Visit(func(f *flag.Flag) { given[f.Name] = true })
	}
	switch {
	case verb == "block" && severity != social.SeveritySilence && severity != social.SeveritySuspend && severity != social.SeverityNoop:
		return &usageError{fmt.Sprintf("admin domain block: --severity must be silence, suspend or noop, not %q", severity)}
	case verb == "mode" && positional != social.FederationOpen && positional != social.FederationAllowlist:
		return &usageError{fmt.Sprintf("admin domain mode: say open or allowlist, not %q", positional)}
	}

	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	a := social.CommandLine

	switch verb {
	case "block":
		in := social.DomainBlockInput{
			Domain: positional, Severity: severity, RejectMedia: rejectMedia, RejectReports: rejectReports,
			PrivateComment: reason, PublicComment: publicComment, Obfuscate: obfusc,
		}
		return blockDomain(ctx, svc, a, in, given, stdout)
	case "unblock":
		b, err := svc.DomainBlockOf(ctx, a, positional)
		if errors.Is(err, social.ErrNotFound) {
			return fmt.Errorf("%s is not blocked (rounds admin domain list shows the blocks)", positional)
		}
		if err != nil {
			return domainErr(err)
		}
		if _, err := svc.UnblockDomain(ctx, a, b.ID); err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(stdout, "Lifted the block of %s; what it did to the domain's accounts is undone (follows it removed stay removed).\n", b.Domain)
		return nil
	case "allow":
		al, created, err := svc.AllowDomain(ctx, a, positional)
		if err != nil {
			return domainErr(err)
		}
		if !created {
			fmt.Fprintf(stdout, "%s is allowed already.\n", al.Domain)
		} else {
			fmt.Fprintf(stdout, "Allowed %s and its subdomains to federate.\n", al.Domain)
		}
		return modeNote(ctx, svc, stdout)
	case "disallow":
		al, err := svc.DomainAllowOf(ctx, a, positional)
		if errors.Is(err, social.ErrNotFound) {
			return fmt.Errorf("%s is not on the allowlist (rounds admin domain list shows it)", positional)
		}
		if err != nil {
			return domainErr(err)
		}
		if _, err := svc.RemoveDomainAllow(ctx, a, al.ID); err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(stdout, "Took %s off the allowlist.\n", al.Domain)
		return modeNote(ctx, svc, stdout)
	case "mode":
		if _, err := svc.SetFederationMode(ctx, a, positional); err != nil {
			return domainErr(err)
		}
		if positional == social.FederationOpen {
			fmt.Fprintln(stdout, "Federation is open: every domain that is not blocked federates.")
			return nil
		}
		allows, err := allDomainAllows(ctx, svc, a)
		if err != nil {
			return err
		}
		if len(allows) == 0 {
			fmt.Fprintln(stdout, "Federation is limited to the allowlist, which is empty: this server federates with nobody until you run: rounds admin domain allow DOMAIN")
		} else {
			fmt.Fprintf(stdout, "Federation is limited to the allowlist: only the %d listed domains (and their subdomains) federate.\n", len(allows))
		}
		return nil
	}
	return listDomains(ctx, svc, a, stdout)
}

// blockDomain blocks in.Domain or, when exactly that domain is blocked
// already, changes that block by the flags given.
func blockDomain(ctx context.Context, svc *social.Service, a social.Actor, in social.DomainBlockInput, given map[string]bool, stdout io.Writer) error {
	b, err := svc.BlockDomain(ctx, a, in)
	var exists *social.DomainBlockExistsError
	if errors.As(err, &exists) && exists.Existing.Domain == normalizedOr(in.Domain) {
		var ch social.DomainBlockChange
		if given["severity"] {
			ch.Severity = &in.Severity
		}
		if given["reject-media"] {
			ch.RejectMedia = &in.RejectMedia
		}
		if given["reject-reports"] {
			ch.RejectReports = &in.RejectReports
		}
		if given["reason"] {
			ch.PrivateComment = &in.PrivateComment
		}
		if given["public-comment"] {
			ch.PublicComment = &in.PublicComment
		}
		if given["obfuscate"] {
			ch.Obfuscate = &in.Obfuscate
		}
		if b, err = svc.UpdateDomainBlock(ctx, a, exists.Existing.ID, ch); err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(stdout, "%s was blocked already; the block is now: %s.\n", b.Domain, describeBlock(b))
		return nil
	}
	if err != nil {
		return domainErr(err)
	}
	switch b.Severity {
	case social.SeveritySuspend:
		fmt.Fprintf(stdout, "Suspended %s and its subdomains: nothing is sent to or taken from them, their accounts are hidden, and follows with them were removed.\n", b.Domain)
	case social.SeveritySilence:
		fmt.Fprintf(stdout, "Silenced %s and its subdomains: their accounts' posts reach only their followers.\n", b.Domain)
	default:
		fmt.Fprintf(stdout, "Blocked %s: %s.\n", b.Domain, describeBlock(b))
	}
	return nil
}

func normalizedOr(d string) string {
	if n, err := social.NormalizeDomain(d); err == nil {
		return n
	}
	return d
}

func describeBlock(b *storage.DomainBlock) string {
	parts := []string{b.Severity}
	if b.RejectMedia {
		parts = append(parts, "media rejected")
	}
	if b.RejectReports {
		parts = append(parts, "reports rejected")
	}
	if b.Obfuscate {
		parts = append(parts, "shown obfuscated")
	}
	return strings.Join(parts, ", ")
}

// modeNote tells, after the allowlist changed, whether it is in force.
func modeNote(ctx context.Context, svc *social.Service, stdout io.Writer) error {
	st, err := svc.Settings(ctx)
	if err != nil {
		return err
	}
	if st.FederationMode != social.FederationAllowlist {
		fmt.Fprintln(stdout, "(Federation is open, so the allowlist has no effect until: rounds admin domain mode allowlist)")
	}
	return nil
}

func listDomains(ctx context.Context, svc *social.Service, a social.Actor, stdout io.Writer) error {
	st, err := svc.Settings(ctx)
	if err != nil {
		return err
	}
	var blocks []*storage.DomainBlock
	for p := (storage.Page{Limit: 200}); ; {
		page, err := svc.DomainBlocks(ctx, a, p)
		if err != nil {
			return err
		}
		blocks = append(blocks, page...)
		if len(page) < p.Limit {
			break
		}
		p.MaxID = page[len(page)-1].ID
	}
	allows, err := allDomainAllows(ctx, svc, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Federation mode: %s\n\n", st.FederationMode)
	if len(blocks) == 0 {
		fmt.Fprintln(stdout, "No domain is blocked.")
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "BLOCKED DOMAIN\tSEVERITY\tMEDIA\tREPORTS\tSINCE\tREASON")
		for _, b := range blocks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", b.Domain, b.Severity, rejected(b.RejectMedia || b.Severity == social.SeveritySuspend),
				rejected(b.RejectReports || b.Severity == social.SeveritySuspend), b.CreatedAt.Format("2006-01-02"), oneLine(b.PrivateComment))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout)
	if len(allows) == 0 {
		fmt.Fprintln(stdout, "No domain is on the allowlist.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALLOWED DOMAIN\tSINCE")
	for _, al := range allows {
		fmt.Fprintf(tw, "%s\t%s\n", al.Domain, al.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

func allDomainAllows(ctx context.Context, svc *social.Service, a social.Actor) ([]*storage.DomainAllow, error) {
	var out []*storage.DomainAllow
	for p := (storage.Page{Limit: 200}); ; {
		page, err := svc.DomainAllows(ctx, a, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < p.Limit {
			return out, nil
		}
		p.MaxID = page[len(page)-1].ID
	}
}

func rejected(b bool) string {
	if b {
		return "rejected"
	}
	return "-"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

// domainErr words domain errors for the shell.
func domainErr(err error) error {
	var ve *social.ValidationError
	var exists *social.DomainBlockExistsError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return errors.New(ve.Error())
	case errors.As(err, &exists):
		return errors.New(exists.Error())
	case errors.Is(err, social.ErrNotFound):
		return errors.New("no such domain block or allow")
	}
	return err
}
