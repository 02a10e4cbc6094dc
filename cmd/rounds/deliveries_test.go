package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// GET /api/v1/statuses/:id/deliveries shows the author where a post went:
// delivered to a real second server, pending with its next attempt where
// the server answers 503, failed where it refuses with 403; nobody else
// may ask.
func TestStatusDeliveriesShowWhereAPostWent(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "mallory", false)
		bob := b.user(t, "bob", false)
		aliceOnB, err := b.fed.ResolveAccount(ctx, "alice@"+a.domain)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Follow(ctx, bob, aliceOnB); err != nil {
			t.Fatal(err)
		}
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
		defer down.Close()
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
		defer refusing.Close()
		for i, srv := range []*httptest.Server{down, refusing} {
			uri := fmt.Sprintf("%s/users/f%d", srv.URL, i)
			f := &storage.Account{Username: fmt.Sprintf("f%d", i), URI: uri, InboxURL: uri + "/inbox", KeyID: uri + "#main-key", ActorType: "Person", Fields: "[]"}
			if err := a.svc.StoreRemoteAccount(ctx, f); err != nil {
				t.Fatal(err)
			}
			if err := a.svc.ReceiveFollow(ctx, f, alice, uri+"/follows/1"); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "alice's three followers", func() bool {
			c, _ := a.svc.Counts(ctx, alice)
			cb, _ := b.svc.Counts(ctx, bob)
			return c.Followers == 3 && cb.Following == 1
		})
		st, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Ward round handover moved to 8:15", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		tok := tokenFor(t, a, "alice", "read")
		path := fmt.Sprintf("/api/v1/statuses/%d/deliveries", st.ID)
		byDomain := map[string]map[string]any{}
		eventually(t, "all three deliveries settling", func() bool {
			code, body := call(t, a, tok, "GET", path, nil)
			if code != http.StatusOK {
				t.Fatalf("deliveries: %d %v", code, body)
			}
			list, _ := body["deliveries"].([]any)
			for _, d := range list {
				m := d.(map[string]any)
				byDomain[m["domain"].(string)] = m
			}
			return len(list) == 3 && byDomain[b.domain]["state"] == "delivered" &&
				byDomain[down.Listener.Addr().String()]["attempts"] != 0.0 &&
				byDomain[refusing.Listener.Addr().String()]["state"] == "failed"
		})
		pending := byDomain[down.Listener.Addr().String()]
		if pending["state"] != "pending" || pending["next_attempt_at"] == nil || !mastoTimeRE.MatchString(pending["next_attempt_at"].(string)) {
			t.Fatalf("the unreachable server's delivery: %v", pending)
		}
		if failed := byDomain[refusing.Listener.Addr().String()]; failed["last_error"] != "refused with 403" || failed["next_attempt_at"] != nil {
			t.Fatalf("the refusing server's delivery: %v", failed)
		}
		requireKeys(t, "a delivery", byDomain[b.domain], "domain", "inbox", "state", "attempts", "last_error", "updated_at", "next_attempt_at")

		if code, _ := call(t, a, tokenFor(t, a, "mallory", "read"), "GET", path, nil); code != http.StatusNotFound {
			t.Fatalf("another user asking: %d, want 404", code)
		}
		if code, _ := call(t, a, "", "GET", path, nil); code != http.StatusUnauthorized {
			t.Fatalf("no token: %d, want 401", code)
		}
	})
}
