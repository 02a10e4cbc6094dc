package guard

import (
	"fmt"
	"strings"
	"unicode"
)

// mask keeps the first three characters of an identifier and hides every
// other letter and digit, keeping spaces and punctuation so the shape
// stays recognisable: "943 476 5919" becomes "943 *** ****". Short
// identifiers keep at most half their letters and digits.
func mask(id string) string {
	alnum := 0
	for _, r := range id {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum++
		}
	}
	keep := min(3, alnum/2)
	var b strings.Builder
	for i, r := range []rune(id) {
		if i >= keep && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// maxListed is how many findings Message names before summing up the rest.
const maxListed = 5

// Message explains findings to the person posting, in one paragraph that
// names what was found and where, masked. It returns "" for no findings.
func Message(findings []Finding) string {
	if len(findings) == 0 {
		return ""
	}
	listed := findings
	if len(listed) > maxListed {
		listed = listed[:maxListed-1]
	}
	// Group by field, in order of first appearance, so that several finds in
	// one field read "... and ... in the text".
	var order []string
	byField := map[string][]string{}
	for _, f := range listed {
		if _, ok := byField[f.Field]; !ok {
			order = append(order, f.Field)
		}
		byField[f.Field] = append(byField[f.Field], describe(f))
	}
	var parts []string
	for _, field := range order {
		p := joinList(byField[field])
		if field != "" {
			p += " in " + field
		}
		parts = append(parts, p)
	}
	if rest := len(findings) - len(listed); rest > 0 {
		parts = append(parts, fmt.Sprintf("%d more", rest))
	}
	pronoun := "it"
	if len(findings) > 1 {
		pronoun = "them"
	}
	return "This post may identify a patient: it contains what looks like " +
		joinList(parts) + ". Remove " + pronoun + " and post again."
}

// describe renders one finding as "an NHS number (943 *** ****)"; a label
// that already ends in a parenthesis takes the masked text inside it.
func describe(f Finding) string {
	label := f.Label
	if label == "" {
		label = kindLabels[f.Kind]
	}
	if label == "" {
		label = "an identifier"
	}
	if f.Masked == "" {
		return label
	}
	if strings.HasSuffix(label, ")") {
		return label[:len(label)-1] + ": " + f.Masked + ")"
	}
	return label + " (" + f.Masked + ")"
}

// joinList joins "a", "b" and "c" as "a, b and c".
func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
