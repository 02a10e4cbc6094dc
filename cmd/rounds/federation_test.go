package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// node is a Rounds server running in this test process on its own loopback
// port, database and domain, talking real HTTP to the others.
type node struct {
	base   string
	domain string
	dbURL  string
	svc    *social.Service
	fed    *federation.Federation
	db     *storage.DB // the server's own handle, for fault tests
	stop   func()
}

func startNode(tb testing.TB, dialect storage.Dialect) *node {
	tb.Helper()
	return startNodeWith(tb, dialect, nil)
}

// startNodeWith starts a node after tune has adjusted its settings. Its log
// (warn and above) is shown when the test fails.
func startNodeWith(tb testing.TB, dialect storage.Dialect, tune func(*rawConfig)) *node {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rc := rawConfig{
		domain: addr, listen: addr, protocol: "http", database: storagetest.NewURL(tb, dialect),
		dataDir: tb.TempDir(), allowPrivate: "127.0.0.0/8", logLevel: "warn", logFormat: "text",
		jobWorkers: "50", jobTimeout: "10s", shutdownGrace: "15s", // grace above the 10 s request timeout: a job may be waiting on a peer at teardown
	}
	if tune != nil {
		tune(&rc)
	}
	cfg, err := rc.validate(true)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{base: "http://" + rc.listen, domain: rc.domain, dbURL: rc.database}
	ready := make(chan struct{})
	done := make(chan error, 1)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() {
		done <- serve(ctx, cfg, log, serveHooks{registerWorkers: func(_ *storage.Jobs, db *storage.DB) { n.db = db }, started: func(svc *social.Service, fed *federation.Federation) {
			n.svc, n.fed = svc, fed
			close(ready)
		}})
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		tb.Fatalf("node did not start: %v", err)
	case <-time.After(15 * time.Second):
		cancel()
		tb.Fatal("node did not start within 15s")
	}
	// Tests see posts leave at once; the send delay has tests of its own.
	noDelay := social.Duration(0)
	if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &noDelay }); err != nil {
		cancel()
		tb.Fatal(err)
	}
	for i := 0; ; i++ {
		resp, err := http.Get(n.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			cancel()
			tb.Fatalf("node does not answer: %v (it stopped with %v); its log:\n%s", err, <-done, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("node stopped with %v", err)
			}
		})
	}
	tb.Cleanup(func() {
		n.stop()
		if tb.Failed() {
			tb.Logf("node %s log (warn and above):\n%s", n.domain, logs.String())
		}
	})
	return n
}

func (n *node) user(t testing.TB, username string, locked bool) *storage.Account {
	t.Helper()
	ctx := context.Background()
	u, err := n.svc.CreateUser(ctx, social.NewUser{Username: username, Password: "a long password", Approved: true})
	if err != nil {
		t.Fatal(err)
	}
	if locked {
		if _, err := n.svc.UpdateProfile(ctx, u.Account, social.ProfileUpdate{Locked: &locked}); err != nil {
			t.Fatal(err)
		}
	}
	return u.Account
}

