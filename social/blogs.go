package social

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"rounds/social/htmlsafe"
	"rounds/storage"
)

// Blog posts are long-form posts: a title, a short summary, a body written
// in Markdown, images with descriptions and hashtags. A draft is seen by
// its author only and is not a status at all, so no timeline, feed or
// collection can show it. Publishing makes a public status (its content is
// the title as a link and the summary, as Mastodon shows another server's
// Article), under the same send delay, quiet hours and identifier guard as
// any post; timelines, federation (as an Article), edits and deletes then
// work as for any status. The full text is on the post's page.

// Limits of a blog post.
const (
	MaxBlogTitle   = 200
	MaxBlogSummary = 500
	MaxBlogBody    = 100_000 // bytes of Markdown
	MaxBlogTags    = 10
)

// BlogInput is what an author writes for a blog post.
type BlogInput struct {
	Title, Summary string
	// Body is Markdown; raw HTML in it is not kept.
	Body string
	// Tags are hashtags, with or without #, separated by spaces or commas.
	Tags string
	// MediaIDs are the author's uploads to attach, in order.
	MediaIDs []int64
	// PostDespiteWarning is the author's "post anyway" after the
	// identifier guard warned (allowed only under the warn policy).
	PostDespiteWarning bool
}

// blogTags parses the tags field into hashtag names.
func blogTags(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		name := strings.ToLower(strings.TrimPrefix(f, "#"))
		if name == "" {
			continue
		}
		for _, r := range name {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
				return nil, invalid("tags", fmt.Sprintf("%q is not a hashtag (letters, digits and _ only)", f))
			}
		}
		if len(name) > 100 {
			return nil, invalid("tags", "a hashtag may be at most 100 characters")
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) > MaxBlogTags {
		return nil, invalid("tags", fmt.Sprintf("may hold at most %d hashtags", MaxBlogTags))
	}
	return out, nil
}

// check validates in for publishing (a draft may be unfinished).
func (in *BlogInput) check(publishing bool) error {
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	if publishing && in.Title == "" {
		return invalid("title", "can't be blank")
	}
	if utf8.RuneCountInString(in.Title) > MaxBlogTitle {
		return invalid("title", fmt.Sprintf("is too long (the limit is %d characters)", MaxBlogTitle))
	}
	if utf8.RuneCountInString(in.Summary) > MaxBlogSummary {
		return invalid("summary", fmt.Sprintf("is too long (the limit is %d characters)", MaxBlogSummary))
	}
	if len(in.Body) > MaxBlogBody {
		return invalid("body", fmt.Sprintf("is too long (the limit is %d bytes)", MaxBlogBody))
	}
	if publishing && strings.TrimSpace(in.Body) == "" {
		return invalid("body", "can't be blank")
	}
	in.MediaIDs = uniqueIDs(in.MediaIDs)
	if len(in.MediaIDs) > MaxMediaPerStatus {
		return invalid("media_ids", fmt.Sprintf("may hold at most %d images", MaxMediaPerStatus))
	}
	_, err := blogTags(in.Tags)
	return err
}

// RenderBlogBody renders a blog post's Markdown as HTML, through the same
// sanitiser as other servers' HTML.
func RenderBlogBody(source string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(source), &buf); err != nil {
		return htmlsafe.Sanitize(plainToHTML(source))
	}
	return strings.TrimSpace(htmlsafe.Sanitize(buf.String()))
}

// ArticleStatusHTML is a blog post's status content, what apps show of it:
// the title as a link to its page, and the summary.
func ArticleStatusHTML(title, summary, url string) string {
	var b strings.Builder
	b.WriteString(`<p><a href="` + html.EscapeString(url) + `">` + html.EscapeString(title) + `</a></p>`)
	if summary != "" {
		b.WriteString(plainToHTML(summary))
	}
	return htmlsafe.Sanitize(b.String())
}

var strictPolicy = bluemonday.StrictPolicy()

// PlainText is HTML as plain text: no tags, entities decoded, spaces
// collapsed (a remote Article's summary, say).
func PlainText(s string) string {
	s = strings.NewReplacer("</p>", "\n", "<br>", "\n", "<br/>", "\n", "<br />", "\n").Replace(s)
	return strings.Join(strings.Fields(html.UnescapeString(strictPolicy.Sanitize(s))), " ")
}

// ReadingMinutes is how long a text of the given HTML takes to read, at
// 200 words a minute, at least one.
func ReadingMinutes(contentHTML string) int {
	words := len(strings.Fields(PlainText(contentHTML)))
	return max(1, (words+199)/200)
}

// Slugify makes a page name from a title: its ASCII letters and digits,
// lower-case, words joined by hyphens, at most 60 characters (whole words).
func Slugify(title string) string {
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return r >= utf8.RuneSelf || !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && b.Len()+1+len(w) > 60 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w[:min(len(w), 60)])
	}
	if b.Len() == 0 {
		return "post"
	}
	return b.String()
}

