package ui

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// postView is a status as a page shows it.
type postView struct {
	ID          int64
	URL         string
	Content     template.HTML // sanitised when stored: escaped local text or remote HTML through the allowlist
	SpoilerText string
	CreatedAt   string
}

func viewPost(st *storage.Status) postView {
	return postView{
		ID: st.ID, URL: st.URL,
		Content:     template.HTML(st.Content), // #nosec G203 -- stored content is sanitised on the way in
		SpoilerText: st.SpoilerText,
		CreatedAt:   st.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"),
	}
}

// profile is the public page of a local account: a plain page for now.
func (h *handler) profile(w http.ResponseWriter, r *http.Request) {
	a, err := h.social.LocalAccount(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	sts, err := h.social.PublicStatuses(r.Context(), a, storage.Page{Limit: 20})
	if err != nil {
		h.log.Error("profile: statuses", "error", err)
	}
	var posts []postView
	for _, st := range sts {
		if st.Visibility == social.VisibilityPublic && st.ReblogOfID == nil {
			posts = append(posts, viewPost(st))
		}
	}
	counts, _ := h.social.Counts(r.Context(), a)
	w.Header().Set("Link", `<`+a.URI+`>; rel="alternate"; type="application/activity+json"`)
	h.render(w, r, http.StatusOK, "profile", map[string]any{
		"Account": a, "Note": template.HTML(a.Note), "Posts": posts, "Counts": counts, // #nosec G203 -- notes are escaped or sanitised when stored
	})
}

// post is the public page of one local post.
func (h *handler) post(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return
	}
	st, err := h.social.StatusByID(r.Context(), id)
	if err != nil || !st.Local || st.Account.Username != chi.URLParam(r, "username") || !social.VisibleToPublic(st) || st.Account.Suspended() {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Link", `<`+st.URI+`>; rel="alternate"; type="application/activity+json"`)
	h.render(w, r, http.StatusOK, "post", map[string]any{"Account": st.Account, "Post": viewPost(st)})
}
