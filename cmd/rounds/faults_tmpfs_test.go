package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"rounds/storage"
)

// TestFullTmpfsRefusesWritesWith503AndRecovers fills a real (small tmpfs)
// disk under the SQLite database and the media folder, when the test may
// mount one (as root); elsewhere it is skipped, and
// TestFullDiskRefusesWritesWith503KeepsReadsAndRecovers covers the same
// with SQLite's page limit.
func TestFullTmpfsRefusesWritesWith503AndRecovers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	// Registered before the node starts: runs after it has stopped.
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	ctx := context.Background()
	n := startNodeWith(t, storage.SQLite, func(rc *rawConfig) {
		rc.database = "sqlite:" + filepath.Join(mnt, "rounds.db")
		rc.dataDir = filepath.Join(mnt, "data")
	})
	doc := n.user(t, "doc", false)
	token := signIn(t, n, "doc").Config.AccessToken
	post := func(text string) (int, string) {
		b, _ := json.Marshal(map[string]any{"status": text})
		return apiDo(t, "POST", n.base+"/api/v1/statuses", token, "application/json", b)
	}
	if code, body := post("before the disk filled"); code != http.StatusOK {
		t.Fatalf("post: %d %s", code, body)
	}
	img := testPNG(t, 64, 48)
	if code, body := uploadImage(t, n, token, img); code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, body)
	}

	// Another program fills the disk.
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	code, body := uploadImage(t, n, token, img)
	wantOutOfSpace(t, "POST /api/v2/media", code, body)
	accepted, failedText := 0, ""
	for i := 0; i < 500 && failedText == ""; i++ {
		text := fmt.Sprintf("post %d on a full disk %s", i, strings.Repeat("y", 400))
		code, body := post(text)
		if code == http.StatusOK {
			accepted++
			continue
		}
		wantOutOfSpace(t, "POST /api/v1/statuses", code, body)
		failedText = text
	}
	if failedText == "" {
		t.Fatal("500 posts were taken on a full disk")
	}
	t.Logf("on the full tmpfs: the upload was refused at once, %d posts were taken (into the WAL's room) before the first 503", accepted)
	if code, body := apiDo(t, "GET", n.base+"/api/v1/timelines/home", token, "", nil); code != http.StatusOK || !strings.Contains(body, "before the disk filled") {
		t.Fatalf("home timeline on a full disk: %d %.200s", code, body)
	}
	if code, body := apiDo(t, "GET", n.base+"/readyz", "", "", nil); code != http.StatusServiceUnavailable || !strings.Contains(body, "out of storage space") {
		t.Fatalf("/readyz on a full disk: %d %s", code, body)
	}
	entries, _ := os.ReadDir(n.svc.MediaDir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".upload-") {
			t.Errorf("the refused upload left %s", e.Name())
		}
	}
	mediaFilesMatchRows(t, n)

	// Space returns.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, body := apiDo(t, "GET", n.base+"/readyz", "", "", nil); code != http.StatusOK {
		t.Fatalf("/readyz once space returned: %d %s", code, body)
	}
	if code, body := post(failedText); code != http.StatusOK {
		t.Fatalf("the refused post, once space returned: %d %s", code, body)
	}
	if code, body := uploadImage(t, n, token, img); code != http.StatusOK {
		t.Fatalf("the refused upload, once space returned: %d %s", code, body)
	}
	c, err := n.svc.Counts(ctx, doc)
	if err != nil || c.Statuses != accepted+2 {
		t.Fatalf("doc has %d statuses (%v), want %d", c.Statuses, err, accepted+2)
	}
	if rows := mediaFilesMatchRows(t, n); rows != 2 {
		t.Fatalf("%d media rows, want 2", rows)
	}
	integrityOK(t, n.db)
}
