package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"rounds/storage"
)

// --debug-listen serves Go's profiler on its own address, and nothing of it
// on the public one.
func TestDebugListenServesTheProfilerApart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := ln.Addr().String()
	ln.Close()
	n := startNodeWith(t, storage.SQLite, func(rc *rawConfig) { rc.debugListen = debugAddr })
	resp, err := http.Get("http://" + debugAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("profiler answered %d: %.200s", resp.StatusCode, body)
	}
	resp, err = http.Get(n.base + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("the public address serves the profiler")
	}
}