// followAcross makes follower, on from, follow username on to, and waits
// until both servers hold the follow as accepted. It returns the followed
// account as from knows it.
func followAcross(t *testing.T, from *node, follower *storage.Account, to *node, username string) *storage.Account {
	t.Helper()
	ctx := context.Background()
	target, err := from.fed.ResolveAccount(ctx, username+"@"+to.domain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := from.svc.Follow(ctx, follower, target); err != nil {
		t.Fatal(err)
	}
	local, err := to.svc.AccountByURI(ctx, target.URI)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, follower.Username+" following "+username+" on both servers", func() bool {
		remote, err := to.svc.AccountByURI(ctx, follower.URI)
		return err == nil && from.svc.IsFollowing(ctx, follower, target) && to.svc.IsFollowing(ctx, remote, local)
	})
	return target
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 20s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestTwoServersFollowPostReplyDeleteAndUnfollow(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		bob := b.user(t, "bob", false)
		carol := b.user(t, "carol", true) // locked: follows need approval

		// alice@A finds bob@B through WebFinger and follows him.
		bobOnA, err := a.fed.ResolveAccount(ctx, "bob@"+b.domain)
		if err != nil {
			t.Fatal(err)
		}
		if bobOnA.URI != bob.URI || bobOnA.InboxURL != bob.InboxURL || bobOnA.PublicKeyPEM != bob.PublicKeyPEM {
			t.Fatalf("bob as A sees him: %+v", bobOnA)
		}
		if _, err := a.svc.Follow(ctx, alice, bobOnA); err != nil {
			t.Fatal(err)
		}
		eventually(t, "B accepting alice's follow on A", func() bool {
			c, _ := a.svc.Counts(ctx, alice)
			return c.Following == 1
		})
		bobCounts, _ := b.svc.Counts(ctx, bob)
		if bobCounts.Followers != 1 {
			t.Fatalf("bob has %d followers on B", bobCounts.Followers)
		}

		// A locked account: the follow waits for carol.
		carolOnA, err := a.fed.ResolveAccount(ctx, "carol@"+b.domain)
		if err != nil {
			t.Fatal(err)
		}
		if !carolOnA.Locked {
			t.Fatal("carol's lock did not federate (manuallyApprovesFollowers)")
		}
		if _, err := a.svc.Follow(ctx, alice, carolOnA); err != nil {
			t.Fatal(err)
		}
		aliceOnB := waitAccount(t, b, alice.URI)
		eventually(t, "the follow request reaching B", func() bool {
			c, _ := b.svc.Counts(ctx, carol)
			reqs, _ := b.svc.FollowRequests(ctx, carol, 40)
			return c.Followers == 0 && len(reqs) == 1 && reqs[0].URI == alice.URI
		})
		time.Sleep(300 * time.Millisecond)
		if c, _ := a.svc.Counts(ctx, alice); c.Following != 1 {
			t.Fatalf("alice follows %d before carol approved", c.Following)
		}
		if err := b.svc.AuthorizeFollow(ctx, carol, aliceOnB); err != nil {
			t.Fatal(err)
		}
		eventually(t, "carol's approval reaching A", func() bool {
			c, _ := a.svc.Counts(ctx, alice)
			return c.Following == 2
		})

		// bob changes his profile; A sees the change.
		name, bio := "Dr Bob Byrne", "Consultant in emergency medicine"
		fields := []social.ProfileField{{Name: "Hospital", Value: "St Elsewhere"}}
		if _, err := b.svc.UpdateProfile(ctx, bob, social.ProfileUpdate{DisplayName: &name, Note: &bio, Fields: &fields}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "bob's profile update reaching A", func() bool {
			got, err := a.svc.AccountByURI(ctx, bob.URI)
			return err == nil && got.DisplayName == name && strings.Contains(got.Note, "emergency") && strings.Contains(got.Fields, "St Elsewhere")
		})

		// bob posts; it lands in alice's home timeline on A.
		post, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Ward round teaching: <b>always</b> check the drug chart.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		onA := waitInHome(t, a, alice, post.URI, "bob's post reaching alice's home timeline")
		if onA.Content != post.Content || onA.Visibility != social.VisibilityPublic || onA.Local {
			t.Fatalf("on A the post is %+v; on B %+v", onA, post)
		}

		// alice replies; the reply threads under bob's post on both servers.
		reply, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Thanks, Bob!", InReplyToID: onA.ID})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "alice's reply reaching B", func() bool {
			st, err := b.svc.StatusByURI(ctx, reply.URI)
			return err == nil && st.InReplyToID != nil && *st.InReplyToID == post.ID
		})

		// alice likes and boosts bob's post; B counts both. Then she
		// takes both back.
		if _, err := a.svc.Favourite(ctx, alice, onA.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.Reblog(ctx, alice, onA.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the like and the boost reaching B", func() bool {
			c, _ := b.svc.CountsOf(ctx, post)
			return c.Favourites == 1 && c.Reblogs == 1 && c.Replies == 1
		})
		if _, err := a.svc.Unfavourite(ctx, alice, onA.ID); err != nil {
			t.Fatal(err)
		}
		if err := a.svc.Unreblog(ctx, alice, onA.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the undone like and boost reaching B", func() bool {
			c, _ := b.svc.CountsOf(ctx, post)
			return c.Favourites == 0 && c.Reblogs == 0
		})

		// bob edits; A shows the new text and keeps the old one in history.
		if _, err := b.svc.EditStatus(ctx, bob, post.ID, social.NewStatus{Text: "Ward round teaching: always check the drug chart twice."}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the edit reaching A", func() bool {
			st, err := a.svc.StatusByURI(ctx, post.URI)
			return err == nil && strings.Contains(st.Content, "twice") && st.EditedAt != nil
		})
		edits, _ := a.svc.StatusEdits(ctx, onA)
		if len(edits) != 1 || !strings.Contains(edits[0].Content, "always") || strings.Contains(edits[0].Content, "twice") {
			t.Fatalf("history on A = %+v", edits)
		}

		// bob deletes; it is gone from A and cannot come back.
		if _, err := b.svc.DeleteStatus(ctx, bob, post.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the delete reaching A", func() bool {
			_, err := a.svc.StatusByURI(ctx, post.URI)
			return err != nil
		})

		// alice unfollows bob; his next post does not reach her.
		if err := a.svc.Unfollow(ctx, alice, bobOnA); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the unfollow reaching B", func() bool {
			c, _ := b.svc.Counts(ctx, bob)
			return c.Followers == 0
		})
		later, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "Nobody on A should see this."})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if _, err := a.svc.StatusByURI(ctx, later.URI); err == nil {
			t.Fatal("a post after the unfollow reached A")
		}
		ds, _ := b.svc.Deliveries(ctx, later.ID)
		if len(ds) != 0 {
			t.Fatalf("after the unfollow bob's post was still sent to %v", ds)
		}
	})
}

