package guard

import (
	"unicode"
	"unicode/utf8"
)

// maxGroups bounds how many space- or hyphen-separated digit groups one
// run may have; longer runs are lists of numbers, not identifiers.
const maxGroups = 16

// run is a stretch of digit groups joined by single spaces or hyphens, as
// in "943 476 5919" or "0871234567".
type run struct {
	n      int
	groups [maxGroups][2]int // byte ranges of the digit groups
	spaced [maxGroups]bool   // spaced[k]: group k+1 follows a space, not a hyphen
}

// numbers finds NHS, CHI, IHI and PPS numbers: runs of digits whose length,
// grouping, allocation range and check digit fit.
func (t *text) numbers() {
	s := t.s
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		var r run
		overflow := false
		j := i
		for {
			gs := j
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if r.n < maxGroups {
				r.groups[r.n] = [2]int{gs, j}
				r.n++
			} else {
				overflow = true
			}
			w, space := separator(s, j)
			if w == 0 || j+w >= len(s) || !isDigit(s[j+w]) {
				break
			}
			if r.n < maxGroups {
				r.spaced[r.n-1] = space
			}
			j += w
		}
		if !overflow {
			t.checkRun(&r)
		}
		i = j
	}
}

// separator reports the width of a group separator at s[i] (a space, a
// no-break space or a hyphen), and whether it is a kind of space.
func separator(s string, i int) (int, bool) {
	if i >= len(s) {
		return 0, false
	}
	switch s[i] {
	case ' ':
		return 1, true
	case '-':
		return 1, false
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == '\u00a0' || r == '\u202f' || r == '\u2009' {
		return w, true
	}
	return 0, false
}

// checkRun looks for identifiers in one run of digit groups: the whole run
// first, then well-formed numbers set off by spaces within it.
func (t *text) checkRun(r *run) {
	s := t.s
	first, last := r.groups[0], r.groups[r.n-1]
	leftOK := boundaryBefore(s, first[0])
	lo, hi := 0, r.n
	if !leftOK {
		lo = 1
	}
	if t.pps(r, leftOK) {
		hi = r.n - 1
	} else if !boundaryAfter(s, last[1]) {
		hi = r.n - 1
	}
	if lo >= hi {
		return
	}
	// The whole run first: it may be a grouped number ("943 476 5919").
	if lo == 0 && hi == r.n && t.identifier(r, 0, r.n, true) {
		return
	}
	// Otherwise a well-formed number may stand among other digits, set off
	// by spaces: "bed 4 943 476 5919".
	for a := lo; a < hi; a++ {
		if a > 0 && !r.spaced[a-1] {
			continue
		}
		for b := hi; b > a; b-- {
			if b < r.n && !r.spaced[b-1] {
				continue
			}
			if a == 0 && b == r.n {
				continue
			}
			if t.identifier(r, a, b, false) {
				a = b - 1
				break
			}
		}
	}
}

// identifier checks groups [a, b) of a run as one number and records a hit
// when it is one. whole says the groups are the entire run, which allows
// any grouping of an 18-digit IHI.
func (t *text) identifier(r *run, a, b int, whole bool) bool {
	var digits [18]byte
	n := 0
	var shape [maxGroups]int
	for k := a; k < b; k++ {
		g := r.groups[k]
		shape[k-a] = g[1] - g[0]
		if n+shape[k-a] > len(digits) {
			return false
		}
		for i := g[0]; i < g[1]; i++ {
			digits[n] = t.s[i] - '0'
			n++
		}
	}
	groups := shape[:b-a]
	start, end := r.groups[a][0], r.groups[b-1][1]
	switch n {
	case 10:
		if !(len(groups) == 1 || isShape(groups, 3, 3, 4) || isShape(groups, 6, 4)) {
			return false
		}
		kind := classify10(digits[:10])
		if kind == "" {
			return false
		}
		if notPatient, _ := t.contextBefore(start); notPatient {
			return false
		}
		t.add(start, end, prioNumber, kind, kindLabels[kind])
		return true
	case 18:
		// Unbroken, split as prefix, core and check digit, or in groups of
		// three or more.
		if len(groups) > 1 && !(whole || isShape(groups, 7, 10, 1)) {
			return false
		}
		if !isShape(groups, 7, 10, 1) {
			for _, g := range groups {
				if g < 3 {
					return false
				}
			}
		}
		if !validIHI(digits[:18]) {
			return false
		}
		if notPatient, _ := t.contextBefore(start); notPatient {
			return false
		}
		t.add(start, end, prioNumber, KindIHI, kindLabels[KindIHI])
		return true
	}
	return false
}

func isShape(groups []int, want ...int) bool {
	if len(groups) != len(want) {
		return false
	}
	for i := range want {
		if groups[i] != want[i] {
			return false
		}
	}
	return true
}

// classify10 says which identifier ten digits are, or "" for none, from
// the published allocation ranges (on the first nine digits):
//
//   - 010100000-311299999: Scotland's CHI numbers, which begin with the
//     date of birth as DDMMYY; so a number starting 0, 1 or 2 is never an
//     NHS number, and is a CHI number only when the date exists.
//   - 3xx: England, and 320000001-399999999 Northern Ireland's Health and
//     Care numbers, which share the NHS format and check (reported as NHS
//     numbers).
//   - 400000000-499999999 and 600000000-799999999: England, Wales and the
//     Isle of Man.
//   - 812000000-859999999: the Republic of Ireland's share, from which the
//     HSE draws the core of each Individual Health Identifier.
//   - 999xxxxxxx: reserved for test data, never issued to a patient.
//
// Other ranges are not documented as unused, so they are still treated as
// NHS numbers when the check digit holds.
func classify10(d []byte) Kind {
	if d[0] == 9 && d[1] == 9 && d[2] == 9 {
		return ""
	}
	if d[0] <= 2 || d[0] == 3 && d[1] <= 1 {
		day, month, yy := int(d[0]*10+d[1]), int(d[2]*10+d[3]), int(d[4]*10+d[5])
		if validDayMonth(day, month, yy) && (nhsCheck(d) || luhnCheck(d)) {
			return KindCHI
		}
		if d[0] == 3 && nhsCheck(d) {
			return KindNHS
		}
		return ""
	}
	if !nhsCheck(d) {
		return ""
	}
	core := 0
	for _, v := range d[:9] {
		core = core*10 + int(v)
	}
	if core >= 812000000 && core <= 859999999 {
		return KindIHI
	}
	return KindNHS
}

// validIHI checks an 18-digit Irish Individual Health Identifier: a 7-digit
// GS1 GSRN prefix, the 10-digit core in positions 8-17 with its modulus 11
// check digit, and a GS1 check digit at the end (HSE Health Identifiers
// Service). The HSE's format note was not available to confirm the core's
// weights; the core shares the NHS number bank, so the NHS weighting (10
// down to 2) is used. The core's range is not required here: the two check
// digits are evidence enough.
func validIHI(d []byte) bool {
	return nhsCheck(d[7:17]) && gs1Check(d)
}

// pps checks whether the run ends in a PPS number: seven digits followed
// by the check letter and an optional second letter, straight after the
// digits or, after the words "PPS" or "PPSN", one space on ("PPS: 1234567
// TA"). It reports whether the last group is glued to letters, that is,
// whether it is no plain number either way.
func (t *text) pps(r *run, leftOK bool) bool {
	s := t.s
	k := r.n - 1
	g := r.groups[k]
	i := g[1]
	if i >= len(s) {
		return false
	}
	spaced := false
	if s[i] == ' ' && i+1 < len(s) && s[i+1] >= 'A' && s[i+1] <= 'Z' {
		spaced = true
		i++
	} else if !isLetter(s[i]) {
		return false
	}
	glued := !spaced
	if g[1]-g[0] != 7 || (k == 0 && !leftOK) || (k > 0 && !r.spaced[k-1]) {
		return glued
	}
	j := i + 1
	if j < len(s) && isLetter(s[j]) {
		j++
	}
	if !boundaryAfter(s, j) || j < len(s) && s[j] == '-' {
		return glued
	}
	letters := s[i:j]
	upper := true
	for _, c := range []byte(letters) {
		if c >= 'a' && c <= 'z' {
			upper = false
		}
	}
	notPatient, ppsWord := t.contextBefore(g[0])
	if notPatient || spaced && (!ppsWord || !upper) {
		return glued
	}
	if !upper {
		// Lowercase only after the words "PPS" or "PPSN": "1234567t" is
		// otherwise too like a code or a quantity.
		if !ppsWord {
			return glued
		}
		for _, c := range []byte(letters) {
			if c >= 'A' && c <= 'Z' {
				return glued
			}
		}
	}
	var digits [7]byte
	for n := range 7 {
		digits[n] = s[g[0]+n] - '0'
	}
	check := upperByte(letters[0])
	var second byte
	if len(letters) == 2 {
		second = upperByte(letters[1])
	}
	if want, ok := ppsCheckLetter(digits[:], second); ok && want == check {
		t.add(g[0], j, prioNumber, KindPPS, kindLabels[KindPPS])
		return true
	}
	return glued
}

func upperByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// boundaryBefore reports whether a number starting at s[i] stands on its
// own: not glued to a word, and not the tail of a decimal, a time, a date,
// a telephone number in international form or a sum of money.
func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, w := utf8.DecodeLastRuneInString(s[:i])
	if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
		return false
	}
	switch r {
	case '+', '@', '£', '€', '$', '/', '\\', '=':
		return false
	case '.', ',', ':':
		// "1.9434765919", "10:9434765919": part of a bigger number.
		if i-w > 0 {
			p, _ := utf8.DecodeLastRuneInString(s[:i-w])
			if unicode.IsDigit(p) {
				return false
			}
		}
	case '(':
		// "+353 (0)87 ..." and "(0)" area prefixes.
		if i-w > 0 {
			p, _ := utf8.DecodeLastRuneInString(s[:i-w])
			if p == '+' {
				return false
			}
		}
	}
	return true
}

// boundaryAfter reports whether a number ending at s[i] ends there.
func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
		return false
	}
	switch r {
	case '%', '/', '\\', '@', '=':
		return false
	case '.', ',', ':':
		if i+w < len(s) && isDigit(s[i+w]) {
			return false
		}
	}
	return true
}
