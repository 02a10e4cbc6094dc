package storage

import (
	"context"
	"database/sql"
)

// Pools returns the connection pools behind the database by name, for
// their statistics: "write" and "read" on SQLite, "main" on PostgreSQL,
// where both are one pool.
func (db *DB) Pools() map[string]*sql.DB {
	if db.write.DB == db.read.DB {
		return map[string]*sql.DB{"main": db.write.DB}
	}
	return map[string]*sql.DB{"write": db.write.DB, "read": db.read.DB}
}

// Pending counts the jobs of one kind that have not yet finished
// (waiting, scheduled, to be retried or running) and says how long ago the
// oldest of them was queued, in seconds (0 when there is none). It reads
// River's job table; finished jobs are left out by state, which River's
// indexes serve.
func (j *Jobs) Pending(ctx context.Context, kind string) (n int64, oldestSeconds float64, err error) {
	db := j.db
	q := `SELECT count(*), COALESCE((julianday('now') - julianday(min(created_at))) * 86400.0, 0)
		FROM river_job WHERE kind = ? AND state IN ('available', 'scheduled', 'retryable', 'running', 'pending')`
	if db.dialect == Postgres {
		q = `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::float8, 0)
		FROM river_job WHERE kind = ? AND state IN ('available', 'scheduled', 'retryable', 'running', 'pending')`
	}
	err = db.read.QueryRowContext(ctx, q, kind).Scan(&n, &oldestSeconds)
	return n, max(oldestSeconds, 0), err
}
