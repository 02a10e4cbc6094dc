package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
)

// apiDo sends a request with a bearer token and returns the status and body.
func apiDo(t *testing.T, method, url, token, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func uploadImage(t *testing.T, n *node, token string, img []byte) (int, string) {
	t.Helper()
	body, ctype := multipartImage(img)
	b, _ := io.ReadAll(body)
	return apiDo(t, "POST", n.base+"/api/v2/media", token, ctype, b)
}

// wantOutOfSpace checks a 503 answer in Mastodon's shape with the message
// that says the server is out of space.
func wantOutOfSpace(t *testing.T, what string, code int, body string) {
	t.Helper()
	var e map[string]any
	if code != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &e) != nil || e["error"] != social.OutOfSpaceMessage {
		t.Fatalf("%s while the disk is full: %d %s, want 503 {\"error\": %q}", what, code, body, social.OutOfSpaceMessage)
	}
}

func integrityOK(t *testing.T, db *storage.DB) {
	t.Helper()
	var res string
	if err := db.QueryRowForTest(context.Background(), "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
}

// mediaFilesMatchRows checks that every file in the media directory is a
// file or preview of a media row, and every local media row has its file.
func mediaFilesMatchRows(t *testing.T, n *node) int {
	t.Helper()
	ctx := context.Background()
	entries, err := os.ReadDir(n.svc.MediaDir())
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		files[e.Name()] = true
		var c int
		if err := n.db.QueryRowForTest(ctx, "SELECT count(*) FROM media_attachments WHERE file_name = ? OR preview_file_name = ?", e.Name(), e.Name()).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("media file %s has %d rows", e.Name(), c)
		}
	}
	var rows int
	if err := n.db.QueryRowForTest(ctx, "SELECT count(*) FROM media_attachments WHERE file_name <> ''").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	var joined *string
	if err := n.db.QueryRowForTest(ctx, "SELECT group_concat(file_name, ' ') FROM media_attachments WHERE file_name <> ''").Scan(&joined); err != nil {
		t.Fatal(err)
	}
	var names []string
	if joined != nil {
		names = strings.Fields(*joined)
	}
	for _, name := range names {
		if !files[name] {
			t.Errorf("media row for %s has no file", name)
		}
	}
	return rows
}

