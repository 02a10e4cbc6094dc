package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
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
