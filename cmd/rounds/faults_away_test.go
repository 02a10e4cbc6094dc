package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestServerAwayForDaysIsSkippedThenRecoversWhenItReturns: a server that
// has failed every delivery for more than DomainUnavailableAfter (the days
// are written into its health record, not waited for) is marked
// unavailable; a post then skips it at once, saying why; when the server
// comes back (it sends us an activity) it is available again and the next
// post reaches it.
func TestServerAwayForDaysIsSkippedThenRecoversWhenItReturns(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		doc := n.user(t, "doc", false)
		rem := newFakeRemote(t, fakeRemoteOptions{}, "mallory")
		mallory := rem.actorURI("mallory")
		u, _ := url.Parse(rem.base)
		domain := u.Host
		// mallory follows doc; set up here, so that nothing has yet come
		// from her server through the inbox.
		malloryHere, err := n.fed.FetchActor(ctx, mallory)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.svc.ReceiveFollow(ctx, malloryHere, doc, mallory+"/follows/1"); err != nil {
			t.Fatal(err)
		}
		delivered := func() int { return rem.count("/inbox") + rem.count("/users/mallory/inbox") }

		// Her server has failed every delivery since four days ago.
		now := time.Now().UTC()
		if err := n.db.RecordDomainFailure(ctx, domain, now.Add(-4*24*time.Hour), social.DomainUnavailableAfter); err != nil {
			t.Fatal(err)
		}
		if down, err := n.svc.DomainUnavailable(ctx, domain); err != nil || down {
			t.Fatalf("one failure marked the domain unavailable (%v, %v)", down, err)
		}
		if err := n.db.RecordDomainFailure(ctx, domain, now, social.DomainUnavailableAfter); err != nil {
			t.Fatal(err)
		}
		if down, err := n.svc.DomainUnavailable(ctx, domain); err != nil || !down {
			t.Fatalf("failing for four days did not mark the domain unavailable (%v, %v)", down, err)
		}

		// A post skips her server at once, and says why.
		before := delivered()
		first, err := n.svc.PostStatus(ctx, doc, social.NewStatus{Text: "Ward round moved to nine."})
		if err != nil {
			t.Fatal(err)
		}
		var why string
		eventually(t, "the delivery to the unavailable server being skipped", func() bool {
			ds, err := n.svc.Deliveries(ctx, first.ID)
			if err != nil || len(ds) != 1 {
				return false
			}
			why = ds[0].LastError
			return ds[0].State == storage.DeliveryFailed
		})
		if !strings.Contains(why, "unreachable for days") {
			t.Fatalf("the skipped delivery says %q", why)
		}
		if got := delivered(); got != before {
			t.Fatalf("%d deliveries reached the unavailable server", got-before)
		}

		// Her server comes back: it sends doc a post.
		noteID := rem.nextID("mallory", "statuses")
		body, err := federation.MarshalActivity(federation.ActivityDoc{
			ID: noteID + "/activity", Type: "Create", Actor: mallory, Published: time.Now().UTC(),
			To: []string{doc.URI}, ObjectID: noteID,
			Note: &federation.NoteDoc{
				ID: noteID, Type: "Note", URL: noteID, AttributedTo: mallory, Content: "<p>@doc we are back</p>",
				To: []string{doc.URI}, Tags: []federation.Tag{{Type: "Mention", Href: doc.URI, Name: "@doc@" + n.domain}},
				Published: time.Now().UTC(),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp := rem.post(t, n.base+"/inbox", "mallory", body, nil); resp.StatusCode != 202 {
			t.Fatalf("her post: %d %s", resp.StatusCode, readAll(resp))
		}
		if down, err := n.svc.DomainUnavailable(ctx, domain); err != nil || down {
			t.Fatalf("the domain is still unavailable after it sent us a post (%v, %v)", down, err)
		}
		second, err := n.svc.PostStatus(ctx, doc, social.NewStatus{Text: "Ward round back at eight."})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the next post reaching the server that returned", func() bool {
			ds, err := n.svc.Deliveries(ctx, second.ID)
			return err == nil && len(ds) == 1 && ds[0].State == storage.DeliveryDelivered && delivered() > before
		})
	})
}
