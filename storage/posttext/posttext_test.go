package posttext

import "testing"

func TestOf(t *testing.T) {
	if got, want := Of("cw", "<p>text</p>", "Option A", "an x-ray of a hand"), "cw text Option A an x-ray of a hand"; got != want {
		t.Errorf("Of with more = %q, want %q", got, want)
	}
	for _, c := range []struct{ spoiler, content, want string }{
		{"", "<p>Hello world</p>", "Hello world"},
		{"CW: meds", "<p>One</p><p>Two<br>three</p>", "CW: meds One Two three"},
		{"", `<p><span class="h-card"><a href="https://x.example/@ana" class="u-url mention">@<span>ana</span></a></span> see <a href="https://x.example/tags/asthma" class="mention hashtag" rel="tag">#<span>asthma</span></a></p>`,
			"@ana see #asthma"},
		{"", `<p><a href="https://example.org/a/long/path"><span class="invisible">https://</span><span class="ellipsis">example.org/a/lo</span><span class="invisible">ng/path</span></a></p>`,
			"https://example.org/a/long/path"},
		{"", "<p>5 &lt; 7 &amp; caf&eacute;</p>", "5 < 7 & café"},
		{"", "<ul><li>one</li><li>two</li></ul>", "one two"},
		{"", "plain, no markup", "plain, no markup"},
		{"", "<p>unclosed <b>bold", "unclosed bold"},
		{"", "", ""},
	} {
		if got := Of(c.spoiler, c.content); got != c.want {
			t.Errorf("Of(%q, %q) = %q, want %q", c.spoiler, c.content, got, c.want)
		}
	}
}
