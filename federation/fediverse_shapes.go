package federation

// Shapes of the wider Fediverse that Mastodon's own vocabulary does not
// cover, read from the raw JSON after go-fed has parsed the rest:
//
//   - custom emojis, tagged as {"type":"Emoji","name":":blobcat:",
//     "icon":{"type":"Image","url":...}} on posts and actors (Mastodon,
//     Misskey, Pleroma, Akkoma, GoToSocial);
//   - PeerTube's Video: a title (name), a description that may be Markdown,
//     a watch page among the url Links, thumbnails as icon Images, and an
//     attributedTo list of the account (Person) and its channel (Group);
//   - Lemmy's Page: a title (name), the body, and the link being shared as
//     an attachment {"type":"Link","href":...};
//   - attachments given as Links (href and mediaType) rather than Documents.

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"rounds/social"
	"rounds/storage"
)

// Emoji is a custom emoji a document tags: Name is its shortcode with the
// colons (":blobcat:").
type Emoji struct {
	ID, Name, IconURL, MediaType string
}

// maxEmojis bounds the custom emojis read from one document.
const maxEmojis = 50

// maxPreviewPixels is the largest thumbnail taken as a video's preview
// image: Mastodon's limit on an image's pixels (3840x2160).
const maxPreviewPixels = 3840 * 2160

// as2EmojisOf reads the Emoji tags of a raw document.
func as2EmojisOf(raw map[string]interface{}) []Emoji {
	var out []Emoji
	for _, it := range as2List(raw["tag"]) {
		m, ok := it.(map[string]interface{})
		if !ok || as2RawString(m["type"]) != "Emoji" {
			continue
		}
		e := Emoji{ID: as2RawRef(m["id"]), Name: as2RawText(as2Lookup(m, "name"))}
		for _, ic := range as2List(m["icon"]) {
			switch v := ic.(type) {
			case string:
				e.IconURL = v
			case map[string]interface{}:
				e.IconURL = as2LinkHref(v)
				e.MediaType = as2RawString(v["mediaType"])
			}
			if e.IconURL != "" {
				break
			}
		}
		if e.Name != "" && e.IconURL != "" {
			out = append(out, e)
		}
		if len(out) == maxEmojis {
			break
		}
	}
	return out
}

// as2LinkHref is the address of an Image or Link given as an object: its
// url (a string, a Link or a list of those) or href.
func as2LinkHref(m map[string]interface{}) string {
	if s := as2RawRef(m["href"]); s != "" {
		return s
	}
	for _, u := range as2List(m["url"]) {
		switch v := u.(type) {
		case string:
			return v
		case map[string]interface{}:
			if s := as2RawRef(v["href"]); s != "" {
				return s
			}
		}
	}
	return ""
}

// as2FediverseNote completes a parsed post with what other servers than
// Mastodon put in it (see the top of this file).
func as2FediverseNote(d *NoteDoc, raw map[string]interface{}) {
	if raw == nil {
		return
	}
	d.Emojis = as2EmojisOf(raw)
	if who := as2PersonAttributed(raw["attributedTo"]); who != "" {
		d.AttributedTo = who
	}
	links := as2LinkAttachments(d, raw)
	switch d.Type {
	case "Video":
		desc := d.Content
		if strings.HasPrefix(as2RawString(raw["mediaType"]), "text/markdown") {
			desc = as2PlainToHTML(desc)
		}
		if d.URL != "" {
			links = append(links, d.URL)
		}
		d.Content = as2Titled(d.Name, desc, links)
		if a, ok := as2VideoPreview(raw); ok {
			d.Attachments = append(d.Attachments, a)
		}
	case "Page":
		d.Content = as2Titled(d.Name, d.Content, links)
	}
}

