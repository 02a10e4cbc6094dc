package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun/migrate"

	"rounds/migrations"
)

// ErrSchemaNewer means the database was migrated by a newer Rounds than this
// binary: running would risk writing rows the schema no longer accepts.
var ErrSchemaNewer = errors.New("the database schema is newer than this version of Rounds; run the newer version or restore a backup")

// ErrSchemaOutdated means migrations are pending.
var ErrSchemaOutdated = errors.New("the database schema is out of date; run `rounds migrate`")

// Migrate brings the schema up to date: Rounds' own tables, then the job
// queue's. It returns the names of the migrations it applied. It refuses a
// database migrated by a newer Rounds.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	unlock, err := db.migrationLock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()

	migrator, err := db.migrator(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkNotNewer(ctx, migrator); err != nil {
		return nil, err
	}
	group, err := migrator.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	for _, m := range group.Migrations {
		applied = append(applied, m.Name+"_"+m.Comment)
	}

	rm, err := db.riverMigrator()
	if err != nil {
		return nil, err
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate job queue: %w", err)
	}
	for _, v := range res.Versions {
		applied = append(applied, fmt.Sprintf("river_%03d_%s", v.Version, v.Name))
	}
	// The schema is current: prepare the hot statements now, while no
	// transaction holds SQLite's writer.
	if err := db.ps.warm(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// CheckSchema reports ErrSchemaNewer or ErrSchemaOutdated when the schema
// does not match this binary, and nil when it does.
func (db *DB) CheckSchema(ctx context.Context) error {
	migrator, err := db.migrator(ctx)
	if err != nil {
		return err
	}
	if err := checkNotNewer(ctx, migrator); err != nil {
		return err
	}
	all, err := migrator.MigrationsWithStatus(ctx)
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	if len(all.Unapplied()) > 0 {
		return ErrSchemaOutdated
	}
	rm, err := db.riverMigrator()
	if err != nil {
		return err
	}
	res, err := rm.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("check job queue schema: %w", err)
	}
	if !res.OK {
		return fmt.Errorf("%w (job queue: %s)", ErrSchemaOutdated, strings.Join(res.Messages, "; "))
	}
	return nil
}

func (db *DB) migrator(ctx context.Context) (*migrate.Migrator, error) {
	all, err := migrations.All()
	if err != nil {
		return nil, err
	}
	data := migrations.SQLite
	if db.dialect == Postgres {
		data = migrations.Postgres
	}
	m := migrate.NewMigrator(db.write, all,
		migrate.WithTableName("schema_migrations"),
		migrate.WithLocksTableName("schema_migration_locks"),
		migrate.WithMarkAppliedOnSuccess(true),
		migrate.WithTemplateData(data),
	)
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("create migrations table: %w", err)
	}
	return m, nil
}

func checkNotNewer(ctx context.Context, m *migrate.Migrator) error {
	applied, err := m.AppliedMigrations(ctx)
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	all, err := migrations.All()
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, k := range all.Sorted() {
		known[k.Name] = true
	}
	var unknown []string
	for _, a := range applied {
		if !known[a.Name] {
			unknown = append(unknown, a.Name)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%w (unknown migrations: %s)", ErrSchemaNewer, strings.Join(unknown, ", "))
	}
	return nil
}

// migrationLock keeps two processes from migrating one PostgreSQL database at
// once. SQLite needs nothing: its single write connection serialises them.
func (db *DB) migrationLock(ctx context.Context) (func(), error) {
	if db.dialect != Postgres {
		return func() {}, nil
	}
	conn, err := db.write.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	const key = 7_365_001 // any constant shared by every Rounds process
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
		conn.Close()
	}, nil
}

func (db *DB) riverDriver() riverdriver.Driver[*sql.Tx] {
	if db.dialect == Postgres {
		return riverdatabasesql.New(db.write.DB)
	}
	return riversqlite.New(db.write.DB)
}

func (db *DB) riverMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(db.riverDriver(), &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return nil, fmt.Errorf("job queue migrator: %w", err)
	}
	return m, nil
}
