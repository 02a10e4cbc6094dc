package social

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"rounds/storage"
)

// Report categories, as Mastodon's.
var reportCategories = []string{"spam", "legal", "violation", "other"}

// PublishFlag forwards a report to the reported account's server, from the
// instance actor so that the reporter stays anonymous.
const PublishFlag = "Flag"

// MaxReportComment is the longest report comment accepted.
const MaxReportComment = 1000

// NewReport is a user's report of an account and some of its posts.
type NewReport struct {
	TargetAccountID int64
	StatusIDs       []int64
	Comment         string
	Category        string
	RuleIDs         []string
	// Forward sends a copy to the reported account's server, when remote.
	Forward bool
}

// Report files me's report. Reported posts must be the target's and
// visible to me.
func (s *Service) Report(ctx context.Context, me *storage.Account, in NewReport) (*storage.Report, error) {
	if in.Category == "" {
		in.Category = "other"
		if len(in.RuleIDs) > 0 {
			in.Category = "violation"
		}
	}
	if !slices.Contains(reportCategories, in.Category) {
		return nil, invalid("category", "must be spam, legal, violation or other")
	}
	in.Comment = strings.TrimSpace(in.Comment)
	if utf8.RuneCountInString(in.Comment) > MaxReportComment {
		return nil, invalid("comment", "is too long (at most 1000 characters)")
	}
	if in.TargetAccountID == me.ID {
		return nil, invalid("account_id", "you cannot report yourself")
	}
	target, err := s.db.AccountByID(ctx, in.TargetAccountID)
	if err != nil {
		return nil, domainErr(err)
	}
	var uris []string
	statusIDs := make([]string, 0, len(in.StatusIDs))
	for _, id := range in.StatusIDs {
		st, err := s.StatusByID(ctx, id)
		if err != nil {
			return nil, invalid("status_ids", "names a post that does not exist")
		}
		if st.AccountID != target.ID {
			return nil, invalid("status_ids", "names a post that is not by the reported account")
		}
		if !s.MayView(ctx, me, st) {
			return nil, invalid("status_ids", "names a post that does not exist")
		}
		uris = append(uris, st.URI)
		statusIDs = append(statusIDs, idString(id))
	}
	now := s.now()
	sj, _ := json.Marshal(statusIDs)
	rules := in.RuleIDs
	if rules == nil {
		rules = []string{}
	}
	rj, _ := json.Marshal(rules)
	r := &storage.Report{
		ID: storage.NewID(), AccountID: me.ID, TargetAccountID: target.ID,
		StatusIDs: string(sj), RuleIDs: string(rj), Comment: in.Comment, Category: in.Category,
		Forwarded: in.Forward && !target.Local(), CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertReport(ctx, r); err != nil {
			return err
		}
		if !r.Forwarded {
			return nil
		}
		inst, err := s.InstanceActor(ctx)
		if err != nil {
			return err
		}
		return s.publish(ctx, tx, PublishArgs{
			Type: PublishFlag, AccountID: inst.ID, TargetAccountID: target.ID,
			ActivityURI: s.base + "/reports/" + idString(r.ID),
			ObjectURIs:  uris, Content: in.Comment,
			Inboxes: []string{inboxOf(target)},
		})
	})
	if err != nil {
		return nil, domainErr(err)
	}
	r.Account, r.TargetAccount = me, target
	return r, nil
}

func inboxOf(a *storage.Account) string {
	if a.SharedInboxURL != "" {
		return a.SharedInboxURL
	}
	return a.InboxURL
}

// ReceiveFlag files a report arriving from another server: objects name
// the reported local account and any of its posts.
func (s *Service) ReceiveFlag(ctx context.Context, actor *storage.Account, uri string, objects []string, content string) error {
	// A domain block that rejects reports drops them here, the one place
	// every remote report passes: accepted (the sender need not retry) and
	// not stored, as Mastodon does.
	if p, err := s.DomainPolicy(ctx, actor.Domain); err != nil || p.RejectReports {
		return err
	}
	var target *storage.Account
	var statusIDs []string
	for _, o := range objects {
		if !strings.HasPrefix(o, s.base+"/") {
			continue
		}
		if a, err := s.db.AccountByURI(ctx, o); err == nil && a.Local() {
			target = a
			continue
		}
		if st, err := s.db.StatusByURI(ctx, o); err == nil && st.Local {
			if target == nil {
				if target, err = s.db.AccountByID(ctx, st.AccountID); err != nil {
					return err
				}
			}
			if st.AccountID == target.ID {
				statusIDs = append(statusIDs, idString(st.ID))
			}
		}
	}
	if target == nil {
		return invalid("object", "names no account on this server")
	}
	if utf8.RuneCountInString(content) > MaxReportComment {
		content = string([]rune(content)[:MaxReportComment])
	}
	now := s.now()
	if statusIDs == nil {
		statusIDs = []string{}
	}
	sj, _ := json.Marshal(statusIDs)
	r := &storage.Report{
		ID: storage.NewID(), AccountID: actor.ID, TargetAccountID: target.ID,
		StatusIDs: string(sj), RuleIDs: "[]", Comment: strings.TrimSpace(content), Category: "other",
		URI: &uri, CreatedAt: now, UpdatedAt: now,
	}
	err := s.db.InsertReport(ctx, r)
	if errors.Is(err, storage.ErrConflict) {
		return nil // the same Flag again
	}
	return domainErr(err)
}

