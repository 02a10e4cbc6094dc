package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"rounds/storage"
)

func TestRateLimitsAndCORS(t *testing.T) {
	n := startNode(t, storage.SQLite)

	// Sign-in attempts are limited sooner, per address.
	var code int
	for i := 0; i < 26; i++ {
		resp, err := http.PostForm(n.base+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {"x"}, "password": {"y"}, "client_id": {"nope"}})
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		code = resp.StatusCode
		if i < 25 && code == http.StatusTooManyRequests {
			t.Fatalf("sign-in attempt %d was limited", i+1)
		}
		if code == http.StatusTooManyRequests && body["error"] == nil {
			t.Fatal("429 without a JSON error")
		}
	}
	if code != http.StatusTooManyRequests {
		t.Fatalf("sign-in attempt 26 = %d, want 429", code)
	}

	// The 25 token requests that got through count towards the address's 300 too.
	var last *http.Response
	accepted := 0
	for i := 0; i < 400; i++ {
		resp, err := http.Get(n.base + "/api/v1/custom_emojis")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		last = resp
		if resp.StatusCode != 200 {
			break
		}
		accepted++
	}
	if last.StatusCode != http.StatusTooManyRequests || accepted+25 != 300 {
		t.Fatalf("after %d accepted requests: %d, want 429 after 275", accepted, last.StatusCode)
	}
	if last.Header.Get("X-RateLimit-Limit") != "300" || last.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("limit headers = %v", last.Header)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", last.Header.Get("X-RateLimit-Reset")); err != nil {
		t.Fatalf("X-RateLimit-Reset %q is not an ISO 8601 time", last.Header.Get("X-RateLimit-Reset"))
	}

	// A browser client's preflight is answered for any origin.
	req, _ := http.NewRequest("OPTIONS", n.base+"/api/v1/statuses", nil)
	req.Header.Set("Origin", "https://elk.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.StatusCode >= 300 {
		t.Fatalf("preflight = %d %v", resp.StatusCode, resp.Header)
	}
}
