package social

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"

	"rounds/storage"
)

// The documents admins write for the instance, as Mastodon names them in
// its API (/api/v1/instance/<kind>).
const (
	DocExtendedDescription = "extended_description"
	DocPrivacyPolicy       = "privacy_policy"
	DocTermsOfService      = "terms_of_service"
)

// InstanceDocumentKinds are the kinds SetInstanceDocument takes.
var InstanceDocumentKinds = []string{DocExtendedDescription, DocPrivacyPolicy, DocTermsOfService}

// maxDocumentBytes bounds an instance document's source.
const maxDocumentBytes = 200_000

// InstanceDocument is a document as apps are shown it.
type InstanceDocument struct {
	Kind string
	// HTML is the admin's Markdown rendered and sanitised; "" when the
	// admins have written none.
	HTML      string
	UpdatedAt time.Time // zero when none was written
	// For terms of service only: the day the version takes effect, whether
	// it has, and the effective date of the next version ("" if none).
	EffectiveDate string
	Effective     bool
	SucceededBy   string
}

// markdown renders admins' Markdown. Raw HTML in it is left out (goldmark's
// default), and the result goes through documentPolicy besides.
var markdown = goldmark.New()

// documentPolicy is what HTML an instance document may hold: apps show it
// in web views, so no scripts, styles, forms or event handlers, whoever
// wrote the Markdown.
var documentPolicy = bluemonday.UGCPolicy()

// RenderDocument renders an admin's Markdown (plain text is Markdown too)
// as sanitised HTML.
func RenderDocument(source string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(source), &buf); err != nil {
		// goldmark fails only on writer errors; fall back to escaped text.
		return documentPolicy.Sanitize("<p>" + strings.ReplaceAll(source, "<", "&lt;") + "</p>")
	}
	return strings.TrimSpace(documentPolicy.Sanitize(buf.String()))
}

// SetInstanceDocument stores a new text for kind, which admins only may
// change; each change is in the audit log. Terms of service keep a version
// per effective date (YYYY-MM-DD, today when empty); setting a date again
// replaces that version. The other documents take no date.
func (s *Service) SetInstanceDocument(ctx context.Context, a Actor, kind, source, effectiveDate string) error {
	if err := a.require(PermManageSettings); err != nil {
		return err
	}
	switch kind {
	case DocExtendedDescription, DocPrivacyPolicy:
		if effectiveDate != "" {
			return invalid("effective date", "is only for the terms of service")
		}
	case DocTermsOfService:
		if effectiveDate == "" {
			effectiveDate = s.now().UTC().Format(time.DateOnly)
		}
		d, err := time.Parse(time.DateOnly, effectiveDate)
		if err != nil {
			return invalid("effective date", "must be a date such as 2026-12-31")
		}
		effectiveDate = d.Format(time.DateOnly)
	default:
		return invalid("document", "must be one of "+strings.Join(InstanceDocumentKinds, ", "))
	}
	if len(source) > maxDocumentBytes {
		return invalid("text", fmt.Sprintf("is longer than %d bytes", maxDocumentBytes))
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		before, err := tx.InstanceDocument(ctx, kind, effectiveDate)
		var old string
		switch {
		case err == nil:
			old = before.Body
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		if err := tx.PutInstanceDocument(ctx, &storage.InstanceDocument{Kind: kind, EffectiveDate: effectiveDate, Body: source, UpdatedAt: s.now()}); err != nil {
			return err
		}
		target := strings.ReplaceAll(kind, "_", " ")
		if effectiveDate != "" {
			target += " of " + effectiveDate
		}
		return s.appendAudit(ctx, tx, a, audit{action: "update_instance_document", targetType: "instance_document",
			targetID: kind, target: target,
			detail: map[string]any{"effective_date": effectiveDate, "before": old, "after": source}})
	})
	return domainErr(err)
}

