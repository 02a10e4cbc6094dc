package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"rounds/social"
)

// personView is an account as the search page lists it.
type personView struct {
	Name, Handle, URL string
}

// searchPage is GET /search?q=: posts found by their words (with the
// operators the app API takes) and people by name or address, for the
// person signed in, as the app API's search finds them; 20 posts a page.
func (h *handler) searchPage(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	ctx := r.Context()
	me := sess.User.Account
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Q": q}
	if len(q) > 1000 {
		h.problem(w, r, http.StatusBadRequest, "That search is too long; use fewer words.")
		return
	}
	if q != "" {
		p := pageOf(r)
		sts, err := h.social.FindStatuses(ctx, social.SearchQuery{Q: q, Viewer: me, Limit: p.Limit, MaxID: p.MaxID})
		if err != nil {
			h.log.Error("search", "account_id", me.ID, "error", err)
			h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
			return
		}
		data["Statuses"] = h.statusCards(ctx, me, sess.CSRFToken, sts)
		if len(sts) == p.Limit {
			data["Older"] = "/search?q=" + url.QueryEscape(q) + "&max_id=" + strconv.FormatInt(sts[len(sts)-1].ID, 10)
		}
		if p.MaxID == 0 {
			accts, err := h.social.FindAccounts(ctx, social.SearchQuery{Q: q, Viewer: me, Limit: 10})
			if err != nil {
				h.log.Error("search accounts", "account_id", me.ID, "error", err)
			}
			var people []personView
			for _, a := range accts {
				people = append(people, personView{Name: displayName(a), Handle: h.handle(a), URL: a.URL})
			}
			data["People"] = people
		}
	}
	h.renderMe(w, r, sess, http.StatusOK, "search", data)
}
