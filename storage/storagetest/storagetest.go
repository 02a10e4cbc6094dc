// Package storagetest gives each test a fresh, real database: a new SQLite
// file always, and a new PostgreSQL database when ROUNDS_TEST_POSTGRES_URL
// names a server (CI sets it). Tests never see each other's rows.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"rounds/storage"
)

// PostgresEnv names the environment variable holding the PostgreSQL server
// that tests may create databases on.
const PostgresEnv = "ROUNDS_TEST_POSTGRES_URL"

// Dialects lists the databases a test should run against: SQLite, and
// PostgreSQL when PostgresEnv is set.
func Dialects() []storage.Dialect {
	d := []storage.Dialect{storage.SQLite}
	if os.Getenv(PostgresEnv) != "" {
		d = append(d, storage.Postgres)
	}
	return d
}

// Run runs fn as a subtest once per dialect in Dialects.
func Run(t *testing.T, fn func(t *testing.T, dialect storage.Dialect)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// NewURL creates an empty database of the given dialect for this test and
// returns its URL; the database is removed when the test ends.
func NewURL(t testing.TB, dialect storage.Dialect) string {
	t.Helper()
	if dialect == storage.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "rounds.db")
	}
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		t.Skip(PostgresEnv + " is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "rounds_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a migrated database of the given dialect for this test.
func Open(t testing.TB, dialect storage.Dialect) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), NewURL(t, dialect))
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
