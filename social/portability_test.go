package social_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func localUser(t *testing.T, s *social.Service, name string) *storage.Account {
	t.Helper()
	u, err := s.CreateUser(context.Background(), social.NewUser{Username: name, Password: "a long password", Approved: true})
	if err != nil {
		t.Fatal(err)
	}
	return u.Account
}

// followAccepted makes me follow a remote account and the remote server
// accept, as its Accept would.
func followAccepted(t *testing.T, s *social.Service, me, target *storage.Account) {
	t.Helper()
	ctx := context.Background()
	f, err := s.Follow(ctx, me, target)
	if err != nil {
		t.Fatal(err)
	}
	if f.AcceptedAt == nil {
		if err := s.ReceiveAccept(ctx, target, f.URI); err != nil {
			t.Fatal(err)
		}
	}
}

// The three CSV files are the ones Mastodon writes, byte for byte: its
// headers, "true"/"false", an empty Languages column, local accounts with
// this server's domain, newest first, and no pending follow requests.
func TestExportFilesAreMastodonsCSVByteForByte(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		me := localUser(t, s, "dr_aoife")
		nurse := localUser(t, s, "nurse_ciara")
		dave := localUser(t, s, "dave")
		frank := localUser(t, s, "frank")
		locked := localUser(t, s, "gina")
		yes := true
		if _, err := s.UpdateProfile(ctx, locked, social.ProfileUpdate{Locked: &yes}); err != nil {
			t.Fatal(err)
		}
		bob := remoteAccount(t, s, "bob", "remote.example")
		carol := remoteAccount(t, s, "carol", "other.example")
		eve := remoteAccount(t, s, "eve", "remote.example")

		for _, want := range []struct {
			name string
			got  func() ([]byte, error)
			want string
		}{
			{"empty following", func() ([]byte, error) { return s.ExportFollowing(ctx, me) }, "Account address,Show boosts,Notify on new posts,Languages\n"},
			{"empty blocks", func() ([]byte, error) { return s.ExportBlocks(ctx, me) }, ""},
			{"empty mutes", func() ([]byte, error) { return s.ExportMutes(ctx, me) }, "Account address,Hide notifications\n"},
		} {
			got, err := want.got()
			if err != nil || string(got) != want.want {
				t.Fatalf("%s: %q, %v; want %q", want.name, got, err, want.want)
			}
		}

		followAccepted(t, s, me, nurse)
		followAccepted(t, s, me, bob)
		if _, err := s.Follow(ctx, me, locked); err != nil { // pending: not exported
			t.Fatal(err)
		}
		if err := s.Block(ctx, me, dave); err != nil {
			t.Fatal(err)
		}
		if err := s.Block(ctx, me, carol); err != nil {
			t.Fatal(err)
		}
		if err := s.Mute(ctx, me, eve, false); err != nil {
			t.Fatal(err)
		}
		if err := s.Mute(ctx, me, frank, true); err != nil {
			t.Fatal(err)
		}
		// Someone else's follows stay out of me's file.
		if _, err := s.Follow(ctx, nurse, dave); err != nil {
			t.Fatal(err)
		}

		following, err := s.ExportFollowing(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if want := "Account address,Show boosts,Notify on new posts,Languages\n" +
			"bob@remote.example,true,false,\n" +
			"nurse_ciara@rounds.test,true,false,\n"; string(following) != want {
			t.Errorf("following_accounts.csv:\n%s\nwant:\n%s", following, want)
		}
		blocks, err := s.ExportBlocks(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if want := "carol@other.example\ndave@rounds.test\n"; string(blocks) != want {
			t.Errorf("blocked_accounts.csv:\n%s\nwant:\n%s", blocks, want)
		}
		mutes, err := s.ExportMutes(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if want := "Account address,Hide notifications\nfrank@rounds.test,true\neve@remote.example,false\n"; string(mutes) != want {
			t.Errorf("muted_accounts.csv:\n%s\nwant:\n%s", mutes, want)
		}
	})
}

// More follows than one page of the export's reads all come out.
func TestExportReadsEveryPage(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		me := localUser(t, s, "dr_aoife")
		for i := range 170 {
			if err := s.Block(ctx, me, remoteAccount(t, s, fmt.Sprintf("user%d", i), "remote.example")); err != nil {
				t.Fatal(err)
			}
		}
		blocks, err := s.ExportBlocks(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(blocks), "\n"), "\n")
		if len(lines) != 170 || lines[0] != "user169@remote.example" || lines[169] != "user0@remote.example" {
			t.Fatalf("%d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
		}
	})
}

