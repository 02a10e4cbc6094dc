package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// adminReportRoutes mounts /api/v1/admin/reports: moderators' work.
func (h *handler) adminReportRoutes(r chi.Router) {
	read := requireStaff("admin:read:reports", social.PermModerate)
	write := requireStaff("admin:write:reports", social.PermModerate)
	r.With(read).Get("/api/v1/admin/reports", h.adminReports)
	r.With(read).Get("/api/v1/admin/reports/{id}", h.idAction(h.adminReport))
	r.With(write).Put("/api/v1/admin/reports/{id}", h.idAction(func(r *http.Request, id int64, p params) (any, error) {
		var rules []string
		if p.has("rule_ids[]") || p.has("rule_ids") {
			rules = p.list("rule_ids")
			if rules == nil {
				rules = []string{}
			}
		}
		rep, err := h.social.UpdateReport(r.Context(), staffActor(r), id, p.str("category"), rules)
		if err != nil {
			return nil, err
		}
		return h.presenter(me(r)).AdminReport(r.Context(), rep), nil
	}))
	r.With(write).Post("/api/v1/admin/reports/{id}/assign_to_self", h.reportChange(func(ctx context.Context, a social.Actor, id int64) (*storage.Report, error) {
		return h.social.AssignReport(ctx, a, id, true)
	}))
	r.With(write).Post("/api/v1/admin/reports/{id}/unassign", h.reportChange(func(ctx context.Context, a social.Actor, id int64) (*storage.Report, error) {
		return h.social.AssignReport(ctx, a, id, false)
	}))
	r.With(write).Post("/api/v1/admin/reports/{id}/resolve", h.reportChange(func(ctx context.Context, a social.Actor, id int64) (*storage.Report, error) {
		return h.social.ResolveReport(ctx, a, id, "")
	}))
	r.With(write).Post("/api/v1/admin/reports/{id}/reopen", h.reportChange(func(ctx context.Context, a social.Actor, id int64) (*storage.Report, error) {
		return h.social.ReopenReport(ctx, a, id, "")
	}))
	r.With(requireUser("write:reports")).Post("/api/v1/reports", h.fileReport)
}

// AdminReport is Mastodon's Admin::Report entity.
type AdminReport struct {
	ID                   string        `json:"id"`
	ActionTaken          bool          `json:"action_taken"`
	ActionTakenAt        *string       `json:"action_taken_at"`
	Category             string        `json:"category"`
	Comment              string        `json:"comment"`
	Forwarded            bool          `json:"forwarded"`
	CreatedAt            string        `json:"created_at"`
	UpdatedAt            string        `json:"updated_at"`
	Account              *AdminAccount `json:"account"`
	TargetAccount        *AdminAccount `json:"target_account"`
	AssignedAccount      *AdminAccount `json:"assigned_account"`
	ActionTakenByAccount *AdminAccount `json:"action_taken_by_account"`
	Statuses             []*Status     `json:"statuses"`
	Rules                []any         `json:"rules"`
}

// Report is Mastodon's Report entity, as its reporter sees it.
type Report struct {
	ID            string   `json:"id"`
	ActionTaken   bool     `json:"action_taken"`
	ActionTakenAt *string  `json:"action_taken_at"`
	Category      string   `json:"category"`
	Comment       string   `json:"comment"`
	Forwarded     bool     `json:"forwarded"`
	CreatedAt     string   `json:"created_at"`
	StatusIDs     []string `json:"status_ids"`
	RuleIDs       []string `json:"rule_ids"`
	TargetAccount *Account `json:"target_account"`
}

func (p *present) adminAccountByID(ctx context.Context, id *int64) *AdminAccount {
	if id == nil {
		return nil
	}
	aa, err := p.h.social.AdminAccount(ctx, social.CommandLine, *id)
	if err != nil {
		return nil
	}
	return p.AdminAccount(ctx, aa)
}

