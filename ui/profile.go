package ui

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// fieldView is a profile field as the page shows it.
type fieldView struct {
	Name     string
	Value    template.HTML // escaped local text or sanitised remote HTML, as stored
	Verified bool
}

// verifiedBadge is what the profile says about a verified clinician.
type verifiedBadge struct {
	Profession, Specialty, Regulator, RegistrationNumber, Organisation string
}

// profileOrFeed is GET /@{username}: a local profile (/@name), a remote
// account known here (/@name@server) or a local account's RSS feed
// (/@name.rss).
func (h *handler) profileOrFeed(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "username")
	if feed, ok := strings.CutSuffix(name, ".rss"); ok {
		h.feed(w, r, feed)
		return
	}
	a, err := h.accountFor(r.Context(), name)
	if err != nil {
		h.notFound(w, r)
		return
	}
	if a.Local() && wantsActivity(r) {
		redirectToActivity(w, r, a.URI)
		return
	}
	h.renderProfile(w, r, a, http.StatusOK, nil)
}

// taggedProfile is GET /@name/tagged/tag: the profile with only its posts
// that carry the hashtag, the page a featured tag links to.
func (h *handler) taggedProfile(w http.ResponseWriter, r *http.Request) {
	a, err := h.accountFor(r.Context(), chi.URLParam(r, "username"))
	if err != nil || len(chi.URLParam(r, "tag")) > 100 {
		h.notFound(w, r)
		return
	}
	h.renderProfile(w, r, a, http.StatusOK, nil)
}

// taggedPath is the end of a tagged profile page's path ("" for none).
func taggedPath(tag string) string {
	if tag == "" {
		return ""
	}
	return "/tagged/" + url.PathEscape(tag)
}

// wantsActivity reports whether r asks for ActivityPub JSON rather than
// a page: servers resolving a profile or post link do.
func wantsActivity(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/activity+json") || strings.Contains(accept, "application/ld+json")
}

// redirectToActivity sends an ActivityPub client to the object's id, where
// the federation routes answer with JSON.
func redirectToActivity(w http.ResponseWriter, r *http.Request, uri string) {
	w.Header().Set("Vary", "Accept")
	http.Redirect(w, r, uri, http.StatusSeeOther)
}

// accountFor finds the account a /@... path names: "name" here, or
// "name@server" elsewhere.
func (h *handler) accountFor(ctx context.Context, name string) (*storage.Account, error) {
	user, domain, remote := strings.Cut(name, "@")
	if !remote || strings.EqualFold(domain, h.social.Domain()) {
		return h.social.LocalAccount(ctx, user)
	}
	return h.social.AccountByAcct(ctx, user, strings.ToLower(domain))
}

