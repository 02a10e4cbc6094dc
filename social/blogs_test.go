package social

import (
	"strings"
	"testing"
)

func TestSlugifyMakesPageNames(t *testing.T) {
	for in, want := range map[string]string{
		"What a night shift teaches":   "what-a-night-shift-teaches",
		"  Ward 7: the A&E handover! ": "ward-7-the-a-e-handover",
		"Über café":                    "ber-caf",
		"!!!":                          "post",
		strings.Repeat("long ", 30):    strings.TrimSuffix(strings.Repeat("long-", 12), "-"),
	} {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadingMinutesCountsWords(t *testing.T) {
	if got := ReadingMinutes("<p>three short words</p>"); got != 1 {
		t.Errorf("a short text: %d minutes", got)
	}
	if got := ReadingMinutes("<p>" + strings.Repeat("word ", 401) + "</p>"); got != 3 {
		t.Errorf("401 words: %d minutes, want 3", got)
	}
}

func TestBlogTagsParsesHashtags(t *testing.T) {
	got, err := blogTags("#Nights ed, ED  #rota_2026")
	if err != nil || strings.Join(got, " ") != "nights ed rota_2026" {
		t.Fatalf("blogTags: %v %v", got, err)
	}
	if _, err := blogTags("not-a-tag"); err == nil {
		t.Fatal("a tag with a hyphen was accepted")
	}
}

func TestRenderBlogBodyKeepsNoRawHTML(t *testing.T) {
	out := RenderBlogBody("# Title\n\nText with <script>alert(1)</script> and [a link](javascript:alert(2)).")
	if strings.Contains(out, "<script") || strings.Contains(out, "javascript:") || !strings.Contains(out, "<strong>Title</strong>") {
		t.Fatalf("rendered: %s", out)
	}
}
