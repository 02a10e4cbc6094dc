package main

import (
	"context"
	"fmt"
	"io"

	"rounds/storage"
)

func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := parseCommand("migrate", args, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "The database schema is up to date.")
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %s\n", m)
	}
	fmt.Fprintf(stdout, "The database schema is up to date (%d migrations applied).\n", len(applied))
	return nil
}
