package social

import (
	"net/url"
	"strings"
)

// maxReturnPathLength bounds a return path; longer ones are not ours.
const maxReturnPathLength = 2048

// SameOriginPath returns raw when a browser that follows it as a redirect
// (a Location header, or a link) stays on this server, and fallback
// otherwise: it is the one check for every place that sends a browser to a
// location a request named (the return_to of the sign-in pages, and any
// "next" value a page may carry).
//
// It judges the text the browser will see, not the text Go parses, because
// browsers normalise a URL before they resolve it (WHATWG URL Standard,
// "basic URL parser"): they remove TAB, LF and CR anywhere, strip leading
// and trailing C0 controls and spaces, and read "\" as "/" in http(s)
// URLs. So "/\t/evil.example" becomes "//evil.example", a URL on another
// host. Rather than copy that normalisation, SameOriginPath refuses every
// value it could change: any ASCII control character or space, any
// backslash and anything outside ASCII (a real path of ours is
// percent-encoded). What is left must be an absolute path: one leading "/"
// not followed by a second "/", and no scheme or host.
func SameOriginPath(raw, fallback string) string {
	if raw == "" || len(raw) > maxReturnPathLength || raw[0] != '/' {
		return fallback
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return fallback
		}
	}
	if len(raw) > 1 && raw[1] == '/' {
		return fallback
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.EscapedPath(), "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return raw
}
