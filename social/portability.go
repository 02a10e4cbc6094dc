package social

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Moving between servers. A person downloads the accounts they follow,
// block and mute as the CSV files Mastodon writes under Settings > Import
// and export, and their own posts as an ActivityStreams outbox to keep; and
// uploads such CSV files, from Rounds, Mastodon or anything that writes
// Mastodon's format, to follow, block or mute the same accounts here.
// Finding a remote account takes a WebFinger lookup and an actor fetch, so
// each uploaded row becomes a durable job: the upload answers at once and a
// restart loses nothing.

// What Import brings in, and how.
const (
	ImportFollowing = "following"
	ImportBlocks    = "blocks"
	ImportMutes     = "mutes"

	// ImportMerge adds the file's accounts to those already followed
	// (blocked, muted); ImportOverwrite also removes those not in the file.
	ImportMerge     = "merge"
	ImportOverwrite = "overwrite"
)

// Limits of one upload.
const (
	MaxImportRows  = 2000
	MaxImportBytes = 1_000_000
)

// The columns of Mastodon's export files. following_accounts.csv and
// muted_accounts.csv start with a header row naming them;
// blocked_accounts.csv, and the files of Mastodon before 2.8, have none and
// hold one address a line.
const (
	colAddress           = "Account address"
	colShowBoosts        = "Show boosts"
	colNotify            = "Notify on new posts"
	colLanguages         = "Languages"
	colHideNotifications = "Hide notifications"
)

// ActivityRenderer renders local rows as ActivityStreams documents for a
// person's archive. The federation layer provides it, as it does
// AccountResolver, so that the domain does not speak ActivityStreams.
type ActivityRenderer interface {
	// CreateActivityJSON is the Create activity that published local
	// status st, with the Note embedded.
	CreateActivityJSON(ctx context.Context, st *storage.Status) (json.RawMessage, error)
	// ActorJSON is local account a's actor document.
	ActorJSON(ctx context.Context, a *storage.Account) (json.RawMessage, error)
}

// SetActivityRenderer sets how archives render posts and actors. It is
// called once while the server is wired together.
func (s *Service) SetActivityRenderer(r ActivityRenderer) { s.renderer = r }

// ExportFollowing is me's following_accounts.csv as Mastodon writes it: a
// header row, then one accepted follow a line, newest first.
func (s *Service) ExportFollowing(ctx context.Context, me *storage.Account) ([]byte, error) {
	return s.exportCSV([]string{colAddress, colShowBoosts, colNotify, colLanguages},
		func(p storage.Page) ([]*storage.Account, []int64, error) {
			return s.db.FollowAccounts(ctx, me.ID, true, p)
		},
		func(a *storage.Account) ([]string, error) {
			f, err := s.db.FollowBetween(ctx, me.ID, a.ID)
			if errors.Is(err, storage.ErrNotFound) {
				return nil, nil // unfollowed meanwhile
			}
			if err != nil {
				return nil, err
			}
			// Rounds keeps no language filter per follow: the column
			// stays empty, which Mastodon reads as "all languages".
			return []string{s.exportAcct(a), strconv.FormatBool(f.ShowReblogs), strconv.FormatBool(f.Notify), ""}, nil
		})
}

// ExportBlocks is me's blocked_accounts.csv as Mastodon writes it: no
// header, one address a line, newest block first.
func (s *Service) ExportBlocks(ctx context.Context, me *storage.Account) ([]byte, error) {
	return s.exportCSV(nil,
		func(p storage.Page) ([]*storage.Account, []int64, error) {
			return s.db.MarkedAccounts(ctx, "blocks", me.ID, p)
		},
		func(a *storage.Account) ([]string, error) { return []string{s.exportAcct(a)}, nil })
}

// ExportMutes is me's muted_accounts.csv as Mastodon writes it: a header
// row, then each muted account and whether its notifications are hidden,
// newest mute first.
func (s *Service) ExportMutes(ctx context.Context, me *storage.Account) ([]byte, error) {
	return s.exportCSV([]string{colAddress, colHideNotifications},
		func(p storage.Page) ([]*storage.Account, []int64, error) {
			return s.db.MarkedAccounts(ctx, "mutes", me.ID, p)
		},
		func(a *storage.Account) ([]string, error) {
			muted, hide := s.db.Muting(ctx, me.ID, a.ID)
			if !muted {
				return nil, nil
			}
			return []string{s.exportAcct(a), strconv.FormatBool(hide)}, nil
		})
}

