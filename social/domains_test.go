package social_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func TestNormalizeDomainAcceptsHostsAndRefusesGarbage(t *testing.T) {
	good := map[string]string{
		"example.org":                   "example.org",
		"  Example.ORG.  ":              "example.org",
		"https://Social.Example.org/@x": "social.example.org",
		"bücher.example":                "xn--bcher-kva.example",
		"xn--bcher-kva.example":         "xn--bcher-kva.example",
		"EXAMPLE.org:08443":             "example.org:8443",
		"127.0.0.1:3000":                "127.0.0.1:3000",
		"[2001:DB8::1]:443":             "[2001:db8::1]:443",
		"2001:db8::1":                   "[2001:db8::1]",
		"xyz":                           "xyz", // a whole top-level domain may be blocked
	}
	for in, want := range good {
		got, err := social.NormalizeDomain(in)
		if err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "   ", "not a domain", "exa_mple.org", "*.example.org", "example..org", "-bad.example",
		"example.org:99999", "example.org:", "example.org:http", "alice@example.org", "example.org/path", "1.2.3", "[::1", "https://", "fe80::1%eth0"}
	for _, in := range bad {
		got, err := social.NormalizeDomain(in)
		var ve *social.ValidationError
		if !errors.As(err, &ve) || ve.Field != "domain" {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want a validation error on domain", in, got, err)
		}
	}
	if _, err := social.NormalizeDomain(""); err == nil || err.Error() != "domain can't be blank" {
		t.Errorf("blank domain: %v", err)
	}
}

// remoteAccount stores a remote account as a fetch of its actor would.
func remoteAccount(t *testing.T, s *social.Service, username, domain string) *storage.Account {
	t.Helper()
	uri := "https://" + domain + "/users/" + username
	a := &storage.Account{
		Username: username, URI: uri, URL: uri, InboxURL: uri + "/inbox", SharedInboxURL: "https://" + domain + "/inbox",
		KeyID: uri + "#main-key", PublicKeyPEM: "-", Fields: "[]", ActorType: "Person",
		AvatarURL: "https://" + domain + "/avatar.png", HeaderURL: "https://" + domain + "/header.png",
	}
	if err := s.StoreRemoteAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	got, err := s.AccountByURI(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func reload(t *testing.T, s *social.Service, a *storage.Account) *storage.Account {
	t.Helper()
	got, err := s.AccountByID(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func mustPolicy(t *testing.T, s *social.Service, domain string) social.DomainPolicy {
	t.Helper()
	p, err := s.DomainPolicy(context.Background(), domain)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDomainBlockCoversSubdomainsAndTheMostSpecificBlockWins(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		a := social.CommandLine
		if _, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "Example.COM."}); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"example.com", "social.example.com", "a.b.example.com:8443", "SOCIAL.example.com"} {
			if p := mustPolicy(t, s, d); !p.Silenced || p.Suspended || p.BlockedBy != "example.com" || !p.Federates() {
				t.Errorf("policy of %s = %+v, want silenced by example.com", d, p)
			}
		}
		for _, d := range []string{"notexample.com", "example.com.evil.org", "com", "rounds.test", ""} {
			if p := mustPolicy(t, s, d); p.Silenced || p.Suspended || !p.Allowed {
				t.Errorf("policy of %s = %+v, want no block", d, p)
			}
		}

		// A stricter block of a subdomain applies below it; a block a
		// parent already covers as strictly is refused, naming the parent.
		if _, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "bad.example.com", Severity: social.SeveritySuspend}); err != nil {
			t.Fatal(err)
		}
		if p := mustPolicy(t, s, "x.bad.example.com"); !p.Suspended || !p.RejectMedia || !p.RejectReports || p.Federates() {
			t.Errorf("policy under the suspended subdomain = %+v", p)
		}
		if p := mustPolicy(t, s, "good.example.com"); !p.Silenced || p.Suspended {
			t.Errorf("policy of a sibling = %+v", p)
		}
		_, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "quiet.example.com", Severity: social.SeverityNoop})
		var exists *social.DomainBlockExistsError
		if !errors.As(err, &exists) || exists.Existing.Domain != "example.com" || !strings.Contains(err.Error(), "stricter limits on example.com") || !errors.Is(err, social.ErrConflict) {
			t.Fatalf("a block weaker than its parent's = %v", err)
		}
		_, err = s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "example.com", Severity: social.SeveritySuspend})
		if !errors.As(err, &exists) || exists.Existing.Domain != "example.com" {
			t.Fatalf("a second block of the same domain = %v", err)
		}

		// A block naming a port covers that port only.
		if _, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "ported.org:8443", Severity: social.SeveritySuspend}); err != nil {
			t.Fatal(err)
		}
		if !mustPolicy(t, s, "ported.org:8443").Suspended || !mustPolicy(t, s, "x.ported.org:8443").Suspended || mustPolicy(t, s, "ported.org").Suspended {
			t.Error("a block with a port is not applied to exactly that port")
		}

		// Never this server's own domain, nor a parent of it.
		for _, d := range []string{"rounds.test", "ROUNDS.test.", "test", "https://rounds.test/about"} {
			_, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: d})
			var ve *social.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(ve.Reason, "own domain") {
				t.Errorf("blocking %q = %v, want a refusal naming the own domain", d, err)
			}
		}
		if _, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "x.org", Severity: "ban"}); err == nil {
			t.Error("an unknown severity was taken")
		}
	})
}

