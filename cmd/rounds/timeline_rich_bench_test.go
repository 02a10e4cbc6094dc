package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// richCall sends one API request with token and decodes a JSON answer
// into out (when not nil), failing on anything but 200.
func richCall(tb testing.TB, n *node, token, method, path, ct string, body io.Reader, out any) {
	tb.Helper()
	req, _ := http.NewRequest(method, n.base+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("%s %s = %d: %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			tb.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// seedRichTimeline fills a home timeline the way people do, through the
// API: four authors the reader follows post 48 statuses that mention the
// reader and each other, carry hashtags, images (every third) and polls
// (every third); they boost each other's posts; the reader favourites,
// bookmarks and boosts some. It returns the reader's token.
func seedRichTimeline(tb testing.TB, n *node) string {
	tb.Helper()
	n.user(tb, "reader", false)
	reader := signInTB(tb, n, "reader")
	authors := []string{"dr_ana", "dr_bo", "dr_cy", "dr_di"}
	tokens := map[string]string{}
	for _, a := range authors {
		acc := n.user(tb, a, false)
		tokens[a] = signInTB(tb, n, a)
		richCall(tb, n, reader, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", acc.ID), "", nil, nil)
	}
	var img bytes.Buffer
	if err := png.Encode(&img, gradient(32, 24)); err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for i := 0; i < 48; i++ {
		a := authors[i%len(authors)]
		form := url.Values{"status": {fmt.Sprintf("Ward round note %d for @reader and @%s: #cardiology #teaching", i, authors[(i+1)%len(authors)])}}
		switch i % 3 {
		case 0:
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("file", "film.png")
			fw.Write(img.Bytes())
			mw.WriteField("description", "A teaching film")
			mw.Close()
			var m struct {
				ID string `json:"id"`
			}
			richCall(tb, n, tokens[a], "POST", "/api/v1/media", mw.FormDataContentType(), &body, &m)
			form["media_ids[]"] = []string{m.ID}
		case 1:
			form["poll[options][]"] = []string{"Beta blocker", "Calcium channel blocker", "Watch and wait"}
			form.Set("poll[expires_in]", "86400")
		}
		var st struct {
			ID string `json:"id"`
		}
		richCall(tb, n, tokens[a], "POST", "/api/v1/statuses", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), &st)
		ids = append(ids, st.ID)
	}
	for i, id := range ids {
		switch i % 4 {
		case 0:
			richCall(tb, n, reader, "POST", "/api/v1/statuses/"+id+"/favourite", "", nil, nil)
		case 1:
			richCall(tb, n, reader, "POST", "/api/v1/statuses/"+id+"/bookmark", "", nil, nil)
		case 2:
			// Another author boosts it: a boost in the reader's home.
			richCall(tb, n, tokens[authors[(i+1)%len(authors)]], "POST", "/api/v1/statuses/"+id+"/reblog", "", nil, nil)
		}
		if i%5 == 0 {
			richCall(tb, n, reader, "POST", "/api/v1/statuses/"+id+"/reblog", "", nil, nil)
		}
	}
	return reader
}

// BenchmarkHomeTimelineRich reads a home timeline of 40 statuses with
// images, polls, boosts, mentions, tags and the reader's marks through
// the API. Besides ns/op (wall clock) it reports cpu-ns/op, the
// processor time of the whole process (server and client) per request,
// which other load on the machine disturbs less.
func BenchmarkHomeTimelineRich(b *testing.B) {
	n := startBenchNode(b)
	token := seedRichTimeline(b, n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func() {
		req, _ := http.NewRequest("GET", n.base+"/api/v1/timelines/home?limit=40", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("home = %d", resp.StatusCode)
		}
	}
	get()
	// The rate limit allows 300 requests per token in 5 minutes.
	tokens := []string{token}
	for range 20 {
		tokens = append(tokens, signInTB(b, n, "reader"))
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	c0 := cpu()
	for i := 0; i < b.N; i++ {
		token = tokens[(i/250)%len(tokens)]
		get()
	}
	c1 := cpu()
	b.StopTimer()
	b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
}
