package ui

import (
	"context"
	"encoding/xml"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// The public blog pages: a clinician's blog index (/@name/blog), each
// post's page (/@name/blog/SLUG) and the Atom feed (/@name/blog.atom).
// Drafts are never here: they are not published posts (social/blogs.go).

// blogRoutes mounts the blog pages, public and the author's own.
func (h *handler) blogRoutes(r chi.Router) {
	r.Get("/@{username}/blog", h.blogIndex)
	r.Get("/@{username}/blog.atom", h.blogFeed)
	r.Get("/@{username}/blog/{slug}", h.blogPost)
	h.blogEditRoutes(r)
}

// blogCard is a blog post as the pages show it.
type blogCard struct {
	Title, Summary, URL string
	Content             template.HTML // sanitised when stored
	Published           string
	PublishedISO        string
	Edited              string
	ReadingMinutes      int
	Media               []mediaCard
	Tags                []string
	// StatusID is the post's status (for the author's links); Pending is
	// the send delay still to wait.
	StatusID    int64
	PostID      int64
	PendingLeft string
}

func (h *handler) blogCard(ctx context.Context, e social.BlogEntry) blogCard {
	st := e.Status
	c := blogCard{
		Title: e.Post.Title, Summary: e.Post.Summary, URL: st.URL,
		Content:        template.HTML(e.Post.Content), // #nosec G203 -- sanitised when stored (social.RenderBlogBody, federation.SanitizeHTML)
		Published:      st.CreatedAt.UTC().Format("2 January 2006"),
		PublishedISO:   st.CreatedAt.UTC().Format(time.RFC3339),
		ReadingMinutes: social.ReadingMinutes(e.Post.Content),
		StatusID:       st.ID, PostID: e.Post.ID,
	}
	if st.EditedAt != nil {
		c.Edited = st.EditedAt.UTC().Format("2 January 2006")
	}
	if st.Pending() {
		c.PendingLeft = timeLeft(time.Until(*st.PendingUntil))
	}
	if ms, err := h.social.StatusMedia(ctx, st); err == nil {
		for _, m := range ms {
			c.Media = append(c.Media, mediaCard{URL: h.social.MediaURL(m), Alt: m.Description})
		}
	}
	c.Tags, _ = h.social.StatusTags(ctx, st)
	return c
}

// blogAuthor finds the local author a blog path names.
func (h *handler) blogAuthor(w http.ResponseWriter, r *http.Request) (*storage.Account, bool) {
	a, err := h.social.LocalAccount(r.Context(), chi.URLParam(r, "username"))
	if err != nil || a.Suspended() {
		h.notFound(w, r)
		return nil, false
	}
	return a, true
}

// viewer is the signed-in person looking, or nil.
func (h *handler) viewer(r *http.Request) *storage.Account {
	if sess, err := h.browserSession(r); err == nil && sess != nil {
		return sess.User.Account
	}
	return nil
}

// blogIndex is GET /@name/blog: the author's published posts, newest first.
func (h *handler) blogIndex(w http.ResponseWriter, r *http.Request) {
	a, ok := h.blogAuthor(w, r)
	if !ok {
		return
	}
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	me := h.viewer(r)
	entries, err := h.social.BlogPosts(r.Context(), me, a, maxID, publicPageSize)
	if err != nil {
		h.log.Error("blog index", "account", a.ID, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "The posts could not be loaded. Try again in a moment.")
		return
	}
	cards := make([]blogCard, 0, len(entries))
	for _, e := range entries {
		cards = append(cards, h.blogCard(r.Context(), e))
	}
	older := ""
	if len(entries) == publicPageSize {
		older = "/@" + a.Username + "/blog?max_id=" + strconv.FormatInt(entries[len(entries)-1].Status.ID, 10)
	}
	h.render(w, r, http.StatusOK, "blog_index", map[string]any{
		"Account": a, "Name": displayName(a), "Handle": h.handle(a), "Posts": cards, "Older": older,
		"Own":  me != nil && me.ID == a.ID,
		"Feed": h.absolute("/@" + a.Username + "/blog.atom"),
		"OG": openGraph{
			Title: displayName(a) + "'s blog", URL: h.absolute("/@" + a.Username + "/blog"),
			Description: "Blog posts by " + displayName(a) + " (" + h.handle(a) + ")",
			Image:       h.absolute(avatarURL(a)), Type: "website",
		},
	})
}

// blogPost is GET /@name/blog/SLUG: a post in full.
func (h *handler) blogPost(w http.ResponseWriter, r *http.Request) {
	a, ok := h.blogAuthor(w, r)
	if !ok {
		return
	}
	me := h.viewer(r)
	e, err := h.social.BlogPostBySlug(r.Context(), me, a, chi.URLParam(r, "slug"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	if wantsActivity(r) {
		redirectToActivity(w, r, e.Status.URI)
		return
	}
	card := h.blogCard(r.Context(), e)
	og := openGraph{Title: card.Title, URL: card.URL, Description: card.Summary, Image: h.absolute(avatarURL(a)), Type: "article"}
	if og.Description == "" {
		og.Description = plainText(string(card.Content), 200)
	}
	if len(card.Media) > 0 {
		og.Image = h.absolute(card.Media[0].URL)
	}
	w.Header().Set("Link", `<`+e.Status.URI+`>; rel="alternate"; type="application/activity+json"`)
	h.render(w, r, http.StatusOK, "blog_post", map[string]any{
		"Account": a, "Name": displayName(a), "Handle": h.handle(a), "Post": card,
		"Own": me != nil && me.ID == a.ID, "OG": og, "ActivityURI": e.Status.URI,
		"Feed": h.absolute("/@" + a.Username + "/blog.atom"),
	})
}

// The Atom feed (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomAuthor  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
	URI  string `xml:"uri"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Links      []atomLink     `xml:"link"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    atomText       `xml:"content"`
	Categories []atomCategory `xml:"category"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// blogFeed is GET /@name/blog.atom: the latest published posts in full.
func (h *handler) blogFeed(w http.ResponseWriter, r *http.Request) {
	a, ok := h.blogAuthor(w, r)
	if !ok {
		return
	}
	// The feed is for anyone: what an anonymous reader may see.
	entries, err := h.social.BlogPosts(r.Context(), nil, a, 0, publicPageSize)
	if err != nil {
		h.log.Error("blog feed", "account", a.ID, "error", err)
		http.Error(w, "the feed could not be loaded", http.StatusInternalServerError)
		return
	}
	self := h.absolute("/@" + a.Username + "/blog.atom")
	index := h.absolute("/@" + a.Username + "/blog")
	feed := atomFeed{
		ID: self, Title: displayName(a) + "'s blog",
		Author: atomAuthor{Name: displayName(a), URI: h.absolute("/@" + a.Username)},
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self}, {Rel: "alternate", Type: "text/html", Href: index}},
	}
	updated := time.Unix(0, 0).UTC()
	for _, e := range entries {
		st := e.Status
		up := st.CreatedAt
		if st.EditedAt != nil {
			up = *st.EditedAt
		}
		if up.After(updated) {
			updated = up
		}
		entry := atomEntry{
			ID: st.URI, Title: e.Post.Title,
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: st.URL}},
			Published: st.CreatedAt.UTC().Format(time.RFC3339),
			Updated:   up.UTC().Format(time.RFC3339),
			Content:   atomText{Type: "html", Body: e.Post.Content},
		}
		if e.Post.Summary != "" {
			entry.Summary = &atomText{Type: "text", Body: e.Post.Summary}
		}
		tags, _ := h.social.StatusTags(r.Context(), st)
		for _, t := range tags {
			entry.Categories = append(entry.Categories, atomCategory{Term: t})
		}
		feed.Entries = append(feed.Entries, entry)
	}
	feed.Updated = updated.Format(time.RFC3339)
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		http.Error(w, "the feed could not be made", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// latestBlogPosts is what a profile shows of its owner's blog.
func (h *handler) latestBlogPosts(ctx context.Context, a *storage.Account) []blogCard {
	if !a.Local() {
		return nil
	}
	entries, err := h.social.BlogPosts(ctx, nil, a, 0, 3)
	if err != nil {
		h.log.Error("profile: blog posts", "account", a.ID, "error", err)
		return nil
	}
	var out []blogCard
	for _, e := range entries {
		out = append(out, blogCard{Title: e.Post.Title, Summary: e.Post.Summary, URL: e.Status.URL,
			Published: e.Status.CreatedAt.UTC().Format("2 January 2006"), PublishedISO: e.Status.CreatedAt.UTC().Format(time.RFC3339)})
	}
	return out
}

// articleOf is a status's full text when it is a blog post (local or an
// Article from another server), for the page that shows one post.
func (h *handler) articleOf(ctx context.Context, st *storage.Status) *blogCard {
	p, err := h.social.BlogPostOfStatus(ctx, st)
	if err != nil || p == nil {
		return nil
	}
	c := h.blogCard(ctx, social.BlogEntry{Post: p, Status: st})
	c.Content = template.HTML(strings.TrimSpace(p.Content)) // #nosec G203 -- sanitised when stored
	return &c
}
