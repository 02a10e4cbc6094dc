// Package guard spots text that looks like a patient identifier in a
// clinician's post, so that Rounds can refuse the post before it is stored.
//
// It knows NHS numbers (with Northern Ireland H&C numbers), Scottish CHI
// numbers, Irish PPS numbers and Individual Health Identifiers by their
// formats and check digits; hospital record numbers by the words that
// introduce them and by patterns an admin configures; and dates of birth by
// the words next to them. A finding never carries the identifier itself,
// only a partly masked copy.
package guard

import (
	"slices"
	"sort"
)

// Kind names what sort of identifier a finding is. It is safe to log.
type Kind string

// The kinds of identifier the guard reports.
const (
	KindNHS            Kind = "nhs_number"
	KindCHI            Kind = "chi_number"
	KindPPS            Kind = "pps_number"
	KindIHI            Kind = "ihi"
	KindHospitalNumber Kind = "hospital_number"
	KindDateOfBirth    Kind = "date_of_birth"
)

var kindLabels = map[Kind]string{
	KindNHS:            "an NHS number",
	KindCHI:            "a CHI number",
	KindPPS:            "a PPS number",
	KindIHI:            "an Individual Health Identifier",
	KindHospitalNumber: "a hospital record number",
	KindDateOfBirth:    "a date of birth",
}

// Pattern is an admin-configured rule for a local hospital record number:
// a Go regular expression (RE2 syntax; add (?i) to ignore case) and the
// label people know it by, such as "Beaumont MRN". The whole match is the
// identifier.
type Pattern struct {
	Label  string
	Regexp string
}

// Options configures a Guard.
type Options struct {
	// Patterns are added to the built-in rules.
	Patterns []Pattern
}

// Field is one piece of a post to check. Name is how a person would refer
// to it in a sentence: "the text", "the content warning", "poll option 2".
type Field struct {
	Name string
	Text string
}

// Finding is one place where a post seems to identify a patient.
type Finding struct {
	Kind   Kind
	Label  string // what it looks like, e.g. "an NHS number"
	Masked string // the identifier partly masked, e.g. "943 *** ****"
	Field  string // the Name of the Field it was found in
}

// Guard checks posts for patient identifiers. It holds no mutable state
// and is safe for concurrent use.
type Guard struct {
	patterns []pattern
}

// New returns a Guard with the built-in rules and the admin's patterns. It
// fails, naming the pattern, when one does not compile or could match
// without consuming any text.
func New(opts Options) (*Guard, error) {
	g := &Guard{}
	for i, p := range opts.Patterns {
		cp, err := compilePattern(i, p)
		if err != nil {
			return nil, err
		}
		g.patterns = append(g.patterns, cp)
	}
	return g, nil
}

// Check looks for patient identifiers in the fields, and returns one
// finding per occurrence, in the order the fields were given and, within a
// field, in the order they appear.
func (g *Guard) Check(fields ...Field) []Finding {
	var out []Finding
	for _, f := range fields {
		if f.Text == "" {
			continue
		}
		for _, h := range g.scan(f.Text) {
			out = append(out, Finding{Kind: h.kind, Label: h.label, Masked: mask(f.Text[h.start:h.end]), Field: f.Name})
		}
	}
	return out
}

// Priorities for overlapping hits: what the admin configured wins, then a
// number introduced as a hospital number, then numbers known by their check
// digits, then dates of birth.
const (
	prioAdmin = iota
	prioHospital
	prioNumber
	prioDOB
)

// hit is where a rule found an identifier: byte offsets in the field.
type hit struct {
	start, end int
	prio       int
	kind       Kind
	label      string
}

// text is one field being scanned, with what every rule needs.
type text struct {
	s     string
	lower string   // s with ASCII letters lowered; same byte offsets
	urls  [][2]int // byte ranges of links, DOIs and mentions
	hits  []hit
}

// scan runs every rule over one field's text.
func (g *Guard) scan(s string) []hit {
	t := &text{s: s, lower: asciiLower(s)}
	t.urls = linkSpans(s, t.lower)
	for _, p := range g.patterns {
		for _, m := range p.matches(t) {
			t.add(m[0], m[1], prioAdmin, KindHospitalNumber,
				kindLabels[KindHospitalNumber]+" ("+p.label+")")
		}
	}
	t.hospitalNumbers()
	t.numbers()
	t.datesOfBirth()
	return t.resolve()
}

// add records a hit unless it lies in a link.
func (t *text) add(start, end, prio int, kind Kind, label string) {
	if t.inLink(start) {
		return
	}
	t.hits = append(t.hits, hit{start: start, end: end, prio: prio, kind: kind, label: label})
}

// inLink reports whether byte offset i lies in a link or a mention.
func (t *text) inLink(i int) bool {
	// The spans are in text order and do not overlap; a post can hold
	// thousands, so they are searched, not scanned.
	j := sort.Search(len(t.urls), func(j int) bool { return t.urls[j][1] > i })
	return j < len(t.urls) && t.urls[j][0] <= i
}

// resolve keeps one hit per stretch of text, preferring the higher
// priority, and returns them in text order.
func (t *text) resolve() []hit {
	if len(t.hits) < 2 {
		return t.hits
	}
	sort.SliceStable(t.hits, func(i, j int) bool {
		a, b := t.hits[i], t.hits[j]
		if a.prio != b.prio {
			return a.prio < b.prio
		}
		return a.start < b.start
	})
	// kept stays in text order, its hits apart, so the one hit a new hit
	// could overlap first is found by a search.
	kept := t.hits[:0:0]
	for _, h := range t.hits {
		j := sort.Search(len(kept), func(j int) bool { return kept[j].end > h.start })
		if j < len(kept) && kept[j].start < h.end {
			continue
		}
		kept = slices.Insert(kept, j, h)
	}
	return kept
}

// asciiLower lowers ASCII letters only, so that byte offsets stay valid.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
