package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"image"
	"image/color"
	pngenc "image/png"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// fediverseOutcome is what one document of testdata/fediverse should
// leave behind, read back through the client API.
type fediverseOutcome struct {
	file, actor string
	// status: the id of the post it should store (after substitution),
	// with what its entity should show.
	status       string
	contains     []string
	lacks        []string
	url          string
	media        []string // each attachment's url suffix, in order
	describe     string   // the first attachment's description
	emojis       []string // shortcodes on the status
	authorEmojis []string // shortcodes on its account
	pollOptions  int
	// favourites is the local post's favourite count after it.
	favourites int
	// ignored are object ids that must not become posts.
	ignored []string
}

// Documents as Mastodon, GoToSocial, Akkoma/Pleroma, Misskey, Pixelfed,
// PeerTube, Lemmy, Friendica, WordPress and WriteFreely send them, each
// delivered signed by its actor on a fake server: each is stored and shown
// sensibly (a video or a Lemmy post as a post with its title, link and
// preview, custom emojis on posts and names, an emoji reaction as a
// favourite) or accepted and ignored.
func TestFediverseDocumentsAreStoredOrIgnored(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		n := startNode(t, dialect)
		doc := n.user(t, "doc", false)
		token := tokenFor(t, n, "doc", "read")
		local := postAs(t, n, doc, social.NewStatus{Text: "Handover at eight"})
		rem := newFakeRemote(t, fakeRemoteOptions{AutoAccept: true})
		now := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
		vars := strings.NewReplacer("{{BASE}}", rem.base, "{{LOCAL}}", doc.URI, "{{LOCAL_STATUS}}", local.URI, "{{NOW}}", now)
		read := func(name string) []byte {
			t.Helper()
			b, err := os.ReadFile(filepath.Join("testdata", "fediverse", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			return []byte(vars.Replace(string(b)))
		}

		// Every actor is served at its own path, with one test key.
		key := fakeKey(t, "fediverse")
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		pemJSON, _ := json.Marshal(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
		actors := map[string]*fakeActor{}
		files, _ := filepath.Glob(filepath.Join("testdata", "fediverse", "actor-*.json"))
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			body := []byte(strings.ReplaceAll(string(read(name)), `"{{PEM}}"`, string(pemJSON)))
			d, err := federation.ParseActor(body)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			u, _ := url.Parse(d.ID)
			a := &fakeActor{name: path.Base(strings.TrimSuffix(u.Path, "/")), id: d.ID, doc: body,
				signer: &federation.Signer{KeyID: d.PublicKeyID, Key: key}}
			rem.setDoc(u.Path, body)
			rem.mu.Lock()
			rem.actors[a.name] = a
			rem.mu.Unlock()
			actors[name] = a
		}
		// Two of Mastodon's emoji images: a PNG within the limits, and a GIF
		// over them.
		var png bytes.Buffer
		img := image.NewRGBA(image.Rect(0, 0, 4, 4))
		img.Set(1, 1, color.RGBA{R: 200, A: 255})
		if err := pngenc.Encode(&png, img); err != nil {
			t.Fatal(err)
		}
		rem.setDoc("/system/custom_emojis/ada_wave.png", png.Bytes())
		rem.setDoc("/system/custom_emojis/ada_heart.gif", append([]byte("GIF89a"), make([]byte, social.MaxEmojiBytes)...))

		// doc follows the posting actors and the Lemmy community (not the
		// PeerTube channel), so that their posts are kept.
		var followed []*storage.Account
		for name, a := range actors {
			if strings.Contains(name, "channel") {
				continue
			}
			acct, err := n.fed.FetchActor(ctx, a.id)
			if err != nil {
				t.Fatalf("fetch %s: %v", name, err)
			}
			if _, err := n.svc.Follow(ctx, doc, acct); err != nil {
				t.Fatal(err)
			}
			followed = append(followed, acct)
		}
		eventually(t, "every remote actor accepting doc's follow", func() bool {
			for _, a := range followed {
				if !n.svc.IsFollowing(ctx, doc, a) {
					return false
				}
			}
			return true
		})

		b := rem.base
		cases := []fediverseOutcome{
			{file: "mastodon-note-emoji", actor: "actor-mastodon", status: b + "/users/ada/statuses/1001",
				contains: []string{"Ward round done :ada_wave:"}, url: b + "/@ada/1001",
				media: []string{"/original/chart.png"}, describe: "A growth chart", emojis: []string{"ada_heart", "ada_wave"}, authorEmojis: []string{"ada_wave"}},
			{file: "gotosocial-note", actor: "actor-gotosocial", status: b + "/users/gts_nurse/statuses/01HGTS0001",
				contains: []string{"Quiet night in the ED"}, media: []string{"/01HGTSIMG.jpeg"}, describe: "Triage board, names hidden"},
			{file: "akkoma-note-contentmap", actor: "actor-akkoma", status: b + "/objects/akko-note-0001",
				contains: []string{"Flu clinic opens Monday", ":akko_stethoscope:"}, emojis: []string{"akko_stethoscope"}, authorEmojis: []string{"akko_stethoscope"}},
			{file: "misskey-note", actor: "actor-misskey", status: b + "/notes/9x2kq0n001",
				contains: []string{"co-prescribing", ":misskey_pill:"}, emojis: []string{"misskey_pill"}, authorEmojis: []string{"misskey_pill"}},
			{file: "misskey-question", actor: "actor-misskey", status: b + "/notes/9x2kq0q001",
				contains: []string{"Which reference"}, pollOptions: 2, authorEmojis: []string{"misskey_pill"}},
			{file: "pixelfed-note", actor: "actor-pixelfed", status: b + "/p/derm_pics/7001",
				contains: []string{"Erythema migrans"}, media: []string{"/7001/photo.jpg"}, describe: "Target-shaped red rash on a forearm"},
			{file: "peertube-video", actor: "actor-peertube-account", status: b + "/videos/watch/5f8e1c2a-0000-4000-8000-00000000a001",
				contains: []string{"<strong>Simple interrupted sutures &lt;in 5 minutes&gt;</strong>", "simple interrupted", `href="` + b + `/w/a001"`},
				lacks:    []string{"<b>not</b>"}, url: b + "/w/a001", media: []string{"/previews/a001.jpg"}, describe: "Simple interrupted sutures <in 5 minutes>"},
			{file: "lemmy-page", actor: "actor-lemmy-person", status: b + "/post/4242",
				contains: []string{"<strong>New guidance on DOAC dosing in renal impairment</strong>", "table on page 4", `href="https://guidance.example.org/doac-renal"`},
				media:    []string{"/pictrs/image/doac-table.png"}},
			{file: "friendica-note", actor: "actor-friendica", status: b + "/objects/a1b2c3d4-5555-6666-7777-888899990001",
				contains: []string{"Gout or pseudogout?"}, media: []string{"/photo/crystals-0.jpg"}, describe: "Needle-shaped crystals"},
			{file: "wordpress-article", actor: "actor-wordpress", status: b + "/?p=311", contains: []string{"QT interval"},
				media: []string{"/2026/12/ecg.png"}, describe: "A 12-lead ECG"},
			{file: "writefreely-article", actor: "actor-writefreely", status: b + "/api/posts/wf0001-note", contains: []string{"A case of chest pain"}},
			{file: "misskey-like-reaction", actor: "actor-misskey", favourites: 1},
			{file: "pleroma-emojireact", actor: "actor-akkoma", favourites: 2},
			{file: "lemmy-dislike", actor: "actor-lemmy-person", favourites: 2},
			{file: "peertube-view", actor: "actor-peertube-account", favourites: 2},
			{file: "lemmy-announce-page", actor: "actor-lemmy-community", status: b + "/post/4244",
				contains: []string{"<strong>Vancomycin levels: trough or AUC?</strong>", "AUC-guided dosing"}},
			{file: "lemmy-announce-create", actor: "actor-lemmy-community", favourites: 2, ignored: []string{"https://lemmy.other.example/post/4243"}},
			{file: "peertube-announce-video", actor: "actor-peertube-channel", favourites: 2, ignored: []string{b + "/videos/watch/5f8e1c2a-0000-4000-8000-00000000a002"}},
		}
		for _, c := range cases {
			resp, err := rem.send(ctx, n.base+"/inbox", actors[c.actor].signer, read(c.file))
			if err != nil {
				t.Fatal(err)
			}
			answer := readAll(resp)
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("%s: inbox answered %d %s", c.file, resp.StatusCode, answer)
				continue
			}
			for _, id := range c.ignored {
				if _, err := n.svc.StatusByURI(ctx, id); err == nil {
					t.Errorf("%s: %s was stored as a post", c.file, id)
				}
			}
			if c.status == "" {
				code, st := call(t, n, token, "GET", fmt.Sprintf("/api/v1/statuses/%d", local.ID), nil)
				if code != http.StatusOK || st["favourites_count"] != float64(c.favourites) {
					t.Errorf("%s: doc's post has %v favourites (%d), want %d", c.file, st["favourites_count"], code, c.favourites)
				}
				continue
			}
			stored, err := n.svc.StatusByURI(ctx, c.status)
			if err != nil {
				t.Errorf("%s: the post %s is not stored: %v", c.file, c.status, err)
				continue
			}
			code, st := call(t, n, token, "GET", fmt.Sprintf("/api/v1/statuses/%d", stored.ID), nil)
			if code != http.StatusOK {
				t.Errorf("%s: GET status = %d %v", c.file, code, st)
				continue
			}
			checkFediverseStatus(t, c, st)
		}
		// The emoji within the limits is copied here and shown from here;
		// the one over them stays on its server.
		ada, err := n.svc.AccountByURI(ctx, actors["actor-mastodon"].id)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the emoji image being copied", func() bool {
			es, err := n.svc.EmojisIn(ctx, ada.Domain, ":ada_wave:")
			return err == nil && len(es) == 1 && es[0].FileName != ""
		})
		mastodonNote, err := n.svc.StatusByURI(ctx, b+"/users/ada/statuses/1001")
		if err != nil {
			t.Fatal(err)
		}
		_, st := call(t, n, token, "GET", fmt.Sprintf("/api/v1/statuses/%d", mastodonNote.ID), nil)
		urls := map[string]string{}
		for _, e := range st["emojis"].([]any) {
			m := e.(map[string]any)
			urls[m["shortcode"].(string)] = m["url"].(string)
		}
		if urls["ada_heart"] != b+"/system/custom_emojis/ada_heart.gif" || !strings.HasPrefix(urls["ada_wave"], n.base+"/media/") {
			t.Errorf("emoji images: %v", urls)
		}
		if resp, err := http.Get(urls["ada_wave"]); err != nil {
			t.Error(err)
		} else if got := readAll(resp); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || got != png.String() {
			t.Errorf("the copied emoji: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
		}

		// The community's relay reaches doc's home as its boost.
		code, home := call(t, n, token, "GET", "/api/v1/timelines/home?limit=40", nil)
		boosted := false
		for _, it := range home["list"].([]any) {
			st := it.(map[string]any)
			reblog, _ := st["reblog"].(map[string]any)
			if acct, _ := st["account"].(map[string]any); reblog != nil && reblog["uri"] == b+"/post/4244" && acct["username"] == "pharmacology" {
				boosted = true
			}
		}
		if code != http.StatusOK || !boosted {
			t.Errorf("doc's home (%d) lacks the community's boost of its post", code)
		}
	})
}

