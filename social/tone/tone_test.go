package tone

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

type labelled struct {
	heated bool
	text   string
}

// loadCorpus reads testdata/replies.txt and splits it: every third reply
// is held out, the rest are the tuning set.
func loadCorpus(t testing.TB) (tuning, heldOut []labelled) {
	f, err := os.Open("testdata/replies.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "\t")
		if !ok || (label != "H" && label != "O") {
			t.Fatalf("bad corpus line %q", line)
		}
		l := labelled{heated: label == "H", text: text}
		n++
		if n%3 == 0 {
			heldOut = append(heldOut, l)
		} else {
			tuning = append(tuning, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tuning, heldOut
}

type score struct{ heated, caught, ordinary, falseAlarms int }

func (s score) recall() float64     { return float64(s.caught) / float64(s.heated) }
func (s score) falseAlarm() float64 { return float64(s.falseAlarms) / float64(s.ordinary) }

func measure(t *testing.T, name string, set []labelled) score {
	var s score
	for _, l := range set {
		v := Judge(l.text)
		if l.heated {
			s.heated++
			if v.Heated {
				s.caught++
			} else {
				t.Logf("%s: missed heated (score %.1f %v): %s", name, v.Score, v.Reasons, l.text)
			}
		} else {
			s.ordinary++
			if v.Heated {
				s.falseAlarms++
				t.Logf("%s: false alarm (score %.1f %v): %s", name, v.Score, v.Reasons, l.text)
			}
		}
	}
	return s
}

// TestToneCorpus holds the judge to its targets on the labelled replies: at
// least 90 % of heated replies paused and at most 2 % of ordinary ones, on
// the tuning set and on the held-out set alike.
func TestToneCorpus(t *testing.T) {
	tuning, heldOut := loadCorpus(t)
	if len(tuning)+len(heldOut) < 320 {
		t.Fatalf("the corpus has %d replies; it needs at least 320", len(tuning)+len(heldOut))
	}
	for _, c := range []struct {
		name string
		set  []labelled
	}{{"tuning", tuning}, {"held-out", heldOut}} {
		s := measure(t, c.name, c.set)
		t.Logf("%s: %d heated, %d paused (recall %.1f %%); %d ordinary, %d paused (false alarms %.1f %%)",
			c.name, s.heated, s.caught, 100*s.recall(), s.ordinary, s.falseAlarms, 100*s.falseAlarm())
		if s.recall() < 0.90 {
			t.Errorf("%s: recall %.1f %% is below the 90 %% target", c.name, 100*s.recall())
		}
		if s.falseAlarm() > 0.02 {
			t.Errorf("%s: false alarms %.1f %% are above the 2 %% target", c.name, 100*s.falseAlarm())
		}
	}
}

// TestReasonsNameWhatWasFound checks that the explanations name the word or
// the feature, in plain words.
func TestReasonsNameWhatWasFound(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"You absolute idiot, read the guideline.", "calls someone 'idiot'"},
		{"STOP POSTING THIS RUBBISH. NOBODY WANTS YOUR OPINION.", "written mostly in capitals"},
		{"Well done genius, that drug is contraindicated.", "sarcasm aimed at a person: 'well done genius'"},
		{"Watch your back.", "sounds like a threat: 'watch your back'"},
	} {
		v := Judge(c.text)
		if !v.Heated || !strings.Contains(strings.Join(v.Reasons, "; "), c.want) {
			t.Errorf("Judge(%q) = %+v, want heated with a reason containing %q", c.text, v, c.want)
		}
	}
	for _, text := range []string{
		"NICE and the BMA disagree on COPD inhalers; the NHS ICU data is mixed.",
		"I disagree, the evidence for X is weak: see the 2019 Cochrane review.",
		"Aggressive tumour, high attack rate, killing bacteria, shocking rhythm.",
		"Hate to say it, but the data is poor.",
	} {
		if v := Judge(text); v.Heated {
			t.Errorf("Judge(%q) = %+v, want not heated", text, v)
		}
	}
}

// TestAdminTuning checks that words the admins flag count and words they
// allow do not.
func TestAdminTuning(t *testing.T) {
	c := New(Options{Flag: []string{"numbskull"}, Allow: []string{"muppet"}})
	if v := c.Judge("Some numbskull changed the rota."); !v.Heated || !strings.Contains(v.Reasons[0], "'numbskull'") {
		t.Errorf("flagged word: %+v", v)
	}
	if v := c.Judge("The Muppet Show night raised £300 for the ward."); v.Heated {
		t.Errorf("allowed word: %+v", v)
	}
	if v := Judge("The Muppet Show night raised £300 for the ward."); !v.Heated {
		t.Errorf("without tuning 'muppet' counts: %+v", v)
	}
}

// BenchmarkJudge measures one judgement of a typical reply.
func BenchmarkJudge(b *testing.B) {
	tuning, heldOut := loadCorpus(b)
	all := append(tuning, heldOut...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Judge(all[i%len(all)].text)
	}
}
