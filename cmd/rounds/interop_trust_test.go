package main

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// looseServer is a hand-made remote server on its own loopback port whose
// routes a test fills in.
type looseServer struct {
	base string
	mu   sync.Mutex
	mux  *http.ServeMux
	hits map[string]int
}

func newLooseServer(t *testing.T) *looseServer {
	t.Helper()
	s := &looseServer{mux: http.NewServeMux(), hits: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		s.mux.ServeHTTP(w, r)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	s.base = srv.URL
	return s
}

func (s *looseServer) handle(pattern string, h http.HandlerFunc) { s.mux.HandleFunc(pattern, h) }

func (s *looseServer) serveJSON(pattern string, doc []byte) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write(doc)
	})
}

func (s *looseServer) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func publicPEM(t *testing.T, name string) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&fakeKey(t, name).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestOpenRedirectCannotImpersonateItsHost plays Mastodon's CVE-2024-23832:
// a server with an open redirect (victim) would let another server (evil)
// answer for it. Evil signs a Follow as victim's admin with a keyId that
// goes through the redirect to evil's own document claiming to be that
// admin with evil's key; it also offers a post and an actor at redirect
// addresses. None of it may be taken.
func TestOpenRedirectCannotImpersonateItsHost(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		bob := n.user(t, "bob", false)
		victim, evil := newLooseServer(t), newLooseServer(t)
		victim.handle("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		})
		via := func(path string) string { return victim.base + "/redirect?to=" + url.QueryEscape(evil.base+path) }
		admin := victim.base + "/users/admin"
		keyID := via("/key") + "#main-key"
		forged, err := federation.MarshalActor(federation.ActorDoc{
			ID: admin, Type: "Person", PreferredUsername: "admin", Inbox: admin + "/inbox",
			PublicKeyID: keyID, PublicKeyOwner: admin, PublicKeyPEM: publicPEM(t, "evil"),
		})
		if err != nil {
			t.Fatal(err)
		}
		evil.serveJSON("GET /key", forged)
		// An actor and a post whose ids are the redirect addresses themselves.
		forgedHere, err := federation.MarshalActor(federation.ActorDoc{
			ID: via("/actor"), Type: "Person", PreferredUsername: "root", Inbox: admin + "/inbox",
			PublicKeyID: via("/actor") + "#main-key", PublicKeyOwner: via("/actor"), PublicKeyPEM: publicPEM(t, "evil"),
		})
		if err != nil {
			t.Fatal(err)
		}
		evil.serveJSON("GET /actor", forgedHere)
		note, err := federation.MarshalNote(federation.NoteDoc{
			ID: via("/note"), Type: "Note", AttributedTo: admin, Content: "<p>Stop all anticoagulants.</p>",
			To: []string{federation.PublicCollection}, Published: time.Now().UTC(),
		})
		if err != nil {
			t.Fatal(err)
		}
		evil.serveJSON("GET /note", note)

		code := signedPost(t, bob.InboxURL, &federation.Signer{KeyID: keyID, Key: fakeKey(t, "evil")}, federation.ActivityDoc{
			ID: admin + "#follows/1", Type: "Follow", Actor: admin, ObjectID: bob.URI,
		})
		if code == http.StatusAccepted {
			t.Fatal("a Follow signed through an open redirect was accepted")
		}
		if c, _ := n.svc.Counts(ctx, bob); c.Followers != 0 {
			t.Fatalf("bob has %d followers", c.Followers)
		}
		if a, err := n.svc.AccountByURI(ctx, admin); err == nil {
			t.Fatalf("the forged actor %s was stored with key %s", a.URI, a.KeyID)
		}
		if a, err := n.fed.FetchActor(ctx, via("/actor")); err == nil {
			t.Fatalf("FetchActor through an open redirect stored %s", a.URI)
		}
		if a, st, err := n.fed.ResolveObject(ctx, via("/note")); err == nil {
			t.Fatalf("ResolveObject through an open redirect = %v, %v", a, st)
		}
		if _, err := n.svc.StatusByURI(ctx, via("/note")); err == nil {
			t.Fatal("the forged post was stored")
		}
		for _, p := range []string{"/key", "/actor", "/note"} {
			if h := evil.hitsOf(p); h != 0 {
				t.Errorf("the node fetched evil's %s %d times through the redirect", p, h)
			}
		}
	})
}

