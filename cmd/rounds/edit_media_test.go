package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// uploadPNG uploads a w x h image with a description through the client
// library.
func uploadPNG(t *testing.T, c *mastodon.Client, w, h int, description string) *mastodon.Attachment {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, gradient(w, h)); err != nil {
		t.Fatal(err)
	}
	att, err := c.UploadMediaFromMedia(context.Background(), &mastodon.Media{File: bytes.NewReader(buf.Bytes()), Description: description})
	if err != nil {
		t.Fatal(err)
	}
	return att
}

// editJSON sends PUT /api/v1/statuses/:id with a JSON body, as Tusky and
// Phanpy do, and decodes the answer.
func editJSON(t *testing.T, n *node, token string, id mastodon.ID, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	code, _, raw := lmDo(t, n, token, "PUT", "/api/v1/statuses/"+string(id), "application/json", string(b))
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("PUT status: %v in %s", err, raw)
	}
	return code, out
}

// mediaIDs lists the ids of attachments in order.
func mediaIDs(atts []mastodon.Attachment) []mastodon.ID {
	ids := []mastodon.ID{}
	for _, a := range atts {
		ids = append(ids, a.ID)
	}
	return ids
}

func sameIDs(a, b []mastodon.ID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// An edit replaces a post's images as Mastodon's does (media_ids in
// order) and describes them anew (media_attributes[], in JSON and in a
// form); the history keeps each version's images with the descriptions
// they had, removed ones stay readable, and StatusSource gives the text
// to edit. Images that are someone else's or another post's, too many,
// a poll with images, and a description naming a patient are refused.
func TestEditReplacesMediaWithDescriptionsAndKeepsHistory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "dr_ines", false)
		n.user(t, "dr_omar", false)
		c := signIn(t, n, "dr_ines")
		tok := c.Config.AccessToken
		chest := uploadPNG(t, c, 40, 30, "Chest film, AP view")
		lateral := uploadPNG(t, c, 30, 40, "")

		st, err := c.PostStatus(ctx, &mastodon.Toot{Status: "Teaching film of the week", MediaIDs: []mastodon.ID{chest.ID}})
		if err != nil {
			t.Fatal(err)
		}
		code, out := editJSON(t, n, tok, st.ID, map[string]any{
			"status": "Teaching film of the week (the lateral is clearer)", "media_ids": []string{string(lateral.ID)},
			"media_attributes": []map[string]any{{"id": string(lateral.ID), "description": "Lateral chest film", "focus": "0.0,0.0"}},
		})
		if code != http.StatusOK {
			t.Fatalf("edit with other media: %d %v", code, out)
		}
		atts, _ := out["media_attachments"].([]any)
		if len(atts) != 1 || atts[0].(map[string]any)["id"] != string(lateral.ID) || atts[0].(map[string]any)["description"] != "Lateral chest film" {
			t.Fatalf("edit answered media %v", out["media_attachments"])
		}

		got, err := c.GetStatus(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameIDs(mediaIDs(got.MediaAttachments), []mastodon.ID{lateral.ID}) || got.MediaAttachments[0].Description != "Lateral chest film" || got.EditedAt.IsZero() {
			t.Fatalf("status after the edit: media %+v, edited_at %v", got.MediaAttachments, got.EditedAt)
		}
		hist, err := c.GetStatusHistory(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 {
			t.Fatalf("history has %d versions, want 2", len(hist))
		}
		if v := hist[0]; !strings.Contains(v.Content, "Teaching film of the week") || !sameIDs(mediaIDs(v.MediaAttachments), []mastodon.ID{chest.ID}) || v.MediaAttachments[0].Description != "Chest film, AP view" {
			t.Fatalf("first version: %q with %+v", v.Content, v.MediaAttachments)
		}
		if v := hist[1]; !strings.Contains(v.Content, "lateral is clearer") || !sameIDs(mediaIDs(v.MediaAttachments), []mastodon.ID{lateral.ID}) || v.MediaAttachments[0].Description != "Lateral chest film" {
			t.Fatalf("second version: %q with %+v", v.Content, v.MediaAttachments)
		}
		// The removed image is still served, for the history.
		if code, _ := get(t, hist[0].MediaAttachments[0].URL); code != http.StatusOK {
			t.Fatalf("the removed image: %d", code)
		}
		src, err := c.GetStatusSource(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if src.ID != st.ID || src.Text != "Teaching film of the week (the lateral is clearer)" || src.SpoilerText != "" {
			t.Fatalf("source = %+v", src)
		}
		// The source needs a token, as on Mastodon.
		if code, _ := call(t, n, "", "GET", "/api/v1/statuses/"+string(st.ID)+"/source", nil); code != http.StatusUnauthorized {
			t.Fatalf("source without a token: %d", code)
		}

		// Through the client library's form: the removed image comes back
		// first, and a form's media_attributes[] describes it anew.
		if _, err := c.UpdateStatus(ctx, &mastodon.Toot{Status: "Both films", MediaIDs: []mastodon.ID{chest.ID, lateral.ID}}, st.ID); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"status": {"Both films, described"}, "media_ids[]": {string(chest.ID), string(lateral.ID)},
			"media_attributes[][id]": {string(chest.ID)}, "media_attributes[][description]": {"AP chest film"}}
		if code, body := call(t, n, tok, "PUT", "/api/v1/statuses/"+string(st.ID), form); code != http.StatusOK {
			t.Fatalf("form edit: %d %v", code, body)
		}
		// An edit without media_ids keeps the images.
		if _, err := c.UpdateStatus(ctx, &mastodon.Toot{Status: "Both films, text only changed"}, st.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = c.GetStatus(ctx, st.ID)
		if !sameIDs(mediaIDs(got.MediaAttachments), []mastodon.ID{chest.ID, lateral.ID}) || got.MediaAttachments[0].Description != "AP chest film" {
			t.Fatalf("after the form edits: %+v", got.MediaAttachments)
		}
		hist, _ = c.GetStatusHistory(ctx, st.ID)
		if len(hist) != 5 || hist[2].MediaAttachments[0].Description != "Chest film, AP view" || hist[3].MediaAttachments[0].Description != "AP chest film" {
			t.Fatalf("history after the form edits: %d versions %+v", len(hist), hist)
		}

		// Refused, with the post left as it was.
		other := uploadPNG(t, signIn(t, n, "dr_omar"), 20, 20, "")
		elsewhere := uploadPNG(t, c, 20, 20, "")
		if _, err := c.PostStatus(ctx, &mastodon.Toot{Status: "Another post", MediaIDs: []mastodon.ID{elsewhere.ID}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			body map[string]any
			want string
		}{
			{"another user's image", map[string]any{"status": "x", "media_ids": []string{string(other.ID)}}, "does not exist"},
			{"another post's image", map[string]any{"status": "x", "media_ids": []string{string(elsewhere.ID)}}, "already used in another post"},
			{"five images", map[string]any{"status": "x", "media_ids": []string{string(chest.ID), string(lateral.ID), "1", "2", "3"}}, "at most 4"},
			{"a poll with images", map[string]any{"status": "x", "media_ids": []string{string(chest.ID)}, "poll": map[string]any{"options": []string{"a", "b"}, "expires_in": 3600}}, "poll cannot be combined"},
			{"a patient in a description", map[string]any{"status": "x", "media_ids": []string{string(chest.ID)},
				"media_attributes": []map[string]any{{"id": string(chest.ID), "description": "Mr K, NHS no 943 476 5919"}}}, "the description of image 1"},
		} {
			code, out := editJSON(t, n, tok, st.ID, tc.body)
			msg, _ := out["error"].(string)
			if code != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.want) {
				t.Errorf("%s: %d %q, want 422 saying %q", tc.name, code, msg, tc.want)
			}
		}
		// Nor is the guard skipped by describing a posted image directly.
		if code, body := call(t, n, tok, "PUT", "/api/v1/media/"+string(chest.ID), url.Values{"description": {"Mr K, NHS no 943 476 5919"}}); code != http.StatusUnprocessableEntity {
			t.Errorf("describing a posted image with an NHS number: %d %v", code, body)
		}
		got, _ = c.GetStatus(ctx, st.ID)
		if !sameIDs(mediaIDs(got.MediaAttachments), []mastodon.ID{chest.ID, lateral.ID}) || got.MediaAttachments[0].Description != "AP chest film" {
			t.Fatalf("after the refused edits: %+v", got.MediaAttachments)
		}

		// "media_ids": [] takes every image off.
		if code, out := editJSON(t, n, tok, st.ID, map[string]any{"status": "No films after all", "media_ids": []string{}}); code != http.StatusOK {
			t.Fatalf("edit to no media: %d %v", code, out)
		}
		if got, _ = c.GetStatus(ctx, st.ID); len(got.MediaAttachments) != 0 {
			t.Fatalf("media after removing all: %+v", got.MediaAttachments)
		}
	})
}

