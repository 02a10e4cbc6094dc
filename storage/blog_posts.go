package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// BlogPost is a long-form post: a local draft (StatusID nil), a published
// local post, or a remote Article, whose status carries the rest (author,
// audience, images, hashtags, history).
type BlogPost struct {
	bun.BaseModel `bun:"table:blog_posts,alias:bp"`

	ID        int64 `bun:",pk"`
	AccountID int64 `bun:",notnull"`
	StatusID  *int64
	// Slug names a local post's page, /@name/blog/SLUG; "" for a draft
	// not published yet and for remote posts.
	Slug    string `bun:",notnull"`
	Title   string `bun:",notnull"`
	Summary string `bun:",notnull"` // plain text
	Source  string `bun:",notnull"` // the author's Markdown (local only)
	Content string `bun:",notnull"` // the body as sanitised HTML
	// Tags and MediaIDs (space-separated) are a draft's; a published
	// post's are its status's.
	Tags      string    `bun:",notnull"`
	MediaIDs  string    `bun:"media_ids,notnull"`
	CreatedAt time.Time `bun:",notnull"`
	UpdatedAt time.Time `bun:",notnull"`
}

// Draft reports whether p is a draft, seen by its author only.
func (p *BlogPost) Draft() bool { return p.StatusID == nil }

// InsertBlogPost stores p.
func (q queries) InsertBlogPost(ctx context.Context, p *BlogPost) error {
	if _, err := q.w.NewInsert().Model(p).Exec(ctx); err != nil {
		return fmt.Errorf("insert blog post: %w", err)
	}
	return nil
}

// UpdateBlogPost stores p's changed fields.
func (q queries) UpdateBlogPost(ctx context.Context, p *BlogPost) error {
	_, err := q.w.NewUpdate().Model(p).
		Column("status_id", "slug", "title", "summary", "source", "content", "tags", "media_ids", "updated_at").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update blog post: %w", err)
	}
	return nil
}

// DeleteBlogPost deletes p (its status, if any, is the caller's).
func (q queries) DeleteBlogPost(ctx context.Context, p *BlogPost) error {
	_, err := q.w.NewDelete().Model(p).WherePK().Exec(ctx)
	return err
}

// BlogPostByID returns a blog post or ErrNotFound.
func (q queries) BlogPostByID(ctx context.Context, id int64) (*BlogPost, error) {
	p := new(BlogPost)
	if err := q.r.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

// BlogPostByStatusID returns the blog post a status is, or ErrNotFound for
// an ordinary status.
func (q queries) BlogPostByStatusID(ctx context.Context, statusID int64) (*BlogPost, error) {
	p := new(BlogPost)
	if err := q.r.NewSelect().Model(p).Where("status_id = ?", statusID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

// BlogPostBySlug returns accountID's published post with slug.
func (q queries) BlogPostBySlug(ctx context.Context, accountID int64, slug string) (*BlogPost, error) {
	p := new(BlogPost)
	err := q.r.NewSelect().Model(p).Where("account_id = ?", accountID).Where("slug = ?", slug).
		Where("status_id IS NOT NULL").Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

// SlugTaken reports whether accountID has a post with slug.
func (q queries) SlugTaken(ctx context.Context, accountID int64, slug string) (bool, error) {
	return q.r.NewSelect().Model((*BlogPost)(nil)).Where("account_id = ?", accountID).Where("slug = ?", slug).Exists(ctx)
}

// BlogDrafts returns accountID's drafts, newest first.
func (q queries) BlogDrafts(ctx context.Context, accountID int64, limit int) ([]*BlogPost, error) {
	var out []*BlogPost
	err := q.r.NewSelect().Model(&out).Where("account_id = ?", accountID).Where("status_id IS NULL").
		OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("blog drafts: %w", err)
	}
	return out, nil
}

// PublishedBlogPosts returns accountID's published posts, newest first,
// older than maxStatusID when it is set. Posts still waiting out their
// send delay are left out unless withPending, and only public and
// unlisted ones are listed unless withPrivate.
func (q queries) PublishedBlogPosts(ctx context.Context, accountID int64, maxStatusID int64, limit int, withPending bool) ([]*BlogPost, error) {
	var out []*BlogPost
	sel := q.r.NewSelect().Model(&out).
		Join("JOIN statuses AS s ON s.id = bp.status_id").
		Where("bp.account_id = ?", accountID).
		Where("s.visibility IN ('public', 'unlisted')").
		OrderExpr("s.id DESC").Limit(int64(limit))
	if !withPending {
		sel = sel.Where("s.pending_until IS NULL")
	}
	if maxStatusID > 0 {
		sel = sel.Where("s.id < ?", maxStatusID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("blog posts: %w", err)
	}
	return out, nil
}
