package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestFirstStartServesHealthzQuicklyAndSetupLinkCreatesAdmin(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	c := startChild(t, dir, nil) // every default: sqlite:rounds-data/rounds.db
	var code int
	for {
		resp, err := http.Get(c.base + "/healthz")
		if err == nil {
			code = resp.StatusCode
			resp.Body.Close()
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("/healthz did not answer within 2s of start: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	if fi, err := os.Stat(filepath.Join(dir, "rounds-data", "rounds.db")); err != nil || fi.Size() == 0 {
		t.Fatalf("rounds-data/rounds.db was not created: %v", err)
	}
	if code, body := get(t, c.base+"/readyz"); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Fatalf("/readyz = %d %s", code, body)
	}

	var link []string
	for i := 0; i < 200 && link == nil; i++ {
		link = regexp.MustCompile(`"setup_url":"([^"]+)"`).FindStringSubmatch(c.logs.String())
		time.Sleep(10 * time.Millisecond)
	}
	if link == nil {
		t.Fatalf("no setup link in the log:\n%s", c.logs.String())
	}
	// The link names the public domain; reach it through the listen address.
	setupPath := strings.TrimPrefix(link[1], "http://localhost:8080")
	if code, body := get(t, c.base+setupPath); code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("setup page = %d\n%s", code, body)
	}
	form := url.Values{"username": {"chief"}, "password": {"a long password"}, "password_confirmation": {"a long password"}}
	resp, err := http.PostForm(c.base+setupPath, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setup POST = %d", resp.StatusCode)
	}
	// Used once, the link is dead.
	if code, _ := get(t, c.base+setupPath); code != http.StatusNotFound {
		t.Fatalf("setup page after use = %d, want 404", code)
	}
	if code := c.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d", code)
	}

	// The admin is there for the CLI, and a restart gives no new link.
	code2, out, errs := runCLI(t, nil, "admin", "account", "list", "--database", "sqlite:"+filepath.Join(dir, "rounds-data", "rounds.db"))
	if code2 != 0 || !contains(out, "chief", "owner", "active") {
		t.Fatalf("admin list = %d\n%s%s", code2, out, errs)
	}
	c2 := startChild(t, dir, nil)
	if strings.Contains(c2.logs.String(), "setup_url") {
		t.Fatal("a server with an admin still prints a setup link")
	}
	c2.stop(syscall.SIGTERM)
}

func TestSIGTERMFinishesRequestsInFlight(t *testing.T) {
	c := startChild(t, t.TempDir(), nil)
	var wg sync.WaitGroup
	var status int
	var body string
	var reqErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Get(c.base + "/test/slow?ms=1500")
		if err != nil {
			reqErr = err
			return
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, reqErr = io.Copy(b, resp.Body)
		status, body = resp.StatusCode, b.String()
	}()
	time.Sleep(300 * time.Millisecond) // the request is in flight
	if code := c.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
	wg.Wait()
	if reqErr != nil || status != http.StatusOK || body != "done" {
		t.Fatalf("the request in flight got %d %q %v; want it finished", status, body, reqErr)
	}
	if !strings.Contains(c.logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", c.logs.String())
	}
}

func TestBodyOverLimitIsRefusedWith413(t *testing.T) {
	c := startChild(t, t.TempDir(), nil)
	big := strings.NewReader(strings.Repeat("x", maxRequestBody+1))
	resp, err := http.Post(c.base+"/setup/whatever", "application/x-www-form-urlencoded", big)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", resp.StatusCode)
	}
	c.stop(syscall.SIGTERM)
}
