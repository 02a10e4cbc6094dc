package migrations

// IndexPostsForSearch is the Go step of the full-text search migration,
// for its test.
var IndexPostsForSearch = indexPostsForSearch

// SetIndexBatch makes the step index n posts per transaction until the
// returned function is called.
func SetIndexBatch(n int64) (restore func()) {
	was := indexBatch
	indexBatch = n
	return func() { indexBatch = was }
}
