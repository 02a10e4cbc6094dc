package guard

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// corpusPatterns are the admin patterns the corpus assumes, as a hospital
// would configure them.
var corpusPatterns = []Pattern{{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`}}

type corpusPost struct {
	Text     string `json:"text"`
	CW       string `json:"cw"`
	Contains bool   `json:"contains"`
	Kind     string `json:"kind"`
}

// TestCorpus runs the guard over posts written as clinicians write them
// (testdata/corpus.jsonl, made by internal/corpusgen) and holds it to 99%
// recall and at most 1% false alarms.
func TestCorpus(t *testing.T) {
	f, err := os.Open("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := mustNew(t, corpusPatterns...)
	var pos, neg, hits, falseAlarms, wrongKind, hardNegatives int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		var p corpusPost
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("corpus line %d: %v", line, err)
		}
		findings := g.Check(Field{Name: "the text", Text: p.Text}, Field{Name: "the content warning", Text: p.CW})
		if p.Contains {
			pos++
			if len(findings) == 0 {
				t.Logf("missed (line %d, %s): %q cw %q", line, p.Kind, p.Text, p.CW)
				continue
			}
			hits++
			kindFound := false
			for _, fd := range findings {
				kindFound = kindFound || string(fd.Kind) == p.Kind
			}
			if !kindFound {
				wrongKind++
				t.Logf("found as another kind (line %d, want %s): %q -> %+v", line, p.Kind, p.Text, findings)
			}
		} else {
			neg++
			if passesACheck(p.Text) {
				hardNegatives++
			}
			if len(findings) > 0 {
				falseAlarms++
				t.Logf("false alarm (line %d): %q cw %q -> %+v", line, p.Text, p.CW, findings)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if pos < 300 || neg < 300 {
		t.Fatalf("corpus too small: %d posts with an identifier, %d without", pos, neg)
	}
	recall := float64(hits) / float64(pos)
	fpr := float64(falseAlarms) / float64(neg)
	t.Logf("corpus: %d posts with an identifier, %d without (%d of them hold a number that passes a modulus 11 or 23 check)",
		pos, neg, hardNegatives)
	t.Logf("recall %.2f%% (%d/%d), false-positive rate %.2f%% (%d/%d), found as another kind %d",
		100*recall, hits, pos, 100*fpr, falseAlarms, neg, wrongKind)
	if recall < 0.99 {
		t.Errorf("recall %.2f%% is below 99%%", 100*recall)
	}
	if fpr > 0.01 {
		t.Errorf("false-positive rate %.2f%% is above 1%%", 100*fpr)
	}
}

var checkableRE = regexp.MustCompile(`\d{3}[ -]?\d{3}[ -]?\d{4}|\d{7}[A-Z]`)

// passesACheck reports whether text holds ten digits that pass the NHS
// modulus 11 check, or seven digits and a letter that pass the PPS check,
// whatever their context: the clean posts that only context tells apart.
func passesACheck(text string) bool {
	for _, m := range checkableRE.FindAllString(text, -1) {
		m = strings.NewReplacer(" ", "", "-", "").Replace(m)
		d := make([]byte, 0, 10)
		for _, c := range []byte(m[:len(m)-1]) {
			d = append(d, c-'0')
		}
		last := m[len(m)-1]
		if last >= '0' && last <= '9' {
			if nhsCheck(append(d, last-'0')) {
				return true
			}
		} else if want, _ := ppsCheckLetter(d, 0); want == last {
			return true
		}
	}
	return false
}
