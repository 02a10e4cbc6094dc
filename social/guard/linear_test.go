//go:build unix

package guard

import (
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The guard runs on every post before it is stored, so a long post made of
// what its rules look for (digits, dates, the words that introduce them)
// must take time in proportion to its length. The CPU time of a text eight
// times longer is compared, the least of a few runs each, with a bound (24)
// that linear time meets easily and quadratic time (64) cannot. CPU time
// rather than the clock's, so that other processes on a loaded machine do
// not count.
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
		"findings":        "NHS 943 476 5919. ",
		"links, findings": "https://a.example/x NHS 943 476 5919 ",
	}
	// fastest returns the least CPU time a check of s takes, measured
	// over enough checks to take at least 10ms.
	// Without the collector, which would run at moments that depend on the
	// heap's size, not the guard's work.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	fastest := func(s string) time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			runtime.GC()
			start, k := cpuTime(t), 0
			for ; k == 0 || cpuTime(t)-start < 10*time.Millisecond; k++ {
				g.Check(Field{Name: "the text", Text: s})
			}
			best = min(best, (cpuTime(t)-start)/time.Duration(k))
		}
		return best
	}
	for name, unit := range shapes {
		// Long texts show a quadratic cost plainly; the shapes that cost
		// most per byte are kept shorter, for the test's own time.
		n := 16 << 10
		switch name {
		case "dates", "introductions", "pattern prefix":
			n = 1 << 10
		}
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
