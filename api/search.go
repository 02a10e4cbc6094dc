package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

func (h *handler) searchRoutes(r chi.Router) {
	r.With(requireScope("read:search")).Get("/api/v2/search", h.search)
	r.HandleFunc("/api/*", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
	})
}

// search finds accounts by username, @user@domain (asking the other server
// when resolve=true and the token has a user) and hashtags by #tag. Status
// search is not built; statuses is always empty.
func (h *handler) search(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := strings.TrimSpace(p.str("q"))
	if q == "" {
		h.writeError(w, r, errorf(http.StatusBadRequest, "q is missing"))
		return
	}
	typ := p.str("type")
	out := map[string]any{"accounts": []*Account{}, "statuses": []any{}, "hashtags": []any{}}
	viewer := me(r)
	if typ == "" || typ == "accounts" {
		resolve := p.boolean("resolve") && viewer != nil
		accts, err := h.social.SearchAccounts(r.Context(), q, resolve, 20)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		pr := h.presenter(viewer)
		list := make([]*Account, 0, len(accts))
		for _, a := range accts {
			list = append(list, pr.Account(r.Context(), a))
		}
		out["accounts"] = list
	}
	if (typ == "" || typ == "hashtags") && strings.HasPrefix(q, "#") && len(q) > 1 {
		name := strings.ToLower(strings.TrimPrefix(q, "#"))
		out["hashtags"] = []map[string]any{{"name": name, "url": h.social.BaseURL() + "/tags/" + name, "history": []any{}, "following": false}}
	}
	writeJSON(w, http.StatusOK, out)
}
