package guard

import (
	"strings"
	"testing"
	"unicode"
)

func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"Patient NHS no 943 476 5919 seen today", "CHI 0101011234, PPS 1234567T, IHI 8003608166690503",
		"MRN: A1234567 and hospital number 12345678", "DOB 01/02/1960, born 3rd March 1951",
		"Call 020 7946 0000 or see https://doi.org/10.1000/182 and @bob@example.org",
		"not a patient: 943 476 5919", strings.Repeat("9", 40), "dob dob dob 1/1/", "ÿ\u00a0943\u2009476\u20095919",
	} {
		f.Add(s)
	}
	g := mustNew(f, Pattern{Label: "Beaumont MRN", Regexp: `(?i)\bBH\d{6}\b`})
	f.Fuzz(func(t *testing.T, s string) {
		hits := g.scan(s)
		prev := 0
		for _, h := range hits {
			if h.start < prev || h.end <= h.start || h.end > len(s) {
				t.Fatalf("hits %+v out of order or bounds in %q", hits, s)
			}
			prev = h.end
			// A finding shows at most three letters or digits of what
			// it found.
			shown := 0
			for _, r := range mask(s[h.start:h.end]) {
				if unicode.IsLetter(r) || unicode.IsDigit(r) {
					shown++
				}
			}
			if shown > 3 {
				t.Fatalf("mask(%q) = %q shows %d characters", s[h.start:h.end], mask(s[h.start:h.end]), shown)
			}
		}
		if len(g.Check(Field{Name: "the text", Text: s})) != len(hits) {
			t.Fatal("Check and scan disagree")
		}
	})
}
