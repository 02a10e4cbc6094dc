// Command corpusgen writes the guard's labelled test corpus: posts in the
// voice of Irish and UK clinicians, some with a patient identifier and
// many without, from hand-written templates and identifiers made by its
// own check-digit code.
//
//	go run ./social/guard/internal/corpusgen > social/guard/testdata/corpus.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
)

// post is one line of the corpus.
type post struct {
	Text     string `json:"text"`
	CW       string `json:"cw,omitempty"`
	Contains bool   `json:"contains"`
	Kind     string `json:"kind,omitempty"`
}

var slotRE = regexp.MustCompile(`\{[A-Z0-9_]+\}`)

// slotKinds says which identifier a positive slot holds.
var slotKinds = map[string]string{
	"{NHS}": "nhs_number", "{CHI}": "chi_number", "{PPS}": "pps_number",
	"{PPSLOWER}": "pps_number", "{IHI}": "ihi", "{IHICORE}": "ihi",
	"{MRN}": "hospital_number", "{BH}": "hospital_number",
	"{DOB}": "date_of_birth", "{DOBTEXT}": "date_of_birth", "{DOBNUM}": "date_of_birth",
	"{NHSRAW}": "nhs_number", "{CHIRAW}": "chi_number", "{PPSSPACED}": "pps_number",
	"{IHI3}": "ihi", "{DOBCOMPACT}": "date_of_birth",
}

func (g gen) fill(slot string) string {
	switch slot {
	// Identifiers.
	case "{NHS}":
		return g.nhs()
	case "{CHI}":
		return g.chi()
	case "{PPS}":
		return g.pps()
	case "{NHSRAW}":
		return g.nhsRaw()
	case "{CHIRAW}":
		return g.chiRaw()
	case "{PPSSPACED}":
		p := g.pps()
		return p[:7] + " " + p[7:]
	case "{IHI3}":
		d := g.ihi()
		return d[0:3] + " " + d[3:6] + " " + d[6:9] + " " + d[9:12] + " " + d[12:15] + " " + d[15:]
	case "{DOBCOMPACT}":
		dt := g.date(1925, 2023)
		if g.r.IntN(2) == 0 {
			return fmt.Sprintf("%02d%02d%02d", dt.d, dt.m, dt.y%100)
		}
		return fmt.Sprintf("%02d%02d%d", dt.d, dt.m, dt.y)
	case "{PPSLOWER}":
		return strings.ToLower(g.pps())
	case "{IHI}":
		return g.ihi()
	case "{IHICORE}":
		return g.format334(g.ihiCore())
	case "{MRN}":
		return g.mrn()
	case "{BH}":
		return "BH" + g.digits(7)
	case "{DOB}":
		return g.dob()
	case "{DOBTEXT}":
		return g.textDate(1925, 2024)
	case "{DOBNUM}":
		return g.writeDate(g.date(1925, 2023), false)
	// Near misses.
	case "{BADNHS}":
		return g.badNHS()
	case "{BADCHI}":
		return g.badCHI()
	case "{BADPPS}":
		return g.badPPS()
	case "{BADIHI}":
		return g.badIHI()
	case "{RANDOM10}":
		return g.random10()
	case "{RANDOM10S}":
		return g.format334(g.random10())
	case "{RANDOM7L}":
		return g.random7L()
	case "{ZOOM}":
		d := g.pick("8", "9") + g.digits(9)
		return d[:3] + " " + d[3:6] + " " + d[6:]
	case "{MOBILE}":
		return g.mobileIE()
	case "{LANDLINE}":
		return g.landlineIE()
	case "{UKPHONE}":
		return g.phoneUK()
	case "{FREEPHONE}":
		return "1800 " + g.digits(3) + " " + g.digits(3)
	case "{BLEEP}":
		return g.pick("2", "3", "4", "6", "8") + g.digits(3)
	case "{EXT}":
		return g.pick("2", "3", "4", "5") + g.digits(3)
	case "{ISBN10}":
		return g.isbn10()
	case "{ISBN10H}":
		d := g.isbn10()
		return d[:1] + "-" + d[1:3] + "-" + d[3:9] + "-" + d[9:]
	case "{ISBN13}":
		return g.isbn13()
	case "{PMID}":
		return g.pick("2", "3") + g.digits(7)
	case "{DOI}":
		return "10." + g.pick("1056", "1016", "1136", "1001", "1186", "1093") + "/" +
			g.pick("NEJMoa", "S0140-6736", "bmj.m", "jama.", "s13054-", "eurheartj/ehab") + g.digits(7)
	case "{NCT}":
		return "NCT0" + g.digits(7)
	case "{GMC}":
		return g.pick("6", "7") + g.digits(6)
	case "{IMC}":
		return g.digits(6)
	case "{DATE}":
		return g.numDate(2019, 2025)
	case "{DATETEXT}":
		return g.textDate(2015, 2025)
	case "{YEAR}":
		return fmt.Sprint(1948 + g.r.IntN(77))
	case "{TIME}":
		return fmt.Sprintf("%02d:%02d", g.r.IntN(24), 5*g.r.IntN(12))
	case "{HB}":
		return fmt.Sprint(68 + g.r.IntN(90))
	case "{PLT}":
		return fmt.Sprint(20 + g.r.IntN(500))
	case "{EGFR}":
		return fmt.Sprint(8 + g.r.IntN(80))
	case "{K}":
		return fmt.Sprintf("%.1f", 2.8+float64(g.r.IntN(40))/10)
	case "{CRP}":
		return fmt.Sprint(1 + g.r.IntN(350))
	case "{TROP}":
		return fmt.Sprint(3 + g.r.IntN(3000))
	case "{WEIGHT}":
		return fmt.Sprint(45 + g.r.IntN(90))
	case "{WARD}":
		return g.pick("7B", "4A", "St Brigid's", "Ward 12", "AMU", "CCU", "Ward 33")
	case "{ROOM}":
		return fmt.Sprint(100 + g.r.IntN(500))
	case "{N}":
		return fmt.Sprint(2 + g.r.IntN(40))
	case "{BIG}":
		return fmt.Sprintf("%d,%03d", 1+g.r.IntN(900), g.r.IntN(1000))
	case "{DATIX}":
		return fmt.Sprint(100000 + g.r.IntN(900000))
	case "{EIRCODE}":
		const chars = "ACDEFHKNPRTVWXY0123456789"
		code := make([]byte, 4)
		for i := range code {
			code[i] = chars[g.r.IntN(len(chars))]
		}
		return g.pick("D09", "H91", "T12", "V94", "A96", "D24") + " " + string(code)
	case "{AMOX}":
		return g.pick("250 mg", "500 mg", "1 g")
	case "{COUNT}":
		n := 120 + g.r.IntN(2400)
		if n >= 1000 {
			return fmt.Sprintf("%d,%03d", n/1000, n%1000)
		}
		return fmt.Sprint(n)
	case "{BATCH}":
		return g.pick("FK", "EW", "AB", "PF") + g.digits(4)
	}
	panic("unknown slot " + slot)
}

