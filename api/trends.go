package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// trendRoutes mounts the public trends (approved items only), the link
// timeline, and the staff's review of trends and hashtags
// (/api/v1/admin/trends/..., /api/v1/admin/tags). The admin routes need
// admin:read or admin:write, as Mastodon's, and a moderator's role.
func (h *handler) trendRoutes(r chi.Router) {
	r.Get("/api/v1/trends", h.trendingTags)
	r.Get("/api/v1/trends/tags", h.trendingTags)
	r.Get("/api/v1/trends/statuses", h.trendingStatuses)
	r.Get("/api/v1/trends/links", h.trendingLinks)
	r.With(publicRoute("read:statuses")).Get("/api/v1/timelines/link", h.linkTimeline)

	read := requireStaff("admin:read", social.PermModerate)
	write := requireStaff("admin:write", social.PermModerate)
	r.With(read).Get("/api/v1/admin/trends/tags", h.adminTrendingTags)
	r.With(read).Get("/api/v1/admin/trends/statuses", h.adminTrendingStatuses)
	r.With(read).Get("/api/v1/admin/trends/links", h.adminTrendingLinks)
	r.With(read).Get("/api/v1/admin/trends/links/publishers", h.adminTrendPublishers)
	for _, kind := range []string{"tags", "statuses", "links", "links/publishers"} {
		r.With(write).Post("/api/v1/admin/trends/"+kind+"/{id}/approve", h.reviewTrend(kind, true))
		r.With(write).Post("/api/v1/admin/trends/"+kind+"/{id}/reject", h.reviewTrend(kind, false))
	}
	r.With(read).Get("/api/v1/admin/tags", h.adminTags)
	r.With(read).Get("/api/v1/admin/tags/{id}", h.idAction(h.adminTag))
	r.With(write).Put("/api/v1/admin/tags/{id}", h.idAction(h.adminUpdateTag))
}

// offsetLimit reads offset and limit (default def, at most max).
func offsetLimit(r *http.Request, def, max int) (offset, limit int, err error) {
	p, err := parseParams(r)
	if err != nil {
		return 0, 0, err
	}
	if offset, err = intParam(p, "offset", 0); err != nil {
		return 0, 0, err
	}
	if limit, err = intParam(p, "limit", def); err != nil {
		return 0, 0, err
	}
	if limit <= 0 {
		limit = def
	}
	return max0(offset), min(limit, max), nil
}

func max0(n int) int { return max(n, 0) }

// setOffsetLink writes the Link header of an offset-paged list: next when
// the page was full, prev when it did not start at 0, as Mastodon's trends.
func (h *handler) setOffsetLink(w http.ResponseWriter, r *http.Request, offset, limit, n int) {
	mk := func(off int) string {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(off))
		q.Set("limit", strconv.Itoa(limit))
		return "<" + h.social.BaseURL() + r.URL.Path + "?" + q.Encode() + ">"
	}
	var links []string
	if n == limit {
		links = append(links, mk(offset+limit)+`; rel="next"`)
	}
	if offset > 0 {
		links = append(links, mk(max0(offset-limit))+`; rel="prev"`)
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
}

// trendingTags is GET /api/v1/trends/tags: approved hashtags, 10 by
// default, at most 20.
func (h *handler) trendingTags(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := offsetLimit(r, 10, 20)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	tags, err := h.social.TrendingTags(r.Context(), offset, limit)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, h.tagEntity(t.FoundTag))
	}
	h.setOffsetLink(w, r, offset, limit, len(out))
	writeJSON(w, http.StatusOK, out)
}

// trendingStatuses is GET /api/v1/trends/statuses: approved posts, 20 by
// default, at most 40.
func (h *handler) trendingStatuses(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := offsetLimit(r, 20, 40)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	sts, err := h.social.TrendingStatuses(r.Context(), offset, limit)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.setOffsetLink(w, r, offset, limit, len(sts))
	writeJSON(w, http.StatusOK, h.presenter(me(r)).Statuses(r.Context(), sts))
}

