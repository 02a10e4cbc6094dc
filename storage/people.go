package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// SetAccountNote stores accountID's private note on targetID; an empty
// comment removes it.
func (q queries) SetAccountNote(ctx context.Context, accountID, targetID int64, comment string, t time.Time) error {
	var err error
	if comment == "" {
		_, err = q.w.ExecContext(ctx, "DELETE FROM account_notes WHERE account_id = ? AND target_account_id = ?", accountID, targetID)
	} else {
		_, err = q.w.ExecContext(ctx, `INSERT INTO account_notes (account_id, target_account_id, comment, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (account_id, target_account_id) DO UPDATE SET comment = EXCLUDED.comment, updated_at = EXCLUDED.updated_at`, accountID, targetID, comment, t)
	}
	if err != nil {
		return fmt.Errorf("account note: %w", err)
	}
	return nil
}

// AccountNote returns accountID's private note on targetID ("" when none).
func (q queries) AccountNote(ctx context.Context, accountID, targetID int64) (string, error) {
	var comment []string
	err := q.r.NewSelect().Table("account_notes").Column("comment").
		Where("account_id = ? AND target_account_id = ?", accountID, targetID).Scan(ctx, &comment)
	if err != nil || len(comment) == 0 {
		return "", err
	}
	return comment[0], nil
}

// Endorse records accountID's endorsement of targetID; endorsing again
// changes nothing.
func (q queries) Endorse(ctx context.Context, accountID, targetID int64, t time.Time) error {
	_, err := q.w.ExecContext(ctx, "INSERT INTO account_pins (id, account_id, target_account_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", NewID(), accountID, targetID, t)
	if err != nil {
		return fmt.Errorf("endorse: %w", err)
	}
	return nil
}

// Unendorse removes accountID's endorsement of targetID, if any.
func (q queries) Unendorse(ctx context.Context, accountID, targetID int64) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM account_pins WHERE account_id = ? AND target_account_id = ?", accountID, targetID)
	return err
}

// endorsedWhere keeps the endorsements (pin p) that stand: an endorsement
// holds only while its maker follows the account, however the follow ended
// (an unfollow, a block, a Reject, a domain block).
const endorsedWhere = "EXISTS (SELECT 1 FROM follows AS f WHERE f.account_id = p.account_id AND f.target_account_id = p.target_account_id AND f.accepted_at IS NOT NULL)"

// Endorsed reports whether accountID endorses targetID.
func (q queries) Endorsed(ctx context.Context, accountID, targetID int64) (bool, error) {
	return q.r.NewSelect().TableExpr("account_pins AS p").
		Where("p.account_id = ? AND p.target_account_id = ?", accountID, targetID).Where(endorsedWhere).Exists(ctx)
}

// Endorsements returns a page of the accounts accountID endorses, the
// latest endorsed first, with the endorsements' ids as paging cursors.
// Suspended accounts are left out.
func (q queries) Endorsements(ctx context.Context, accountID int64, p Page) ([]*Account, []int64, error) {
	var rows []struct {
		PinID int64 `bun:"pin_id"`
		Account
	}
	sel := q.r.NewSelect().ColumnExpr("p.id AS pin_id, a.*").TableExpr("account_pins AS p").
		Join("JOIN accounts AS a ON a.id = p.target_account_id").
		Where("p.account_id = ?", accountID).Where(endorsedWhere).Where("a.suspended_at IS NULL")
	sel = p.apply(sel, "p.id")
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, nil, fmt.Errorf("endorsements: %w", err)
	}
	reverseIfMin(rows, p)
	accts := make([]*Account, len(rows))
	ids := make([]int64, len(rows))
	for i := range rows {
		a := rows[i].Account
		accts[i], ids[i] = &a, rows[i].PinID
	}
	return accts, ids, nil
}

// AccountsByIDs returns the accounts of ids that exist and are not
// suspended, in the order of ids.
func (q queries) AccountsByIDs(ctx context.Context, ids []int64) ([]*Account, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found []*Account
	if err := q.r.NewSelect().Model(&found).Where("id IN (?)", bun.In(ids)).Where("suspended_at IS NULL").Scan(ctx); err != nil {
		return nil, fmt.Errorf("accounts by id: %w", err)
	}
	byID := make(map[int64]*Account, len(found))
	for _, a := range found {
		byID[a.ID] = a
	}
	out := make([]*Account, 0, len(found))
	for _, id := range ids {
		if a := byID[id]; a != nil {
			out = append(out, a)
			delete(byID, id)
		}
	}
	return out, nil
}

