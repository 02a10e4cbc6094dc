package storage

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
)

// bun writes every value into the SQL text, so each statement it builds is
// new to the database and is parsed and planned again; through
// modernc.org/sqlite that costs 0.1 to 0.3 ms a statement, more than most of
// the statements take to run. The few statements on the hottest paths (an
// activity arriving in the inbox, a home timeline page) are therefore
// prepared once, with placeholders, when the database is opened, and run
// with their arguments bound. Everything else is built by bun.

// stmt is a statement prepared when a DB is opened. Its text uses ?
// placeholders (numbered for PostgreSQL when prepared there), and {ids}
// for "is in this list of ids", bound to an IDs argument.
type stmt struct {
	index int
	query string
	// pgQuery, when set, is the statement's text on PostgreSQL, for the
	// few statements that cannot be written once for both.
	pgQuery string
	// write says that the statement changes data: outside a transaction
	// it runs on the writer, not on a read-only connection.
	write bool
}

// registry is every statement to prepare, filled at package init.
var registry []*stmt

func prepare(query string, write bool) *stmt {
	s := &stmt{index: len(registry), query: query, write: write}
	registry = append(registry, s)
	return s
}

func prepareRead(query string) *stmt  { return prepare(query, false) }
func prepareWrite(query string) *stmt { return prepare(query, true) }

// prepareWriteEach registers a changing statement written once for SQLite
// and once for PostgreSQL.
func prepareWriteEach(sqlite, postgres string) *stmt {
	s := prepare(sqlite, true)
	s.pgQuery = postgres
	return s
}

// preparedSet holds the registry's statements prepared on a DB's pools.
// They are prepared once the schema is there (after Migrate, or at first
// use outside a transaction); until then a transaction prepares its own
// copy.
type preparedSet struct {
	dialect        Dialect
	writer, reader *sql.DB
	mu             sync.Mutex // held while preparing
	read, write    []atomic.Pointer[sql.Stmt]
}

func newPreparedSet(dialect Dialect, writer, reader *sql.DB) *preparedSet {
	return &preparedSet{
		dialect: dialect, writer: writer, reader: reader,
		read:  make([]atomic.Pointer[sql.Stmt], len(registry)),
		write: make([]atomic.Pointer[sql.Stmt], len(registry)),
	}
}

func (ps *preparedSet) text(s *stmt) string {
	if ps.dialect == Postgres {
		q := s.query
		if s.pgQuery != "" {
			q = s.pgQuery
		}
		return numberPlaceholders(strings.ReplaceAll(q, "{ids}", "= ANY(?)"))
	}
	return strings.ReplaceAll(s.query, "{ids}", "IN (SELECT value FROM json_each(?))")
}

// IDs is a list of ids bound to one {ids} of a prepared statement: a JSON
// array on SQLite, an array on PostgreSQL.
type IDs []int64

