package federation

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"rounds/internal/htmlcheck"
)

// The fuzz targets of everything federation reads from other servers. Their
// seeds (and the crashers found, kept in testdata/fuzz) run with the
// ordinary tests; .ci/fuzz runs each target for a few seconds.

var as2Seeds = []string{
	as2MastodonPerson, as2MastodonCreateNote, `{}`, `[]`, `null`, `"x"`,
	`{"type":["Create"],"object":[{}]}`,
	`{"type":"Undo","id":"https://a/1","actor":"https://a/u","object":{"type":"Undo","object":{"type":"Follow"}}}`,
	`{"type":"Person","icon":[1,"x",{"type":"Image","url":[{"type":"Link"}]}],"publicKey":[null]}`,
	`{"type":"Create","object":{"type":"Note","tag":[null,{"type":"Hashtag"}],"attachment":{"type":"Document","width":-1}}}`,
	`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://b.example/notes/1","type":"Note","attributedTo":"https://b.example/users/a",
	  "content":"<p>hi <a href=\"https://b.example/tags/ecg\" class=\"mention hashtag\">#<span>ecg</span></a></p>","contentMap":{"en":"<p>hi</p>"},
	  "to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://b.example/users/a/followers"],"inReplyTo":null,"sensitive":false,
	  "attachment":[{"type":"Document","mediaType":"image/png","url":"https://b.example/m/1.png","name":"ECG","blurhash":"UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH","width":640,"height":480}]}`,
	`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://b.example/q/1","type":"Question","attributedTo":"https://b.example/users/a","content":"Which?",
	  "oneOf":[{"type":"Note","name":"A","replies":{"type":"Collection","totalItems":3}},{"type":"Note","name":"B","replies":{"type":"Collection","totalItems":1}}],"endTime":"2026-12-09T10:00:00Z"}`,
	`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://b.example/users/a#follows/1","type":"Follow","actor":"https://b.example/users/a","object":"https://rounds.example/users/bob"}`,
	`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://b.example/users/a#likes/1","type":"Like","actor":"https://b.example/users/a","object":"https://rounds.example/users/bob/statuses/1"}`,
	`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://misskey.example/r/1","type":"EmojiReact","actor":"https://misskey.example/users/a","object":"https://rounds.example/users/bob/statuses/1","content":"👍"}`,
	`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://b.example/users/a#delete","type":"Delete","actor":"https://b.example/users/a","object":{"type":"Tombstone","id":"https://b.example/notes/1"}}`,
	`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://b.example/a/1","type":"Announce","actor":"https://b.example/users/a","object":"https://rounds.example/users/bob/statuses/1","published":"2026-12-08T07:00:00Z"}`,
	`{"@context":["https://www.w3.org/ns/activitystreams",{"toot":"http://joinmastodon.org/ns#"}],"id":"https://g.example/users/c","type":"Service","inbox":"https://g.example/users/c/inbox","preferredUsername":"c","name":"C","summary":"<script>x</script>",
	  "endpoints":{"sharedInbox":"https://g.example/inbox"},"attachment":[{"type":"PropertyValue","name":"Web","value":"<a href=\"javascript:x\">y</a>"}]}`,
}

// FuzzParseAS2 gives each document to the three parsers: one target
// rather than three, as the fuzzer spends its first seconds measuring the
// coverage of go-fed's large vocabulary.
func FuzzParseAS2(f *testing.F) {
	for _, s := range as2Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkIRIs := func(what string, fields map[string]string) {
			for name, v := range fields {
				if _, err := as2AbsIRI(v); err != nil {
					t.Fatalf("accepted %s has %s %q: %v", what, name, v, err)
				}
			}
		}
		if d, err := ParseActor(b); err == nil {
			checkIRIs("actor", map[string]string{"id": d.ID, "inbox": d.Inbox})
			if d.PreferredUsername == "" {
				t.Fatal("accepted actor has no preferredUsername")
			}
		}
		if d, err := ParseNote(b); err == nil {
			checkIRIs("note", map[string]string{"id": d.ID, "attributedTo": d.AttributedTo})
		}
		if d, err := ParseActivity(b); err == nil {
			checkIRIs("activity", map[string]string{"id": d.ID, "actor": d.Actor})
			if d.Type == "" {
				t.Fatal("accepted activity has no type")
			}
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{
		`keyId="https://mastodon.example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="dGVzdA=="`,
		`keyId="https://gts.example/users/b/main-key",algorithm="hs2019",headers="(request-target) host date",signature="YWJj"`,
		`keyId="k", created=1733641200, expires=1733644800, headers="(request-target) (created) (expires)", signature="s"`,
		`keyId=https://bare.example/k,signature=abc`,
		`keyId="k",keyId="j",signature="s"`,
		`keyId="k,signature="s"`,
		``, `=`, `,`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseSignature(s)
		if err != nil {
			return
		}
		if p.keyID == "" || p.signature == "" || len(p.headers) == 0 || p.algorithm == "" {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		c, err := p.canonical()
		if err != nil {
			return
		}
		// What httpsig is handed must say exactly what was checked.
		q, err := parseSignature(c)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", c, s, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("canonical form %q of %q reads as %+v, not %+v", c, s, q, p)
		}
	})
}

