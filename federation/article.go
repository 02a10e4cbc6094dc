package federation

import (
	"context"
	"html"

	"rounds/social"
	"rounds/storage"
)

// Blog posts travel as ActivityStreams Articles: name (the title), summary,
// content (the full text), url (the post's page), attachments and tags,
// addressed as a public post. Mastodon shows another server's Article as
// its title, summary and link, and so do Rounds' own timelines and API;
// the full text is on the post's page.

// articleDoc makes n, the document of local status st, an Article when st
// is a blog post.
func (f *Federation) articleDoc(ctx context.Context, st *storage.Status, n *NoteDoc) error {
	p, err := f.social.BlogPostOfStatus(ctx, st)
	if err != nil || p == nil {
		return err
	}
	n.Type = "Article"
	n.Name = p.Title
	n.Summary = html.EscapeString(p.Summary)
	n.Content = p.Content
	n.Sensitive = false
	return nil
}

// isArticle reports whether a received post is long-form: an Article
// (WordPress, WriteFreely, Ghost, Rounds). A Page is not: Lemmy's and
// Mbin's are discussion posts, shown whole.
func isArticle(n *NoteDoc) bool {
	return n.Type == "Article"
}

// remoteArticle reads a received long-form post: st, made from n, takes
// the title as a link and the summary as its content (what apps show, as
// on Mastodon), and the full text is returned to keep beside it. It is
// nil for other posts.
func remoteArticle(n *NoteDoc, st *storage.Status) *social.RemoteArticle {
	if !isArticle(n) {
		return nil
	}
	a := &social.RemoteArticle{Title: n.Name, Summary: social.PlainText(n.Summary), Content: SanitizeHTML(n.Content)}
	if a.Title == "" {
		a.Title = st.URL
	}
	// The summary of an Article is its summary, not a content warning.
	st.SpoilerText, st.Sensitive = "", n.Sensitive
	st.Content = social.ArticleStatusHTML(a.Title, a.Summary, st.URL)
	return a
}
