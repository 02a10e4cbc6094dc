package federation

import (
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// sanitizer keeps the HTML that Mastodon keeps from remote posts and drops
// the rest: p, br, span with mention/hashtag/h-card style classes, links,
// del, pre, code, emphasis, lists and blockquotes. Headings become strong.
var sanitizer = sync.OnceValue(func() *bluemonday.Policy {
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

// SanitizeHTML returns remote HTML reduced to what is safe to show.
func SanitizeHTML(s string) string {
	// Mastodon turns headings into bold text rather than dropping them.
	s = headingRE.ReplaceAllString(s, "<${1}strong>")
	return sanitizer().Sanitize(s)
}