// Import reads what people upload: Mastodon's files with and without
// header rows, a byte order mark, CRLF, blank lines, "@user@domain",
// profile addresses and local names; it lists each line it cannot use with
// the reason, and refuses whole files that are too big, not text or
// another kind of list.
func TestImportParsesLenientlyAndSaysWhichLinesItRefused(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		me := localUser(t, s, "dr_aoife")
		localUser(t, s, "nurse_ciara")
		localUser(t, s, "dave")
		bob := remoteAccount(t, s, "bob", "remote.example")
		if _, err := s.Follow(ctx, me, bob); err != nil {
			t.Fatal(err)
		}

		type want struct {
			queued, unchanged int
			refused           []string
			err               string
		}
		for _, tc := range []struct {
			name, kind, mode, file string
			want                   want
		}{
			{"Mastodon following export with BOM, CRLF and blank lines", social.ImportFollowing, social.ImportMerge,
				"\xEF\xBB\xBFAccount address,Show boosts,Notify on new posts,Languages\r\n\r\nalice@mastodon.example,true,false,\r\nbob@remote.example,false,true,\"en, de\"\r\nnurse_ciara@rounds.test,true,false,\r\n\r\n",
				want{queued: 2, unchanged: 1}},
			{"old header-less file of addresses in every spelling", social.ImportFollowing, social.ImportMerge,
				"@alice@mastodon.example\nCarol@Other.Example\nnurse_ciara\n  dave@rounds.test  \nhttps://social.example/@erin\nhttps://social.example/users/frank/\nacct:gus@gts.example:8443\n",
				want{queued: 7}},
			{"garbage, duplicates, yourself and unknown local names", social.ImportBlocks, social.ImportMerge,
				"alice@mastodon.example\nnot an address\n@alice@MASTODON.example\ndr_aoife\nnobody_here\nx@no_such_host!\n\"unclosed,\nhttps://social.example/about\n",
				want{queued: 1, refused: []string{
					`line 2: "not an address" is not an account address such as name@server.example`,
					`line 3: alice@mastodon.example is already on line 1`,
					`line 4: dr_aoife@rounds.test is your own account`,
					`line 5: there is no account nobody_here@rounds.test`,
					`line 6: "x@no_such_host!" is not an account address such as name@server.example`,
					`line 7: "unclosed," is not an account address such as name@server.example`,
					`line 8: "https://social.example/about" is not an account address such as name@server.example`,
				}}},
			{"mutes with and without the notifications column", social.ImportMutes, social.ImportMerge,
				"Account address,Hide notifications\nalice@mastodon.example,false\nnurse_ciara@rounds.test,\n",
				want{queued: 2}},
			{"header only: nothing to do", social.ImportMutes, social.ImportMerge,
				"Account address,Hide notifications\n", want{}},
			{"nothing readable at all", social.ImportFollowing, social.ImportMerge,
				"hello world\n{\"@context\": []}\n", want{err: "no line of the file names an account", refused: []string{
					`line 1: "hello world" is not an account address such as name@server.example`,
					`line 2: "{\"@context\": []}" is not an account address such as name@server.example`,
				}}},
			{"overwrite refuses a file with a bad line", social.ImportFollowing, social.ImportOverwrite,
				"alice@mastodon.example\nalice at mastodon\n", want{err: "1 line of the file could not be read", refused: []string{
					`line 2: "alice at mastodon" is not an account address such as name@server.example`,
				}}},
			{"a mutes file chosen as follows", social.ImportFollowing, social.ImportMerge,
				"Account address,Hide notifications\nalice@mastodon.example,true\n", want{err: `looks like a list of muted accounts`}},
			{"a following file chosen as blocks", social.ImportBlocks, social.ImportMerge,
				"Account address,Show boosts,Notify on new posts,Languages\nalice@mastodon.example,true,false,\n", want{err: `looks like a list of followed accounts`}},
			{"a domain blocks file", social.ImportBlocks, social.ImportMerge, "#domain\nbad.example\n", want{err: "is a list of blocked domains"}},
			{"an empty file", social.ImportBlocks, social.ImportMerge, "\r\n\n", want{err: "file is empty"}},
			{"UTF-16", social.ImportBlocks, social.ImportMerge, "\xFF\xFEa\x00@\x00b\x00", want{err: "is UTF-16 text"}},
			{"not UTF-8", social.ImportBlocks, social.ImportMerge, "caf\xE9@x.example\n", want{err: "is not UTF-8 text"}},
			{"too many lines", social.ImportBlocks, social.ImportMerge, strings.Repeat("someone@remote.example\n", social.MaxImportRows+1), want{err: "more than 2000 accounts"}},
			{"too large", social.ImportBlocks, social.ImportMerge, strings.Repeat("x", social.MaxImportBytes+1), want{err: "larger than 1 MB"}},
			{"unknown list", "lists", social.ImportMerge, "a@b.example\n", want{err: "type must be following, blocks or mutes"}},
			{"unknown mode", social.ImportBlocks, "replace", "a@b.example\n", want{err: "mode must be merge or overwrite"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := s.Import(ctx, me, tc.kind, tc.mode, strings.NewReader(tc.file))
				var ve *social.ValidationError
				switch {
				case tc.want.err == "" && err != nil:
					t.Fatalf("error %v", err)
				case tc.want.err != "" && (!errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want.err)):
					t.Fatalf("error %v, want a ValidationError with %q", err, tc.want.err)
				}
				var refused []string
				for _, p := range res.Refused {
					refused = append(refused, p.String())
				}
				if res.Queued != tc.want.queued || res.Unchanged != tc.want.unchanged || strings.Join(refused, "\n") != strings.Join(tc.want.refused, "\n") {
					t.Fatalf("queued %d, unchanged %d, refused:\n%s\nwant queued %d, unchanged %d, refused:\n%s",
						res.Queued, res.Unchanged, strings.Join(refused, "\n"), tc.want.queued, tc.want.unchanged, strings.Join(tc.want.refused, "\n"))
				}
			})
		}
	})
}