// as2PersonAttributed picks the account among the attributedTo of a
// PeerTube video, which lists the account (Person) and its channel
// (Group); "" when the list names no typed person.
func as2PersonAttributed(v interface{}) string {
	list := as2List(v)
	if len(list) < 2 {
		return ""
	}
	for _, it := range list {
		m, ok := it.(map[string]interface{})
		if !ok {
			continue
		}
		switch as2RawString(m["type"]) {
		case "Person", "Service", "Application", "Organization":
			return as2RawRef(m["id"])
		}
	}
	return ""
}

// as2LinkAttachments turns attachments given as Links into media
// attachments when their mediaType says what they are, and returns the
// addresses of the others (the link a Lemmy post shares).
func as2LinkAttachments(d *NoteDoc, raw map[string]interface{}) []string {
	var links []string
	for _, it := range as2List(raw["attachment"]) {
		m, ok := it.(map[string]interface{})
		if !ok || as2RawString(m["type"]) != "Link" {
			continue
		}
		href := as2RawRef(m["href"])
		if !as2WebAddress(href) {
			continue
		}
		mt := as2RawString(m["mediaType"])
		typ := ""
		switch {
		case strings.HasPrefix(mt, "image/"):
			typ = "Image"
		case strings.HasPrefix(mt, "video/"):
			typ = "Video"
		case strings.HasPrefix(mt, "audio/"):
			typ = "Audio"
		}
		if typ == "" {
			if len(links) < 4 {
				links = append(links, href)
			}
			continue
		}
		d.Attachments = append(d.Attachments, Attachment{
			Type: typ, URL: href, MediaType: mt, Name: as2RawText(as2Lookup(m, "name")),
			Width: as2RawInt(m["width"]), Height: as2RawInt(m["height"]),
		})
	}
	return links
}

// as2VideoPreview is a video's largest thumbnail (icon) within the image
// limits, as an image attachment.
func as2VideoPreview(raw map[string]interface{}) (Attachment, bool) {
	var best Attachment
	found := false
	for _, it := range as2List(raw["icon"]) {
		m, ok := it.(map[string]interface{})
		if !ok {
			continue
		}
		href := as2LinkHref(m)
		mt := as2RawString(m["mediaType"])
		w, h := as2RawInt(m["width"]), as2RawInt(m["height"])
		if !as2WebAddress(href) || mt != "" && !strings.HasPrefix(mt, "image/") || mt == "image/svg+xml" || w*h > maxPreviewPixels {
			continue
		}
		if !found || w*h > best.Width*best.Height {
			best = Attachment{Type: "Image", URL: href, MediaType: mt, Width: w, Height: h, Name: as2RawText(as2Lookup(raw, "name"))}
			found = true
		}
	}
	return best, found
}

// as2Titled puts a post's title in bold above its body, and the links it
// shares below.
func as2Titled(title, body string, links []string) string {
	var b strings.Builder
	if title = strings.TrimSpace(title); title != "" {
		b.WriteString("<p><strong>" + html.EscapeString(title) + "</strong></p>")
	}
	b.WriteString(body)
	for _, l := range links {
		if strings.Contains(body, l) {
			continue
		}
		e := html.EscapeString(l)
		b.WriteString(`<p><a href="` + e + `">` + e + `</a></p>`)
	}
	return b.String()
}

// as2PlainToHTML shows Markdown (PeerTube's descriptions) as its text, in
// paragraphs.
func as2PlainToHTML(s string) string {
	var b strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(p), "\n", "<br>") + "</p>")
	}
	return b.String()
}

