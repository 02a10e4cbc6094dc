package storage

import (
	"context"
	"errors"
	"fmt"
)

// VacuumInto writes a consistent copy of a SQLite database to path, which
// must not exist, while the server goes on writing: the copy is taken from
// one read transaction (WAL mode lets writers carry on beside it). It runs
// on the writer connection, as the reader ones are query-only; in the
// admin command that runs it, no one else writes through this DB.
func (db *DB) VacuumInto(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return errors.New("VACUUM INTO is for SQLite databases")
	}
	if _, err := db.write.DB.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("sqlite: copy the database to %s: %w", path, err)
	}
	return nil
}

// HasTables reports whether the database holds any table, so that a
// restore can refuse to write over one in use.
func (db *DB) HasTables(ctx context.Context) (bool, error) {
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'rounds_probe'"
	if db.dialect == Postgres {
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	var n int
	if err := db.read.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("list tables: %w", err)
	}
	return n > 0, nil
}
