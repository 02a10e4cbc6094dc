package guard

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func mustNew(t testing.TB, patterns ...Pattern) *Guard {
	t.Helper()
	g, err := New(Options{Patterns: patterns})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// found runs Check on one text and renders the findings as
// "kind masked" lines, for compact comparisons.
func found(g *Guard, text string) []string {
	var out []string
	for _, f := range g.Check(Field{Name: "the text", Text: text}) {
		out = append(out, string(f.Kind)+" "+f.Masked)
	}
	return out
}

type identifierCase struct {
	text string
	want []string // "kind masked"; nil means nothing found
}

func runCases(t *testing.T, g *Guard, cases []identifierCase) {
	t.Helper()
	for _, c := range cases {
		got := found(g, c.text)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("Check(%q)\n got  %q\n want %q", c.text, got, c.want)
		}
	}
}

func TestNHSNumbers(t *testing.T) {
	runCases(t, mustNew(t), []identifierCase{
		// 943 476 5919 is the NHS's own worked example of the check digit.
		{"NHS no 943 476 5919 for the handover", []string{"nhs_number 943 *** ****"}},
		{"NHS 943-476-5919", []string{"nhs_number 943-***-****"}},
		{"9434765919", []string{"nhs_number 943*******"}},
		{"pt 450 123 4563 seen in clinic", []string{"nhs_number 450 *** ****"}},
		{"ref (6123456784).", []string{"nhs_number 612*******"}},
		{"NI H&C number 321 456 7896", []string{"nhs_number 321 *** ****"}},
		{"3000000011", []string{"nhs_number 300*******"}},
		{"bed 4 943 476 5919", []string{"nhs_number 943 *** ****"}},
		{"no\u00a0break 943\u00a0476\u00a05919", []string{"nhs_number 943\u00a0***\u00a0****"}},
		// Wrong check digits.
		{"NHS no 943 476 5918", nil},
		{"987 654 4321", nil}, // the NHS's format example, whose check digit fails
		{"4501234564", nil},
		// A valid number inside a longer run of digits is not one.
		{"19434765919", nil},
		{"94347659190", nil},
		{"943 476 59191", nil},
		{"1.9434765919", nil},
		{"9434765919.5", nil},
		{"9434765919%", nil},
		{"ID9434765919", nil},
		{"9434765919kg", nil},
		// Groupings no one uses for an NHS number.
		{"94 3476 5919", nil},
		{"9434 765 919", nil},
		// Test range, never issued.
		{"999 123 4560", nil},
	})
}

func TestPhoneNumbersAreNotNHSNumbers(t *testing.T) {
	runCases(t, mustNew(t), []identifierCase{
		// 0871234564 passes modulus 11, but NHS numbers never start with 0
		// and 08/71 is no date for a CHI number.
		{"text me on 087 123 4564", nil},
		{"0871234564", nil},
		{"switch 01 809 3000", nil},
		{"+353 87 123 4564", nil},
		{"+44 (0)20 7946 0000", nil},
		{"Cork 021 490 1234", nil},
		{"freephone 1800 123 456", nil},
		// A phone word before an otherwise valid number.
		{"ring me on 943 476 5919", nil},
		{"bleep 4321 or mobile 943-476-5919", nil},
		// ... unless a patient word comes closer.
		{"rang the ward re NHS no 943 476 5919", []string{"nhs_number 943 *** ****"}},
	})
}

func TestCHINumbers(t *testing.T) {
	runCases(t, mustNew(t), []identifierCase{
		{"CHI 0101011237", []string{"chi_number 010*******"}},
		{"CHI 310184 1232", []string{"chi_number 310*** ****"}},
		{"1504543211", []string{"chi_number 150*******"}},
		// Luhn check digit, issued once modulus 11 numbers run out for a date.
		{"CHI 0101011245", []string{"chi_number 010*******"}},
		// Valid modulus 11 but no such date (32nd day, 13th month).
		{"3213201234", nil},
		{"0113011230", nil},
		// A real date but both checks fail.
		{"0101011238", nil},
	})
}

