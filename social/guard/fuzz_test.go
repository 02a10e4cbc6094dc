package guard

import (
	"runtime"
	"strings"
	"testing"
	"time"
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

// The guard runs on every post before it is stored, so a long post made of
// what its rules look for (digits, dates, the words that introduce them)
// must take time in proportion to its length. The time of a text eight
// times longer is compared, the fastest of a few runs each, with a bound
// (24) that linear time meets easily and quadratic time (64) cannot.
func TestCheckTakesLinearTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	g := mustNew(t, Pattern{Label: "Beaumont MRN", Regexp: `(?i)\bBH\d{6}\b`})
	shapes := map[string]string{
		"digits":          "9",
		"digit groups":    "943 ",
		"dates":           "dob 01/02/",
		"introductions":   "hospital number ",
		"pattern prefix":  "BH12",
		"links":           "https://a.example/",
		"mentions":        "@a@b.example ",
		"separators":      "1-2.3/",
		"words and space": "not a patient \t\n",
		"pps":             "PPS 1234567",
	}
	const n = 2 << 10
	fastest := func(s string) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			runtime.GC()
			start := time.Now()
			g.Check(Field{Name: "the text", Text: s})
			best = min(best, time.Since(start))
		}
		return best
	}
	for name, unit := range shapes {
		short := strings.Repeat(unit, n/len(unit))
		long := strings.Repeat(unit, 8*n/len(unit))
		// A loaded machine can slow one measurement down; quadratic time
		// is slow on every attempt.
		var ratio float64
		var ts, tl time.Duration
		for range 3 {
			ts, tl = fastest(short), fastest(long)
			ratio = float64(tl) / float64(max(ts, time.Microsecond))
			if ratio <= 24 {
				break
			}
		}
		t.Logf("%s: %v for %d bytes, %v for %d (×%.1f)", name, ts, len(short), tl, len(long), ratio)
		if ratio > 24 {
			t.Errorf("%s: 8 times the text took %.1f times as long (%v, %v)", name, ratio, ts, tl)
		}
	}
}
