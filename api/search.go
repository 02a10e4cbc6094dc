package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

func (h *handler) searchRoutes(r chi.Router) {
	r.With(publicRoute("read:search")).Get("/api/v2/search", h.search)
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts/search", h.accountSearch)
	r.HandleFunc("/api/*", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
	})
}

// Tag is Mastodon's Tag entity, as search answers it.
type Tag struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	URL       string       `json:"url"`
	History   []TagHistory `json:"history"`
	Following bool         `json:"following"`
}

// TagHistory is one day of a hashtag's use; Mastodon sends numbers as
// strings here.
type TagHistory struct {
	Day      string `json:"day"`
	Uses     string `json:"uses"`
	Accounts string `json:"accounts"`
}

// searchQuery reads the parameters both searches share. Without a person's
// token, asking other servers (resolve) and paging (offset) are refused
// with 401, as Mastodon does.
func (h *handler) searchQuery(r *http.Request, p params, defLimit, maxLimit int) (social.SearchQuery, error) {
	q := social.SearchQuery{Q: strings.TrimSpace(p.str("q")), Viewer: me(r), Resolve: p.boolean("resolve"), Following: p.boolean("following")}
	if q.Q == "" {
		return q, errorf(http.StatusBadRequest, "q is missing")
	}
	if len(q.Q) > 1000 {
		return q, errorf(http.StatusBadRequest, "q is too long")
	}
	var err error
	if q.Limit, err = intParam(p, "limit", defLimit); err != nil {
		return q, err
	}
	if q.Limit <= 0 {
		q.Limit = defLimit
	}
	q.Limit = min(q.Limit, maxLimit)
	if q.Offset, err = intParam(p, "offset", 0); err != nil {
		return q, err
	}
	if q.Offset < 0 {
		return q, errorf(http.StatusBadRequest, "offset must not be negative")
	}
	if q.Viewer == nil && q.Resolve {
		return q, errorf(http.StatusUnauthorized, "Search queries that resolve remote resources are not supported without authentication")
	}
	if q.Viewer == nil && q.Offset > 0 {
		return q, errorf(http.StatusUnauthorized, "Search queries pagination is not supported without authentication")
	}
	return q, nil
}

// intParam reads key as a whole number, def when absent.
func intParam(p params, key string, def int) (int, error) {
	s := p.str(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "%s must be a number", key)
	}
	return n, nil
}

// search is GET /api/v2/search: accounts, statuses (by URL, or by their
// words for a signed-in viewer) and hashtags, per type, limit (default 20,
// at most 40) at a time.
func (h *handler) search(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q, err := h.searchQuery(r, p, 20, 40)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	typ := p.str("type")
	switch typ {
	case "", "accounts", "statuses", "hashtags":
	default:
		h.writeError(w, r, errorf(http.StatusBadRequest, "type must be accounts, statuses or hashtags"))
		return
	}
	if q.AccountID, err = p.id("account_id"); err != nil {
		h.writeError(w, r, err)
		return
	}
	if q.MaxID, err = p.id("max_id"); err != nil {
		h.writeError(w, r, err)
		return
	}
	if q.MinID, err = p.id("min_id"); err != nil {
		h.writeError(w, r, err)
		return
	}
	q.ExcludeUnreviewed = p.boolean("exclude_unreviewed")
	ctx := r.Context()
	pr := h.presenter(q.Viewer)
	out := map[string]any{"accounts": []*Account{}, "statuses": []*Status{}, "hashtags": []Tag{}}
	if typ == "" || typ == "accounts" {
		accts, err := h.social.FindAccounts(ctx, q)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		list := make([]*Account, 0, len(accts))
		for _, a := range accts {
			list = append(list, pr.Account(ctx, a))
		}
		out["accounts"] = list
	}
	if typ == "" || typ == "statuses" {
		sts, err := h.social.FindStatuses(ctx, q)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		out["statuses"] = append([]*Status{}, pr.Statuses(ctx, sts)...)
	}
	if typ == "" || typ == "hashtags" {
		tags, err := h.social.FindTags(ctx, q)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		ids := make([]int64, len(tags))
		for i, t := range tags {
			ids[i] = t.ID
		}
		following, err := h.social.FollowingTags(ctx, q.Viewer, ids)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		list := make([]Tag, 0, len(tags))
		for _, t := range tags {
			e := h.tagEntity(t)
			e.Following = following[t.ID]
			list = append(list, e)
		}
		out["hashtags"] = list
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) tagEntity(t social.FoundTag) Tag {
	out := Tag{ID: strconv.FormatInt(t.ID, 10), Name: t.Name, URL: h.social.BaseURL() + "/tags/" + t.Name, History: make([]TagHistory, 0, len(t.History))}
	for _, d := range t.History {
		out.History = append(out.History, TagHistory{
			Day: strconv.FormatInt(d.Day.Unix(), 10), Uses: strconv.Itoa(d.Uses), Accounts: strconv.Itoa(d.Accounts),
		})
	}
	return out
}

// accountSearch is GET /api/v1/accounts/search: accounts only, limit
// (default 40, at most 80) at a time.
func (h *handler) accountSearch(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q, err := h.searchQuery(r, p, 40, 80)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	accts, err := h.social.FindAccounts(r.Context(), q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(q.Viewer)
	list := make([]*Account, 0, len(accts))
	for _, a := range accts {
		list = append(list, pr.Account(r.Context(), a))
	}
	writeJSON(w, http.StatusOK, list)
}
