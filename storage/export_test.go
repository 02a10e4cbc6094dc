package storage

// SetPGFewMatches changes how many matches a PostgreSQL search reads
// before taking its words to be common, until the returned function is
// called.
func SetPGFewMatches(n int) (restore func()) {
	was := pgFewMatches
	pgFewMatches = n
	return func() { pgFewMatches = was }
}

// OutOfSpaceSeen reports whether db remembers a write that failed for lack
// of space.
func OutOfSpaceSeen(db *DB) bool { return db.full.seen.Load() }
