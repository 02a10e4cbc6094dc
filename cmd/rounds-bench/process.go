package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerStats describes the server process: how long it took to answer
// when rounds-bench started it, and its memory at the moments measured.
type ServerStats struct {
	PID int `json:"pid"`
	// StartMS is from starting the command to the first answer of the ready
	// URL; 0 when rounds-bench did not start the server.
	StartMS float64  `json:"start_ms,omitempty"`
	Memory  []Memory `json:"memory"`
	// WallSeconds is the time between the first and last Memory reading.
	WallSeconds float64 `json:"wall_s,omitempty"`
}

// Memory is a process's memory as /proc/PID/status reports it, in KiB.
type Memory struct {
	When    string `json:"when"`
	RSS     int    `json:"rss_kib"`      // VmRSS: resident now
	Anon    int    `json:"rss_anon_kib"` // RssAnon: heap, stacks
	File    int    `json:"rss_file_kib"` // RssFile: mapped binary and files
	Shmem   int    `json:"rss_shmem_kib"`
	Peak    int    `json:"peak_rss_kib"` // VmHWM: the most ever resident
	Threads int    `json:"threads"`
	// CPUSeconds is the processor time the process has used since it
	// started (user and system).
	CPUSeconds float64 `json:"cpu_s"`
}

func (m Memory) String() string {
	return fmt.Sprintf("%.1f MiB resident (anon %.1f, file %.1f, shmem %.1f), peak %.1f MiB, %d threads",
		mib(m.RSS), mib(m.Anon), mib(m.File), mib(m.Shmem), mib(m.Peak), m.Threads)
}

func mib(kib int) float64 { return float64(kib) / 1024 }

// readMemory reads /proc/PID/status.
func readMemory(pid int, when string) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read the memory of process %d: %w", pid, err)
	}
	defer f.Close()
	m := Memory{When: when}
	fields := map[string]*int{"VmRSS": &m.RSS, "RssAnon": &m.Anon, "RssFile": &m.File, "RssShmem": &m.Shmem, "VmHWM": &m.Peak, "Threads": &m.Threads}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if p := fields[name]; ok && p != nil {
			v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB"))
			*p, _ = strconv.Atoi(v)
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	m.CPUSeconds, err = cpuSeconds(pid)
	return m, err
}

// cpuSeconds reads utime and stime from /proc/PID/stat. They are in clock
// ticks, which Linux reports to programs as 100 a second (USER_HZ).
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime or stime", pid)
	}
	return (utime + stime) / 100, nil
}

// serverProcess is a server started by rounds-bench.
type serverProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	logs *tailBuffer
}

// startServer runs command with sh (exec'd, so the process is the server
// itself) and waits until readyURL answers with a status below 500. It
// returns the time from start to that answer.
func startServer(ctx context.Context, command, readyURL string, limit time.Duration) (*serverProcess, time.Duration, error) {
	cmd := exec.Command("sh", "-c", "exec "+command)
	logs := &tailBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start the server: %w", err)
	}
	p := &serverProcess{cmd: cmd, done: make(chan struct{}), logs: logs}
	go func() { _ = cmd.Wait(); close(p.done) }()

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return p, time.Since(started), nil
			}
		}
		select {
		case <-p.done:
			return nil, 0, fmt.Errorf("the server exited before answering %s (%s); its last output:\n%s", readyURL, cmd.ProcessState, logs.String())
		case <-ctx.Done():
			p.stop()
			return nil, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, 0, fmt.Errorf("the server did not answer %s within %v; its last output:\n%s", readyURL, limit, logs.String())
		}
	}
}

func (p *serverProcess) pid() int { return p.cmd.Process.Pid }

// stop asks the server to stop (SIGTERM) and kills it if it has not within
// 20 seconds.
func (p *serverProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
