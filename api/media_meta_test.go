package api

import (
	"encoding/json"
	"strconv"
	"testing"
)

// The meta structs encode byte for byte as the maps they replaced did.
func TestMediaMetaEncodesAsTheMapsDid(t *testing.T) {
	oldSize := func(w, h int) map[string]any {
		return map[string]any{"width": w, "height": h, "size": strconv.Itoa(w) + "x" + strconv.Itoa(h), "aspect": float64(w) / float64(h)}
	}
	for _, c := range [][4]int{{32, 24, 32, 24}, {1920, 1080, 400, 225}, {3, 7, 3, 7}, {1, 1000, 1, 1000}} {
		original, small := imageSize(c[0], c[1]), imageSize(c[2], c[3])
		got, _ := json.Marshal(&MediaAttachment{Meta: &MediaMeta{Focus: &MediaFocus{}, Original: &original, Small: &small}})
		want, _ := json.Marshal(map[string]any{"id": "", "type": "", "url": nil, "preview_url": nil, "remote_url": nil, "preview_remote_url": nil,
			"text_url": nil, "description": nil, "blurhash": nil,
			"meta": map[string]any{"original": oldSize(c[0], c[1]), "small": oldSize(c[2], c[3]), "focus": map[string]float64{"x": 0, "y": 0}}})
		var g, w map[string]json.RawMessage
		json.Unmarshal(got, &g)
		json.Unmarshal(want, &w)
		if string(g["meta"]) != string(w["meta"]) {
			t.Errorf("meta %s, the map gave %s", g["meta"], w["meta"])
		}
	}
	got, _ := json.Marshal(&MediaMeta{})
	if string(got) != "{}" {
		t.Errorf("unknown size: %s", got)
	}
}