// TestInstanceActorRoundTripsThroughWebFinger: the instance actor, which
// signs the server's fetches, says preferredUsername = the domain, and
// GoToSocial and Mastodon check a signed GET by resolving
// acct:DOMAIN@DOMAIN through WebFinger back to that actor.
func TestInstanceActorRoundTripsThroughWebFinger(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		code, actor, _ := getAS(t, b.base+"/actor")
		if code != http.StatusOK || actor["id"] != b.base+"/actor" || actor["preferredUsername"] != b.domain {
			t.Fatalf("GET /actor = %d %v", code, actor)
		}
		acct := "acct:" + b.domain + "@" + b.domain
		code, body := get(t, b.base+"/.well-known/webfinger?resource="+url.QueryEscape(acct))
		if code != http.StatusOK {
			t.Fatalf("webfinger %s = %d %s", acct, code, body)
		}
		var jrd struct {
			Subject string
			Links   []struct{ Rel, Type, Href string }
		}
		if err := json.Unmarshal([]byte(body), &jrd); err != nil {
			t.Fatal(err)
		}
		self := ""
		for _, l := range jrd.Links {
			if l.Rel == "self" && l.Type == "application/activity+json" {
				self = l.Href
			}
		}
		if jrd.Subject != acct || self != b.base+"/actor" {
			t.Fatalf("webfinger %s = %s", acct, body)
		}
		// By the actor's id, too, it answers with the same subject.
		if code, body := get(t, b.base+"/.well-known/webfinger?resource="+url.QueryEscape(b.base+"/actor")); code != http.StatusOK || !strings.Contains(body, `"subject":"`+acct+`"`) {
			t.Fatalf("webfinger by the instance actor's id = %d %s", code, body)
		}
		// Another server resolves it as it would the signer of a fetch.
		got, err := a.fed.ResolveAccount(ctx, b.domain+"@"+b.domain)
		if err != nil || got.URI != b.base+"/actor" {
			t.Fatalf("ResolveAccount(%s@%s) = %v, %v", b.domain, b.domain, got, err)
		}
	})
}

// TestAuthorizedFetchRequiresRequestTargetSigned: under authorized fetch a
// signature over host and date alone would let one signed GET be replayed
// to any path for 12 hours; it is refused, and a full one accepted.
func TestAuthorizedFetchRequiresRequestTargetSigned(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNodeWith(t, dialect, func(rc *rawConfig) { rc.authorizedFetch = true })
		bob := n.user(t, "bob", false)
		rem := newFakeRemote(t, fakeRemoteOptions{}, "eve")
		fetch := func(target string, headers []string) int {
			t.Helper()
			req, err := http.NewRequest(http.MethodGet, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "application/activity+json")
			if headers == nil {
				err = federation.SignRequest(req, nil, rem.signer("eve"))
			} else {
				req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
				req.Header.Set("Host", req.URL.Host)
				var s httpsig.Signer
				if s, _, err = httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0); err == nil {
					err = s.SignRequest(rem.signer("eve").Key, rem.signer("eve").KeyID, req, nil)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := fetch(bob.URI, nil); code != http.StatusOK {
			t.Fatalf("a fully signed GET = %d, want 200", code)
		}
		for _, target := range []string{bob.URI, bob.FollowersURL} {
			if code := fetch(target, []string{"host", "date"}); code != http.StatusUnauthorized {
				t.Fatalf("GET %s signed over host and date only = %d, want 401", target, code)
			}
		}
	})
}

