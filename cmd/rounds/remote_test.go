package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"rounds/federation"
)

// fakeRemote plays a remote ActivityPub server over real HTTP on loopback:
// it publishes actor documents with real RSA keys, takes deliveries to its
// inboxes (verifying each signature, RFC 9421 or draft-cavage as Mastodon
// 4.5 does, against the sending Rounds node's published key) and sends
// signed activities to a Rounds inbox.
type fakeRemote struct {
	tb     testing.TB
	srv    *httptest.Server
	base   string // http://127.0.0.1:PORT
	client *http.Client
	opts   fakeRemoteOptions
	bg     sync.WaitGroup

	mu       sync.Mutex
	actors   map[string]*fakeActor
	counts   map[string]int                  // inbox path -> verified deliveries
	bodies   map[string][][]byte             // inbox path -> bodies of verified deliveries
	byObject map[string]map[string]int       // inbox path -> object id -> verified deliveries
	refused  []string                        // deliveries that failed verification, and why
	problems []string                        // our own sends that went wrong in the background
	nodeKeys map[string]fakeNodeKey          // keyId -> key, as fetched from the node
	nodeDocs map[string]*federation.ActorDoc // node actor id -> its document
	accepted map[string]bool                 // Follow ids we already answered
	docs     map[string][]byte               // other documents served, by path (setDoc)
	seq      int
}

type fakeRemoteOptions struct {
	// AutoAccept answers every verified Follow of one of our actors with a
	// signed Accept to the follower's inbox, as an unlocked account would.
	AutoAccept bool
	// Signal, when set, gets a non-blocking send after every verified
	// delivery, so a waiter can block instead of polling.
	Signal chan struct{}
	// KeepBodies keeps every delivered body (off for benchmarks with many
	// deliveries; counts are always kept).
	KeepBodies bool
}

type fakeActor struct {
	name   string
	id     string
	signer *federation.Signer
	doc    []byte
}

type fakeNodeKey struct {
	pub   crypto.PublicKey
	owner string
}

// fakeKeys holds one RSA-2048 key per name for the whole test binary:
// generating them is slow, and a key only has to be distinct from the
// other names' keys.
var fakeKeys = struct {
	sync.Mutex
	m map[string]*rsa.PrivateKey
}{m: map[string]*rsa.PrivateKey{}}

func fakeKey(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	fakeKeys.Lock()
	defer fakeKeys.Unlock()
	if k, ok := fakeKeys.m[name]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	fakeKeys.m[name] = k
	return k
}