// exportCSV writes header (unless nil) and a row for each account that
// list pages, newest first; row returns nil to leave an account out.
func (s *Service) exportCSV(header []string, list func(storage.Page) ([]*storage.Account, []int64, error), row func(*storage.Account) ([]string, error)) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if header != nil {
		if err := w.Write(header); err != nil {
			return nil, err
		}
	}
	var maxID int64
	for {
		accts, ids, err := list(storage.Page{MaxID: maxID, Limit: 80})
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		for _, a := range accts {
			rec, err := row(a)
			if err != nil {
				return nil, fmt.Errorf("export: %w", err)
			}
			if rec == nil {
				continue
			}
			if err := w.Write(rec); err != nil {
				return nil, err
			}
		}
		maxID = ids[len(ids)-1]
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// exportAcct is a's address as Mastodon exports it: with this server's
// domain for local accounts, so that the file works anywhere.
func (s *Service) exportAcct(a *storage.Account) string {
	if a.Local() {
		return a.Username + "@" + s.domain
	}
	return a.Username + "@" + a.Domain
}

// outboxPage is how many posts ExportOutbox reads at a time.
const outboxPage = 80

// ExportOutbox writes me's own posts, of every visibility and including
// those still waiting out their send delay, as an ActivityStreams
// OrderedCollection of Create activities, newest first, with the actor
// embedded as attributedTo: an archive to keep. Boosts, which are other
// people's posts, are left out. It streams page by page, so an account
// with many posts does not need them all in memory; totalItems therefore
// comes last.
func (s *Service) ExportOutbox(ctx context.Context, me *storage.Account, w io.Writer) error {
	if s.renderer == nil {
		return errors.New("export outbox: no activity renderer is set")
	}
	if !me.Local() {
		return fmt.Errorf("%w: only local accounts have an archive here", ErrForbidden)
	}
	actor, err := s.renderer.ActorJSON(ctx, me)
	if err != nil {
		return fmt.Errorf("export outbox: actor: %w", err)
	}
	bw := bufio.NewWriter(w)
	// "outbox.json" as the id, as Mastodon's archives have it: this file is
	// a copy, not the live outbox (which shows only public posts).
	bw.WriteString(`{"@context":"https://www.w3.org/ns/activitystreams","id":"outbox.json","type":"OrderedCollection","attributedTo":`)
	bw.Write(actor)
	bw.WriteString(`,"orderedItems":[`)
	n := 0
	var maxID int64
	for {
		sts, err := s.db.AccountStatusesFiltered(ctx, me.ID, storage.StatusFilter{
			Visibilities:   []string{VisibilityPublic, VisibilityUnlisted, VisibilityPrivate, VisibilityDirect},
			ExcludeReblogs: true,
			Own:            true,
		}, storage.Page{MaxID: maxID, Limit: outboxPage})
		if err != nil {
			return fmt.Errorf("export outbox: %w", err)
		}
		for _, st := range sts {
			doc, err := s.renderer.CreateActivityJSON(ctx, st)
			if err != nil {
				return fmt.Errorf("export outbox: status %d: %w", st.ID, err)
			}
			if n > 0 {
				bw.WriteByte(',')
			}
			bw.WriteByte('\n')
			bw.Write(doc)
			n++
		}
		if len(sts) < outboxPage {
			break
		}
		maxID = sts[len(sts)-1].ID
	}
	fmt.Fprintf(bw, "\n],\"totalItems\":%d}\n", n)
	return bw.Flush()
}

// ImportResult says what an upload did: how many accounts were queued to
// be followed (blocked, muted), how many the file names that already were,
// how many existing ones overwrite mode queued for removal, and which lines
// were not used and why.
type ImportResult struct {
	Kind, Mode string
	Queued     int
	Unchanged  int
	Removed    int
	Refused    []ImportProblem
}

// ImportProblem is a line of an uploaded file that was not used.
type ImportProblem struct {
	Line int
	// Reason says what was wrong, in words a person can act on.
	Reason string
}

func (p ImportProblem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Reason) }