// TestKeyDocumentsLikeGoToSocialFederateBothWays runs one Rounds server
// that publishes its keys as documents of their own (keyId
// https://host/users/NAME/main-key, no fragment), as GoToSocial does, next
// to a plain one, both requiring signed fetches as GoToSocial does: they
// follow each other and posts arrive both ways.
func TestKeyDocumentsLikeGoToSocialFederateBothWays(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a := startNodeWith(t, dialect, func(rc *rawConfig) { rc.authorizedFetch = true })
		g := startNodeWith(t, dialect, func(rc *rawConfig) { rc.authorizedFetch = true; rc.keyDocuments = true })
		alice, gina := a.user(t, "alice", false), g.user(t, "gina", false)

		// The key documents are readable unsigned, in both modes.
		for _, n := range []struct {
			node *node
			who  *storage.Account
			kid  string
		}{{g, gina, gina.URI + "/main-key"}, {a, alice, alice.URI + "#main-key"}} {
			code, key, _ := getAS(t, n.who.URI+"/main-key")
			if code != http.StatusOK || key["id"] != n.who.URI+"/main-key" || key["owner"] != n.who.URI || !strings.Contains(fmt.Sprint(key["publicKeyPem"]), "BEGIN PUBLIC KEY") {
				t.Fatalf("GET %s/main-key = %d %v", n.who.URI, code, key)
			}
			if code, _, _ := getAS(t, n.node.base+"/actor/main-key"); code != http.StatusOK {
				t.Fatalf("GET %s/actor/main-key = %d", n.node.base, code)
			}
			// The actor names the keyId it signs with.
			actor := signedGetAS(t, n.who.URI, a)
			if pk, _ := actor["publicKey"].(map[string]any); pk["id"] != n.kid || pk["owner"] != n.who.URI {
				t.Fatalf("%s's publicKey = %v, want id %s", n.who.URI, actor["publicKey"], n.kid)
			}
		}

		ginaOnA := followAcross(t, a, alice, g, "gina")
		if ginaOnA.KeyID != gina.URI+"/main-key" {
			t.Fatalf("a stored gina's key as %q", ginaOnA.KeyID)
		}
		followAcross(t, g, gina, a, "alice")
		fromG, err := g.svc.PostStatus(ctx, gina, social.NewStatus{Text: "Ward round moved to nine.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		waitInHome(t, a, alice, fromG.URI, "gina's post reaching a")
		fromA, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Noted, thanks.", Visibility: social.VisibilityPrivate})
		if err != nil {
			t.Fatal(err)
		}
		waitInHome(t, g, gina, fromA.URI, "alice's followers-only post reaching g")
	})
}

// signedGetAS GETs an ActivityPub document signed by n's instance actor.
func signedGetAS(t *testing.T, uri string, n *node) map[string]any {
	t.Helper()
	inst, err := n.svc.InstanceActor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(inst.PrivateKeyPEM))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, uri, nil)
	req.Header.Set("Accept", "application/activity+json")
	if err := federation.SignRequest(req, nil, &federation.Signer{KeyID: inst.KeyID, Key: key.(*rsa.PrivateKey)}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("signed GET %s = %d, %v", uri, resp.StatusCode, err)
	}
	return doc
}

// fakeGoToSocial plays what a GoToSocial server does that Rounds has to
// meet: WebFinger answers 406 unless it may answer JRD or JSON; actors are
// served only to signed GETs, whose signer is resolved by fetching the
// keyId's actor and then WebFinger of its preferredUsername at its host,
// which must lead back to it; keys are https://host/users/NAME/main-key,
// served as a stub of the actor carrying only the publicKey.
type fakeGoToSocial struct {
	*looseServer
	host      string
	mu        sync.Mutex
	signedGet []string // why signed GETs were refused
}

func newFakeGoToSocial(t *testing.T, names ...string) *fakeGoToSocial {
	t.Helper()
	g := &fakeGoToSocial{looseServer: newLooseServer(t)}
	g.host = strings.TrimPrefix(g.base, "http://")
	actors, stubs := map[string][]byte{}, map[string][]byte{}
	for _, name := range names {
		id := g.actorID(name)
		actor, err := federation.MarshalActor(federation.ActorDoc{
			ID: id, Type: "Person", PreferredUsername: name, Inbox: id + "/inbox", Outbox: id + "/outbox",
			Followers: id + "/followers", Following: id + "/following",
			PublicKeyID: id + "/main-key", PublicKeyOwner: id, PublicKeyPEM: publicPEM(t, "gts-"+name),
		})
		if err != nil {
			t.Fatal(err)
		}
		stub, err := json.Marshal(map[string]any{
			"@context": []string{"https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"},
			"id":       id, "type": "Person", "preferredUsername": name,
			"publicKey": map[string]string{"id": id + "/main-key", "owner": id, "publicKeyPem": publicPEM(t, "gts-"+name)},
		})
		if err != nil {
			t.Fatal(err)
		}
		actors[name], stubs[name] = actor, stub
	}
	g.handle("GET /.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		if !acceptsJRD(r.Header.Get("Accept")) {
			w.WriteHeader(http.StatusNotAcceptable)
			return
		}
		name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Query().Get("resource"), "acct:"), "@"+g.host)
		if !ok || actors[name] == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"subject": "acct:" + name + "@" + g.host,
			"links": []map[string]string{{"rel": "self", "type": "application/activity+json", "href": g.actorID(name)}}})
	})
	g.handle("GET /users/{name}", func(w http.ResponseWriter, r *http.Request) {
		doc := actors[r.PathValue("name")]
		if doc == nil {
			http.NotFound(w, r)
			return
		}
		if _, _, err := federation.VerifyRequest(r.Context(), r, nil, webfingerKeys{}, time.Now()); err != nil {
			g.mu.Lock()
			g.signedGet = append(g.signedGet, err.Error())
			g.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write(doc)
	})
	// Keys are served unsigned, as the stub GoToSocial publishes.
	g.handle("GET /users/{name}/main-key", func(w http.ResponseWriter, r *http.Request) {
		doc := stubs[r.PathValue("name")]
		if doc == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write(doc)
	})
	g.handle("POST /users/{name}/inbox", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	return g
}

func (g *fakeGoToSocial) actorID(name string) string { return g.base + "/users/" + name }

func (g *fakeGoToSocial) signer(t *testing.T, name string) *federation.Signer {
	return &federation.Signer{KeyID: g.actorID(name) + "/main-key", Key: fakeKey(t, "gts-"+name)}
}

func (g *fakeGoToSocial) refusals() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.signedGet...)
}

