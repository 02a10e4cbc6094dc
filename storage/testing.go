package storage

import (
	"context"
	"database/sql"
)

// ExecForTest runs a raw statement, with ? placeholders that bun formats. It exists for tests that need a table
// of their own beside the schema; server code uses the named queries.
func (q queries) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := q.w.ExecContext(ctx, query, args...)
	return err
}

// QueryRowForTest runs a raw query returning one row, for tests.
func (q queries) QueryRowForTest(ctx context.Context, query string, args ...any) *sql.Row {
	return q.w.QueryRowContext(ctx, query, args...)
}