// TestFullDiskRefusesWritesWith503KeepsReadsAndRecovers fills the SQLite
// database (PRAGMA max_page_count on the server's single writer
// connection stands for a full disk) while posting, uploading and taking
// inbox deliveries: each write is refused with a Mastodon-shaped 503, reads
// go on working, /readyz says why, nothing stored is damaged, no media file
// is left without its row, and once space returns the same writes succeed.
func TestFullDiskRefusesWritesWith503KeepsReadsAndRecovers(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	doc := n.user(t, "doc", false)
	token := signIn(t, n, "doc").Config.AccessToken

	// mallory, on another server, and doc follow each other, so that her
	// posts are stored here.
	rem := newFakeRemote(t, fakeRemoteOptions{AutoAccept: true}, "mallory")
	mallory := rem.actorURI("mallory")
	follow, err := federation.MarshalActivity(federation.ActivityDoc{
		ID: rem.nextID("mallory", "follows"), Type: "Follow", Actor: mallory, To: []string{doc.URI}, ObjectID: doc.URI,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp := rem.post(t, doc.InboxURL, "mallory", follow, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", resp.StatusCode, readAll(resp))
	}
	var malloryHere *storage.Account
	eventually(t, "mallory known here", func() bool {
		malloryHere, err = n.svc.AccountByURI(ctx, mallory)
		return err == nil
	})
	if _, err := n.svc.Follow(ctx, doc, malloryHere); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mallory accepting doc's follow", func() bool {
		c, err := n.svc.Counts(ctx, doc)
		return err == nil && c.Following == 1
	})
	create := func(i int) []byte {
		noteID := rem.nextID("mallory", "statuses")
		body, err := federation.MarshalActivity(federation.ActivityDoc{
			ID: noteID + "/activity", Type: "Create", Actor: mallory, Published: time.Now().UTC(),
			To: []string{federation.PublicCollection}, ObjectID: noteID,
			Note: &federation.NoteDoc{
				ID: noteID, Type: "Note", URL: noteID, AttributedTo: mallory,
				Content: fmt.Sprintf("<p>remote note %d %s</p>", i, strings.Repeat("rounds ", 60)),
				To:      []string{federation.PublicCollection}, Published: time.Now().UTC(),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	post := func(text string) (int, string) {
		b, _ := json.Marshal(map[string]any{"status": text, "visibility": "public"})
		return apiDo(t, "POST", n.base+"/api/v1/statuses", token, "application/json", b)
	}
	if code, body := post("before the disk filled"); code != http.StatusOK {
		t.Fatalf("post: %d %s", code, body)
	}
	browser := signedIn(t, n, "doc", "a long password")
	csrf := csrfOf(t, mePage(t, browser, n, "/compose", http.StatusOK))

	// The disk fills: the file may not grow, and its free pages are used
	// up by a table of the test's own.
	if err := n.db.ExecForTest(ctx, "CREATE TABLE fault_filler (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := n.db.QueryRowForTest(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := n.db.ExecForTest(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		err := n.db.ExecForTest(ctx, "INSERT INTO fault_filler VALUES (zeroblob(1000))")
		if storage.IsOutOfSpace(err) {
			break
		}
		if err != nil || i > 100000 {
			t.Fatalf("filling the free pages: %v after %d rows", err, i)
		}
	}

	// Posts: those that fit in the pages' free room are taken, until one
	// needs a new page.
	accepted, failedText := 0, ""
	for i := 0; i < 300 && failedText == ""; i++ {
		text := fmt.Sprintf("post %d while the disk fills %s", i, strings.Repeat("x", 400))
		code, body := post(text)
		switch code {
		case http.StatusOK:
			accepted++
		default:
			wantOutOfSpace(t, "POST /api/v1/statuses", code, body)
			failedText = text
		}
	}
	if failedText == "" {
		t.Fatal("300 posts fitted in a full database")
	}
	// The web page says so too, and keeps what was typed.
	resp, page := postMultipart(t, browser, n, "/compose", url.Values{"csrf_token": {csrf}, "text": {failedText}, "visibility": {"public"}}, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(page, "out of storage space") || !strings.Contains(page, failedText[:40]) {
		t.Fatalf("web compose while full: %d\n%.2000s", resp.StatusCode, page)
	}
	img := testPNG(t, 64, 48)
	mediaAccepted, mediaFailed := 0, false
	for i := 0; i < 300 && !mediaFailed; i++ {
		code, body := uploadImage(t, n, token, img)
		switch code {
		case http.StatusOK, http.StatusAccepted:
			mediaAccepted++
		default:
			wantOutOfSpace(t, "POST /api/v2/media", code, body)
			mediaFailed = true
		}
	}
	if !mediaFailed {
		t.Fatal("300 uploads fitted in a full database")
	}
	inboxAccepted, failedCreate := 0, []byte(nil)
	for i := 0; i < 300 && failedCreate == nil; i++ {
		body := create(i)
		resp := rem.post(t, n.base+"/inbox", "mallory", body, nil)
		switch resp.StatusCode {
		case http.StatusAccepted:
			inboxAccepted++
		default:
			wantOutOfSpace(t, "POST /inbox", resp.StatusCode, readAll(resp))
			failedCreate = body
		}
	}
	if failedCreate == nil {
		t.Fatal("300 inbox deliveries fitted in a full database")
	}
	t.Logf("while full: %d posts, %d uploads, %d inbox Creates taken before the first 503", accepted, mediaAccepted, inboxAccepted)

	// Reads go on.
	if code, body := apiDo(t, "GET", n.base+"/api/v1/timelines/home", token, "", nil); code != http.StatusOK || !strings.Contains(body, "before the disk filled") {
		t.Fatalf("home timeline while full: %d %.200s", code, body)
	}
	if code, _ := apiDo(t, "GET", n.base+"/@doc", "", "", nil); code != http.StatusOK {
		t.Fatalf("profile page while full: %d", code)
	}
	if code, body := apiDo(t, "GET", n.base+"/readyz", "", "", nil); code != http.StatusServiceUnavailable || !strings.Contains(body, "out of storage space") {
		t.Fatalf("/readyz while full: %d %s", code, body)
	}
	integrityOK(t, n.db)
	mediaFilesMatchRows(t, n)

	// Space returns.
	if err := n.db.ExecForTest(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if code, body := apiDo(t, "GET", n.base+"/readyz", "", "", nil); code != http.StatusOK {
		t.Fatalf("/readyz after space returned: %d %s", code, body)
	}
	if code, body := post(failedText); code != http.StatusOK {
		t.Fatalf("the refused post, once space returned: %d %s", code, body)
	}
	if code, body := uploadImage(t, n, token, img); code != http.StatusOK && code != http.StatusAccepted {
		t.Fatalf("the refused upload, once space returned: %d %s", code, body)
	}
	if resp := rem.post(t, n.base+"/inbox", "mallory", failedCreate, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("the refused Create, once space returned: %d %s", resp.StatusCode, readAll(resp))
	}
	c, err := n.svc.Counts(ctx, doc)
	if err != nil || c.Statuses != accepted+2 {
		t.Fatalf("doc has %d statuses (%v), want %d", c.Statuses, err, accepted+2)
	}
	mc, err := n.svc.Counts(ctx, malloryHere)
	if err != nil || mc.Statuses != inboxAccepted+1 {
		t.Fatalf("mallory has %d statuses here (%v), want %d", mc.Statuses, err, inboxAccepted+1)
	}
	if rows := mediaFilesMatchRows(t, n); rows != mediaAccepted+1 {
		t.Fatalf("%d media rows, want %d", rows, mediaAccepted+1)
	}
	integrityOK(t, n.db)
}
