// Package tone judges whether a reply reads as heated (insults, contempt,
// shouting, sarcasm or threats aimed at a person) so that Rounds can ask its
// author to pause before it goes out.
//
// It is word lists read in context, no model fetched at run time: an insult
// counts when it is aimed at someone ("you", "your", a mention, "what a
// ..."), not when it describes a bug or a tumour; quoted speech (a quoted
// line, a quotation of three words or more) is left out, and capitals count
// as shouting only when they are ordinary words, not acronyms such as NICE or
// COPD. Every verdict says why, in words the author understands.
package tone

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Threshold is the score at which a text is judged heated.
const Threshold = 1.0

// Verdict is what Judge found.
type Verdict struct {
	Heated bool
	// Reasons say, in plain words, what made the text read as heated; they
	// may be present (and partial) when it did not cross the threshold.
	Reasons []string
	Score   float64
}

// Options tune a Checker: Flag adds words that always count as heated,
// Allow words that never do (each also the plural with -s).
type Options struct {
	Flag  []string
	Allow []string
}

// Checker judges texts; make one with New. It is safe for concurrent use.
type Checker struct {
	flag  []*regexp.Regexp
	flagW []string
	allow []*regexp.Regexp
}

// New returns a Checker tuned by opts.
func New(opts Options) *Checker {
	c := &Checker{}
	for _, w := range opts.Flag {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			c.flag = append(c.flag, wordRe(w))
			c.flagW = append(c.flagW, w)
		}
	}
	for _, w := range opts.Allow {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			c.allow = append(c.allow, wordRe(w))
		}
	}
	return c
}

func wordRe(w string) *regexp.Regexp {
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(w) + `(s|es)?\b`)
}

var std = New(Options{})

// Judge judges text with the built-in word lists.
func Judge(text string) Verdict { return std.Judge(text) }

type verdictBuilder struct {
	v    Verdict
	seen map[string]bool
}

func (b *verdictBuilder) add(w float64, reason string) {
	if b.seen[reason] {
		return
	}
	b.seen[reason] = true
	b.v.Score += w
	b.v.Reasons = append(b.v.Reasons, reason)
}

var (
	quotedLine  = regexp.MustCompile(`(?m)^\s*>.*$`)
	quotation   = regexp.MustCompile(`"[^"\n]*"`)
	mention     = regexp.MustCompile(`@[\pL\pN_.-]+(@[\pL\pN_.-]+)?`)
	censored    = regexp.MustCompile(`(?i)\bf[*#@$]+(k|ck)?(ing|in|ed|er)?\b|\bf\*+`)
	spaces      = regexp.MustCompile(`\s+`)
	repeatPunct = regexp.MustCompile(`[!?]{3,}|!!|\?\?`)
)

// Judge judges text with c's tuning.
func (c *Checker) Judge(text string) Verdict {
	b := &verdictBuilder{seen: map[string]bool{}}
	text = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(text)
	text = quotedLine.ReplaceAllString(text, " ")
	// A quotation of three words or more is someone else's words; shorter
	// ones are scare quotes, which stay (and count: your "research").
	text = quotation.ReplaceAllStringFunc(text, func(q string) string {
		if len(strings.Fields(q)) >= 3 {
			return " … "
		}
		return q
	})
	text = censored.ReplaceAllString(text, "fuck")
	caps := mention.ReplaceAllString(text, " ")
	lower := strings.ToLower(mention.ReplaceAllString(text, " @ "))
	for _, re := range c.allow {
		lower = re.ReplaceAllString(lower, " ")
	}
	lower = spaces.ReplaceAllString(lower, " ")

	for _, r := range phraseRules {
		if r.hint != "" && !strings.Contains(lower, r.hint) {
			continue
		}
		if m := r.re.FindString(lower); m != "" {
			b.add(r.weight, fmt.Sprintf(r.reason, strings.TrimSpace(strings.Trim(m, ",.!? "))))
		}
	}
	judgeWords(b, lower)
	judgeCapitals(b, caps)
	if repeatPunct.MatchString(text) {
		b.add(0.3, "repeated '!!' or '??'")
	}
	for i, re := range c.flag {
		if re.MatchString(lower) {
			b.add(Threshold, fmt.Sprintf("uses '%s', a word your server's admins ask people to think twice about", c.flagW[i]))
		}
	}
	b.v.Heated = b.v.Score >= Threshold
	return b.v
}

