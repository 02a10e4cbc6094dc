package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"rounds/storage"
)

func TestSeedFillsHomeTimelinesAndPrintsWorkingTokens(t *testing.T) {
	n := startNode(t, storage.SQLite)
	n.user(t, "reader", false) // an existing reader is reused
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"ROUNDS_DATABASE": n.dbURL, "ROUNDS_DOMAIN": n.domain, "ROUNDS_LOG_LEVEL": "warn"}[k]
	}
	args := []string{"--accounts", "20", "--statuses", "300", "--follows", "5", "--reader", "reader", "--readers", "2",
		"--password", "a long password", "--tokens", "3"}
	if err := seedCommand(context.Background(), args, &stdout, &stderr, getenv); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr.String())
	}
	tokens := strings.Fields(stdout.String())
	if len(tokens) != 3 {
		t.Fatalf("stdout = %q, want 3 tokens", stdout.String())
	}
	// Each reader follows 5 of 20 accounts, which wrote 15 statuses each:
	// 75 statuses in each home timeline, newest first, paged by the API.
	for i, tok := range tokens[:2] {
		seen, next := 0, n.base+"/api/v1/timelines/home?limit=40"
		var last string
		for next != "" {
			req, _ := http.NewRequest("GET", next, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var page []struct {
				ID string `json:"id"`
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if resp.StatusCode != 200 || err != nil {
				t.Fatalf("token %d: home = %d (%v)", i, resp.StatusCode, err)
			}
			for _, s := range page {
				if last != "" && len(s.ID) == len(last) && s.ID >= last {
					t.Fatalf("token %d: ids not newest first: %s after %s", i, s.ID, last)
				}
				last = s.ID
			}
			seen += len(page)
			next = ""
			if l := resp.Header.Get("Link"); len(page) > 0 && strings.HasPrefix(l, "<") {
				next = strings.TrimPrefix(strings.SplitN(l, ">", 2)[0], "<")
			}
		}
		if seen != 75 {
			t.Fatalf("token %d: %d statuses in the home timeline, want 75", i, seen)
		}
	}

	// Bad numbers are usage errors.
	err := seedCommand(context.Background(), []string{"--accounts", "3", "--follows", "4"}, &stdout, &stderr, getenv)
	if _, ok := err.(*usageError); !ok {
		t.Fatalf("--follows above --accounts: %v, want a usage error", err)
	}
}
