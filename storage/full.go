package storage

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"modernc.org/sqlite"
)

// IsOutOfSpace reports whether err says the disk (or the database's size
// limit) is full: SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100) or
// ENOSPC from writing a file. Such a write can succeed once space returns.
func IsOutOfSpace(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == 13 { // SQLITE_FULL
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" {
		return true
	}
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "no space left on device")
}

// outOfSpace remembers that a write failed for lack of space, until a
// probe write succeeds (OutOfSpace).
type outOfSpace struct{ seen atomic.Bool }

// noteWrite records the outcome of a write.
func (o *outOfSpace) note(err error) {
	if IsOutOfSpace(err) {
		o.seen.Store(true)
	}
}

// fullHook is a bun query hook on the writer that notes writes that failed
// for lack of space.
type fullHook struct{ o *outOfSpace }

func (h fullHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (h fullHook) AfterQuery(_ context.Context, e *bun.QueryEvent)                    { h.o.note(e.Err) }

// OutOfSpace reports whether the database is out of storage space: a write
// failed for lack of it, and a small probe write still fails. It costs
// nothing while writes succeed.
func (db *DB) OutOfSpace(ctx context.Context) bool {
	if !db.full.seen.Load() {
		return false
	}
	var err error
	if db.dialect == SQLite {
		// A new table takes a page of the file: it fails while the file
		// cannot grow.
		_, err = db.write.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS rounds_space_probe (x INTEGER); DROP TABLE rounds_space_probe")
	} else {
		err = db.probePostgresSpace(ctx)
	}
	if err != nil {
		return IsOutOfSpace(err)
	}
	db.full.seen.Store(false)
	return false
}

// probePostgresSpace writes a few pages to a new table and rolls back:
// extending a table's file is what fails, with disk_full, while the disk
// is full.
func (db *DB) probePostgresSpace(ctx context.Context) error {
	tx, err := db.write.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // nothing is kept
	if _, err := tx.ExecContext(ctx, "CREATE TABLE rounds_space_probe (x BIGINT)"); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO rounds_space_probe SELECT generate_series(1, 2000)")
	return err
}