// renderProfile shows a's page; extra adds to (or overrides) its data, as
// the remote-follow box's complaint does.
func (h *handler) renderProfile(w http.ResponseWriter, r *http.Request, a *storage.Account, status int, extra map[string]any) {
	ctx := r.Context()
	page := pageFrom(r)
	// /@name/tagged/tag, where a featured tag links: the posts with it.
	tagged := strings.ToLower(strings.TrimPrefix(chi.URLParam(r, "tag"), "#"))
	sts, err := h.social.AccountTimeline(ctx, nil, a, social.AccountTimelineOptions{Page: page, Tagged: tagged})
	if err != nil {
		h.log.Error("profile: statuses", "account", a.ID, "error", err)
	}
	var pinned []*storage.Status
	if page.MaxID == 0 {
		all, err := h.social.PinnedStatuses(ctx, a)
		if err != nil {
			h.log.Error("profile: pinned", "account", a.ID, "error", err)
		}
		for _, st := range all {
			if st.Account == nil {
				st.Account = a
			}
			if h.social.MayView(ctx, nil, st) {
				pinned = append(pinned, st)
			}
		}
	}
	counts, err := h.social.Counts(ctx, a)
	if err != nil {
		h.log.Error("profile: counts", "account", a.ID, "error", err)
	}
	var badge *verifiedBadge
	if v, err := h.social.Verification(ctx, a.ID); err == nil && a.Local() && !a.Moved() && v.Current(time.Now()) {
		badge = &verifiedBadge{Profession: v.Profession, Specialty: v.Specialty, Regulator: v.Regulator, RegistrationNumber: v.RegistrationNumber, Organisation: v.Organisation}
	}
	home := a.URL
	if home == "" {
		home = a.URI
	}
	data := map[string]any{
		"Account": a, "Name": displayName(a), "Handle": h.handle(a),
		"Avatar": avatarURL(a), "Header": a.HeaderURL,
		"Note":     template.HTML(a.Note), // #nosec G203 -- notes are escaped (local) or sanitised (remote) when stored
		"Fields":   profileFields(a.Fields),
		"Verified": badge, "Counts": counts, "Remote": !a.Local(), "HomeURL": home,
		"Pinned":   h.statusCards(ctx, nil, "", pinned),
		"Statuses": h.statusCards(ctx, nil, "", sts),
		"Older":    olderLink(h.profilePath(a)+taggedPath(tagged), sts),
		"Path":     h.profilePath(a),
		"OG": openGraph{
			Title: displayName(a) + " (" + h.handle(a) + ")", Description: plainText(a.Note, 200),
			URL: h.absolute(h.profilePath(a)), Image: h.absolute(avatarURL(a)), Type: "profile",
		},
	}
	if a.Local() {
		data["Feed"] = "/@" + a.Username + ".rss"
		data["BlogPosts"] = h.latestBlogPosts(ctx, a)
	}
	h.addMovedTo(ctx, data, a)
	if sess, err := h.browserSession(r); err == nil && sess != nil && sess.User.Account != nil && sess.User.AccountID != a.ID {
		rel, _ := h.social.RelationshipWith(ctx, sess.User.Account, a)
		data["CanFollow"] = true
		data["Relationship"] = rel
	}
	for k, v := range extra {
		data[k] = v
	}
	if a.URI != "" {
		w.Header().Set("Link", `<`+a.URI+`>; rel="alternate"; type="application/activity+json"`)
	}
	h.render(w, r, status, "profile", data)
}

// avatarURL is a's picture, or the server's default one.
func avatarURL(a *storage.Account) string {
	if a.AvatarURL != "" {
		return a.AvatarURL
	}
	return "/static/avatar.png"
}

// profileFields reads the stored fields JSON, the verified ones first.
func profileFields(raw string) []fieldView {
	var fs []social.ProfileField
	if raw == "" || json.Unmarshal([]byte(raw), &fs) != nil {
		return nil
	}
	var verified, plain []fieldView
	for _, f := range fs {
		v := fieldView{Name: f.Name, Value: template.HTML(f.Value), Verified: f.VerifiedAt != nil} // #nosec G203 -- field values are escaped or sanitised when stored
		if v.Verified {
			verified = append(verified, v)
		} else {
			plain = append(plain, v)
		}
	}
	return append(verified, plain...)
}

// openGraph is what a page tells link previews (OpenGraph tags).
type openGraph struct {
	Title, Description, URL, Image, Type string
}

// absolute makes a path on this server a full URL; full URLs pass.
func (h *handler) absolute(p string) string {
	if strings.HasPrefix(p, "/") {
		return h.social.BaseURL() + p
	}
	return p
}

var htmlTagRE = regexp.MustCompile(`<[^>]*>`)