func TestPPSNumbers(t *testing.T) {
	runCases(t, mustNew(t), []identifierCase{
		{"PPS 1234567T", []string{"pps_number 123*****"}},
		{"1234567TW on the form", []string{"pps_number 123******"}},
		// 2013 format: the second letter counts in the check.
		{"1234567FA", []string{"pps_number 123******"}},
		{"1234567TA", nil},
		{"1234567FW", nil},
		{"1234567S", nil},
		// Lower case only after the word PPS.
		{"ppsn 1234567t", []string{"pps_number 123*****"}},
		{"1234567t", nil},
		// Not on its own.
		{"X1234567T", nil},
		{"12345678T", nil},
		{"1234567TXY", nil},
		{"1234567T5", nil},
		{"order 1234567T", nil},
		{"PPS: 1234567 T for the form", []string{"pps_number 123**** *"}},
		{"PPS: 1234567 FA", []string{"pps_number 123**** **"}},
		{"ward 1234567 T", nil},
	})
}

func TestIHI(t *testing.T) {
	runCases(t, mustNew(t), []identifierCase{
		{"IHI 539123484500012346", []string{"ihi 539***************"}},
		{"IHI 5391234 8450001234 6", []string{"ihi 539**** ********** *"}},
		// The core alone is in the NHS number bank set aside for Ireland.
		{"IHI core 845 000 1234", []string{"ihi 845 *** ****"}},
		// Wrong GS1 check digit; wrong core check digit.
		{"539123484500012347", nil},
		{"539123484500012356", nil},
	})
}

