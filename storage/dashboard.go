package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Event is one thing that happened, for the admin dashboard: when, a key
// (an account id, a domain ...) for counting distinct ones, and an amount
// (1, or bytes).
type Event struct {
	At  time.Time
	Key string
	N   int64
}

// eventQueries select at, key, n between two times (the first two
// arguments), some with a third argument (a tag id or a domain).
var eventQueries = map[string]string{
	"new_users": `SELECT created_at AS at, CAST(account_id AS TEXT) AS key, 1 AS n FROM users WHERE created_at >= ? AND created_at < ?`,
	// Active: a local account that posted, boosted or favourited.
	"active_users": `SELECT s.created_at AS at, CAST(s.account_id AS TEXT) AS key, 1 AS n FROM statuses AS s JOIN accounts AS a ON a.id = s.account_id
			WHERE s.created_at >= ? AND s.created_at < ? AND a.domain = ''
		UNION ALL SELECT f.created_at AS at, CAST(f.account_id AS TEXT) AS key, 1 AS n FROM favourites AS f JOIN accounts AS a ON a.id = f.account_id
			WHERE f.created_at >= ? AND f.created_at < ? AND a.domain = ''`,
	// Interactions with local posts: favourites, boosts and replies.
	"interactions": `SELECT f.created_at AS at, '' AS key, 1 AS n FROM favourites AS f JOIN statuses AS s ON s.id = f.status_id
			WHERE f.created_at >= ? AND f.created_at < ? AND s.local = TRUE
		UNION ALL SELECT r.created_at AS at, '' AS key, 1 AS n FROM statuses AS r JOIN statuses AS s ON s.id = r.reblog_of_id
			WHERE r.created_at >= ? AND r.created_at < ? AND s.local = TRUE
		UNION ALL SELECT r.created_at AS at, '' AS key, 1 AS n FROM statuses AS r JOIN statuses AS s ON s.id = r.in_reply_to_id
			WHERE r.created_at >= ? AND r.created_at < ? AND s.local = TRUE AND r.account_id <> s.account_id`,
	"opened_reports":   `SELECT created_at AS at, '' AS key, 1 AS n FROM reports WHERE created_at >= ? AND created_at < ?`,
	"resolved_reports": `SELECT action_taken_at AS at, '' AS key, 1 AS n FROM reports WHERE action_taken_at >= ? AND action_taken_at < ?`,
	"tag_accounts": `SELECT s.created_at AS at, CAST(s.account_id AS TEXT) AS key, 1 AS n FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id
		WHERE s.created_at >= ? AND s.created_at < ? AND st.tag_id = ? AND s.pending_until IS NULL`,
	"tag_uses": `SELECT s.created_at AS at, '' AS key, 1 AS n FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id
		WHERE s.created_at >= ? AND s.created_at < ? AND st.tag_id = ? AND s.pending_until IS NULL`,
	"tag_servers": `SELECT s.created_at AS at, a.domain AS key, 1 AS n FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id JOIN accounts AS a ON a.id = s.account_id
		WHERE s.created_at >= ? AND s.created_at < ? AND st.tag_id = ? AND s.pending_until IS NULL`,
	"instance_accounts": `SELECT created_at AS at, '' AS key, 1 AS n FROM accounts WHERE created_at >= ? AND created_at < ? AND domain = ?`,
	"instance_media_attachments": `SELECT m.created_at AS at, '' AS key, m.file_size AS n FROM media_attachments AS m JOIN accounts AS a ON a.id = m.account_id
		WHERE m.created_at >= ? AND m.created_at < ? AND a.domain = ?`,
	"instance_reports": `SELECT r.created_at AS at, '' AS key, 1 AS n FROM reports AS r JOIN accounts AS a ON a.id = r.target_account_id
		WHERE r.created_at >= ? AND r.created_at < ? AND a.domain = ?`,
	"instance_statuses": `SELECT s.created_at AS at, '' AS key, 1 AS n FROM statuses AS s JOIN accounts AS a ON a.id = s.account_id
		WHERE s.created_at >= ? AND s.created_at < ? AND a.domain = ?`,
	"instance_follows": `SELECT f.created_at AS at, '' AS key, 1 AS n FROM follows AS f JOIN accounts AS a ON a.id = f.target_account_id
		WHERE f.created_at >= ? AND f.created_at < ? AND a.domain = ?`,
	"instance_followers": `SELECT f.created_at AS at, '' AS key, 1 AS n FROM follows AS f JOIN accounts AS a ON a.id = f.account_id
		WHERE f.created_at >= ? AND f.created_at < ? AND a.domain = ?`,
}

