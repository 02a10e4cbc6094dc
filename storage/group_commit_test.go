package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

func countReceived(t *testing.T, db *storage.DB, prefix string) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM received_activities WHERE uri LIKE ?"
	if db.Dialect() == storage.Postgres {
		q = "SELECT count(*) FROM received_activities WHERE uri LIKE $1"
	}
	if err := db.SQLDB().QueryRow(q, prefix+"%").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Transactions that run at once may share a COMMIT (on SQLite), but each is
// still all or nothing: one that fails or panics leaves nothing behind, and
// the others are kept.
func TestConcurrentTransactionsAreEachAllOrNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		const n = 300
		errBoom := errors.New("boom")
		var wg sync.WaitGroup
		results := make([]error, n)
		panics := make([]any, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				results[i] = db.InTx(ctx, func(tx storage.Tx) error {
					for part := range 2 {
						if _, err := tx.MarkReceived(ctx, fmt.Sprintf("https://r.example/a/%d/%d", i, part), time.Now()); err != nil {
							return err
						}
					}
					switch {
					case i%7 == 3:
						return errBoom
					case i == 100:
						panic("a bug in the middle of a transaction")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i := range n {
			kept := countReceived(t, db, fmt.Sprintf("https://r.example/a/%d/", i))
			switch {
			case i == 100:
				if panics[i] != "a bug in the middle of a transaction" {
					t.Errorf("transaction %d: the caller saw panic %v, want the transaction's own", i, panics[i])
				}
				if kept != 0 {
					t.Errorf("transaction %d panicked but %d of its rows were kept", i, kept)
				}
			case i%7 == 3:
				if !errors.Is(results[i], errBoom) {
					t.Errorf("transaction %d: error %v, want its own", i, results[i])
				}
				if kept != 0 {
					t.Errorf("transaction %d failed but %d of its rows were kept", i, kept)
				}
			default:
				if results[i] != nil || panics[i] != nil {
					t.Errorf("transaction %d: %v, %v", i, results[i], panics[i])
				}
				if kept != 2 {
					t.Errorf("transaction %d succeeded but %d of its 2 rows were kept", i, kept)
				}
			}
		}
	})
}

// A caller that gives up while its transaction still waits for the writer
// gets its context's error, and the transaction never runs.
func TestAbandonedTransactionNeverRuns(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		if dialect == storage.Postgres {
			t.Skip("PostgreSQL transactions do not wait for one another here")
		}
		hold, holding := make(chan struct{}), make(chan struct{})
		go func() {
			_ = db.InTx(ctx, func(tx storage.Tx) error {
				close(holding)
				<-hold
				_, err := tx.MarkReceived(ctx, "https://r.example/held", time.Now())
				return err
			})
		}()
		<-holding
		waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		err := db.InTx(waitCtx, func(tx storage.Tx) error {
			_, err := tx.MarkReceived(ctx, "https://r.example/abandoned", time.Now())
			return err
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("InTx after its context ended = %v, want the deadline", err)
		}
		close(hold)
		// A later transaction runs after everything queued before it.
		if err := db.InTx(ctx, func(tx storage.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if got := countReceived(t, db, "https://r.example/held"); got != 1 {
			t.Errorf("the held transaction kept %d rows, want 1", got)
		}
		if got := countReceived(t, db, "https://r.example/abandoned"); got != 0 {
			t.Errorf("the abandoned transaction ran: %d rows", got)
		}
	})
}

// A transaction asked for after the database is closed fails at once
// instead of waiting for a committer that is gone.
func TestTransactionAfterCloseFails(t *testing.T) {
	db, err := storage.Open(context.Background(), storagetest.NewURL(t, storage.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(context.Background(), func(tx storage.Tx) error { return nil })
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("InTx on a closed database succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("InTx on a closed database hung")
	}
}