// warm prepares every registered statement; called once the schema is
// current.
func (ps *preparedSet) warm(ctx context.Context) error {
	for _, s := range registry {
		if _, err := ps.get(ctx, s, true); err != nil {
			return err
		}
		if !s.write && ps.reader != ps.writer {
			if _, err := ps.get(ctx, s, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// get returns s prepared on the writer (onWriter) or on the reader pool,
// preparing it now if it is not yet. It must not be called for the writer
// while this goroutine holds the writer in a transaction.
func (ps *preparedSet) get(ctx context.Context, s *stmt, onWriter bool) (*sql.Stmt, error) {
	slot, db := &ps.read[s.index], ps.reader
	if onWriter {
		slot, db = &ps.write[s.index], ps.writer
	}
	if st := slot.Load(); st != nil {
		return st, nil
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if st := slot.Load(); st != nil {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, ps.text(s))
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", ps.text(s), err)
	}
	slot.Store(st)
	return st, nil
}

func (ps *preparedSet) close() {
	if ps == nil {
		return
	}
	for i := range ps.write {
		if st := ps.read[i].Load(); st != nil {
			st.Close()
		}
		if st := ps.write[i].Load(); st != nil {
			st.Close()
		}
	}
}

// numberPlaceholders turns ? into $1, $2 ... for PostgreSQL. The registered
// statements hold no ? inside string literals.
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// on returns s ready to run here: inside a transaction, bound to it;
// otherwise on the writer or the reader pool. done releases what a
// transaction bound (not the shared statement).
func (q queries) on(ctx context.Context, s *stmt) (st *sql.Stmt, done func(), err error) {
	if q.sqlTx != nil {
		if shared := q.ps.write[s.index].Load(); shared != nil {
			st = q.sqlTx.StmtContext(ctx, shared)
		} else if st, err = q.sqlTx.PrepareContext(ctx, q.ps.text(s)); err != nil {
			return nil, nil, fmt.Errorf("prepare %q: %w", q.ps.text(s), err)
		}
		return st, func() { st.Close() }, nil
	}
	st, err = q.ps.get(ctx, s, s.write || q.ps.reader == q.ps.writer)
	return st, func() {}, err
}

// execP runs a prepared statement that returns no rows.
func (q queries) execP(ctx context.Context, s *stmt, args ...any) (sql.Result, error) {
	st, done, err := q.on(ctx, s)
	if err != nil {
		return nil, err
	}
	defer done()
	return st.ExecContext(ctx, q.ps.args(args)...)
}

// existsP runs a prepared SELECT EXISTS (...) statement.
func (q queries) existsP(ctx context.Context, s *stmt, args ...any) (bool, error) {
	st, done, err := q.on(ctx, s)
	if err != nil {
		return false, err
	}
	defer done()
	var yes bool
	err = st.QueryRowContext(ctx, q.ps.args(args)...).Scan(&yes)
	return yes, err
}

// scanOneP runs a prepared query and scans its first row into dest (a
// model, or columns) as bun would; sql.ErrNoRows when there is none.
func (q queries) scanOneP(ctx context.Context, s *stmt, dest any, args ...any) error {
	rows, done, err := q.queryP(ctx, s, args...)
	if err != nil {
		return err
	}
	defer done()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	return q.scanner.ScanRow(ctx, rows, dest)
}

// scanAllP runs a prepared query and scans every row into dest (a slice of
// models or of values) as bun would.
func (q queries) scanAllP(ctx context.Context, s *stmt, dest any, args ...any) error {
	rows, done, err := q.queryP(ctx, s, args...)
	if err != nil {
		return err
	}
	defer done()
	return q.scanner.ScanRows(ctx, rows, dest)
}

func (q queries) queryP(ctx context.Context, s *stmt, args ...any) (*sql.Rows, func(), error) {
	st, done, err := q.on(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	rows, err := st.QueryContext(ctx, q.ps.args(args)...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return rows, func() { rows.Close(); done() }, nil
}

// args converts arguments to what bun would have written for them, so that
// stored values (times above all) compare and sort the same whichever way
// they were written: times in UTC with microseconds, and on SQLite as bun's
// text.
func (ps *preparedSet) args(in []any) []any {
	out := make([]any, len(in))
	for i, a := range in {
		out[i] = ps.arg(a)
	}
	return out
}

func (ps *preparedSet) arg(a any) any {
	switch v := a.(type) {
	case time.Time:
		return ps.timeArg(v)
	case *time.Time:
		if v == nil {
			return nil
		}
		return ps.timeArg(*v)
	case *int64:
		if v == nil {
			return nil
		}
		return *v
	case *string:
		if v == nil {
			return nil
		}
		return *v
	case IDs:
		if ps.dialect == Postgres {
			return []int64(v)
		}
		b := make([]byte, 0, 2+20*len(v))
		b = append(b, '[')
		for i, id := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		return string(append(b, ']'))
	}
	return a
}

func (ps *preparedSet) timeArg(t time.Time) any {
	if ps.dialect == SQLite {
		return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
	}
	return t.UTC().Truncate(time.Microsecond)
}

// insertSQL is an INSERT of every column of model's table, with
// placeholders, and a function giving a row's values in that order.
func insertSQL(model any, suffix string) (string, func(row any) []any) {
	table := sqliteTables.Get(reflect.TypeOf(model))
	cols := make([]string, 0, len(table.Fields))
	marks := make([]string, 0, len(table.Fields))
	fields := make([]*schema.Field, 0, len(table.Fields))
	for _, f := range table.Fields {
		cols = append(cols, string(f.SQLName))
		marks = append(marks, "?")
		fields = append(fields, f)
	}
	query := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table.SQLName, strings.Join(cols, ", "), strings.Join(marks, ", "))
	if suffix != "" {
		query += " " + suffix
	}
	return query, func(row any) []any {
		v := reflect.ValueOf(row).Elem()
		out := make([]any, len(fields))
		for i, f := range fields {
			fv := f.Value(v)
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					out[i] = nil
					continue
				}
				fv = fv.Elem()
			}
			out[i] = fv.Interface()
		}
		return out
	}
}

// sqliteTables reads bun's table metadata (column names are the same in
// both dialects).
var sqliteTables = sqlitedialect.New().Tables()

// selectSQL is a SELECT of every column of model's table, with where
// appended (placeholders allowed).
func selectSQL(model any, where string) string {
	table := sqliteTables.Get(reflect.TypeOf(model))
	cols := make([]string, 0, len(table.Fields))
	for _, f := range table.Fields {
		cols = append(cols, string(f.SQLName))
	}
	return fmt.Sprintf("SELECT %s FROM %s %s", strings.Join(cols, ", "), table.SQLName, where)
}

// statusColumns lists the columns of a status (alias s) joined with its
// author (alias account), the author's named as bun names a belongs-to
// relation's columns so that scanning fills Status.Account. skip leaves
// account fields out.
func statusColumns(skip ...string) string {
	return columnsWithAccount((*Status)(nil), "s", skip...)
}

// columnsWithAccount lists the columns of model (under alias) and of its
// Account relation (alias account), less the account fields in skip.
func columnsWithAccount(model any, alias string, skip ...string) string {
	var cols []string
	for _, f := range sqliteTables.Get(reflect.TypeOf(model)).Fields {
		cols = append(cols, alias+"."+string(f.SQLName))
	}
	for _, f := range sqliteTables.Get(reflect.TypeOf((*Account)(nil))).Fields {
		if slices.Contains(skip, f.Name) {
			continue
		}
		cols = append(cols, fmt.Sprintf(`account.%s AS "account__%s"`, f.SQLName, f.Name))
	}
	return strings.Join(cols, ", ")
}

// accountColumnsWithout lists the columns of accounts (under alias) but
// the fields named.
func accountColumnsWithout(alias string, skip ...string) string {
	var cols []string
	for _, f := range sqliteTables.Get(reflect.TypeOf((*Account)(nil))).Fields {
		if !slices.Contains(skip, f.Name) {
			cols = append(cols, alias+"."+string(f.SQLName))
		}
	}
	return strings.Join(cols, ", ")
}
