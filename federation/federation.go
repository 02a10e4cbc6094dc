// Package federation speaks ActivityPub for Rounds: WebFinger, NodeInfo and
// host-meta; actor, status and collection documents; the inboxes, with HTTP
// signatures verified; and the durable jobs that deliver activities and
// fetch remote actors. What an activity means is decided in social.
package federation

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"rounds/social"
	"rounds/storage"
)

// Options configures the federation layer.
type Options struct {
	Social *social.Service
	Jobs   *storage.Jobs
	Client *Client
	Logger *slog.Logger
	// Version is Rounds' version, published in NodeInfo.
	Version string
	// OpenRegistrations is published in NodeInfo.
	OpenRegistrations bool
	// AuthorizedFetch requires a valid signature from a server that is not
	// blocked on every GET of an actor, status or collection.
	AuthorizedFetch bool
	// KeyDocuments publishes each local key as a document of its own at
	// ACTOR/main-key and signs with that keyId (no fragment), the way
	// GoToSocial does; for interoperability tests. The key documents are
	// served in either mode.
	KeyDocuments bool
	// Metrics, when set, receives federation's counters and the delivery
	// queue's gauges (metrics.go).
	Metrics prometheus.Registerer
	// CavageOnly verifies and sends draft-cavage signatures only, refusing
	// RFC 9421 ones, as a server that has not adopted RFC 9421 does; for
	// interoperability tests.
	CavageOnly bool
}

// Federation serves the ActivityPub routes and works the delivery jobs.
type Federation struct {
	social     *social.Service
	jobs       *storage.Jobs
	client     *Client
	log        *slog.Logger
	version    string
	openReg    bool
	authFetch  bool
	keyDocs    bool
	cavageOnly bool

	keys sync.Map // keyId -> *rsa.PrivateKey, parsed local keys
	// answered remembers when each domain was last marked as answering,
	// so a busy inbox does not write that on every request.
	answered sync.Map // domain -> time.Time
	fetchMu  sync.Mutex
	metrics  metrics
}

// New returns the federation layer and registers its job workers with
// o.Jobs.
func New(o Options) *Federation {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	f := &Federation{social: o.Social, jobs: o.Jobs, client: o.Client, log: o.Logger, version: o.Version, openReg: o.OpenRegistrations, authFetch: o.AuthorizedFetch, keyDocs: o.KeyDocuments, cavageOnly: o.CavageOnly}
	if o.Client != nil && o.Social != nil {
		o.Client.SetSignatureStyles(o.Social, o.CavageOnly)
	}
	f.metrics = newMetrics(o.Metrics, o.Jobs)
	storage.AddWorker(o.Jobs, &publishWorker{f: f})
	storage.AddWorker(o.Jobs, &deliverWorker{f: f})
	storage.AddWorker(o.Jobs, &fetchStatusWorker{f: f})
	storage.AddWorker(o.Jobs, &refreshAccountWorker{f: f})
	storage.AddWorker(o.Jobs, &refreshPollWorker{f: f})
	storage.AddWorker(o.Jobs, &fetchFeaturedTagsWorker{f: f})
	storage.AddWorker(o.Jobs, &cacheEmojiWorker{f: f})
	storage.AddWorker(o.Jobs, &relayFollowWorker{f: f})
	storage.AddWorker(o.Jobs, &relayUndoWorker{f: f})
	storage.AddWorker(o.Jobs, &relayReceiveWorker{f: f})
	storage.AddWorker(o.Jobs, &verifyQuoteWorker{f: f})
	return f
}

// Routes adds the federation routes to r.
func (f *Federation) Routes(r chi.Router) {
	r.Get("/.well-known/webfinger", f.webfinger)
	r.Get("/.well-known/host-meta", f.hostMeta)
	r.Get("/.well-known/nodeinfo", f.nodeinfoLinks)
	r.Get("/nodeinfo/{version}", f.nodeinfo)
	// The instance actor stays readable without a signature: other
	// servers fetch it to check the signatures of our own fetches.
	r.Get("/actor", f.instanceActor)
	// Keys are public and readable without a signature, like the
	// instance actor: a server checking our signature fetches them.
	r.Get("/actor/main-key", f.keyDocument)
	r.Get("/users/{username}/main-key", f.keyDocument)
	r.Post("/actor/inbox", f.inbox)
	r.Post("/inbox", f.inbox)
	r.Post("/users/{username}/inbox", f.inbox)
	r.Group(func(r chi.Router) {
		r.Use(f.requireSignedFetch)
		r.Get("/users/{username}", f.actor)
		r.Get("/users/{username}/outbox", f.outbox)
		r.Get("/users/{username}/followers", f.followers)
		r.Get("/users/{username}/following", f.following)
		r.Get("/users/{username}/collections/featured", f.featured)
		r.Get("/users/{username}/collections/tags", f.featuredTags)
		r.Get("/users/{username}/statuses/{id}", f.status)
		r.Get("/users/{username}/quote_authorizations/{id}", f.quoteAuthorization)
	})
}

