package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// Followed and featured hashtags: /api/v1/tags, /api/v1/followed_tags,
// /api/v1/featured_tags and /api/v1/accounts/:id/featured_tags. The
// scopes are Mastodon's: following is write:follows and read:follows,
// featuring is write:accounts and read:accounts.
func (h *handler) tagRoutes(r chi.Router) {
	r.With(publicRoute(anyScope)).Get("/api/v1/tags/{name}", h.showTag) // Mastodon asks no scope here; a token shows following and featuring
	r.With(requireUser("write:follows")).Post("/api/v1/tags/{name}/follow", h.tagAction(h.social.FollowTag))
	r.With(requireUser("write:follows")).Post("/api/v1/tags/{name}/unfollow", h.tagAction(h.social.UnfollowTag))
	r.With(requireUser("write:accounts")).Post("/api/v1/tags/{name}/feature", h.tagAction(h.social.FeatureTag))
	r.With(requireUser("write:accounts")).Post("/api/v1/tags/{name}/unfeature", h.tagAction(h.social.UnfeatureTag))
	r.With(requireUser("read:follows")).Get("/api/v1/followed_tags", h.followedTags)
	r.With(requireUser("read:accounts")).Get("/api/v1/featured_tags", h.featuredTags)
	r.With(requireUser("write:accounts")).Post("/api/v1/featured_tags", h.createFeaturedTag)
	r.With(requireUser("write:accounts")).Delete("/api/v1/featured_tags/{id}", h.idAction(h.deleteFeaturedTag))
	r.With(requireUser("read:accounts")).Get("/api/v1/featured_tags/suggestions", h.featuredTagSuggestions)
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts/{id}/featured_tags", h.accountFeaturedTags)
}

// TagInfo is Mastodon's Tag entity as /api/v1/tags answers it: following
// and featuring are sent only to a signed-in person, as Mastodon does.
type TagInfo struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	URL       string       `json:"url"`
	History   []TagHistory `json:"history"`
	Following *bool        `json:"following,omitempty"`
	Featuring *bool        `json:"featuring,omitempty"`
}

func (h *handler) tagInfoEntity(t social.TagInfo, signedIn bool) TagInfo {
	base := h.tagEntity(t.FoundTag)
	out := TagInfo{ID: base.ID, Name: base.Name, URL: base.URL, History: base.History}
	if t.ID == 0 {
		out.ID = "" // a name nobody used yet has no id, as on Mastodon
	}
	if signedIn {
		out.Following, out.Featuring = &t.Following, &t.Featuring
	}
	return out
}

// FeaturedTag is Mastodon's FeaturedTag entity. As the documentation and
// Mastodon itself have it, statuses_count is a string and last_status_at
// a date (2026-12-07), null when no post carries the tag.
type FeaturedTag struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	URL           string  `json:"url"`
	StatusesCount string  `json:"statuses_count"`
	LastStatusAt  *string `json:"last_status_at"`
}

func featuredTagEntity(ft social.FeaturedTag, url string) FeaturedTag {
	out := FeaturedTag{ID: idString(ft.ID), Name: ft.Name, URL: url, StatusesCount: strconv.Itoa(ft.StatusesCount)}
	if ft.LastStatusAt != nil {
		d := ft.LastStatusAt.UTC().Format("2006-01-02")
		out.LastStatusAt = &d
	}
	return out
}

// showTag is GET /api/v1/tags/:name, public: a name that cannot be a
// hashtag is 404.
func (h *handler) showTag(w http.ResponseWriter, r *http.Request) {
	t, err := h.social.Tag(r.Context(), me(r), chi.URLParam(r, "name"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.tagInfoEntity(*t, me(r) != nil))
}

// tagAction serves the POSTs on /api/v1/tags/:name: each answers the Tag
// in its new state, and repeating one changes nothing (Mastodon 4.1+).
func (h *handler) tagAction(act func(ctx context.Context, me *storage.Account, name string) (*social.TagInfo, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := act(r.Context(), me(r), chi.URLParam(r, "name"))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, h.tagInfoEntity(*t, true))
	}
}

// followedTags is GET /api/v1/followed_tags: 100 a page by default, at
// most 200, paged by the follows' ids with a Link header, as Mastodon.
func (h *handler) followedTags(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	tags, err := h.social.FollowedTags(r.Context(), me(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]TagInfo, 0, len(tags))
	for _, t := range tags {
		out = append(out, h.tagInfoEntity(t.TagInfo, true))
	}
	if len(tags) > 0 {
		setLink(w, r, h.social.BaseURL(), tags[0].FollowID, tags[len(tags)-1].FollowID, len(tags))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) featuredTags(w http.ResponseWriter, r *http.Request) {
	a := me(r)
	fts, err := h.social.FeaturedTags(r.Context(), a)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]FeaturedTag, 0, len(fts))
	for _, ft := range fts {
		out = append(out, featuredTagEntity(ft, h.social.FeaturedTagURL(a, ft.Name)))
	}
	writeJSON(w, http.StatusOK, out)
}

// createFeaturedTag is POST /api/v1/featured_tags with name; 422 when the
// name is not a hashtag or ten are featured already.
func (h *handler) createFeaturedTag(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	a := me(r)
	ft, err := h.social.FeatureTagByName(r.Context(), a, p.str("name"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, featuredTagEntity(*ft, h.social.FeaturedTagURL(a, ft.Name)))
}

func (h *handler) deleteFeaturedTag(r *http.Request, id int64, _ params) (any, error) {
	return nil, h.social.UnfeatureTagByID(r.Context(), me(r), id)
}

// featuredTagSuggestions is GET /api/v1/featured_tags/suggestions: the
// hashtags the person used most and does not feature yet.
func (h *handler) featuredTagSuggestions(w http.ResponseWriter, r *http.Request) {
	tags, err := h.social.FeaturedTagSuggestions(r.Context(), me(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]TagInfo, 0, len(tags))
	for _, t := range tags {
		out = append(out, h.tagInfoEntity(t, true))
	}
	writeJSON(w, http.StatusOK, out)
}

// accountFeaturedTags is GET /api/v1/accounts/:id/featured_tags, public:
// a remote account's are those its server lists in its featuredTags
// collection.
func (h *handler) accountFeaturedTags(w http.ResponseWriter, r *http.Request) {
	a, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	fts, err := h.social.FeaturedTags(r.Context(), a)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]FeaturedTag, 0, len(fts))
	for _, ft := range fts {
		out = append(out, featuredTagEntity(ft, h.social.FeaturedTagURL(a, ft.Name)))
	}
	writeJSON(w, http.StatusOK, out)
}
