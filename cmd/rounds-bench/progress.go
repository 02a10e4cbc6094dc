package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws a one-line bar on a terminal while a phase runs:
//
//	sending [==========>         ]  52%  10400/20000  1523/s  0:07
//
// With a total of 0 it shows the count and rate only. A nil *progress
// draws nothing, so callers need not check whether it is shown.
type progress struct {
	w     io.Writer
	label string
	total int64
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(w io.Writer, label string, total int64) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
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

// add counts n more units of work done.
func (p *progress) add(n int64) {
	if p != nil {
		p.done.Add(n)
	}
}

// set records that n units are done in all.
func (p *progress) set(n int64) {
	if p != nil {
		p.done.Store(n)
	}
}

// finish draws the last state and ends the line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.draw()
	fmt.Fprintln(p.w)
}

func (p *progress) draw() {
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
	fmt.Fprintf(p.w, "\r%-10s [%s] %3.0f%%  %d/%d  %.0f/s  %s ", p.label, bar, frac*100, done, p.total, rate, clock)
}
