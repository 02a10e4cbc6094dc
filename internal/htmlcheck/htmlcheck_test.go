package htmlcheck

import "testing"

func TestUnsafe(t *testing.T) {
	for _, s := range []string{
		`<script>alert(1)</script>`,
		`<p onclick="x()">a</p>`,
		`<a href="java&#09;script:alert(1)">x</a>`,
		`<a href=" JavaScript:alert(1)">x</a>`,
		`<img src=x onerror=alert(1)>`,
		`<svg><a xlink:href="javascript:x">y</a></svg>`,
	} {
		if Unsafe(s) == "" {
			t.Errorf("%s passed as safe", s)
		}
	}
	for _, s := range []string{
		`<p>Hello <a href="https://x.example/" rel="nofollow noopener noreferrer">x</a></p>`,
		`<p>onclick is a word; javascript: too</p>`,
		`&lt;script&gt;`,
		`<a href="JAVASCRIPT">a relative link</a>`,
	} {
		if why := Unsafe(s); why != "" {
			t.Errorf("%s refused: %s", s, why)
		}
	}
}
