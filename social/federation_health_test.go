package social_test

import (
	"context"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestDomainFailingForDaysIsMarkedUnavailableAndRecovers drives a domain's
// health through days of failed deliveries on an injected clock: a short
// outage never marks it, failing for more than DomainUnavailableAfter
// does, and one success (a delivery, or the server sending us something)
// makes it available again, with a fresh window for the next outage.
func TestDomainFailingForDaysIsMarkedUnavailableAndRecovers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		clock := t0
		s := newService(t, dialect, func() time.Time { return clock })
		result := func(domain string, ok bool) {
			t.Helper()
			r := social.DeliveryResult{Inbox: "https://" + domain + "/inbox", Domain: domain, State: storage.DeliveryPending, Error: "connection refused"}
			if ok {
				r.State, r.Error = storage.DeliveryDelivered, ""
			}
			if err := s.RecordDeliveryResults(ctx, 0, []social.DeliveryResult{r}, 1, clock.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		down := func(domain string) bool {
			t.Helper()
			d, err := s.DomainUnavailable(ctx, domain)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}

		// gone.example fails every six hours; blip.example fails for two
		// days, then answers.
		markedAt := time.Duration(0)
		for h := 0; h <= 4*24; h += 6 {
			clock = t0.Add(time.Duration(h) * time.Hour)
			result("gone.example", false)
			if h <= 48 {
				result("blip.example", h == 48)
			}
			if down("blip.example") {
				t.Fatalf("a two-day outage marked blip.example unavailable at hour %d", h)
			}
			if d := down("gone.example"); d && markedAt == 0 {
				markedAt = clock.Sub(t0)
			} else if !d && markedAt != 0 {
				t.Fatalf("gone.example available again at hour %d without a success", h)
			}
		}
		if markedAt <= social.DomainUnavailableAfter || markedAt > social.DomainUnavailableAfter+6*time.Hour {
			t.Fatalf("gone.example marked unavailable after %v of failures, want the first failure past %v", markedAt, social.DomainUnavailableAfter)
		}

		// It comes back: it sends us something.
		clock = t0.Add(5 * 24 * time.Hour)
		if err := s.DomainAnswered(ctx, "gone.example"); err != nil {
			t.Fatal(err)
		}
		if down("gone.example") {
			t.Fatal("gone.example still unavailable after it answered")
		}
		// A new outage starts a new window: a failure right after is not
		// held against the old one.
		clock = clock.Add(time.Hour)
		result("gone.example", false)
		if down("gone.example") {
			t.Fatal("one failure after the return marked gone.example unavailable again")
		}
		// Away again for days, then a delivery goes through.
		for h := 6; h <= 4*24; h += 6 {
			clock = t0.Add(5*24*time.Hour + time.Duration(h)*time.Hour)
			result("gone.example", false)
		}
		if !down("gone.example") {
			t.Fatal("a second outage of four days did not mark gone.example unavailable")
		}
		result("gone.example", true)
		if down("gone.example") {
			t.Fatal("a delivered post did not make gone.example available")
		}
	})
}
