package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestSIGKILLMidIngestionAndUploadKeepsWhatWasAccepted kills a server with
// SIGKILL while remote servers deliver posts to its inbox and a clinician
// uploads images, restarts it on the same database and data folder, and
// checks that every post answered 202 is stored once and whole, every
// upload answered 200 has its row and file, no file is left without its
// row, no job stays running, and the database is sound.
func TestSIGKILLMidIngestionAndUploadKeepsWhatWasAccepted(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		dbURL := storagetest.NewURL(t, dialect)
		if code, _, errs := runCLI(t, nil, "migrate", "--database", dbURL); code != 0 {
			t.Fatal(errs)
		}
		db, err := storage.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		svc := social.New(social.Options{DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}), Domain: addr, Protocol: "http"})
		doc, err := svc.CreateUser(ctx, social.NewUser{Username: "doc", Password: "a long password", Approved: true})
		if err != nil {
			t.Fatal(err)
		}

		dir := t.TempDir()
		args := []string{"--database", dbURL, "--domain", addr, "--protocol", "http", "--allow-private-addresses", "127.0.0.0/8", "--job-timeout", "2s"}
		c := startChildAt(t, dir, addr, nil, args...)
		token := signIn(t, &node{base: c.base}, "doc").Config.AccessToken
		rem := newFakeRemote(t, fakeRemoteOptions{}, "mallory")
		mallory := rem.actorURI("mallory")
		create := func(noteID string) []byte {
			body, err := federation.MarshalActivity(federation.ActivityDoc{
				ID: noteID + "/activity", Type: "Create", Actor: mallory, Published: time.Now().UTC(),
				To: []string{doc.Account.URI}, ObjectID: noteID,
				Note: &federation.NoteDoc{
					ID: noteID, Type: "Note", URL: noteID, AttributedTo: mallory,
					Content: "<p>@doc the labs are back</p>", To: []string{doc.Account.URI},
					Tags:      []federation.Tag{{Type: "Mention", Href: doc.Account.URI, Name: "@doc@" + addr}},
					Published: time.Now().UTC(),
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			return body
		}

		// Deliveries and uploads run side by side until the kill.
		var mu sync.Mutex
		var acceptedNotes, acceptedMedia []string
		var sentNotes, sentUploads atomic.Int64
		stopSending := make(chan struct{})
		var wg sync.WaitGroup
		img := testPNG(t, 800, 600) // with a preview: two files per upload
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stopSending:
						return
					default:
					}
					noteID := rem.nextID("mallory", "statuses")
					sentNotes.Add(1)
					resp, err := rem.send(ctx, c.base+"/inbox", rem.signer("mallory"), create(noteID))
					if err != nil {
						continue // the server is gone: the outcome is unknown
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						mu.Lock()
						acceptedNotes = append(acceptedNotes, noteID)
						mu.Unlock()
					}
				}
			}()
		}
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stopSending:
						return
					default:
					}
					sentUploads.Add(1)
					code, body := uploadImageTo(c.base, token, img)
					if code == http.StatusOK || code == http.StatusAccepted {
						var m struct{ ID string }
						if json.Unmarshal([]byte(body), &m) == nil {
							mu.Lock()
							acceptedMedia = append(acceptedMedia, m.ID)
							mu.Unlock()
						}
					}
				}
			}()
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			notes, media := len(acceptedNotes), len(acceptedMedia)
			mu.Unlock()
			if notes >= 40 && media >= 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d posts and %d uploads accepted in 20s", notes, media)
			}
			time.Sleep(5 * time.Millisecond)
		}
		c.stop(syscall.SIGKILL)
		close(stopSending)
		wg.Wait()
		mu.Lock()
		notes, media := append([]string(nil), acceptedNotes...), append([]string(nil), acceptedMedia...)
		mu.Unlock()

		// What the kill left in the media folder, seen before the restart.
		mediaDir := filepath.Join(dir, "rounds-data", "media")
		leftTmp, leftOrphans := 0, 0
		entries, _ := os.ReadDir(mediaDir)
		known := map[string]bool{}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if known, err = db.MediaFileNamesKnown(ctx, names); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			switch {
			case strings.HasPrefix(name, ".upload-"):
				leftTmp++
			case !known[name]:
				leftOrphans++
			}
		}
		// The restart comes later than the sweep's margin: the files'
		// times say so. A stale temporary file and an image without a row
		// stand for what a kill can leave, whether or not this one did.
		old := time.Now().Add(-time.Hour)
		for _, name := range names {
			_ = os.Chtimes(filepath.Join(mediaDir, name), old, old)
		}
		for _, name := range []string{".upload-123456", "0123456789abcdef0123456789abcdef.png"} {
			p := filepath.Join(mediaDir, name)
			if err := os.WriteFile(p, []byte("left over"), 0o600); err != nil {
				t.Fatal(err)
			}
			_ = os.Chtimes(p, old, old)
		}

		var runningAtKill int
		if err := db.QueryRowForTest(ctx, "SELECT count(*) FROM river_job WHERE state = 'running'").Scan(&runningAtKill); err != nil {
			t.Fatal(err)
		}
		c2 := startChildAt(t, dir, addr, nil, args...)
		// Stuck jobs are rescued and run; none stays running.
		running := -1
		for end := time.Now().Add(15 * time.Second); ; {
			if err := db.QueryRowForTest(ctx, "SELECT count(*) FROM river_job WHERE state = 'running'").Scan(&running); err != nil {
				t.Fatal(err)
			}
			if running == 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%d jobs still running 15s after the restart", running)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for end := time.Now().Add(10 * time.Second); ; {
			_, err1 := os.Stat(filepath.Join(mediaDir, ".upload-123456"))
			_, err2 := os.Stat(filepath.Join(mediaDir, "0123456789abcdef0123456789abcdef.png"))
			if os.IsNotExist(err1) && os.IsNotExist(err2) {
				break
			}
			if time.Now().After(end) {
				t.Fatal("the restarted server did not sweep the stale upload files")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if code, body := get(t, c2.base+"/readyz"); code != http.StatusOK {
			t.Fatalf("/readyz after the restart: %d %s", code, body)
		}
		c2.stop(syscall.SIGTERM)

		// Every post answered 202 is stored, once, with its author and its
		// mention; no post at all is without them.
		malloryHere, err := db.AccountByURI(ctx, mallory)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range notes {
			var n int
			if err := db.QueryRowForTest(ctx, "SELECT count(*) FROM statuses WHERE uri = ?", id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("accepted post %s stored %d times", id, n)
			}
		}
		var stored, noMention, noAccount int
		q := func(dst *int, query string, args ...any) {
			t.Helper()
			if err := db.QueryRowForTest(ctx, query, args...).Scan(dst); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		q(&stored, "SELECT count(*) FROM statuses WHERE account_id = ?", malloryHere.ID)
		q(&noMention, "SELECT count(*) FROM statuses s WHERE s.account_id = ? AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ?)", malloryHere.ID, doc.Account.ID)
		q(&noAccount, "SELECT count(*) FROM statuses s WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.account_id)")
		if noMention != 0 || noAccount != 0 {
			t.Fatalf("half-written posts: %d without their mention, %d without their account", noMention, noAccount)
		}
		if stored < len(notes) {
			t.Fatalf("%d posts stored, %d accepted", stored, len(notes))
		}
		// Every upload answered 200 has its row and files; every file has
		// its row.
		var mediaRows int
		q(&mediaRows, "SELECT count(*) FROM media_attachments")
		for _, id := range media {
			var file, preview string
			if err := db.QueryRowForTest(ctx, "SELECT file_name, preview_file_name FROM media_attachments WHERE id = ?", id).Scan(&file, &preview); err != nil {
				t.Fatalf("accepted upload %s: %v", id, err)
			}
			for _, name := range []string{file, preview} {
				if _, err := os.Stat(filepath.Join(mediaDir, name)); name != "" && err != nil {
					t.Fatalf("accepted upload %s lost its file: %v", id, err)
				}
			}
		}
		entries, _ = os.ReadDir(mediaDir)
		names = names[:0]
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if known, err = db.MediaFileNamesKnown(ctx, names); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if !known[name] {
				t.Fatalf("media file %s has no row after the restart", name)
			}
		}
		if dialect == storage.SQLite {
			var res string
			q2 := db.QueryRowForTest(ctx, "PRAGMA integrity_check")
			if err := q2.Scan(&res); err != nil || res != "ok" {
				t.Fatalf("integrity_check: %q %v", res, err)
			}
		}
		t.Logf("%s: %d inbox posts sent, %d answered 202, %d stored (each accepted one once); %d uploads sent, %d answered 200, %d media rows, %d files; the kill left %d temporary files and %d files without a row, swept at the restart; %d jobs were left running, 0 after the restart",
			dialect, sentNotes.Load(), len(notes), stored, sentUploads.Load(), len(media), mediaRows, len(names), leftTmp, leftOrphans, runningAtKill)
	})
}

// uploadImageTo uploads img to base's POST /api/v2/media; 0 when the
// server does not answer.
func uploadImageTo(base, token string, img []byte) (int, string) {
	body, ctype := multipartImage(img)
	req, err := http.NewRequest("POST", base+"/api/v2/media", body)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// multipartImage is a form with img as its file and a description.
func multipartImage(img []byte) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "chart.png")
	_, _ = fw.Write(img)
	_ = mw.WriteField("description", "a chart")
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}
