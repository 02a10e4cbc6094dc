package social

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/webp"

	"rounds/storage"
)

// Media limits, as Mastodon's.
const (
	MaxImageBytes      = 16 << 20
	MaxMediaPerStatus  = 4
	MaxMediaDescLength = 1500
)

// ImageTypes are the image formats accepted for upload.
var ImageTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

// MediaDir is where uploaded files live, below the data directory.
func (s *Service) MediaDir() string { return filepath.Join(s.dataDir, "media") }

// MediaURL is where a stored file is served.
func (s *Service) MediaURL(m *storage.Media) string {
	if m.FileName == "" {
		return m.RemoteURL
	}
	return s.base + "/media/" + m.FileName
}

// UploadMedia stores an image me uploaded, to attach to a post later. The
// file is checked to be an image of an accepted type by its content, not
// its name, and written atomically into the data directory.
func (s *Service) UploadMedia(ctx context.Context, me *storage.Account, r io.Reader, description string) (*storage.Media, error) {
	if utf8.RuneCountInString(description) > MaxMediaDescLength {
		return nil, invalid("description", fmt.Sprintf("is too long (at most %d characters)", MaxMediaDescLength))
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if len(data) == 0 {
		return nil, invalid("file", "is empty")
	}
	if len(data) > MaxImageBytes {
		return nil, invalid("file", "is larger than 16 MB")
	}
	ctype := http.DetectContentType(data)
	if _, ok := ImageTypes[ctype]; !ok {
		return nil, invalid("file", "must be a JPEG, PNG, GIF or WebP image")
	}
	clean, ctype, w, h, err := reencode(data, ctype)
	if err != nil {
		return nil, invalid("file", "could not be read as an image")
	}
	data = clean
	ext := ImageTypes[ctype]
	id := storage.NewID()
	m := &storage.Media{
		ID: id, AccountID: me.ID, Type: "image", FileName: fmt.Sprintf("%d%s", id, ext),
		ContentType: ctype, FileSize: int64(len(data)), Width: w, Height: h,
		Description: strings.TrimSpace(description), CreatedAt: s.now(),
	}
	if img, _, err := image.Decode(bytes.NewReader(data)); err == nil {
		m.Blurhash = Blurhash(img)
	}
	if err := os.MkdirAll(s.MediaDir(), 0o750); err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	tmp, err := os.CreateTemp(s.MediaDir(), ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("store upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	final := filepath.Join(s.MediaDir(), m.FileName)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	if err := s.db.InsertMedia(ctx, m); err != nil {
		os.Remove(final)
		return nil, err
	}
	return m, nil
}

// Media returns an attachment me uploaded.
func (s *Service) Media(ctx context.Context, me *storage.Account, id int64) (*storage.Media, error) {
	m, err := s.db.MediaByID(ctx, id)
	if err != nil {
		return nil, domainErr(err)
	}
	if m.AccountID != me.ID {
		return nil, ErrNotFound
	}
	return m, nil
}

// DescribeMedia changes the alt text of me's attachment.
func (s *Service) DescribeMedia(ctx context.Context, me *storage.Account, id int64, description string) (*storage.Media, error) {
	m, err := s.Media(ctx, me, id)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(description) > MaxMediaDescLength {
		return nil, invalid("description", fmt.Sprintf("is too long (at most %d characters)", MaxMediaDescLength))
	}
	m.Description = strings.TrimSpace(description)
	return m, s.db.UpdateMediaDescription(ctx, m)
}

// StatusMedia returns a status's attachments in order.
func (s *Service) StatusMedia(ctx context.Context, st *storage.Status) ([]*storage.Media, error) {
	return s.db.StatusMedia(ctx, st.ID)
}

// attachMedia links me's unattached uploads to st, in the order given.
func (s *Service) attachMedia(ctx context.Context, tx storage.Tx, me *storage.Account, st *storage.Status, ids []int64) error {
	if len(ids) > MaxMediaPerStatus {
		return invalid("media_ids", fmt.Sprintf("may hold at most %d attachments", MaxMediaPerStatus))
	}
	for i, id := range ids {
		m, err := tx.MediaByID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) || err == nil && m.AccountID != me.ID {
			return invalid("media_ids", fmt.Sprintf("names an attachment that does not exist (%d)", id))
		}
		if err != nil {
			return err
		}
		if m.StatusID != nil {
			return invalid("media_ids", fmt.Sprintf("names an attachment already used in another post (%d)", id))
		}
		if err := tx.AttachMedia(ctx, m, st.ID, i); err != nil {
			return err
		}
	}
	return nil
}

// RemoteMedia describes an attachment of a remote post.
type RemoteMedia struct {
	URL, ContentType, Description, Blurhash string
	Width, Height                           int
}

func (s *Service) attachRemoteMedia(ctx context.Context, tx storage.Tx, st *storage.Status, media []RemoteMedia) error {
	if len(media) == 0 {
		return nil
	}
	// A domain block rejecting media (domains.go) keeps them as links to
	// the original ("unknown"), never shown inline.
	rejected, err := s.rejectsMediaOf(ctx, tx, st.AccountID)
	if err != nil {
		return err
	}
	for i, rm := range media {
		if i == MaxMediaPerStatus*2 {
			break
		}
		typ := "image"
		switch {
		case rejected:
			typ = "unknown"
		case strings.HasPrefix(rm.ContentType, "video/"):
			typ = "video"
		case strings.HasPrefix(rm.ContentType, "audio/"):
			typ = "audio"
		case rm.ContentType != "" && !strings.HasPrefix(rm.ContentType, "image/"):
			typ = "unknown"
		}
		m := &storage.Media{
			ID: storage.NewID(), AccountID: st.AccountID, StatusID: &st.ID, Type: typ, RemoteURL: rm.URL,
			ContentType: rm.ContentType, Width: rm.Width, Height: rm.Height, Description: rm.Description,
			Blurhash: rm.Blurhash, Position: i, CreatedAt: s.now(),
		}
		if err := tx.InsertMedia(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// reencode decodes an uploaded image and encodes it again, so that nothing
// but pixels survives: EXIF, GPS positions, camera serial numbers and
// comments are dropped (a clinician's photo must not say where it was
// taken). WebP, which Go cannot encode, becomes PNG. It returns the new
// bytes, their type and the image size.
func reencode(data []byte, ctype string) ([]byte, string, int, int, error) {
	var buf bytes.Buffer
	switch ctype {
	case "image/gif":
		g, err := gif.DecodeAll(bytes.NewReader(data))
		if err != nil {
			return nil, "", 0, 0, err
		}
		// Comments and application extensions are not kept by EncodeAll.
		if err := gif.EncodeAll(&buf, g); err != nil {
			return nil, "", 0, 0, err
		}
		return buf.Bytes(), ctype, g.Config.Width, g.Config.Height, nil
	case "image/jpeg":
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, "", 0, 0, err
		}
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			return nil, "", 0, 0, err
		}
		b := img.Bounds()
		return buf.Bytes(), ctype, b.Dx(), b.Dy(), nil
	}
	var img image.Image
	var err error
	if ctype == "image/webp" {
		img, err = webp.Decode(bytes.NewReader(data))
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", 0, 0, err
	}
	if err := png.Encode(&buf, img); err != nil {
		return nil, "", 0, 0, err
	}
	b := img.Bounds()
	return buf.Bytes(), "image/png", b.Dx(), b.Dy(), nil
}
