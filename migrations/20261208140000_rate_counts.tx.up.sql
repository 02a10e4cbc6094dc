-- Requests counted against a rate limit, per key (the limit's name and a
-- token or an address) and window (its start, in Unix seconds), so that
-- every process serving a PostgreSQL database counts the same requests.
-- SQLite keeps its counts in memory: one process serves it. A row may go
-- once its window and the next are over (expires_at, Unix seconds).
CREATE TABLE rate_counts (
	key TEXT NOT NULL,
	window_start BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (key, window_start)
);
--bun:split

CREATE INDEX rate_counts_expires_at ON rate_counts (expires_at);
