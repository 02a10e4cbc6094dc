package api

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// MaxUploadBody caps a media upload request: the image and the form around
// it. The server's general 1 MiB cap does not apply to these routes.
const MaxUploadBody = social.MaxImageBytes + 1<<20

func (h *handler) mediaRoutes(r chi.Router) {
	r.With(requireUser("write:media")).Post("/api/v1/media", h.uploadMedia)
	r.With(requireUser("write:media")).Post("/api/v2/media", h.uploadMedia)
	r.With(requireUser("write:media")).Get("/api/v1/media/{id}", h.getMedia)
	r.With(requireUser("write:media")).Put("/api/v1/media/{id}", h.updateMedia)
	r.With(requireUser("write:media")).Delete("/api/v1/media/{id}", h.deleteMedia)
	r.With(requireUser("write:accounts")).Delete("/api/v1/profile/avatar", h.deleteProfileImage(social.ProfileAvatar))
	r.With(requireUser("write:accounts")).Delete("/api/v1/profile/header", h.deleteProfileImage(social.ProfileHeader))
}

// deleteMedia deletes an attachment not yet in a post, with its files.
func (h *handler) deleteMedia(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	err := h.social.DeleteMedia(r.Context(), me(r), id)
	if errors.Is(err, social.ErrMediaInUse) {
		err = errorf(http.StatusUnprocessableEntity, "%s", err.Error())
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}

// deleteProfileImage removes the avatar or header and answers the
// CredentialAccount; the servers of followers get an Update of the actor.
func (h *handler) deleteProfileImage(which string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if _, err := h.social.SetProfileImage(r.Context(), u.Account, which, nil); err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, h.presenter(u.Account).CredentialAccount(r.Context(), u))
	}
}

// MediaAttachment is Mastodon's MediaAttachment entity.
type MediaAttachment struct {
	ID               string     `json:"id"`
	Type             string     `json:"type"`
	URL              *string    `json:"url"`
	PreviewURL       *string    `json:"preview_url"`
	RemoteURL        *string    `json:"remote_url"`
	PreviewRemoteURL *string    `json:"preview_remote_url"`
	TextURL          *string    `json:"text_url"`
	Meta             *MediaMeta `json:"meta"`
	Description      *string    `json:"description"`
	Blurhash         *string    `json:"blurhash"`
}

func (p *present) Media(m *storage.Media) *MediaAttachment {
	url, preview := p.h.social.MediaURL(m), p.h.social.MediaPreviewURL(m)
	out := &MediaAttachment{
		ID: idString(m.ID), Type: m.Type, URL: &url, PreviewURL: &preview,
		Description: optString(m.Description), Blurhash: optString(m.Blurhash), Meta: &MediaMeta{},
	}
	if m.RemoteURL != "" {
		out.RemoteURL = &m.RemoteURL
	}
	if m.Width > 0 && m.Height > 0 {
		original := imageSize(m.Width, m.Height)
		small := original
		if m.PreviewFileName != "" && m.PreviewWidth > 0 && m.PreviewHeight > 0 {
			small = imageSize(m.PreviewWidth, m.PreviewHeight)
		}
		out.Meta = &MediaMeta{Focus: &MediaFocus{}, Original: &original, Small: &small}
	}
	return out
}

// MediaMeta is a MediaAttachment's meta: {} when the size is unknown.
// Structs rather than maps, which encoding/json encodes slower; the
// fields are in the order of the keys a map would have been sorted in.
type MediaMeta struct {
	Focus    *MediaFocus `json:"focus,omitempty"`
	Original *ImageSize  `json:"original,omitempty"`
	Small    *ImageSize  `json:"small,omitempty"`
}

// MediaFocus is the focal point of an image, always the centre here.
type MediaFocus struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// ImageSize is a size in a MediaAttachment's meta.
type ImageSize struct {
	Aspect float64 `json:"aspect"`
	Height int     `json:"height"`
	Size   string  `json:"size"`
	Width  int     `json:"width"`
}

func imageSize(w, h int) ImageSize {
	return ImageSize{Width: w, Height: h, Size: strconv.Itoa(w) + "x" + strconv.Itoa(h), Aspect: float64(w) / float64(h)}
}

func (h *handler) uploadMedia(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	r.Body = http.MaxBytesReader(w, r.Body, MaxUploadBody)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.writeError(w, r, errorf(http.StatusRequestEntityTooLarge, "The file is larger than 16 MB"))
			return
		}
		h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "Send the image as multipart/form-data in a field named file"))
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, _, err := r.FormFile("file")
	if err != nil {
		h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "Validation failed: File can't be blank"))
		return
	}
	defer f.Close()
	m, err := h.social.UploadMedia(r.Context(), u.Account, f, r.FormValue("description"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	// Images are ready at once, so 200 (Mastodon answers 202 while it
	// still processes a file).
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Media(m))
}

func (h *handler) getMedia(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	m, err := h.social.Media(r.Context(), u.Account, id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Media(m))
}

func (h *handler) updateMedia(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	m, err := h.social.DescribeMedia(r.Context(), u.Account, id, p.str("description"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Media(m))
}

// mediaAttributeKey is one field of Mastodon's media_attributes[] in an
// edit, indexed (media_attributes[0][id], as JSON arrays of objects and
// Rails forms send it) or not (media_attributes[][id]).
var mediaAttributeKey = regexp.MustCompile(`^media_attributes\[([0-9]*)\]\[([a-z_]+)\]$`)

// mediaAttributesFrom reads the media_attributes[] of an edit: the id and
// description of images to describe anew. A focus is accepted and, as at
// upload, not kept.
func mediaAttributesFrom(p params) ([]social.MediaAttribute, error) {
	type entry struct {
		id, desc []string
	}
	groups := map[string]*entry{}
	for k, v := range p {
		m := mediaAttributeKey.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		g := groups[m[1]]
		if g == nil {
			g = &entry{}
			groups[m[1]] = g
		}
		switch m[2] {
		case "id":
			g.id = v
		case "description":
			g.desc = v
		}
	}
	var out []social.MediaAttribute
	add := func(idText string, desc *string) error {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: media_attributes[][id] must be the id of an attachment")
		}
		out = append(out, social.MediaAttribute{ID: id, Description: desc})
		return nil
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		g := groups[k]
		if k == "" {
			// Unindexed: the n-th id goes with the n-th description, so
			// every entry must have both or none has a description.
			if len(g.desc) > 0 && len(g.desc) != len(g.id) {
				return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: give media_attributes[][description] for every media_attributes[][id], or index them (media_attributes[0][id])")
			}
			for i, id := range g.id {
				var desc *string
				if len(g.desc) > 0 {
					desc = &g.desc[i]
				}
				if err := add(id, desc); err != nil {
					return nil, err
				}
			}
			continue
		}
		if len(g.id) != 1 {
			return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: media_attributes[%s] needs one id", k)
		}
		var desc *string
		if len(g.desc) > 0 {
			desc = &g.desc[0]
		}
		if err := add(g.id[0], desc); err != nil {
			return nil, err
		}
	}
	return out, nil
}