// expand fills a template's slots, returning the text and the kind of the
// identifier it holds ("" for none).
func (g gen) expand(tmpl string) (string, string) {
	kind := ""
	text := slotRE.ReplaceAllStringFunc(tmpl, func(slot string) string {
		if k, ok := slotKinds[slot]; ok {
			kind = k
		}
		return g.fill(slot)
	})
	return text, kind
}

func main() {
	g := gen{r: rand.New(rand.NewPCG(20240312, 1954))}
	var posts []post
	seen := map[string]bool{}
	emit := func(tmpl, cwTmpl string, times int, wantID bool) {
		for range times {
			text, kind := g.expand(tmpl)
			cw := ""
			if cwTmpl != "" {
				var cwKind string
				cw, cwKind = g.expand(cwTmpl)
				if cwKind != "" {
					kind = cwKind
				}
			}
			if (kind != "") != wantID {
				panic(fmt.Sprintf("template %q: identifier slot mismatch", tmpl))
			}
			key := text + "\x00" + cw
			if seen[key] {
				continue
			}
			seen[key] = true
			posts = append(posts, post{Text: text, CW: cw, Contains: kind != "", Kind: kind})
		}
	}
	for _, t := range withIdentifier {
		emit(t.text, t.cw, 4, true)
	}
	for _, t := range withoutIdentifier {
		n := 4
		if !slotRE.MatchString(t.text + t.cw) {
			n = 1
		}
		emit(t.text, t.cw, n, false)
	}
	// Interleave so that a reader of the file sees both kinds throughout.
	g.r.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	pos, neg := 0, 0
	for _, p := range posts {
		if err := enc.Encode(p); err != nil {
			panic(err)
		}
		if p.Contains {
			pos++
		} else {
			neg++
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	fmt.Fprintf(os.Stderr, "corpusgen: %d posts with an identifier, %d without\n", pos, neg)
}
