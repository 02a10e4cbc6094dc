package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The simulated fediverse: a number of small ActivityPub servers on
// loopback, each with a few actors. They answer WebFinger and serve actor
// documents with keys, so the server under test can check their
// signatures; they send signed Follows and Creates; and their inboxes
// check the signature of every delivery, accept Follows, and count what
// arrives.

var as2Context = []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"}

const publicAudience = "https://www.w3.org/ns/activitystreams#Public"

// simNet is the set of simulated servers of one run.
type simNet struct {
	key     *rsa.PrivateKey
	pubPEM  string
	client  *http.Client // for what the simulated servers send
	servers []*simServer
	// remotes caches the actors of other servers (the one under test) by
	// id: their keys and inboxes.
	remotes sync.Map // string -> *remoteEntry
	// arrived is nudged after each delivery, for waiters.
	arrived chan struct{}
	// run tells this run's activity ids from an earlier run's, which the
	// server under test may remember (simulated servers' ports get reused).
	run string
	ids atomic.Int64
}

// simServer is one simulated server.
type simServer struct {
	n      *simNet
	host   string // 127.0.0.1:PORT
	base   string // http://127.0.0.1:PORT
	actors []string
	known  map[string]bool
	srv    *http.Server

	mu        sync.Mutex
	posts     map[string]int      // inbox POSTs: "shared" or the actor's name
	creates   map[string]*arrival // by the id of the object created
	accepted  map[string]bool     // our Follow ids the server accepted
	followers int                 // Follows from the server that we accepted
	badSigs   int
	badSig    string         // one example
	knocks    int            // RFC 9421 signatures answered 401 (cavage only here)
	gets      map[string]int // GETs by kind: webfinger, actor, note, other
	notes     map[string][]byte
	acceptErr error // the last failure to send an Accept
}

// arrival is how one object reached a server.
type arrival struct {
	First            time.Time
	Shared, Personal int // requests to the shared inbox and to actors' inboxes
}

// newSimNet starts servers simulated servers; server i has actorsOf(i)
// actors named nurse0, nurse1 ...
func newSimNet(servers int, actorsOf func(i int) int, timeout time.Duration) (*simNet, error) {
	key, pub, err := newKey()
	if err != nil {
		return nil, err
	}
	n := &simNet{
		key: key, pubPEM: pub, arrived: make(chan struct{}, 1), run: strconv.FormatInt(time.Now().UnixNano(), 36),
		client: &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}},
	}
	for i := 0; i < servers; i++ {
		s, err := n.startServer(actorsOf(i))
		if err != nil {
			n.close()
			return nil, err
		}
		n.servers = append(n.servers, s)
	}
	return n, nil
}

func (n *simNet) startServer(actors int) (*simServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start a simulated server: %w", err)
	}
	s := &simServer{
		n: n, host: ln.Addr().String(), known: map[string]bool{},
		posts: map[string]int{}, creates: map[string]*arrival{}, accepted: map[string]bool{},
		gets: map[string]int{}, notes: map[string][]byte{},
	}
	s.base = "http://" + s.host
	for j := 0; j < actors; j++ {
		name := fmt.Sprintf("nurse%d", j)
		s.actors = append(s.actors, name)
		s.known[name] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/webfinger", s.webfinger)
	mux.HandleFunc("GET /users/{name}", s.actor)
	mux.HandleFunc("GET /users/{name}/statuses/{id}", s.note)
	mux.HandleFunc("GET /users/{name}/{collection}", s.emptyCollection)
	mux.HandleFunc("GET /users/{name}/collections/{collection}", s.emptyCollection)
	mux.HandleFunc("POST /inbox", s.inbox)
	mux.HandleFunc("POST /users/{name}/inbox", s.inbox)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.countGet("other")
		http.NotFound(w, r)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (n *simNet) close() {
	for _, s := range n.servers {
		_ = s.srv.Close()
	}
	n.client.CloseIdleConnections()
}

// nudge wakes one waiter.
func (n *simNet) nudge() {
	select {
	case n.arrived <- struct{}{}:
	default:
	}
}

// waitFor blocks until cond holds, checking after each delivery and at
// least every 20ms; it gives up after limit or when ctx ends.
func (n *simNet) waitFor(ctx context.Context, limit time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-n.arrived:
		case <-tick.C:
		case <-deadline.C:
			return cond()
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// newID returns a new id, unique across runs, for an activity.
func (n *simNet) newID() string { return fmt.Sprintf("%s-%d", n.run, n.ids.Add(1)) }

func (s *simServer) actorURL(name string) string { return s.base + "/users/" + name }
func (s *simServer) keyID(name string) string    { return s.actorURL(name) + "#main-key" }
func (s *simServer) acct(name string) string     { return name + "@" + s.host }

func writeAS(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/activity+json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *simServer) countGet(kind string) {
	s.mu.Lock()
	s.gets[kind]++
	s.mu.Unlock()
}

func (s *simServer) webfinger(w http.ResponseWriter, r *http.Request) {
	s.countGet("webfinger")
	res := strings.TrimPrefix(r.URL.Query().Get("resource"), "acct:")
	name, host, _ := strings.Cut(res, "@")
	if !s.known[name] || !strings.EqualFold(host, s.host) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/jrd+json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"subject": "acct:" + s.acct(name),
		"aliases": []string{s.actorURL(name)},
		"links": []map[string]string{
			{"rel": "self", "type": "application/activity+json", "href": s.actorURL(name)},
		},
	})
}

