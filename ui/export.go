package ui

import (
	"context"
	"io"
	"net/http"

	"rounds/storage"
)

// The export pages: GET /settings/export lists the downloads, and
// GET /settings/export/{file} downloads the accounts the signed-in person
// follows, blocks and mutes as Mastodon's CSV files (under Mastodon's file
// names, which its import recognises), and their posts as an ActivityStreams
// outbox.

// exportShow is GET /settings/export.
func (h *handler) exportShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	h.render(w, r, http.StatusOK, "settings_export", map[string]any{
		"Username": sess.User.Account.Username,
		"CSRF":     sess.CSRFToken,
	})
}

// exportFollowing is GET /settings/export/following_accounts.csv.
func (h *handler) exportFollowing(w http.ResponseWriter, r *http.Request) {
	h.exportCSV(w, r, "following_accounts.csv", h.social.ExportFollowing)
}

// exportBlocks is GET /settings/export/blocked_accounts.csv.
func (h *handler) exportBlocks(w http.ResponseWriter, r *http.Request) {
	h.exportCSV(w, r, "blocked_accounts.csv", h.social.ExportBlocks)
}

// exportMutes is GET /settings/export/muted_accounts.csv.
func (h *handler) exportMutes(w http.ResponseWriter, r *http.Request) {
	h.exportCSV(w, r, "muted_accounts.csv", h.social.ExportMutes)
}

func (h *handler) exportCSV(w http.ResponseWriter, r *http.Request, name string, export func(context.Context, *storage.Account) ([]byte, error)) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	body, err := export(r.Context(), sess.User.Account)
	if err != nil {
		h.exportFailed(w, r, name, err)
		return
	}
	attachment(w, "text/csv; charset=utf-8", name)
	_, _ = w.Write(body)
}

// exportOutbox is GET /settings/export/outbox.json: every post of the
// person's, streamed as it is read.
func (h *handler) exportOutbox(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	attachment(w, "application/activity+json", "outbox.json")
	out := &countingWriter{w: w}
	if err := h.social.ExportOutbox(r.Context(), sess.User.Account, out); err != nil {
		if out.n == 0 {
			w.Header().Del("Content-Disposition")
			h.exportFailed(w, r, "outbox.json", err)
			return
		}
		h.log.Error("export outbox.json", "account_id", sess.User.AccountID, "error", err)
		// Part of the file has gone out with a 200: break the connection
		// so that the browser reports a failed download instead of keeping
		// a cut-off archive.
		panic(http.ErrAbortHandler)
	}
}

// countingWriter counts what has been written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// attachment sets the headers of a download.
func attachment(w http.ResponseWriter, contentType, name string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
}

func (h *handler) exportFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Error("export "+what, "error", err)
	h.render(w, r, http.StatusInternalServerError, "settings_export", map[string]any{"Problem": "Something went wrong on our side; try again."})
}
