package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// inHome reports whether the status uri is in owner's home timeline on n.
func inHome(n *node, owner *storage.Account, uri string) bool {
	home, _ := n.svc.HomeTimeline(context.Background(), owner, storage.Page{Limit: 40})
	for _, st := range home {
		if st.URI == uri {
			return true
		}
	}
	return false
}

// inPublic reports whether the status uri is in n's federated timeline.
func inPublic(n *node, uri string) bool {
	pub, _ := n.svc.PublicTimeline(context.Background(), true, true, "", storage.Page{Limit: 40})
	for _, st := range pub {
		if st.URI == uri {
			return true
		}
	}
	return false
}

// deliveryRefused waits until n's delivery of st was refused with status.
func deliveryRefused(t *testing.T, n *node, st *storage.Status, status string) {
	t.Helper()
	eventually(t, "the delivery of "+st.URI+" being refused with "+status, func() bool {
		ds, _ := n.svc.Deliveries(context.Background(), st.ID)
		for _, d := range ds {
			if d.State == storage.DeliveryFailed && strings.Contains(d.LastError, status) {
				return true
			}
		}
		return false
	})
}

// followAndWait makes follower (on from) follow target (on to) and waits
// until the follow is accepted.
func followAndWait(t *testing.T, from, to *node, follower *storage.Account, acct string) *storage.Account {
	t.Helper()
	ctx := context.Background()
	target, err := from.fed.ResolveAccount(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := from.svc.Counts(ctx, follower)
	if _, err := from.svc.Follow(ctx, follower, target); err != nil {
		t.Fatal(err)
	}
	eventually(t, follower.Username+" following "+acct, func() bool {
		c, _ := from.svc.Counts(ctx, follower)
		return c.Following == before.Following+1
	})
	return target
}

func TestSuspendedDomainIsCutOffBothWaysAndUnblockRestores(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		bob := b.user(t, "bob", false)
		aliceOnB := followAndWait(t, b, a, bob, "alice@"+a.domain)
		followAndWait(t, a, b, alice, "bob@"+b.domain)
		first, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Before the block.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		waitInHome(t, b, bob, first.URI, "alice's post reaching bob before the block")

		block, err := b.svc.BlockDomain(ctx, social.CommandLine, social.DomainBlockInput{Domain: a.domain, Severity: social.SeveritySuspend})
		if err != nil {
			t.Fatal(err)
		}
		// The follows both ways are gone on B, and alice with them.
		if c, _ := b.svc.Counts(ctx, bob); c.Following != 0 || c.Followers != 0 {
			t.Fatalf("bob after the block: %+v", c)
		}
		if got, _ := b.svc.AccountByID(ctx, aliceOnB.ID); !got.Suspended() {
			t.Fatal("alice is not suspended on B")
		}
		if inHome(b, bob, first.URI) || inPublic(b, first.URI) {
			t.Fatal("alice's post is still in bob's home or the public timeline")
		}
		if st, err := b.svc.StatusByURI(ctx, first.URI); err == nil && b.svc.MayView(ctx, bob, st) {
			t.Fatal("alice's post can still be viewed on B")
		}

		// A does not know and delivers alice's next post: B's inbox says 403.
		second, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "After the block.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		deliveryRefused(t, a, second, "403")
		if _, err := b.svc.StatusByURI(ctx, second.URI); err == nil {
			t.Fatal("a post from the suspended domain was stored")
		}

		// Nothing of bob's goes to A, not even a mention of alice, and
		// nothing is fetched from A.
		toA, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "@alice@" + a.domain + " are you there?", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.fed.ResolveAccount(ctx, "alice@"+a.domain); err == nil {
			t.Fatal("B resolved an account of the suspended domain")
		}
		if _, err := b.fed.FetchActor(ctx, alice.URI); err == nil {
			t.Fatal("B fetched an actor of the suspended domain")
		}
		time.Sleep(time.Second)
		if ds, _ := b.svc.Deliveries(ctx, toA.ID); len(ds) != 0 {
			t.Fatalf("bob's post was queued for %v", ds)
		}
		if _, err := a.svc.StatusByURI(ctx, toA.URI); err == nil {
			t.Fatal("bob's post reached A")
		}

		// Lifting the block brings alice and her posts back; following
		// her again works.
		if _, err := b.svc.UnblockDomain(ctx, social.CommandLine, block.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := b.svc.AccountByID(ctx, aliceOnB.ID); got.Suspended() {
			t.Fatal("alice is still suspended after the unblock")
		}
		if st, err := b.svc.StatusByURI(ctx, first.URI); err != nil || !b.svc.MayView(ctx, nil, st) || !inPublic(b, first.URI) {
			t.Fatalf("alice's old post after the unblock: %v", err)
		}
		followAndWait(t, b, a, bob, "alice@"+a.domain)
		third, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Back again.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		waitInHome(t, b, bob, third.URI, "alice's post reaching bob after the unblock")
	})
}