// FamiliarFollowers returns the accounts accountID follows that follow
// targetID, suspended ones left out, at most limit.
func (q queries) FamiliarFollowers(ctx context.Context, accountID, targetID int64, limit int) ([]*Account, error) {
	var out []*Account
	err := q.r.NewSelect().Model(&out).
		Where("account.id IN (SELECT f.target_account_id FROM follows AS f WHERE f.account_id = ? AND f.accepted_at IS NOT NULL)", accountID).
		Where("account.id IN (SELECT f.account_id FROM follows AS f WHERE f.target_account_id = ? AND f.accepted_at IS NOT NULL)", targetID).
		Where("account.suspended_at IS NULL").Where("account.id <> ?", accountID).
		OrderExpr("account.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("familiar followers: %w", err)
	}
	return out, nil
}

// DismissSuggestion keeps targetID out of accountID's follow suggestions.
func (q queries) DismissSuggestion(ctx context.Context, accountID, targetID int64, t time.Time) error {
	_, err := q.w.ExecContext(ctx, "INSERT INTO suggestion_dismissals (account_id, target_account_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", accountID, targetID, t)
	if err != nil {
		return fmt.Errorf("dismiss suggestion: %w", err)
	}
	return nil
}

// listedAccount keeps the accounts (alias a) that may be listed to others:
// not suspended or limited, discoverable (those who opted out are never
// listed), and, when local, of an approved user (which leaves out the
// instance actor and unapproved sign-ups).
const listedAccount = `a.suspended_at IS NULL AND a.silenced_at IS NULL AND a.discoverable = ?
AND (a.domain <> '' OR EXISTS (SELECT 1 FROM users AS u WHERE u.account_id = a.id AND u.approved = ?))`

// suggestable keeps, for the person ?, the listed accounts they may be
// suggested: not themselves, nor anyone they follow or asked to follow,
// block or are blocked by, mute, or dismissed as a suggestion.
const suggestable = listedAccount + ` AND a.id <> ?
AND NOT EXISTS (SELECT 1 FROM follows AS f WHERE f.account_id = ? AND f.target_account_id = a.id)
AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE (b.account_id = ? AND b.target_account_id = a.id) OR (b.account_id = a.id AND b.target_account_id = ?))
AND NOT EXISTS (SELECT 1 FROM mutes AS m WHERE m.account_id = ? AND m.target_account_id = a.id)
AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals AS d WHERE d.account_id = ? AND d.target_account_id = a.id)`

func suggestableArgs(accountID int64) []any {
	return []any{true, true, accountID, accountID, accountID, accountID, accountID, accountID}
}

// currentVerification keeps the accounts (alias a) with a verification
// (alias cv) that stands at ?.
const currentVerification = "EXISTS (SELECT 1 FROM clinician_verifications AS cv WHERE cv.account_id = a.id AND cv.revoked_at IS NULL AND cv.recheck_at > ?"

// VerifiedSuggestions returns local verified clinicians accountID may be
// suggested, those of organisation (when not empty) first, then the most
// recently verified, at most limit.
func (q queries) VerifiedSuggestions(ctx context.Context, accountID int64, organisation string, now time.Time, limit int) ([]*Account, error) {
	var out []*Account
	err := q.r.NewSelect().Model(&out).ModelTableExpr("accounts AS a").ColumnExpr("a.*").
		Join("JOIN clinician_verifications AS cv ON cv.account_id = a.id").
		Where("a.domain = ''").Where("cv.revoked_at IS NULL AND cv.recheck_at > ?", now).
		Where(suggestable, suggestableArgs(accountID)...).
		OrderExpr("CASE WHEN lower(cv.organisation) = ? AND ? <> '' THEN 0 ELSE 1 END, cv.verified_at DESC, a.id", strings.ToLower(organisation), organisation).
		Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("verified suggestions: %w", err)
	}
	return out, nil
}

// FriendsOfFriends returns the accounts followed by those accountID
// follows that accountID may be suggested, the most followed that way
// first, at most limit.
func (q queries) FriendsOfFriends(ctx context.Context, accountID int64, limit int) ([]*Account, error) {
	var out []*Account
	err := q.r.NewSelect().Model(&out).ModelTableExpr("accounts AS a").ColumnExpr("a.*").
		Where(`a.id IN (SELECT f2.target_account_id FROM follows AS f1 JOIN follows AS f2 ON f2.account_id = f1.target_account_id
			WHERE f1.account_id = ? AND f1.accepted_at IS NOT NULL AND f2.accepted_at IS NOT NULL)`, accountID).
		Where(suggestable, suggestableArgs(accountID)...).
		OrderExpr(`(SELECT count(*) FROM follows AS f1 JOIN follows AS f2 ON f2.account_id = f1.target_account_id
			WHERE f1.account_id = ? AND f1.accepted_at IS NOT NULL AND f2.target_account_id = a.id AND f2.accepted_at IS NOT NULL) DESC, a.id DESC`, accountID).Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("friends of friends: %w", err)
	}
	return out, nil
}