// publishSink stands in for the federation layer's publish worker and
// records what would have gone out.
type publishSink struct {
	river.WorkerDefaults[social.PublishArgs]
	mu   sync.Mutex
	seen []string
}

func (p *publishSink) Work(ctx context.Context, job *river.Job[social.PublishArgs]) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, fmt.Sprintf("%s %d", job.Args.Type, job.Args.TargetAccountID))
	return nil
}

func (p *publishSink) sent(what string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.seen {
		if s == what {
			return true
		}
	}
	return false
}

// serviceWithQueue is a Service on db whose jobs run, as in the server.
func serviceWithQueue(t *testing.T, db *storage.DB) (*social.Service, *publishSink) {
	t.Helper()
	jobs := storage.NewJobs(db, storage.JobsOptions{PollInterval: 20 * time.Millisecond, Timeout: 10 * time.Second})
	s := social.New(social.Options{DB: db, Jobs: jobs, Domain: "rounds.test", Protocol: "https"})
	s.RegisterWorkers()
	sink := &publishSink{}
	storage.AddWorker(jobs, sink)
	ctx, cancel := context.WithCancel(context.Background())
	if err := jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = jobs.Stop(stop)
		cancel()
	})
	return s, sink
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 20s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// relation reads how me stands with each account as a short string:
// F following, R requested, B blocking, M muting, N muting notifications.
func relations(t *testing.T, s *social.Service, me *storage.Account, others ...*storage.Account) string {
	t.Helper()
	var out []string
	for _, o := range others {
		r, err := s.RelationshipWith(context.Background(), me, o)
		if err != nil {
			t.Fatal(err)
		}
		flags := ""
		for _, f := range []struct {
			on bool
			c  string
		}{{r.Following, "F"}, {r.Requested, "R"}, {r.Blocking, "B"}, {r.Muting, "M"}, {r.MutingNotifications, "N"}} {
			if f.on {
				flags += f.c
			}
		}
		if flags == "" {
			flags = "-"
		}
		out = append(out, o.Username+":"+flags)
	}
	return strings.Join(out, " ")
}

