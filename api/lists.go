package api

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// List is Mastodon's List entity.
type List struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	RepliesPolicy string `json:"replies_policy"`
	Exclusive     bool   `json:"exclusive"`
}

func listEntity(l *storage.List) *List {
	return &List{ID: idString(l.ID), Title: l.Title, RepliesPolicy: l.RepliesPolicy, Exclusive: l.Exclusive}
}

func listEntities(ls []*storage.List) []*List {
	out := make([]*List, 0, len(ls))
	for _, l := range ls {
		out = append(out, listEntity(l))
	}
	return out
}

func (h *handler) listRoutes(r chi.Router) {
	r.With(requireUser("read:lists")).Get("/api/v1/lists", h.lists)
	r.With(requireUser("write:lists")).Post("/api/v1/lists", h.createList)
	r.With(requireUser("read:lists")).Get("/api/v1/lists/{id}", h.idAction(h.getList))
	r.With(requireUser("write:lists")).Put("/api/v1/lists/{id}", h.idAction(h.updateList))
	r.With(requireUser("write:lists")).Delete("/api/v1/lists/{id}", h.idAction(h.deleteList))
	r.With(requireUser("read:lists")).Get("/api/v1/lists/{id}/accounts", h.listAccounts)
	r.With(requireUser("write:lists")).Post("/api/v1/lists/{id}/accounts", h.addListAccounts)
	r.With(requireUser("write:lists")).Delete("/api/v1/lists/{id}/accounts", h.removeListAccounts)
	r.With(requireUser("read:lists")).Get("/api/v1/accounts/{id}/lists", h.accountLists)
	r.With(requireUser("read:lists")).Get("/api/v1/timelines/list/{id}", h.listTimeline)
}

func (h *handler) lists(w http.ResponseWriter, r *http.Request) {
	ls, err := h.social.Lists(r.Context(), me(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listEntities(ls))
}

// listInput reads title, replies_policy and exclusive, those given.
func listInput(p params) social.ListInput {
	var in social.ListInput
	if p.has("title") {
		t := p.str("title")
		in.Title = &t
	}
	if p.has("replies_policy") {
		rp := p.str("replies_policy")
		in.RepliesPolicy = &rp
	}
	if p.has("exclusive") {
		ex := p.boolean("exclusive")
		in.Exclusive = &ex
	}
	return in
}

func (h *handler) createList(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	l, err := h.social.CreateList(r.Context(), me(r), listInput(p))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listEntity(l))
}

func (h *handler) getList(r *http.Request, id int64, _ params) (any, error) {
	l, err := h.social.List(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return listEntity(l), nil
}

func (h *handler) updateList(r *http.Request, id int64, p params) (any, error) {
	l, err := h.social.UpdateList(r.Context(), me(r), id, listInput(p))
	if err != nil {
		return nil, err
	}
	return listEntity(l), nil
}

func (h *handler) deleteList(r *http.Request, id int64, _ params) (any, error) {
	return nil, h.social.DeleteList(r.Context(), me(r), id)
}

// listAccounts pages the list's members (40 by default, at most 80);
// limit=0 returns them all at once, without a Link header, as Mastodon.
func (h *handler) listAccounts(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var pg storage.Page
	all := r.URL.Query().Get("limit") == "0"
	if all {
		pg.Limit = -1
	} else {
		var ok bool
		if _, pg, ok = h.pageParams(w, r, 40, 80); !ok {
			return
		}
	}
	accts, cursors, err := h.social.ListAccounts(r.Context(), me(r), id, pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if all {
		cursors = nil
	}
	h.writeAccounts(w, r, accts, cursors)
}

func (h *handler) addListAccounts(w http.ResponseWriter, r *http.Request) {
	h.changeListAccounts(w, r, h.social.AddToList)
}

func (h *handler) removeListAccounts(w http.ResponseWriter, r *http.Request) {
	h.changeListAccounts(w, r, h.social.RemoveFromList)
}

func (h *handler) changeListAccounts(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, me *storage.Account, id int64, accountIDs []int64) error) {
	id, err := pathID(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	p, err := listParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var ids []int64
	for _, s := range p.list("account_ids") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			h.writeError(w, r, social.ErrNotFound)
			return
		}
		ids = append(ids, n)
	}
	if err := change(r.Context(), me(r), id, ids); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}

// listParams is parseParams that also reads a form body on DELETE, which
// net/http leaves unread and client libraries (go-mastodon, Mastodon.py)
// send account_ids[] in.
func listParams(r *http.Request) (params, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodDelete || ct != "application/x-www-form-urlencoded" || r.Body == nil {
		return parseParams(r)
	}
	p := params{}
	for k, v := range r.URL.Query() {
		p[k] = append(p[k], v...)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "The form could not be read: %v", err)
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "The form could not be read: %v", err)
	}
	for k, v := range form {
		p[k] = append(p[k], v...)
	}
	return p, nil
}

func (h *handler) accountLists(w http.ResponseWriter, r *http.Request) {
	a, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ls, err := h.social.ListsContaining(r.Context(), me(r), a)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listEntities(ls))
}

func (h *handler) listTimeline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	// An unknown or another's list is 404 even when the page is empty.
	if _, err := h.social.List(r.Context(), me(r), id); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.timeline(w, r, func(pg storage.Page) ([]*storage.Status, error) {
		return h.social.ListTimeline(r.Context(), me(r), id, pg)
	})
}
