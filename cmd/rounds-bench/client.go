package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// apiClient calls the server's Mastodon client API.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string, timeout time.Duration, conns int) *apiClient {
	return &apiClient{base: base, http: &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{Proxy: nil, MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute},
		// Paging links and the like are followed by hand.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// apiError is an answer other than 2xx.
type apiError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *apiError) Error() string {
	body := strings.TrimSpace(e.Body)
	if len(body) > 300 {
		body = body[:300] + "..."
	}
	return fmt.Sprintf("%s %s answered %d: %s", e.Method, e.URL, e.Status, body)
}

func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// call makes one request. body is url.Values (sent as a form), or anything
// else sent as JSON, or nil. A 2xx answer is decoded into out (unless
// nil); anything else is an *apiError.
func (a *apiClient) call(ctx context.Context, method, path, token string, body, out any) (*http.Response, error) {
	u := path
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = a.base + path
	}
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp, fmt.Errorf("%s %s: read the answer: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp, &apiError{Method: method, URL: u, Status: resp.StatusCode, Body: string(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, u, err)
		}
	}
	return resp, nil
}

// account is the part of a Mastodon Account entity the tool reads.
type account struct {
	ID             string `json:"id"`
	Username       string `json:"username"`
	Acct           string `json:"acct"`
	URL            string `json:"url"`
	FollowersCount int    `json:"followers_count"`
	StatusesCount  int    `json:"statuses_count"`
}

// status is the part of a Mastodon Status entity the tool reads.
type status struct {
	ID  string `json:"id"`
	URI string `json:"uri"`
	URL string `json:"url"`
}

// app is a registered OAuth client.
type app struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

const scopes = "read write follow"