func TestHospitalNumbers(t *testing.T) {
	g := mustNew(t, Pattern{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`})
	runCases(t, g, []identifierCase{
		{"MRN 1234567", []string{"hospital_number 123****"}},
		{"MRN: A123456", []string{"hospital_number A12****"}},
		{"mrn#00123456", []string{"hospital_number 001*****"}},
		{"hosp no. 445566", []string{"hospital_number 445***"}},
		{"Hospital number is 7654321", []string{"hospital_number 765****"}},
		{"chart # 90011223", []string{"hospital_number 900*****"}},
		{"medical record number: RXH 1234567", []string{"hospital_number RXH *******"}},
		{"seen today BH1234567 in clinic", []string{"hospital_number BH1******"}},
		// A number called an MRN is reported as one even if it also passes
		// as an NHS number.
		{"MRN 9434765919", []string{"hospital_number 943*******"}},
		// Too short, too long, or not introduced as a number.
		{"MRN 1234", nil},
		{"MRN 1234567890123", nil},
		{"the hospital 12345 steps", nil},
		{"hospital numbers are down 12%", nil},
		{"mRNA 1273 vaccine", nil},
		{"BH12345678", nil},
		{"Re 2379486 (hospital no), family meeting", []string{"hospital_number 237****"}},
		{"7654321 (MRN)", []string{"hospital_number 765****"}},
		{"we have 12000 hospital numbers to merge", nil},
		{"12000 MRNs were merged", nil},
		{"MRN-3530725", []string{"hospital_number 353****"}},
	})
}

func TestAdminPatterns(t *testing.T) {
	g := mustNew(t,
		Pattern{Label: "Mater MRN", Regexp: `(?i)\bmmuh\d{6}\b`},
		Pattern{Label: "Kerry MRN", Regexp: `(?i)\bkgh\d{6}\b`},
		Pattern{Label: "Cork MRN", Regexp: `\b(?:CUH|MUH)-\d{6}\b`},
	)
	runCases(t, g, []identifierCase{
		{"seen MMUH123456 today", []string{"hospital_number MMU*******"}},
		{"seen mmuh123456 today", []string{"hospital_number mmu*******"}},
		{"seen KGH123456 today", []string{"hospital_number KGH******"}},
		{"seen CUH-123456 and MUH-654321", []string{"hospital_number CUH-******", "hospital_number MUH-******"}},
		{"https://example.ie/MMUH123456", nil},
		{"MMUH12345", nil},
	})
	findings := g.Check(Field{Name: "the text", Text: "seen MMUH123456 today"})
	if len(findings) != 1 || findings[0].Label != "a hospital record number (Mater MRN)" {
		t.Errorf("label: %+v", findings)
	}
}

func TestDatesOfBirth(t *testing.T) {
	runCases(t, mustNew(t), []identifierCase{
		{"DOB 12/03/1954", []string{"date_of_birth 12/**/****"}},
		{"D.O.B. 12/03/1954", []string{"date_of_birth 12/**/****"}},
		{"d.o.b 12.3.54", []string{"date_of_birth 12.*.**"}},
		{"born 3rd March 1954", []string{"date_of_birth 3rd ***** ****"}},
		{"born on the 3rd of March, 1954", []string{"date_of_birth 3rd ** *****, ****"}},
		{"date of birth: 1954-03-12", []string{"date_of_birth 195*-**-**"}},
		{"DoB 12-Mar-54", []string{"date_of_birth 12-***-**"}},
		{"born March 3, 1954", []string{"date_of_birth Mar** *, ****"}},
		{"b. 12/03/1954", []string{"date_of_birth 12/**/****"}},
		{"12/03/1954 (DOB)", []string{"date_of_birth 12/**/****"}},
		{"DOB 120354", []string{"date_of_birth 120***"}},
		{"DOB 12031954", []string{"date_of_birth 120*****"}},
		{"DOB 123456", nil},
		{"Can anyone confirm the D.O.B. on the form? We have 12/03/1954 on the sample", []string{"date_of_birth 12/**/****"}},
		{"the DOB on the wristband is wrong, should be 3 March 1954", []string{"date_of_birth 3 M**** ****"}},
		{"Check DOB on all samples. Audit 16/07/2020: 6% mismatch", nil},
		{"DOB field mandatory from 01/09/2025", nil},
		// Not a date of birth.
		{"admitted 12/03/2024", nil},
		{"since 1954", nil},
		{"born in the 1950s", nil},
		{"born in March 1954", nil},
		{"born 1954", nil},
		{"the trial began 3 March 2019", nil},
		{"DOB 31/02/1954", nil},
		{"DOB on the wristband must match the chart", nil},
		{"Hep B. 12/03/2024", nil},
		{"Florence Nightingale, born 12 May 1820", nil},
		{"newborn 12/03/2024", nil},
	})
}

func TestLinksAreNotIdentifiers(t *testing.T) {
	runCases(t, mustNew(t), []identifierCase{
		{"https://doi.org/10.1056/NEJMoa2034577", nil},
		{"see https://example.ie/records/9434765919 for the audit", nil},
		{"doi:10.1016/S0140-6736(20)30183-5", nil},
		{"10.1136/bmj.9434765919", nil},
		{"bmj.com/content/9434765919", nil},
		{"@nurse1234567T hello", nil},
		{"www.hse.ie/9434765919", nil},
		{"ISBN 0702027958 is the 5th edition", nil},
		{"ISBN-10: 1405198532", nil},
	})
}

func TestSeveralFindingsInOrder(t *testing.T) {
	g := mustNew(t)
	got := g.Check(
		Field{Name: "the text", Text: "DOB 12/03/1954 and NHS 943 476 5919, again 9434765919"},
		Field{Name: "the content warning", Text: "PPS 1234567T"},
	)
	want := []Finding{
		{Kind: KindDateOfBirth, Label: "a date of birth", Masked: "12/**/****", Field: "the text"},
		{Kind: KindNHS, Label: "an NHS number", Masked: "943 *** ****", Field: "the text"},
		{Kind: KindNHS, Label: "an NHS number", Masked: "943*******", Field: "the text"},
		{Kind: KindPPS, Label: "a PPS number", Masked: "123*****", Field: "the content warning"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestFindingsNeverHoldTheIdentifier(t *testing.T) {
	g := mustNew(t, Pattern{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`})
	ids := []string{"9434765919", "0101011237", "1234567T", "539123484500012346", "7654321", "BH1234567", "12/03/1954"}
	text := "NHS 9434765919 CHI 0101011237 PPS 1234567T IHI 539123484500012346 MRN 7654321 BH1234567 DOB 12/03/1954"
	findings := g.Check(Field{Name: "the text", Text: text})
	if len(findings) != len(ids) {
		t.Fatalf("got %d findings, want %d: %+v", len(findings), len(ids), findings)
	}
	msg := Message(findings)
	for _, f := range findings {
		for _, id := range ids {
			all := fmt.Sprintf("%s %s %s %s %s", f.Kind, f.Label, f.Masked, f.Field, msg)
			if strings.Contains(all, id) {
				t.Errorf("finding %+v or message holds %q", f, id)
			}
		}
	}
}

