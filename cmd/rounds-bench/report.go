package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one scenario: the same figures as a table for
// people and, with --json, as one JSON object for machines.
type Report struct {
	Scenario string         `json:"scenario"`
	Target   string         `json:"target,omitempty"`
	Started  time.Time      `json:"started"` // when the run began, set-up included
	Settings map[string]any `json:"settings"`
	// Results holds the scenario's own figures (a struct per scenario).
	Results any `json:"results"`
	// Checks are correctness conditions; a failed one makes the run fail.
	Checks []Check `json:"checks"`
	// Goals compare figures with the targets the project set; missing one
	// is reported, not an error.
	Goals []Goal `json:"goals,omitempty"`
	// Server is the memory of the server process, when its pid is known.
	Server *ServerStats `json:"server,omitempty"`
	// Machine is what else was going on: the load generator shares the
	// machine with the server, and perhaps with other work.
	Machine Machine `json:"machine"`

	title string
	rows  [][2]string
}

// Machine describes the machine a run was made on.
type Machine struct {
	CPUs int `json:"cpus"`
	// LoadBefore and LoadAfter are the 1, 5 and 15 minute load averages
	// from /proc/loadavg (empty elsewhere).
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

// loadAverage reads the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Check is a correctness condition of a run.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Goal is one of the project's performance targets.
type Goal struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func newReport(scenario, target string) *Report {
	return &Report{Scenario: scenario, Target: target, Settings: map[string]any{}, Checks: []Check{}}
}

// row adds a line to the table for people.
func (r *Report) row(name, format string, args ...any) {
	r.rows = append(r.rows, [2]string{name, fmt.Sprintf(format, args...)})
}

func (r *Report) check(name string, ok bool, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) goal(name, want, got string, met bool) {
	r.Goals = append(r.Goals, Goal{Name: name, Want: want, Got: got, Met: met})
}

// ok reports whether every check passed.
func (r *Report) ok() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func (r *Report) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n\n", r.title)
	fmt.Fprintln(tw, "RESULT\tVALUE")
	for _, row := range r.rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	if s := r.Server; s != nil {
		for _, m := range s.Memory {
			fmt.Fprintf(tw, "server memory %s\t%s\n", m.When, m.String())
		}
		if len(s.Memory) == 2 {
			cpu := s.Memory[1].CPUSeconds - s.Memory[0].CPUSeconds
			fmt.Fprintf(tw, "server CPU during the run\t%.1f s (%.0f%% of one core over %.0f s)\n", cpu, 100*cpu/max(s.WallSeconds, 0.001), s.WallSeconds)
		}
	}
	if m := r.Machine; m.LoadBefore != "" {
		fmt.Fprintf(tw, "machine\t%d CPUs, load %s before, %s after\n", m.CPUs, m.LoadBefore, m.LoadAfter)
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(tw, "\nCHECK\tRESULT")
		for _, c := range r.Checks {
			verdict := "ok"
			if !c.OK {
				verdict = "FAILED"
			}
			fmt.Fprintf(tw, "%s\t%s: %s\n", c.Name, verdict, c.Detail)
		}
	}
	if len(r.Goals) > 0 {
		fmt.Fprintln(tw, "\nGOAL\tWANT\tGOT\t")
		for _, g := range r.Goals {
			verdict := "met"
			if !g.Met {
				verdict = "not met"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Name, g.Want, g.Got, verdict)
		}
	}
	return tw.Flush()
}