// Reports lists reports for staff: open ones, or resolved ones.
func (s *Service) Reports(ctx context.Context, a Actor, f storage.ReportFilter, p storage.Page) ([]*storage.Report, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	return s.db.Reports(ctx, f, p)
}

// ReportByID returns one report for staff.
func (s *Service) ReportByID(ctx context.Context, a Actor, id int64) (*storage.Report, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	r, err := s.db.ReportByID(ctx, id)
	return r, domainErr(err)
}

// ReportStatuses returns the posts a report names that still exist.
func (s *Service) ReportStatuses(ctx context.Context, r *storage.Report) ([]*storage.Status, error) {
	var ids []string
	_ = json.Unmarshal([]byte(r.StatusIDs), &ids)
	var out []*storage.Status
	for _, raw := range ids {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			continue
		}
		if st, err := s.db.StatusByID(ctx, id); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// changeReport runs change on report id for a moderator, audited.
func (s *Service) changeReport(ctx context.Context, a Actor, id int64, action, reason string, change func(r *storage.Report) ([]string, error)) (*storage.Report, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	var out *storage.Report
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		r, err := tx.ReportByID(ctx, id)
		if err != nil {
			return err
		}
		cols, err := change(r)
		if err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		if err := tx.UpdateReport(ctx, r, append(cols, "updated_at")...); err != nil {
			return err
		}
		out = r
		return s.appendAudit(ctx, tx, a, audit{action: action, targetType: "report", targetID: idString(r.ID),
			target: "report " + idString(r.ID) + " on @" + r.TargetAccount.Username, reason: reason})
	})
	return out, domainErr(err)
}

// AssignReport gives report id to the acting moderator, or to nobody.
func (s *Service) AssignReport(ctx context.Context, a Actor, id int64, toSelf bool) (*storage.Report, error) {
	action := "unassign_report"
	if toSelf {
		action = "assign_report"
	}
	return s.changeReport(ctx, a, id, action, "", func(r *storage.Report) ([]string, error) {
		if toSelf {
			if a.User == nil {
				return nil, invalid("", "the command line cannot take a report; sign in as a moderator")
			}
			r.AssignedAccountID = &a.User.AccountID
		} else {
			r.AssignedAccountID = nil
		}
		return []string{"assigned_account_id"}, nil
	})
}

// UpdateReport changes what report id is about, as Mastodon's PUT
// /api/v1/admin/reports/:id does: its category, and the rules it names
// (ruleIDs nil leaves them; a violation must name at least one rule, as
// when a report is filed with rules).
func (s *Service) UpdateReport(ctx context.Context, a Actor, id int64, category string, ruleIDs []string) (*storage.Report, error) {
	return s.changeReport(ctx, a, id, "update_report", "", func(r *storage.Report) ([]string, error) {
		var cols []string
		if category != "" {
			if !slices.Contains(reportCategories, category) {
				return nil, invalid("category", "must be spam, legal, violation or other")
			}
			r.Category = category
			cols = append(cols, "category")
		}
		if ruleIDs != nil {
			rj, _ := json.Marshal(ruleIDs)
			r.RuleIDs = string(rj)
			cols = append(cols, "rule_ids")
		}
		if len(cols) == 0 {
			return nil, invalid("category", "give a category or rule_ids to change")
		}
		return cols, nil
	})
}

// ResolveReport closes report id without further action.
func (s *Service) ResolveReport(ctx context.Context, a Actor, id int64, reason string) (*storage.Report, error) {
	return s.changeReport(ctx, a, id, "resolve_report", reason, func(r *storage.Report) ([]string, error) {
		if r.ActionTakenAt != nil {
			return nil, invalid("", "the report is already resolved")
		}
		now := s.now()
		r.ActionTakenAt, r.ActionTakenByAccountID = &now, a.accountID()
		return []string{"action_taken_at", "action_taken_by_account_id"}, nil
	})
}

// ReopenReport opens a resolved report again.
func (s *Service) ReopenReport(ctx context.Context, a Actor, id int64, reason string) (*storage.Report, error) {
	return s.changeReport(ctx, a, id, "reopen_report", reason, func(r *storage.Report) ([]string, error) {
		if r.ActionTakenAt == nil {
			return nil, invalid("", "the report is not resolved")
		}
		r.ActionTakenAt, r.ActionTakenByAccountID = nil, nil
		return []string{"action_taken_at", "action_taken_by_account_id"}, nil
	})
}

// resolveReportTx marks a report resolved as part of an account action on
// its target.
func (s *Service) resolveReportTx(ctx context.Context, tx storage.Tx, a Actor, reportID, targetID int64) error {
	r, err := tx.ReportByID(ctx, reportID)
	if err != nil {
		return invalid("report_id", "names no report")
	}
	if r.TargetAccountID != targetID {
		return invalid("report_id", "is a report about another account")
	}
	if r.ActionTakenAt != nil {
		return nil
	}
	now := s.now()
	r.ActionTakenAt, r.ActionTakenByAccountID, r.UpdatedAt = &now, a.accountID(), now
	return tx.UpdateReport(ctx, r, "action_taken_at", "action_taken_by_account_id", "updated_at")
}