// as2WebAddress reports whether s is an http or https URL with a host.
func as2WebAddress(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// saveEmojis keeps the custom emojis a post or actor of author tags. It
// never fails what carried them: an emoji that cannot be kept is shown as
// its :shortcode:.
func (f *Federation) saveEmojis(ctx context.Context, author *storage.Account, es []Emoji) {
	if len(es) == 0 {
		return
	}
	out := make([]social.RemoteEmoji, 0, len(es))
	for _, e := range es {
		out = append(out, social.RemoteEmoji{Shortcode: e.Name, URI: e.ID, ImageURL: e.IconURL, ContentType: e.MediaType})
	}
	if err := f.social.SaveRemoteEmojis(ctx, author, out); err != nil {
		f.log.Warn("custom emojis of a remote document", "account", author.URI, "error", err)
	}
}

// receiveGroupAnnounce takes the post a group (a Lemmy community) relays to
// its followers as Announce{Create{Page}}: when someone here follows the
// group, the post is kept as by its author, with the group's boost of it.
// Only a post of the group's own server is taken from the group's word
// (its signature covers it); one it relays from elsewhere is ignored. It
// reports false for anything else, which the plain Announce handles.
func (f *Federation) receiveGroupAnnounce(ctx context.Context, group *storage.Account, act *ActivityDoc) (bool, error) {
	inner := act.Activity
	if group.ActorType != "Group" || inner == nil || inner.Type != "Create" || inner.Note == nil {
		return false, nil
	}
	n := inner.Note
	if n.AttributedTo == "" || inner.Actor != n.AttributedTo || !sameHost(n.ID, group.URI) || !sameHost(n.AttributedTo, group.URI) {
		return true, nil
	}
	followed, err := f.social.HasLocalFollower(ctx, group)
	if err != nil || !followed {
		return true, err
	}
	author, err := f.RemoteAccount(ctx, n.AttributedTo)
	if err != nil || author.Suspended() {
		f.log.Info("announce by a group: author not usable", "group", group.URI, "author", n.AttributedTo, "error", err)
		return true, nil
	}
	st, mentions, err := f.statusFromNote(ctx, author, n)
	if err != nil {
		return true, err
	}
	kept, err := f.social.ReceiveStatus(ctx, st, mentions, social.ReceiveOptions{Context: true, Tags: hashtags(n), Media: remoteMedia(n), Poll: remotePoll(n)})
	if err != nil {
		return true, err
	}
	if kept != nil {
		f.saveEmojis(ctx, author, n.Emojis)
	}
	published := act.Published
	if published.IsZero() || published.After(time.Now()) {
		published = time.Now()
	}
	err = f.social.ReceiveAnnounce(ctx, group, n.ID, act.ID, published.UTC())
	if isNotFound(err) {
		return true, nil
	}
	return true, err
}

// cacheEmojiWorker copies a remote custom emoji's image here through the
// SSRF-safe client, checked for size and type (social.StoreEmojiImage).
// An image that is refused, too large or not an image cancels the job: the
// emoji is then shown from its own server.
type cacheEmojiWorker struct {
	river.WorkerDefaults[social.CacheEmojiArgs]
	f *Federation
}

func (w *cacheEmojiWorker) Work(ctx context.Context, job *river.Job[social.CacheEmojiArgs]) error {
	f := w.f
	e, err := f.social.EmojiToCache(ctx, job.Args.Domain, job.Args.Shortcode)
	if errors.Is(err, social.ErrNotFound) {
		return nil
	}
	if err != nil || e.FileName != "" {
		return err
	}
	if err := f.checkDomain(ctx, e.ImageURL); err != nil {
		return river.JobCancel(fmt.Errorf("emoji %s: %w", e.ImageURL, err))
	}
	body, _, err := f.client.get(ctx, e.ImageURL, nil, "image/png,image/gif,image/webp,image/jpeg", true)
	if err != nil {
		var se *StatusError
		if errors.Is(err, ErrTooLarge) || errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 429 {
			return river.JobCancel(fmt.Errorf("emoji %s: %w", e.ImageURL, err))
		}
		return err
	}
	err = f.social.StoreEmojiImage(ctx, e, e.ImageURL, body)
	var ve *social.ValidationError
	if errors.As(err, &ve) {
		return river.JobCancel(fmt.Errorf("emoji %s: %w", e.ImageURL, err))
	}
	return err
}
