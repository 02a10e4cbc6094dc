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

// trendsUsage is the syntax of `rounds admin trends`.
const trendsUsage = `rounds admin trends list tags|statuses|links|publishers
  rounds admin trends approve|reject tags|statuses|links|publishers ID`

func init() { adminGroups["trends"] = trendsCommand }

// trendsCommand runs `rounds admin trends VERB KIND [ID]`: staff review of
// what may trend. Each decision is written to the audit log.
func trendsCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) < 2 || strings.HasPrefix(args[0], "-") {
		return &usageError{"admin trends: say what to do:\n  " + trendsUsage}
	}
	verb, kind, args := args[0], args[1], args[2:]
	switch kind {
	case "tags", "statuses", "links", "publishers":
	default:
		return &usageError{fmt.Sprintf("admin trends %s: say tags, statuses, links or publishers, not %q", verb, kind)}
	}
	var id string
	switch verb {
	case "list":
	case "approve", "reject":
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return &usageError{fmt.Sprintf("admin trends %s %s: give the ID (rounds admin trends list %s shows them)", verb, kind, kind)}
		}
		id, args = args[0], args[1:]
	default:
		return &usageError{fmt.Sprintf("admin trends: unknown command %q; use one of:\n  %s", verb, trendsUsage)}
	}
	cfg, err := parseCommand("admin trends "+verb, args, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	a := social.CommandLine
	singular := map[string]string{"tags": "tag", "statuses": "post", "links": "link", "publishers": "publisher"}[kind]
	if verb == "list" {
		return listTrends(ctx, svc, kind, stdout)
	}
	err = svc.ReviewTrend(ctx, a, kind, id, verb == "approve")
	if errors.Is(err, social.ErrNotFound) {
		return fmt.Errorf("no %s candidate with ID %s (rounds admin trends list %s shows them)", singular, id, kind)
	}
	if err != nil {
		return adminErr(err)
	}
	done := "Approved"
	if verb == "reject" {
		done = "Rejected"
	}
	fmt.Fprintf(stdout, "%s %s %s; the audit log has it.\n", done, singular, id)
	return nil
}

// trendState words a candidate's review.
func trendState(trendable, requiresReview bool) string {
	switch {
	case requiresReview:
		return "to review"
	case trendable:
		return "approved"
	}
	return "rejected"
}

func listTrends(ctx context.Context, svc *social.Service, kind string, stdout io.Writer) error {
	a := social.CommandLine
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	switch kind {
	case "tags":
		tags, err := svc.AdminTrendingTags(ctx, a, 0, 0)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tSTATE\tTAG\tACCOUNTS\tPOSTS")
		for _, t := range tags {
			fmt.Fprintf(tw, "%d\t%s\t#%s\t%d\t%d\n", t.ID, trendState(t.Trendable, t.RequiresReview), t.Name, t.Accounts, t.Uses)
		}
	case "statuses":
		sts, err := svc.AdminTrendingStatuses(ctx, a, 0, 0)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tSTATE\tFAVOURITES+BOOSTS\tPOST")
		for _, t := range sts {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", t.Status.ID, trendState(t.Trendable, t.RequiresReview), t.Score, t.Status.URI)
		}
	case "links":
		links, err := svc.AdminTrendingLinks(ctx, a, 0, 0)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tSTATE\tACCOUNTS\tURL")
		for _, l := range links {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", l.ID, trendState(l.Trendable, l.RequiresReview), l.Accounts, l.URL)
		}
	case "publishers":
		pubs, err := svc.AdminTrendPublishers(ctx, a, 0, 0)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tSTATE\tDOMAIN")
		for _, p := range pubs {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", p.ID, trendState(p.Trendable, p.RequiresReview), p.Domain)
		}
	}
	return tw.Flush()
}
