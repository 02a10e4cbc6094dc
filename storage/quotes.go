package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Quote is a post quoting another (FEP-044f): StatusID quotes QuotedURI.
type Quote struct {
	bun.BaseModel `bun:"table:quotes,alias:q"`

	StatusID         int64 `bun:",pk"`
	AccountID        int64 `bun:",notnull"`
	QuotedStatusID   *int64
	QuotedURI        string `bun:"quoted_uri,notnull"`
	QuotedAccountID  *int64
	State            string    `bun:",notnull"`
	AuthorizationURI string    `bun:"authorization_uri,notnull"`
	RequestURI       string    `bun:"request_uri,notnull"`
	CreatedAt        time.Time `bun:",notnull"`
}

// InsertQuote stores q; a quote already stored for its post is left as it is.
func (q queries) InsertQuote(ctx context.Context, qt *Quote) error {
	if _, err := q.w.NewInsert().Model(qt).On("CONFLICT (status_id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("insert quote: %w", err)
	}
	return nil
}

// UpdateQuote saves the state and the links of qt, and its quoted post
// when set (a quoted post linked meanwhile, by LinkQuotes, is kept).
func (q queries) UpdateQuote(ctx context.Context, qt *Quote) error {
	_, err := q.w.ExecContext(ctx, `UPDATE quotes SET state = ?, authorization_uri = ?, request_uri = ?,
		quoted_status_id = COALESCE(?, quoted_status_id), quoted_account_id = COALESCE(?, quoted_account_id) WHERE status_id = ?`,
		qt.State, qt.AuthorizationURI, qt.RequestURI, qt.QuotedStatusID, qt.QuotedAccountID, qt.StatusID)
	if err != nil {
		return fmt.Errorf("update quote: %w", err)
	}
	return nil
}

// QuoteOf returns the quote that statusID makes.
func (q queries) QuoteOf(ctx context.Context, statusID int64) (*Quote, error) {
	qt := new(Quote)
	if err := q.r.NewSelect().Model(qt).Where("status_id = ?", statusID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return qt, nil
}

// QuoteWhere returns the quote whose column (request_uri or
// authorization_uri) is uri.
func (q queries) QuoteWhere(ctx context.Context, column, uri string) (*Quote, error) {
	if uri == "" || (column != "request_uri" && column != "authorization_uri") {
		return nil, ErrNotFound
	}
	qt := new(Quote)
	if err := q.r.NewSelect().Model(qt).Where("? = ?", bun.Ident(column), uri).Limit(1).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return qt, nil
}

// LinkQuotes points the quotes of uri, stored before the quoted post
// arrived, at st.
func (q queries) LinkQuotes(ctx context.Context, st *Status) error {
	_, err := q.w.NewUpdate().Model((*Quote)(nil)).Set("quoted_status_id = ?, quoted_account_id = ?", st.ID, st.AccountID).
		Where("quoted_uri = ?", st.URI).Where("quoted_status_id IS NULL").Exec(ctx)
	return err
}

// QuotingStatuses returns a page of the posts that quote statusID in one of
// states, newest first.
func (q queries) QuotingStatuses(ctx context.Context, statusID int64, states []string, p Page) ([]*Status, error) {
	var sts []*Status
	sel := q.r.NewSelect().Model(&sts).Relation("Account").
		Where("s.id IN (SELECT status_id FROM quotes WHERE quoted_status_id = ? AND state IN (?))", statusID, bun.In(states))
	if err := p.apply(sel, "s.id").Scan(ctx); err != nil {
		return nil, err
	}
	reverseIfMin(sts, p)
	return sts, nil
}

// SetQuotePolicy records who may quote local post statusID.
func (q queries) SetQuotePolicy(ctx context.Context, statusID int64, policy string) error {
	_, err := q.w.ExecContext(ctx, "INSERT INTO quote_policies (status_id, policy) VALUES (?, ?) ON CONFLICT (status_id) DO UPDATE SET policy = EXCLUDED.policy", statusID, policy)
	return err
}

// QuotePolicy returns who may quote statusID ("" when never set).
func (q queries) QuotePolicy(ctx context.Context, statusID int64) (string, error) {
	var policies []string
	if err := q.r.NewSelect().Table("quote_policies").Column("policy").Where("status_id = ?", statusID).Scan(ctx, &policies); err != nil {
		return "", err
	}
	if len(policies) == 0 {
		return "", nil
	}
	return policies[0], nil
}

// AcceptedQuotesOf returns the accepted quotes of statusID by local
// accounts (at most limit).
func (q queries) AcceptedQuotesOf(ctx context.Context, statusID int64, limit int) ([]*Quote, error) {
	var out []*Quote
	err := q.r.NewSelect().Model(&out).Where("q.quoted_status_id = ?", statusID).Where("q.state = 'accepted'").
		Where("q.account_id IN (SELECT id FROM accounts WHERE domain = '')").OrderExpr("q.status_id DESC").Limit(int64(limit)).Scan(ctx)
	return out, err
}