// InstanceDocument returns the extended description or the privacy policy,
// empty when admins have written none.
func (s *Service) InstanceDocument(ctx context.Context, kind string) (*InstanceDocument, error) {
	if kind != DocExtendedDescription && kind != DocPrivacyPolicy {
		return nil, ErrNotFound
	}
	d, err := s.db.InstanceDocument(ctx, kind, "")
	var out *InstanceDocument
	switch {
	case errors.Is(err, storage.ErrNotFound):
		out = &InstanceDocument{Kind: kind}
	case err != nil:
		return nil, err
	default:
		out = &InstanceDocument{Kind: kind, HTML: RenderDocument(d.Body), UpdatedAt: d.UpdatedAt}
	}
	if kind == DocExtendedDescription {
		return s.withGuidance(ctx, out) // guidance.go
	}
	return out, nil
}

// TermsOfService returns the version of the terms of service in effect on
// date (YYYY-MM-DD) or, with date "", the version in effect today, or the
// first one to come when none is in effect yet, as Mastodon 4.4 answers.
// ErrNotFound when there is no such version.
func (s *Service) TermsOfService(ctx context.Context, date string) (*InstanceDocument, error) {
	versions, err := s.db.InstanceDocumentVersions(ctx, DocTermsOfService)
	if err != nil {
		return nil, err
	}
	today := s.now().UTC().Format(time.DateOnly)
	pick := -1
	for i, v := range versions {
		switch {
		case date != "":
			if v.EffectiveDate == date {
				pick = i
			}
		case v.EffectiveDate <= today: // YYYY-MM-DD dates sort as strings
			pick = i
		}
	}
	if date == "" && pick < 0 && len(versions) > 0 {
		pick = 0 // none in effect yet: the first to come
	}
	if pick < 0 {
		return nil, ErrNotFound
	}
	v := versions[pick]
	out := &InstanceDocument{Kind: DocTermsOfService, HTML: RenderDocument(v.Body), UpdatedAt: v.UpdatedAt,
		EffectiveDate: v.EffectiveDate, Effective: v.EffectiveDate <= today}
	if pick+1 < len(versions) {
		out.SucceededBy = versions[pick+1].EffectiveDate
	}
	return out, nil
}

// PublicLocalStatus returns the post of this server that rawURL names (its
// page, /@user/ID, or its ActivityPub id), with its author, when anyone may
// see it without signing in: for embedding (oEmbed). Otherwise ErrNotFound,
// whether the post is private, waiting out its send delay, remote, or
// missing: the answer must not tell those apart.
func (s *Service) PublicLocalStatus(ctx context.Context, rawURL string) (*storage.Status, *storage.Account, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" || !sameHost(u.String(), s.base) {
		return nil, nil, ErrNotFound
	}
	u.RawQuery, u.Fragment = "", ""
	clean := u.String()
	last := clean[strings.LastIndexByte(clean, '/')+1:]
	id, err := strconv.ParseInt(last, 10, 64)
	if err != nil {
		return nil, nil, ErrNotFound
	}
	st, err := s.db.StatusByID(ctx, id)
	if err != nil || !st.Local || (st.URL != clean && st.URI != clean) || !VisibleToPublic(st) || !s.MayView(ctx, nil, st) || st.ReblogOfID != nil {
		return nil, nil, ErrNotFound
	}
	author, err := s.db.AccountByID(ctx, st.AccountID)
	if err != nil {
		return nil, nil, domainErr(err)
	}
	return st, author, nil
}

// InstanceDocumentSources returns what admins wrote for kind, every
// version (terms of service have one per effective date, oldest first),
// for editing. Admins only.
func (s *Service) InstanceDocumentSources(ctx context.Context, a Actor, kind string) ([]*storage.InstanceDocument, error) {
	if err := a.require(PermManageSettings); err != nil {
		return nil, err
	}
	return s.db.InstanceDocumentVersions(ctx, kind)
}
