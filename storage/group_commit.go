package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// SQLite has one writer at a time. When many requests write at once (an
// inbox taking activities from many servers), handing the single write
// connection from one goroutine to the next, and a BEGIN and COMMIT for each,
// cost more than the writes themselves. So on SQLite, transactions go
// through a committer: one goroutine takes every transaction that is waiting
// and runs them one after another inside one SQLite transaction, each in its
// own savepoint, so that one which fails is rolled back alone. Each caller
// returns after the shared COMMIT, so a transaction that returns nil is
// durable, exactly as with a transaction of its own ("group commit").

// maxGroup bounds how many transactions share one COMMIT, so that a caller
// never waits behind an unbounded queue.
const maxGroup = 64

// committer runs write transactions in groups on the single SQLite writer.
type committer struct {
	db      *bun.DB
	ps      *preparedSet
	dialect Dialect
	queue   chan *groupTxn
	// wake wakes the job queue after a COMMIT that made jobs.
	wake *waker

	stopOnce sync.Once
	stop     chan struct{}
	stopped  chan struct{}
}

// groupTxn is one caller's transaction waiting in, or run by, the committer.
type groupTxn struct {
	fn func(tx Tx) error
	// state is queued, running or abandoned (its caller gave up before it
	// ran; it is then never run).
	state atomic.Int32
	err   error
	// jobs records whether fn inserted jobs.
	jobs txJobs
	// panicked holds what fn panicked with, re-raised in the caller.
	panicked any
	done     chan struct{}
}

const (
	txnQueued int32 = iota
	txnRunning
	txnAbandoned
)

var errCommitterClosed = errors.New("storage: the database is closed")

func newCommitter(db *bun.DB, ps *preparedSet, dialect Dialect, wake *waker) *committer {
	c := &committer{
		db: db, ps: ps, dialect: dialect, wake: wake,
		queue:   make(chan *groupTxn, maxGroup),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go c.loop()
	return c
}

// close stops the committer after the groups it has taken.
func (c *committer) close() {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.stopped
}

// run queues fn and waits for its outcome. A caller whose ctx ends while fn
// is still queued returns ctx's error and fn is never run; once fn runs, the
// caller waits for the commit.
func (c *committer) run(ctx context.Context, fn func(tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &groupTxn{fn: fn, done: make(chan struct{})}
	select {
	case c.queue <- t:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errCommitterClosed
	}
	select {
	case <-t.done:
	case <-ctx.Done():
		if t.state.CompareAndSwap(txnQueued, txnAbandoned) {
			return ctx.Err()
		}
		<-t.done
	case <-c.stopped:
		// Queued just as the committer stopped (select picks at random
		// among ready cases), after it drained the queue: nobody will
		// run it.
		if t.state.CompareAndSwap(txnQueued, txnAbandoned) {
			return errCommitterClosed
		}
		<-t.done
	}
	if t.panicked != nil {
		panic(t.panicked)
	}
	return t.err
}

func (c *committer) loop() {
	defer close(c.stopped)
	group := make([]*groupTxn, 0, maxGroup)
	for {
		group = group[:0]
		select {
		case t := <-c.queue:
			group = append(group, t)
		case <-c.stop:
			c.drain()
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case t := <-c.queue:
				group = append(group, t)
			default:
				break more
			}
		}
		c.runGroup(group)
	}
}

// drain answers whatever is still queued once the committer stops.
func (c *committer) drain() {
	for {
		select {
		case t := <-c.queue:
			if t.state.CompareAndSwap(txnQueued, txnRunning) {
				t.err = errCommitterClosed
			}
			close(t.done)
		default:
			return
		}
	}
}

// runGroup runs the transactions of one group under one COMMIT.
func (c *committer) runGroup(group []*groupTxn) {
	live := group[:0]
	for _, t := range group {
		if t.state.CompareAndSwap(txnQueued, txnRunning) {
			live = append(live, t)
		} else {
			close(t.done)
		}
	}
	if len(live) == 0 {
		return
	}
	finish := func(ts []*groupTxn, err error) {
		if err == nil {
			// Woken before the callers return: a job a caller made is
			// already on its way when its request ends.
			for _, t := range ts {
				if t.err == nil && t.panicked == nil && t.jobs.inserted {
					c.wake.wake()
					break
				}
			}
		}
		for _, t := range ts {
			if t.err == nil && t.panicked == nil {
				t.err = err
			}
			close(t.done)
		}
	}
	// The transaction is the committer's, not any one caller's: a caller
	// whose request ends must not roll back the others' work.
	btx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		finish(live, fmt.Errorf("begin: %w", err))
		return
	}
	tx := Tx{queries: queries{w: btx, r: btx, ps: c.ps, sqlTx: btx.Tx, scanner: c.db}, tx: btx, dialect: c.dialect}
	if len(live) == 1 {
		// Alone: no savepoint needed, the transaction is its own.
		t := live[0]
		tx.search = &searchBatch{}
		tx.jobs = &t.jobs
		t.err, t.panicked = callTxn(t, tx)
		if t.err == nil && t.panicked == nil {
			t.err = tx.writeSearchIndex(context.Background(), tx.search.entries)
		}
		if t.err != nil || t.panicked != nil {
			_ = btx.Rollback()
			finish(live, nil)
			return
		}
		finish(live, btx.Commit())
		return
	}
	var search []searchEntry
	for i, t := range live {
		tx.search = &searchBatch{}
		tx.jobs = &t.jobs
		if _, err := btx.ExecContext(context.Background(), "SAVEPOINT grp"); err != nil {
			_ = btx.Rollback()
			finish(live[:i], errGroupFailed(err))
			finish(live[i:], errGroupFailed(err))
			return
		}
		t.err, t.panicked = callTxn(t, tx)
		if t.err != nil || t.panicked != nil {
			_, err = btx.ExecContext(context.Background(), "ROLLBACK TO grp")
		}
		if err == nil {
			_, err = btx.ExecContext(context.Background(), "RELEASE grp")
		}
		if err != nil {
			// The savepoint could not be undone or released: nothing of
			// the group can be trusted, so none of it is kept. When t's
			// own error caused it (SQLite rolls the whole transaction
			// back on some errors, a full disk among them), the others
			// carry that cause too, so that they are answered as it is.
			_ = btx.Rollback()
			if t.err != nil {
				err = fmt.Errorf("%w, after %w", err, t.err)
			}
			for _, u := range live {
				if u.err == nil && u.panicked == nil {
					u.err = errGroupFailed(err)
				}
			}
			finish(live, nil)
			return
		}
		if t.err == nil && t.panicked == nil {
			search = append(search, tx.search.entries...)
		}
	}
	tx.search = nil
	if err := tx.writeSearchIndex(context.Background(), search); err != nil {
		_ = btx.Rollback()
		finish(live, errGroupFailed(err))
		return
	}
	finish(live, btx.Commit())
}

func errGroupFailed(err error) error {
	return fmt.Errorf("storage: a transaction shared with others failed: %w", err)
}

// callTxn runs one caller's fn, catching a panic so that the committer and
// the rest of the group survive it.
func callTxn(t *groupTxn, tx Tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return t.fn(tx), nil
}