// checkFediverseStatus compares a status entity with what c expects.
func checkFediverseStatus(t *testing.T, c fediverseOutcome, st map[string]any) {
	t.Helper()
	content, _ := st["content"].(string)
	for _, s := range c.contains {
		if !strings.Contains(content, s) {
			t.Errorf("%s: content lacks %q:\n%s", c.file, s, content)
		}
	}
	for _, s := range c.lacks {
		if strings.Contains(content, s) {
			t.Errorf("%s: content has %q:\n%s", c.file, s, content)
		}
	}
	if c.url != "" && st["url"] != c.url {
		t.Errorf("%s: url = %v, want %s", c.file, st["url"], c.url)
	}
	media, _ := st["media_attachments"].([]any)
	if len(media) != len(c.media) {
		t.Errorf("%s: %d attachments, want %d: %v", c.file, len(media), len(c.media), media)
	} else {
		for i, m := range media {
			att := m.(map[string]any)
			if u, _ := att["remote_url"].(string); !strings.HasSuffix(u, c.media[i]) {
				t.Errorf("%s: attachment %d is %v, want …%s", c.file, i, att["remote_url"], c.media[i])
			}
			if i == 0 && c.describe != "" && att["description"] != c.describe {
				t.Errorf("%s: attachment description %v, want %q", c.file, att["description"], c.describe)
			}
		}
	}
	checkEmojis(t, c.file+" status", st["emojis"], c.emojis)
	acct, _ := st["account"].(map[string]any)
	checkEmojis(t, c.file+" account", acct["emojis"], c.authorEmojis)
	if c.pollOptions > 0 {
		poll, _ := st["poll"].(map[string]any)
		if opts, _ := poll["options"].([]any); len(opts) != c.pollOptions {
			t.Errorf("%s: poll %v, want %d options", c.file, st["poll"], c.pollOptions)
		}
	}
}

// checkEmojis compares custom emoji entities with the shortcodes wanted.
func checkEmojis(t *testing.T, what string, v any, want []string) {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Errorf("%s: emojis is %v, not a list", what, v)
		return
	}
	if len(list) != len(want) {
		t.Errorf("%s: emojis %v, want %v", what, list, want)
		return
	}
	for i, e := range list {
		m := e.(map[string]any)
		u, _ := m["url"].(string)
		if m["shortcode"] != want[i] || !strings.HasPrefix(u, "http") || m["static_url"] != u || m["visible_in_picker"] != false {
			t.Errorf("%s: emoji %d = %v, want %s with its image", what, i, m, want[i])
		}
	}
}
