package federation

import (
	"reflect"
	"strings"
	"testing"
)

// Hostile and odd shapes from other servers: emojis without images,
// script addresses in Link attachments, oversized or non-image thumbnails,
// an attributedTo list without a typed person.
func TestFediverseShapesKeepOnlyUsableParts(t *testing.T) {
	create := func(object string) *NoteDoc {
		t.Helper()
		d, err := ParseActivity([]byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://tube.example/a/1","type":"Create",
			"actor":"https://tube.example/accounts/x","object":` + object + `}`))
		if err != nil {
			t.Fatal(err)
		}
		if d.Note == nil {
			t.Fatalf("no note parsed from %s", object)
		}
		return d.Note
	}

	n := create(`{"id":"https://tube.example/v/1","type":"Video","name":"T","content":"a\n\nb <i>c</i>","mediaType":"text/markdown",
		"attributedTo":["https://tube.example/video-channels/c","https://tube.example/accounts/x"],
		"url":"https://tube.example/w/1",
		"icon":[{"type":"Image","url":"javascript:alert(1)","mediaType":"image/png","width":10,"height":10},
		        {"type":"Image","url":"https://tube.example/t.svg","mediaType":"image/svg+xml","width":20,"height":20},
		        {"type":"Image","url":"https://tube.example/big.jpg","mediaType":"image/jpeg","width":5000,"height":5000},
		        {"type":"Image","url":"https://tube.example/ok.jpg","width":300,"height":200}],
		"tag":[{"type":"Emoji","name":":noicon:"},{"type":"Emoji","name":":ok_one:","icon":"https://tube.example/e.png"},{"type":"Emoji","icon":{"url":"https://tube.example/n.png"}}]}`)
	if n.AttributedTo != "https://tube.example/video-channels/c" {
		t.Errorf("attributedTo of untyped entries = %q, want the first", n.AttributedTo)
	}
	if want := `<p><strong>T</strong></p><p>a</p><p>b &lt;i&gt;c&lt;/i&gt;</p><p><a href="https://tube.example/w/1">https://tube.example/w/1</a></p>`; n.Content != want {
		t.Errorf("content = %s\nwant      %s", n.Content, want)
	}
	if len(n.Attachments) != 1 || n.Attachments[0].URL != "https://tube.example/ok.jpg" || n.Attachments[0].Type != "Image" {
		t.Errorf("preview = %+v, want only ok.jpg", n.Attachments)
	}
	if want := []Emoji{{Name: ":ok_one:", IconURL: "https://tube.example/e.png"}}; !reflect.DeepEqual(n.Emojis, want) {
		t.Errorf("emojis = %+v, want %+v", n.Emojis, want)
	}

	p := create(`{"id":"https://lemmy.example/post/1","type":"Page","name":"<b>Title</b>","content":"<p>Body</p>",
		"attributedTo":"https://tube.example/accounts/x",
		"attachment":[{"type":"Link","href":"javascript:alert(1)"},{"type":"Link","href":"https://news.example/a?x=1&y=\"2\""},
		              {"type":"Link","href":"https://lemmy.example/i.webp","mediaType":"image/webp","name":"alt"}]}`)
	if !strings.HasPrefix(p.Content, "<p><strong>&lt;b&gt;Title&lt;/b&gt;</strong></p><p>Body</p>") ||
		!strings.Contains(p.Content, `href="https://news.example/a?x=1&amp;y=&#34;2&#34;"`) || strings.Contains(p.Content, "javascript") {
		t.Errorf("page content = %s", p.Content)
	}
	if len(p.Attachments) != 1 || p.Attachments[0].URL != "https://lemmy.example/i.webp" || p.Attachments[0].Name != "alt" {
		t.Errorf("page attachments = %+v", p.Attachments)
	}

	// A plain Note keeps its content as sent; its Link attachments of no
	// media type are not added as links.
	note := create(`{"id":"https://m.example/n/1","type":"Note","name":"x","content":"<p>hi</p>","attributedTo":"https://m.example/u",
		"attachment":{"type":"Link","href":"https://else.example/"}}`)
	if note.Content != "<p>hi</p>" || len(note.Attachments) != 0 {
		t.Errorf("note = %q %+v", note.Content, note.Attachments)
	}
}