func TestMessage(t *testing.T) {
	one := []Finding{{Kind: KindNHS, Label: "an NHS number", Masked: "943 *** ****", Field: "the text"}}
	if got, want := Message(one), "This post may identify a patient: it contains what looks like an NHS number (943 *** ****) in the text. Remove it and post again."; got != want {
		t.Errorf("one finding:\n got  %q\n want %q", got, want)
	}
	two := append(one, Finding{Kind: KindDateOfBirth, Label: "a date of birth", Masked: "12/**/****", Field: "the content warning"})
	if got, want := Message(two), "This post may identify a patient: it contains what looks like an NHS number (943 *** ****) in the text and a date of birth (12/**/****) in the content warning. Remove them and post again."; got != want {
		t.Errorf("two findings:\n got  %q\n want %q", got, want)
	}
	sameField := []Finding{
		{Kind: KindPPS, Label: "a PPS number", Masked: "123*****", Field: "poll option 2"},
		{Kind: KindHospitalNumber, Label: "a hospital record number (Beaumont MRN)", Masked: "BH1******", Field: "poll option 2"},
		{Kind: KindCHI, Label: "a CHI number", Masked: "010*******", Field: "the description of image 1"},
	}
	if got, want := Message(sameField), "This post may identify a patient: it contains what looks like a PPS number (123*****) and a hospital record number (Beaumont MRN: BH1******) in poll option 2 and a CHI number (010*******) in the description of image 1. Remove them and post again."; got != want {
		t.Errorf("grouped findings:\n got  %q\n want %q", got, want)
	}
	var many []Finding
	for range 8 {
		many = append(many, one[0])
	}
	if got := Message(many); !strings.Contains(got, "and 4 more. Remove them") {
		t.Errorf("many findings: %q", got)
	}
	if got := Message(nil); got != "" {
		t.Errorf("no findings: %q", got)
	}
}