func waitAccount(t *testing.T, n *node, uri string) *storage.Account {
	t.Helper()
	var a *storage.Account
	eventually(t, fmt.Sprintf("%s being known", uri), func() bool {
		var err error
		a, err = n.svc.AccountByURI(context.Background(), uri)
		return err == nil
	})
	return a
}

func TestReplyToUnknownPostFetchesParentAsJob(t *testing.T) {
	ctx := context.Background()
	a, b := startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	alice := a.user(t, "alice", false)
	bob := b.user(t, "bob", false)
	dave := b.user(t, "dave", false)
	bobOnA, err := a.fed.ResolveAccount(ctx, "bob@"+b.domain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Follow(ctx, alice, bobOnA); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the follow being accepted", func() bool {
		c, _ := a.svc.Counts(ctx, alice)
		return c.Following == 1
	})
	// dave, whom nobody on A follows, posts; bob replies to him.
	root, err := b.svc.PostStatus(ctx, dave, social.NewStatus{Text: "Question: best sepsis screening tool?"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := b.svc.PostStatus(ctx, bob, social.NewStatus{Text: "qSOFA has its limits.", InReplyToID: root.ID})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the parent being fetched and the reply threaded on A", func() bool {
		r, err := a.svc.StatusByURI(ctx, reply.URI)
		if err != nil || r.InReplyToID == nil {
			return false
		}
		parent, err := a.svc.StatusByID(ctx, *r.InReplyToID)
		return err == nil && parent.URI == root.URI && strings.Contains(parent.Content, "sepsis")
	})
}

func TestMentionOfRemoteAccountIsResolvedDeliveredAndTagged(t *testing.T) {
	ctx := context.Background()
	a, b := startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	alice := a.user(t, "alice", false)
	dave := b.user(t, "dave", false) // nobody on A follows dave

	// dave mentions alice@A, whom B has never seen: B resolves her by
	// WebFinger while posting, and delivers to her inbox.
	post, err := b.svc.PostStatus(ctx, dave, social.NewStatus{Text: "@alice@" + a.domain + " can you review this #SepsisSix audit?", Visibility: social.VisibilityDirect})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(post.Content, `class="u-url mention">@<span>alice</span>`) {
		t.Fatalf("the mention was not linked: %s", post.Content)
	}
	onA := waitInHome(t, a, alice, post.URI, "the direct mention reaching alice on A")
	if onA.Visibility != social.VisibilityDirect {
		t.Fatalf("visibility on A = %s", onA.Visibility)
	}
	tags, _ := a.svc.StatusTags(ctx, onA)
	if len(tags) != 1 || tags[0] != "sepsissix" {
		t.Fatalf("tags on A = %v", tags)
	}
	mentioned, _ := a.svc.MentionedAccounts(ctx, onA)
	if len(mentioned) != 1 || mentioned[0].ID != alice.ID {
		t.Fatalf("mentions on A = %v", mentioned)
	}
}

// waitInHome waits until the status uri is in owner's home timeline on n,
// and returns it.
func waitInHome(t *testing.T, n *node, owner *storage.Account, uri, what string) *storage.Status {
	t.Helper()
	var found *storage.Status
	eventually(t, what, func() bool {
		home, _ := n.svc.HomeTimeline(context.Background(), owner, storage.Page{Limit: 40})
		for _, st := range home {
			if st.URI == uri {
				found = st
				return true
			}
		}
		return false
	})
	return found
}
