package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

func (h *handler) statusRoutes(r chi.Router) {
	r.With(requireUser("write:statuses")).Post("/api/v1/statuses", h.postStatus)
	r.With(publicRoute("read:statuses")).Get("/api/v1/statuses/{id}", h.getStatus)
	r.With(publicRoute("read:statuses")).Get("/api/v1/statuses/{id}/context", h.statusContext)
	r.With(publicRoute("read:statuses")).Get("/api/v1/statuses/{id}/history", h.statusHistory)
	r.With(requireUser("read:statuses")).Get("/api/v1/statuses/{id}/source", h.statusSource)
	r.With(requireUser("write:statuses")).Put("/api/v1/statuses/{id}", h.editStatus)
	r.With(requireUser("write:statuses")).Delete("/api/v1/statuses/{id}", h.deleteStatus)
	r.With(requireUser("write:favourites")).Post("/api/v1/statuses/{id}/favourite", h.favourite)
	r.With(requireUser("write:favourites")).Post("/api/v1/statuses/{id}/unfavourite", h.unfavourite)
	r.With(requireUser("write:statuses")).Post("/api/v1/statuses/{id}/reblog", h.reblog)
	r.With(requireUser("write:statuses")).Post("/api/v1/statuses/{id}/unreblog", h.unreblog)
	h.quoteRoutes(r)
}

// visibleStatus loads {id} if the requester may see it; otherwise 404, as
// Mastodon hides what you may not see.
func (h *handler) visibleStatus(r *http.Request) (*storage.Status, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return nil, social.ErrNotFound
	}
	st, err := h.social.StatusByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !h.social.MayView(r.Context(), me(r), st) {
		return nil, social.ErrNotFound
	}
	return st, nil
}

func newStatusFrom(p params) (social.NewStatus, error) {
	in := social.NewStatus{
		Text: p.str("status"), SpoilerText: p.str("spoiler_text"), Visibility: p.str("visibility"),
		Sensitive: p.boolean("sensitive"), Language: p.str("language"),
	}
	var err error
	in.InReplyToID, err = p.id("in_reply_to_id")
	for _, s := range p.list("media_ids") {
		if s == "" {
			continue // media_ids[]= with nothing: none (an edit taking every image off)
		}
		id, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			return in, errorf(http.StatusUnprocessableEntity, "Validation failed: media_ids must be ids")
		}
		in.MediaIDs = append(in.MediaIDs, id)
	}
	if err == nil {
		err = quoteFieldsFrom(p, &in)
	}
	if err != nil {
		return in, err
	}
	in.Poll, err = newPollFrom(p)
	if p.has("local_only") {
		// glitch-soc's parameter; without it a reply follows its parent.
		localOnly := p.boolean("local_only")
		in.LocalOnly = &localOnly
	}
	return in, err
}

func (h *handler) postStatus(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	in, err := newStatusFrom(p)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	if len(in.IdempotencyKey) > 200 {
		h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "The Idempotency-Key header is too long"))
		return
	}
	if in.InReplyToID != 0 {
		parent, err := h.social.StatusByID(r.Context(), in.InReplyToID)
		if err != nil || !h.social.MayView(r.Context(), u.Account, parent) {
			h.writeError(w, r, errorf(http.StatusNotFound, "The status you are replying to does not exist"))
			return
		}
	}
	if at := p.str("scheduled_at"); at != "" {
		h.scheduleStatus(w, r, u, in, at)
		return
	}
	st, err := h.social.PostStatus(r.Context(), u.Account, in)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Status(r.Context(), st))
}

func (h *handler) getStatus(w http.ResponseWriter, r *http.Request) {
	st, err := h.visibleStatus(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(me(r)).Status(r.Context(), st))
}

