package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// checkReachable fails with a clear message when nothing answers at the
// target.
func (c *common) checkReachable(ctx context.Context, api *apiClient) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.target+"/api/v1/instance", nil)
	if err != nil {
		return err
	}
	resp, err := api.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("the target %s does not answer: %w", c.target, err)
	}
	resp.Body.Close()
	return nil
}

// discoverTarget finds the ActivityPub actor of username on the server
// under test, the way another server would: WebFinger, then the actor
// document (fetched with a signed GET by the simulated network).
func (c *common) discoverTarget(ctx context.Context, n *simNet, username string) (*remoteActor, error) {
	acct := username + "@" + c.domain
	u := c.target + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+acct)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("WebFinger %s: %w", acct, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("WebFinger %s answered %d: %s (is --account right, and --domain the server's domain?)", acct, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var jrd struct {
		Links []struct {
			Rel, Type, Href string
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return nil, fmt.Errorf("WebFinger %s: %w", acct, err)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && (strings.Contains(l.Type, "activity+json") || strings.Contains(l.Type, "ld+json")) {
			return n.remoteActor(ctx, l.Href)
		}
	}
	return nil, fmt.Errorf("WebFinger %s: no ActivityPub actor link", acct)
}