// Merge adds the file's accounts and keeps the rest; overwrite also
// removes what the file does not name, and tells remote servers (Undo
// Follow, Undo Block) as any unfollow or unblock does.
func TestImportMergeAddsAndOverwriteAlsoRemoves(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s, sink := serviceWithQueue(t, storagetest.Open(t, dialect))
		me := localUser(t, s, "dr_aoife")
		a := localUser(t, s, "anna")
		b := localUser(t, s, "ben")
		c := localUser(t, s, "cara")
		r1 := remoteAccount(t, s, "rita", "remote.example")
		r2 := remoteAccount(t, s, "rob", "remote.example")
		all := []*storage.Account{a, b, c, r1, r2}
		imp := func(kind, mode, file string) social.ImportResult {
			t.Helper()
			res, err := s.Import(ctx, me, kind, mode, strings.NewReader(file))
			if err != nil || len(res.Refused) > 0 {
				t.Fatalf("import %s %s: %v, refused %v", kind, mode, err, res.Refused)
			}
			return res
		}
		expect := func(what, want string) {
			t.Helper()
			waitFor(t, what+": "+want, func() bool { return relations(t, s, me, all...) == want })
		}

		// Following.
		followAccepted(t, s, me, a)
		followAccepted(t, s, me, b)
		followAccepted(t, s, me, r1)
		res := imp(social.ImportFollowing, social.ImportMerge, "Account address,Show boosts,Notify on new posts,Languages\ncara,true,false,\nrob@remote.example,true,false,\nanna@rounds.test,true,false,\n")
		if res.Queued != 2 || res.Unchanged != 1 || res.Removed != 0 {
			t.Fatalf("merge: %+v", res)
		}
		expect("merge follows", "anna:F ben:F cara:F rita:F rob:R")
		res = imp(social.ImportFollowing, social.ImportOverwrite, "anna\nrob@remote.example\n")
		if res.Queued != 0 || res.Unchanged != 2 || res.Removed != 3 {
			t.Fatalf("overwrite: %+v", res)
		}
		expect("overwrite follows", "anna:F ben:- cara:- rita:- rob:R")
		waitFor(t, "Undo Follow of rita published", func() bool { return sink.sent(fmt.Sprintf("%s %d", social.PublishUndoFollow, r1.ID)) })

		// Blocks (which end follows either way, as any block does).
		res = imp(social.ImportBlocks, social.ImportMerge, "ben@rounds.test\nrita@remote.example\n")
		if res.Queued != 2 {
			t.Fatalf("merge blocks: %+v", res)
		}
		expect("merge blocks", "anna:F ben:B cara:- rita:B rob:R")
		res = imp(social.ImportBlocks, social.ImportOverwrite, "cara@rounds.test\n")
		if res.Queued != 1 || res.Removed != 2 {
			t.Fatalf("overwrite blocks: %+v", res)
		}
		expect("overwrite blocks", "anna:F ben:- cara:B rita:- rob:R")
		waitFor(t, "Undo Block of rita published", func() bool { return sink.sent(fmt.Sprintf("%s %d", social.PublishUndoBlock, r1.ID)) })

		// Mutes, with their notifications column.
		res = imp(social.ImportMutes, social.ImportMerge, "Account address,Hide notifications\nanna@rounds.test,true\nrob@remote.example,false\n")
		if res.Queued != 2 {
			t.Fatalf("merge mutes: %+v", res)
		}
		expect("merge mutes", "anna:FMN ben:- cara:B rita:- rob:RM")
		res = imp(social.ImportMutes, social.ImportMerge, "Account address,Hide notifications\nanna@rounds.test,true\nrob@remote.example,true\n")
		if res.Queued != 1 || res.Unchanged != 1 {
			t.Fatalf("merge mutes again: %+v", res)
		}
		expect("mute notifications changed", "anna:FMN ben:- cara:B rita:- rob:RMN")
		res = imp(social.ImportMutes, social.ImportOverwrite, "Account address,Hide notifications\nben,false\n")
		if res.Queued != 1 || res.Removed != 2 {
			t.Fatalf("overwrite mutes: %+v", res)
		}
		expect("overwrite mutes", "anna:F ben:M cara:B rita:- rob:R")

		// Overwriting with an export of no accounts empties the list.
		res = imp(social.ImportMutes, social.ImportOverwrite, "Account address,Hide notifications\n")
		if res.Queued != 0 || res.Removed != 1 {
			t.Fatalf("overwrite mutes with none: %+v", res)
		}
		expect("no mutes", "anna:F ben:- cara:B rita:- rob:R")
	})
}

