package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"rounds/social"
	"rounds/storage"
)

// seedSQLTime is how timestamps are written in the seed's literal SQL; both
// SQLite (as bun stores them) and PostgreSQL read it.
const seedSQLTime = "2006-01-02 15:04:05.000000-07:00"

func init() { adminGroups["seed"] = seedCommand }

// seedOptions is what `rounds admin seed` is asked to make.
type seedOptions struct {
	accounts, statuses, follows int
	reader                      string
	readers                     int
	password                    string
	tokens                      int
}

// seedCommand runs `rounds admin seed`: it fills the database with remote
// accounts, public statuses spread over them and local readers who follow
// some of them, for load tests such as rounds-bench's timeline scenario.
// Rows go in with plain multi-row INSERTs, because a million statuses
// cannot be posted through the API in reasonable time; this is bulk set-up,
// not something a user does. With --tokens it also signs the readers in and
// prints one access token a line on stdout; everything else goes to stderr.
func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o seedOptions
	extra := func(fs *flag.FlagSet) {
		fs.IntVar(&o.accounts, "accounts", 5000, "remote accounts to make (the authors of the statuses)")
		fs.IntVar(&o.statuses, "statuses", 1_000_000, "public statuses to make, spread evenly over the accounts")
		fs.IntVar(&o.follows, "follows", 500, "how many of the accounts each reader follows")
		fs.StringVar(&o.reader, "reader", "reader", "username of the local reader (created when missing)")
		fs.IntVar(&o.readers, "readers", 1, "how many readers: the first is --reader, the others READER_2, READER_3 ...")
		fs.StringVar(&o.password, "password", "", "the readers' password: used to create them, and to sign them in for --tokens (a random one is made when creating and empty)")
		fs.IntVar(&o.tokens, "tokens", 0, "access tokens to make for the readers (spread over them) and print on stdout, one a line")
	}
	cfg, err := parseCommand("admin seed", args, stderr, getenv, false, extra)
	if err != nil {
		return err
	}
	switch {
	case o.accounts < 1:
		return &usageError{"admin seed: --accounts must be at least 1"}
	case o.statuses < 0:
		return &usageError{"admin seed: --statuses cannot be negative"}
	case o.follows < 0 || o.follows > o.accounts:
		return &usageError{fmt.Sprintf("admin seed: --follows must be between 0 and --accounts (%d)", o.accounts)}
	case o.readers < 1:
		return &usageError{"admin seed: --readers must be at least 1"}
	case o.tokens < 0:
		return &usageError{"admin seed: --tokens cannot be negative"}
	}

	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	svc := social.New(social.Options{
		DB:       db,
		Jobs:     storage.NewJobs(db, storage.JobsOptions{}),
		Domain:   cfg.Domain,
		Protocol: cfg.Protocol,
		Logger:   newLogger(cfg),
	})

	readers, err := seedReaders(ctx, svc, &o, stderr)
	if err != nil {
		return err
	}
	started := time.Now()
	if err := seedRows(ctx, db, &o, readers, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Seeded %d accounts, %d statuses and %d follows for each of %d readers in %v.\n",
		o.accounts, o.statuses, o.follows, len(readers), time.Since(started).Round(time.Millisecond))
	if o.tokens == 0 {
		return nil
	}
	tokens, err := seedTokens(ctx, svc, &o, readers)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		fmt.Fprintln(stdout, t)
	}
	fmt.Fprintf(stderr, "Printed %d access tokens (scopes read write follow).\n", len(tokens))
	return nil
}

// readerName is the username of reader i (from 0).
func (o *seedOptions) readerName(i int) string {
	if i == 0 {
		return o.reader
	}
	return fmt.Sprintf("%s_%d", o.reader, i+1)
}

// seedReaders finds or creates the local readers.
func seedReaders(ctx context.Context, svc *social.Service, o *seedOptions, stderr io.Writer) ([]*storage.Account, error) {
	var out []*storage.Account
	for i := 0; i < o.readers; i++ {
		name := o.readerName(i)
		a, err := svc.AccountByAcct(ctx, name, "")
		if err == nil {
			if o.tokens > 0 && o.password == "" {
				return nil, &usageError{fmt.Sprintf("admin seed: @%s exists; give its --password to make tokens", name)}
			}
			out = append(out, a)
			continue
		}
		if !errors.Is(err, social.ErrNotFound) {
			return nil, err
		}
		if o.password == "" {
			o.password = social.RandomPassword()
			fmt.Fprintf(stderr, "Readers' password: %s\n", o.password)
		}
		u, err := svc.CreateUser(ctx, social.NewUser{Username: name, Password: o.password, Role: social.RoleUser, Approved: true})
		if err != nil {
			return nil, fmt.Errorf("create reader @%s: %w", name, adminErr(err))
		}
		out = append(out, u.Account)
	}
	return out, nil
}