// TrendsLink is Mastodon's Trends::Link entity: a PreviewCard with its
// history. Rounds fetches no preview cards, so the title is the URL and
// the provider its domain.
type TrendsLink struct {
	ID               string       `json:"id,omitempty"`
	URL              string       `json:"url"`
	Title            string       `json:"title"`
	Description      string       `json:"description"`
	Type             string       `json:"type"`
	Authors          []any        `json:"authors"`
	AuthorName       string       `json:"author_name"`
	AuthorURL        string       `json:"author_url"`
	ProviderName     string       `json:"provider_name"`
	ProviderURL      string       `json:"provider_url"`
	HTML             string       `json:"html"`
	Width            int          `json:"width"`
	Height           int          `json:"height"`
	Image            *string      `json:"image"`
	ImageDescription string       `json:"image_description"`
	EmbedURL         string       `json:"embed_url"`
	Blurhash         *string      `json:"blurhash"`
	History          []TagHistory `json:"history"`
	RequiresReview   *bool        `json:"requires_review,omitempty"`
}

func trendsLinkEntity(l social.TrendLink, admin bool) TrendsLink {
	out := TrendsLink{
		URL: l.URL, Title: l.URL, Type: "link", Authors: []any{}, ProviderName: l.Domain,
		ProviderURL: "https://" + l.Domain, History: make([]TagHistory, 0, len(l.History)),
	}
	for _, d := range l.History {
		out.History = append(out.History, TagHistory{Day: strconv.FormatInt(d.Day.Unix(), 10), Uses: strconv.Itoa(d.Uses), Accounts: strconv.Itoa(d.Accounts)})
	}
	if admin {
		out.ID = idString(l.ID)
		rr := l.RequiresReview
		out.RequiresReview = &rr
	}
	return out
}

// trendingLinks is GET /api/v1/trends/links: approved links, 10 by
// default, at most 20.
func (h *handler) trendingLinks(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := offsetLimit(r, 10, 20)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	links, err := h.social.TrendingLinks(r.Context(), offset, limit)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]TrendsLink, 0, len(links))
	for _, l := range links {
		out = append(out, trendsLinkEntity(l, false))
	}
	h.setOffsetLink(w, r, offset, limit, len(out))
	writeJSON(w, http.StatusOK, out)
}

// linkTimeline is GET /api/v1/timelines/link?url=: public posts linking to
// a trending link; 404 for a link that is not trending, as Mastodon.
func (h *handler) linkTimeline(w http.ResponseWriter, r *http.Request) {
	p, _ := parseParams(r)
	u := p.str("url")
	if u == "" {
		h.writeError(w, r, errorf(http.StatusBadRequest, "url is missing"))
		return
	}
	h.timeline(w, r, func(pg storage.Page) ([]*storage.Status, error) {
		return h.social.LinkTimeline(r.Context(), u, pg)
	})
}

// AdminTag is Mastodon's Admin::Tag entity.
type AdminTag struct {
	ID             string       `json:"id"`
	Name           string       `json:"name"`
	URL            string       `json:"url"`
	History        []TagHistory `json:"history"`
	DisplayName    string       `json:"display_name"`
	Trendable      bool         `json:"trendable"`
	Usable         bool         `json:"usable"`
	Listable       bool         `json:"listable"`
	RequiresReview bool         `json:"requires_review"`
}

func (h *handler) adminTagEntity(t social.AdminTag) AdminTag {
	base := h.tagEntity(t.FoundTag)
	name := t.DisplayName
	if name == "" {
		name = t.Name
	}
	return AdminTag{
		ID: base.ID, Name: base.Name, URL: base.URL, History: base.History, DisplayName: name,
		Trendable: t.Trendable, Usable: t.Usable, Listable: t.Listable, RequiresReview: t.RequiresReview,
	}
}

func (h *handler) adminTagEntities(tags []social.AdminTag) []AdminTag {
	out := make([]AdminTag, 0, len(tags))
	for _, t := range tags {
		out = append(out, h.adminTagEntity(t))
	}
	return out
}

func (h *handler) adminTrendingTags(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := offsetLimit(r, 10, 20)
	if err == nil {
		var tags []social.AdminTag
		if tags, err = h.social.AdminTrendingTags(r.Context(), staffActor(r), offset, limit); err == nil {
			h.setOffsetLink(w, r, offset, limit, len(tags))
			writeJSON(w, http.StatusOK, h.adminTagEntities(tags))
			return
		}
	}
	h.writeError(w, r, err)
}

// adminTrendStatus is Mastodon's Status entity with requires_review, as
// the admin trends list it.
type adminTrendStatus struct {
	*Status
	RequiresReview bool `json:"requires_review"`
}

