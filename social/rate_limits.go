package social

import (
	"context"
	"sync"
	"time"

	"rounds/storage"
)

// SharedLimits reports whether rate limits must be counted in the database
// (NewLimitCounter) rather than in memory: on PostgreSQL several processes
// may serve the site, and a limit holds across all of them. On SQLite one
// process serves it and counts in memory.
func (s *Service) SharedLimits() bool {
	return s.db != nil && s.db.Dialect() == storage.Postgres
}

// LimitCounter counts requests against one rate limit in the database, so
// that every process serving it counts the same requests. Its methods are
// those of httprate.LimitCounter; a limiter gets one counter of its own.
//
// A limiter reads the count, then adds to it: two processes answering the
// same client at the same instant may each let one request more through.
// When the database does not answer, requests are let through (and the
// failure logged): the limit protects the database, and a request that
// needs it fails by itself.
type LimitCounter struct {
	s      *Service
	name   string
	window time.Duration

	mu         sync.Mutex
	lastPurge  time.Time
	lastWarned time.Time
}

// NewLimitCounter returns a counter for the limit called name; names keep
// the counts of different limits apart.
func (s *Service) NewLimitCounter(name string) *LimitCounter {
	return &LimitCounter{s: s, name: name, window: time.Minute}
}

// limitPurgeEvery is how often a counter deletes expired counts.
const limitPurgeEvery = time.Minute

// limitTimeout bounds one counting query: a slow database must not hold up
// every request.
const limitTimeout = 2 * time.Second

// Config is called once by the limiter with its limit and window.
func (c *LimitCounter) Config(requestLimit int, windowLength time.Duration) {
	c.window = windowLength
}

// Increment adds one request to key's count in currentWindow.
func (c *LimitCounter) Increment(key string, currentWindow time.Time) error {
	return c.IncrementBy(key, currentWindow, 1)
}

// IncrementBy adds amount requests to key's count in currentWindow. Counts
// are kept for two windows: the limiter weighs the previous one.
func (c *LimitCounter) IncrementBy(key string, currentWindow time.Time, amount int) error {
	ctx, cancel := context.WithTimeout(context.Background(), limitTimeout)
	defer cancel()
	if err := c.s.db.AddRateCount(ctx, c.name+":"+key, currentWindow, currentWindow.Add(2*c.window), amount); err != nil {
		c.warn(err)
	}
	c.purge(ctx)
	return nil
}

// Get returns key's counts in the current and the previous window.
func (c *LimitCounter) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limitTimeout)
	defer cancel()
	cur, prev, err := c.s.db.RateCounts(ctx, c.name+":"+key, currentWindow, previousWindow)
	if err != nil {
		c.warn(err)
		return 0, 0, nil
	}
	return cur, prev, nil
}

// purge deletes expired counts, at most once every limitPurgeEvery.
func (c *LimitCounter) purge(ctx context.Context) {
	now := c.s.now()
	c.mu.Lock()
	due := now.Sub(c.lastPurge) >= limitPurgeEvery
	if due {
		c.lastPurge = now
	}
	c.mu.Unlock()
	if !due {
		return
	}
	if _, err := c.s.db.PurgeRateCounts(ctx, now); err != nil {
		c.warn(err)
	}
}

// warn logs a counting failure, once a minute at most: under an outage
// every request fails to count.
func (c *LimitCounter) warn(err error) {
	now := time.Now()
	c.mu.Lock()
	due := now.Sub(c.lastWarned) >= time.Minute
	if due {
		c.lastWarned = now
	}
	c.mu.Unlock()
	if due {
		c.s.log.Warn("could not count requests against a rate limit; letting them through", "limit", c.name, "error", err)
	}
}
