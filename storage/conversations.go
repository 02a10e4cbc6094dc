package storage

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Conversation is one local account's view of a direct conversation: a
// thread of direct posts among the same participants.
type Conversation struct {
	ID        int64
	AccountID int64
	// Participants are the ids of the other accounts in it, sorted and
	// comma separated; empty for a conversation with oneself.
	Participants string
	Unread       bool
	// LastStatusID is its newest post the owner sees.
	LastStatusID int64

	// LastStatus and ParticipantAccounts are loaded by the domain.
	LastStatus          *Status    `bun:"-"`
	ParticipantAccounts []*Account `bun:"-"`
}

// AddToConversation puts statusID into accountID's conversation keyed by
// thread and participants, making the conversation when it is new, and
// sets its unread flag. It returns the conversation's id and whether the
// status was new to it (a status already there changes nothing).
func (q queries) AddToConversation(ctx context.Context, accountID int64, thread, participants string, statusID int64, unread bool) (int64, bool, error) {
	if _, err := q.w.ExecContext(ctx, `INSERT INTO account_conversations (id, account_id, thread, participants, unread) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (account_id, thread, participants) DO NOTHING`, NewID(), accountID, thread, participants, unread); err != nil {
		return 0, false, fmt.Errorf("add conversation: %w", err)
	}
	var ids []int64
	if err := q.w.NewSelect().TableExpr("account_conversations").Column("id").
		Where("account_id = ? AND thread = ? AND participants = ?", accountID, thread, participants).Scan(ctx, &ids); err != nil {
		return 0, false, fmt.Errorf("find conversation: %w", err)
	}
	if len(ids) == 0 {
		return 0, false, fmt.Errorf("conversation of %d in %s: %w", accountID, thread, ErrNotFound)
	}
	res, err := q.w.ExecContext(ctx, "INSERT INTO account_conversation_statuses (conversation_id, status_id) VALUES (?, ?) ON CONFLICT DO NOTHING", ids[0], statusID)
	if err != nil {
		return 0, false, fmt.Errorf("add to conversation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ids[0], false, nil
	}
	if _, err := q.w.ExecContext(ctx, "UPDATE account_conversations SET unread = ? WHERE id = ?", unread, ids[0]); err != nil {
		return 0, false, err
	}
	return ids[0], true, nil
}

// ConversationThreadOf returns the thread of a conversation that holds
// statusID, "" when none does.
func (q queries) ConversationThreadOf(ctx context.Context, statusID int64) (string, error) {
	var threads []string
	err := q.r.NewSelect().TableExpr("account_conversations AS c").ColumnExpr("c.thread").
		Join("JOIN account_conversation_statuses AS cs ON cs.conversation_id = c.id").
		Where("cs.status_id = ?", statusID).Limit(1).Scan(ctx, &threads)
	if err != nil || len(threads) == 0 {
		return "", err
	}
	return threads[0], nil
}

// conversationSelect is accountID's conversations that hold a post, with
// the newest as last_status_id.
func (q queries) conversationSelect(accountID int64) *bun.SelectQuery {
	return q.r.NewSelect().TableExpr("account_conversations AS c").
		ColumnExpr("c.id, c.account_id, c.participants, c.unread, MAX(cs.status_id) AS last_status_id").
		Join("JOIN account_conversation_statuses AS cs ON cs.conversation_id = c.id").
		Where("c.account_id = ?", accountID).
		GroupExpr("c.id, c.account_id, c.participants, c.unread")
}

// Conversations pages accountID's conversations by their last post, newest
// first, as Mastodon does (its cursors are last post ids).
func (q queries) Conversations(ctx context.Context, accountID int64, p Page) ([]*Conversation, error) {
	sel := q.conversationSelect(accountID)
	if p.MaxID > 0 {
		sel = sel.Having("MAX(cs.status_id) < ?", p.MaxID)
	}
	if p.SinceID > 0 {
		sel = sel.Having("MAX(cs.status_id) > ?", p.SinceID)
	}
	if p.MinID > 0 {
		sel = sel.Having("MAX(cs.status_id) > ?", p.MinID).OrderExpr("last_status_id ASC")
	} else {
		sel = sel.OrderExpr("last_status_id DESC")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	var cs []*Conversation
	if err := sel.Limit(int64(min(limit, 80))).Scan(ctx, &cs); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	reverseIfMin(cs, p)
	return cs, nil
}

// ConversationByID returns accountID's conversation id; ErrNotFound when it
// is someone else's or holds no post.
func (q queries) ConversationByID(ctx context.Context, accountID, id int64) (*Conversation, error) {
	var cs []*Conversation
	if err := q.conversationSelect(accountID).Where("c.id = ?", id).Scan(ctx, &cs); err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, ErrNotFound
	}
	return cs[0], nil
}

// SetConversationUnread sets the unread flag of accountID's conversation.
func (q queries) SetConversationUnread(ctx context.Context, accountID, id int64, unread bool) error {
	_, err := q.w.ExecContext(ctx, "UPDATE account_conversations SET unread = ? WHERE id = ? AND account_id = ?", unread, id, accountID)
	return err
}

// DeleteConversation removes accountID's conversation id, for that account
// only.
func (q queries) DeleteConversation(ctx context.Context, accountID, id int64) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM account_conversations WHERE id = ? AND account_id = ?", id, accountID)
	return err
}

// ParticipantAccounts returns the accounts of ids that exist, in no order.
func (q queries) ParticipantAccounts(ctx context.Context, ids []int64) ([]*Account, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var accts []*Account
	err := q.r.NewSelect().Model(&accts).Where("id IN (?)", bun.In(ids)).Scan(ctx)
	return accts, err
}
