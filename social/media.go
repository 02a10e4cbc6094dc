package social

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/image/draw"
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

// Media file names. A file's URL is all it takes to fetch it, and media of
// followers-only and direct posts must not be found by guessing: a name is
// 128 random bits (32 hex digits), never the media's id, which sorts by
// time and is shown to apps. Files stored before were named by id
// (legacyMediaName); SecureLegacyMediaNames renames those that are not
// public, and the others are served only while they are public.
var (
	mediaFileName   = regexp.MustCompile(`^[0-9a-f]{32}\.(jpg|png|gif|webp)$`)
	legacyMediaName = regexp.MustCompile(`^[0-9]{1,20}\.(jpg|png|gif|webp)$`)
)

// mediaNameBytes is how many random bytes name a media file.
const mediaNameBytes = 16

// newMediaFileName is a new unguessable name for a file with extension ext.
func newMediaFileName(ext string) string {
	b := make([]byte, mediaNameBytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + ext
}

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
	clean, ctype, img, err := reencode(data, ctype)
	if errors.Is(err, errImageTooLarge) {
		return nil, invalid("file", fmt.Sprintf("is too large an image (at most %d pixels)", MaxImagePixels))
	}
	if err != nil {
		return nil, invalid("file", "could not be read as an image")
	}
	data = clean
	ext := ImageTypes[ctype]
	id := storage.NewID()
	b := img.Bounds()
	m := &storage.Media{
		ID: id, AccountID: me.ID, Type: "image", FileName: newMediaFileName(ext),
		ContentType: ctype, FileSize: int64(len(data)), Width: b.Dx(), Height: b.Dy(),
		Description: strings.TrimSpace(description), CreatedAt: s.now(),
		Blurhash: Blurhash(img), PreviewWidth: b.Dx(), PreviewHeight: b.Dy(),
	}
	var preview []byte
	if pw, ph := previewSize(b.Dx(), b.Dy()); pw != b.Dx() || ph != b.Dy() {
		var pext string
		if preview, pext, err = encodePreview(img, pw, ph, ctype); err != nil {
			return nil, fmt.Errorf("preview: %w", err)
		}
		m.PreviewFileName = newMediaFileName(pext)
		m.PreviewWidth, m.PreviewHeight = pw, ph
	}
	if err := os.MkdirAll(s.MediaDir(), 0o750); err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	final := filepath.Join(s.MediaDir(), m.FileName)
	if err := writeMediaFile(s.MediaDir(), m.FileName, data); err != nil {
		return nil, err
	}
	var previewPath string
	if preview != nil {
		previewPath = filepath.Join(s.MediaDir(), m.PreviewFileName)
		if err := writeMediaFile(s.MediaDir(), m.PreviewFileName, preview); err != nil {
			os.Remove(final)
			return nil, err
		}
	}
	if err := s.db.InsertMedia(ctx, m); err != nil {
		os.Remove(final)
		if previewPath != "" {
			os.Remove(previewPath)
		}
		return nil, err
	}
	s.metrics.mediaBytes.Add(float64(len(data) + len(preview)))
	return m, nil
}

// writeMediaFile writes data as dir/name atomically: a reader sees the
// whole file or none.
func writeMediaFile(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("store upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("store upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store upload: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("store upload: %w", err)
	}
	return nil
}

// MaxPreviewSide is the largest width and height of an image's preview,
// as Mastodon's small version: a larger image is scaled down to fit,
// keeping its shape.
const MaxPreviewSide = 640

// previewSize is the size of the preview of a w x h image: the image's own
// when it fits (never scaled up), else scaled to fit MaxPreviewSide.
func previewSize(w, h int) (int, int) {
	if w <= MaxPreviewSide && h <= MaxPreviewSide {
		return w, h
	}
	if w >= h {
		return MaxPreviewSide, max(1, (h*MaxPreviewSide+w/2)/w)
	}
	return max(1, (w*MaxPreviewSide+h/2)/h), MaxPreviewSide
}

// encodePreview scales img to w x h (Catmull-Rom, which keeps edges and
// fine text readable) and encodes it: JPEG for a JPEG, PNG otherwise (a
// GIF's preview is its first frame, still). It returns the bytes and the
// file extension.
func encodePreview(img image.Image, w, h int, ctype string) ([]byte, string, error) {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if ctype == "image/jpeg" {
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), ".jpg", nil
	}
	if err := png.Encode(&buf, dst); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), ".png", nil
}

// MediaPreviewURL is where a stored image's preview is served: its
// smaller copy, or the image itself when it has none (small, or remote).
func (s *Service) MediaPreviewURL(m *storage.Media) string {
	if m.PreviewFileName == "" {
		return s.MediaURL(m)
	}
	return s.base + "/media/" + m.PreviewFileName
}

