// Package posttext reads the text of a post out of its HTML: the words
// full-text search indexes and the text keyword filters match. Storage
// indexes every post through it when the post is stored or edited, and
// the migration that built the index used it for the posts already there,
// so all of them agree on what a post says.
package posttext

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// inline elements join the text on either side of them: a link's
// "#"<span>asthma</span> is the word #asthma, and the visible and
// invisible parts of a shortened link are one address. Every other
// element (a paragraph, a line break, a list item) separates words.
var inline = map[atom.Atom]bool{
	atom.A: true, atom.Span: true, atom.B: true, atom.Strong: true, atom.I: true,
	atom.Em: true, atom.U: true, atom.S: true, atom.Del: true, atom.Ins: true,
	atom.Code: true, atom.Sub: true, atom.Sup: true, atom.Small: true,
	atom.Mark: true, atom.Abbr: true,
}

// Of returns the text of a post: its content warning, then its content
// (sanitised HTML) without markup, with entities decoded, then more (poll
// options, image descriptions), white space collapsed.
func Of(spoilerText, contentHTML string, more ...string) string {
	var b strings.Builder
	b.WriteString(spoilerText)
	b.WriteByte('\n')
	z := html.NewTokenizer(strings.NewReader(contentHTML))
	for done := false; !done; {
		switch z.Next() {
		case html.ErrorToken:
			done = true
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if !inline[atom.Lookup(name)] {
				b.WriteByte(' ')
			}
		}
	}
	for _, m := range more {
		b.WriteByte('\n')
		b.WriteString(m)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
