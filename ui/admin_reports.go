package ui

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"rounds/social"
	"rounds/storage"
)

// adminReports is GET /admin/reports: open reports, or resolved ones with
// ?resolved=1.
func (h *handler) adminReports(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	resolved := r.URL.Query().Get("resolved") == "1"
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	const perPage = 40
	reports, err := h.social.Reports(r.Context(), social.StaffActor(sess.User), storage.ReportFilter{Resolved: resolved}, storage.Page{MaxID: maxID, Limit: perPage})
	if err != nil {
		h.adminFailed(w, r, "admin reports", err)
		return
	}
	data := map[string]any{"Reports": reports, "Resolved": resolved}
	if len(reports) == perPage {
		next := url.Values{"max_id": {strconv.FormatInt(reports[len(reports)-1].ID, 10)}}
		if resolved {
			next.Set("resolved", "1")
		}
		data["Next"] = "/admin/reports?" + next.Encode()
	}
	h.renderAdmin(w, r, sess, "admin_reports", "/admin/reports", data)
}

// reportedPost is a post a report names, as the report page shows it.
type reportedPost struct {
	URL         string
	Content     template.HTML
	SpoilerText string
	CreatedAt   string
}

// adminReport is GET /admin/reports/{id}: the report with the posts it
// names, and the forms to resolve it.
func (h *handler) adminReport(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	ctx := r.Context()
	actor := social.StaffActor(sess.User)
	rep, err := h.social.ReportByID(ctx, actor, adminPathID(r))
	if err != nil {
		h.adminFailed(w, r, "admin report", err)
		return
	}
	sts, err := h.social.ReportStatuses(ctx, rep)
	if err != nil {
		h.adminFailed(w, r, "admin report: posts", err)
		return
	}
	posts := make([]reportedPost, len(sts))
	for i, st := range sts {
		posts[i] = reportedPost{
			URL:         st.URL,
			Content:     template.HTML(st.Content), // #nosec G203 -- stored content is sanitised on the way in
			SpoilerText: st.SpoilerText,
			CreatedAt:   st.CreatedAt.UTC().Format(adminTimeLayout),
		}
	}
	target, err := h.social.AdminAccount(ctx, actor, rep.TargetAccountID)
	if err != nil {
		h.adminFailed(w, r, "admin report: target", err)
		return
	}
	h.renderAdmin(w, r, sess, "admin_report", "/admin/reports", map[string]any{
		"Report": rep, "Posts": posts, "Target": viewAccountRow(target),
		"Mine": rep.AssignedAccountID != nil && *rep.AssignedAccountID == sess.User.AccountID,
	})
}

// A report action is one POST /admin/reports/{id}/... form.
type reportActionFunc func(ctx context.Context, s *social.Service, a social.Actor, rep *storage.Report, form url.Values) (done string, err error)

// reportAction wraps do as a handler: the CSRF check, the report, the call,
// and back to the report.
func (h *handler) reportAction(do reportActionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, form := h.postedForm(w, r)
		if sess == nil {
			return
		}
		actor := social.StaffActor(sess.User)
		rep, err := h.social.ReportByID(r.Context(), actor, adminPathID(r))
		if err != nil {
			h.adminFailed(w, r, "admin: report action", err)
			return
		}
		done, err := do(r.Context(), h.social, actor, rep, form)
		if err != nil {
			h.adminFailed(w, r, "admin: report action", err)
			return
		}
		redirectDone(w, r, "/admin/reports/"+strconv.FormatInt(rep.ID, 10), done)
	}
}

func assignReport(ctx context.Context, s *social.Service, a social.Actor, rep *storage.Report, _ url.Values) (string, error) {
	_, err := s.AssignReport(ctx, a, rep.ID, true)
	return "assigned", err
}

func unassignReport(ctx context.Context, s *social.Service, a social.Actor, rep *storage.Report, _ url.Values) (string, error) {
	_, err := s.AssignReport(ctx, a, rep.ID, false)
	return "unassigned", err
}

// resolveReport closes the report, with an action on its target when the
// form's action is warn, silence, suspend or disable ("resolve" for none).
func resolveReport(ctx context.Context, s *social.Service, a social.Actor, rep *storage.Report, form url.Values) (string, error) {
	text := strings.TrimSpace(form.Get("text"))
	switch act := form.Get("action"); act {
	case "", "resolve":
		_, err := s.ResolveReport(ctx, a, rep.ID, text)
		return "resolved", err
	case "warn":
		return "resolved", s.TakeAction(ctx, a, rep.TargetAccountID, social.AccountAction{Type: social.ActionWarn, Text: text, ReportID: rep.ID})
	default:
		return "resolved", s.TakeAction(ctx, a, rep.TargetAccountID, social.AccountAction{Type: act, Text: text, ReportID: rep.ID})
	}
}

func reopenReport(ctx context.Context, s *social.Service, a social.Actor, rep *storage.Report, form url.Values) (string, error) {
	_, err := s.ReopenReport(ctx, a, rep.ID, strings.TrimSpace(form.Get("text")))
	return "reopened", err
}