// Events returns the events of the named kind (see eventQueries) from
// from until to; arg is the tag id or domain the kind needs, else nil.
func (q queries) Events(ctx context.Context, kind string, from, to time.Time, arg any) ([]Event, error) {
	sql, ok := eventQueries[kind]
	if !ok {
		return nil, fmt.Errorf("events: unknown kind %q", kind)
	}
	// Each part of a UNION takes the same arguments again.
	var args []any
	for range strings.Count(sql, "UNION ALL") + 1 {
		args = append(args, from, to)
		if arg != nil {
			args = append(args, arg)
		}
	}
	var out []Event
	if err := q.r.NewRaw(sql, args...).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("events %s: %w", kind, err)
	}
	return out, nil
}

// Share is one value of a dashboard dimension and how often it occurs.
type Share struct {
	Key string
	N   int64
}

// shareQueries group something between two times (the first two
// arguments) by a key, some with a third argument (a tag id or domain);
// the limit comes last.
var shareQueries = map[string]string{
	"languages": `SELECT s.language AS key, count(*) AS n FROM statuses AS s
		WHERE s.created_at >= ? AND s.created_at < ? AND s.local = TRUE AND s.reblog_of_id IS NULL AND s.language <> ''
		GROUP BY s.language ORDER BY n DESC, key LIMIT ?`,
	"servers": `SELECT a.domain AS key, count(*) AS n FROM statuses AS s JOIN accounts AS a ON a.id = s.account_id
		WHERE s.created_at >= ? AND s.created_at < ? AND a.domain <> ''
		GROUP BY a.domain ORDER BY n DESC, key LIMIT ?`,
	"tag_servers": `SELECT a.domain AS key, count(*) AS n FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id JOIN accounts AS a ON a.id = s.account_id
		WHERE s.created_at >= ? AND s.created_at < ? AND st.tag_id = ?
		GROUP BY a.domain ORDER BY n DESC, key LIMIT ?`,
	"tag_languages": `SELECT s.language AS key, count(*) AS n FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id
		WHERE s.created_at >= ? AND s.created_at < ? AND st.tag_id = ? AND s.language <> ''
		GROUP BY s.language ORDER BY n DESC, key LIMIT ?`,
	// The domain's accounts most followed from here (the period is not used).
	"instance_accounts": `SELECT a.username AS key, count(*) AS n FROM follows AS f JOIN accounts AS a ON a.id = f.target_account_id
		WHERE a.domain = ?
		GROUP BY a.username ORDER BY n DESC, key LIMIT ?`,
	"instance_languages": `SELECT s.language AS key, count(*) AS n FROM statuses AS s JOIN accounts AS a ON a.id = s.account_id
		WHERE s.created_at >= ? AND s.created_at < ? AND a.domain = ? AND s.language <> ''
		GROUP BY s.language ORDER BY n DESC, key LIMIT ?`,
	// Bytes of media stored here: uploads of local accounts (the period
	// is not used).
	"space_usage": `SELECT 'media' AS key, coalesce(sum(m.file_size), 0) AS n FROM media_attachments AS m
		WHERE m.file_name <> '' LIMIT ?`,
}

// periodless are the dimensions that do not look at the period.
var periodless = map[string]bool{"instance_accounts": true, "space_usage": true}

// Shares returns the named dimension (see shareQueries) from from until
// to, the most frequent first, at most limit; arg is the tag id or domain
// the dimension needs, else nil.
func (q queries) Shares(ctx context.Context, kind string, from, to time.Time, arg any, limit int) ([]Share, error) {
	sql, ok := shareQueries[kind]
	if !ok {
		return nil, fmt.Errorf("shares: unknown kind %q", kind)
	}
	var args []any
	if !periodless[kind] {
		args = append(args, from, to)
	}
	if arg != nil {
		args = append(args, arg)
	}
	args = append(args, limit)
	var out []Share
	if err := q.r.NewRaw(sql, args...).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("shares %s: %w", kind, err)
	}
	return out, nil
}