// archiveRenderer renders just enough of a post for the archive's order
// and contents to be checked; the federation layer's real one is tested
// with two servers.
type archiveRenderer struct{}

func (archiveRenderer) CreateActivityJSON(ctx context.Context, st *storage.Status) (json.RawMessage, error) {
	return json.Marshal(map[string]any{"type": "Create", "id": st.URI + "/activity", "object": map[string]any{"id": st.URI, "visibility": st.Visibility}})
}

func (archiveRenderer) ActorJSON(ctx context.Context, a *storage.Account) (json.RawMessage, error) {
	return json.Marshal(map[string]any{"type": "Person", "id": a.URI})
}

// The outbox archive holds every post the person wrote, whatever its
// visibility, newest first, and not their boosts or anyone else's posts.
func TestExportOutboxHoldsEveryOwnPostNewestFirst(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		if err := s.ExportOutbox(ctx, localUser(t, s, "nobody"), &bytes.Buffer{}); err == nil {
			t.Fatal("an archive without a renderer")
		}
		s.SetActivityRenderer(archiveRenderer{})
		me := localUser(t, s, "dr_aoife")
		other := localUser(t, s, "nurse_ciara")
		theirs, err := s.PostStatus(ctx, other, social.NewStatus{Text: "theirs", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		vis := []string{social.VisibilityPublic, social.VisibilityUnlisted, social.VisibilityPrivate, social.VisibilityDirect}
		for i := range 170 {
			st, err := s.PostStatus(ctx, me, social.NewStatus{Text: fmt.Sprintf("post %d", i), Visibility: vis[i%4]})
			if err != nil {
				t.Fatal(err)
			}
			want = append([]string{st.URI}, want...)
		}
		if _, err := s.Reblog(ctx, me, theirs.ID); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := s.ExportOutbox(ctx, me, &buf); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Context      string `json:"@context"`
			ID, Type     string
			TotalItems   int
			AttributedTo struct{ ID string }
			OrderedItems []struct {
				Type   string
				Object struct{ ID, Visibility string }
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%v in %s", err, buf.String()[:200])
		}
		if got.Type != "OrderedCollection" || got.Context != "https://www.w3.org/ns/activitystreams" || got.AttributedTo.ID != me.URI || got.TotalItems != 170 || len(got.OrderedItems) != 170 {
			t.Fatalf("collection %s %s by %s, totalItems %d, %d items", got.Context, got.Type, got.AttributedTo.ID, got.TotalItems, len(got.OrderedItems))
		}
		seen := map[string]int{}
		for i, it := range got.OrderedItems {
			if it.Type != "Create" || it.Object.ID != want[i] {
				t.Fatalf("item %d: %s %s, want Create %s", i, it.Type, it.Object.ID, want[i])
			}
			seen[it.Object.Visibility]++
		}
		if len(seen) != 4 {
			t.Fatalf("visibilities %v", seen)
		}
	})
}

// The upload is durable: what it queued is done by the next process when
// this one stops before getting to it.
func TestImportQueuedBeforeARestartIsDoneAfterIt(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		// The process that takes the upload has no workers running.
		before := social.New(social.Options{DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}), Domain: "rounds.test", Protocol: "https"})
		me := localUser(t, before, "dr_aoife")
		anna := localUser(t, before, "anna")
		rita := remoteAccount(t, before, "rita", "remote.example")
		res, err := before.Import(ctx, me, social.ImportBlocks, social.ImportMerge, strings.NewReader("anna@rounds.test\nrita@remote.example\n"))
		if err != nil || res.Queued != 2 {
			t.Fatalf("import: %+v, %v", res, err)
		}
		if got := relations(t, before, me, anna, rita); got != "anna:- rita:-" {
			t.Fatalf("applied before any worker ran: %s", got)
		}

		after, sink := serviceWithQueue(t, db)
		waitFor(t, "blocks after the restart", func() bool { return relations(t, after, me, anna, rita) == "anna:B rita:B" })
		waitFor(t, "Block of rita published", func() bool { return sink.sent(fmt.Sprintf("%s %d", social.PublishBlock, rita.ID)) })
	})
}
