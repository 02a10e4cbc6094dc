package social

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"rounds/social/guard"
	"rounds/storage"
)

// IdentifierError refuses a post that may identify a patient. Its message
// names what was found and where, with the digits partly masked.
type IdentifierError struct {
	Findings []guard.Finding
	// OverrideAllowed is true under the warn policy: the author may post
	// it anyway after an explicit confirmation (the web form offers it).
	OverrideAllowed bool
}

func (e *IdentifierError) Error() string { return guard.Message(e.Findings) }

// Kinds lists the kinds of identifier found, without the identifiers.
func (e *IdentifierError) Kinds() []string {
	var out []string
	for _, f := range e.Findings {
		k := string(f.Kind)
		if !strings.Contains(strings.Join(out, ","), k) {
			out = append(out, k)
		}
	}
	return out
}

// guardCache keeps the detector built from the admin's patterns.
type guardCache struct {
	mu       sync.Mutex
	patterns string
	g        *guard.Guard
}

func guardPatterns(ps []IdentifierPattern) []guard.Pattern {
	out := make([]guard.Pattern, len(ps))
	for i, p := range ps {
		out[i] = guard.Pattern{Label: p.Label, Regexp: p.Regexp}
	}
	return out
}

// identifierGuard returns the detector for the current settings.
func (s *Service) identifierGuard(st Settings) (*guard.Guard, error) {
	key, _ := json.Marshal(st.GuardPatterns)
	c := &s.guard
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.g != nil && c.patterns == string(key) {
		return c.g, nil
	}
	g, err := guard.New(guard.Options{Patterns: guardPatterns(st.GuardPatterns)})
	if err != nil {
		return nil, fmt.Errorf("the admins' identifier patterns: %w", err)
	}
	c.g, c.patterns = g, string(key)
	return g, nil
}

// checkForIdentifiers refuses a post whose text, content warning or image
// descriptions look like they identify a patient, as the server's policy
// says. With override (the author confirmed "post anyway" under the warn
// policy) it lets the post through and records that in the audit log: the
// kinds of identifier, never the identifiers.
func (s *Service) checkForIdentifiers(ctx context.Context, author *storage.Account, in NewStatus, override bool) error {
	st, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	if st.GuardPolicy == GuardOff {
		return nil
	}
	g, err := s.identifierGuard(st)
	if err != nil {
		return err
	}
	fields := []guard.Field{{Name: "the text", Text: in.Text}}
	if in.SpoilerText != "" {
		fields = append(fields, guard.Field{Name: "the content warning", Text: in.SpoilerText})
	}
	if in.Poll != nil {
		for i, o := range in.Poll.Options {
			fields = append(fields, guard.Field{Name: fmt.Sprintf("poll option %d", i+1), Text: o})
		}
	}
	for i, id := range in.MediaIDs {
		if m, err := s.db.MediaByID(ctx, id); err == nil && m.AccountID == author.ID {
			if d := describedAs(id, m.Description, in.MediaAttributes); d != "" {
				fields = append(fields, guard.Field{Name: fmt.Sprintf("the description of image %d", i+1), Text: d})
			}
		}
	}
	found := g.Check(fields...)
	if len(found) == 0 {
		return nil
	}
	ie := &IdentifierError{Findings: found, OverrideAllowed: st.GuardPolicy == GuardWarn}
	if !override || !ie.OverrideAllowed {
		return ie
	}
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		id := author.ID
		return tx.AppendAudit(ctx, &storage.AuditEntry{
			ActorAccountID: &id, Actor: "@" + author.Username, Action: "post_despite_identifier_warning",
			TargetType: "account", TargetID: idString(author.ID), Target: "@" + author.Username,
			Detail: `{"kinds":` + mustJSON(ie.Kinds()) + `}`, CreatedAt: s.now(),
		})
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