// MediaFilePath returns where the media file name is stored, for
// GET /media/{name}; ErrNotFound for a name the server did not make, and
// for a file named the old, guessable way (by id) unless it is public: an
// image of a public or unlisted post, or an avatar or header.
func (s *Service) MediaFilePath(ctx context.Context, name string) (string, error) {
	if mediaFileName.MatchString(name) {
		return filepath.Join(s.MediaDir(), name), nil
	}
	if !legacyMediaName.MatchString(name) {
		return "", ErrNotFound
	}
	m, err := s.db.MediaByFileName(ctx, name)
	if err != nil {
		return "", domainErr(err)
	}
	public, err := s.mediaPublic(ctx, m)
	if err != nil {
		return "", err
	}
	if !public {
		return "", ErrNotFound
	}
	return filepath.Join(s.MediaDir(), name), nil
}

// mediaPublic reports whether anyone may see local media m: it belongs to
// a post everyone may see (of an account not suspended), or it is a local
// account's avatar or header.
func (s *Service) mediaPublic(ctx context.Context, m *storage.Media) (bool, error) {
	if m.StatusID != nil {
		st, err := s.db.StatusByID(ctx, *m.StatusID)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return VisibleToPublic(st) && st.Account != nil && !st.Account.Suspended(), nil
	}
	return s.db.ProfileImageInUse(ctx, s.MediaURL(m))
}

// legacyMediaDone is the instance setting that records that
// SecureLegacyMediaNames has run to the end.
const legacyMediaDone = "legacy_media_names_secured"

// SecureLegacyMediaNames gives every local media file still named by its
// id (as files were before names were random) a random name, unless it is
// public (mediaPublic): images of followers-only and direct posts, and
// uploads not attached yet. Public ones keep their names, which other
// servers and pages already link to. It runs once to the end (serve calls
// it at start); a run cut short, or two processes at once, are safe. It
// returns how many media it renamed.
func (s *Service) SecureLegacyMediaNames(ctx context.Context) (int, error) {
	settings, err := s.db.Settings(ctx)
	if err != nil {
		return 0, err
	}
	if settings[legacyMediaDone] != "" {
		return 0, nil
	}
	renamed := 0
	var after int64
	for {
		// Random names are 32 characters before the extension; names by
		// id at most 20.
		batch, err := s.db.MediaWithShortFileNames(ctx, 2*mediaNameBytes, after, 500)
		if err != nil {
			return renamed, err
		}
		if len(batch) == 0 {
			break
		}
		for _, m := range batch {
			after = m.ID
			ok, err := s.secureMediaNames(ctx, m)
			if err != nil {
				return renamed, fmt.Errorf("media %d: %w", m.ID, err)
			}
			if ok {
				renamed++
			}
		}
	}
	return renamed, s.db.PutSetting(ctx, legacyMediaDone, s.now().UTC().Format(time.RFC3339), s.now())
}

// secureMediaNames renames m's files named by id unless m is public, and
// reports whether it did.
func (s *Service) secureMediaNames(ctx context.Context, m *storage.Media) (bool, error) {
	public, err := s.mediaPublic(ctx, m)
	if err != nil || public {
		return false, err
	}
	dir := s.MediaDir()
	file, preview := m.FileName, m.PreviewFileName
	var linked, old []string
	undo := func() {
		for _, name := range linked {
			os.Remove(filepath.Join(dir, name))
		}
	}
	for _, name := range []*string{&file, &preview} {
		if !legacyMediaName.MatchString(*name) {
			continue
		}
		fresh := newMediaFileName(filepath.Ext(*name))
		// A hard link first: the file is readable under both names until
		// the row names the new one.
		err := os.Link(filepath.Join(dir, *name), filepath.Join(dir, fresh))
		switch {
		case errors.Is(err, os.ErrNotExist):
			// Gone already: the row still gets a name no one can guess.
		case err != nil:
			undo()
			return false, err
		default:
			linked = append(linked, fresh)
			old = append(old, *name)
		}
		*name = fresh
	}
	ok, err := s.db.RenameMediaFiles(ctx, m.ID, m.FileName, m.PreviewFileName, file, preview)
	if err != nil || !ok {
		undo()
		return false, err
	}
	for _, name := range old {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove a media file's old name", "name", name, "error", err)
		}
	}
	return true, nil
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
	if m.StatusID != nil || m.RemovedFromStatusID != nil {
		// The image is in a post already: its new description is checked
		// for patient identifiers as the post's was, or it would be a way
		// round the guard.
		d := m.Description
		check := NewStatus{MediaIDs: []int64{m.ID}, MediaAttributes: []MediaAttribute{{ID: m.ID, Description: &d}}}
		if err := s.checkForIdentifiers(ctx, me, check, false); err != nil {
			return nil, err
		}
	}
	return m, s.db.InTx(ctx, func(tx storage.Tx) error { return tx.UpdateMediaDescription(ctx, m) })
}

