package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"rounds/storage"
)

// pageFrom reads max_id, since_id, min_id and limit (default 20, at most
// max).
func pageFrom(p params, def, max int) (storage.Page, error) {
	var pg storage.Page
	var err error
	if pg.MaxID, err = p.id("max_id"); err != nil {
		return pg, err
	}
	if pg.SinceID, err = p.id("since_id"); err != nil {
		return pg, err
	}
	if pg.MinID, err = p.id("min_id"); err != nil {
		return pg, err
	}
	pg.Limit = def
	if s := p.str("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return pg, errorf(http.StatusBadRequest, "limit must be a positive number")
		}
		pg.Limit = min(n, max)
	}
	return pg, nil
}

// setLink writes the Link header clients page with: next (older) first,
// then prev (newer). An empty page has no next, or clients loop forever.
func setLink(w http.ResponseWriter, r *http.Request, base string, newest, oldest int64, n int) {
	if n == 0 {
		return
	}
	mk := func(key string, id int64) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			if k == "max_id" || k == "min_id" || k == "since_id" {
				continue
			}
			q[k] = v
		}
		q.Set(key, strconv.FormatInt(id, 10))
		return "<" + base + r.URL.Path + "?" + q.Encode() + ">"
	}
	links := []string{mk("max_id", oldest) + `; rel="next"`, mk("min_id", newest) + `; rel="prev"`}
	w.Header().Set("Link", strings.Join(links, ", "))
}

// linkStatuses sets Link for a page of statuses, newest first.
func (h *handler) linkStatuses(w http.ResponseWriter, r *http.Request, sts []*storage.Status) {
	if len(sts) == 0 {
		return
	}
	setLink(w, r, h.social.BaseURL(), sts[0].ID, sts[len(sts)-1].ID, len(sts))
}

// pageParams reads a list request's parameters and page; on bad input it
// answers the error itself and reports false.
func (h *handler) pageParams(w http.ResponseWriter, r *http.Request, def, max int) (params, storage.Page, bool) {
	p, err := parseParams(r)
	if err == nil {
		var pg storage.Page
		if pg, err = pageFrom(p, def, max); err == nil {
			return p, pg, true
		}
	}
	h.writeError(w, r, err)
	return nil, storage.Page{}, false
}