// acceptsJRD is GoToSocial's WebFinger content negotiation.
func acceptsJRD(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if mt == "application/jrd+json" || mt == "application/json" {
			return true
		}
	}
	return false
}

// webfingerKeys resolves a signer as GoToSocial does: the keyId's actor,
// then WebFinger of preferredUsername@host, which must name that actor.
type webfingerKeys struct{}

func (webfingerKeys) PublicKey(ctx context.Context, keyID string, _ bool) (crypto.PublicKey, string, error) {
	get := func(u, accept string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d", u, resp.StatusCode)
		}
		return io.ReadAll(resp.Body)
	}
	actorURL, _, _ := strings.Cut(keyID, "#")
	body, err := get(actorURL, "application/activity+json")
	if err != nil {
		return nil, "", err
	}
	d, err := federation.ParseActor(body)
	if err != nil {
		return nil, "", err
	}
	u, _ := url.Parse(d.ID)
	body, err = get(u.Scheme+"://"+u.Host+"/.well-known/webfinger?resource="+url.QueryEscape("acct:"+d.PreferredUsername+"@"+u.Host), "application/jrd+json")
	if err != nil {
		return nil, "", fmt.Errorf("webfinger of the signer: %w", err)
	}
	var jrd struct {
		Links []struct{ Rel, Href string }
	}
	_ = json.Unmarshal(body, &jrd)
	for _, l := range jrd.Links {
		if l.Rel == "self" && l.Href == d.ID {
			block, _ := pem.Decode([]byte(d.PublicKeyPEM))
			if block == nil {
				return nil, "", fmt.Errorf("no key")
			}
			pub, err := x509.ParsePKIXPublicKey(block.Bytes)
			return pub, d.ID, err
		}
	}
	return nil, "", fmt.Errorf("webfinger of the signer does not lead back to %s", d.ID)
}

// TestGoToSocialLikeServerFederates meets a server behaving like
// GoToSocial: WebFinger answers only JRD, actors only signed GETs whose
// signer resolves through WebFinger, and it signs with a keyId that is a
// stub document of its own.
func TestGoToSocialLikeServerFederates(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		bob := n.user(t, "bob", false)
		g := newFakeGoToSocial(t, "ann", "cy")

		ann, err := n.fed.ResolveAccount(ctx, "ann@"+g.host)
		if err != nil {
			t.Fatalf("resolve ann@%s: %v (GoToSocial refused: %v)", g.host, err, g.refusals())
		}
		if ann.URI != g.actorID("ann") || ann.KeyID != g.actorID("ann")+"/main-key" {
			t.Fatalf("ann = %s with key %s", ann.URI, ann.KeyID)
		}

		// Two follows of bob's, by ann (known here) and cy (unknown, so
		// her key is fetched from the stub at her keyId, then her actor).
		for _, name := range []string{"ann", "cy"} {
			code := signedPost(t, bob.InboxURL, g.signer(t, name), federation.ActivityDoc{
				ID: g.actorID(name) + "/follows/1", Type: "Follow", Actor: g.actorID(name), ObjectID: bob.URI,
			})
			if code != http.StatusAccepted {
				t.Fatalf("%s's Follow signed with a GoToSocial keyId = %d, want 202 (GoToSocial refused: %v)", name, code, g.refusals())
			}
		}
		eventually(t, "ann and cy following bob", func() bool {
			c, err := n.svc.Counts(ctx, bob)
			return err == nil && c.Followers == 2
		})
	})
}