// ImportArgs is the durable job that applies one account of an upload: it
// finds the account, asking its server when it is new here, and follows,
// blocks or mutes it; or, for overwrite mode, removes an existing follow,
// block or mute.
type ImportArgs struct {
	AccountID int64 `json:"account_id,string"`
	// List is ImportFollowing, ImportBlocks or ImportMutes.
	List string `json:"list"`
	// Acct is "user@domain", or "user" for a local account; unused when
	// TargetAccountID names an account already known here.
	Acct              string `json:"acct,omitempty"`
	TargetAccountID   int64  `json:"target_account_id,omitempty,string"`
	Remove            bool   `json:"remove,omitempty"`
	HideNotifications bool   `json:"hide_notifications,omitempty"`
	Line              int    `json:"line,omitempty"`
}

// Kind names the job kind.
func (ImportArgs) Kind() string { return "import_account" }

// InsertOpts retries for about a quarter of an hour (a server may be
// briefly down) and lets deliveries and other people's work go first.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 6, Priority: 4}
}

// importRow is one account a file names.
type importRow struct {
	line         int
	user, domain string           // domain "" for a local account
	target       *storage.Account // when already known here
	hide         bool             // mutes: hide notifications too
}

func (r importRow) acct() string {
	if r.domain == "" {
		return r.user
	}
	return r.user + "@" + r.domain
}

func (r importRow) key() string { return strings.ToLower(r.user) + "@" + r.domain }

// Import reads a CSV file of accounts in Mastodon's format (with or
// without its header row, from any server) and queues a job per account to
// follow, block or mute it (kind is ImportFollowing, ImportBlocks or
// ImportMutes). In ImportOverwrite mode it also queues the removal of
// existing follows (blocks, mutes) the file does not name; it changes
// nothing when any line could not be read, since that line's account would
// be removed. Lines it cannot use are listed in the result; an error that
// refuses the whole file is a *ValidationError, and the result may still
// list the lines behind it.
func (s *Service) Import(ctx context.Context, me *storage.Account, kind, mode string, file io.Reader) (ImportResult, error) {
	res := ImportResult{Kind: kind, Mode: mode}
	switch kind {
	case ImportFollowing, ImportBlocks, ImportMutes:
	default:
		return res, invalid("type", "must be following, blocks or mutes")
	}
	switch mode {
	case ImportMerge, ImportOverwrite:
	default:
		return res, invalid("mode", "must be merge or overwrite")
	}
	if !me.Local() || me.Suspended() {
		return res, fmt.Errorf("%w: only active local accounts import", ErrForbidden)
	}
	if s.jobs == nil {
		return res, errors.New("import: this process has no job queue")
	}
	rows, refused, err := s.parseImport(ctx, me, kind, file)
	res.Refused = refused
	if err != nil {
		return res, err
	}
	if len(rows) == 0 && len(refused) > 0 {
		return res, invalid("", "no line of the file names an account this server can read; see the lines below")
	}
	if mode == ImportOverwrite && len(refused) > 0 {
		return res, invalid("", fmt.Sprintf("%s of the file could not be read (see below), so nothing was changed: "+
			"in overwrite mode the accounts of those lines would be removed. Fix the lines, or import in merge mode.", plural(len(refused), "line")))
	}

	var jobs []river.JobArgs
	inFile := map[int64]bool{}
	inFileAcct := map[string]bool{}
	for _, r := range rows {
		inFileAcct[r.key()] = true
		args := ImportArgs{AccountID: me.ID, List: kind, Acct: r.acct(), HideNotifications: r.hide, Line: r.line}
		if r.target != nil {
			inFile[r.target.ID] = true
			if s.alreadyApplied(ctx, me, kind, r) {
				res.Unchanged++
				continue
			}
			args.TargetAccountID = r.target.ID
		}
		jobs = append(jobs, args)
	}
	res.Queued = len(jobs)
	if mode == ImportOverwrite {
		existing, err := s.existingMarks(ctx, me, kind)
		if err != nil {
			return res, err
		}
		for _, a := range existing {
			if inFile[a.ID] || inFileAcct[strings.ToLower(a.Username)+"@"+a.Domain] {
				continue
			}
			jobs = append(jobs, ImportArgs{AccountID: me.ID, List: kind, TargetAccountID: a.ID, Remove: true})
			res.Removed++
		}
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error { return s.jobs.InsertManyTx(ctx, tx, jobs) })
	if err != nil {
		return ImportResult{Kind: kind, Mode: mode, Refused: refused}, fmt.Errorf("import: queue: %w", err)
	}
	return res, nil
}