// uniqueSlug is slug, or slug-2, slug-3 ... when accountID has it already.
func uniqueSlug(ctx context.Context, tx storage.Tx, accountID int64, slug string) (string, error) {
	for i := 1; i < 1000; i++ {
		cand := slug
		if i > 1 {
			cand = slug + "-" + strconv.Itoa(i)
		}
		taken, err := tx.SlugTaken(ctx, accountID, cand)
		if err != nil {
			return "", err
		}
		if !taken {
			return cand, nil
		}
	}
	return "", invalid("title", "is used by too many of your posts")
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, " ")
}

// DraftMediaIDs are the images a draft holds, in order.
func DraftMediaIDs(p *storage.BlogPost) []int64 {
	var ids []int64
	for _, f := range strings.Fields(p.MediaIDs) {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// guardBlogPost runs the identifier guard over what a blog post shows:
// its title, summary and body (as the text) and its images' descriptions,
// the same check as any post's.
func (s *Service) guardBlogPost(ctx context.Context, me *storage.Account, in BlogInput) error {
	text := in.Title + "\n\n" + in.Summary + "\n\n" + in.Body
	return s.checkForIdentifiers(ctx, me, NewStatus{Text: text, MediaIDs: in.MediaIDs}, in.PostDespiteWarning)
}

// ownBlogPost loads me's blog post id, or ErrNotFound.
func ownBlogPost(ctx context.Context, q interface {
	BlogPostByID(context.Context, int64) (*storage.BlogPost, error)
}, me *storage.Account, id int64) (*storage.BlogPost, error) {
	p, err := q.BlogPostByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.AccountID != me.ID {
		return nil, ErrNotFound
	}
	return p, nil
}

// SaveBlogDraft stores me's draft: a new one when id is 0. A draft is
// checked for size only; the guard reads it when it is published.
func (s *Service) SaveBlogDraft(ctx context.Context, me *storage.Account, id int64, in BlogInput) (*storage.BlogPost, error) {
	if !me.Local() || me.Suspended() {
		return nil, ErrForbidden
	}
	if err := in.check(false); err != nil {
		return nil, err
	}
	for _, mid := range in.MediaIDs {
		if m, err := s.db.MediaByID(ctx, mid); err != nil || m.AccountID != me.ID {
			return nil, invalid("media_ids", fmt.Sprintf("names an image that does not exist (%d)", mid))
		}
	}
	var p *storage.BlogPost
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		now := s.now()
		if id == 0 {
			p = &storage.BlogPost{ID: storage.NewID(), AccountID: me.ID, CreatedAt: now}
		} else {
			var err error
			if p, err = ownBlogPost(ctx, tx, me, id); err != nil {
				return err
			}
			if !p.Draft() {
				return invalid("", "this post is published already; edit it instead")
			}
		}
		p.Title, p.Summary, p.Source, p.Tags = in.Title, in.Summary, in.Body, in.Tags
		p.Content = RenderBlogBody(in.Body)
		p.MediaIDs = joinIDs(in.MediaIDs)
		p.UpdatedAt = now
		if id == 0 {
			return tx.InsertBlogPost(ctx, p)
		}
		return tx.UpdateBlogPost(ctx, p)
	})
	return p, domainErr(err)
}

