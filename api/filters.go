package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

func (h *handler) filterRoutes(r chi.Router) {
	read, write := requireUser("read:filters"), requireUser("write:filters")
	r.With(read).Get("/api/v1/filters", h.filtersV1)
	r.With(write).Post("/api/v1/filters", h.createFilterV1)
	r.With(read).Get("/api/v1/filters/{id}", h.idAction(h.filterV1))
	r.With(write).Put("/api/v1/filters/{id}", h.idAction(h.updateFilterV1))
	r.With(write).Delete("/api/v1/filters/{id}", h.idAction(h.deleteFilterV1))
	r.With(read).Get("/api/v2/filters", h.filters)
	r.With(write).Post("/api/v2/filters", h.createFilter)
	r.With(read).Get("/api/v2/filters/{id}", h.idAction(h.filter))
	r.With(write).Put("/api/v2/filters/{id}", h.idAction(h.updateFilter))
	r.With(write).Delete("/api/v2/filters/{id}", h.idAction(h.deleteFilter))
	r.With(read).Get("/api/v2/filters/{id}/keywords", h.idAction(h.filterKeywords))
	r.With(write).Post("/api/v2/filters/{id}/keywords", h.idAction(h.addFilterKeyword))
	r.With(read).Get("/api/v2/filters/keywords/{id}", h.idAction(h.filterKeyword))
	r.With(write).Put("/api/v2/filters/keywords/{id}", h.idAction(h.updateFilterKeyword))
	r.With(write).Delete("/api/v2/filters/keywords/{id}", h.idAction(h.deleteFilterKeyword))
	r.With(read).Get("/api/v2/filters/{id}/statuses", h.idAction(h.filterStatuses))
	r.With(write).Post("/api/v2/filters/{id}/statuses", h.idAction(h.addFilterStatus))
	r.With(read).Get("/api/v2/filters/statuses/{id}", h.idAction(h.filterStatus))
	r.With(write).Delete("/api/v2/filters/statuses/{id}", h.idAction(h.deleteFilterStatus))
}

// Filter is Mastodon's (v2) Filter entity.
type Filter struct {
	ID           string                `json:"id"`
	Title        string                `json:"title"`
	Context      []string              `json:"context"`
	ExpiresAt    *string               `json:"expires_at"`
	FilterAction string                `json:"filter_action"`
	Keywords     []*FilterKeywordEntry `json:"keywords"`
	Statuses     []*FilterStatusEntry  `json:"statuses"`
}

// FilterKeywordEntry is Mastodon's FilterKeyword entity.
type FilterKeywordEntry struct {
	ID        string `json:"id"`
	Keyword   string `json:"keyword"`
	WholeWord bool   `json:"whole_word"`
}

// FilterStatusEntry is Mastodon's FilterStatus entity.
type FilterStatusEntry struct {
	ID       string `json:"id"`
	StatusID string `json:"status_id"`
}

// FilterResult is Mastodon's FilterResult entity, one per filter in a
// status's `filtered`.
type FilterResult struct {
	Filter         *Filter  `json:"filter"`
	KeywordMatches []string `json:"keyword_matches"`
	StatusMatches  []string `json:"status_matches"`
}

// V1Filter is Mastodon's deprecated v1 Filter: one keyword of a filter.
type V1Filter struct {
	ID           string   `json:"id"`
	Phrase       string   `json:"phrase"`
	Context      []string `json:"context"`
	ExpiresAt    *string  `json:"expires_at"`
	Irreversible bool     `json:"irreversible"`
	WholeWord    bool     `json:"whole_word"`
}

func keywordEntry(k *storage.FilterKeyword) *FilterKeywordEntry {
	return &FilterKeywordEntry{ID: idString(k.ID), Keyword: k.Keyword, WholeWord: k.WholeWord}
}

func filterStatusEntry(s *storage.FilterStatus) *FilterStatusEntry {
	return &FilterStatusEntry{ID: idString(s.ID), StatusID: idString(s.StatusID)}
}

func filterExpiry(f *storage.Filter) *string {
	if f.ExpiresAt == nil {
		return nil
	}
	s := mastoTime(*f.ExpiresAt)
	return &s
}

func filterEntity(f *storage.Filter) *Filter {
	out := &Filter{
		ID: idString(f.ID), Title: f.Title, Context: social.FilterContextList(f), ExpiresAt: filterExpiry(f),
		FilterAction: f.Action, Keywords: []*FilterKeywordEntry{}, Statuses: []*FilterStatusEntry{},
	}
	for _, k := range f.Keywords {
		out.Keywords = append(out.Keywords, keywordEntry(k))
	}
	for _, s := range f.Statuses {
		out.Statuses = append(out.Statuses, filterStatusEntry(s))
	}
	return out
}

// inContext makes p apply the viewer's filters for a Mastodon filter
// context (home, notifications, public, thread, account): Statuses drops
// the statuses a hide filter matches and every status gets `filtered`.
func (p *present) inContext(c string) *present {
	p.filterCtx = c
	return p
}

