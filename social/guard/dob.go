package guard

import (
	"regexp"
	"strconv"
	"strings"
)

// A full date: day, month and year, in the ways people write them.
const (
	monthNames  = `jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?`
	datePattern = `(?:` +
		// 12/03/1954, 12.3.54, 12-03-1954
		`(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})` +
		// 1954-03-12
		`|(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})` +
		// 3rd March 1954, 12-Mar-54, 3 of March, 1954
		`|(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?[\s/-]*(` + monthNames + `)\.?,?[\s/-]*('?\d{4}|'?\d{2})` +
		// March 3rd, 1954
		`|(` + monthNames + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})` +
		`)\b`
)

var (
	// dateAfterRE reads a date just after a date-of-birth word, allowing a
	// colon or dash and a few small words: "DOB: 12/03/1954", "born on the
	// 3rd of March 1954". There a date may also be written without
	// separators, DDMMYY or DDMMYYYY, as some hospital systems print it.
	dateAfterRE = regexp.MustCompile(`^(?i)\.?\s*(?:[:=\x{2013}\x{2014}-]+\s*|\(\s*)?(?:(?:is|was|on|of|the)\s+){0,3}(?:` +
		datePattern + `|(\d{2})(\d{2})(\d{4}|\d{2})\b)`)
	// dateRE reads a date at the start of a text.
	dateRE = regexp.MustCompile(`^(?i)` + datePattern)
	// dateBeforeRE reads a date that ends just before "(DOB)" and the like.
	dateBeforeRE = regexp.MustCompile(`^(?i)` + datePattern + `\s*[(\[,;-]?\s*$`)
)

// dobWords introduce a date of birth. after: the date follows the word;
// before: the date may also come just before it ("12/03/1954 (DOB)").
var dobWords = []struct {
	word          string
	before, exact bool
}{
	{word: "dob", before: true},
	{word: "d.o.b", before: true},
	{word: "date of birth", before: true},
	{word: "date-of-birth", before: true},
	{word: "birth date"},
	{word: "birthdate"},
	{word: "born"},
	// "b. 12/03/1954", as in biographies; only in lower case, so that
	// "Hep B. 12/03/2024" is not read as one.
	{word: "b.", exact: true},
}

// datesOfBirth finds full dates next to words that mark a date of birth.
func (t *text) datesOfBirth() {
	for _, w := range dobWords {
		hay := t.lower
		if w.exact {
			hay = t.s
		}
		for from := 0; ; {
			i := strings.Index(hay[from:], w.word)
			if i < 0 {
				break
			}
			i += from
			end := i + len(w.word)
			from = end
			if !boundaryBeforeWord(t.s, i) || w.word != "b." && !wordEnds(t.s, end) {
				continue
			}
			// The regular expressions get short windows: their cost grows
			// with the length of the text they are given.
			if m := dateAfterRE.FindStringSubmatchIndex(t.s[end:min(len(t.s), end+maxDateAfter)]); m != nil {
				t.addDate(end, m[2:])
				continue
			}
			if !w.before {
				continue
			}
			if t.dateBefore(i) {
				continue
			}
			t.dateNear(end)
		}
	}
}

// Lengths that bound the windows given to the date regular expressions:
// the longest date ("30th of September, 1954") and the longest lead-in
// ("DOB: is the 30th of September, 1954").
const (
	maxDate      = 32
	maxDateAfter = 56
)

// dateStarts calls f with each offset in s[from:to] where a date may begin:
// a digit, or the first letter of a month's name, at the start of a word.
// It stops when f returns true.
func dateStarts(s string, from, to int, f func(i int) bool) {
	for p := from; p < to; p++ {
		c := s[p] | 0x20 // ASCII lower case
		if !isDigit(s[p]) && !strings.ContainsRune("jfmasond", rune(c)) {
			continue
		}
		if p > 0 && (isDigit(s[p-1]) || isLetter(s[p-1])) {
			continue
		}
		if f(p) {
			return
		}
	}
}

// dateBefore records a date that ends just before a date-of-birth word at
// byte offset i: "12/03/1954 (DOB)".
func (t *text) dateBefore(i int) bool {
	found := false
	dateStarts(t.s, max(0, i-maxDate), i, func(p int) bool {
		if m := dateBeforeRE.FindStringSubmatchIndex(t.s[p:i]); m != nil {
			t.addDate(p, m[2:])
			found = true
		}
		return found
	})
	return found
}

// nearWindow is how far after "DOB" or "date of birth" a date is still
// taken for the date of birth: "confirm the D.O.B. on the form? We have
// 12/03/1954 on the sample".
const nearWindow = 64

// dateNear records the first date shortly after a date-of-birth word, on
// the same line, when it is given as a value: after "is", "as", "have",
// "says" and the like or after a colon ("confirm the D.O.B. on the form?
// We have 12/03/1954 on the sample"). Other dates near the word are dates
// of events ("check DOB on all samples. Audit 16/07/2020: 6% mismatch").
func (t *text) dateNear(i int) {
	end := min(len(t.s), i+nearWindow)
	if nl := strings.IndexByte(t.s[i:end], '\n'); nl >= 0 {
		end = i + nl
	}
	dateStarts(t.s, i, end, func(p int) bool {
		m := dateRE.FindStringSubmatchIndex(t.s[p:min(len(t.s), p+maxDate)])
		if m == nil || !introducesValue(t.lower, p) {
			return false
		}
		t.addDate(p, m[2:])
		return true
	})
}

// valueWords introduce a value: "DOB on the form is 12/03/1954".
var valueWords = words(
	"is", "as", "was", "be", "have", "has", "had", "says", "said", "reads",
	"read", "shows", "showing", "states", "stated", "gives", "given", "got",
	"put", "written", "recorded", "documented", "correct", "actually",
)

// introducesValue reports whether the text before byte offset i presents
// what follows as a value: a value word, or a colon, equals sign or
// opening bracket.
func introducesValue(lower string, i int) bool {
	j := i
	for j > 0 && lower[j-1] == ' ' {
		j--
	}
	if j > 0 {
		switch lower[j-1] {
		case ':', '=', '(':
			return true
		}
	}
	return valueWords[wordBefore(lower, i)]
}

// wordBefore returns the lowercase word that ends before byte offset i,
// skipping spaces and punctuation.
func wordBefore(lower string, i int) string {
	end := i
	for end > 0 && !isLetter(lower[end-1]) {
		if lower[end-1] == '\n' || isDigit(lower[end-1]) {
			return ""
		}
		end--
	}
	start := end
	for start > 0 && isLetter(lower[start-1]) {
		start--
	}
	return lower[start:end]
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// wordEnds reports whether a word ending at s[i] ends there ("born" but
// not "borne").
func wordEnds(s string, i int) bool {
	return i >= len(s) || !(isLetter(s[i]) || isDigit(s[i]) || s[i] == '_')
}

// addDate checks the date captured by datePattern (sub holds its
// submatch offsets relative to base) and records it if it exists and could
// be a living person's.
func (t *text) addDate(base int, sub []int) {
	g := func(k int) string {
		if 2*k >= len(sub) || sub[2*k] < 0 {
			return ""
		}
		return t.s[base+sub[2*k] : base+sub[2*k+1]]
	}
	var ok bool
	// The groups of datePattern, then the compact form of dateAfterRE.
	switch {
	case g(0) != "": // d/m/y
		a, b, y := atoi(g(0)), atoi(g(1)), year(g(2))
		// Day first as in Ireland and the UK, but a month-first date is a
		// date all the same.
		ok = validYear(y) && (validDayMonth(a, b, y) || validDayMonth(b, a, y))
	case g(3) != "": // y-m-d
		y := year(g(3))
		ok = validYear(y) && validDayMonth(atoi(g(5)), atoi(g(4)), y)
	case g(6) != "": // 3rd March 1954
		y := year(g(8))
		ok = validYear(y) && validDayMonth(atoi(g(6)), monthNumber(g(7)), y)
	case g(9) != "": // March 3rd, 1954
		y := year(g(11))
		ok = validYear(y) && validDayMonth(atoi(g(10)), monthNumber(g(9)), y)
	case g(12) != "": // DDMMYY or DDMMYYYY
		y := year(g(14))
		ok = validYear(y) && validDayMonth(atoi(g(12)), atoi(g(13)), y)
	}
	if !ok {
		return
	}
	start, end := -1, -1
	for k := 0; 2*k < len(sub); k++ {
		if sub[2*k] < 0 {
			continue
		}
		if start < 0 || sub[2*k] < start {
			start = sub[2*k]
		}
		if sub[2*k+1] > end {
			end = sub[2*k+1]
		}
	}
	if start < 0 {
		return
	}
	start += base
	end += base
	if start > 0 && isDigit(t.s[start-1]) {
		return
	}
	t.add(start, end, prioDOB, KindDateOfBirth, kindLabels[KindDateOfBirth])
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// year reads a two- or four-digit year; two-digit years stay below 100.
func year(s string) int {
	return atoi(strings.TrimPrefix(s, "'"))
}

// validYear accepts two-digit years and years from 1900 to 2099: a date of
// birth before 1900 is history, not a patient.
func validYear(y int) bool {
	return y < 100 || y >= 1900 && y <= 2099
}

func monthNumber(name string) int {
	switch strings.ToLower(name)[:3] {
	case "jan":
		return 1
	case "feb":
		return 2
	case "mar":
		return 3
	case "apr":
		return 4
	case "may":
		return 5
	case "jun":
		return 6
	case "jul":
		return 7
	case "aug":
		return 8
	case "sep":
		return 9
	case "oct":
		return 10
	case "nov":
		return 11
	case "dec":
		return 12
	}
	return 0
}