func TestNewRejectsBadPatterns(t *testing.T) {
	cases := []struct {
		p    Pattern
		want string
	}{
		{Pattern{Label: "Mater MRN", Regexp: `\bM(\d{7}`}, `pattern 1 (Mater MRN)`},
		{Pattern{Label: "Anything", Regexp: `\d*`}, `can match empty text`},
		{Pattern{Label: "Boundary", Regexp: `\b`}, `can match empty text`},
		{Pattern{Label: "Optional", Regexp: `(?:MRN\d{6})?`}, `can match empty text`},
		{Pattern{Label: "Either", Regexp: `X\d{6}|`}, `can match empty text`},
		{Pattern{Label: "", Regexp: `X\d{6}`}, `label is required`},
		{Pattern{Label: "Blank", Regexp: ` `}, `empty`},
	}
	for _, c := range cases {
		_, err := New(Options{Patterns: []Pattern{c.p}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.p, err, c.want)
		}
	}
	if _, err := New(Options{Patterns: []Pattern{{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`}, {Label: "Mater", Regexp: `(?i)\bmmuh\d+`}}}); err != nil {
		t.Errorf("good patterns: %v", err)
	}
	_, err := New(Options{Patterns: []Pattern{{Label: "Good", Regexp: `X\d+`}, {Label: "Bad", Regexp: `[`}}})
	if err == nil || !strings.Contains(err.Error(), "pattern 2 (Bad)") {
		t.Errorf("second pattern bad: %v", err)
	}
}

func TestConcurrentChecks(t *testing.T) {
	g := mustNew(t, Pattern{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if n := len(g.Check(Field{Name: "the text", Text: "NHS 943 476 5919 BH1234567"})); n != 2 {
					t.Errorf("got %d findings", n)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// benchPost is a 500-character post with the sort of numbers that make the
// guard work: doses, lab values, a phone number, a link, a date.
var benchPost = "Post-take ward round, AMU. 78M, CAP, CURB-65 of 2. Hb 102 g/L, WCC 14.2, CRP 187, eGFR 45. " +
	"Started co-amoxiclav 1.2 g IV TDS + clarithromycin 500 mg BD per NG138. Reg on call bleep 4321, " +
	"switch 01 809 3000. Admitted 12/03/2024 at 14:30, bed 12 ward 7B. Teaching point: check the NEWS2 " +
	"trend, not one score. Evidence: https://doi.org/10.1056/NEJMoa2034577 (PMID 33301246). Order no " +
	"4412873290 for the nebuliser went to pharmacy. Born in the 1950s, since 1954 a smoker. #MedTwitter " +
	"@reg_dub well done all ☕"

// BenchmarkCheckWithIdentifiers checks a post that sets off every rule.
func BenchmarkCheckWithIdentifiers(b *testing.B) {
	g := mustNew(b, Pattern{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`})
	post := "Handover: DOB 12/03/1954, NHS 943 476 5919, MRN 1234567, BH1234567, PPS 1234567T, " +
		"IHI 539123484500012346. Hb 102, eGFR 45, ring the reg on 087 123 4564. " +
		"Can anyone confirm the D.O.B. on the form? We have 12/03/1954 on the sample. " + benchPost
	fields := []Field{{Name: "the text", Text: post[:500]}}
	b.SetBytes(500)
	b.ReportAllocs()
	for b.Loop() {
		if len(g.Check(fields...)) < 6 {
			b.Fatal("expected findings")
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	g := mustNew(b, Pattern{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`})
	fields := []Field{{Name: "the text", Text: benchPost[:500]}}
	b.SetBytes(500)
	b.ReportAllocs()
	for b.Loop() {
		g.Check(fields...)
	}
}

// TestPatternWindowsMatchLikeAWholeSearch checks the shortcut that searches
// an admin pattern only around its leading text against a plain search of
// the whole text.
func TestPatternWindowsMatchLikeAWholeSearch(t *testing.T) {
	g := mustNew(t,
		Pattern{Label: "a", Regexp: `\bBH\d{7}\b`},
		Pattern{Label: "b", Regexp: `(?i)\bmrn-?\d{3,5}`},
		Pattern{Label: "c", Regexp: `BH\d{2}(?:X|YY)?\b`},
		Pattern{Label: "d", Regexp: `(?m)^BH\d+`},
		Pattern{Label: "e", Regexp: `(?i)kk\d{2}`},
	)
	pieces := []string{"BH", "bh", "MRN", "mrn-", "1", "23", "4567", "0", " ", "x", "X", "YY", "\n", "é", "kk", "KK", "\u212a"}
	seed := uint32(1)
	next := func() int {
		seed = seed*1664525 + 1013904223
		return int(seed >> 8)
	}
	for range 3000 {
		var b strings.Builder
		for n := next() % 14; n > 0; n-- {
			b.WriteString(pieces[next()%len(pieces)])
		}
		s := b.String()
		tx := &text{s: s, lower: asciiLower(s)}
		for _, p := range g.patterns {
			var want [][]int
			for _, m := range p.re.FindAllStringIndex(s, 64) {
				if m[1] > m[0] {
					want = append(want, m)
				}
			}
			if got := p.matches(tx); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("pattern %q on %q: got %v, want %v", p.re, s, got, want)
			}
		}
	}
}
