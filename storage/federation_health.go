package storage

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// DomainDeliveries is how deliveries to one remote domain stand: the
// admin dashboard's federation health.
type DomainDeliveries struct {
	Domain    string
	Queued    int // still pending, to be tried again
	Failed    int // given up on
	Delivered int
	// UnavailableSince is set while the domain is marked unavailable.
	UnavailableSince *time.Time
	LastFailureAt    *time.Time
}

// maxHealthInboxes bounds the inbox rows read for DeliveriesByDomain.
const maxHealthInboxes = 5000

// DeliveriesByDomain counts the deliveries touched since since by the
// domain of their inbox, the domains with most failed and queued
// deliveries first, at most limit domains. Domains whose deliveries all
// went through are left out.
func (q queries) DeliveriesByDomain(ctx context.Context, since time.Time, limit int) ([]DomainDeliveries, error) {
	var rows []struct {
		InboxURL string `bun:"inbox_url"`
		State    string `bun:"state"`
		N        int    `bun:"n"`
	}
	// The host is computed in Go: taking it apart in SQL differs between
	// SQLite and PostgreSQL, and the rows are per inbox, not per delivery.
	err := q.r.NewSelect().Model((*Delivery)(nil)).
		ColumnExpr("inbox_url, state, count(*) AS n").
		Where("updated_at >= ?", since).
		GroupExpr("inbox_url, state").
		OrderExpr("count(*) DESC").
		Limit(maxHealthInboxes).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("deliveries by domain: %w", err)
	}
	byDomain := map[string]*DomainDeliveries{}
	for _, r := range rows {
		host := r.InboxURL
		if u, err := url.Parse(r.InboxURL); err == nil && u.Host != "" {
			host = strings.ToLower(u.Host)
		}
		d := byDomain[host]
		if d == nil {
			d = &DomainDeliveries{Domain: host}
			byDomain[host] = d
		}
		switch r.State {
		case DeliveryPending:
			d.Queued += r.N
		case DeliveryFailed:
			d.Failed += r.N
		case DeliveryDelivered:
			d.Delivered += r.N
		}
	}
	out := make([]DomainDeliveries, 0, len(byDomain))
	for _, d := range byDomain {
		if d.Queued+d.Failed > 0 {
			out = append(out, *d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Failed != out[j].Failed {
			return out[i].Failed > out[j].Failed
		}
		if out[i].Queued != out[j].Queued {
			return out[i].Queued > out[j].Queued
		}
		return out[i].Domain < out[j].Domain
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	if len(out) == 0 {
		return out, nil
	}
	domains := make([]string, len(out))
	for i, d := range out {
		domains[i] = d.Domain
	}
	var health []DomainHealth
	if err := q.r.NewSelect().Model(&health).Where("domain IN (?)", bun.In(domains)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("domain health: %w", err)
	}
	for _, h := range health {
		for i := range out {
			if out[i].Domain == h.Domain {
				out[i].UnavailableSince, out[i].LastFailureAt = h.UnavailableSince, h.LastFailureAt
			}
		}
	}
	return out, nil
}