func TestDomainBlocksNeedAnAdminAndLeaveAuditEntries(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		admin, err := s.CreateUser(ctx, social.NewUser{Username: "boss", Password: "a long password", Role: social.RoleAdmin, Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		mod, err := s.CreateUser(ctx, social.NewUser{Username: "mod", Password: "a long password", Role: social.RoleModerator, Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		user, err := s.CreateUser(ctx, social.NewUser{Username: "nurse", Password: "a long password", Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []*storage.User{mod, user} {
			a := social.StaffActor(u)
			if _, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "spam.example"}); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("%s blocking = %v", u.Role, err)
			}
			if _, err := s.DomainBlocks(ctx, a, storage.Page{}); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("%s listing blocks = %v", u.Role, err)
			}
			if _, _, err := s.AllowDomain(ctx, a, "friend.example"); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("%s allowing = %v", u.Role, err)
			}
			if _, err := s.SetFederationMode(ctx, a, social.FederationAllowlist); !errors.Is(err, social.ErrForbidden) {
				t.Errorf("%s changing the mode = %v", u.Role, err)
			}
		}

		a := social.StaffActor(admin)
		b, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "spam.example", PrivateComment: "sends spam", PublicComment: "Spam"})
		if err != nil {
			t.Fatal(err)
		}
		suspend := social.SeveritySuspend
		if _, err := s.UpdateDomainBlock(ctx, a, b.ID, social.DomainBlockChange{Severity: &suspend}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UnblockDomain(ctx, a, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UnblockDomain(ctx, a, b.ID); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("unblocking twice = %v", err)
		}
		al, created, err := s.AllowDomain(ctx, a, "Friend.Example")
		if err != nil || !created || al.Domain != "friend.example" {
			t.Fatalf("allow = %+v %v %v", al, created, err)
		}
		if again, created, err := s.AllowDomain(ctx, a, "friend.example."); err != nil || created || again.ID != al.ID {
			t.Fatalf("allowing again = %+v %v %v, want the same allow", again, created, err)
		}
		if _, err := s.RemoveDomainAllow(ctx, a, al.ID); err != nil {
			t.Fatal(err)
		}

		entries, err := s.AuditLog(ctx, social.CommandLine, storage.AuditFilter{TargetType: "domain"}, storage.Page{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			if e.Actor != "@boss" {
				t.Errorf("entry %s by %q", e.Action, e.Actor)
			}
			got = append(got, e.Action+" "+e.Target)
		}
		want := "disallow_domain friend.example|allow_domain friend.example|unblock_domain spam.example|update_domain_block spam.example|block_domain spam.example"
		if strings.Join(got, "|") != want {
			t.Fatalf("audit log = %v\nwant %s", got, want)
		}
		if last := entries[len(entries)-1]; last.Reason != "sends spam" || !strings.Contains(last.Detail, `"severity":"silence"`) {
			t.Fatalf("the block's entry = %+v", last)
		}
		if !strings.Contains(entries[3].Detail, `"before"`) || !strings.Contains(entries[3].Detail, `"suspend"`) {
			t.Fatalf("the update's entry lacks before and after: %+v", entries[3])
		}
	})
}

