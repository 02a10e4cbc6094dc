// Package progress draws a one-line progress bar on a terminal, for the
// long commands of rounds (backup, restore) and rounds-bench (its phases).
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bar draws, every quarter second, a line such as
//
//	sending    [==========>                   ]  38%  10400/20000  1523/s  0:07
//	backup     [===========>                  ]  38%  120.4/316.9 MB  0:04
//
// With a total of 0 it shows the count and rate only. A nil *Bar draws
// nothing, so callers need not check whether one is shown.
type Bar struct {
	w      io.Writer
	label  string
	total  int64
	bytes  bool
	done   atomic.Int64
	start  time.Time
	stop   chan struct{}
	wg     sync.WaitGroup
	finish sync.Once
}

// Start draws a bar of units of work (Add, Set).
func Start(w io.Writer, label string, total int64) *Bar { return start(w, label, total, false) }

// StartBytes draws a bar of bytes, in MB; the bar is an io.Writer that
// counts what is written to it.
func StartBytes(w io.Writer, label string, total int64) *Bar { return start(w, label, total, true) }

func start(w io.Writer, label string, total int64, bytes bool) *Bar {
	p := &Bar{w: w, label: label, total: total, bytes: bytes, start: time.Now(), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.draw()
			}
		}
	}()
	return p
}

// Add counts n more units done.
func (p *Bar) Add(n int64) {
	if p != nil {
		p.done.Add(n)
	}
}

// Set records that n units are done in all.
func (p *Bar) Set(n int64) {
	if p != nil {
		p.done.Store(n)
	}
}

// Write counts b as done.
func (p *Bar) Write(b []byte) (int, error) {
	p.Add(int64(len(b)))
	return len(b), nil
}

// Finish draws the last state and ends the line; later calls do nothing.
func (p *Bar) Finish() {
	if p == nil {
		return
	}
	p.finish.Do(func() {
		close(p.stop)
		p.wg.Wait()
		p.draw()
		fmt.Fprintln(p.w)
	})
}

func (p *Bar) draw() {
	done := p.done.Load()
	elapsed := time.Since(p.start)
	rate := float64(done) / max(elapsed.Seconds(), 0.001)
	clock := fmt.Sprintf("%d:%02d", int(elapsed.Minutes()), int(elapsed.Seconds())%60)
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%-10s %8d  %7.0f/s  %s ", p.label, done, rate, clock)
		return
	}
	const width = 30
	frac := min(float64(done)/float64(p.total), 1)
	filled := int(frac * width)
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	if p.bytes {
		fmt.Fprintf(p.w, "\r%-10s [%s] %3.0f%%  %.1f/%.1f MB  %s ", p.label, bar, frac*100, float64(done)/1e6, float64(p.total)/1e6, clock)
		return
	}
	fmt.Fprintf(p.w, "\r%-10s [%s] %3.0f%%  %d/%d  %.0f/s  %s ", p.label, bar, frac*100, done, p.total, rate, clock)
}