// seedRows inserts the remote accounts, the readers' follows, the statuses
// and what storing those statuses would have put in the readers' home
// feeds. Statuses are committed in chunks so that a server running beside
// the seed is not locked out of the database for the whole run.
func seedRows(ctx context.Context, db *storage.DB, o *seedOptions, readers []*storage.Account, stderr io.Writer) error {
	now := time.Now().UTC()
	ts := now.Format(seedSQLTime)
	baseID := storage.NewID()
	// A tag of this run keeps its usernames and URIs apart from an earlier
	// seed's in the same database.
	run := fmt.Sprintf("%x", baseID&0xffffffffff)
	acctID := func(i int) int64 { return baseID + int64(i) + 1 }
	host := func(i int) string { return fmt.Sprintf("remote%d.seed-%s.example", i%50, run) }

	batch := &sqlBatch{}
	err := db.InTx(ctx, func(tx storage.Tx) error {
		batch.tx = tx
		for i := 0; i < o.accounts; i++ {
			uri := fmt.Sprintf("https://%s/users/u%d", host(i), i)
			if err := batch.add(ctx, "INSERT INTO accounts (id, username, domain, uri, url, inbox_url, key_id, fields, created_at, updated_at) VALUES ",
				fmt.Sprintf("(%d, 'u%d', '%s', '%s', '%s', '%s/inbox', '%s#main-key', '[]', '%s', '%s')", acctID(i), i, host(i), uri, uri, uri, uri, ts, ts), 500); err != nil {
				return err
			}
		}
		if err := batch.flush(ctx); err != nil {
			return err
		}
		step := max(1, o.accounts/max(1, o.follows))
		for r, reader := range readers {
			for j := 0; j < o.follows; j++ {
				target := (j*step + r) % o.accounts
				if err := batch.add(ctx, "INSERT INTO follows (id, account_id, target_account_id, uri, accepted_at, created_at) VALUES ",
					fmt.Sprintf("(%d, %d, %d, 'https://seed-%s.example/follows/%d/%d', '%s', '%s')", storage.NewID(), reader.ID, acctID(target), run, reader.ID, j, ts, ts), 500); err != nil {
					return err
				}
			}
		}
		return batch.flush(ctx)
	})
	if err != nil {
		return fmt.Errorf("seed accounts and follows: %w", err)
	}

	// Statuses one second apart, ending now; the id carries the time as
	// every other id does, and the low bits the index so ids never clash.
	start := now.Add(-time.Duration(o.statuses) * time.Second)
	const chunk = 50_000
	for from := 0; from < o.statuses; from += chunk {
		to := min(o.statuses, from+chunk)
		err := db.InTx(ctx, func(tx storage.Tx) error {
			batch.tx = tx
			for i := from; i < to; i++ {
				at := start.Add(time.Duration(i) * time.Second)
				id := at.UnixMilli()<<16 | int64(i&0xffff)
				a := i % o.accounts
				uri := fmt.Sprintf("https://%s/users/u%d/statuses/%d", host(a), a, i)
				if err := batch.add(ctx, "INSERT INTO statuses (id, uri, url, account_id, content, visibility, created_at) VALUES ",
					fmt.Sprintf("(%d, '%s', '%s', %d, '<p>Clinical pearl number %d: check the drug chart before the ward round.</p>', 'public', '%s')", id, uri, uri, acctID(a), i, at.Format(seedSQLTime)), 1000); err != nil {
					return err
				}
			}
			return batch.flush(ctx)
		})
		if err != nil {
			return fmt.Errorf("seed statuses: %w", err)
		}
		fmt.Fprintf(stderr, "\rStatuses: %d of %d", to, o.statuses)
	}
	if o.statuses > 0 {
		fmt.Fprintln(stderr)
	}

	for _, reader := range readers {
		err := db.InTx(ctx, func(tx storage.Tx) error {
			_, err := tx.SQLTx().ExecContext(ctx, fmt.Sprintf(`INSERT INTO home_feed (account_id, status_id, author_id)
SELECT f.account_id, s.id, s.account_id FROM follows AS f JOIN statuses AS s ON s.account_id = f.target_account_id
WHERE f.account_id = %d AND f.accepted_at IS NOT NULL AND s.visibility <> 'direct' ON CONFLICT DO NOTHING`, reader.ID))
			return err
		})
		if err != nil {
			return fmt.Errorf("fill the home feed of @%s: %w", reader.Username, err)
		}
	}
	// Fresh statistics, so the query planner knows the tables' new sizes.
	if _, err := db.SQLDB().ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// sqlBatch gathers rows into one multi-row INSERT per table.
type sqlBatch struct {
	tx     storage.Tx
	sb     strings.Builder
	prefix string
	rows   int
}

// add appends one row of values to the INSERT that starts with prefix,
// sending it when it holds limit rows.
func (b *sqlBatch) add(ctx context.Context, prefix, row string, limit int) error {
	if b.prefix != prefix {
		if err := b.flush(ctx); err != nil {
			return err
		}
		b.prefix = prefix
	}
	if b.rows == 0 {
		b.sb.WriteString(prefix)
	} else {
		b.sb.WriteByte(',')
	}
	b.sb.WriteString(row)
	b.rows++
	if b.rows >= limit {
		return b.flush(ctx)
	}
	return nil
}

func (b *sqlBatch) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	q := b.sb.String()
	b.sb.Reset()
	b.rows = 0
	_, err := b.tx.SQLTx().ExecContext(ctx, q)
	return err
}

// seedTokens signs the readers in with the password grant, the way a
// command-line client does, and returns o.tokens access tokens spread over
// them. Each grant checks the password (bcrypt), so they run in parallel.
func seedTokens(ctx context.Context, svc *social.Service, o *seedOptions, readers []*storage.Account) ([]string, error) {
	const scopes = "read write follow"
	app, _, err := svc.RegisterApp(ctx, social.NewApp{Name: "rounds-bench", RedirectURIs: []string{social.OOBRedirectURI}, Scopes: scopes})
	if err != nil {
		return nil, fmt.Errorf("register an app: %w", err)
	}
	tokens := make([]string, o.tokens)
	errs := make([]error, o.tokens)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				it, err := svc.PasswordGrant(ctx, app, readers[i%len(readers)].Username, o.password, scopes)
				if err != nil {
					errs[i] = fmt.Errorf("sign in @%s: %w", readers[i%len(readers)].Username, err)
					continue
				}
				tokens[i] = it.Token
			}
		}()
	}
	for i := range tokens {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tokens, nil
}
