package federation

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// memStyles is a SignatureStyleStore in memory.
type memStyles struct {
	mu     sync.Mutex
	m      map[string]styleEntry
	writes int
}

func (s *memStyles) SignatureStyle(_ context.Context, domain string) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[domain]
	return e.style, e.at, nil
}

func (s *memStyles) SetSignatureStyle(_ context.Context, domain, style string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[domain] = styleEntry{style, time.Now()}
	s.writes++
	return nil
}

// TestDoubleKnockMemory: what a client learns is written to its store
// once, read back by a new client (no second knock), re-probed once a
// cavage mark is old, and learnt the other way round too: a domain marked
// cavage that now refuses cavage is tried with RFC 9421.
func TestDoubleKnockMemory(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
	var mu sync.Mutex
	accept := styleCavage // the only style the server takes
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		style := styleCavage
		if r.Header.Get("Signature-Input") != "" {
			style = styleRFC9421
		}
		mu.Lock()
		seen = append(seen, style)
		ok := style == accept
		mu.Unlock()
		if _, _, err := VerifyAnyRequest(r.Context(), r, body, res, "http", time.Now()); err != nil || !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	domain := u.Host
	ctx := context.Background()
	post := func(c *Client) []string {
		t.Helper()
		mu.Lock()
		seen = nil
		mu.Unlock()
		if err := c.Post(ctx, srv.URL+"/inbox", []byte(`{}`), s); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	store := &memStyles{m: map[string]styleEntry{}}

	c := loopbackClient(ClientOptions{})
	c.SetSignatureStyles(store, false)
	if got := post(c); len(got) != 2 || got[0] != styleRFC9421 || got[1] != styleCavage {
		t.Fatalf("first delivery knocked %v, want rfc9421 then cavage", got)
	}
	if got := post(c); len(got) != 1 || got[0] != styleCavage {
		t.Fatalf("second delivery knocked %v, want cavage", got)
	}
	if store.m[domain].style != styleCavage || store.writes != 1 {
		t.Fatalf("store holds %+v after %d writes", store.m[domain], store.writes)
	}

	// A new client (a restart) reads what was learnt.
	c2 := loopbackClient(ClientOptions{})
	c2.SetSignatureStyles(store, false)
	if got := post(c2); len(got) != 1 || got[0] != styleCavage {
		t.Fatalf("after a restart the delivery knocked %v, want cavage", got)
	}

	// An old cavage mark is probed with RFC 9421 again; the server now
	// takes only RFC 9421.
	store.m[domain] = styleEntry{styleCavage, time.Now().Add(-cavageRecheck - time.Hour)}
	mu.Lock()
	accept = styleRFC9421
	mu.Unlock()
	c3 := loopbackClient(ClientOptions{})
	c3.SetSignatureStyles(store, false)
	if got := post(c3); len(got) != 1 || got[0] != styleRFC9421 || store.m[domain].style != styleRFC9421 {
		t.Fatalf("re-probe knocked %v, store %+v", got, store.m[domain])
	}

	// A fresh cavage mark on a server that now refuses cavage: cavage,
	// then RFC 9421, remembered.
	store.m[domain] = styleEntry{styleCavage, time.Now()}
	c4 := loopbackClient(ClientOptions{})
	c4.SetSignatureStyles(store, false)
	if got := post(c4); len(got) != 2 || got[0] != styleCavage || got[1] != styleRFC9421 || store.m[domain].style != styleRFC9421 {
		t.Fatalf("knocked %v, store %+v; want cavage then rfc9421, remembered", got, store.m[domain])
	}

	// A cavage-only client never tries RFC 9421 and learns nothing.
	c5 := loopbackClient(ClientOptions{})
	c5.SetSignatureStyles(store, true)
	writes := store.writes
	if err := c5.Post(ctx, srv.URL+"/inbox", []byte(`{}`), s); err == nil {
		t.Fatal("a cavage-only client got through to a server refusing cavage")
	}
	if store.writes != writes {
		t.Fatal("a cavage-only client wrote a style")
	}
}
