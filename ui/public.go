package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// publicRoutes mounts the pages anyone may read: the server's start page
// (home.go), profiles, their feeds and posts (profile.go), hashtag and
// local timelines, and the routes people arriving from other servers use.
func (h *handler) publicRoutes(r chi.Router) {
	// /@name, /@name@other.server and /@name.rss share one pattern: chi
	// cannot split a suffix from a parameter.
	r.Get("/@{username}", h.profileOrFeed)
	r.Get("/@{username}/{id}", h.post)
	r.Get("/@{username}/tagged/{tag}", h.taggedProfile)
	r.Get("/@{username}/remote_follow", h.remoteFollow)
	r.Post("/@{username}/follow", h.followFromPage)
	r.Get("/tags/{tag}", h.tagTimeline)
	r.Get("/public/local", h.localTimeline)
	r.Get("/directory", h.directoryPage)
	r.Get("/authorize_interaction", h.authorizeInteraction)
}

// publicPageSize is how many posts a public page shows at once.
const publicPageSize = 20

// pageFrom reads ?max_id= for paging back through a timeline.
func pageFrom(r *http.Request) storage.Page {
	p := storage.Page{Limit: publicPageSize}
	if id, err := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64); err == nil && id > 0 {
		p.MaxID = id
	}
	return p
}

// olderLink is the link to the next page back, or "" when sts was the
// last of them.
func olderLink(path string, sts []*storage.Status) string {
	if len(sts) < publicPageSize {
		return ""
	}
	return path + "?" + url.Values{"max_id": {strconv.FormatInt(sts[len(sts)-1].ID, 10)}}.Encode()
}

// tagTimeline is GET /tags/{tag}: public posts with a hashtag, from here
// and from the servers this one hears from.
func (h *handler) tagTimeline(w http.ResponseWriter, r *http.Request) {
	tag := strings.ToLower(strings.TrimPrefix(chi.URLParam(r, "tag"), "#"))
	if tag == "" || len(tag) > 100 {
		h.notFound(w, r)
		return
	}
	sts, err := h.social.PublicTimeline(r.Context(), true, true, tag, pageFrom(r))
	if err != nil {
		h.log.Error("tag timeline", "tag", tag, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "The posts could not be loaded. Try again in a moment.")
		return
	}
	h.render(w, r, http.StatusOK, "tag", map[string]any{
		"Tag": tag, "Statuses": h.statusCards(r.Context(), nil, "", sts),
		"Older": olderLink("/tags/"+url.PathEscape(tag), sts),
	})
}

// localTimeline is GET /public/local: the public posts of this server's
// clinicians; a member signed in here also sees the posts for this server
// only, less those of the people they block or mute.
func (h *handler) localTimeline(w http.ResponseWriter, r *http.Request) {
	var me *storage.Account
	csrf := ""
	if sess, err := h.browserSession(r); err == nil && sess != nil {
		me, csrf = sess.User.Account, sess.CSRFToken
	}
	sts, err := h.social.PublicTimelineFor(r.Context(), me, true, false, "", pageFrom(r))
	if err != nil {
		h.log.Error("local timeline", "error", err)
		h.problem(w, r, http.StatusInternalServerError, "The posts could not be loaded. Try again in a moment.")
		return
	}
	h.render(w, r, http.StatusOK, "public_local", map[string]any{
		"Statuses": h.statusCards(r.Context(), me, csrf, sts),
		"Older":    olderLink("/public/local", sts),
	})
}

// authorizeInteraction is GET /authorize_interaction?uri=..., where other
// servers send their people to follow or answer someone here (the
// OStatus subscribe template our WebFinger advertises), and where our own
// remote-follow box sends people on theirs. A post or account known here
// opens its page; there the signed-in can follow.
func (h *handler) authorizeInteraction(w http.ResponseWriter, r *http.Request) {
	uri := strings.TrimSpace(r.URL.Query().Get("uri"))
	uri = strings.TrimPrefix(uri, "acct:")
	ctx := r.Context()
	if uri == "" {
		h.problem(w, r, http.StatusBadRequest, "No account or post was given to follow or answer.")
		return
	}
	// name@server, as people type it.
	if !strings.Contains(uri, "://") {
		user, domain, _ := strings.Cut(strings.TrimPrefix(uri, "@"), "@")
		if strings.EqualFold(domain, h.social.Domain()) {
			domain = ""
		}
		if a, err := h.social.AccountByAcct(ctx, user, strings.ToLower(domain)); err == nil {
			http.Redirect(w, r, h.profilePath(a), http.StatusSeeOther)
			return
		}
		// Someone signed in here may look an unknown account up on its
		// server (WebFinger), to follow it; strangers may not make this
		// server fetch things.
		if sess, err := h.browserSession(r); err == nil && sess != nil && domain != "" {
			if found, err := h.social.SearchAccounts(ctx, user+"@"+domain, true, 1); err == nil && len(found) == 1 {
				http.Redirect(w, r, h.profilePath(found[0]), http.StatusSeeOther)
				return
			}
		}
	}
	if a, err := h.social.AccountByURI(ctx, uri); err == nil && !a.Suspended() && a.Username != social.InstanceActorUsername {
		http.Redirect(w, r, h.profilePath(a), http.StatusSeeOther)
		return
	}
	if st, err := h.social.StatusByURI(ctx, uri); err == nil && h.social.MayView(ctx, nil, st) {
		if st.Local && st.Account != nil {
			http.Redirect(w, r, "/@"+st.Account.Username+"/"+strconv.FormatInt(st.ID, 10), http.StatusSeeOther)
			return
		}
		if st.Account != nil {
			http.Redirect(w, r, h.profilePath(st.Account), http.StatusSeeOther)
			return
		}
	}
	h.render(w, r, http.StatusNotFound, "problem", map[string]any{
		"Problem": "This server does not know that account or post yet. Search for it in your app, and follow or answer it from there.",
	})
}

// profilePath is where an account's page is on this server: /@name for
// our own, /@name@server for others.
func (h *handler) profilePath(a *storage.Account) string {
	if a.Local() {
		return "/@" + a.Username
	}
	return "/@" + a.Username + "@" + a.Domain
}
