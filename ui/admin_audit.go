package ui

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"rounds/social"
	"rounds/storage"
)

// adminAudit is GET /admin/audit: the audit log, newest first, filtered by
// action or target type.
func (h *handler) adminAudit(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermReadAudit)
	if sess == nil {
		return
	}
	q := r.URL.Query()
	f := storage.AuditFilter{Action: q.Get("action"), TargetType: q.Get("target_type"), TargetID: q.Get("target_id")}
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	const perPage = 50
	entries, err := h.social.AuditLog(r.Context(), social.StaffActor(sess.User), f, storage.Page{MaxID: maxID, Limit: perPage})
	if err != nil {
		h.adminFailed(w, r, "admin audit log", err)
		return
	}
	data := map[string]any{"Entries": entries, "Filter": f}
	if len(entries) == perPage {
		next := r.URL.Query()
		next.Set("max_id", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		data["Next"] = "/admin/audit?" + next.Encode()
	}
	h.renderAdmin(w, r, sess, "admin_audit", "/admin/audit", data)
}

// adminAuditCSV is GET /admin/audit.csv: the whole log to download.
func (h *handler) adminAuditCSV(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermReadAudit)
	if sess == nil {
		return
	}
	// Written to a buffer first, so that a failure half-way is a proper
	// error page rather than a truncated file.
	var buf bytes.Buffer
	if err := h.social.WriteAuditCSV(r.Context(), social.StaffActor(sess.User), &buf); err != nil {
		h.adminFailed(w, r, "admin audit csv", err)
		return
	}
	name := "rounds-audit-" + time.Now().UTC().Format("2006-01-02") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(buf.Bytes())
}
