package guard

import (
	"regexp"
	"strings"
)

// hospitalTriggers start the words that introduce a hospital record
// number; hospitalRE reads the rest from there.
var hospitalTriggers = []string{"mrn", "m.r.n", "hospital", "hosp", "chart", "medical record", "record n"}

// hospitalRE matches, at a trigger, "MRN", "hospital number", "hosp no",
// "chart number", "medical record number" and the like, optionally ":",
// "#", "=", a dash, "is" or "of", then the number: 5 to 12 digits, perhaps
// after a short letter prefix.
var hospitalRE = regexp.MustCompile(`^(?i:` +
	`(?:m\.?r\.?n\.?|hospital|hosp\.?|chart|medical\s+record|record)` +
	`(?:\s*(?:number|numbers|no\.?|num\.?|nos?\.?|#))?` +
	`)` +
	`(?:\s*[:#=\x{2013}-]\s*|\s+(?i:is|of|was)\s+|\s+)` +
	`(?:(?i:no\.?|number)\s*[:#]?\s*)?` +
	`((?:[A-Z]{1,3}[ -]?|[A-Za-z]{1,3})?\d{5,12})\b`)

// hospitalBeforeRE reads a number just before its name: "1234567 (MRN)",
// "1234567 (hospital no)". The name must be set off by a bracket, comma or
// dash, so that counts ("12000 hospital numbers") are not read as one.
var hospitalBeforeRE = regexp.MustCompile(`((?:[A-Z]{1,3}[ -]?)?\d{5,12})\s*[(\[,\x{2013}-]\s*$`)

// hospitalNameRE reads the words that name a hospital record number.
var hospitalNameRE = regexp.MustCompile(`^(?:m\.?r\.?n\.?|(?:hospital|hosp\.?|chart|medical\s+record|record)\s*(?:number|no\b\.?|num\b\.?|#))`)

// hospitalNumbers finds numbers introduced as hospital record numbers.
func (t *text) hospitalNumbers() {
	for _, trig := range hospitalTriggers {
		for from := 0; ; {
			i := strings.Index(t.lower[from:], trig)
			if i < 0 {
				break
			}
			i += from
			from = i + len(trig)
			if !boundaryBeforeWord(t.s, i) {
				continue
			}
			// A short window: the cost of the match grows with the text.
			m := hospitalRE.FindStringSubmatchIndex(t.s[i:min(len(t.s), i+64)])
			if m == nil {
				t.hospitalNumberBefore(i)
				continue
			}
			// "hospital 12345" and "chart 12345" say nothing; the bare
			// words need "number", "no" or "#" to introduce a number.
			if !namesNumber(t.lower[i : i+m[2]]) {
				continue
			}
			start, end := i+m[2], i+m[3]
			if !boundaryAfter(t.s, end) {
				continue
			}
			t.add(start, end, prioHospital, KindHospitalNumber, kindLabels[KindHospitalNumber])
		}
	}
}

// namesNumber reports whether the words before a number introduce it as a
// number: "MRN" does by itself; "hospital", "chart" and "record" need
// "number", "no" or "#".
func namesNumber(intro string) bool {
	if strings.HasPrefix(intro, "mrn") || strings.HasPrefix(intro, "m.r") {
		return true
	}
	for _, w := range []string{"number", "no", "num", "#"} {
		if strings.Contains(intro, w) {
			return true
		}
	}
	return false
}

// boundaryBeforeWord reports whether a word starting at s[i] is not the
// tail of a longer word.
func boundaryBeforeWord(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	return !(isLetter(c) || isDigit(c) || c == '_')
}

// hospitalNumberBefore records a number written just before the words
// that name it as a hospital record number, which start at byte offset i.
func (t *text) hospitalNumberBefore(i int) {
	name := hospitalName(t.lower[i:])
	if !namesNumber(name) || !wordEnds(t.lower, i+len(name)) && !strings.HasSuffix(name, ".") {
		return
	}
	from := max(0, i-24)
	m := hospitalBeforeRE.FindStringSubmatchIndex(t.s[from:i])
	if m == nil {
		return
	}
	start, end := from+m[2], from+m[3]
	if !boundaryBefore(t.s, start) {
		return
	}
	t.add(start, end, prioHospital, KindHospitalNumber, kindLabels[KindHospitalNumber])
}

// hospitalName returns the name of a hospital record number at the start of
// lower, or "" if none.
func hospitalName(lower string) string {
	return hospitalNameRE.FindString(lower)
}
