// Package migrations holds Rounds' database schema as embedded SQL files, one
// source of truth for SQLite and PostgreSQL. Files are text/template documents:
// the few types that differ between the two dialects are written as {{.Name}}
// placeholders filled in by Dialect. A step that needs Go (filling a new
// index from the rows already there) is a Go file named like the SQL ones.
package migrations

import (
	"embed"
	"fmt"

	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var files embed.FS

// Dialect is the template data for one database dialect.
type Dialect struct {
	// Name is "sqlite" or "postgres", for the few statements (triggers) that
	// must be written twice.
	Name string
	// Timestamp is a column type for a point in time.
	Timestamp string
	// Bytes is a column type for raw bytes.
	Bytes string
}

// SQLite and Postgres are the template data for the two supported dialects.
var (
	SQLite   = Dialect{Name: "sqlite", Timestamp: "TIMESTAMP", Bytes: "BLOB"}
	Postgres = Dialect{Name: "postgres", Timestamp: "TIMESTAMPTZ", Bytes: "BYTEA"}
)

// All returns every migration of Rounds' own schema, in order.
func All() (*migrate.Migrations, error) {
	m := migrate.NewMigrations()
	if err := m.Discover(files); err != nil {
		return nil, fmt.Errorf("discover migrations: %w", err)
	}
	registerIndexPosts(m)
	return m, nil
}
