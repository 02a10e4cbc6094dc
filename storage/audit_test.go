package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// The audit log is append-only in the database itself: raw UPDATE, DELETE
// (and on PostgreSQL TRUNCATE) are refused, so no code path can rewrite it.
func TestAuditLogRefusesChangeAndDelete(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		e := &storage.AuditEntry{Actor: "command line", Action: "suspend", TargetType: "account", TargetID: "1", Target: "@bob", Reason: "spam", CreatedAt: time.Now().UTC()}
		if err := db.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		statements := []string{
			"UPDATE audit_log SET reason = 'nothing happened'",
			"DELETE FROM audit_log",
		}
		if dialect == storage.Postgres {
			statements = append(statements, "TRUNCATE audit_log")
		}
		for _, q := range statements {
			err := db.ExecForTest(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "cannot be changed or deleted") {
				t.Errorf("%s: err = %v, want the append-only refusal", q, err)
			}
		}
		got, err := db.AuditLog(ctx, storage.AuditFilter{TargetType: "account"}, storage.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Reason != "spam" || got[0].Action != "suspend" {
			t.Fatalf("audit log after refused changes = %+v, want the one original entry", got)
		}
	})
}
