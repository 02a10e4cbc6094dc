package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// adminAuditRoutes mounts GET /api/v1/admin/audit_log, a Rounds extension:
// the append-only log of staff actions, as JSON pages or (format=csv) the
// whole log as CSV. Admins only.
func (h *handler) adminAuditRoutes(r chi.Router) {
	r.With(requireStaff("admin:read", social.PermReadAudit)).Get("/api/v1/admin/audit_log", h.auditLog)
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	ID         string  `json:"id"`
	CreatedAt  string  `json:"created_at"`
	Actor      string  `json:"actor"`
	ActorID    *string `json:"actor_account_id"`
	Action     string  `json:"action"`
	TargetType string  `json:"target_type"`
	TargetID   string  `json:"target_id"`
	Target     string  `json:"target"`
	Reason     string  `json:"reason"`
	Detail     *string `json:"detail"`
}

func (h *handler) auditLog(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if p.str("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="rounds-audit-log.csv"`)
		if err := h.social.WriteAuditCSV(r.Context(), staffActor(r), w); err != nil {
			h.log.Error("audit log CSV", "error", err)
		}
		return
	}
	page, err := pageFrom(p, 40, 200)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	f := storage.AuditFilter{Action: p.str("action"), TargetType: p.str("target_type"), TargetID: p.str("target_id")}
	entries, err := h.social.AuditLog(r.Context(), staffActor(r), f, page)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]AuditEntry, len(entries))
	for i, e := range entries {
		out[i] = AuditEntry{ID: idString(e.ID), CreatedAt: mastoTime(e.CreatedAt), Actor: e.Actor, ActorID: optID(e.ActorAccountID),
			Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Target: e.Target, Reason: e.Reason, Detail: optString(e.Detail)}
	}
	if len(entries) > 0 {
		setLink(w, r, h.social.BaseURL(), entries[0].ID, entries[len(entries)-1].ID, len(entries))
	}
	writeJSON(w, http.StatusOK, out)
}