// alreadyApplied reports whether me already follows (or has asked to
// follow), blocks or mutes the known account of r, the same way.
func (s *Service) alreadyApplied(ctx context.Context, me *storage.Account, kind string, r importRow) bool {
	switch kind {
	case ImportFollowing:
		_, err := s.db.FollowBetween(ctx, me.ID, r.target.ID)
		return err == nil
	case ImportBlocks:
		_, err := s.db.BlockBetween(ctx, me.ID, r.target.ID)
		return err == nil
	default:
		muted, hide := s.db.Muting(ctx, me.ID, r.target.ID)
		return muted && hide == r.hide
	}
}

// existingMarks lists every account me follows, blocks or mutes.
func (s *Service) existingMarks(ctx context.Context, me *storage.Account, kind string) ([]*storage.Account, error) {
	var all []*storage.Account
	var maxID int64
	for {
		var accts []*storage.Account
		var ids []int64
		var err error
		p := storage.Page{MaxID: maxID, Limit: 80}
		switch kind {
		case ImportFollowing:
			accts, ids, err = s.db.FollowAccounts(ctx, me.ID, true, p)
		case ImportBlocks:
			accts, ids, err = s.db.MarkedAccounts(ctx, "blocks", me.ID, p)
		default:
			accts, ids, err = s.db.MarkedAccounts(ctx, "mutes", me.ID, p)
		}
		if err != nil {
			return nil, fmt.Errorf("import: list existing %s: %w", kind, err)
		}
		if len(ids) == 0 {
			return all, nil
		}
		all = append(all, accts...)
		maxID = ids[len(ids)-1]
	}
}

// The first cells of the header rows of Mastodon's other export files,
// which are not account lists.
var otherExports = map[string]string{
	"#domain":   "a list of blocked domains",
	"#uri":      "a list of bookmarks",
	"list name": "a list of lists",
}

