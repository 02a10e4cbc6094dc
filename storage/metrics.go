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

// Pending counts the jobs of one kind that have not finished (waiting,
// scheduled, to be retried or running), and says how long the job that
// has waited longest for a worker since it was due has waited, in seconds
// (0 when every due job is running). A retry scheduled for later is
// counted but is not waiting: a peer that is down for days does not make
// the queue look stuck. It reads River's job table once.
func (j *Jobs) Pending(ctx context.Context, kind string) (n int64, waitSeconds float64, err error) {
	q := `SELECT count(*), COALESCE(max(CASE WHEN state <> 'running' AND julianday(scheduled_at) <= julianday('now')
			THEN (julianday('now') - julianday(scheduled_at)) * 86400.0 END), 0)
		FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending') AND kind = ?`
	if j.db.dialect == Postgres {
		q = `SELECT count(*), COALESCE(max(CASE WHEN state <> 'running' AND scheduled_at <= now()
			THEN EXTRACT(EPOCH FROM now() - scheduled_at)::float8 END), 0)
		FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending') AND kind = ?`
	}
	err = j.db.read.QueryRowContext(ctx, q, kind).Scan(&n, &waitSeconds)
	return n, max(waitSeconds, 0), err
}