func (a *apiClient) registerApp(ctx context.Context) (*app, error) {
	var out app
	_, err := a.call(ctx, http.MethodPost, "/api/v1/apps", "", url.Values{
		"client_name": {"rounds-bench"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {scopes},
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("register an app: %w", err)
	}
	return &out, nil
}

// passwordToken signs username in with the OAuth password grant.
func (a *apiClient) passwordToken(ctx context.Context, ap *app, username, password string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	_, err := a.call(ctx, http.MethodPost, "/oauth/token", "", url.Values{
		"grant_type": {"password"}, "username": {username}, "password": {password},
		"client_id": {ap.ClientID}, "client_secret": {ap.ClientSecret}, "scope": {scopes},
	}, &out)
	if err != nil {
		return "", fmt.Errorf("sign in as %s: %w", username, err)
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("sign in as %s: no access_token in the answer", username)
	}
	return out.AccessToken, nil
}

func (a *apiClient) verifyCredentials(ctx context.Context, token string) (*account, error) {
	var out account
	if _, err := a.call(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// lookup finds an account by user or user@domain, first with
// /api/v1/accounts/lookup and then with search (resolving it when the
// server does not know it yet).
func (a *apiClient) lookup(ctx context.Context, token, acct string) (*account, error) {
	var out account
	_, err := a.call(ctx, http.MethodGet, "/api/v1/accounts/lookup?acct="+url.QueryEscape(acct), token, nil, &out)
	if err == nil {
		return &out, nil
	}
	var found struct {
		Accounts []account `json:"accounts"`
	}
	q := url.Values{"q": {"@" + acct}, "type": {"accounts"}, "resolve": {"true"}, "limit": {"1"}}
	if _, serr := a.call(ctx, http.MethodGet, "/api/v2/search?"+q.Encode(), token, nil, &found); serr != nil || len(found.Accounts) == 0 {
		return nil, fmt.Errorf("look up %s: %w", acct, err)
	}
	return &found.Accounts[0], nil
}

func (a *apiClient) follow(ctx context.Context, token, id string) error {
	_, err := a.call(ctx, http.MethodPost, "/api/v1/accounts/"+id+"/follow", token, nil, nil)
	return err
}

func (a *apiClient) postStatus(ctx context.Context, token, text string) (*status, error) {
	var out status
	_, err := a.call(ctx, http.MethodPost, "/api/v1/statuses", token, map[string]any{"status": text, "visibility": "public"}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// nextLink returns the rel="next" URL of a Link header, or "".
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		u, params, ok := strings.Cut(part, ";")
		if ok && strings.Contains(params, `rel="next"`) {
			u = strings.TrimSpace(u)
			return strings.TrimSuffix(strings.TrimPrefix(u, "<"), ">")
		}
	}
	return ""
}

// accountStatusURIs pages through an account's statuses as the server
// shows them (GET /api/v1/accounts/:id/statuses) and returns their URIs.
func (a *apiClient) accountStatusURIs(ctx context.Context, token, id string, limit int) (map[string]bool, int, error) {
	seen := map[string]bool{}
	next := "/api/v1/accounts/" + id + "/statuses?limit=40"
	requests := 0
	for next != "" && len(seen) < limit {
		var page []status
		resp, err := a.call(ctx, http.MethodGet, next, token, nil, &page)
		requests++
		if err != nil {
			return seen, requests, err
		}
		for _, s := range page {
			seen[s.URI] = true
		}
		next = ""
		if len(page) > 0 {
			next = nextLink(resp.Header.Get("Link"))
		}
	}
	return seen, requests, nil
}

// signIn returns a token for username: the given --token, or one from the
// password grant, creating the account first with --create-account.
func (c *common) signIn(ctx context.Context, api *apiClient, username string) (string, error) {
	if toks, err := c.tokens(); err != nil || len(toks) > 0 {
		if err != nil {
			return "", err
		}
		return toks[0], nil
	}
	return c.passwordSignIn(ctx, api, username)
}

// passwordSignIn signs username in with --password, creating the account
// first when --create-account says how.
func (c *common) passwordSignIn(ctx context.Context, api *apiClient, username string) (string, error) {
	if c.password == "" {
		return "", usagef("give --token, or --password (with --create-account to create @%s)", username)
	}
	c.appOnce.Do(func() { c.app, c.appErr = api.registerApp(ctx) })
	if c.appErr != nil {
		return "", c.appErr
	}
	if c.createAccount != "" {
		if err := c.runCreateAccount(ctx, username); err != nil {
			// It may exist already; signing in decides.
			if tok, serr := api.passwordToken(ctx, c.app, username, c.password); serr == nil {
				return tok, nil
			}
			return "", err
		}
	}
	tok, err := api.passwordToken(ctx, c.app, username, c.password)
	if err != nil && c.createAccount == "" {
		return "", fmt.Errorf("%w (create the account first, or pass --create-account)", err)
	}
	return tok, err
}

// following returns, for each account id, whether the token's account
// follows it.
func (a *apiClient) following(ctx context.Context, token string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for from := 0; from < len(ids); from += 40 {
		q := url.Values{}
		for _, id := range ids[from:min(len(ids), from+40)] {
			q.Add("id[]", id)
		}
		var rels []struct {
			ID        string `json:"id"`
			Following bool   `json:"following"`
		}
		if _, err := a.call(ctx, http.MethodGet, "/api/v1/accounts/relationships?"+q.Encode(), token, nil, &rels); err != nil {
			return nil, err
		}
		for _, r := range rels {
			out[r.ID] = r.Following
		}
	}
	return out, nil
}

// runCreateAccount runs the --create-account command for username.
func (c *common) runCreateAccount(ctx context.Context, username string) error {
	line := strings.NewReplacer("{username}", username, "{password}", shellQuote(c.password)).Replace(c.createAccount)
	out, err := exec.CommandContext(ctx, "sh", "-c", line).CombinedOutput()
	if err != nil {
		return fmt.Errorf("create account %s: %v: %s", username, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tokenPool hands out access tokens so that none goes over the server's
// rate limit: after each answer it notes the token's X-RateLimit-Remaining
// and skips a token with no more room than the requests that may be in
// flight with it. Servers without the header are never limited here.
type tokenPool struct {
	mu        sync.Mutex
	tokens    []string
	remaining []int // -1: unknown
	reserve   int
	next      int
}

func newTokenPool(tokens []string, reserve int) *tokenPool {
	rem := make([]int, len(tokens))
	for i := range rem {
		rem[i] = -1
	}
	return &tokenPool{tokens: tokens, remaining: rem, reserve: reserve}
}

// take returns the index and value of the next token with room, or -1
// when every token has used up its allowance.
func (p *tokenPool) take() (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.tokens {
		i := p.next
		p.next = (p.next + 1) % len(p.tokens)
		if r := p.remaining[i]; r < 0 || r > p.reserve {
			return i, p.tokens[i]
		}
	}
	return -1, ""
}

// hasRoom reports whether token i may make another request: every worker
// might be using it at once.
func (p *tokenPool) hasRoom(i int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.remaining[i]
	return r < 0 || r > p.reserve
}

// note records what the server said about token i's allowance.
func (p *tokenPool) note(i int, resp *http.Response) {
	if resp == nil || i < 0 {
		return
	}
	v := resp.Header.Get("X-RateLimit-Remaining")
	n, err := strconv.Atoi(v)
	if err != nil {
		if resp.StatusCode == http.StatusTooManyRequests {
			n = 0
		} else {
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// The latest answer wins: a window that has moved on gives room back.
	p.remaining[i] = n
}