func TestSuspendingADomainHidesItsAccountsDropsFollowsAndUnblockUndoesOnlyThat(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		a := social.CommandLine
		local, err := s.CreateUser(ctx, social.NewUser{Username: "aoife", Password: "a long password", Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		alice := remoteAccount(t, s, "alice", "social.spam.example")
		mallory := remoteAccount(t, s, "mallory", "spam.example")
		other := remoteAccount(t, s, "olga", "fine.example")
		// A moderator suspended mallory on her own, before any block.
		if err := s.TakeAction(ctx, a, mallory.ID, social.AccountAction{Type: social.ActionSuspend, Text: "abuse"}); err != nil {
			t.Fatal(err)
		}
		for i, f := range []*storage.Account{alice, other} {
			if err := s.ReceiveFollow(ctx, f, local.Account, f.URI+"#follows/"+string(rune('a'+i))); err != nil {
				t.Fatal(err)
			}
		}
		if c, _ := s.Counts(ctx, local.Account); c.Followers != 2 {
			t.Fatalf("followers before the block = %d", c.Followers)
		}

		b, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "spam.example", Severity: social.SeveritySuspend})
		if err != nil {
			t.Fatal(err)
		}
		if got := reload(t, s, alice); !got.Suspended() || got.AvatarURL != "" {
			t.Fatalf("alice after the block: suspended %v, avatar %q", got.Suspended(), got.AvatarURL)
		}
		if reload(t, s, other).Suspended() {
			t.Fatal("an account of another domain was suspended")
		}
		if c, _ := s.Counts(ctx, local.Account); c.Followers != 1 {
			t.Fatalf("followers after the block = %d, want only olga's follow left", c.Followers)
		}
		if _, err := s.AccountByAcct(ctx, "alice", "social.spam.example"); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("a suspended domain's account is still found: %v", err)
		}
		// An account first seen after the block gets its suspension.
		late := remoteAccount(t, s, "late", "spam.example")
		if !late.Suspended() || late.AvatarURL != "" {
			t.Fatalf("an account stored after the block: %+v", late)
		}

		if _, err := s.UnblockDomain(ctx, a, b.ID); err != nil {
			t.Fatal(err)
		}
		if reload(t, s, alice).Suspended() || reload(t, s, late).Suspended() {
			t.Fatal("lifting the block left its suspensions")
		}
		if !reload(t, s, mallory).Suspended() {
			t.Fatal("lifting the block lifted a moderator's suspension")
		}
		if got := reload(t, s, alice); got.FetchedAt != nil {
			t.Fatal("alice is not marked for a fresh fetch, which brings her avatar back")
		}
	})
}

func TestSilencingADomainLimitsItsAccountsUntilUnblocked(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		a := social.CommandLine
		alice := remoteAccount(t, s, "alice", "loud.example")
		limited := remoteAccount(t, s, "lim", "loud.example")
		if err := s.TakeAction(ctx, a, limited.ID, social.AccountAction{Type: social.ActionSilence}); err != nil {
			t.Fatal(err)
		}
		b, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "loud.example"})
		if err != nil {
			t.Fatal(err)
		}
		if reload(t, s, alice).SilencedAt == nil {
			t.Fatal("the silenced domain's account is not limited")
		}
		// A refetch of the actor keeps the limit.
		remoteAccount(t, s, "alice", "loud.example")
		if reload(t, s, alice).SilencedAt == nil {
			t.Fatal("a refetch lifted the limit")
		}
		if late := remoteAccount(t, s, "late", "loud.example"); late.SilencedAt == nil {
			t.Fatal("an account stored after the block is not limited")
		}

		// A remote public post of a limited account stays out of the
		// public timelines.
		st := &storage.Status{ID: storage.NewID(), URI: alice.URI + "/statuses/1", URL: alice.URI + "/statuses/1", AccountID: alice.ID,
			Content: "<p>hello</p>", Visibility: social.VisibilityPublic, CreatedAt: time.Now().UTC()}
		if _, err := s.ReceiveStatus(ctx, st, nil, social.ReceiveOptions{Context: true}); err != nil {
			t.Fatal(err)
		}
		if pub, _ := s.PublicTimeline(ctx, true, true, "", storage.Page{}); len(pub) != 0 {
			t.Fatalf("public timeline holds %d posts of a limited account", len(pub))
		}

		if _, err := s.UnblockDomain(ctx, a, b.ID); err != nil {
			t.Fatal(err)
		}
		if reload(t, s, alice).SilencedAt != nil {
			t.Fatal("lifting the block left its limit")
		}
		if reload(t, s, limited).SilencedAt == nil {
			t.Fatal("lifting the block lifted a moderator's limit")
		}
		if pub, _ := s.PublicTimeline(ctx, true, true, "", storage.Page{}); len(pub) != 1 {
			t.Fatalf("after the unblock the public timeline holds %d posts", len(pub))
		}
	})
}