func TestSilencedDomainStaysOutOfPublicTimelinesButReachesFollowers(t *testing.T) {
	ctx := context.Background()
	a, b := startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	alice := a.user(t, "alice", false)
	bob := b.user(t, "bob", false)
	carol := b.user(t, "carol", false)
	aliceOnB := followAndWait(t, b, a, bob, "alice@"+a.domain)
	before, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Grand rounds at noon.", Visibility: social.VisibilityPublic})
	if err != nil {
		t.Fatal(err)
	}
	waitInHome(t, b, bob, before.URI, "alice's post reaching bob")
	if !inPublic(b, before.URI) {
		t.Fatal("before the block alice's public post is not in B's public timeline")
	}

	block, err := b.svc.BlockDomain(ctx, social.CommandLine, social.DomainBlockInput{Domain: a.domain, Severity: social.SeveritySilence})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := b.svc.AccountByID(ctx, aliceOnB.ID); got.SilencedAt == nil || got.Suspended() {
		t.Fatalf("alice on B after the silence: silenced %v suspended %v", got.SilencedAt, got.Suspended())
	}
	if inPublic(b, before.URI) {
		t.Fatal("a silenced account's post is still in the public timeline")
	}
	during, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Journal club moved to Friday.", Visibility: social.VisibilityPublic})
	if err != nil {
		t.Fatal(err)
	}
	waitInHome(t, b, bob, during.URI, "a silenced account's post reaching her follower")
	if inPublic(b, during.URI) || inHome(b, carol, during.URI) {
		t.Fatal("a silenced account's post reached someone who does not follow her")
	}
	var list []map[string]any
	rawGet(t, b, nil, "/api/v1/timelines/public", &list)
	for _, st := range list {
		if st["uri"] == during.URI {
			t.Fatal("GET /api/v1/timelines/public shows a silenced account's post")
		}
	}

	if _, err := b.svc.UnblockDomain(ctx, social.CommandLine, block.ID); err != nil {
		t.Fatal(err)
	}
	if !inPublic(b, during.URI) || !inPublic(b, before.URI) {
		t.Fatal("after the unblock alice's posts are not in the public timeline")
	}
}

func TestAllowlistModeFederatesOnlyWithListedServers(t *testing.T) {
	ctx := context.Background()
	// B does not ask for authorized fetch: allowlist mode implies it.
	a, b, c := startNode(t, storage.SQLite), startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	alice := a.user(t, "alice", false)
	bob := b.user(t, "bob", false)
	carol := c.user(t, "carol", false)
	if _, _, err := b.svc.AllowDomain(ctx, social.CommandLine, c.domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.SetFederationMode(ctx, social.CommandLine, social.FederationAllowlist); err != nil {
		t.Fatal(err)
	}

	// The listed server: fetches, follows and posts work both ways.
	followAndWait(t, c, b, carol, "bob@"+b.domain)
	followAndWait(t, b, c, bob, "carol@"+c.domain)
	fromB, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Handover at eight.", Visibility: social.VisibilityPublic})
	if err != nil {
		t.Fatal(err)
	}
	waitInHome(t, c, carol, fromB.URI, "bob's post reaching the listed server")
	fromC, err := c.svc.PostStatus(ctx, carol, social.NewStatus{Text: "Thanks, see you there.", Visibility: social.VisibilityPublic})
	if err != nil {
		t.Fatal(err)
	}
	waitInHome(t, b, bob, fromC.URI, "carol's post reaching B")

	// The unlisted server: B neither fetches from it nor takes its
	// activities, and its signed fetches of B are refused.
	if _, err := b.fed.ResolveAccount(ctx, "alice@"+a.domain); err == nil {
		t.Fatal("B resolved an account of an unlisted server")
	}
	if _, err := a.fed.ResolveAccount(ctx, "bob@"+b.domain); err == nil {
		t.Fatal("B let an unlisted server fetch its actor")
	}
	var se *federation.StatusError
	if _, err := a.fed.FetchActor(ctx, bob.URI); !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
		t.Fatalf("an unlisted server's signed fetch = %v, want 403", err)
	}
	if code, _, _ := getAS(t, bob.URI); code != http.StatusUnauthorized {
		t.Fatalf("an unsigned fetch in allowlist mode = %d, want 401", code)
	}
	// A server that knew bob would deliver to B's shared inbox: refused.
	resp := postAsNode(t, a, alice, b.base+"/inbox", federation.ActivityDoc{
		ID: alice.URI + "#follows/allowlist", Type: "Follow", Actor: alice.URI, ObjectID: bob.URI,
	})
	if resp != http.StatusForbidden {
		t.Fatalf("an unlisted server's signed Follow = %d, want 403", resp)
	}
	if cnt, _ := b.svc.Counts(ctx, bob); cnt.Followers != 1 {
		t.Fatalf("bob has %d followers, want only carol", cnt.Followers)
	}

	// Listing A lets it in.
	if _, _, err := b.svc.AllowDomain(ctx, social.CommandLine, a.domain); err != nil {
		t.Fatal(err)
	}
	followAndWait(t, a, b, alice, "bob@"+b.domain)
}

