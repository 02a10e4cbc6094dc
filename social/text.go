package social

import (
	"context"
	"html"
	"regexp"
	"strings"

	"rounds/storage"
)

// AccountResolver finds a remote account by user@domain, asking its server
// (WebFinger, then the actor) when it is not known yet. The federation layer
// provides it; the domain stays free of network code.
type AccountResolver interface {
	ResolveAccount(ctx context.Context, acct string) (*storage.Account, error)
}

// SetResolver sets how unknown remote accounts named in posts are found.
// It is called once while the server is wired together.
func (s *Service) SetResolver(r AccountResolver) { s.resolver = r }

// The patterns Mastodon links in a post: mentions (@user, @user@domain,
// where a domain may carry a port), hashtags and web addresses.
var (
	tokenRE = regexp.MustCompile(`(?:^|[^\w/@#])(?:(@[A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9](?::\d{1,5})?)?)|(#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)|(https?://[^\s<>"]+))`)
)

// rendered is a local post's text made into HTML, with what it mentions
// and tags.
type rendered struct {
	HTML     string
	Mentions []*storage.Account
	Tags     []string
}

// render turns plain text into Mastodon-style HTML: paragraphs, line
// breaks, and links for the mentions it can resolve, hashtags and URLs.
func (s *Service) render(ctx context.Context, text string) rendered {
	var out rendered
	seenAcct := map[int64]bool{}
	seenTag := map[string]bool{}
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			b.WriteString(s.renderLine(ctx, line, &out, seenAcct, seenTag))
		}
		b.WriteString("</p>")
	}
	out.HTML = b.String()
	return out
}

func (s *Service) renderLine(ctx context.Context, line string, out *rendered, seenAcct map[int64]bool, seenTag map[string]bool) string {
	var b strings.Builder
	last := 0
	for _, m := range tokenRE.FindAllStringSubmatchIndex(line, -1) {
		// m[2..3] mention, m[4..5] hashtag, m[6..7] URL.
		var start, end int
		var repl string
		switch {
		case m[2] >= 0:
			start, end = m[2], m[3]
			if a := s.resolveMention(ctx, line[start+1:end]); a != nil {
				if !seenAcct[a.ID] {
					seenAcct[a.ID] = true
					out.Mentions = append(out.Mentions, a)
				}
				repl = `<span class="h-card"><a href="` + html.EscapeString(a.URL) + `" class="u-url mention">@<span>` + html.EscapeString(a.Username) + `</span></a></span>`
			}
		case m[4] >= 0:
			start, end = m[4], m[5]
			name := line[start+1 : end]
			if lower := strings.ToLower(name); !seenTag[lower] {
				seenTag[lower] = true
				out.Tags = append(out.Tags, lower)
			}
			repl = `<a href="` + s.base + `/tags/` + html.EscapeString(strings.ToLower(name)) + `" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(name) + `</span></a>`
		default:
			start, end = m[6], m[7]
			// Trailing punctuation ends a sentence, not the address.
			for end > start && strings.ContainsRune(".,;:!?)'\"", rune(line[end-1])) {
				end--
			}
			u := line[start:end]
			repl = `<a href="` + html.EscapeString(u) + `" rel="nofollow noopener noreferrer" target="_blank">` + html.EscapeString(u) + `</a>`
		}
		if repl == "" {
			continue
		}
		b.WriteString(html.EscapeString(line[last:start]))
		b.WriteString(repl)
		last = end
	}
	b.WriteString(html.EscapeString(line[last:]))
	return b.String()
}

// resolveMention finds the account "user" or "user@domain" names.
func (s *Service) resolveMention(ctx context.Context, acct string) *storage.Account {
	user, domain, _ := strings.Cut(acct, "@")
	domain = strings.ToLower(domain)
	if domain == s.domain {
		domain = ""
	}
	a, err := s.db.AccountByUsername(ctx, user, domain)
	if err == nil {
		if a.Suspended() || a.Username == InstanceActorUsername {
			return nil
		}
		return a
	}
	if domain == "" || s.resolver == nil {
		return nil
	}
	a, err = s.resolver.ResolveAccount(ctx, user+"@"+domain)
	if err != nil {
		s.log.Info("mention not resolved", "acct", acct, "error", err)
		return nil
	}
	return a
}
