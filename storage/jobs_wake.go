package storage

import (
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// Waking the job queue.
//
// River finds new jobs by polling (FetchPollInterval) unless its driver has a
// listener. Both drivers Rounds uses run over database/sql, and River does
// not wake its producer when InsertTx's transaction commits: only its own
// Insert (outside a caller's transaction) and LISTEN/NOTIFY do (River
// v0.51.2, client.go: notifyProducerWithoutListenerJobFetch runs from Insert
// and InsertMany, not from InsertTx; InsertTx only NOTIFYs, which needs a
// listener to be heard). Rounds inserts every job inside the transaction of
// the change that causes it, so the queue used to poll every 50 ms to pick
// jobs up quickly, which kept an idle server busy.
//
// So the queue is woken from here instead, through River's own driver
// interface: the driver Rounds hands River says it has a listener, and that
// listener is in-process. The storage layer knows when a transaction that
// inserted jobs commits (InTx and the group committer) and sends River's
// "new jobs in this queue" notification then; River's producer fetches at
// once. Jobs scheduled for later are made available by River's scheduler,
// which runs every few seconds and moves every job due within its look-ahead;
// the executor below sees which jobs it moved and when each is due, and the
// queue is woken at that time. Polling remains, slowly, for what neither
// sees: jobs inserted by other processes (the admin CLI) on SQLite, or a
// wake-up lost to a crash of this process between commit and wake, or to a
// dropped connection. On PostgreSQL, River NOTIFYs with each insert, and the
// listener also LISTENs for that, so another process's jobs wake it too.

// insertTopic and the payload are River's insert notification (its
// notifier's NotificationTopicInsert and insertPayload).
const insertTopic = "river_insert"

var insertPayload = fmt.Sprintf(`{"queue": %q}`, river.QueueDefault)

// relayInsertPayload wakes the relay queue (jobs.go), after each wake-up
// of the default queue.
var relayInsertPayload = fmt.Sprintf(`{"queue": %q}`, QueueRelay)

// dueMargin is added to a job's due time before waking for it, so that the
// database's clock, to which the fetch compares it, is surely past it.
const dueMargin = 5 * time.Millisecond

// maxDue bounds how many future due times a waker remembers; past that,
// further ones are left to the poll.
const maxDue = 10000

// waker passes wake-ups to the in-process listeners of one database's job
// queues, at once or at a job's due time.
type waker struct {
	mu        sync.Mutex
	listeners map[*wakeListener]struct{}
	due       dueHeap
	timer     *time.Timer
	timerAt   time.Time
}

func newWaker() *waker {
	return &waker{listeners: map[*wakeListener]struct{}{}}
}

// wake tells every listening queue that new jobs may be available.
func (w *waker) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for l := range w.listeners {
		// When a wake-up is waiting already, its fetch comes after this
		// commit too.
		l.poke()
	}
}

// wakeAt wakes the queues when a job due at t becomes due.
func (w *waker) wakeAt(t time.Time) {
	t = t.Add(dueMargin)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.due) >= maxDue {
		return
	}
	heap.Push(&w.due, t)
	w.armLocked()
}

// armLocked sets the timer for the earliest due time.
func (w *waker) armLocked() {
	if len(w.due) == 0 {
		return
	}
	next := w.due[0]
	if w.timer != nil && !w.timerAt.IsZero() && !next.Before(w.timerAt) {
		return // armed for this time or an earlier one already
	}
	d := max(time.Until(next), 0)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
	} else {
		w.timer.Reset(d)
	}
	w.timerAt = next
}

func (w *waker) fire() {
	w.mu.Lock()
	now := time.Now()
	for len(w.due) > 0 && !w.due[0].After(now) {
		heap.Pop(&w.due)
	}
	w.timerAt = time.Time{}
	w.armLocked()
	w.mu.Unlock()
	w.wake()
}

type dueHeap []time.Time

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *dueHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// txJobs marks a transaction that inserted jobs, so that the queue is woken
// when it commits.
type txJobs struct{ inserted bool }

// wakeDriver is the River driver with an in-process listener and an executor
// that reports what River's scheduler makes due.
type wakeDriver struct {
	riverdriver.Driver[*sql.Tx]
	w  *waker
	db *DB
}

// SupportsListener is what makes River start its notifier on the listener
// below (and not poll for queue settings every 2 s).
func (d *wakeDriver) SupportsListener() bool { return true }

// SupportsListenNotify says whether River sends a notification with each
// insert. On PostgreSQL it does (a NOTIFY in the inserting transaction,
// delivered at its commit), and the listener below hears those of other
// processes. On SQLite it would write a row of river_notification that
// nothing reads; this process's inserts are announced after their commit
// anyway.
func (d *wakeDriver) SupportsListenNotify() bool {
	return d.db.dialect == Postgres && d.Driver.SupportsListenNotify()
}

