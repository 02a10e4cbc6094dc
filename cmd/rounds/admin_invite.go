package main

import (
	"context"
	"io"
)

// inviteCommand runs `rounds admin invite VERB ...`.
func inviteCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return &usageError{"admin invite: not built yet"}
}