// PublishBlogPost publishes me's draft id (or, with id 0, a post written
// straight away) with what in says. It is checked as a post is (the
// identifier guard over title, summary, body and image descriptions) and
// waits out the send delay and quiet hours as a post does.
func (s *Service) PublishBlogPost(ctx context.Context, me *storage.Account, id int64, in BlogInput) (*storage.BlogPost, *storage.Status, error) {
	ctx, done := s.collect(ctx)
	if !me.Local() || me.Suspended() {
		return nil, nil, ErrForbidden
	}
	if err := in.check(true); err != nil {
		return nil, nil, err
	}
	tags, _ := blogTags(in.Tags)
	if err := s.guardBlogPost(ctx, me, in); err != nil {
		return nil, nil, err
	}
	delay, err := s.sendDelay(ctx, me)
	if err != nil {
		return nil, nil, err
	}
	body := RenderBlogBody(in.Body)
	var p *storage.BlogPost
	var st *storage.Status
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		now := s.now()
		if id == 0 {
			p = &storage.BlogPost{ID: storage.NewID(), AccountID: me.ID, CreatedAt: now}
		} else {
			var err error
			if p, err = ownBlogPost(ctx, tx, me, id); err != nil {
				return err
			}
			if !p.Draft() {
				return invalid("", "this post is published already")
			}
		}
		slug, err := uniqueSlug(ctx, tx, me.ID, Slugify(in.Title))
		if err != nil {
			return err
		}
		sid := storage.NewID()
		var pendingUntil *time.Time
		if delay > 0 {
			at := now.Add(delay)
			pendingUntil = &at
			sid = storage.IDAt(at) // as postStatus: it sorts where it is first seen
		}
		pageURL := fmt.Sprintf("%s/@%s/blog/%s", s.base, me.Username, slug)
		st = &storage.Status{
			ID: sid, URI: fmt.Sprintf("%s/users/%s/statuses/%d", s.base, me.Username, sid), URL: pageURL,
			AccountID: me.ID, Content: ArticleStatusHTML(in.Title, in.Summary, pageURL),
			Text: in.Title + "\n\n" + in.Summary, Visibility: VisibilityPublic, Local: true,
			CreatedAt: now, Account: me, PendingUntil: pendingUntil,
		}
		if err := tx.InsertStatus(ctx, st, nil); err != nil {
			return err
		}
		if err := s.attachMedia(ctx, tx, me, st, in.MediaIDs, nil); err != nil {
			return err
		}
		if err := tx.TagStatus(ctx, st.ID, tags, now); err != nil {
			return err
		}
		p.StatusID, p.Slug = &st.ID, slug
		p.Title, p.Summary, p.Source, p.Content, p.Tags, p.MediaIDs = in.Title, in.Summary, in.Body, body, "", ""
		p.UpdatedAt = now
		if id == 0 {
			err = tx.InsertBlogPost(ctx, p)
		} else {
			err = tx.UpdateBlogPost(ctx, p)
		}
		if err != nil {
			return err
		}
		if st.Pending() {
			return s.scheduleRelease(ctx, tx, st)
		}
		return s.afterPublish(ctx, tx, st)
	})
	done(err == nil)
	if err != nil {
		return nil, nil, domainErr(err)
	}
	return p, st, nil
}

// EditBlogPost changes me's published post: its status keeps the earlier
// version in its history, and the servers it went to get an Update. The
// page keeps its address.
func (s *Service) EditBlogPost(ctx context.Context, me *storage.Account, id int64, in BlogInput) (*storage.BlogPost, error) {
	ctx, done := s.collect(ctx)
	if !me.Local() || me.Suspended() {
		return nil, ErrForbidden
	}
	if err := in.check(true); err != nil {
		return nil, err
	}
	tags, _ := blogTags(in.Tags)
	if err := s.guardBlogPost(ctx, me, in); err != nil {
		return nil, err
	}
	body := RenderBlogBody(in.Body)
	var p *storage.BlogPost
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if p, err = ownBlogPost(ctx, tx, me, id); err != nil {
			return err
		}
		if p.Draft() {
			return invalid("", "this post is a draft; publish it instead")
		}
		st, err := tx.StatusByID(ctx, *p.StatusID)
		if err != nil {
			return err
		}
		now := s.now()
		if err := tx.UpdateStatusContent(ctx, st, ArticleStatusHTML(in.Title, in.Summary, st.URL), in.Title+"\n\n"+in.Summary, "", false, now); err != nil {
			return err
		}
		if err := s.attachMedia(ctx, tx, me, st, in.MediaIDs, nil); err != nil {
			return err
		}
		if err := tx.DetachMediaExcept(ctx, st.ID, in.MediaIDs); err != nil {
			return err
		}
		if err := tx.ReplaceStatusLinks(ctx, st.ID, nil, tags, now); err != nil {
			return err
		}
		p.Title, p.Summary, p.Source, p.Content, p.UpdatedAt = in.Title, in.Summary, in.Body, body, now
		if err := tx.UpdateBlogPost(ctx, p); err != nil {
			return err
		}
		if st.Pending() {
			return nil // not sent yet: it leaves with the new text
		}
		s.emit(ctx, Event{Type: "status.update", StatusID: st.ID})
		return s.publish(ctx, tx, PublishArgs{Type: PublishUpdate, AccountID: me.ID, StatusID: st.ID})
	})
	done(err == nil)
	return p, domainErr(err)
}

// DeleteBlogPost deletes me's post: a draft simply goes; a published post
// is deleted as its status is (the servers it went to are told).
func (s *Service) DeleteBlogPost(ctx context.Context, me *storage.Account, id int64) error {
	p, err := ownBlogPost(ctx, s.db, me, id)
	if err != nil {
		return domainErr(err)
	}
	if p.Draft() {
		return domainErr(s.db.DeleteBlogPost(ctx, p))
	}
	// The row goes with its status (ON DELETE CASCADE).
	_, err = s.DeleteStatus(ctx, me, *p.StatusID)
	return err
}

