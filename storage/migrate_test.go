package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"rounds/storage"
	"rounds/storage/storagetest"
)

func TestMigrateIsIdempotentAndCheckSchemaAgrees(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db, err := storage.Open(ctx, storagetest.NewURL(t, dialect))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.CheckSchema(ctx); !errors.Is(err, storage.ErrSchemaOutdated) {
			t.Fatalf("CheckSchema on an empty database = %v, want ErrSchemaOutdated", err)
		}
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) == 0 {
			t.Fatal("the first Migrate applied nothing")
		}
		again, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 0 {
			t.Fatalf("the second Migrate applied %v", again)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after Migrate = %v", err)
		}
	})
}

func TestDatabaseMigratedByNewerRoundsIsRefused(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		// What a later version would leave behind.
		err := db.ExecForTest(ctx, "INSERT INTO schema_migrations (name, group_id, migrated_at) VALUES ('29991231000000', 99, CURRENT_TIMESTAMP)")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); !errors.Is(err, storage.ErrSchemaNewer) {
			t.Fatalf("CheckSchema = %v, want ErrSchemaNewer", err)
		}
		if _, err := db.Migrate(ctx); !errors.Is(err, storage.ErrSchemaNewer) {
			t.Fatalf("Migrate = %v, want ErrSchemaNewer", err)
		}
	})
}

func TestIDsSortByCreationAndNeverRepeat(t *testing.T) {
	seen := map[int64]bool{}
	prev := int64(0)
	for i := 0; i < 100000; i++ {
		id := storage.NewID()
		if seen[id] {
			t.Fatalf("id %d repeated", id)
		}
		seen[id] = true
		if id>>16 < prev>>16 {
			t.Fatalf("id %d went back in time after %d", id, prev)
		}
		prev = id
	}
}

// A path with the characters that mean something in a file: URI (a test's
// temporary directory can hold #) opens exactly that file.
func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#b?c%d")
	path := filepath.Join(dir, "rounds.db")
	db, err := storage.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
}
