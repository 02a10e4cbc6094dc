package social_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// The patient-identifier guard refuses a flagged post under the default
// block policy, lets the author post anyway under warn (recording the kind,
// never the number), and stays out of the way when off or when the
// number's check digit fails.
func TestIdentifierGuardPolicies(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		doc := staffUser(t, s, "dr_orla", social.RoleUser)
		flagged := social.NewStatus{Text: "Lovely chat with Mrs B on ward 7 today, NHS no 943 476 5919, recovering well", Visibility: social.VisibilityPublic}

		_, err := s.PostStatus(ctx, doc.Account, flagged)
		var ie *social.IdentifierError
		if !errors.As(err, &ie) {
			t.Fatalf("posting an NHS number: %v, want an IdentifierError", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "NHS number (943 *** ****)") || !strings.Contains(msg, "in the text") || strings.Contains(msg, "5919") {
			t.Fatalf("message = %q", msg)
		}
		if ie.OverrideAllowed {
			t.Fatal("the block policy offered an override")
		}
		// "post anyway" is not honoured under block.
		anyway := flagged
		anyway.PostDespiteWarning = true
		if _, err := s.PostStatus(ctx, doc.Account, anyway); !errors.As(err, &ie) {
			t.Fatalf("post anyway under block: %v", err)
		}
		// In the content warning too, and a wrong check digit is fine.
		if _, err := s.PostStatus(ctx, doc.Account, social.NewStatus{Text: "case review", SpoilerText: "DOB 12/03/1954", Visibility: social.VisibilityPublic}); err == nil || !strings.Contains(err.Error(), "in the content warning") {
			t.Fatalf("date of birth in the content warning: %v", err)
		}
		if _, err := s.PostStatus(ctx, doc.Account, social.NewStatus{Text: "Order ref 943 476 5918 arrived", Visibility: social.VisibilityPublic}); err != nil {
			t.Fatalf("a number whose check digit fails was refused: %v", err)
		}
		// Edits are checked the same way.
		st, err := s.PostStatus(ctx, doc.Account, social.NewStatus{Text: "Teaching round at 2", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EditStatus(ctx, doc.Account, st.ID, flagged); !errors.As(err, &ie) {
			t.Fatalf("an edit adding an NHS number: %v", err)
		}

		// Admin patterns are checked when set.
		if _, err := s.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) {
			st.GuardPatterns = []social.IdentifierPattern{{Label: "Beaumont MRN", Regexp: `(`}}
		}); err == nil || !strings.Contains(err.Error(), "Beaumont MRN") {
			t.Fatalf("a bad pattern: %v", err)
		}
		if _, err := s.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) {
			st.GuardPolicy = social.GuardWarn
			st.GuardPatterns = []social.IdentifierPattern{{Label: "Beaumont MRN", Regexp: `\bBH\d{7}\b`}}
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PostStatus(ctx, doc.Account, social.NewStatus{Text: "Chart BH1234567 reviewed", Visibility: social.VisibilityPublic}); !errors.As(err, &ie) || !ie.OverrideAllowed || !strings.Contains(err.Error(), "Beaumont MRN") {
			t.Fatalf("an admin pattern under warn: %v", err)
		}
		if _, err := s.PostStatus(ctx, doc.Account, anyway); err != nil {
			t.Fatalf("post anyway under warn: %v", err)
		}
		entries, err := s.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: "post_despite_identifier_warning"}, storage.Page{})
		if err != nil || len(entries) != 1 {
			t.Fatalf("override audit entries = %d, %v", len(entries), err)
		}
		if e := entries[0]; e.Actor != "@dr_orla" || !strings.Contains(e.Detail, "nhs_number") || strings.Contains(e.Detail, "943") || strings.Contains(e.Detail, "5919") {
			t.Fatalf("override audit entry = %+v", e)
		}

		if _, err := s.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.GuardPolicy = social.GuardOff }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PostStatus(ctx, doc.Account, flagged); err != nil {
			t.Fatalf("posting with the guard off: %v", err)
		}
	})
}
