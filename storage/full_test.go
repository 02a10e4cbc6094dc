package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"rounds/storage"
	"rounds/storage/storagetest"
)

func TestIsOutOfSpaceKnowsEachDatabaseAndTheFileSystem(t *testing.T) {
	full := []error{
		fmt.Errorf("insert status: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"}),
		fmt.Errorf("store upload: %w", &os.PathError{Op: "write", Path: "/data/media/.upload-1", Err: syscall.ENOSPC}),
		errors.New("database or disk is full (13)"),
	}
	for _, err := range full {
		if !storage.IsOutOfSpace(err) {
			t.Errorf("IsOutOfSpace(%v) = false", err)
		}
	}
	other := []error{nil, storage.ErrNotFound, &pgconn.PgError{Code: "23505"}, &os.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, errors.New("database is locked")}
	for _, err := range other {
		if storage.IsOutOfSpace(err) {
			t.Errorf("IsOutOfSpace(%v) = true", err)
		}
	}
}

// TestOutOfSpaceProbeAnswersOnADatabaseWithRoom: the probe /readyz runs
// after a failed write succeeds, on both databases, when there is room.
func TestOutOfSpaceProbeAnswersOnADatabaseWithRoom(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		if db.OutOfSpace(ctx) {
			t.Fatal("a fresh database is out of space")
		}
		// A failed write (of the kind a full disk gives) sets the flag;
		// the probe finds room and clears it.
		if err := db.InTx(ctx, func(tx storage.Tx) error {
			return &pgconn.PgError{Code: "53100"}
		}); err == nil {
			t.Fatal("the transaction did not fail")
		}
		if !storage.OutOfSpaceSeen(db) {
			t.Fatal("the failed write was not noted")
		}
		if db.OutOfSpace(ctx) {
			t.Fatal("the probe found no room on a database with room")
		}
		if storage.OutOfSpaceSeen(db) {
			t.Fatal("the probe succeeded but the flag stayed set")
		}
	})
}

// TestFullDiskInSharedCommitsFailsEachWithTheCause: on SQLite, many
// transactions share a COMMIT; when the file may not grow, each one that
// fails says it was for lack of space (not some other error of the
// shared transaction), and each is all or nothing.
func TestFullDiskInSharedCommitsFailsEachWithTheCause(t *testing.T) {
	ctx := context.Background()
	db := storagetest.Open(t, storage.SQLite)
	if err := db.ExecForTest(ctx, "CREATE TABLE fault_rows (k TEXT PRIMARY KEY, b BLOB)"); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.QueryRowForTest(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := db.ExecForTest(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+40)); err != nil {
		t.Fatal(err)
	}
	const n = 400
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = db.InTx(ctx, func(tx storage.Tx) error {
				for part := range 2 {
					if err := tx.ExecForTest(ctx, "INSERT INTO fault_rows VALUES (?, zeroblob(700))", fmt.Sprintf("%d/%d", i, part)); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	ok, full := 0, 0
	for i, err := range results {
		var rows int
		if err := db.QueryRowForTest(ctx, "SELECT count(*) FROM fault_rows WHERE k LIKE ?", fmt.Sprintf("%d/%%", i)).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		switch {
		case err == nil && rows == 2:
			ok++
		case storage.IsOutOfSpace(err) && rows == 0:
			full++
		default:
			t.Fatalf("transaction %d: %v, %d of its 2 rows kept", i, err, rows)
		}
	}
	if ok == 0 || full == 0 {
		t.Fatalf("%d kept, %d refused for lack of space: the test proves nothing", ok, full)
	}
	t.Logf("%d transactions kept, %d refused for lack of space", ok, full)
	var res string
	if err := db.QueryRowForTest(ctx, "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
}