func (h *handler) adminTrendingStatuses(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := offsetLimit(r, 20, 40)
	var list []social.TrendStatus
	if err == nil {
		list, err = h.social.AdminTrendingStatuses(r.Context(), staffActor(r), offset, limit)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	p := h.presenter(me(r))
	out := make([]adminTrendStatus, 0, len(list))
	for _, t := range list {
		out = append(out, adminTrendStatus{Status: p.Status(r.Context(), t.Status), RequiresReview: t.RequiresReview})
	}
	h.setOffsetLink(w, r, offset, limit, len(list))
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) adminTrendingLinks(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := offsetLimit(r, 10, 20)
	var links []social.TrendLink
	if err == nil {
		links, err = h.social.AdminTrendingLinks(r.Context(), staffActor(r), offset, limit)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]TrendsLink, 0, len(links))
	for _, l := range links {
		out = append(out, trendsLinkEntity(l, true))
	}
	h.setOffsetLink(w, r, offset, limit, len(out))
	writeJSON(w, http.StatusOK, out)
}

// TrendsPublisher is Mastodon's PreviewCardProvider entity.
type TrendsPublisher struct {
	ID                string  `json:"id"`
	Domain            string  `json:"domain"`
	Trendable         bool    `json:"trendable"`
	ReviewedAt        *string `json:"reviewed_at"`
	RequestedReviewAt *string `json:"requested_review_at"`
	RequiresReview    bool    `json:"requires_review"`
}

func (h *handler) adminTrendPublishers(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := offsetLimit(r, 10, 20)
	var list []social.TrendPublisher
	if err == nil {
		list, err = h.social.AdminTrendPublishers(r.Context(), staffActor(r), offset, limit)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]TrendsPublisher, 0, len(list))
	for _, p := range list {
		e := TrendsPublisher{ID: idString(p.ID), Domain: p.Domain, Trendable: p.Trendable, RequiresReview: p.RequiresReview}
		if p.ReviewedAt != nil {
			at := mastoTime(*p.ReviewedAt)
			e.ReviewedAt = &at
		}
		out = append(out, e)
	}
	h.setOffsetLink(w, r, offset, limit, len(out))
	writeJSON(w, http.StatusOK, out)
}

// reviewTrend is POST /api/v1/admin/trends/KIND/:id/approve and reject.
// Mastodon answers the item in its new state; Rounds answers the tag as
// an Admin::Tag, and the other kinds as {} (their lists show the state).
func (h *handler) reviewTrend(kind string, approve bool) http.HandlerFunc {
	k := strings.TrimPrefix(kind, "links/")
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if err := h.social.ReviewTrend(r.Context(), staffActor(r), k, id, approve); err != nil {
			h.writeError(w, r, err)
			return
		}
		if k == "tags" {
			n, _ := strconv.ParseInt(id, 10, 64)
			t, err := h.social.AdminTag(r.Context(), staffActor(r), n)
			if err != nil {
				h.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, h.adminTagEntity(*t))
			return
		}
		writeJSON(w, http.StatusOK, nil)
	}
}

// adminTags is GET /api/v1/admin/tags: every hashtag, newest first, 100 a
// page by default, at most 200.
func (h *handler) adminTags(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	tags, err := h.social.AdminTagList(r.Context(), staffActor(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if len(tags) > 0 {
		setLink(w, r, h.social.BaseURL(), tags[0].ID, tags[len(tags)-1].ID, len(tags))
	}
	writeJSON(w, http.StatusOK, h.adminTagEntities(tags))
}

func (h *handler) adminTag(r *http.Request, id int64, _ params) (any, error) {
	t, err := h.social.AdminTag(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return h.adminTagEntity(*t), nil
}

// adminUpdateTag is PUT /api/v1/admin/tags/:id: display_name, trendable,
// usable and listable, each changed only when sent.
func (h *handler) adminUpdateTag(r *http.Request, id int64, p params) (any, error) {
	var ch social.TagChange
	if p.has("display_name") {
		v := p.str("display_name")
		ch.DisplayName = &v
	}
	for key, dst := range map[string]**bool{"trendable": &ch.Trendable, "usable": &ch.Usable, "listable": &ch.Listable} {
		if p.has(key) {
			v := p.boolean(key)
			*dst = &v
		}
	}
	t, err := h.social.UpdateTag(r.Context(), staffActor(r), id, ch)
	if err != nil {
		return nil, err
	}
	return h.adminTagEntity(*t), nil
}
