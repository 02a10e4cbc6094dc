package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
)

// The server's rules come from its settings: Rounds' defaults until the
// admins write their own, the same on the start page and in the
// instance API (Mastodon's Rule entities).
func TestServerRulesFromSettings(t *testing.T) {
	n := startNode(t, storage.SQLite)
	rules := func() []any {
		t.Helper()
		code, body := call(t, n, "", "GET", "/api/v1/instance/rules", nil)
		if code != http.StatusOK {
			t.Fatalf("rules: %d", code)
		}
		list, _ := body["list"].([]any)
		return list
	}
	if got := rules(); len(got) != len(social.DefaultRules) || got[0].(map[string]any)["text"] != social.DefaultRules[0] {
		t.Fatalf("default rules = %v", got)
	}
	if _, err := n.svc.UpdateSettings(context.Background(), social.CommandLine, func(st *social.Settings) {
		st.Rules = []string{"Be kind.", "No patient details, ever."}
	}); err != nil {
		t.Fatal(err)
	}
	got := rules()
	if len(got) != 2 {
		t.Fatalf("rules = %v", got)
	}
	second := got[1].(map[string]any)
	requireKeys(t, "Rule", second, "id", "text", "hint")
	if second["id"] != "2" || second["text"] != "No patient details, ever." {
		t.Fatalf("the second rule = %v", second)
	}
	_, v2 := call(t, n, "", "GET", "/api/v2/instance", nil)
	if rs, _ := v2["rules"].([]any); len(rs) != 2 {
		t.Fatalf("v2 instance rules = %v", v2["rules"])
	}
	if _, page := fetchPage(t, n.base+"/", ""); !strings.Contains(page, "No patient details, ever.") {
		t.Fatal("the start page does not show the rules")
	}
}
