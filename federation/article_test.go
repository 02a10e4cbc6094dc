package federation

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"rounds/storage"
)

func TestArticleRoundTripsAndReadsAsTitleSummaryAndLink(t *testing.T) {
	raw, err := os.ReadFile("../cmd/rounds/testdata/wordpress_article.json")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReplacer("{{BASE}}", "https://blog.example", "{{ACTOR}}", "https://blog.example/?author=1").Replace(string(raw))
	act, err := ParseActivity([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	n := act.Note
	if n == nil || n.Type != "Article" || n.Name != "Our clinic garden, one year on" || !isArticle(n) {
		t.Fatalf("parsed: %+v", n)
	}
	st := &storage.Status{URL: n.URL}
	a := remoteArticle(n, st)
	if a.Summary != "What a year of the garden taught us about waiting rooms …" || strings.Contains(a.Content, "<script") ||
		!strings.Contains(a.Content, "<strong>Why a garden</strong>") || st.SpoilerText != "" ||
		!strings.Contains(st.Content, `<a href="https://blog.example/2026/12/01/our-clinic-garden-one-year-on/"`) {
		t.Fatalf("kept: %+v, status content %q", a, st.Content)
	}
	// A Note is not an article, nor a Page: Lemmy's and Mbin's Pages are
	// discussion posts, shown whole (fediverse_shapes.go).
	if isArticle(&NoteDoc{Type: "Note", Name: "x"}) || isArticle(&NoteDoc{Type: "Page", Name: "x"}) {
		t.Fatal("a Note or a Page was taken for an article")
	}

	// Marshalled, an Article carries its name, summary and content.
	out, err := MarshalNote(NoteDoc{ID: "https://r.example/users/a/statuses/1", Type: "Article", Name: "T", Summary: "S",
		Content: "<p>C</p>", URL: "https://r.example/@a/blog/t", AttributedTo: "https://r.example/users/a", To: []string{PublicCollection}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil || m["type"] != "Article" || m["name"] != "T" || m["summary"] != "S" || m["content"] != "<p>C</p>" || m["url"] != "https://r.example/@a/blog/t" {
		t.Fatalf("marshalled: %s %v", out, err)
	}
}
