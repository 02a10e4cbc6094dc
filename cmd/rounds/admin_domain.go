package main

import (
	"context"
	"io"
)

// domainCommand runs `rounds admin domain VERB ...`.
func domainCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return &usageError{"admin domain: not built yet"}
}
