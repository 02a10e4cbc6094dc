package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// buildRounds builds the rounds binary, or uses ROUNDS_BENCH_BIN when set.
func buildRounds(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("ROUNDS_BENCH_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "rounds")
	out, err := exec.Command("go", "build", "-o", bin, "rounds/cmd/rounds").CombinedOutput()
	if err != nil {
		t.Fatalf("go build rounds: %v\n%s", err, out)
	}
	return bin
}

// noSendDelay sets Rounds' send delay to 0 with its command line, so that
// posts leave at once: fanout measures delivery, and the timeline readers
// see the posts of those they follow.
func noSendDelay(t *testing.T, bin, dbURL string) {
	t.Helper()
	out, err := exec.Command(bin, "admin", "settings", "set", "send-delay", "0s", "--database", dbURL, "--log-level", "warn").CombinedOutput()
	if err != nil {
		t.Fatalf("rounds admin settings set send-delay 0s: %v\n%s", err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// runJSON runs rounds-bench with --json and decodes the report, its
// results into results.
func runJSON(t *testing.T, results any, args ...string) *Report {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append(args, "--json", "--quiet"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("rounds-bench %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	var rep struct {
		Report
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the output is not a JSON report: %v\n%s", err, stdout.String())
	}
	if err := json.Unmarshal(rep.Results, results); err != nil {
		t.Fatalf("results: %v\n%s", err, rep.Results)
	}
	for _, c := range rep.Checks {
		if !c.OK {
			t.Errorf("check %q failed: %s", c.Name, c.Detail)
		}
	}
	return &rep.Report
}

// TestScenariosAgainstRounds runs every scenario, with small numbers,
// against a Rounds server on SQLite, and checks that the figures make sense.
func TestScenariosAgainstRounds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and plays remote servers")
	}
	bin := buildRounds(t)
	dir := t.TempDir()
	port := freePort(t)
	host := fmt.Sprintf("127.0.0.1:%d", port)
	base := "http://" + host
	db := "sqlite:" + filepath.Join(dir, "rounds.db")
	serverCmd := fmt.Sprintf("%s serve --listen %s --domain %s --protocol http --database %s --data-dir %s --allow-private-addresses 127.0.0.0/8 --log-level warn",
		bin, host, host, db, dir)

	t.Run("idle", func(t *testing.T) {
		var res idleResults
		rep := runJSON(t, &res, "idle", "--server-cmd", serverCmd, "--ready-url", base+"/healthz", "--idle", "500ms")
		if res.StartMS <= 0 || res.StartMS > 30_000 || res.Memory.RSS <= 0 || res.Memory.Anon <= 0 || res.Memory.File <= 0 {
			t.Fatalf("idle results = %+v", res)
		}
		// Processor time while idle is measured (a start-up tail may
		// make it more than nothing in half a second, never more than
		// the machine's cores).
		if res.CPUPercent < 0 || res.CPUPercent > 100*float64(runtime.NumCPU()) {
			t.Fatalf("idle CPU = %.3f %%", res.CPUPercent)
		}
		if rep.Server == nil || rep.Server.PID == 0 || len(rep.Goals) != 4 {
			t.Fatalf("report = %+v", rep)
		}
	})

	noSendDelay(t, bin, db)
	srv, _, err := startServer(context.Background(), serverCmd, base+"/healthz", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	shared := []string{"--target", base, "--password", "long-password-1", "--server-pid", strconv.Itoa(srv.pid()),
		"--create-account", bin + " admin account create --username {username} --password {password} --role user --database " + db + " --domain " + host + " --protocol http --log-level warn"}

	t.Run("inbox", func(t *testing.T) {
		var res inboxResults
		rep := runJSON(t, &res, append([]string{"inbox", "--account", "alice", "--servers", "2", "--actors", "2",
			"--activities", "400", "--concurrency", "8", "--verify", "400"}, shared...)...)
		if res.Sent != 400 || res.Accepted != 400 || len(res.Errors) != 0 {
			t.Fatalf("sent %d, accepted %d, errors %v", res.Sent, res.Accepted, res.Errors)
		}
		if res.Verified.Checked != 400 || res.Verified.Found != 400 {
			t.Fatalf("verified %+v: every accepted post should be found", res.Verified)
		}
		lat := res.Latency
		if lat.Count != 400 || !(0 < lat.P50 && lat.P50 <= lat.P95 && lat.P95 <= lat.P99 && lat.P99 <= lat.Max) || res.AcceptedPerSecond <= 0 {
			t.Fatalf("latency %+v, %.0f/s", lat, res.AcceptedPerSecond)
		}
		if rep.Server == nil || len(rep.Server.Memory) != 2 || rep.Server.Memory[1].RSS <= 0 {
			t.Fatalf("server memory = %+v", rep.Server)
		}
	})

	t.Run("fanout", func(t *testing.T) {
		var res fanoutResults
		runJSON(t, &res, append([]string{"fanout", "--account", "bob", "--servers", "20", "--followers", "40", "--settle", "1s"}, shared...)...)
		if len(res.Posts) != 1 || res.BadSignatures != 0 {
			t.Fatalf("results = %+v", res)
		}
		if res.FollowersShown != 40 {
			// Counts may be cached for a while; the deliveries below are
			// what this test is about.
			t.Logf("the server shows %d followers, want 40", res.FollowersShown)
		}
		p := res.Posts[0]
		if p.Reached != 20 || p.Requests != 20 || p.SharedInbox != 20 || p.Personal != 0 || p.MaxPerServer != 1 {
			t.Fatalf("the post reached %d servers with %d requests (%d shared, %d personal, at most %d per server); want 20 with one each to the shared inbox",
				p.Reached, p.Requests, p.SharedInbox, p.Personal, p.MaxPerServer)
		}
		if !(0 < p.FirstMS && p.FirstMS <= p.MedianMS && p.MedianMS <= p.AllMS) || p.DeliveriesPerSecond <= 0 {
			t.Fatalf("times = %+v", p)
		}
	})

	t.Run("timeline", func(t *testing.T) {
		var res timelineResults
		runJSON(t, &res, append([]string{"timeline", "--accounts", "5", "--statuses", "200", "--duration", "2s", "--concurrency", "4", "--warmup", "10"}, shared...)...)
		if res.Seeded.Statuses != 200 || res.Seeded.Follows != 20 || res.Tokens != 5 {
			t.Fatalf("seeded %+v with %d tokens", res.Seeded, res.Tokens)
		}
		// Every account follows the 4 others: 200 statuses in each home
		// timeline, so full pages.
		if res.Requests == 0 || len(res.Errors) != 0 || res.StatusesPerPage != 40 || res.Latency.P99 <= 0 || res.RequestsPerSecond <= 0 {
			t.Fatalf("results = %+v", res)
		}
	})

	t.Run("stream", func(t *testing.T) {
		var res streamResults
		runJSON(t, &res, append([]string{"stream", "--account", "carol", "--clients", "20", "--posts", "2", "--accounts", "2", "--idle", "200ms"}, shared...)...)
		if res.Connected != 20 || res.Dropped != 0 || len(res.Posts) != 2 || res.MemoryBefore == nil || res.MemoryIdle == nil {
			t.Fatalf("results = %+v", res)
		}
		for _, p := range res.Posts {
			// Every client, on the home stream (as a follower) or the
			// local one, gets each post once.
			if p.Received != 20 || p.AfterAnswer.Count != 20 || p.AfterCall.P50 <= 0 || p.AfterCall.Max < p.AfterAnswer.Max {
				t.Fatalf("post %+v", p)
			}
		}
		if res.AfterAnswer.Count != 40 || res.ConnectLatency.Count != 20 || res.ConnectLatency.P50 <= 0 {
			t.Fatalf("results = %+v", res)
		}
	})
}

func TestBadCommandLines(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"frobnicate"}, exitUsage, `unknown scenario "frobnicate"`},
		{[]string{"inbox", "--nope"}, exitUsage, "flag provided but not defined: -nope"},
		{[]string{"inbox", "--servers", "0"}, exitUsage, "--servers and --actors must be at least 1"},
		{[]string{"fanout", "--servers", "10", "--followers", "5"}, exitUsage, "must be at least --servers"},
		{[]string{"timeline", "--target", "ftp://x"}, exitUsage, "is not an http or https URL"},
		{[]string{"idle"}, exitUsage, "give --server-cmd"},
		{[]string{"stream", "--clients", "0"}, exitUsage, "--clients, --posts, --accounts and --concurrency must be at least 1"},
		{[]string{"inbox", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"inbox", "--target", "http://127.0.0.1:1", "--token", "x"}, exitFailure, "does not answer"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("rounds-bench %v: exit %d, stderr:\n%s\nwant exit %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"inbox", "-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-concurrency") {
		t.Errorf("inbox -h: exit %d, stderr:\n%s", code, stderr.String())
	}
}

func TestPercentilesAreNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 200; i++ {
		lat = append(lat, time.Duration(201-i)*time.Millisecond)
	}
	s := summarize(lat)
	if s.P50 != 100 || s.P95 != 190 || s.P99 != 198 || s.Max != 200 || s.Count != 200 || s.Mean != 100.5 {
		t.Fatalf("summary = %+v", s)
	}
	if got := nextLink(`<http://x/api?max_id=5>; rel="next", <http://x/api?min_id=9>; rel="prev"`); got != "http://x/api?max_id=5" {
		t.Fatalf("next = %q", got)
	}
}

// With --rounds, one command sets up a Rounds of its own, measures it and
// leaves nothing behind.
func TestRoundsFlagSetsUpTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and plays remote servers")
	}
	bin := buildRounds(t)
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "rounds-bench-*"))

	var idle idleResults
	rep := runJSON(t, &idle, "idle", "--rounds", bin, "--idle", "200ms")
	if idle.StartMS <= 0 || idle.Memory.RSS <= 0 || rep.Server == nil {
		t.Fatalf("idle with --rounds: %+v, %+v", idle, rep.Server)
	}
	var inbox inboxResults
	runJSON(t, &inbox, "inbox", "--rounds", bin, "--servers", "1", "--actors", "2", "--activities", "60", "--verify", "60")
	if inbox.Accepted != 60 || inbox.Verified.Found != 60 {
		t.Fatalf("inbox with --rounds: accepted %d, verified %+v", inbox.Accepted, inbox.Verified)
	}
	var fan fanoutResults
	runJSON(t, &fan, "fanout", "--rounds", bin, "--servers", "3")
	if len(fan.Posts) != 1 || fan.Posts[0].Reached != 3 {
		t.Fatalf("fanout with --rounds: %+v", fan.Posts)
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "rounds-bench-*"))
	if len(after) > len(before) {
		t.Errorf("--rounds left %d temporary directories behind", len(after)-len(before))
	}

	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"inbox", "--rounds", bin, "--server-pid", "1"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("--rounds with --server-pid: exit %d, want %d; %s", code, exitUsage, stderr.String())
	}
}