// plainText reduces stored HTML to text of at most n characters, for
// previews (the template escapes it again).
func plainText(html string, n int) string {
	s := strings.ReplaceAll(html, "</p>", " ")
	s = strings.ReplaceAll(s, "<br>", " ")
	s = htmlTagRE.ReplaceAllString(s, "")
	for _, e := range [][2]string{{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", `"`}, {"&#34;", `"`}, {"&#39;", "'"}, {"&amp;", "&"}} {
		s = strings.ReplaceAll(s, e[0], e[1])
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s
}

// post is GET /@{username}/{id}: a local post with its thread.
func (h *handler) post(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	st, err := h.social.StatusByID(ctx, id)
	if err == nil && st.LocalOnly && st.Account != nil && st.Account.Username == chi.URLParam(r, "username") && !wantsActivity(r) {
		// A local-only post's address, followed by someone signed in
		// here: their own page of it (which checks that they may).
		if sess, serr := h.browserSession(r); serr == nil && sess != nil {
			http.Redirect(w, r, "/statuses/"+strconv.FormatInt(st.ID, 10), http.StatusSeeOther)
			return
		}
	}
	if err != nil || !st.Local || st.Account == nil || st.Account.Username != chi.URLParam(r, "username") || st.ReblogOfID != nil || !h.social.MayView(ctx, nil, st) {
		h.notFound(w, r)
		return
	}
	if wantsActivity(r) {
		redirectToActivity(w, r, st.URI)
		return
	}
	if p, _ := h.social.BlogPostOfStatus(ctx, st); p != nil {
		http.Redirect(w, r, st.URL, http.StatusFound) // a blog post's page is its own
		return
	}
	ancestors, replies, err := h.social.StatusContext(ctx, nil, st)
	if err != nil {
		h.log.Error("post: thread", "status", st.ID, "error", err)
	}
	card := h.statusCard(ctx, nil, "", st)
	og := openGraph{
		Title: displayName(st.Account) + " (" + h.handle(st.Account) + ")",
		URL:   h.absolute("/@" + st.Account.Username + "/" + strconv.FormatInt(st.ID, 10)),
		Image: h.absolute(avatarURL(st.Account)), Type: "article",
	}
	if st.SpoilerText != "" {
		og.Description = "Content warning: " + st.SpoilerText
	} else {
		og.Description = plainText(st.Content, 200)
	}
	for _, m := range card.Media {
		if st.SpoilerText == "" && !st.Sensitive {
			og.Image = h.absolute(m.URL)
		}
		break
	}
	w.Header().Set("Link", `<`+st.URI+`>; rel="alternate"; type="application/activity+json"`)
	h.render(w, r, http.StatusOK, "post", map[string]any{
		"Account": st.Account, "Name": displayName(st.Account), "Status": card,
		"Ancestors": h.statusCards(ctx, nil, "", ancestors),
		"Replies":   h.statusCards(ctx, nil, "", replies),
		"OG":        og, "ActivityURI": st.URI,
	})
}

// acctRE is what the remote-follow box accepts: name@server.
var acctRE = regexp.MustCompile(`^@?([A-Za-z0-9_.-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,}|[A-Za-z0-9.-]+:[0-9]{1,5}|localhost)$`)

// remoteFollow is GET /@{username}/remote_follow?acct=me@my.server: the
// "follow from your own server" box. It sends the person to their server's
// authorize_interaction page with this account, which is where Mastodon
// (and most servers) show their own Follow button; the page is the
// fallback Mastodon's remote follow uses when WebFinger's subscribe
// template cannot be fetched.
func (h *handler) remoteFollow(w http.ResponseWriter, r *http.Request) {
	a, err := h.accountFor(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	acct := strings.TrimSpace(r.URL.Query().Get("acct"))
	m := acctRE.FindStringSubmatch(acct)
	if m == nil {
		h.renderProfile(w, r, a, http.StatusBadRequest, map[string]any{
			"RemoteError": "Write your address as name@your.server, as in @sam@mastodon.social.", "RemoteAcct": acct,
		})
		return
	}
	server := strings.ToLower(m[2])
	if server == strings.ToLower(h.social.Domain()) {
		http.Redirect(w, r, h.profilePath(a), http.StatusSeeOther)
		return
	}
	target := "https://" + server + "/authorize_interaction?" + url.Values{"uri": {a.URI}}.Encode()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// followFromPage is POST /@{username}/follow: the Follow button a
// signed-in clinician sees on someone's page.
func (h *handler) followFromPage(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	ctx := r.Context()
	a, err := h.accountFor(ctx, chi.URLParam(r, "username"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	if form.Get("unfollow") != "" {
		err = h.social.Unfollow(ctx, sess.User.Account, a)
	} else {
		_, err = h.social.Follow(ctx, sess.User.Account, a)
	}
	if err != nil {
		var ve *social.ValidationError
		if errors.As(err, &ve) || errors.Is(err, social.ErrForbidden) || errors.Is(err, social.ErrNotFound) {
			h.problem(w, r, http.StatusUnprocessableEntity, "That did not work: "+err.Error())
			return
		}
		h.log.Error("follow from page", "error", err)
		h.problem(w, r, http.StatusInternalServerError, "The follow could not be saved. Try again in a moment.")
		return
	}
	http.Redirect(w, r, h.profilePath(a), http.StatusSeeOther)
}

// rss is an RSS 2.0 document.
type rss struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Image       *rssImage `xml:"image,omitempty"`
	LastBuild   string    `xml:"lastBuildDate,omitempty"`
	Items       []rssItem `xml:"item"`
}

type rssImage struct {
	URL   string `xml:"url"`
	Title string `xml:"title"`
	Link  string `xml:"link"`
}

type rssItem struct {
	Title       string `xml:"title,omitempty"`
	Link        string `xml:"link"`
	GUID        string `xml:"guid"`
	PubDate     string `xml:"pubDate"`
	Description string `xml:"description"`
}

// feed is GET /@{username}.rss: a local account's recent public posts
// (not replies or boosts), as Mastodon's feed has them.
func (h *handler) feed(w http.ResponseWriter, r *http.Request, username string) {
	ctx := r.Context()
	a, err := h.social.LocalAccount(ctx, username)
	if err != nil {
		h.notFound(w, r)
		return
	}
	sts, err := h.social.AccountTimeline(ctx, nil, a, social.AccountTimelineOptions{
		Page: storage.Page{Limit: publicPageSize}, ExcludeReplies: true, ExcludeReblogs: true,
	})
	if err != nil {
		h.log.Error("feed: statuses", "account", a.ID, "error", err)
		http.Error(w, "the feed could not be loaded", http.StatusInternalServerError)
		return
	}
	profile := h.absolute("/@" + a.Username)
	doc := rss{Version: "2.0", Channel: rssChannel{
		Title: displayName(a) + " (" + h.handle(a) + ")", Link: profile,
		Description: "Public posts from " + displayName(a) + " on " + h.social.Domain(),
		Image:       &rssImage{URL: h.absolute(avatarURL(a)), Title: displayName(a), Link: profile},
	}}
	for _, st := range sts {
		if st.Visibility != social.VisibilityPublic {
			continue
		}
		link := h.absolute("/@" + a.Username + "/" + strconv.FormatInt(st.ID, 10))
		body := st.Content
		if st.SpoilerText != "" {
			body = "<p><strong>Content warning: " + template.HTMLEscapeString(st.SpoilerText) + "</strong></p>" + body
		}
		if ms, err := h.social.StatusMedia(ctx, st); err == nil {
			for _, m := range ms {
				body += `<p><img src="` + template.HTMLEscapeString(h.absolute(h.social.MediaURL(m))) + `" alt="` + template.HTMLEscapeString(m.Description) + `"></p>`
			}
		}
		doc.Channel.Items = append(doc.Channel.Items, rssItem{
			Link: link, GUID: link, PubDate: st.CreatedAt.UTC().Format(time.RFC1123Z), Description: body,
		})
		if doc.Channel.LastBuild == "" {
			doc.Channel.LastBuild = st.CreatedAt.UTC().Format(time.RFC1123Z)
		}
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		h.log.Error("feed: encode", "error", err)
		http.Error(w, "the feed could not be written", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}
