// Package storage owns Rounds' database: opening SQLite or PostgreSQL through
// bun, the schema migrations, the queries the rest of the server needs, and
// the durable job queue that lives beside the data. It knows nothing of HTTP,
// ActivityPub or Mastodon JSON.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names the kind of database behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNotFound is returned when a row that was asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row would break a uniqueness rule.
var ErrConflict = errors.New("already exists")

// DB is an open Rounds database. It is safe for concurrent use.
//
// On SQLite every write and transaction goes through a single connection
// (SQLite allows one writer at a time, and queuing writers in the pool is
// cheaper and fairer than letting them spin on SQLITE_BUSY), while reads use a
// pool of read-only connections that WAL mode lets run beside the writer.
// On PostgreSQL both are the same pool.
type DB struct {
	queries
	write   *bun.DB
	read    *bun.DB
	dialect Dialect
	// group runs SQLite's write transactions (see group_commit.go); nil
	// on PostgreSQL, where transactions run side by side.
	group *committer
	// pgConfig opens the dedicated connections of Listen (PostgreSQL only).
	pgConfig *pgx.ConnConfig
	// jobWake wakes this process's job queue when a transaction that
	// inserted jobs commits (jobs_wake.go).
	jobWake *waker
	// full notes writes that failed for lack of space (full.go).
	full *outOfSpace
}

// Tx is a database transaction; its query methods are those of DB, all run
// inside the transaction.
type Tx struct {
	queries
	tx      bun.Tx
	dialect Dialect
}

// queries carries the query methods shared by DB and Tx: w runs statements
// that change data, r the ones that only read.
type queries struct {
	w bun.IDB
	r bun.IDB
	// ps holds the prepared statements of hot paths (prepared.go); sqlTx
	// is set inside a transaction; scanner scans rows into models.
	ps      *preparedSet
	sqlTx   *sql.Tx
	scanner *bun.DB
	// search, set in a transaction, collects the posts whose words are
	// written to the full-text index when it ends (search.go).
	search *searchBatch
	// jobs, set in a transaction, records that it inserted jobs.
	jobs *txJobs
}

// Open connects to the database named by rawURL: "sqlite:PATH" or a
// "postgres://" URL. For SQLite the file and its directory are created when
// missing. Open checks that the database answers; it does not migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite:"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	default:
		return nil, fmt.Errorf("database URL must start with sqlite: or postgres://, got %q", redact(rawURL))
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: the database path is empty")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	// Each pragma is applied by the driver on every new connection.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction, so a
	// transaction never fails half-way when it first writes.
	// The path goes into a file: URI, where ? starts the parameters and #
	// a fragment: escaped, a path holding them names the file it says.
	uri := "file:" + sqlitePathEscaper.Replace(path)
	writeDSN := uri + "?" + pragmas + "&_txlock=immediate"
	writer, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	if err := pingSQLite(ctx, writer, path); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", uri+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	reader.SetMaxOpenConns(max(2, runtime.GOMAXPROCS(0)))
	reader.SetMaxIdleConns(2)
	w := bun.NewDB(writer, sqlitedialect.New())
	r := bun.NewDB(reader, sqlitedialect.New())
	ps := newPreparedSet(SQLite, writer, reader)
	wake := newWaker()
	full := &outOfSpace{}
	w.AddQueryHook(fullHook{full})
	return &DB{queries: queries{w: w, r: r, ps: ps, scanner: w}, write: w, read: r, dialect: SQLite, group: newCommitter(w, ps, SQLite, wake), jobWake: wake, full: full}, nil
}

var sqlitePathEscaper = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

func pingSQLite(ctx context.Context, db *sql.DB, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// A plain ping does not touch the file; asking for the journal mode does,
	// and fails clearly when the file is not a database or not writable.
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS rounds_probe (x INTEGER); DROP TABLE rounds_probe"); err != nil {
		return fmt.Errorf("sqlite: %s is not writable: %w", path, err)
	}
	return nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: bad URL %s: %w", redact(rawURL), err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(20)
	sqldb.SetMaxIdleConns(5)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("postgres: cannot connect to %s: %w", redact(rawURL), err)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	ps := newPreparedSet(Postgres, sqldb, sqldb)
	full := &outOfSpace{}
	db.AddQueryHook(fullHook{full})
	return &DB{queries: queries{w: db, r: db, ps: ps, scanner: db}, write: db, read: db, dialect: Postgres, pgConfig: cfg.Copy(), jobWake: newWaker(), full: full}, nil
}

// redact hides the password of a database URL so it can be logged.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Dialect reports which kind of database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQLDB returns the database/sql handle that writes go through; the job
// queue shares it so that jobs and data commit together.
func (db *DB) SQLDB() *sql.DB { return db.write.DB }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes every connection.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	db.ps.close()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (also when fn panics). On SQLite, fn may share its COMMIT
// with other transactions (see group_commit.go); it is still all or nothing,
// and durable when InTx returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx Tx) error) error {
	err := db.inTx(ctx, fn)
	db.full.note(err)
	return err
}

func (db *DB) inTx(ctx context.Context, fn func(tx Tx) error) error {
	if db.group != nil {
		return db.group.run(ctx, fn)
	}
	jobs := &txJobs{}
	err := db.write.RunInTx(ctx, nil, func(ctx context.Context, btx bun.Tx) error {
		tx := Tx{queries: queries{w: btx, r: btx, ps: db.ps, sqlTx: btx.Tx, scanner: db.write, search: &searchBatch{}, jobs: jobs}, tx: btx, dialect: db.dialect}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.writeSearchIndex(ctx, tx.search.entries)
	})
	if err == nil && jobs.inserted {
		db.jobWake.wake()
	}
	return err
}

// SQLTx returns the database/sql transaction under tx, for libraries (the job
// queue) that take one.
func (tx Tx) SQLTx() *sql.Tx { return tx.tx.Tx }

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// isUniqueViolation reports whether err is a uniqueness error from either
// dialect.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE 23505") // PostgreSQL
}