// loadFilters reads the viewer's filters once for the whole request.
func (p *present) loadFilters(ctx context.Context) *social.FilterSet {
	if !p.filtersLoaded {
		p.filtersLoaded = true
		fs, err := p.h.social.ActiveFilters(ctx, p.me)
		if err != nil {
			p.h.log.Warn("load filters", "error", err)
		}
		p.filters = fs
	}
	return p.filters
}

// filterMatches returns what the viewer's filters say of st in p's context.
func (p *present) filterMatches(ctx context.Context, st *storage.Status) ([]social.FilterMatch, bool) {
	if p.me == nil || p.filterCtx == "" {
		return nil, false
	}
	return p.loadFilters(ctx).Match(st, p.filterCtx)
}

// filteredOf renders st's `filtered`: an empty array when nothing matched.
func (p *present) filteredOf(ctx context.Context, st *storage.Status) []any {
	out := []any{}
	ms, _ := p.filterMatches(ctx, st)
	for _, m := range ms {
		res := &FilterResult{Filter: filterEntity(m.Filter)}
		if m.Keywords != nil {
			res.KeywordMatches = m.Keywords
		}
		for _, id := range m.StatusIDs {
			res.StatusMatches = append(res.StatusMatches, idString(id))
		}
		out = append(out, res)
	}
	return out
}

// hidden reports whether a hide filter of the viewer's removes st (or the
// post it boosts) in p's context.
func (p *present) hidden(ctx context.Context, st *storage.Status) bool {
	if p.me == nil || p.filterCtx == "" || st == nil {
		return false
	}
	if _, hide := p.filterMatches(ctx, st); hide {
		return true
	}
	if st.ReblogOfID != nil {
		orig := p.origs[*st.ReblogOfID]
		if orig == nil {
			orig, _ = p.h.social.StatusByID(ctx, *st.ReblogOfID)
		}
		if orig != nil {
			_, hide := p.filterMatches(ctx, orig)
			return hide
		}
	}
	return false
}

// visibleAfterFilters drops the statuses a hide filter removes.
func (p *present) visibleAfterFilters(ctx context.Context, sts []*storage.Status) []*storage.Status {
	if p.me == nil || p.filterCtx == "" || p.loadFilters(ctx).Empty() {
		return sts
	}
	out := sts[:0:0]
	for _, st := range sts {
		if !p.hidden(ctx, st) {
			out = append(out, st)
		}
	}
	return out
}

// filterInput reads a filter's parameters; create is true for POST, where
// absent fields take their defaults.
func filterInput(p params, create bool) social.FilterInput {
	var in social.FilterInput
	if p.has("title") || create {
		t := p.str("title")
		in.Title = &t
	}
	if ctxs := p.list("context"); len(ctxs) > 0 || create || p.has("context[]") {
		in.Context = append([]string{}, ctxs...)
	}
	if p.has("filter_action") || create {
		a := p.str("filter_action")
		in.Action = &a
	}
	if p.has("expires_in") {
		n, _ := strconv.Atoi(p.str("expires_in"))
		in.ExpiresIn = &n
	}
	in.Keywords = keywordAttributes(p)
	return in
}

var keywordAttr = regexp.MustCompile(`^keywords_attributes\[(\d*)\]\[(\w+)\]$`)

// keywordAttributes reads keywords_attributes in Rails' shapes:
// keywords_attributes[0][keyword] (forms and JSON arrays) and
// keywords_attributes[][keyword] (the n-th value belongs to the n-th
// keyword).
func keywordAttributes(p params) []social.KeywordInput {
	type attrs map[string]string
	byIndex := map[int]attrs{}
	for key, vals := range p {
		m := keywordAttr.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		for i, v := range vals {
			idx := i
			if m[1] != "" {
				idx, _ = strconv.Atoi(m[1])
			}
			if byIndex[idx] == nil {
				byIndex[idx] = attrs{}
			}
			byIndex[idx][m[2]] = v
		}
	}
	idxs := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	var out []social.KeywordInput
	for _, i := range idxs {
		a := byIndex[i]
		id, _ := strconv.ParseInt(a["id"], 10, 64)
		ww := true
		if v, ok := a["whole_word"]; ok {
			ww = params{"x": {v}}.boolean("x")
		}
		out = append(out, social.KeywordInput{
			ID: id, Keyword: a["keyword"], WholeWord: ww, Destroy: params{"x": {a["_destroy"]}}.boolean("x"),
		})
	}
	return out
}