func FuzzSanitizeHTML(f *testing.F) {
	for _, s := range []string{
		`<p>Reading <span class="h-card"><a href="https://m.example/@a" class="u-url mention">@<span>a</span></a></span> on <a href="https://m.example/tags/ecg" class="mention hashtag" rel="tag">#<span>ecg</span></a></p>`,
		`<h1>Title</h1><p>text<br>more</p><ul><li>one</li></ul><pre><code>x := 1</code></pre>`,
		`<script>alert(1)</script><p onclick="x()">a</p><img src=x onerror=alert(1)>`,
		`<a href="javascript:alert(1)">x</a><a href="JaVaScRiPt:alert(1)">y</a><a href="java&#x09;script:alert(1)">z</a>`,
		`<svg><script>alert(1)</script></svg><math><mi xlink:href="javascript:x">y</mi></math>`,
		`<h1 onmouseover="x()">a</h1><h2 <script>>b</h2>`,
		`<style>*{}</style><iframe src="https://x"></iframe><form action="javascript:x"><button>b</button></form>`,
		`<a href="data:text/html,<script>x</script>">d</a><a href="https://ok.example/?q=<script>">e</a>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SanitizeHTML(s)
		if why := htmlcheck.Unsafe(out); why != "" {
			t.Fatalf("SanitizeHTML(%q) = %q: %s", s, out, why)
		}
	})
}

func FuzzWebFingerURL(f *testing.F) {
	for _, s := range []string{"alice@mastodon.example", "@alice@mastodon.example", "acct:alice@gts.example:8443",
		"a@b@c", "a@evil.example/x?y", "a@", "@", "a@[::1]:8080", "a@xn--bcher-kva.example", "a@bücher.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, acct string) {
		wf, err := webfingerURL("https", acct)
		if err != nil {
			return
		}
		_, host, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(acct, "acct:"), "@"), "@")
		u, err := url.Parse(wf)
		if err != nil {
			t.Fatalf("webfingerURL(%q) = %q, which does not parse: %v", acct, wf, err)
		}
		// The lookup goes to the account's own host, and nowhere else.
		if u.Host != host || u.User != nil || u.Path != "/.well-known/webfinger" || u.Fragment != "" {
			t.Fatalf("webfingerURL(%q) = %q: host %q, path %q", acct, wf, u.Host, u.Path)
		}
		if got := u.Query().Get("resource"); !strings.HasPrefix(got, "acct:") || !strings.HasSuffix(got, "@"+host) {
			t.Fatalf("webfingerURL(%q) asks for %q", acct, got)
		}
	})
}

func FuzzWebFingerDocument(f *testing.F) {
	for _, s := range []string{
		`{"subject":"acct:a@m.example","aliases":["https://m.example/@a","https://m.example/users/a"],"links":[{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://m.example/@a"},{"rel":"self","type":"application/activity+json","href":"https://m.example/users/a"},{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://m.example/authorize_interaction?uri={uri}"}]}`,
		`{"subject":"acct:b@g.example","links":[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://g.example/users/b"}]}`,
		`{"links":[{"rel":"self","type":"text/html","href":"https://x"}]}`,
		`{"links":null}`, `[]`, `{"links":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		href, err := actorLinkFromJRD(b)
		if err != nil {
			return
		}
		if href == "" {
			t.Fatal("no error and no link")
		}
		if !json.Valid(b) {
			t.Fatalf("a link %q from invalid JSON", href)
		}
	})
}