func (s *simServer) actor(w http.ResponseWriter, r *http.Request) {
	s.countGet("actor")
	name := r.PathValue("name")
	if !s.known[name] {
		http.NotFound(w, r)
		return
	}
	id := s.actorURL(name)
	writeAS(w, map[string]any{
		"@context":                  as2Context,
		"id":                        id,
		"type":                      "Person",
		"preferredUsername":         name,
		"name":                      "Nurse " + strings.TrimPrefix(name, "nurse") + " (rounds-bench)",
		"summary":                   "<p>A simulated clinician.</p>",
		"url":                       s.base + "/@" + name,
		"inbox":                     id + "/inbox",
		"outbox":                    id + "/outbox",
		"followers":                 id + "/followers",
		"following":                 id + "/following",
		"endpoints":                 map[string]string{"sharedInbox": s.base + "/inbox"},
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
		"publicKey":                 map[string]string{"id": s.keyID(name), "owner": id, "publicKeyPem": s.n.pubPEM},
	})
}

func (s *simServer) note(w http.ResponseWriter, r *http.Request) {
	s.countGet("note")
	s.mu.Lock()
	b := s.notes[r.URL.Path]
	s.mu.Unlock()
	if b == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/activity+json")
	_, _ = w.Write(b)
}

func (s *simServer) emptyCollection(w http.ResponseWriter, r *http.Request) {
	s.countGet("collection")
	writeAS(w, map[string]any{"@context": as2Context, "id": s.base + r.URL.Path, "type": "OrderedCollection", "totalItems": 0, "orderedItems": []any{}})
}

// incoming is the part of a received activity the inboxes read.
type incoming struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Actor  json.RawMessage `json:"actor"`
	Object json.RawMessage `json:"object"`
}

// refID is the id of a reference that is either an IRI or an object.
func refID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.ID
	}
	return ""
}

func (s *simServer) inbox(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	name := r.PathValue("name")
	if name != "" && !s.known[name] {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	var act incoming
	if err := json.Unmarshal(body, &act); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	actor := refID(act.Actor)
	if r.Header.Get("Signature-Input") != "" {
		// The simulated servers verify draft-cavage signatures only, as
		// GoToSocial, Akkoma and Misskey do today: an RFC 9421 knock is
		// answered 401, and the sender knocks again with cavage. That is
		// not a bad signature.
		s.mu.Lock()
		s.knocks++
		s.mu.Unlock()
		http.Error(w, "only draft-cavage HTTP signatures are accepted here", http.StatusUnauthorized)
		return
	}
	if err := s.n.verify(r.Context(), r, body, actor); err != nil {
		s.mu.Lock()
		s.badSigs++
		s.badSig = err.Error()
		s.mu.Unlock()
		s.n.nudge()
		http.Error(w, "signature refused: "+err.Error(), http.StatusUnauthorized)
		return
	}
	box := "shared"
	if name != "" {
		box = name
	}
	s.mu.Lock()
	s.posts[box]++
	switch act.Type {
	case "Create":
		obj := refID(act.Object)
		a := s.creates[obj]
		if a == nil {
			a = &arrival{First: arrived}
			s.creates[obj] = a
		}
		if name == "" {
			a.Shared++
		} else {
			a.Personal++
		}
	case "Accept":
		var follow struct {
			Object json.RawMessage `json:"object"`
		}
		_ = json.Unmarshal(body, &follow)
		s.accepted[refID(follow.Object)] = true
	}
	s.mu.Unlock()
	if act.Type == "Follow" && name != "" {
		// Accept at once, as an unlocked Mastodon account does, but after
		// answering: the follower's server expects the Accept later.
		go s.acceptFollow(name, actor, act.ID)
	}
	s.n.nudge()
	w.WriteHeader(http.StatusAccepted)
}

// acceptFollow sends actor an Accept of its Follow of name.
func (s *simServer) acceptFollow(name, follower, followID string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.n.client.Timeout)
	defer cancel()
	err := func() error {
		remote, err := s.n.remoteActor(ctx, follower)
		if err != nil {
			return err
		}
		accept := map[string]any{
			"@context": as2Context,
			"id":       fmt.Sprintf("%s#accepts/%s", s.actorURL(name), s.n.newID()),
			"type":     "Accept",
			"actor":    s.actorURL(name),
			"object":   map[string]any{"id": followID, "type": "Follow", "actor": follower, "object": s.actorURL(name)},
		}
		return s.post(ctx, name, remote.Inbox, accept)
	}()
	s.mu.Lock()
	if err == nil {
		s.followers++
	} else {
		s.acceptErr = err
	}
	s.mu.Unlock()
	s.n.nudge()
}