// newFakeRemote starts a fake server on 127.0.0.1 with the named actors.
func newFakeRemote(tb testing.TB, opts fakeRemoteOptions, names ...string) *fakeRemote {
	tb.Helper()
	r := &fakeRemote{
		tb: tb, opts: opts,
		actors: map[string]*fakeActor{}, counts: map[string]int{}, bodies: map[string][][]byte{},
		byObject: map[string]map[string]int{}, nodeKeys: map[string]fakeNodeKey{},
		nodeDocs: map[string]*federation.ActorDoc{}, accepted: map[string]bool{}, docs: map[string][]byte{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", r.serveActor)
	mux.HandleFunc("POST /users/{name}/inbox", r.serveInbox)
	mux.HandleFunc("POST /inbox", r.serveInbox)
	mux.HandleFunc("GET /", r.serveDoc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	r.srv.Start()
	r.base = r.srv.URL
	r.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        64,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	for _, name := range names {
		r.addActor(tb, name)
	}
	tb.Cleanup(func() {
		r.bg.Wait()
		r.client.CloseIdleConnections()
		r.srv.Close()
	})
	return r
}

func (r *fakeRemote) addActor(tb testing.TB, name string) *fakeActor {
	tb.Helper()
	key := fakeKey(tb, name)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	id := r.base + "/users/" + name
	doc, err := federation.MarshalActor(federation.ActorDoc{
		ID: id, Type: "Person", PreferredUsername: name, Name: strings.ToUpper(name[:1]) + name[1:],
		URL: r.base + "/@" + name, Inbox: id + "/inbox", Outbox: id + "/outbox",
		Followers: id + "/followers", Following: id + "/following", SharedInbox: r.base + "/inbox",
		PublicKeyID: id + "#main-key", PublicKeyOwner: id,
		PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
	})
	if err != nil {
		tb.Fatal(err)
	}
	a := &fakeActor{name: name, id: id, signer: &federation.Signer{KeyID: id + "#main-key", Key: key}, doc: doc}
	r.mu.Lock()
	r.actors[name] = a
	r.mu.Unlock()
	return a
}

func (r *fakeRemote) actor(name string) *fakeActor {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.actors[name]
	if a == nil {
		panic("fakeRemote: no actor " + name)
	}
	return a
}

// actorURI is the ActivityPub id of the named actor.
func (r *fakeRemote) actorURI(name string) string { return r.actor(name).id }

// signer is the named actor's signing identity.
func (r *fakeRemote) signer(name string) *federation.Signer { return r.actor(name).signer }

// nextID returns an id on this server, unique within it.
func (r *fakeRemote) nextID(actorName, kind string) string {
	r.mu.Lock()
	r.seq++
	n := r.seq
	r.mu.Unlock()
	return fmt.Sprintf("%s/users/%s/%s/%d-%d", r.base, actorName, kind, time.Now().UnixNano(), n)
}

func (r *fakeRemote) serveActor(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	a := r.actors[req.PathValue("name")]
	r.mu.Unlock()
	if a == nil {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/activity+json")
	_, _ = w.Write(a.doc)
}

// setDoc serves body as an ActivityPub document at path; setActorDoc
// replaces an actor's own document.
func (r *fakeRemote) setDoc(path string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.docs[path] = body
}

func (r *fakeRemote) setActorDoc(name string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actors[name].doc = body
}

func (r *fakeRemote) serveDoc(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	body, ok := r.docs[req.URL.Path]
	r.mu.Unlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/activity+json")
	_, _ = w.Write(body)
}

func (r *fakeRemote) serveInbox(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	if name := req.PathValue("name"); name != "" {
		r.mu.Lock()
		known := r.actors[name] != nil
		r.mu.Unlock()
		if !known {
			http.NotFound(w, req)
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 2<<20))
	if err != nil {
		r.refuse(w, http.StatusBadRequest, path, "read body: "+err.Error())
		return
	}
	_, owner, err := federation.VerifyAnyRequest(req.Context(), req, body, fakeNodeKeys{r}, "http", time.Now())
	if err != nil {
		r.refuse(w, http.StatusUnauthorized, path, "signature: "+err.Error())
		return
	}
	act, err := federation.ParseActivity(body)
	if err != nil {
		r.refuse(w, http.StatusBadRequest, path, "activity: "+err.Error())
		return
	}
	if act.Actor != owner {
		r.refuse(w, http.StatusUnauthorized, path, fmt.Sprintf("signed by %s for actor %s", owner, act.Actor))
		return
	}
	r.mu.Lock()
	r.counts[path]++
	if r.opts.KeepBodies {
		r.bodies[path] = append(r.bodies[path], body)
	}
	if r.byObject[path] == nil {
		r.byObject[path] = map[string]int{}
	}
	r.byObject[path][act.ObjectID]++
	var accept *fakeActor
	if r.opts.AutoAccept && act.Type == "Follow" && !r.accepted[act.ID] {
		for _, a := range r.actors {
			if a.id == act.ObjectID {
				accept = a
				r.accepted[act.ID] = true
			}
		}
	}
	follower := r.nodeDocs[act.Actor]
	r.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	if r.opts.Signal != nil {
		select {
		case r.opts.Signal <- struct{}{}:
		default:
		}
	}
	if accept != nil && follower != nil {
		r.bg.Add(1)
		go func() {
			defer r.bg.Done()
			r.sendAccept(accept, follower, act)
		}()
	}
}

func (r *fakeRemote) refuse(w http.ResponseWriter, status int, path, why string) {
	r.mu.Lock()
	r.refused = append(r.refused, path+": "+why)
	r.mu.Unlock()
	http.Error(w, why, status)
}

// sendAccept answers follow with a signed Accept{Follow} from a.
func (r *fakeRemote) sendAccept(a *fakeActor, follower *federation.ActorDoc, follow *federation.ActivityDoc) {
	body, err := federation.MarshalActivity(federation.ActivityDoc{
		ID: r.nextID(a.name, "accepts"), Type: "Accept", Actor: a.id, To: []string{follower.ID},
		ObjectID: follow.ID,
		Activity: &federation.ActivityDoc{ID: follow.ID, Type: "Follow", Actor: follower.ID, ObjectID: a.id},
	})
	if err == nil {
		var resp *http.Response
		resp, err = r.send(context.Background(), follower.Inbox, a.signer, body)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				err = fmt.Errorf("answered %d", resp.StatusCode)
			}
		}
	}
	if err != nil {
		r.mu.Lock()
		r.problems = append(r.problems, fmt.Sprintf("accept of %s for %s: %v", follow.ID, follower.ID, err))
		r.mu.Unlock()
	}
}

// signedRequest builds a POST of body to inboxURL signed by the named actor.
func (r *fakeRemote) signedRequest(tb testing.TB, inboxURL, actorName string, body []byte) *http.Request {
	tb.Helper()
	req, err := r.newSigned(context.Background(), inboxURL, r.signer(actorName), body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

func (r *fakeRemote) newSigned(ctx context.Context, inboxURL string, s *federation.Signer, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inboxURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Accept", "application/activity+json")
	req.Header.Set("User-Agent", "fakeRemote (+"+r.base+"/)")
	if err := federation.SignRequest(req, body, s); err != nil {
		return nil, err
	}
	return req, nil
}

func (r *fakeRemote) send(ctx context.Context, inboxURL string, s *federation.Signer, body []byte) (*http.Response, error) {
	req, err := r.newSigned(ctx, inboxURL, s, body)
	if err != nil {
		return nil, err
	}
	return r.client.Do(req)
}

// post sends body to a Rounds inbox signed with the named actor's key;
// mutate, when not nil, may tamper with the request after signing. The
// response body is read in full and can be read again by the caller.
func (r *fakeRemote) post(tb testing.TB, inboxURL, actorName string, body []byte, mutate func(*http.Request)) *http.Response {
	tb.Helper()
	req := r.signedRequest(tb, inboxURL, actorName, body)
	if mutate != nil {
		mutate(req)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", inboxURL, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatalf("POST %s: read answer: %v", inboxURL, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

// count is how many verified deliveries reached the inbox at path
// ("/inbox" or "/users/NAME/inbox").
func (r *fakeRemote) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[path]
}

// objectCount is how many verified deliveries to path were about object id.
func (r *fakeRemote) objectCount(path, objectID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byObject[path][objectID]
}

// received returns the bodies delivered to path (with KeepBodies).
func (r *fakeRemote) received(path string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies[path]...)
}

// failures lists refused deliveries and failed background sends.
func (r *fakeRemote) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(append([]string(nil), r.refused...), r.problems...)
}

// fakeNodeKeys resolves the Rounds node's keys for signature checks by
// fetching the key's actor document with a plain GET.
type fakeNodeKeys struct{ r *fakeRemote }

func (k fakeNodeKeys) PublicKey(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	k.r.mu.Lock()
	cached, ok := k.r.nodeKeys[keyID]
	k.r.mu.Unlock()
	if ok && !refresh {
		return cached.pub, cached.owner, nil
	}
	actorURL, _, _ := strings.Cut(keyID, "#")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, actorURL, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/activity+json")
	resp, err := k.r.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %d", actorURL, resp.StatusCode)
	}
	d, err := federation.ParseActor(body)
	if err != nil {
		return nil, "", err
	}
	if d.ID != actorURL || d.PublicKeyID != keyID {
		return nil, "", fmt.Errorf("%s does not publish key %s (it has %s)", d.ID, keyID, d.PublicKeyID)
	}
	block, _ := pem.Decode([]byte(d.PublicKeyPEM))
	if block == nil {
		return nil, "", errors.New("no PEM public key in " + actorURL)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, "", err
	}
	k.r.mu.Lock()
	k.r.nodeKeys[keyID] = fakeNodeKey{pub: pub, owner: d.ID}
	k.r.nodeDocs[d.ID] = d
	k.r.mu.Unlock()
	return pub, d.ID, nil
}
