package federation

import "testing"

func TestSanitizeHTMLKeepsMastodonsAllowlist(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<p>Hello <span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span></p>`,
			`<p>Hello <span class="h-card"><a href="https://m.example/@bob" class="u-url mention" rel="nofollow noreferrer">@<span>bob</span></a></span></p>`},
		{`<p>x<script>alert(1)</script>y</p>`, `<p>xy</p>`},
		{`<a href="javascript:alert(1)">click</a>`, `click`},
		{`<p onclick="x()" style="color:red">t</p>`, `<p>t</p>`},
		{`<h1>Title</h1><p>body</p>`, `<strong>Title</strong><p>body</p>`},
		{`<img src="https://x/y.png"><iframe src="https://x"></iframe>ok`, `ok`},
		{`<span class="evil">a</span><span class="hashtag">#b</span>`, `<span>a</span><span class="hashtag">#b</span>`},
		{`<blockquote><pre><code>x &lt; y</code></pre></blockquote><ul><li>i</li></ul>`, `<blockquote><pre><code>x &lt; y</code></pre></blockquote><ul><li>i</li></ul>`},
	}
	for _, c := range cases {
		if got := SanitizeHTML(c.in); got != c.want {
			t.Errorf("SanitizeHTML(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