func (p *present) AdminReport(ctx context.Context, r *storage.Report) *AdminReport {
	out := &AdminReport{
		ID: idString(r.ID), ActionTaken: r.ActionTakenAt != nil, Category: r.Category, Comment: r.Comment,
		Forwarded: r.Forwarded, CreatedAt: mastoTime(r.CreatedAt), UpdatedAt: mastoTime(r.UpdatedAt),
		Account: p.adminAccountByID(ctx, &r.AccountID), TargetAccount: p.adminAccountByID(ctx, &r.TargetAccountID),
		AssignedAccount: p.adminAccountByID(ctx, r.AssignedAccountID), ActionTakenByAccount: p.adminAccountByID(ctx, r.ActionTakenByAccountID),
		Statuses: []*Status{}, Rules: []any{},
	}
	if r.ActionTakenAt != nil {
		t := mastoTime(*r.ActionTakenAt)
		out.ActionTakenAt = &t
	}
	if sts, err := p.h.social.ReportStatuses(ctx, r); err == nil && len(sts) > 0 {
		out.Statuses = p.Statuses(ctx, sts)
	}
	return out
}

func (p *present) Report(ctx context.Context, r *storage.Report) *Report {
	out := &Report{
		ID: idString(r.ID), ActionTaken: r.ActionTakenAt != nil, Category: r.Category, Comment: r.Comment,
		Forwarded: r.Forwarded, CreatedAt: mastoTime(r.CreatedAt), StatusIDs: []string{}, RuleIDs: []string{},
		TargetAccount: p.Account(ctx, r.TargetAccount),
	}
	if r.ActionTakenAt != nil {
		t := mastoTime(*r.ActionTakenAt)
		out.ActionTakenAt = &t
	}
	_ = json.Unmarshal([]byte(r.StatusIDs), &out.StatusIDs)
	_ = json.Unmarshal([]byte(r.RuleIDs), &out.RuleIDs)
	return out
}

func (h *handler) adminReports(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	page, err := pageFrom(p, 100, 200)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	f := storage.ReportFilter{Resolved: p.boolean("resolved")}
	if f.AccountID, err = p.id("account_id"); err != nil {
		h.writeError(w, r, err)
		return
	}
	if f.TargetAccountID, err = p.id("target_account_id"); err != nil {
		h.writeError(w, r, err)
		return
	}
	list, err := h.social.Reports(r.Context(), staffActor(r), f, page)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(me(r))
	out := make([]*AdminReport, len(list))
	for i, rep := range list {
		out[i] = pr.AdminReport(r.Context(), rep)
	}
	if len(list) > 0 {
		setLink(w, r, h.social.BaseURL(), list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) adminReport(r *http.Request, id int64, _ params) (any, error) {
	rep, err := h.social.ReportByID(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return h.presenter(me(r)).AdminReport(r.Context(), rep), nil
}

// reportChange runs one action on the report {id} and answers the report
// in its new state.
func (h *handler) reportChange(act func(ctx context.Context, a social.Actor, id int64) (*storage.Report, error)) http.HandlerFunc {
	return h.idAction(func(r *http.Request, id int64, _ params) (any, error) {
		rep, err := act(r.Context(), staffActor(r), id)
		if err != nil {
			return nil, err
		}
		return h.presenter(me(r)).AdminReport(r.Context(), rep), nil
	})
}

// fileReport is POST /api/v1/reports.
func (h *handler) fileReport(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	target, err := p.id("account_id")
	if err != nil || target == 0 {
		h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "Validation failed: Account can't be blank"))
		return
	}
	in := social.NewReport{TargetAccountID: target, Comment: p.str("comment"), Category: p.str("category"),
		RuleIDs: p.list("rule_ids"), Forward: p.boolean("forward")}
	for _, s := range p.list("status_ids") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "Validation failed: status_ids must be ids"))
			return
		}
		in.StatusIDs = append(in.StatusIDs, id)
	}
	rep, err := h.social.Report(r.Context(), me(r), in)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(me(r)).Report(r.Context(), rep))
}
