package social

import "rounds/storage"

// OutOfSpaceMessage is what a front end answers, with 503, when a write
// failed because the server's disk (or database) is full.
const OutOfSpaceMessage = "The server is out of storage space; try again later"

// IsOutOfSpace reports whether err is a write that failed because the disk
// or the database is full; it may succeed once space returns.
func IsOutOfSpace(err error) bool { return storage.IsOutOfSpace(err) }