// post sends activity, signed by actor name, to inbox.
func (s *simServer) post(ctx context.Context, name, inbox string, activity any) error {
	body, err := json.Marshal(activity)
	if err != nil {
		return err
	}
	req, err := s.signedPost(ctx, name, inbox, body)
	if err != nil {
		return err
	}
	resp, err := s.n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s answered %d: %s", inbox, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// signedPost makes a POST of body to inbox signed by actor name.
func (s *simServer) signedPost(ctx context.Context, name, inbox string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("User-Agent", "rounds-bench")
	if err := signRequest(req, body, s.n.key, s.keyID(name)); err != nil {
		return nil, err
	}
	return req, nil
}

// follow makes actor name follow target: a signed Follow to its inbox.
// It returns the Follow's id, which the Accept will name.
func (s *simServer) follow(ctx context.Context, name string, target *remoteActor) (string, error) {
	id := fmt.Sprintf("%s/follows/%s", s.actorURL(name), s.n.newID())
	err := s.post(ctx, name, target.Inbox, map[string]any{
		"@context": as2Context, "id": id, "type": "Follow", "actor": s.actorURL(name), "object": target.ID,
	})
	return id, err
}

func (s *simServer) isAccepted(followID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted[followID]
}

// remoteActor is an actor of the server under test, as the simulated
// servers know it.
type remoteActor struct {
	ID, Inbox, SharedInbox, KeyID, PreferredUsername string
	Key                                              crypto.PublicKey
}

type remoteEntry struct {
	once  sync.Once
	actor *remoteActor
	err   error
}

// remoteActor returns the actor with id uri, fetching it once.
func (n *simNet) remoteActor(ctx context.Context, uri string) (*remoteActor, error) {
	v, _ := n.remotes.LoadOrStore(uri, &remoteEntry{})
	e := v.(*remoteEntry)
	e.once.Do(func() { e.actor, e.err = n.fetchActor(ctx, uri) })
	if e.err != nil {
		n.remotes.CompareAndDelete(uri, e) // let a later call try again
	}
	return e.actor, e.err
}

// fetchActor GETs an actor document, signed (servers in authorized-fetch
// mode want that) by the first simulated actor.
func (n *simNet) fetchActor(ctx context.Context, uri string) (*remoteActor, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	req.Header.Set("User-Agent", "rounds-bench")
	if len(n.servers) > 0 {
		s := n.servers[0]
		if err := signRequest(req, nil, n.key, s.keyID(s.actors[0])); err != nil {
			return nil, err
		}
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch actor %s: answered %d: %s", uri, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var doc struct {
		ID                string `json:"id"`
		Inbox             string `json:"inbox"`
		PreferredUsername string `json:"preferredUsername"`
		Endpoints         struct {
			SharedInbox string `json:"sharedInbox"`
		} `json:"endpoints"`
		PublicKey struct {
			ID           string `json:"id"`
			PublicKeyPem string `json:"publicKeyPem"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	if doc.Inbox == "" || doc.PublicKey.PublicKeyPem == "" {
		return nil, fmt.Errorf("fetch actor %s: the document has no inbox or no publicKey", uri)
	}
	key, err := parsePublicKey(doc.PublicKey.PublicKeyPem)
	if err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	return &remoteActor{ID: doc.ID, Inbox: doc.Inbox, SharedInbox: doc.Endpoints.SharedInbox, KeyID: doc.PublicKey.ID,
		PreferredUsername: doc.PreferredUsername, Key: key}, nil
}

// verify checks that a delivery is signed by the key of the actor that
// sent it.
func (n *simNet) verify(ctx context.Context, r *http.Request, body []byte, actor string) error {
	keyID, err := signatureKeyID(r)
	if err != nil {
		return err
	}
	owner, _, _ := strings.Cut(keyID, "#")
	if actor == "" || !sameHost(owner, actor) {
		return fmt.Errorf("key %s does not belong to the actor %s", keyID, actor)
	}
	remote, err := n.remoteActor(ctx, actor)
	if err != nil {
		return err
	}
	if remote.KeyID != keyID {
		return fmt.Errorf("the request is signed with %s, not the actor's key %s", keyID, remote.KeyID)
	}
	return verifyRequest(r, body, remote.Key)
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// serverCounts is a snapshot of what one simulated server saw.
type serverCounts struct {
	posts     map[string]int
	badSigs   int
	badSig    string
	followers int
	acceptErr error
}

func (s *simServer) counts() serverCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	posts := make(map[string]int, len(s.posts))
	for k, v := range s.posts {
		posts[k] = v
	}
	return serverCounts{posts: posts, badSigs: s.badSigs, badSig: s.badSig, followers: s.followers, acceptErr: s.acceptErr}
}

// arrivalOf returns how object id reached s (nil: not yet).
func (s *simServer) arrivalOf(id string) *arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.creates[id]; a != nil {
		c := *a
		return &c
	}
	return nil
}