// StatusMedia returns a status's attachments in order.
func (s *Service) StatusMedia(ctx context.Context, st *storage.Status) ([]*storage.Media, error) {
	return s.db.StatusMedia(ctx, st.ID)
}

// MediaAttribute changes an image in an edit, as Mastodon's
// media_attributes[]: its description, when Description is set.
type MediaAttribute struct {
	ID          int64
	Description *string
}

// checkMediaAttributes checks and tidies the descriptions an edit gives.
func checkMediaAttributes(attrs []MediaAttribute) error {
	for i, a := range attrs {
		if a.Description == nil {
			continue
		}
		if utf8.RuneCountInString(*a.Description) > MaxMediaDescLength {
			return invalid("media_attributes", fmt.Sprintf("description is too long (at most %d characters)", MaxMediaDescLength))
		}
		d := strings.TrimSpace(*a.Description)
		attrs[i].Description = &d
	}
	return nil
}

// describedAs is the description of image id once attrs apply.
func describedAs(id int64, stored string, attrs []MediaAttribute) string {
	for _, a := range attrs {
		if a.ID == id && a.Description != nil {
			return *a.Description
		}
	}
	return stored
}

// uniqueIDs drops repeated ids, keeping the first of each, as Mastodon
// does with media_ids.
func uniqueIDs(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// attachMedia makes ids, in order, the images of me's post st. Each must
// be me's own upload, and unattached or already st's (attached to it, or
// removed from it by an earlier edit): an image is never moved from one
// post to another. attrs change the descriptions of images in ids.
func (s *Service) attachMedia(ctx context.Context, tx storage.Tx, me *storage.Account, st *storage.Status, ids []int64, attrs []MediaAttribute) error {
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
		// An image a scheduled post holds is that post's until it is
		// published or deleted.
		if m.StatusID != nil && *m.StatusID != st.ID || m.RemovedFromStatusID != nil && *m.RemovedFromStatusID != st.ID || m.ScheduledStatusID != nil {
			return invalid("media_ids", fmt.Sprintf("names an attachment already used in another post (%d)", id))
		}
		if d := describedAs(id, m.Description, attrs); d != m.Description {
			m.Description = d
			if err := tx.UpdateMediaDescription(ctx, m); err != nil {
				return err
			}
		}
		if err := tx.AttachMedia(ctx, m, st.ID, i); err != nil {
			return err
		}
	}
	return nil
}