func (h *handler) filtersV1(w http.ResponseWriter, r *http.Request) {
	fs, err := h.social.Filters(r.Context(), me(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := []*V1Filter{}
	for _, f := range fs {
		for _, k := range f.Keywords {
			out = append(out, v1FilterEntity(f, k))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// v1FilterEntity is keyword k of filter f as a v1 Filter.
func v1FilterEntity(f *storage.Filter, k *storage.FilterKeyword) *V1Filter {
	return &V1Filter{
		ID: idString(k.ID), Phrase: k.Keyword, Context: social.FilterContextList(f), ExpiresAt: filterExpiry(f),
		Irreversible: f.Action == "hide", WholeWord: k.WholeWord,
	}
}

// v1FilterInput reads a v1 filter's parameters; create is true for POST.
func v1FilterInput(p params, create bool) social.V1FilterInput {
	var in social.V1FilterInput
	if p.has("phrase") || create {
		s := p.str("phrase")
		in.Phrase = &s
	}
	if ctxs := p.list("context"); len(ctxs) > 0 || create {
		in.Context = append([]string{}, ctxs...)
	}
	if p.has("irreversible") {
		b := p.boolean("irreversible")
		in.Irreversible = &b
	}
	if p.has("whole_word") {
		b := p.boolean("whole_word")
		in.WholeWord = &b
	}
	if p.has("expires_in") {
		// An empty expires_in clears the expiry, as Mastodon's web app
		// sends it for "never".
		n, _ := strconv.Atoi(p.str("expires_in"))
		in.ExpiresIn = &n
	}
	return in
}

func (h *handler) createFilterV1(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	f, k, err := h.social.CreateV1Filter(r.Context(), me(r), v1FilterInput(p, true))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v1FilterEntity(f, k))
}

func (h *handler) filterV1(r *http.Request, id int64, _ params) (any, error) {
	f, k, err := h.social.V1Filter(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return v1FilterEntity(f, k), nil
}

func (h *handler) updateFilterV1(r *http.Request, id int64, p params) (any, error) {
	f, k, err := h.social.UpdateV1Filter(r.Context(), me(r), id, v1FilterInput(p, false))
	if errors.Is(err, social.ErrV1FilterShared) {
		return nil, errorf(http.StatusUnprocessableEntity, "%s", err.Error())
	}
	if err != nil {
		return nil, err
	}
	return v1FilterEntity(f, k), nil
}

func (h *handler) deleteFilterV1(r *http.Request, id int64, _ params) (any, error) {
	return nil, h.social.DeleteV1Filter(r.Context(), me(r), id)
}

func (h *handler) filters(w http.ResponseWriter, r *http.Request) {
	fs, err := h.social.Filters(r.Context(), me(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]*Filter, 0, len(fs))
	for _, f := range fs {
		out = append(out, filterEntity(f))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) createFilter(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	f, err := h.social.CreateFilter(r.Context(), me(r), filterInput(p, true))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, filterEntity(f))
}

func (h *handler) filter(r *http.Request, id int64, _ params) (any, error) {
	f, err := h.social.Filter(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return filterEntity(f), nil
}

func (h *handler) updateFilter(r *http.Request, id int64, p params) (any, error) {
	f, err := h.social.UpdateFilter(r.Context(), me(r), id, filterInput(p, false))
	if err != nil {
		return nil, err
	}
	return filterEntity(f), nil
}

func (h *handler) deleteFilter(r *http.Request, id int64, _ params) (any, error) {
	return nil, h.social.DeleteFilter(r.Context(), me(r), id)
}

func (h *handler) filterKeywords(r *http.Request, id int64, _ params) (any, error) {
	f, err := h.social.Filter(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return filterEntity(f).Keywords, nil
}

func (h *handler) addFilterKeyword(r *http.Request, id int64, p params) (any, error) {
	in := social.KeywordInput{Keyword: p.str("keyword"), WholeWord: !p.has("whole_word") || p.boolean("whole_word")}
	k, err := h.social.AddFilterKeyword(r.Context(), me(r), id, in)
	if err != nil {
		return nil, err
	}
	return keywordEntry(k), nil
}

func (h *handler) filterKeyword(r *http.Request, id int64, _ params) (any, error) {
	k, err := h.social.FilterKeyword(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return keywordEntry(k), nil
}

func (h *handler) updateFilterKeyword(r *http.Request, id int64, p params) (any, error) {
	var kw *string
	var ww *bool
	if p.has("keyword") {
		s := p.str("keyword")
		kw = &s
	}
	if p.has("whole_word") {
		b := p.boolean("whole_word")
		ww = &b
	}
	k, err := h.social.UpdateFilterKeyword(r.Context(), me(r), id, kw, ww)
	if err != nil {
		return nil, err
	}
	return keywordEntry(k), nil
}

func (h *handler) deleteFilterKeyword(r *http.Request, id int64, _ params) (any, error) {
	return nil, h.social.DeleteFilterKeyword(r.Context(), me(r), id)
}

func (h *handler) filterStatuses(r *http.Request, id int64, _ params) (any, error) {
	f, err := h.social.Filter(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return filterEntity(f).Statuses, nil
}

func (h *handler) addFilterStatus(r *http.Request, id int64, p params) (any, error) {
	statusID, err := p.id("status_id")
	if err != nil {
		return nil, err
	}
	s, err := h.social.AddFilterStatus(r.Context(), me(r), id, statusID)
	if err != nil {
		return nil, err
	}
	return filterStatusEntry(s), nil
}

func (h *handler) filterStatus(r *http.Request, id int64, _ params) (any, error) {
	s, err := h.social.FilterStatus(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return filterStatusEntry(s), nil
}

func (h *handler) deleteFilterStatus(r *http.Request, id int64, _ params) (any, error) {
	return nil, h.social.DeleteFilterStatus(r.Context(), me(r), id)
}
