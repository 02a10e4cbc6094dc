// Package htmlcheck tells whether HTML that Rounds serves could run script
// in a reader's browser. The fuzz tests of the sanitisers use it as their
// property: it parses the HTML the way a browser does (golang.org/x/net/html)
// rather than searching the text, so an obfuscated tag cannot slip past.
package htmlcheck

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Unsafe returns why s could run script (a script element, an event
// handler attribute, a javascript: URL), or "" when it could not.
func Unsafe(s string) string {
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return fmt.Sprintf("does not parse: %v", err)
	}
	for _, n := range nodes {
		if why := unsafeNode(n); why != "" {
			return why
		}
	}
	if strings.Contains(strings.ToLower(s), "<script") {
		return "the text holds <script"
	}
	return ""
}

func unsafeNode(n *html.Node) string {
	if n.Type == html.ElementNode {
		switch n.Data {
		case "script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link":
			return fmt.Sprintf("a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") {
				return fmt.Sprintf("an event handler attribute %s on <%s>", a.Key, n.Data)
			}
			if key == "style" || key == "srcdoc" || key == "formaction" {
				return fmt.Sprintf("a %s attribute on <%s>", a.Key, n.Data)
			}
			if isURLAttr(key) && scriptURL(a.Val) {
				return fmt.Sprintf("a script URL %q in %s on <%s>", a.Val, a.Key, n.Data)
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if why := unsafeNode(c); why != "" {
			return why
		}
	}
	return ""
}

func isURLAttr(key string) bool {
	switch key {
	case "href", "src", "action", "xlink:href", "background", "poster", "cite", "data", "srcset", "ping":
		return true
	}
	return false
}

// scriptURL reports whether a browser would treat v as a javascript:,
// vbscript: or data: URL: it drops ASCII whitespace and control characters
// anywhere in the scheme and ignores case.
func scriptURL(v string) bool {
	var b strings.Builder
	colon := false
	for _, r := range v {
		if r <= ' ' {
			continue
		}
		if r == ':' {
			colon = true
			break
		}
		b.WriteRune(r)
	}
	if !colon {
		return false // a relative URL, such as "javascript" or "data"
	}
	switch strings.ToLower(b.String()) {
	case "javascript", "vbscript", "data":
		return true
	}
	return false
}
