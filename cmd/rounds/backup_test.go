package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// A backup taken while the server serves (and keeps posting) restores into
// a fresh data directory and database that a server starts on with every
// post, account, key and media file of before the backup; a follower on
// another server still receives the next post; and restore refuses a
// target that is not empty.
func noEnvBackup(string) string { return "" }

func TestBackupWhileServingRestoresEverything(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		if dialect == storage.Postgres {
			for _, tool := range []string{"pg_dump", "pg_restore"} {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("%s is not installed", tool)
				}
			}
		}
		ctx := context.Background()
		dataDir := t.TempDir()
		a := startNodeWith(t, dialect, func(rc *rawConfig) { rc.dataDir = dataDir })
		b := startNode(t, dialect)
		alice := a.user(t, "alice", false)
		bob := b.user(t, "bob", false)
		followAcross(t, b, bob, a, "alice")

		var before []*storage.Status
		for i := range 3 {
			m, err := a.svc.UploadMedia(ctx, alice, bytes.NewReader(testPNG(t, 40+i, 30)), fmt.Sprintf("chart %d", i))
			if err != nil {
				t.Fatal(err)
			}
			st, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: fmt.Sprintf("Ward round note %d", i), Visibility: social.VisibilityPublic, MediaIDs: []int64{m.ID}})
			if err != nil {
				t.Fatal(err)
			}
			before = append(before, st)
		}

		// Someone keeps posting while the backup runs.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var during atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: fmt.Sprintf("During the backup %d", i), Visibility: social.VisibilityPublic}); err != nil {
					t.Errorf("posting during the backup: %v", err)
					return
				}
				during.Add(1)
			}
		}()
		archive := filepath.Join(t.TempDir(), "rounds-backup.tar.gz")
		common := []string{"--domain", a.domain, "--protocol", "http"}
		var out, errOut bytes.Buffer
		code := run(ctx, append([]string{"admin", "backup", "--to", archive, "--database", a.dbURL, "--data-dir", dataDir}, common...), &out, &errOut, noEnvBackup)
		close(stop)
		wg.Wait()
		if code != 0 {
			t.Fatalf("backup exited %d: %s%s", code, out.String(), errOut.String())
		}
		if !strings.Contains(errOut.String(), "backup") || !strings.Contains(errOut.String(), "100%") {
			t.Errorf("no progress bar on stderr: %q", errOut.String())
		}
		t.Logf("%s (%d posts made during the backup)", strings.TrimSpace(out.String()), during.Load())
		if code := run(ctx, append([]string{"admin", "backup", "--to", archive, "--database", a.dbURL, "--data-dir", dataDir}, common...), &out, &errOut, noEnvBackup); code == 0 {
			t.Error("a second backup overwrote the first file")
		}

		// The old server goes; a new one is restored under the same name.
		a.stop()
		newDir, newURL := t.TempDir(), storagetest.NewURL(t, dialect)
		if dialect == storage.SQLite {
			newURL = "sqlite:" + filepath.Join(newDir, "rounds.db")
		}
		restore := append([]string{"admin", "restore", "--from", archive, "--database", newURL, "--data-dir", newDir}, common...)
		out.Reset()
		errOut.Reset()
		if code := run(ctx, restore, &out, &errOut, noEnvBackup); code != 0 {
			t.Fatalf("restore exited %d: %s%s", code, out.String(), errOut.String())
		}
		// Not twice: the target is not empty now.
		errOut.Reset()
		if code := run(ctx, restore, &out, &errOut, noEnvBackup); code == 0 || !strings.Contains(errOut.String(), "not empty") && !strings.Contains(errOut.String(), "already") {
			t.Errorf("a restore over a restored server exited %d: %s", code, errOut.String())
		}
		// Nor into an empty directory with a database in use.
		errOut.Reset()
		otherDir := t.TempDir()
		if code := run(ctx, append([]string{"admin", "restore", "--from", archive, "--database", a.dbURL, "--data-dir", otherDir}, common...), &out, &errOut, noEnvBackup); code == 0 || !strings.Contains(errOut.String(), "already") {
			t.Errorf("a restore over the old database exited %d: %s", code, errOut.String())
		}

		a2 := startNodeWith(t, dialect, func(rc *rawConfig) {
			rc.domain, rc.listen, rc.database, rc.dataDir = a.domain, a.domain, newURL, newDir
		})
		alice2, err := a2.svc.LocalAccount(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if alice2.ID != alice.ID || alice2.URI != alice.URI || alice2.PublicKeyPEM != alice.PublicKeyPEM {
			t.Fatalf("alice after the restore: %s %s, key kept %v", alice2.URI, alice2.Username, alice2.PublicKeyPEM == alice.PublicKeyPEM)
		}
		for _, st := range before {
			got, err := a2.svc.StatusByURI(ctx, st.URI)
			if err != nil || got.ID != st.ID || got.Content != st.Content {
				t.Fatalf("post %s after the restore: %+v, %v", st.URI, got, err)
			}
			media, err := a2.svc.StatusMedia(ctx, got)
			if err != nil || len(media) != 1 {
				t.Fatalf("media of %s after the restore: %d, %v", st.URI, len(media), err)
			}
			for _, name := range []string{media[0].FileName, media[0].PreviewFileName} {
				if name == "" {
					continue
				}
				want, err1 := os.ReadFile(filepath.Join(dataDir, "media", name))
				got, err2 := os.ReadFile(filepath.Join(newDir, "media", name))
				if err1 != nil || err2 != nil || !bytes.Equal(want, got) {
					t.Fatalf("media file %s: %v %v, equal %v", name, err1, err2, bytes.Equal(want, got))
				}
			}
		}

		// bob on B still follows alice, and B still trusts her key.
		st, err := a2.svc.PostStatus(ctx, alice2, social.NewStatus{Text: "First post after the restore", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "B receiving the post made after the restore", func() bool {
			_, err := b.svc.StatusByURI(ctx, st.URI)
			return err == nil
		})
	})
}