func TestRejectedMediaAreKeptAsLinksAndComeBackWhenAllowed(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		a := social.CommandLine
		alice := remoteAccount(t, s, "alice", "pics.example")
		post := func(n string) *storage.Status {
			st := &storage.Status{ID: storage.NewID(), URI: alice.URI + "/statuses/" + n, URL: alice.URI + "/statuses/" + n, AccountID: alice.ID,
				Content: "<p>look</p>", Visibility: social.VisibilityPublic, CreatedAt: time.Now().UTC()}
			st, err := s.ReceiveStatus(ctx, st, nil, social.ReceiveOptions{Context: true, Media: []social.RemoteMedia{{URL: "https://pics.example/a.png", ContentType: "image/png"}}})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		mediaType := func(st *storage.Status) string {
			ms, err := s.StatusMedia(ctx, st)
			if err != nil || len(ms) != 1 {
				t.Fatalf("media = %v, %v", ms, err)
			}
			return ms[0].Type
		}
		before := post("1")
		b, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "pics.example", Severity: social.SeverityNoop, RejectMedia: true})
		if err != nil {
			t.Fatal(err)
		}
		after := post("2")
		if mediaType(before) != "unknown" || mediaType(after) != "unknown" {
			t.Fatalf("rejected media are shown inline: %s, %s", mediaType(before), mediaType(after))
		}
		if got := reload(t, s, alice); got.AvatarURL != "" || got.HeaderURL != "" || got.SilencedAt != nil || got.Suspended() {
			t.Fatalf("alice under a noop block rejecting media: %+v", got)
		}
		if refetched := remoteAccount(t, s, "alice", "pics.example"); refetched.AvatarURL != "" {
			t.Fatal("a refetch brought the avatar back")
		}
		no := false
		if _, err := s.UpdateDomainBlock(ctx, a, b.ID, social.DomainBlockChange{RejectMedia: &no}); err != nil {
			t.Fatal(err)
		}
		if mediaType(before) != "image" || mediaType(after) != "image" {
			t.Fatal("media are not shown again after the block stopped rejecting them")
		}
	})
}

func TestAllowlistModeLetsOnlyListedDomainsFederate(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		a := social.CommandLine
		if ok, _ := s.MayFederate(ctx, "anyone.example"); !ok {
			t.Fatal("open mode refuses an unblocked domain")
		}
		if _, _, err := s.AllowDomain(ctx, a, "friend.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetFederationMode(ctx, a, social.FederationAllowlist); err != nil {
			t.Fatal(err)
		}
		for d, want := range map[string]bool{"friend.example": true, "social.friend.example:8443": true, "anyone.example": false, "rounds.test": true, "": true} {
			if ok, err := s.MayFederate(ctx, d); ok != want || err != nil {
				t.Errorf("MayFederate(%q) = %v, %v; want %v", d, ok, err, want)
			}
		}
		got, err := s.FederatingInboxes(ctx, []string{"https://friend.example/inbox", "https://anyone.example/inbox", "https://a.friend.example/users/x/inbox", "::bad"})
		if err != nil || strings.Join(got, " ") != "https://friend.example/inbox https://a.friend.example/users/x/inbox" {
			t.Fatalf("FederatingInboxes = %v, %v", got, err)
		}
		// Listed but suspended: still no federation.
		if _, err := s.BlockDomain(ctx, a, social.DomainBlockInput{Domain: "friend.example", Severity: social.SeveritySuspend}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.MayFederate(ctx, "friend.example"); ok {
			t.Fatal("an allowed but suspended domain federates")
		}
		if _, err := s.SetFederationMode(ctx, a, "closed"); err == nil {
			t.Fatal("an unknown mode was taken")
		}
	})
}

func TestPublicDomainBlocksObfuscateAndSkipNoop(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		a := social.CommandLine
		for _, in := range []social.DomainBlockInput{
			{Domain: "spam.example.com", Severity: social.SeveritySuspend, Obfuscate: true, PublicComment: "Spam", PrivateComment: "secret"},
			{Domain: "loud.example", PublicComment: ""},
			{Domain: "pics.example", Severity: social.SeverityNoop, RejectMedia: true},
		} {
			if _, err := s.BlockDomain(ctx, a, in); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.PublicDomainBlocks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("public list = %+v, want the silenced and the suspended domain", list)
		}
		if l := list[0]; l.Domain != "loud.example" || l.Severity != social.SeveritySilence || l.Digest != social.DomainDigest("loud.example") {
			t.Errorf("first = %+v", l)
		}
		if l := list[1]; l.Domain != "spam.*******.com" || l.Comment != "Spam" || l.Digest != social.DomainDigest("spam.example.com") {
			t.Errorf("second = %+v", l)
		}
		if d := social.DomainDigest("example.com"); d != "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947" {
			t.Errorf("digest of example.com = %s, not the one Mastodon's documentation shows", d)
		}
	})
}