// tokens splits lower-cased text into words (letters, digits and inner
// apostrophes) and the target marker "@".
func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '@')
	})
}

// judgeWords finds insults: strong ones anywhere, the others only when
// aimed at a person.
func judgeWords(b *verdictBuilder, lower string) {
	// Sentences keep a target from reaching into the next one.
	for _, sentence := range splitSentences(lower) {
		ws := tokens(sentence)
		for i, w := range ws {
			w = strings.Trim(w, "'")
			if strongInsults[w] {
				if i > 0 && (ws[i-1] == "finger" || ws[i-1] == "needle") {
					continue // a finger prick
				}
				b.add(Threshold, fmt.Sprintf("calls someone '%s'", w))
				continue
			}
			if aimedInsults[w] && aimedAt(ws, i) {
				b.add(Threshold, fmt.Sprintf("calls someone '%s'", w))
			}
		}
		// "Pathetic." on its own is said to someone.
		if len(ws) == 1 && aimedInsults[ws[0]] {
			b.add(Threshold, fmt.Sprintf("calls someone '%s'", ws[0]))
		}
	}
}

var sentenceEnd = regexp.MustCompile(`[.!?;]+(\s|$)|\n`)

func splitSentences(s string) []string { return sentenceEnd.Split(s, -1) }

// targets are words that aim what follows at a person.
var targets = map[string]bool{
	"you": true, "you're": true, "youre": true, "your": true, "yours": true, "yourself": true,
	"u": true, "ur": true, "@": true, "he's": true, "she's": true, "they're": true,
	"being": true, "typical": true, "ya": true, "ye": true,
}

// postWords after this/your/that are the author's post, a stand-in for them.
var postWords = map[string]bool{"post": true, "reply": true, "comment": true, "take": true, "thread": true, "tweet": true, "argument": true, "opinion": true, "opinions": true}

// aimedAt reports whether the word at i is aimed at a person: a target
// word within four words before it ("you are so stupid", "your comment is
// stupid"), "what a"/"such a" before it, "like you" or ", you" after it.
func aimedAt(ws []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-4; j-- {
		if targets[ws[j]] {
			return true
		}
		if postWords[ws[j]] && j > 0 && (ws[j-1] == "this" || ws[j-1] == "that" || ws[j-1] == "your") {
			return true
		}
	}
	// what a / such a / what an, with up to two words between.
	for j := i - 1; j >= 1 && j >= i-3; j-- {
		if (ws[j] == "a" || ws[j] == "an") && (ws[j-1] == "what" || ws[j-1] == "such") {
			return true
		}
	}
	for j := i + 1; j+1 < len(ws) && j <= i+3; j++ {
		if (ws[j] == "this" || ws[j] == "your") && postWords[ws[j+1]] {
			return true
		}
	}
	if i+2 < len(ws) && ws[i+1] == "like" && (ws[i+2] == "you" || ws[i+2] == "u") {
		return true
	}
	if i+1 < len(ws) && ws[i+1] == "you" && (i+2 == len(ws) || ws[i+2] == "are" || ws[i+2] == "should") {
		return true
	}
	return false
}

// judgeCapitals finds shouting: ordinary words in capitals, not acronyms.
func judgeCapitals(b *verdictBuilder, text string) {
	var words, loud int
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '&') }) {
		letters := 0
		upper := true
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters++
				if !unicode.IsUpper(r) {
					upper = false
				}
			}
		}
		if letters == 0 {
			continue
		}
		words++
		if !upper || letters < 2 {
			continue
		}
		plain := strings.Trim(w, "'")
		if acronyms[plain] {
			continue
		}
		// A short word in capitals is an acronym unless it is a common word.
		if letters <= 4 && !shoutWords[strings.ToLower(plain)] {
			continue
		}
		loud++
	}
	switch {
	case loud >= 3 && loud*2 >= words:
		b.add(Threshold, "written mostly in capitals, which reads as shouting")
	case loud >= 2:
		b.add(0.6, "several words in capitals, which reads as raising your voice")
	}
}
