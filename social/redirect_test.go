package social_test

import (
	"testing"

	"rounds/social"
)

// TestSameOriginPathKeepsOnlyPathsBrowsersCannotTurnIntoAnotherHost runs
// the rule on the raw values (the HTTP test sends them through sign-in).
func TestSameOriginPathKeepsOnlyPathsBrowsersCannotTurnIntoAnotherHost(t *testing.T) {
	for _, v := range []string{
		"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", " //evil.example", " /home", "/home ",
		"\x00//evil.example", "/\x7f", "//evil.example", "///evil.example", "/\\evil.example", "\\/evil.example", "\\\\evil.example",
		"https://evil.example", "javascript:alert(1)", "evil.example", "%2F%2Fevil.example", "/\u3000/evil.example",
		"/\uff0fevil.example", "/\u2028", "", "/x" + string(make([]byte, 2100)),
		"/%2F/evil.example", // "//evil.example" once decoded: refused though browsers would keep it
	} {
		if got := social.SameOriginPath(v, "/home"); got != "/home" {
			t.Errorf("SameOriginPath(%q) = %q, want the fallback", v, got)
		}
	}
	for _, v := range []string{"/", "/home", "/settings/export", "/@ines", "/search?q=asthma&type=statuses", "/tags/%09x", "/a:b", "/x#y"} {
		if got := social.SameOriginPath(v, "/home"); got != v {
			t.Errorf("SameOriginPath(%q) = %q, want it kept", v, got)
		}
	}
}
