// Package htmlsafe reduces HTML from outside (other servers' posts, the HTML
// a clinician's Markdown makes) to what Rounds shows: the one sanitiser, so
// that federation and social apply the same rules.
package htmlsafe

import (
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// policy keeps the HTML that Mastodon keeps from remote posts and drops
// the rest: p, br, span with mention/hashtag/h-card style classes, links,
// del, pre, code, emphasis, lists and blockquotes. Headings become strong.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^((h|p|u|dt|e)-[a-z-]+|mention|hashtag|ellipsis|invisible)( ((h|p|u|dt|e)-[a-z-]+|mention|hashtag|ellipsis|invisible))*$`)).OnElements("span", "a")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^[a-z ]+$`)).OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AllowElements("a")
	return p
})

var headingRE = regexp.MustCompile(`(?i)<(/?)h[1-6](\s[^>]*)?>`)

// Sanitize returns HTML reduced to what is safe to show.
func Sanitize(s string) string {
	// Mastodon turns headings into bold text rather than dropping them.
	s = headingRE.ReplaceAllString(s, "<${1}strong>")
	return policy().Sanitize(s)
}
