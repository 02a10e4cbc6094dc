package social

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"rounds/storage"
)

// The organisation's social media guidance: admins write it in Markdown,
// each change a new version; every clinician acknowledges the current
// version once before they next post (PostStatus and scheduling refuse
// until then). While no guidance is written, nothing is asked.

// GuidancePath is the page where a clinician reads and acknowledges the
// guidance.
const GuidancePath = "/settings/guidance"

// Guidance is a version of the organisation's social media guidance.
type Guidance struct {
	Version   int
	Source    string // Markdown, as the admin wrote it
	HTML      string // rendered and sanitised
	CreatedAt time.Time
}

// GuidanceURL is the address of the page where clinicians acknowledge
// the guidance.
func (s *Service) GuidanceURL() string { return s.base + GuidancePath }

// CurrentGuidance returns the guidance in force, or nil when admins have
// written none (or emptied it).
func (s *Service) CurrentGuidance(ctx context.Context) (*Guidance, error) {
	return currentGuidance(ctx, s.db.LatestGuidance)
}

func currentGuidance(ctx context.Context, latest func(context.Context) (*storage.GuidanceVersion, error)) (*Guidance, error) {
	v, err := latest(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(v.Body) == "" {
		return nil, nil
	}
	return &Guidance{Version: v.Version, Source: v.Body, HTML: RenderDocument(v.Body), CreatedAt: v.CreatedAt}, nil
}

// SetGuidance stores source as a new version of the guidance, which every
// clinician is then asked to acknowledge; an empty source withdraws it.
// Admins only; audited.
func (s *Service) SetGuidance(ctx context.Context, a Actor, source string) (*Guidance, error) {
	if err := a.require(PermManageSettings); err != nil {
		return nil, err
	}
	if len(source) > maxDocumentBytes {
		return nil, invalid("text", fmt.Sprintf("is longer than %d bytes", maxDocumentBytes))
	}
	var out *Guidance
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		before, err := currentGuidance(ctx, tx.LatestGuidance)
		if err != nil {
			return err
		}
		old := ""
		if before != nil {
			old = before.Source
			if old == source {
				out = before // unchanged: nobody is asked again
				return nil
			}
		}
		v, err := tx.AddGuidanceVersion(ctx, source, s.now())
		if err != nil {
			return err
		}
		out = &Guidance{Version: v.Version, Source: v.Body, HTML: RenderDocument(v.Body), CreatedAt: v.CreatedAt}
		return s.appendAudit(ctx, tx, a, audit{action: "update_guidance", targetType: "guidance",
			targetID: fmt.Sprint(v.Version), target: fmt.Sprintf("social media guidance, version %d", v.Version),
			detail: map[string]any{"version": v.Version, "before": old, "after": source}})
	})
	if err != nil {
		return nil, domainErr(err)
	}
	if strings.TrimSpace(out.Source) == "" {
		return nil, nil
	}
	return out, nil
}

// GuidanceAcknowledgement returns the guidance in force and when me
// acknowledged it (nil when not yet); both nil when there is none.
func (s *Service) GuidanceAcknowledgement(ctx context.Context, me *storage.Account) (*Guidance, *time.Time, error) {
	g, err := s.CurrentGuidance(ctx)
	if err != nil || g == nil {
		return nil, nil, err
	}
	ack, err := s.db.GuidanceAcknowledgement(ctx, me.ID, g.Version)
	if errors.Is(err, storage.ErrNotFound) {
		return g, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return g, &ack.AcknowledgedAt, nil
}

// AcknowledgeGuidance records that me read version, which must be the
// version in force (a newer one may have come while they read).
func (s *Service) AcknowledgeGuidance(ctx context.Context, me *storage.Account, version int) error {
	if !me.Local() || me.Suspended() {
		return ErrForbidden
	}
	g, err := s.CurrentGuidance(ctx)
	if err != nil {
		return err
	}
	if g == nil || g.Version != version {
		return invalid("", "The guidance has changed since you opened it: read the current version")
	}
	return s.db.AcknowledgeGuidance(ctx, me.ID, version, s.now())
}

// checkGuidance refuses author's post while they have not acknowledged
// the guidance in force, naming the page where they may.
func (s *Service) checkGuidance(ctx context.Context, author *storage.Account) error {
	// Read, not rendered: this runs on every post.
	g, err := s.db.LatestGuidance(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil || strings.TrimSpace(g.Body) == "" {
		return err
	}
	if _, err := s.db.GuidanceAcknowledgement(ctx, author.ID, g.Version); !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return invalid("", fmt.Sprintf("Before you post, read the organisation's social media guidance (version %d) and confirm you have read it at %s", g.Version, s.GuidanceURL()))
}

// GuidancePending returns, for staff, the guidance in force and the
// people who may post and have not acknowledged it.
func (s *Service) GuidancePending(ctx context.Context, a Actor) (*Guidance, []*storage.User, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, nil, err
	}
	g, err := s.CurrentGuidance(ctx)
	if err != nil || g == nil {
		return nil, nil, err
	}
	users, err := s.db.GuidancePending(ctx, g.Version)
	return g, users, err
}

// GuidancePublicPath is the public page showing the guidance in force.
const GuidancePublicPath = "/about/guidance"

// GuidanceRule is the rule apps are shown pointing to the guidance, with
// its address as the hint; "" when there is no guidance.
func (s *Service) GuidanceRule(ctx context.Context) (text, hint string) {
	g, err := s.CurrentGuidance(ctx)
	if err != nil || g == nil {
		return "", ""
	}
	return "Read and follow the organisation's social media guidance; clinicians confirm they have read it before they post.", s.base + GuidancePublicPath
}

// withGuidance adds the guidance in force to the extended description d:
// the whole of it when admins wrote no description, else after it.
func (s *Service) withGuidance(ctx context.Context, d *InstanceDocument) (*InstanceDocument, error) {
	g, err := s.CurrentGuidance(ctx)
	if err != nil || g == nil {
		return d, err
	}
	if d.HTML != "" {
		d.HTML += "\n"
	}
	d.HTML += "<h2>Social media guidance</h2>\n" + g.HTML
	if g.CreatedAt.After(d.UpdatedAt) {
		d.UpdatedAt = g.CreatedAt
	}
	return d, nil
}