// TestAllowlistChecksTheSignersOwnHost: in allowlist mode only the keyId's
// host was checked, and an actor could claim a key on another host. An
// actor on an unlisted server whose document names a keyId on a listed one
// must neither be stored nor get its activities or signed fetches in. A
// listed server cannot slip in a post attributed to an unlisted one either.
func TestAllowlistChecksTheSignersOwnHost(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		bob := n.user(t, "bob", false)
		listed := newActorServer(t)
		xSigner := listed.add(t, "x")
		x := listed.base + "/users/x"
		evil := newLooseServer(t)
		eve := evil.base + "/users/eve"
		borrowed := x + "#main-key" // a keyId on the listed server
		doc, err := federation.MarshalActor(federation.ActorDoc{
			ID: eve, Type: "Person", PreferredUsername: "eve", Inbox: eve + "/inbox",
			PublicKeyID: borrowed, PublicKeyOwner: eve, PublicKeyPEM: publicPEM(t, "eve"),
		})
		if err != nil {
			t.Fatal(err)
		}
		evil.serveJSON("GET /users/eve", doc)
		eveSigner := &federation.Signer{KeyID: borrowed, Key: fakeKey(t, "eve")}

		// While the server still federates with everyone, eve's actor is
		// looked up (someone searched for her): it is not taken.
		if a, err := n.fed.FetchActor(ctx, eve); err == nil {
			t.Errorf("an actor claiming a key on another host was stored: %s with key %s", a.URI, a.KeyID)
		}
		if _, _, err := n.svc.AllowDomain(ctx, social.CommandLine, listed.domain()); err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.SetFederationMode(ctx, social.CommandLine, social.FederationAllowlist); err != nil {
			t.Fatal(err)
		}

		if code := signedPost(t, bob.InboxURL, eveSigner, federation.ActivityDoc{
			ID: eve + "#follows/1", Type: "Follow", Actor: eve, ObjectID: bob.URI,
		}); code == http.StatusAccepted {
			t.Error("an unlisted server's Follow signed with a keyId on a listed one was accepted")
		}
		req, _ := http.NewRequest(http.MethodGet, bob.URI, nil)
		req.Header.Set("Accept", "application/activity+json")
		if err := federation.SignRequest(req, nil, eveSigner); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("an unlisted server's signed fetch with a keyId on a listed one was served")
		}

		// The listed server's own actor is welcome, but not a post it
		// says is eve's.
		if code := signedPost(t, bob.InboxURL, xSigner, federation.ActivityDoc{
			ID: x + "#follows/1", Type: "Follow", Actor: x, ObjectID: bob.URI,
		}); code != http.StatusAccepted {
			t.Fatalf("the listed server's Follow = %d", code)
		}
		if code := signedPost(t, n.base+"/inbox", xSigner, federation.ActivityDoc{
			ID: x + "#creates/1", Type: "Create", Actor: x, To: []string{federation.PublicCollection},
			Note: &federation.NoteDoc{ID: eve + "/statuses/1", Type: "Note", AttributedTo: eve, Content: "<p>forged</p>",
				To: []string{federation.PublicCollection}, Published: time.Now().UTC()},
		}); code == http.StatusAccepted {
			t.Error("a post attributed to an unlisted server's actor was accepted from a listed one")
		}
		if _, err := n.svc.StatusByURI(ctx, eve+"/statuses/1"); err == nil {
			t.Error("the post attributed to eve was stored")
		}
		if c, _ := n.svc.Counts(ctx, bob); c.Followers != 1 {
			t.Errorf("bob has %d followers, want only x", c.Followers)
		}
		if _, err := n.svc.AccountByURI(ctx, eve); err == nil {
			t.Error("eve's account is stored")
		}
	})
}

// TestKeyDocumentsSetting: the undocumented ROUNDS_KEY_DOCUMENTS=1 turns
// the GoToSocial-style keys on; nothing else does.
func TestKeyDocumentsSetting(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{{"1", true}, {"", false}, {"0", false}} {
		getenv := func(k string) string {
			if k == "ROUNDS_KEY_DOCUMENTS" {
				return tc.env
			}
			return ""
		}
		cfg, err := parseCommand("serve", []string{"--domain", "rounds.example"}, io.Discard, getenv, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.KeyDocuments != tc.want {
			t.Fatalf("ROUNDS_KEY_DOCUMENTS=%q gives KeyDocuments %v", tc.env, cfg.KeyDocuments)
		}
	}
}