func (h *handler) statusContext(w http.ResponseWriter, r *http.Request) {
	st, err := h.visibleStatus(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	anc, desc, err := h.social.StatusContext(r.Context(), me(r), st)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(me(r)).inContext("thread")
	writeJSON(w, http.StatusOK, map[string]any{"ancestors": pr.Statuses(r.Context(), anc), "descendants": pr.Statuses(r.Context(), desc)})
}

func (h *handler) statusHistory(w http.ResponseWriter, r *http.Request) {
	st, err := h.visibleStatus(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	edits, err := h.social.StatusEdits(r.Context(), st)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(me(r))
	acct := pr.Account(r.Context(), st.Account)
	// Earlier versions' polls are not kept; the current one is shown.
	var poll any
	if v, err := h.social.PollOf(r.Context(), nil, st); err == nil && v != nil {
		opts := []map[string]string{}
		for _, o := range v.Options {
			opts = append(opts, map[string]string{"title": o})
		}
		poll = map[string]any{"options": opts}
	}
	versionMedia := func(e *storage.StatusEdit) []*MediaAttachment {
		out := []*MediaAttachment{}
		var media []*storage.Media
		var err error
		if e == nil {
			media, err = h.social.StatusMedia(r.Context(), st)
		} else {
			media, err = h.social.VersionMedia(r.Context(), st, e)
		}
		if err == nil {
			for _, m := range media {
				out = append(out, pr.Media(m))
			}
		}
		return out
	}
	var out []map[string]any
	for _, e := range edits {
		var editPoll any
		var titles []string
		if json.Unmarshal([]byte(e.PollOptions), &titles) == nil && len(titles) > 0 {
			opts := []map[string]string{}
			for _, o := range titles {
				opts = append(opts, map[string]string{"title": o})
			}
			editPoll = map[string]any{"options": opts}
		}
		out = append(out, map[string]any{
			"content": e.Content, "spoiler_text": e.SpoilerText, "sensitive": e.Sensitive,
			"created_at": mastoTime(e.CreatedAt), "account": acct, "poll": editPoll, "media_attachments": versionMedia(&e), "emojis": []any{},
		})
	}
	at := st.CreatedAt
	if st.EditedAt != nil {
		at = *st.EditedAt
	}
	out = append(out, map[string]any{
		"content": st.Content, "spoiler_text": st.SpoilerText, "sensitive": st.Sensitive,
		"created_at": mastoTime(at), "account": acct, "poll": poll, "media_attachments": versionMedia(nil), "emojis": []any{},
	})
	writeJSON(w, http.StatusOK, out)
}

// statusSource answers Mastodon's StatusSource: the text a post was
// written as, which apps (Tusky, Phanpy) load before editing it.
func (h *handler) statusSource(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		h.writeError(w, r, social.ErrNotFound)
		return
	}
	st, err := h.social.StatusSource(r.Context(), me(r), id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": idString(st.ID), "text": st.Text, "spoiler_text": st.SpoilerText})
}

func (h *handler) editStatus(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	st, err := h.visibleStatus(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	in, err := newStatusFrom(p)
	if err == nil {
		in.MediaAttributes, err = mediaAttributesFrom(p)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	// Given media_ids (even none) replace the images; without them the
	// images stay, so a client editing only the text keeps them.
	in.ReplaceMedia = p.has("media_ids[]") || p.has("media_ids")
	st, err = h.social.EditStatus(r.Context(), u.Account, st.ID, in)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Status(r.Context(), st))
}

func (h *handler) deleteStatus(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	st, err := h.visibleStatus(r)
	if errors.Is(err, social.ErrNotFound) {
		// One's own boost of a post one may no longer see (its author
		// suspended or blocking one) is hidden, but may still be deleted.
		if id, perr := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64); perr == nil {
			if own, oerr := h.social.StatusByID(r.Context(), id); oerr == nil && own.AccountID == u.Account.ID && own.ReblogOfID != nil {
				out := h.presenter(u.Account).Status(r.Context(), own)
				out.Reblog = nil // what it boosted stays hidden
				if _, err := h.social.DeleteStatus(r.Context(), u.Account, own.ID); err != nil {
					h.writeError(w, r, err)
					return
				}
				writeJSON(w, http.StatusOK, out)
				return
			}
		}
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	// Render before deleting: the answer is the status as it was, with
	// its source text so apps can offer "delete and redraft".
	out := h.presenter(u.Account).Status(r.Context(), st)
	if _, err := h.social.DeleteStatus(r.Context(), u.Account, st.ID); err != nil {
		h.writeError(w, r, err)
		return
	}
	if st.Text != "" {
		out.Text = &st.Text
	}
	writeJSON(w, http.StatusOK, out)
}

// statusAction runs act on a visible status and answers it in its new
// state (for unreblog and unfavourite, the original status).
func (h *handler) statusAction(w http.ResponseWriter, r *http.Request, act func(me *storage.Account, st *storage.Status) (*storage.Status, error)) {
	u := currentUser(r) // requireUser on the route
	st, err := h.visibleStatus(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res, err := act(u.Account, st)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if res == nil {
		res, _ = h.social.StatusByID(r.Context(), st.ID)
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Status(r.Context(), res))
}

func (h *handler) favourite(w http.ResponseWriter, r *http.Request) {
	h.statusAction(w, r, func(me *storage.Account, st *storage.Status) (*storage.Status, error) {
		_, err := h.social.Favourite(r.Context(), me, st.ID)
		return nil, err
	})
}

func (h *handler) unfavourite(w http.ResponseWriter, r *http.Request) {
	h.statusAction(w, r, func(me *storage.Account, st *storage.Status) (*storage.Status, error) {
		_, err := h.social.Unfavourite(r.Context(), me, st.ID)
		return nil, err
	})
}

func (h *handler) reblog(w http.ResponseWriter, r *http.Request) {
	h.statusAction(w, r, func(me *storage.Account, st *storage.Status) (*storage.Status, error) {
		return h.social.Reblog(r.Context(), me, st.ID)
	})
}

func (h *handler) unreblog(w http.ResponseWriter, r *http.Request) {
	h.statusAction(w, r, func(me *storage.Account, st *storage.Status) (*storage.Status, error) {
		return nil, h.social.Unreblog(r.Context(), me, st.ID)
	})
}