// postAsNode POSTs act to inboxURL signed with local account by's key on n,
// as n's delivery would, and returns the answer's status.
func postAsNode(t *testing.T, n *node, by *storage.Account, inboxURL string, act federation.ActivityDoc) int {
	t.Helper()
	u, err := n.svc.AccountByID(context.Background(), by.ID)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(u.PrivateKeyPEM))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	signer := &federation.Signer{KeyID: u.KeyID, Key: key.(*rsa.PrivateKey)}
	return signedPost(t, inboxURL, signer, act)
}

func signedPost(t *testing.T, inboxURL string, s *federation.Signer, act federation.ActivityDoc) int {
	t.Helper()
	body, err := federation.MarshalActivity(act)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, inboxURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := federation.SignRequest(req, body, s); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// actorServer publishes actor documents with real keys and counts how
// often each is fetched.
type actorServer struct {
	base string
	mu   sync.Mutex
	docs map[string][]byte
	gets map[string]int
}

func newActorServer(t *testing.T) *actorServer {
	t.Helper()
	s := &actorServer{docs: map[string][]byte{}, gets: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/users/")
		s.mu.Lock()
		s.gets[name]++
		doc := s.docs[name]
		s.mu.Unlock()
		if doc == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write(doc)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	s.base = srv.URL
	return s
}

func (s *actorServer) domain() string { return strings.TrimPrefix(s.base, "http://") }

func (s *actorServer) add(t *testing.T, name string) *federation.Signer {
	t.Helper()
	key := fakeKey(t, name)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := s.base + "/users/" + name
	doc, err := federation.MarshalActor(federation.ActorDoc{
		ID: id, Type: "Person", PreferredUsername: name, Inbox: id + "/inbox", Outbox: id + "/outbox",
		Followers: id + "/followers", Following: id + "/following", PublicKeyID: id + "#main-key", PublicKeyOwner: id,
		PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.docs[name] = doc
	s.mu.Unlock()
	return &federation.Signer{KeyID: id + "#main-key", Key: key}
}

func (s *actorServer) fetches(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[name]
}

func TestInboxRefusesABlockedDomainBeforeFetchingItsKey(t *testing.T) {
	n := startNode(t, storage.SQLite)
	bob := n.user(t, "bob", false)
	remote := newActorServer(t)
	eve, frank := remote.add(t, "eve"), remote.add(t, "frank")
	follow := func(name string, s *federation.Signer, n2 int) int {
		actor := remote.base + "/users/" + name
		return signedPost(t, bob.InboxURL, s, federation.ActivityDoc{
			ID: actor + "#follows/" + string(rune('0'+n2)), Type: "Follow", Actor: actor, ObjectID: bob.URI,
		})
	}
	// Unblocked, eve's key is fetched and her follow taken.
	if code := follow("eve", eve, 1); code != http.StatusAccepted || remote.fetches("eve") == 0 {
		t.Fatalf("an unblocked server's follow = %d after %d fetches of its actor", code, remote.fetches("eve"))
	}
	if _, err := n.svc.BlockDomain(context.Background(), social.CommandLine, social.DomainBlockInput{Domain: remote.domain(), Severity: social.SeveritySuspend}); err != nil {
		t.Fatal(err)
	}
	if code := follow("frank", frank, 1); code != http.StatusForbidden {
		t.Fatalf("a suspended server's follow = %d, want 403", code)
	}
	if remote.fetches("frank") != 0 {
		t.Fatal("the inbox fetched a key of a suspended server")
	}
	if code := follow("eve", eve, 2); code != http.StatusForbidden {
		t.Fatalf("a suspended server's follow with a known key = %d, want 403", code)
	}
	if c, _ := n.svc.Counts(context.Background(), bob); c.Followers != 0 {
		t.Fatalf("bob has %d followers from the suspended server", c.Followers)
	}
}
