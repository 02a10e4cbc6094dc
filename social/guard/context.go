package guard

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// linkSpans finds the links in a post (web addresses, bare domains with a
// path, DOIs) and @mentions: digits inside them name an article or an
// account, not a patient.
func linkSpans(s, lower string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); {
		if w := spaceWidth(s, i); w > 0 {
			i += w
			continue
		}
		start := i
		// Only a token with one of these can be a link or a mention.
		marked := false
		for i < len(s) && spaceWidth(s, i) == 0 {
			switch s[i] {
			case ':', '/', '.', '@':
				marked = true
			}
			i++
		}
		if marked && isLink(s[start:i], lower[start:i]) {
			spans = append(spans, [2]int{start, i})
		}
	}
	return spans
}

// spaceWidth returns the width of the white space at s[i], or 0.
func spaceWidth(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return w
	}
	return 0
}

func isLink(tok, lower string) bool {
	// Opening punctuation before a link: "(https://...", "<www...".
	lower = strings.TrimLeft(lower, "([<\"'")
	switch {
	case strings.HasPrefix(tok, "@") && len(tok) > 1:
		return true
	case strings.Contains(lower, "://"),
		strings.HasPrefix(lower, "www."),
		strings.HasPrefix(lower, "doi:"),
		strings.HasPrefix(lower, "doi.org/"):
		return true
	}
	slash := strings.IndexByte(lower, '/')
	if slash <= 0 {
		return false
	}
	host := lower[:slash]
	// A bare DOI: 10.<registrant>/<suffix>.
	if strings.HasPrefix(host, "10.") && len(host) >= 7 && allDigits(host[3:]) {
		return true
	}
	return isDomain(host)
}

// isDomain reports whether s looks like a host name: labels of letters,
// digits and hyphens, the last all letters (a top-level domain).
func isDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || len(tld) > 12 {
		return false
	}
	for _, c := range []byte(tld) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Words that, just before a number, say what it is. A number straight
// after a telephone, meeting or publication word ("ring me on", "Zoom
// meeting ID:", "ISBN") is not taken for a patient identifier; the words
// between may only be small ones like "me", "on" or "number". A patient
// word closer to the number wins ("rang the ward for NHS no ..."), and any
// other word ends the search ("ring me about 943 ...": a patient).
var (
	notPatientWords = words(
		// telephones and bleeps
		"tel", "telephone", "phone", "ph", "mob", "mobile", "call", "ring", "fax", "text", "txt", "whatsapp", "bleep", "bleeps", "ext", "extension",
		"switch", "switchboard", "landline", "helpline", "freephone", "contact", "dial",
		// online meetings
		"zoom", "teams", "webex", "meeting", "webinar", "passcode", "password",
		// publications and products
		"isbn", "issn", "pmid", "pmcid", "doi", "orcid", "gtin", "sscc", "barcode",
		"batch", "lot", "serial", "sku",
		// orders, accounts, charities
		"order", "po", "purchase", "invoice", "ticket", "tracking", "parcel",
		"account", "iban", "bic", "vat", "chy", "cro",
		// professional registrations
		"gmc", "imc", "nmc", "nmbi", "hcpc", "coru", "psi", "gphc", "registration",
	)
	patientWords = words(
		"nhs", "chi", "ihi", "pps", "ppsn", "mrn", "patient", "patients", "pt", "pts",
		"hospital", "hosp", "chart", "dob", "h&c", "hcn",
	)
	// fillerWords may stand between a telling word and its number.
	fillerWords = words(
		"on", "at", "me", "us", "him", "her", "them", "is", "was", "no", "nos",
		"number", "numbers", "num", "nr", "the", "my", "our", "your", "his",
		"their", "direct", "line", "a", "an", "ref", "id", "code", "of", "to",
		"via", "or", "and", "new",
	)
)

func words(list ...string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, w := range list {
		m[w] = true
	}
	return m
}

// lookback is how far before a number its introducing words are sought.
const lookback = 40

// contextBefore reads the words just before byte offset i (on the same
// line, up to lookback bytes) and reports whether they say the number is
// not a patient's, and whether they name a PPS number.
func (t *text) contextBefore(i int) (notPatient, pps bool) {
	from := max(0, i-lookback)
	win := t.lower[from:i]
	if nl := strings.LastIndexByte(win, '\n'); nl >= 0 {
		win = win[nl+1:]
		from = -1 // the window starts at a line start: its first word is whole
	}
	end := len(win)
	for end > 0 {
		for end > 0 && !isWordByte(win[end-1]) {
			end--
		}
		start := end
		for start > 0 && isWordByte(win[start-1]) {
			start--
		}
		if start == end || start == 0 && from > 0 {
			break // no word, or one cut off by the window
		}
		w := win[start:end]
		switch {
		case patientWords[w]:
			return false, w == "pps" || w == "ppsn"
		case notPatientWords[w]:
			return true, false
		case !fillerWords[w]:
			return false, false
		}
		end = start
	}
	return false, false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c == '&' || c >= 0x80
}
