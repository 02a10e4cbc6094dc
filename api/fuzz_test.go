package api

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func FuzzPageFrom(f *testing.F) {
	for _, q := range []string{"", "limit=40", "max_id=113498765432109876&limit=20", "since_id=1&min_id=2", "limit=0", "limit=-5",
		"limit=99999999999999999999", "max_id=-1", "max_id=abc", "limit=1e3", "min_id=9223372036854775807", "limit=%00"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		pg, err := pageFrom(params(vals), 20, 40)
		if err != nil {
			return
		}
		if pg.Limit < 1 || pg.Limit > 40 {
			t.Fatalf("%q gave limit %d", q, pg.Limit)
		}
		if pg.MaxID < 0 || pg.MinID < 0 || pg.SinceID < 0 {
			t.Fatalf("%q gave %+v", q, pg)
		}
		// The Link header an app follows next parses again.
		r := httptest.NewRequest(http.MethodGet, "/api/v1/timelines/home", nil)
		r.URL.RawQuery = vals.Encode()
		w := httptest.NewRecorder()
		setLink(w, r, "https://rounds.example", 200, 100, 1)
		for _, l := range strings.Split(w.Header().Get("Link"), ", ") {
			u, _, _ := strings.Cut(strings.TrimPrefix(l, "<"), ">")
			next, err := url.Parse(u)
			if err != nil {
				t.Fatalf("Link %q: %v", l, err)
			}
			if _, err := pageFrom(params(next.Query()), 20, 40); err != nil {
				t.Fatalf("Link %q reads as %v", l, err)
			}
		}
	})
}

// multipartSeed is a form as apps send it with an image.
func multipartSeed(f *testing.F) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("description", "ECG, lead II")
	mw.WriteField("focus", "0.1,-0.3")
	fw, _ := mw.CreateFormFile("file", "ecg.png")
	fw.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func FuzzParseParams(f *testing.F) {
	ct, body := multipartSeed(f)
	f.Add(ct, body)
	f.Add("application/json", []byte(`{"status":"hi","media_ids":["1","2"],"poll":{"options":["a","b"],"expires_in":3600},"sensitive":true,"x":null}`))
	f.Add("application/json", []byte(`{"a":{"b":[{"c":[1,[2]]}]}}`))
	f.Add("application/x-www-form-urlencoded", []byte("status=hi&media_ids[]=1&media_ids[]=2"))
	f.Add(`multipart/form-data; boundary="x"`, []byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--"))
	f.Add(`multipart/form-data; boundary=x`, []byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"))
	f.Add("text/plain", []byte("x"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/statuses", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		p, err := parseParams(r)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil {
			if e, ok := err.(*apiError); !ok || e.status != http.StatusBadRequest {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		for k, v := range p {
			if v == nil && !strings.HasSuffix(k, "[]") {
				t.Fatalf("key %q has no values", k)
			}
		}
	})
}