// parseImport reads an uploaded file leniently: a UTF-8 byte order mark,
// CRLF or CR line ends, blank lines, a header row or none, addresses with
// or without a leading @, and local usernames alone. It refuses the whole
// file when it is too large, too long, not text, or plainly another kind of
// list.
func (s *Service) parseImport(ctx context.Context, me *storage.Account, kind string, file io.Reader) ([]importRow, []ImportProblem, error) {
	data, err := io.ReadAll(io.LimitReader(file, MaxImportBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("import: read file: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, nil, invalid("file", fmt.Sprintf("is larger than 1 MB; split it into files of at most %d lines", MaxImportRows))
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, nil, invalid("file", "is UTF-16 text; save it as UTF-8 (in a spreadsheet: \"CSV UTF-8\")")
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		return nil, nil, invalid("file", "is not UTF-8 text; upload the CSV file as the server exported it")
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	var (
		rows    []importRow
		refused []ImportProblem
		seen    = map[string]int{}
		cols    = defaultColumns(kind)
		started bool
		count   int
	)
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields, ok := csvFields(line)
		if !ok {
			refused = append(refused, ImportProblem{n, fmt.Sprintf("%s is not a line of comma-separated values", quoteShort(line))})
			continue
		}
		if !started {
			started = true
			first := strings.ToLower(strings.TrimSpace(fields[0]))
			if what, ok := otherExports[first]; ok {
				return nil, nil, invalid("file", fmt.Sprintf("is %s; Rounds imports the accounts you follow, block or mute", what))
			}
			if first == strings.ToLower(colAddress) {
				cols, err = headerColumns(kind, fields)
				if err != nil {
					return nil, nil, err
				}
				continue
			}
		}
		count++
		if count > MaxImportRows {
			return nil, nil, invalid("file", fmt.Sprintf("names more than %d accounts; split it into files of at most %d lines", MaxImportRows, MaxImportRows))
		}
		raw := ""
		if cols.address < len(fields) {
			raw = fields[cols.address]
		}
		user, domain, ok := s.parseImportAddress(raw)
		if !ok {
			refused = append(refused, ImportProblem{n, fmt.Sprintf("%s is not an account address such as name@server.example", quoteShort(strings.TrimSpace(raw)))})
			continue
		}
		r := importRow{line: n, user: user, domain: domain, hide: true}
		if cols.hide >= 0 && cols.hide < len(fields) {
			r.hide = parseBool(fields[cols.hide], true)
		}
		if prev, ok := seen[r.key()]; ok {
			refused = append(refused, ImportProblem{n, fmt.Sprintf("%s is already on line %d", r.acct(), prev)})
			continue
		}
		seen[r.key()] = n
		if domain == "" {
			if strings.EqualFold(user, me.Username) {
				refused = append(refused, ImportProblem{n, fmt.Sprintf("%s@%s is your own account", user, s.domain)})
				continue
			}
			a, err := s.AccountByAcct(ctx, user, "")
			if errors.Is(err, ErrNotFound) {
				refused = append(refused, ImportProblem{n, fmt.Sprintf("there is no account %s@%s", user, s.domain)})
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("import: look up %s: %w", user, err)
			}
			r.target = a
		} else if a, err := s.db.AccountByUsername(ctx, user, domain); err == nil {
			if a.Suspended() {
				refused = append(refused, ImportProblem{n, fmt.Sprintf("%s is suspended on this server", r.acct())})
				continue
			}
			r.target = a
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, fmt.Errorf("import: look up %s: %w", r.acct(), err)
		}
		rows = append(rows, r)
	}
	if !started {
		return nil, nil, invalid("file", "is empty")
	}
	return rows, refused, nil
}

// importColumns are the positions of the columns Import reads; -1 when
// absent.
type importColumns struct{ address, hide int }

// defaultColumns are the columns of a file without a header row: the
// address first, then, in a mutes file, the notifications column in the
// place Mastodon's export puts it.
func defaultColumns(kind string) importColumns {
	if kind == ImportMutes {
		return importColumns{address: 0, hide: 1}
	}
	return importColumns{address: 0, hide: -1}
}

// headerColumns reads a header row. A header that belongs to another kind
// of list refuses the file: following everyone a person muted would be a
// bad surprise.
func headerColumns(kind string, header []string) (importColumns, error) {
	c := importColumns{address: -1, hide: -1}
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case strings.ToLower(colAddress):
			c.address = i
		case strings.ToLower(colHideNotifications):
			if kind != ImportMutes {
				return c, invalid("file", fmt.Sprintf("looks like a list of muted accounts (it has a %q column); choose Mutes, or upload your %s list", colHideNotifications, kindNoun(kind)))
			}
			c.hide = i
		case strings.ToLower(colShowBoosts), strings.ToLower(colNotify), strings.ToLower(colLanguages):
			if kind != ImportFollowing {
				return c, invalid("file", fmt.Sprintf("looks like a list of followed accounts (it has a %q column); choose Following, or upload your %s list", strings.TrimSpace(h), kindNoun(kind)))
			}
		}
	}
	return c, nil
}

func kindNoun(kind string) string {
	switch kind {
	case ImportBlocks:
		return "blocked accounts"
	case ImportMutes:
		return "muted accounts"
	}
	return "followed accounts"
}

// CheckImportFileName refuses a file whose name says it is one of
// Mastodon's exports of another kind than the one chosen (blocked_accounts.csv
// uploaded as the accounts to follow): Mastodon's blocks file has no header
// row to tell it by.
func CheckImportFileName(kind, name string) error {
	name = strings.ToLower(name)
	for _, k := range []struct{ kind, prefix string }{
		{ImportFollowing, "following_accounts"}, {ImportFollowing, "follows"},
		{ImportBlocks, "blocked_accounts"}, {ImportBlocks, "blocks"},
		{ImportMutes, "muted_accounts"}, {ImportMutes, "mutes"},
	} {
		if strings.HasPrefix(name, k.prefix) && k.kind != kind {
			return invalid("file", fmt.Sprintf("%q looks like a list of %s; choose that type, or upload your %s list", name, kindNoun(k.kind), kindNoun(kind)))
		}
	}
	return nil
}

// csvFields splits one line of a CSV file. A line is read on its own so
// that a stray quote spoils that line only.
func csvFields(line string) ([]string, bool) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil || len(rec) == 0 {
		return nil, false
	}
	if _, err := r.Read(); err != io.EOF {
		return nil, false // a quoted field ran past the line
	}
	return rec, true
}

