package storage

import (
	"context"
	"fmt"
	"time"
)

// AddRateCount adds n requests to key's count in the window that began at
// window; the count may be purged after expires. Concurrent callers, in
// this process or another, all count: the addition is one atomic upsert.
func (q queries) AddRateCount(ctx context.Context, key string, window, expires time.Time, n int) error {
	if _, err := q.execP(ctx, stmtAddRateCount, key, window.Unix(), expires.Unix(), n); err != nil {
		return fmt.Errorf("add to rate count: %w", err)
	}
	return nil
}

var stmtAddRateCount = prepareWrite(`INSERT INTO rate_counts (key, window_start, expires_at, count) VALUES (?, ?, ?, ?)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counts.count + excluded.count`)

// RateCounts returns key's counts in the windows that began at current and
// at previous (0 where there is none).
func (q queries) RateCounts(ctx context.Context, key string, current, previous time.Time) (cur, prev int, err error) {
	rows, done, err := q.queryP(ctx, stmtRateCounts, key, current.Unix(), previous.Unix())
	if err != nil {
		return 0, 0, fmt.Errorf("read rate counts: %w", err)
	}
	defer done()
	for rows.Next() {
		var start int64
		var n int
		if err := rows.Scan(&start, &n); err != nil {
			return 0, 0, fmt.Errorf("read rate counts: %w", err)
		}
		switch start {
		case current.Unix():
			cur = n
		case previous.Unix():
			prev = n
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("read rate counts: %w", err)
	}
	return cur, prev, nil
}

var stmtRateCounts = prepareRead("SELECT window_start, count FROM rate_counts WHERE key = ? AND window_start IN (?, ?)")

// PurgeRateCounts deletes the counts that expired before t.
func (q queries) PurgeRateCounts(ctx context.Context, t time.Time) (int64, error) {
	res, err := q.execP(ctx, stmtPurgeRateCounts, t.Unix())
	if err != nil {
		return 0, fmt.Errorf("purge rate counts: %w", err)
	}
	return res.RowsAffected()
}

var stmtPurgeRateCounts = prepareWrite("DELETE FROM rate_counts WHERE expires_at < ?")
