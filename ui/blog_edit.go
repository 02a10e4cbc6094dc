package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// The author's blog pages: /blog lists their drafts and posts, /blog/new
// and /blog/{id}/edit show the form, which saves a draft, publishes it, or
// changes a published post (social/blogs.go decides what may happen).

func (h *handler) blogEditRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(noStore)
		r.Get("/blog", h.blogMine)
		r.Get("/blog/new", h.blogNew)
		r.Post("/blog/new", h.blogSave)
		r.Get("/blog/{id}/edit", h.blogEdit)
		r.Post("/blog/{id}/edit", h.blogSave)
		r.Post("/blog/{id}/delete", h.blogDelete)
	})
}

// blogForm is what the form shows and was sent.
type blogForm struct {
	ID                         int64
	Title, Summary, Body, Tags string
	Media                      []composeMedia
	Published                  bool
	URL                        string
}

// blogMine is GET /blog: the signed-in author's drafts and posts.
func (h *handler) blogMine(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	me := sess.User.Account
	drafts, err := h.social.BlogDrafts(r.Context(), me)
	if err != nil {
		h.log.Error("blog drafts", "account", me.ID, "error", err)
	}
	entries, err := h.social.BlogPosts(r.Context(), me, me, 0, 100)
	if err != nil {
		h.log.Error("blog posts", "account", me.ID, "error", err)
	}
	var posts []blogCard
	for _, e := range entries {
		posts = append(posts, h.blogCard(r.Context(), e))
	}
	data := map[string]any{"Drafts": drafts, "Posts": posts}
	if r.URL.Query().Get("deleted") != "" {
		data["Notice"] = "The post is deleted."
	}
	h.renderMe(w, r, sess, http.StatusOK, "blog_mine", data)
}

// blogNew is GET /blog/new.
func (h *handler) blogNew(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	h.showBlogForm(w, r, sess, http.StatusOK, blogForm{}, nil)
}

// blogEdit is GET /blog/{id}/edit: a draft or a published post of one's own.
func (h *handler) blogEdit(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	me := sess.User.Account
	p, err := h.social.OwnBlogPost(r.Context(), me, id)
	if err != nil {
		h.notFound(w, r)
		return
	}
	form := blogForm{ID: p.ID, Title: p.Title, Summary: p.Summary, Body: p.Source, Tags: p.Tags, Published: !p.Draft()}
	var media []*storage.Media
	if p.Draft() {
		for _, mid := range social.DraftMediaIDs(p) {
			if m, err := h.social.Media(r.Context(), me, mid); err == nil {
				media = append(media, m)
			}
		}
	} else if st, err := h.social.StatusByID(r.Context(), *p.StatusID); err == nil {
		form.URL = st.URL
		media, _ = h.social.StatusMedia(r.Context(), st)
		tags, _ := h.social.StatusTags(r.Context(), st)
		form.Tags = strings.Join(tags, " ")
	}
	for _, m := range media {
		form.Media = append(form.Media, composeMedia{ID: m.ID, URL: h.social.MediaURL(m), Alt: m.Description})
	}
	h.showBlogForm(w, r, sess, http.StatusOK, form, nil)
}