func (d *wakeDriver) GetListener(*riverdriver.GetListenenerParams) riverdriver.Listener {
	return &wakeListener{w: d.w, db: d.db, ch: make(chan struct{}, 1)}
}

func (d *wakeDriver) GetExecutor() riverdriver.Executor {
	return &wakeExecutor{Executor: d.Driver.GetExecutor(), w: d.w}
}

// wakeExecutor passes everything to River's executor; its transactions
// report the jobs that River's scheduler moves.
type wakeExecutor struct {
	riverdriver.Executor
	w *waker
}

func (e *wakeExecutor) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.Executor.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &wakeExecutorTx{ExecutorTx: tx, w: e.w}, nil
}

type wakeExecutorTx struct {
	riverdriver.ExecutorTx
	w   *waker
	due []time.Time
}

// JobSchedule is River's scheduler making scheduled and retryable jobs
// available, up to a few seconds ahead of their time; the fetch takes each
// only once it is due, so the queue is woken then.
func (t *wakeExecutorTx) JobSchedule(ctx context.Context, params *riverdriver.JobScheduleParams) ([]*riverdriver.JobScheduleResult, error) {
	res, err := t.ExecutorTx.JobSchedule(ctx, params)
	for _, r := range res {
		if !r.ConflictDiscarded {
			t.due = append(t.due, r.Job.ScheduledAt)
		}
	}
	return res, err
}

func (t *wakeExecutorTx) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := t.ExecutorTx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &wakeExecutorTx{ExecutorTx: tx, w: t.w}, nil
}

func (t *wakeExecutorTx) Commit(ctx context.Context) error {
	if err := t.ExecutorTx.Commit(ctx); err != nil {
		return err
	}
	now := time.Now()
	woken := false
	for _, at := range t.due {
		if at.After(now) {
			t.w.wakeAt(at)
		} else if !woken {
			t.w.wake()
			woken = true
		}
	}
	return nil
}

// wakeListener is River's listener for one client: its notifications come
// from this process's waker and, on PostgreSQL, from River's insert
// notifications of other processes.
type wakeListener struct {
	w  *waker
	db *DB
	ch chan struct{}
	// relayNext is set when the default queue was woken and the relay
	// queue is to be woken next (only River's notifier goroutine reads
	// notifications, so it needs no lock).
	relayNext bool
	// stop ends the PostgreSQL listen, done closes when it has.
	stop func()
	done chan struct{}
}

func (l *wakeListener) Connect(ctx context.Context) error {
	if l.db.dialect == Postgres && l.stop == nil {
		// River NOTIFYs on "<schema>.river_insert" (its PGNotifyMany).
		var schema string
		if err := l.db.read.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return err
		}
		lctx, cancel := context.WithCancel(context.Background())
		l.stop, l.done = cancel, make(chan struct{})
		go func() {
			defer close(l.done)
			// Connected: what was sent while the connection was down is
			// lost, so fetch once each time it is back.
			_ = l.db.Listen(lctx, Listener{Channel: schema + "." + insertTopic, Name: "rounds jobs", Handle: func(string) { l.poke() }, Connected: l.poke})
		}()
	}
	l.w.mu.Lock()
	l.w.listeners[l] = struct{}{}
	l.w.mu.Unlock()
	return nil
}

func (l *wakeListener) Close(context.Context) error {
	l.w.mu.Lock()
	delete(l.w.listeners, l)
	l.w.mu.Unlock()
	if l.stop != nil {
		l.stop()
		<-l.done
		l.stop = nil
	}
	return nil
}

// poke sends one wake-up, unless one is waiting already.
func (l *wakeListener) poke() {
	select {
	case l.ch <- struct{}{}:
	default:
	}
}

// Listen for the insert topic is River's producer subscribing: it is sent
// one wake-up then, so that a commit woken for while the subscription was
// not yet in place still gets its fetch.
func (l *wakeListener) Listen(_ context.Context, topic string) error {
	if topic == insertTopic {
		l.poke()
	}
	return nil
}

func (l *wakeListener) Unlisten(context.Context, string) error { return nil }
func (l *wakeListener) Ping(context.Context) error             { return nil }
func (l *wakeListener) Schema() string                         { return "" }
func (l *wakeListener) SetAfterConnectExec(string)             {}

func (l *wakeListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	if l.relayNext {
		// Each queue's producer heeds only notifications naming it.
		l.relayNext = false
		return &riverdriver.Notification{Topic: insertTopic, Payload: relayInsertPayload}, nil
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.ch:
		l.relayNext = true
		return &riverdriver.Notification{Topic: insertTopic, Payload: insertPayload}, nil
	}
}