// A follower's server applies an edit that changes a post's images: the
// Update{Note} carries the new attachments and descriptions, the copy
// there shows them, an image kept keeps its row with the new description,
// and the copy's history has each version's images.
func TestFollowerServerAppliesEditedMedia(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		a.user(t, "dr_ines", false)
		bob := b.user(t, "dr_bo", false)
		followAcross(t, b, bob, a, "dr_ines")
		c := signIn(t, a, "dr_ines")
		chest := uploadPNG(t, c, 40, 30, "Chest film, AP view")
		lateral := uploadPNG(t, c, 30, 40, "")
		st, err := c.PostStatus(ctx, &mastodon.Toot{Status: "Teaching film of the week", MediaIDs: []mastodon.ID{chest.ID}})
		if err != nil {
			t.Fatal(err)
		}
		var copy *storage.Status
		eventually(t, "the post on the follower's server", func() bool {
			copy, err = b.svc.StatusByURI(ctx, st.URI)
			return err == nil
		})
		// copyMedia reports whether b's copy has images at urls, in order,
		// described so.
		copyMedia := func(urls, descriptions []string) func() bool {
			return func() bool {
				ms, err := b.svc.StatusMedia(ctx, copy)
				if err != nil || len(ms) != len(urls) {
					return false
				}
				for i, m := range ms {
					if m.RemoteURL != urls[i] || m.Description != descriptions[i] {
						return false
					}
				}
				return true
			}
		}
		eventually(t, "the first image on the copy", copyMedia([]string{chest.URL}, []string{"Chest film, AP view"}))

		edit := func(body map[string]any) {
			t.Helper()
			if code, out := editJSON(t, a, c.Config.AccessToken, st.ID, body); code != http.StatusOK {
				t.Fatalf("edit: %d %v", code, out)
			}
		}
		edit(map[string]any{"status": "The lateral is clearer", "media_ids": []string{string(lateral.ID)},
			"media_attributes": []map[string]any{{"id": string(lateral.ID), "description": "Lateral chest film"}}})
		eventually(t, "the new image and description on the copy", copyMedia([]string{lateral.URL}, []string{"Lateral chest film"}))
		before, _ := b.svc.StatusMedia(ctx, copy)

		// Only the description changes: the copy's image is the same one.
		edit(map[string]any{"status": "The lateral is clearer", "media_ids": []string{string(lateral.ID)},
			"media_attributes": []map[string]any{{"id": string(lateral.ID), "description": "Lateral chest film, day 2"}}})
		eventually(t, "the new description on the copy", copyMedia([]string{lateral.URL}, []string{"Lateral chest film, day 2"}))
		if after, _ := b.svc.StatusMedia(ctx, copy); after[0].ID != before[0].ID {
			t.Fatalf("the kept image was stored anew: %d, was %d", after[0].ID, before[0].ID)
		}

		cb := signIn(t, b, "dr_bo")
		hist, err := cb.GetStatusHistory(ctx, mastodon.ID(strconv.FormatInt(copy.ID, 10)))
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ url, description string }{{chest.URL, "Chest film, AP view"}, {lateral.URL, "Lateral chest film"}, {lateral.URL, "Lateral chest film, day 2"}}
		if len(hist) != len(want) {
			t.Fatalf("the copy's history has %d versions, want %d", len(hist), len(want))
		}
		for i, w := range want {
			if m := hist[i].MediaAttachments; len(m) != 1 || m[0].URL != w.url || m[0].Description != w.description {
				t.Errorf("version %d of the copy: media %+v, want %s %q", i, m, w.url, w.description)
			}
		}
		got, err := cb.GetStatus(ctx, mastodon.ID(strconv.FormatInt(copy.ID, 10)))
		if err != nil {
			t.Fatal(err)
		}
		if m := got.MediaAttachments; len(m) != 1 || m[0].URL != lateral.URL || m[0].Description != "Lateral chest film, day 2" {
			t.Fatalf("the copy's status: media %+v", m)
		}

		// Every image taken off.
		edit(map[string]any{"status": "No film after all", "media_ids": []string{}})
		eventually(t, "no image on the copy", copyMedia(nil, nil))
	})
}