// importUserRE accepts the usernames of the Fediverse's servers, which
// allow more than Rounds' own (dots and dashes).
var importUserRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.\-]{0,62}[A-Za-z0-9_])?$`)

// parseImportAddress reads "user@domain", "@user@domain", a local "user"
// or a profile address (https://server.example/@user) into a username and
// a normalised domain, "" for this server.
func (s *Service) parseImportAddress(raw string) (user, domain string, ok bool) {
	v := strings.TrimSpace(raw)
	if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return "", "", false
		}
		p := strings.TrimSuffix(u.Path, "/")
		name, found := strings.CutPrefix(p, "/@")
		if !found {
			name, found = strings.CutPrefix(p, "/users/")
		}
		if !found || strings.Contains(name, "/") {
			return "", "", false
		}
		if n, host, remote := strings.Cut(name, "@"); remote {
			name, v = n, n+"@"+host // server.example/@user@elsewhere.example
		} else {
			v = name + "@" + u.Host
		}
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "acct:"), "@")
	user, domain, remote := strings.Cut(v, "@")
	if remote {
		d, err := NormalizeDomain(domain)
		if err != nil || strings.Contains(domain, "/") || strings.Contains(domain, "://") {
			return "", "", false
		}
		domain = d
		if strings.EqualFold(domain, s.domain) {
			domain, remote = "", false
		}
	}
	if remote && importUserRE.MatchString(user) || !remote && usernameRE.MatchString(user) {
		return user, domain, true
	}
	return "", "", false
}

// parseBool reads a boolean cell as Mastodon does, with def for an empty
// or unreadable one.
func parseBool(s string, def bool) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "1", "yes", "y", "on":
		return true
	case "false", "f", "0", "no", "n", "off":
		return false
	}
	return def
}

// quoteShort quotes s for a message, shortened when long.
func quoteShort(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:57]) + "..."
	}
	return strconv.Quote(s)
}

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	s *Service
}

func (w *importWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	s, args := w.s, job.Args
	me, err := s.db.AccountByID(ctx, args.AccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if me.Suspended() {
		return nil
	}
	target, err := s.importTarget(ctx, args)
	if err != nil {
		return err
	}
	if target == nil {
		return nil
	}
	switch {
	case args.List == ImportFollowing && args.Remove:
		err = s.Unfollow(ctx, me, target)
	case args.List == ImportFollowing:
		_, err = s.Follow(ctx, me, target)
	case args.List == ImportBlocks && args.Remove:
		err = s.Unblock(ctx, me, target)
	case args.List == ImportBlocks:
		err = s.Block(ctx, me, target)
	case args.List == ImportMutes && args.Remove:
		err = s.Unmute(ctx, me, target)
	case args.List == ImportMutes:
		err = s.Mute(ctx, me, target, args.HideNotifications)
	default:
		return river.JobCancel(fmt.Errorf("unknown import list %q", args.List))
	}
	var ve *ValidationError
	if errors.As(err, &ve) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) {
		s.log.Info("import: account not changed", "account_id", me.ID, "list", args.List, "acct", args.Acct, "line", args.Line, "reason", err)
		return nil
	}
	return err
}

// importTarget finds the account an import job is about: nil, with no
// error, when it is gone or may not be followed; an error when asking its
// server failed and may work later.
func (s *Service) importTarget(ctx context.Context, args ImportArgs) (*storage.Account, error) {
	if args.TargetAccountID != 0 {
		a, err := s.db.AccountByID(ctx, args.TargetAccountID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if a.Suspended() && !args.Remove {
			return nil, nil
		}
		return a, nil
	}
	user, domain, _ := strings.Cut(args.Acct, "@")
	a, err := s.db.AccountByUsername(ctx, user, domain)
	switch {
	case err == nil:
	case !errors.Is(err, storage.ErrNotFound):
		return nil, err
	case domain == "":
		s.log.Info("import: no such local account", "acct", args.Acct, "line", args.Line)
		return nil, nil
	case s.resolver == nil:
		return nil, river.JobCancel(fmt.Errorf("import %s: this server cannot look up remote accounts", args.Acct))
	default:
		a, err = s.resolver.ResolveAccount(ctx, args.Acct)
		if err != nil {
			return nil, fmt.Errorf("import %s (line %d): %w", args.Acct, args.Line, err)
		}
	}
	if a.Suspended() || a.Username == InstanceActorUsername {
		return nil, nil
	}
	return a, nil
}
