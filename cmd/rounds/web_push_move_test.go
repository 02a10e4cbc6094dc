package main

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// A follower whose subscription turns on the move alert is pushed the move
// of an account they follow; Mastodon 4.5's other alert types are kept as
// the app sets them.
func TestWebPushMoveAlert(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		users := map[string]*storage.User{}
		for _, name := range []string{"alice", "alice2", "bob"} {
			u, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Approved: true})
			if err != nil {
				t.Fatal(err)
			}
			users[name] = u
		}
		bob := users["bob"].Account
		if _, err := n.svc.Follow(ctx, bob, users["alice"].Account); err != nil {
			t.Fatal(err)
		}
		bobToken := tokenFor(t, n, "bob", "read write follow push")
		pr := newPushReceiver(t, false)
		dev := newPushDevice(t)
		code, body := call(t, n, bobToken, "POST", "/api/v1/push/subscription", url.Values{
			"subscription[endpoint]": {pr.srv.URL + "/push/bob"}, "subscription[keys][p256dh]": {dev.p256dh()},
			"subscription[keys][auth]": {base64.RawURLEncoding.EncodeToString(dev.auth)}, "subscription[standard]": {"true"},
			"data[alerts][move]": {"true"}, "data[alerts][quote]": {"true"}, "data[alerts][follow]": {"false"},
		})
		alerts, _ := body["alerts"].(map[string]any)
		if code != 200 || alerts["move"] != true || alerts["quote"] != true || alerts["quoted_update"] != false ||
			alerts["severed_relationships"] != false || alerts["moderation_warning"] != false || alerts["annual_report"] != false || alerts["mention"] != false {
			t.Fatalf("subscribe with the move alert: %d %v", code, body)
		}
		serverKey := body["server_key"].(string)

		if _, err := n.svc.AddAlias(ctx, users["alice2"].Account, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.MoveAccount(ctx, users["alice"], "a long password", "alice2"); err != nil {
			t.Fatal(err)
		}
		p := openPush(t, pr.next(t, "the move"), dev, pr.srv.URL, serverKey)
		if p.NotificationType != "move" || !strings.Contains(p.Title, "alice has moved to a new account") {
			t.Errorf("move push %+v", p)
		}
	})
}
