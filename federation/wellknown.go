package federation

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

// webfinger answers acct:user@domain and actor-URL lookups (RFC 7033), as
// Mastodon needs to find an actor and to check that its preferredUsername
// at our domain leads back to the same id.
func (f *Federation) webfinger(w http.ResponseWriter, r *http.Request) {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		writeJSONError(w, http.StatusBadRequest, "the resource parameter is missing")
		return
	}
	base := f.social.BaseURL()
	var username string
	switch {
	case strings.HasPrefix(resource, "acct:"):
		user, host, ok := strings.Cut(strings.TrimPrefix(resource, "acct:"), "@")
		if !ok || !strings.EqualFold(host, f.social.Domain()) {
			writeJSONError(w, http.StatusNotFound, "no such account on this server")
			return
		}
		username = strings.TrimPrefix(user, "@")
		if strings.EqualFold(username, f.social.Domain()) {
			// The instance actor's preferredUsername is the domain, and
			// GoToSocial and Mastodon check a signed GET by resolving
			// its signer's acct:DOMAIN@DOMAIN through WebFinger (a 404
			// here fails every signed fetch of ours there). Usernames
			// have no dots or colons, so no person can hold this one.
			username = ""
		}
	case strings.HasPrefix(resource, base+"/users/"):
		username = strings.TrimPrefix(resource, base+"/users/")
	case strings.HasPrefix(resource, base+"/@"):
		username = strings.TrimPrefix(resource, base+"/@")
	case resource == base+"/actor":
		username = ""
	default:
		writeJSONError(w, http.StatusNotFound, "no such account on this server")
		return
	}
	var subject, actorURI, profile string
	if username == "" {
		a, err := f.social.InstanceActor(r.Context())
		if err != nil {
			f.serverError(w, r, err)
			return
		}
		subject, actorURI, profile = "acct:"+f.social.Domain()+"@"+f.social.Domain(), a.URI, a.URL
	} else {
		a, err := f.social.LocalAccount(r.Context(), username)
		if err != nil {
			if isNotFound(err) {
				writeJSONError(w, http.StatusNotFound, "no such account on this server")
				return
			}
			f.serverError(w, r, err)
			return
		}
		subject, actorURI, profile = "acct:"+a.Username+"@"+f.social.Domain(), a.URI, a.URL
	}
	doc := map[string]any{
		"subject": subject,
		"aliases": []string{actorURI, profile},
		"links": []map[string]string{
			{"rel": "self", "type": "application/activity+json", "href": actorURI},
			{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
			{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": base + "/authorize_interaction?uri={uri}"},
		},
	}
	w.Header().Set("Content-Type", "application/jrd+json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(doc)
}

func (f *Federation) hostMeta(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="%s/.well-known/webfinger?resource={uri}"/>
</XRD>
`, f.social.BaseURL())
}

func (f *Federation) nodeinfoLinks(w http.ResponseWriter, r *http.Request) {
	base := f.social.BaseURL()
	writeJSON(w, map[string]any{"links": []map[string]string{
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": base + "/nodeinfo/2.0"},
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": base + "/nodeinfo/2.1"},
	}})
}

func (f *Federation) nodeinfo(w http.ResponseWriter, r *http.Request) {
	v := chi.URLParam(r, "version")
	if v != "2.0" && v != "2.1" {
		writeJSONError(w, http.StatusNotFound, "NodeInfo 2.0 and 2.1 are served")
		return
	}
	stats, err := f.social.Stats(r.Context())
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	software := map[string]any{"name": "rounds", "version": f.version}
	if v == "2.1" {
		software["repository"] = ""
		software["homepage"] = f.social.BaseURL()
	}
	doc := map[string]any{
		"version":           v,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
		"openRegistrations": f.openReg,
		"usage": map[string]any{
			"users":      map[string]int{"total": stats.Users, "activeMonth": stats.Users, "activeHalfyear": stats.Users},
			"localPosts": stats.LocalPosts,
		},
		"metadata": map[string]any{"nodeName": f.social.Domain()},
	}
	w.Header().Set("Content-Type", fmt.Sprintf(`application/json; profile="http://nodeinfo.diaspora.software/ns/schema/%s#"`, v))
	_ = json.NewEncoder(w).Encode(doc)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// webfingerURL is where acct's server answers WebFinger.
func webfingerURL(scheme, acct string) (string, error) {
	user, host, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(acct, "acct:"), "@"), "@")
	if !ok || user == "" || host == "" {
		return "", fmt.Errorf("%q is not user@domain", acct)
	}
	q := url.Values{"resource": {"acct:" + user + "@" + host}}
	wf := scheme + "://" + host + "/.well-known/webfinger?" + q.Encode()
	// The host must be only a host: "a@b@evil.example" or
	// "a@good.example/x?" would otherwise send the lookup elsewhere.
	if u, err := url.Parse(wf); err != nil || u.Host != host || u.User != nil || u.Path != "/.well-known/webfinger" || strings.ContainsAny(host, "/?#@\\") {
		return "", fmt.Errorf("%q is not user@domain", acct)
	}
	return wf, nil
}