// DirectoryQuery selects the accounts of the profile directory.
type DirectoryQuery struct {
	Offset, Limit int
	// Active orders by the latest post, else the newest accounts first.
	Active bool
	Local  bool
	// Verified, Profession and Organisation keep clinicians whose
	// verification stands at Now (any of them set asks for one).
	Verified                            bool
	Profession, Specialty, Organisation string
	Now                                 time.Time
	// Query, when not empty, keeps accounts whose username, display name
	// or bio holds it (any case).
	Query string
	// Viewer, when not 0, is the signed-in person: accounts they block or
	// mute, or that block them, are left out for them.
	Viewer int64
}

// Directory returns the listed accounts (see listedAccount) that d selects.
func (q queries) Directory(ctx context.Context, d DirectoryQuery) ([]*Account, error) {
	var out []*Account
	sel := q.r.NewSelect().Model(&out).ModelTableExpr("accounts AS a").ColumnExpr("a.*").
		Where(listedAccount, true, true).
		Where("NOT EXISTS (SELECT 1 FROM users AS u WHERE u.account_id = a.id AND u.disabled = ?)", true)
	if q := strings.TrimSpace(d.Query); q != "" {
		like := "%" + escapeLike(q) + "%"
		sel = sel.Where(`(lower(a.username) LIKE ? ESCAPE '\' OR lower(a.display_name) LIKE ? ESCAPE '\' OR lower(a.note) LIKE ? ESCAPE '\')`, like, like, like)
	}
	if d.Local {
		sel = sel.Where("a.domain = ''")
	}
	if d.Viewer != 0 {
		sel = sel.Where(`NOT EXISTS (SELECT 1 FROM blocks AS b WHERE (b.account_id = ? AND b.target_account_id = a.id) OR (b.account_id = a.id AND b.target_account_id = ?))
AND NOT EXISTS (SELECT 1 FROM mutes AS m WHERE m.account_id = ? AND m.target_account_id = a.id)`, d.Viewer, d.Viewer, d.Viewer)
	}
	if d.Verified || d.Profession != "" || d.Specialty != "" || d.Organisation != "" {
		cond, args := currentVerification, []any{d.Now}
		if d.Profession != "" {
			cond += " AND cv.profession = ?"
			args = append(args, strings.ToLower(d.Profession))
		}
		if d.Specialty != "" {
			cond += " AND lower(cv.specialty) = ?"
			args = append(args, strings.ToLower(d.Specialty))
		}
		if d.Organisation != "" {
			cond += " AND lower(cv.organisation) = ?"
			args = append(args, strings.ToLower(d.Organisation))
		}
		sel = sel.Where(cond+")", args...)
	}
	if d.Active {
		// Published posts only: one waiting out its send delay does not
		// show its author as active yet.
		sel = sel.OrderExpr("COALESCE((SELECT max(s.id) FROM statuses AS s WHERE s.account_id = a.id AND s.pending_until IS NULL), 0) DESC, a.id DESC")
	} else {
		sel = sel.OrderExpr("a.created_at DESC, a.id DESC")
	}
	if err := sel.Offset(int64(d.Offset)).Limit(int64(d.Limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return out, nil
}

// DirectoryFacets are the values the directory's verified clinicians
// hold, to filter by: each sorted, without duplicates.
type DirectoryFacets struct {
	Professions, Specialties, Organisations []string
}

// VerifiedDirectoryFacets returns the professions, specialties and
// organisations of the listed local clinicians whose verification stands
// at now.
func (q queries) VerifiedDirectoryFacets(ctx context.Context, now time.Time) (DirectoryFacets, error) {
	var f DirectoryFacets
	for _, c := range []struct {
		col string
		out *[]string
	}{{"profession", &f.Professions}, {"specialty", &f.Specialties}, {"organisation", &f.Organisations}} {
		err := q.r.NewSelect().TableExpr("clinician_verifications AS cv").
			ColumnExpr("DISTINCT cv."+c.col).
			Join("JOIN accounts AS a ON a.id = cv.account_id").
			Where("cv.revoked_at IS NULL AND cv.recheck_at > ?", now).
			Where("cv."+c.col+" <> ''").Where("a.domain = ''").
			Where(listedAccount, true, true).
			OrderExpr("cv."+c.col).Scan(ctx, c.out)
		if err != nil {
			return f, fmt.Errorf("directory %s values: %w", c.col, err)
		}
	}
	return f, nil
}