// blogSave is POST /blog/new and /blog/{id}/edit: action "draft" saves,
// "publish" publishes a draft, "update" changes a published post.
func (h *handler) blogSave(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	ctx := r.Context()
	me := sess.User.Account
	form := blogForm{Title: f.Get("title"), Summary: f.Get("summary"), Body: f.Get("body"), Tags: f.Get("tags")}
	if chi.URLParam(r, "id") != "" {
		id, ok := h.pathID(w, r)
		if !ok {
			return
		}
		p, err := h.social.OwnBlogPost(ctx, me, id)
		if err != nil {
			h.notFound(w, r)
			return
		}
		form.ID, form.Published = p.ID, !p.Draft()
	}
	// Images kept from before (with their descriptions, perhaps changed),
	// then new files.
	for _, v := range f["media_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		m, err := h.social.Media(ctx, me, id)
		if err != nil {
			continue
		}
		if na, ok := f["alt_"+v]; ok {
			if alt := strings.TrimSpace(na[0]); alt != m.Description {
				if m2, err := h.social.DescribeMedia(ctx, me, id, alt); err == nil {
					m = m2
				}
			}
		}
		if f.Get("remove_"+v) != "" {
			continue
		}
		form.Media = append(form.Media, composeMedia{ID: m.ID, URL: h.social.MediaURL(m), Alt: m.Description})
	}
	for i := 1; i <= composeSlots; i++ {
		file, _, err := r.FormFile(fmt.Sprintf("image_%d", i))
		if err != nil {
			continue
		}
		m, err := h.social.UploadMedia(ctx, me, file, strings.TrimSpace(f.Get(fmt.Sprintf("alt_%d", i))))
		file.Close()
		if err != nil {
			h.blogFailed(w, r, sess, form, fmt.Errorf("image %d: %w", i, err))
			return
		}
		form.Media = append(form.Media, composeMedia{ID: m.ID, URL: h.social.MediaURL(m), Alt: m.Description})
	}
	in := social.BlogInput{
		Title: form.Title, Summary: form.Summary, Body: form.Body, Tags: form.Tags,
		PostDespiteWarning: f.Get("post_anyway") == "yes" && f.Get("confirm_no_patient") == "yes",
	}
	for _, m := range form.Media {
		in.MediaIDs = append(in.MediaIDs, m.ID)
	}
	action := f.Get("action")
	if action == "" && in.PostDespiteWarning {
		action = "publish" // the guard's "Publish anyway" button
	}
	switch {
	case form.Published:
		if _, err := h.social.EditBlogPost(ctx, me, form.ID, in); err != nil {
			h.blogFailed(w, r, sess, form, err)
			return
		}
		h.redirectToBlogPost(w, r, form.ID, me)
	case action == "publish":
		p, _, err := h.social.PublishBlogPost(ctx, me, form.ID, in)
		if err != nil {
			h.blogFailed(w, r, sess, form, err)
			return
		}
		h.redirectToBlogPost(w, r, p.ID, me)
	default:
		p, err := h.social.SaveBlogDraft(ctx, me, form.ID, in)
		if err != nil {
			h.blogFailed(w, r, sess, form, err)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/blog/%d/edit?saved=1", p.ID), http.StatusSeeOther)
	}
}

// redirectToBlogPost sends the author to the post's page.
func (h *handler) redirectToBlogPost(w http.ResponseWriter, r *http.Request, id int64, me *storage.Account) {
	p, err := h.social.OwnBlogPost(r.Context(), me, id)
	if err != nil || p.Draft() {
		http.Redirect(w, r, "/blog", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/@"+me.Username+"/blog/"+p.Slug, http.StatusSeeOther)
}

// blogDelete is POST /blog/{id}/delete.
func (h *handler) blogDelete(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.postedForm(w, r)
	if sess == nil {
		return
	}
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	err := h.social.DeleteBlogPost(r.Context(), sess.User.Account, id)
	switch {
	case err == nil:
		http.Redirect(w, r, "/blog?deleted=1", http.StatusSeeOther)
	case errors.Is(err, social.ErrNotFound), errors.Is(err, social.ErrForbidden):
		h.notFound(w, r)
	default:
		h.log.Error("blog delete", "id", id, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "The post could not be deleted. Try again.")
	}
}

// blogFailed shows the form again with what went wrong, as the compose
// form does: the guard's warning (and "post anyway" under the warn
// policy), a refused field, or our own failure.
func (h *handler) blogFailed(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, form blogForm, err error) {
	var ie *social.IdentifierError
	var ve *social.ValidationError
	switch {
	case errors.As(err, &ie):
		h.showBlogForm(w, r, sess, http.StatusUnprocessableEntity, form, map[string]any{
			"Warning": ie.Error(), "OverrideAllowed": ie.OverrideAllowed,
		})
	case errors.As(err, &ve):
		msg := capitalize(strings.ReplaceAll(ve.Error(), "_", " "))
		if prefix, _, ok := strings.Cut(err.Error(), ": "); ok && strings.HasPrefix(prefix, "image ") {
			msg = capitalize(prefix) + ": " + msg
		}
		h.showBlogForm(w, r, sess, http.StatusUnprocessableEntity, form, map[string]any{"Error": strings.TrimSuffix(msg, ".") + "."})
	case errors.Is(err, social.ErrNotFound):
		h.notFound(w, r)
	case errors.Is(err, social.ErrForbidden):
		h.showBlogForm(w, r, sess, http.StatusForbidden, form, map[string]any{"Error": "Your account may not post now."})
	default:
		h.log.Error("blog save", "account_id", sess.User.AccountID, "error", err)
		h.showBlogForm(w, r, sess, http.StatusInternalServerError, form, map[string]any{"Error": "Something went wrong on our side; the post was not saved. Try again."})
	}
}

// showBlogForm renders the form.
func (h *handler) showBlogForm(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, form blogForm, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	var slots []int
	for i := len(form.Media) + 1; i <= composeSlots; i++ {
		slots = append(slots, i)
	}
	action := "/blog/new"
	if form.ID != 0 {
		action = fmt.Sprintf("/blog/%d/edit", form.ID)
	}
	if r.URL.Query().Get("saved") != "" && status == http.StatusOK {
		data["Notice"] = "Draft saved. Only you can see it."
	}
	data["Form"] = form
	data["Slots"] = slots
	data["Action"] = action
	data["MaxTitle"] = social.MaxBlogTitle
	data["MaxSummary"] = social.MaxBlogSummary
	h.renderMe(w, r, sess, status, "blog_edit", data)
}