// VersionMedia returns the images a version of st in its history had, in
// order, each with the description it had then. Images an edit removed
// are kept for this, as on Mastodon.
func (s *Service) VersionMedia(ctx context.Context, st *storage.Status, e *storage.StatusEdit) ([]*storage.Media, error) {
	kept, known := e.MediaOf()
	if !known {
		// Kept before edits could change images: it had the post's.
		return s.db.StatusMedia(ctx, st.ID)
	}
	ids := make([]int64, 0, len(kept))
	for _, k := range kept {
		ids = append(ids, k.ID)
	}
	rows, err := s.db.MediaByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*storage.Media, len(rows))
	for _, m := range rows {
		byID[m.ID] = m
	}
	out := make([]*storage.Media, 0, len(kept))
	for _, k := range kept {
		m := byID[k.ID]
		if m == nil || !(m.StatusID != nil && *m.StatusID == st.ID || m.RemovedFromStatusID != nil && *m.RemovedFromStatusID == st.ID) {
			continue // gone with its account, or no longer this post's
		}
		v := *m
		v.Description = k.Description
		out = append(out, &v)
	}
	return out, nil
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
		m := &storage.Media{
			ID: storage.NewID(), AccountID: st.AccountID, StatusID: &st.ID, Type: remoteMediaType(rm, rejected), RemoteURL: rm.URL,
			ContentType: rm.ContentType, Width: rm.Width, Height: rm.Height, Description: rm.Description,
			Blurhash: rm.Blurhash, Position: i, CreatedAt: s.now(),
		}
		if err := tx.InsertMedia(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// remoteMediaType is the Mastodon type of a remote attachment.
func remoteMediaType(rm RemoteMedia, rejected bool) string {
	switch {
	case rejected:
		return "unknown"
	case strings.HasPrefix(rm.ContentType, "video/"):
		return "video"
	case strings.HasPrefix(rm.ContentType, "audio/"):
		return "audio"
	case rm.ContentType != "" && !strings.HasPrefix(rm.ContentType, "image/"):
		return "unknown"
	}
	return "image"
}

// replaceRemoteMedia makes media, in order, the attachments of remote post
// st after its author edited it. An attachment it had before (the same
// address) is kept with what the edit says of it; those the edit left out
// are taken off the post but kept for its history.
func (s *Service) replaceRemoteMedia(ctx context.Context, tx storage.Tx, st *storage.Status, media []RemoteMedia) error {
	rejected, err := s.rejectsMediaOf(ctx, tx, st.AccountID)
	if err != nil {
		return err
	}
	cur, err := tx.StatusMedia(ctx, st.ID)
	if err != nil {
		return err
	}
	had := make(map[string]*storage.Media, len(cur))
	for _, m := range cur {
		had[m.RemoteURL] = m
	}
	var keep []int64
	for i, rm := range media {
		if i == MaxMediaPerStatus*2 {
			break
		}
		typ := remoteMediaType(rm, rejected)
		if m := had[rm.URL]; m != nil {
			delete(had, rm.URL)
			m.Description, m.Type, m.ContentType, m.Width, m.Height, m.Blurhash = rm.Description, typ, rm.ContentType, rm.Width, rm.Height, rm.Blurhash
			if err := tx.UpdateRemoteMedia(ctx, m); err != nil {
				return err
			}
			if err := tx.AttachMedia(ctx, m, st.ID, i); err != nil {
				return err
			}
			keep = append(keep, m.ID)
			continue
		}
		m := &storage.Media{
			ID: storage.NewID(), AccountID: st.AccountID, StatusID: &st.ID, Type: typ, RemoteURL: rm.URL,
			ContentType: rm.ContentType, Width: rm.Width, Height: rm.Height, Description: rm.Description,
			Blurhash: rm.Blurhash, Position: i, CreatedAt: s.now(),
		}
		if err := tx.InsertMedia(ctx, m); err != nil {
			return err
		}
		keep = append(keep, m.ID)
	}
	return tx.DetachMediaExcept(ctx, st.ID, keep)
}

// reencode decodes an uploaded image and encodes it again, so that nothing
// but pixels survives: EXIF, GPS positions, camera serial numbers and
// comments are dropped (a clinician's photo must not say where it was
// taken). WebP, which Go cannot encode, becomes PNG. It returns the new
// bytes, their type and the image (a GIF's first frame, on its canvas).
func reencode(data []byte, ctype string) ([]byte, string, image.Image, error) {
	if err := checkImageSize(data, ctype); err != nil {
		return nil, "", nil, err
	}
	var buf bytes.Buffer
	switch ctype {
	case "image/gif":
		g, err := gif.DecodeAll(bytes.NewReader(data))
		if err != nil {
			return nil, "", nil, err
		}
		if len(g.Image) == 0 || g.Config.Width <= 0 || g.Config.Height <= 0 {
			return nil, "", nil, errors.New("gif: no frames")
		}
		// Comments and application extensions are not kept by EncodeAll.
		if err := gif.EncodeAll(&buf, g); err != nil {
			return nil, "", nil, err
		}
		first := image.NewRGBA(image.Rect(0, 0, g.Config.Width, g.Config.Height))
		draw.Draw(first, g.Image[0].Bounds(), g.Image[0], g.Image[0].Bounds().Min, draw.Over)
		return buf.Bytes(), ctype, first, nil
	case "image/jpeg":
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, "", nil, err
		}
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			return nil, "", nil, err
		}
		return buf.Bytes(), ctype, img, nil
	}
	var img image.Image
	var err error
	if ctype == "image/webp" {
		img, err = webp.Decode(bytes.NewReader(data))
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", nil, err
	}
	if err := png.Encode(&buf, img); err != nil {
		return nil, "", nil, err
	}
	return buf.Bytes(), "image/png", img, nil
}

// ErrMediaInUse refuses to delete an attachment that is in a post; the
// words are Mastodon's.
var ErrMediaInUse = errors.New("Media attachment is currently used by a status")

// DeleteMedia deletes an attachment me uploaded and its files, only while
// it is in no post: a post's images go with the post. The image of me's
// avatar or header stays too.
func (s *Service) DeleteMedia(ctx context.Context, me *storage.Account, id int64) error {
	m, err := s.Media(ctx, me, id)
	if err != nil {
		return err
	}
	if url := s.MediaURL(m); m.FileName != "" && (url == me.AvatarURL || url == me.HeaderURL) {
		return ErrMediaInUse
	}
	// The check and the delete are one statement, so a post made at the
	// same moment cannot take an image that is being deleted.
	done, err := s.db.DeleteUnattachedMedia(ctx, me.ID, m.ID)
	if err != nil {
		return err
	}
	if !done {
		return ErrMediaInUse
	}
	for _, name := range []string{m.FileName, m.PreviewFileName} {
		if name == "" {
			continue
		}
		if err := os.Remove(filepath.Join(s.MediaDir(), name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove media file", "file", name, "error", err)
		}
	}
	return nil
}