// requireSignedFetch enforces authorized-fetch mode on ActivityPub GETs: the
// request must be signed by a key of a server account that is not
// suspended, on a domain the server federates with. Allowlist federation
// implies it, as Mastodon's limited federation mode does: otherwise any
// server could read what only listed ones may. Browsers asking for HTML
// pass, to be redirected to the page.
func (f *Federation) requireSignedFetch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsActivityJSON(r) {
			next.ServeHTTP(w, r)
			return
		}
		if !f.authFetch {
			st, err := f.social.Settings(r.Context())
			if err != nil {
				f.serverError(w, r, err)
				return
			}
			if st.FederationMode != social.FederationAllowlist {
				next.ServeHTTP(w, r)
				return
			}
		}
		if _, _, err := f.verifySignature(r.Context(), r, nil, &keyResolver{f: f}); err != nil {
			if errors.Is(err, errDomainRefused) {
				writeJSONError(w, http.StatusForbidden, err.Error())
				return
			}
			w.Header().Set("WWW-Authenticate", `Signature realm="ActivityPub",headers="(request-target) host date"`)
			writeJSONError(w, http.StatusUnauthorized, "this server requires signed fetches: "+err.Error())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// localKeyID is the keyId local account a signs with and publishes: its
// stored one (the actor's id with #main-key), or with KeyDocuments the
// fragment-less ACTOR/main-key that GoToSocial uses.
func (f *Federation) localKeyID(a *storage.Account) string {
	if f.keyDocs {
		return a.URI + "/main-key"
	}
	return a.KeyID
}

// signerFor returns the signer of local account a.
func (f *Federation) signerFor(a *storage.Account) (*Signer, error) {
	if k, ok := f.keys.Load(a.KeyID); ok {
		return &Signer{KeyID: f.localKeyID(a), Key: k.(*rsa.PrivateKey)}, nil
	}
	block, _ := pem.Decode([]byte(a.PrivateKeyPEM))
	if block == nil {
		return nil, fmt.Errorf("account %s has no private key", a.URI)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key of %s: %w", a.URI, err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key of %s is not RSA", a.URI)
	}
	f.keys.Store(a.KeyID, rk)
	return &Signer{KeyID: f.localKeyID(a), Key: rk}, nil
}

// instanceSigner signs the server's own fetches.
func (f *Federation) instanceSigner(ctx context.Context) (*Signer, error) {
	a, err := f.social.InstanceActor(ctx)
	if err != nil {
		return nil, err
	}
	return f.signerFor(a)
}

// wantsActivityJSON reports whether a request asks for ActivityStreams
// rather than a web page.
func wantsActivityJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/activity+json") ||
		strings.Contains(accept, "application/ld+json") ||
		strings.Contains(accept, "application/json")
}

func writeActivityJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"error\":%q}", msg)
}

func (f *Federation) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if social.IsOutOfSpace(err) {
		f.log.Error("federation request failed: out of storage space", "path", r.URL.Path, "error", err)
		w.Header().Set("Retry-After", "60")
		writeJSONError(w, http.StatusServiceUnavailable, social.OutOfSpaceMessage)
		return
	}
	f.log.Error("federation request failed", "path", r.URL.Path, "error", err)
	writeJSONError(w, http.StatusInternalServerError, "internal server error")
}

// domainAnswered marks domain as reachable again (it sent us something),
// at most once a minute per domain.
func (f *Federation) domainAnswered(ctx context.Context, domain string) {
	now := time.Now()
	if last, ok := f.answered.Load(domain); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	f.answered.Store(domain, now)
	if err := f.social.DomainAnswered(ctx, domain); err != nil {
		f.log.Warn("record domain answered", "domain", domain, "error", err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, social.ErrNotFound) }

// errDomainRefused means the server does not federate with a domain: it is
// suspended by a domain block, or not on the list in allowlist mode.
var errDomainRefused = errors.New("this server does not federate with the domain")

// checkDomain refuses rawURL when the server does not federate with its
// domain; nothing is fetched from such a domain, sent to it or taken from it.
func (f *Federation) checkDomain(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", rawURL)
	}
	host := strings.ToLower(u.Host)
	ok, err := f.social.MayFederate(ctx, host)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: %w", host, errDomainRefused)
	}
	return nil
}