// BlogPostOfStatus returns the blog post st is, or nil for an ordinary
// status.
func (s *Service) BlogPostOfStatus(ctx context.Context, st *storage.Status) (*storage.BlogPost, error) {
	p, err := s.db.BlogPostByStatusID(ctx, st.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// OwnBlogPost returns me's post id (a draft too), to edit.
func (s *Service) OwnBlogPost(ctx context.Context, me *storage.Account, id int64) (*storage.BlogPost, error) {
	p, err := ownBlogPost(ctx, s.db, me, id)
	return p, domainErr(err)
}

// BlogDrafts returns me's drafts, newest first.
func (s *Service) BlogDrafts(ctx context.Context, me *storage.Account) ([]*storage.BlogPost, error) {
	return s.db.BlogDrafts(ctx, me.ID, 100)
}

// BlogEntry is a published blog post with its status, as a viewer may see
// it.
type BlogEntry struct {
	Post   *storage.BlogPost
	Status *storage.Status
}

// BlogPosts returns author's published posts that viewer (nil: anyone) may
// see, newest first, older than maxID (a status id) when set. Drafts are
// never among them; a post waiting out its send delay is its author's
// only.
func (s *Service) BlogPosts(ctx context.Context, viewer, author *storage.Account, maxID int64, limit int) ([]BlogEntry, error) {
	own := viewer != nil && viewer.ID == author.ID
	ps, err := s.db.PublishedBlogPosts(ctx, author.ID, maxID, limit, own)
	if err != nil {
		return nil, err
	}
	out := make([]BlogEntry, 0, len(ps))
	for _, p := range ps {
		st, err := s.db.StatusByID(ctx, *p.StatusID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st.Account == nil {
			st.Account = author
		}
		if s.MayView(ctx, viewer, st) {
			out = append(out, BlogEntry{Post: p, Status: st})
		}
	}
	return out, nil
}

// BlogPostBySlug returns author's published post with slug, when viewer
// (nil: anyone) may see it.
func (s *Service) BlogPostBySlug(ctx context.Context, viewer, author *storage.Account, slug string) (BlogEntry, error) {
	p, err := s.db.BlogPostBySlug(ctx, author.ID, slug)
	if err != nil {
		return BlogEntry{}, domainErr(err)
	}
	st, err := s.db.StatusByID(ctx, *p.StatusID)
	if err != nil {
		return BlogEntry{}, domainErr(err)
	}
	if st.Account == nil {
		st.Account = author
	}
	if !s.MayView(ctx, viewer, st) {
		return BlogEntry{}, ErrNotFound
	}
	return BlogEntry{Post: p, Status: st}, nil
}

// RemoteArticle is a long-form post another server sent (an Article):
// its title, its summary as plain text and its full content, sanitised.
type RemoteArticle struct {
	Title, Summary, Content string
}

// keepRemoteArticle stores what a received Article has beyond its status.
func (s *Service) keepRemoteArticle(ctx context.Context, tx storage.Tx, st *storage.Status, a *RemoteArticle) error {
	if a == nil {
		return nil
	}
	now := s.now()
	return tx.InsertBlogPost(ctx, &storage.BlogPost{
		ID: storage.NewID(), AccountID: st.AccountID, StatusID: &st.ID,
		Title: a.Title, Summary: a.Summary, Content: a.Content, CreatedAt: now, UpdatedAt: now,
	})
}

// ReceiveUpdateArticle applies an Update of a remote Article: the status
// changes as any remote edit does (ReceiveUpdateStatus, whose rules about
// late and repeated edits hold), and the full text with it.
func (s *Service) ReceiveUpdateArticle(ctx context.Context, actor *storage.Account, uri, statusHTML string, a RemoteArticle, sensitive bool, at time.Time, media []RemoteMedia) error {
	if err := s.ReceiveUpdateStatus(ctx, actor, uri, statusHTML, "", sensitive, at, media); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByURI(ctx, uri)
		if err != nil {
			return err
		}
		if st.EditedAt == nil || !st.EditedAt.Equal(at) || st.Content != statusHTML {
			return nil // the edit was not applied (an older one, say)
		}
		p, err := tx.BlogPostByStatusID(ctx, st.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return s.keepRemoteArticle(ctx, tx, st, &a)
		}
		if err != nil {
			return err
		}
		p.Title, p.Summary, p.Content, p.UpdatedAt = a.Title, a.Summary, a.Content, s.now()
		return tx.UpdateBlogPost(ctx, p)
	})
	return domainErr(err)
}

// refuseArticleEdit stops an edit through the Mastodon API of a blog post,
// which would replace its title and summary with plain text: blog posts
// are edited on their page.
func refuseArticleEdit(ctx context.Context, tx storage.Tx, st *storage.Status) error {
	if _, err := tx.BlogPostByStatusID(ctx, st.ID); err == nil {
		return invalid("", "a blog post is edited on its page, not here")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}
