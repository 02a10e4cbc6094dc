package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"

	"rounds/storage"
)

// TestMain doubles as the server: with ROUNDS_TEST_CHILD=1 the test binary
// runs `rounds serve` with a test job kind and a slow route added, so tests
// can start, signal and kill a real server process.
func TestMain(m *testing.M) {
	if os.Getenv("ROUNDS_TEST_CHILD") == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

func childMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	delay, _ := time.ParseDuration(os.Getenv("ROUNDS_TEST_MARK_DELAY"))
	hooks := serveHooks{
		registerWorkers: func(jobs *storage.Jobs, db *storage.DB) {
			storage.AddWorker(jobs, &markWorker{db: db, delay: delay, node: os.Getenv("ROUNDS_TEST_MARK_NODE")})
		},
		routes: func(r chi.Router) {
			r.Get("/test/slow", func(w http.ResponseWriter, r *http.Request) {
				ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
				time.Sleep(time.Duration(ms) * time.Millisecond)
				fmt.Fprint(w, "done")
			})
		},
	}
	err := serveCommand(ctx, os.Args[2:], os.Stderr, os.Getenv, hooks) // os.Args[1] is "serve"
	return exitCode(err, os.Stderr)
}

// markArgs is the test job: its work records N in job_marks.
type markArgs struct {
	N int `json:"n"`
}

func (markArgs) Kind() string { return "test_mark" }

type markWorker struct {
	river.WorkerDefaults[markArgs]
	db    *storage.DB
	delay time.Duration
	node  string // when set, recorded beside N (job_marks then has a node column)
}

func (w *markWorker) Work(ctx context.Context, job *river.Job[markArgs]) error {
	// The delay is where a kill lands: the job is running, nothing is saved.
	select {
	case <-time.After(w.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	// The effect and the job's completion commit together, so a job that
	// ran is never run again.
	return w.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if w.node != "" {
			err = tx.ExecForTest(ctx, "INSERT INTO job_marks (n, node) VALUES (?, ?)", job.Args.N, w.node)
		} else {
			err = tx.ExecForTest(ctx, "INSERT INTO job_marks (n) VALUES (?)", job.Args.N)
		}
		if err != nil {
			return err
		}
		return storage.CompleteTx(ctx, tx, job)
	})
}

// child is a server process started by a test.
type child struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *syncBuffer
	base string // http://127.0.0.1:PORT
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startChild starts the server in dir with args and extra environment, and
// waits until it says where it listens.
func startChild(t *testing.T, dir string, env []string, args ...string) *child {
	t.Helper()
	return startChildAt(t, dir, "127.0.0.1:0", env, args...)
}

// startChildAt is startChild listening on listen.
func startChildAt(t *testing.T, dir, listen string, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--listen", listen}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ROUNDS_TEST_CHILD=1", "ROUNDS_LOG_FORMAT=json")
	cmd.Env = append(cmd.Env, env...)
	pr, pw := io.Pipe()
	logs := &syncBuffer{}
	cmd.Stderr = io.MultiWriter(pw, logs)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, logs: logs, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct {
				Msg    string `json:"msg"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "Rounds is serving" {
				found <- line.Listen
			}
		}
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			t.Fatalf("the server exited before serving:\n%s", logs.String())
		}
		c.base = "http://" + addr
	case <-time.After(15 * time.Second):
		t.Fatalf("the server did not start within 15s:\n%s", logs.String())
	}
	return c
}

// stop sends sig and waits for the process to end, returning its exit code.
func (c *child) stop(sig os.Signal) int {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.t.Fatalf("the server did not stop within 30s after %v", sig)
	}
	return c.cmd.ProcessState.ExitCode()
}

// stopGracefully sends SIGTERM to each process by name and fails unless
// each exits with code 0 within 10 seconds.
func stopGracefully(t *testing.T, children map[string]*child) {
	t.Helper()
	for name, c := range children {
		began := time.Now()
		if code := c.stop(syscall.SIGTERM); code != 0 {
			t.Fatalf("process %s: exit code after SIGTERM = %d", name, code)
		}
		if d := time.Since(began); d > 10*time.Second {
			t.Fatalf("process %s took %v to stop", name, d)
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// runCLI runs the rounds command line in-process.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = run(context.Background(), args, &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
