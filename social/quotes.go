package social

import (
	"context"
	"errors"
	"fmt"

	"rounds/storage"
)

// The states of a quote, as Mastodon 4.5 names them.
const (
	QuotePending  = "pending"
	QuoteAccepted = "accepted"
	QuoteRejected = "rejected"
	QuoteRevoked  = "revoked"
)

// Who may quote a post (Mastodon's quote_approval_policy).
const (
	QuotePolicyPublic    = "public"
	QuotePolicyFollowers = "followers"
	QuotePolicyNobody    = "nobody"
)

// NotifyQuote tells an author that a post of theirs was quoted.
const NotifyQuote = "quote"

// Activity types of quotes (FEP-044f) that local actions send.
const (
	// PublishQuoteRequest asks a remote author to approve StatusID's quote.
	PublishQuoteRequest = "QuoteRequest"
	// PublishQuoteAccept answers a QuoteRequest (ActivityURI) for the
	// quoting post StatusID with an Accept whose result is our
	// QuoteAuthorization (ObjectURI).
	PublishQuoteAccept = "Accept:QuoteRequest"
	// PublishQuoteReject refuses a QuoteRequest (ActivityURI) of
	// TargetAccountID.
	PublishQuoteReject = "Reject:QuoteRequest"
	// PublishQuoteRevoke deletes our QuoteAuthorization (ObjectURI).
	PublishQuoteRevoke = "Delete:QuoteAuthorization"
	// PublishQuoteUpdate sends local post StatusID again with the
	// authorization of its quote.
	PublishQuoteUpdate = "Update:Quote"
)

// Quote is what a post quotes, as a viewer may be shown it.
type Quote struct {
	State string
	// Quoted is the quoted post when the viewer may see it and the quote
	// stands (nil otherwise; State then says why).
	Quoted *storage.Status
	// QuotedID is the quoted post's id here, 0 when unknown.
	QuotedID int64
}

// validQuotePolicy checks a quote_approval_policy value.
func validQuotePolicy(p string) error {
	switch p {
	case "", QuotePolicyPublic, QuotePolicyFollowers, QuotePolicyNobody:
		return nil
	}
	return invalid("quote_approval_policy", "must be public, followers or nobody")
}

// QuotePolicyOf returns who may quote local post st: followers-only and
// direct posts only their author, as on Mastodon.
func (s *Service) QuotePolicyOf(ctx context.Context, st *storage.Status) string {
	if st.Visibility == VisibilityPrivate || st.Visibility == VisibilityDirect || st.ReblogOfID != nil {
		return QuotePolicyNobody
	}
	if !st.Local {
		return ""
	}
	p, err := s.db.QuotePolicy(ctx, st.ID)
	if err != nil || p == "" {
		return QuotePolicyPublic
	}
	return p
}

// QuoteDecision tells how a quote of st by a would be approved: automatic,
// manual (a remote author decides) or denied. Rounds approves nothing by
// hand: a local author's policy is applied at once.
func (s *Service) QuoteDecision(ctx context.Context, a *storage.Account, st *storage.Status) string {
	return s.quoteDecision(ctx, a, st, "")
}

// QuoteApproval returns st's quote policy and how a's quote of it would be
// approved, reading the policy once.
func (s *Service) QuoteApproval(ctx context.Context, a *storage.Account, st *storage.Status) (policy, decision string) {
	policy = s.QuotePolicyOf(ctx, st)
	return policy, s.quoteDecision(ctx, a, st, policy)
}

// quoteDecision is QuoteDecision with st's policy when already read.
func (s *Service) quoteDecision(ctx context.Context, a *storage.Account, st *storage.Status, policy string) string {
	if a == nil {
		return "unknown"
	}
	if st.AccountID == a.ID {
		return "automatic"
	}
	if !st.Local {
		if st.Visibility == VisibilityPrivate || st.Visibility == VisibilityDirect {
			return "denied"
		}
		return "manual"
	}
	if policy == "" {
		policy = s.QuotePolicyOf(ctx, st)
	}
	switch policy {
	case QuotePolicyPublic:
		return "automatic"
	case QuotePolicyFollowers:
		if author, err := s.db.AccountByID(ctx, st.AccountID); err == nil && s.IsFollowing(ctx, a, author) {
			return "automatic"
		}
	}
	return "denied"
}

// checkQuote finds the post author means to quote and whether it may be:
// the author must see it, and its policy must not deny them.
func (s *Service) checkQuote(ctx context.Context, author *storage.Account, in NewStatus) (*storage.Status, error) {
	if err := validQuotePolicy(in.QuotePolicy); err != nil {
		return nil, err
	}
	if in.QuotedStatusID == 0 {
		return nil, nil
	}
	quoted, err := s.db.StatusByID(ctx, in.QuotedStatusID)
	if err == nil && (!s.MayView(ctx, author, quoted) || quoted.ReblogOfID != nil) {
		err = storage.ErrNotFound
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalid("quoted_status_id", "names a status that does not exist")
	}
	if err != nil {
		return nil, err
	}
	if s.QuoteDecision(ctx, author, quoted) == "denied" {
		return nil, fmt.Errorf("quoting this post: %w", ErrForbidden)
	}
	return quoted, nil
}

// storeQuote records, in the post's transaction, that local post st quotes
// quoted and the policy of st: a local quote stands at once; a remote one
// waits for its author's QuoteAuthorization (asked for, and the quoted
// author told, when the post is published: quotePublished).
func (s *Service) storeQuote(ctx context.Context, tx storage.Tx, author *storage.Account, st, quoted *storage.Status, policy string) error {
	if policy != "" {
		if err := tx.SetQuotePolicy(ctx, st.ID, policy); err != nil {
			return err
		}
	}
	if quoted == nil {
		return nil
	}
	qt := &storage.Quote{
		StatusID: st.ID, AccountID: author.ID, QuotedStatusID: &quoted.ID, QuotedURI: quoted.URI,
		QuotedAccountID: &quoted.AccountID, State: QuoteAccepted, CreatedAt: s.now(),
	}
	if !quoted.Local && quoted.AccountID != author.ID {
		qt.State = QuotePending
		qt.RequestURI = st.URI + "#quote_request"
		return tx.InsertQuote(ctx, qt)
	}
	if quoted.Local && quoted.AccountID != author.ID {
		qt.AuthorizationURI = s.quoteAuthorizationURI(ctx, quoted, st.ID)
	}
	return tx.InsertQuote(ctx, qt)
}

// quotePublished does what follows local post st, by author, being
// published when it quotes: a local quoted author is told, a remote one
// asked for approval. Nothing leaves before the post's send delay ends.
func (s *Service) quotePublished(ctx context.Context, tx storage.Tx, st *storage.Status, author *storage.Account) error {
	qt, err := tx.QuoteOf(ctx, st.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if qt.QuotedAccountID == nil || *qt.QuotedAccountID == author.ID {
		return nil
	}
	if qt.State == QuotePending {
		return s.publish(ctx, tx, PublishArgs{Type: PublishQuoteRequest, AccountID: author.ID, StatusID: st.ID, TargetAccountID: *qt.QuotedAccountID})
	}
	return s.notifyByID(ctx, tx, *qt.QuotedAccountID, author, NotifyQuote, &st.ID)
}

// quoteAuthorizationURI is the id of our QuoteAuthorization of the quote
// quotingID of local post quoted.
func (s *Service) quoteAuthorizationURI(ctx context.Context, quoted *storage.Status, quotingID int64) string {
	author := quoted.Account
	if author == nil {
		author, _ = s.db.AccountByID(ctx, quoted.AccountID)
	}
	name := ""
	if author != nil {
		name = author.Username
	}
	return fmt.Sprintf("%s/users/%s/quote_authorizations/%d", s.base, name, quotingID)
}

// QuoteOf returns what st quotes as viewer may be shown it, nil when st
// quotes nothing. A post the viewer may not see is withheld
// ("unauthorized"), a deleted one is "deleted"; only an accepted quote shows
// the post.
func (s *Service) QuoteOf(ctx context.Context, viewer *storage.Account, st *storage.Status) *Quote {
	qt, err := s.db.QuoteOf(ctx, st.ID)
	if err != nil {
		return nil
	}
	out := &Quote{State: qt.State}
	if qt.QuotedStatusID == nil {
		// Fetched while the quote was being stored: link it now.
		if quoted, err := s.db.StatusByURI(ctx, qt.QuotedURI); err == nil {
			_ = s.db.LinkQuotes(ctx, quoted)
			qt.QuotedStatusID = &quoted.ID
		}
	}
	if qt.QuotedStatusID == nil {
		if qt.State == QuoteAccepted {
			out.State = QuotePending // not fetched yet
		}
		return out
	}
	quoted, err := s.db.StatusByID(ctx, *qt.QuotedStatusID)
	if err != nil {
		if qt.State == QuoteAccepted {
			out.State = "deleted"
		}
		return out
	}
	out.QuotedID = quoted.ID
	if qt.State != QuoteAccepted {
		return out
	}
	if !s.MayView(ctx, viewer, quoted) {
		out.State = "unauthorized"
		return out
	}
	out.Quoted = quoted
	return out
}

// StoredQuote returns the quote record of post statusID.
func (s *Service) StoredQuote(ctx context.Context, statusID int64) (*storage.Quote, error) {
	qt, err := s.db.QuoteOf(ctx, statusID)
	return qt, domainErr(err)
}

// SetQuotePolicy changes who may quote me's post statusID (PUT
// /api/v1/statuses/:id/interaction_policy).
func (s *Service) SetQuotePolicy(ctx context.Context, me *storage.Account, statusID int64, policy string) (*storage.Status, error) {
	st, err := s.db.StatusByID(ctx, statusID)
	if err != nil {
		return nil, domainErr(err)
	}
	if st.AccountID != me.ID || st.ReblogOfID != nil {
		return nil, ErrNotFound
	}
	if policy == "" {
		return nil, invalid("quote_approval_policy", "can't be blank")
	}
	if err := validQuotePolicy(policy); err != nil {
		return nil, err
	}
	if err := s.db.SetQuotePolicy(ctx, st.ID, policy); err != nil {
		return nil, err
	}
	return st, nil
}

// QuotesOf returns a page of the accepted quotes of me's post statusID that
// me may see.
func (s *Service) QuotesOf(ctx context.Context, me *storage.Account, statusID int64, p storage.Page) ([]*storage.Status, error) {
	st, err := s.db.StatusByID(ctx, statusID)
	if err != nil {
		return nil, domainErr(err)
	}
	if st.AccountID != me.ID {
		return nil, ErrNotFound
	}
	return s.visiblePage(ctx, me, p, func(p storage.Page) ([]*storage.Status, error) {
		sts, err := s.db.QuotingStatuses(ctx, st.ID, []string{QuoteAccepted}, p)
		if err != nil {
			return nil, err
		}
		out := sts[:0]
		for _, q := range sts {
			if s.MayView(ctx, me, q) {
				out = append(out, q)
			}
		}
		return out, nil
	})
}

// RevokeQuote withdraws me's approval of the quote quotingID of me's post
// statusID; a remote quoting post's server is sent the Delete of our
// QuoteAuthorization.
func (s *Service) RevokeQuote(ctx context.Context, me *storage.Account, statusID, quotingID int64) (*storage.Status, error) {
	st, err := s.db.StatusByID(ctx, statusID)
	if err != nil {
		return nil, domainErr(err)
	}
	if st.AccountID != me.ID {
		return nil, ErrNotFound
	}
	quoting, err := s.db.StatusByID(ctx, quotingID)
	if err != nil {
		return nil, domainErr(err)
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		qt, err := tx.QuoteOf(ctx, quotingID)
		if err != nil || qt.QuotedStatusID == nil || *qt.QuotedStatusID != st.ID {
			return ErrNotFound
		}
		if qt.State == QuoteRevoked {
			return nil
		}
		qt.State = QuoteRevoked
		if err := tx.UpdateQuote(ctx, qt); err != nil {
			return err
		}
		if quoting.Local || qt.AuthorizationURI == "" {
			return nil
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishQuoteRevoke, AccountID: me.ID, StatusID: quoting.ID, ObjectURI: qt.AuthorizationURI, TargetAccountID: quoting.AccountID})
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return quoting, nil
}

// QuoteAuthorization returns the accepted quote that our authorization
// quotingID of username's post stands for, for serving it.
func (s *Service) QuoteAuthorization(ctx context.Context, username string, quotingID int64) (qt *storage.Quote, quoting, quoted *storage.Status, err error) {
	qt, err = s.db.QuoteOf(ctx, quotingID)
	if err != nil || qt.State != QuoteAccepted || qt.QuotedStatusID == nil {
		return nil, nil, nil, ErrNotFound
	}
	quoted, err = s.db.StatusByID(ctx, *qt.QuotedStatusID)
	if err != nil || !quoted.Local || quoted.Account == nil || quoted.Account.Username != username {
		return nil, nil, nil, ErrNotFound
	}
	quoting, err = s.db.StatusByID(ctx, quotingID)
	if err != nil {
		return nil, nil, nil, ErrNotFound
	}
	return qt, quoting, quoted, nil
}

// RemoteQuote is what a received post quotes.
type RemoteQuote struct {
	URI              string // the quoted post
	AuthorizationURI string // its quoteAuthorization, if any
	// Legacy is a quote by a server without quote approvals (Misskey's
	// _misskey_quote, Fedibird's quoteUri only): it is shown as sent.
	Legacy bool
}

// ReceiveQuote records that remote post st quotes rq.URI. A quote of a
// local post stands when our authorization is named or the author's policy
// allows it, and is rejected otherwise; a quote of another server's post
// stands with an authorization from that server (or as a legacy quote).
func (s *Service) ReceiveQuote(ctx context.Context, st *storage.Status, rq RemoteQuote) error {
	if st == nil || rq.URI == "" {
		return nil
	}
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		qt := &storage.Quote{StatusID: st.ID, AccountID: st.AccountID, QuotedURI: rq.URI, State: QuotePending, AuthorizationURI: rq.AuthorizationURI, CreatedAt: s.now()}
		verify := false
		quoted, err := tx.StatusByURI(ctx, rq.URI)
		if err != nil {
			quoted = nil
		}
		if err == nil {
			qt.QuotedStatusID, qt.QuotedAccountID = &quoted.ID, &quoted.AccountID
		}
		author, aerr := tx.AccountByID(ctx, st.AccountID)
		if aerr != nil {
			return aerr
		}
		switch {
		case quoted != nil && quoted.AccountID == st.AccountID:
			qt.State = QuoteAccepted
		case quoted != nil && quoted.Local:
			if s.QuoteDecision(ctx, author, quoted) == "automatic" && s.MayView(ctx, author, quoted) {
				qt.State = QuoteAccepted
				qt.AuthorizationURI = s.quoteAuthorizationURI(ctx, quoted, st.ID)
			} else {
				qt.State = QuoteRejected
				qt.AuthorizationURI = ""
			}
		case rq.AuthorizationURI != "" && sameHost(rq.AuthorizationURI, rq.URI):
			verify = true // pending until its authorization is fetched
		case rq.Legacy:
			qt.State = QuoteAccepted
		}
		if err := tx.InsertQuote(ctx, qt); err != nil {
			return err
		}
		if s.jobs != nil && verify {
			if err := s.jobs.InsertTx(ctx, tx, VerifyQuoteArgs{StatusID: st.ID}, nil); err != nil {
				return err
			}
		}
		if s.jobs != nil && quoted == nil && !sameHost(rq.URI, s.base) {
			// Fetched for the quote's sake only, not its thread.
			if err := s.jobs.InsertTx(ctx, tx, FetchStatusArgs{URI: rq.URI, Depth: MaxThreadFetchDepth}, nil); err != nil {
				return err
			}
		}
		if qt.State == QuoteAccepted && quoted != nil && quoted.Local {
			return s.notifyByID(ctx, tx, quoted.AccountID, author, NotifyQuote, &st.ID)
		}
		return nil
	})
}

// LinkQuotes points quotes that arrived before quoted at it.
func (s *Service) LinkQuotes(ctx context.Context, quoted *storage.Status) error {
	return s.db.LinkQuotes(ctx, quoted)
}

// ReceiveQuoteRequest answers actor's QuoteRequest requestURI for their
// post quoting (stored here) of our post quotedURI: the quoted author's
// policy decides at once, and an Accept carrying our QuoteAuthorization or
// a Reject is sent.
func (s *Service) ReceiveQuoteRequest(ctx context.Context, actor *storage.Account, requestURI, quotedURI string, quoting *storage.Status) error {
	quoted, err := s.db.StatusByURI(ctx, quotedURI)
	if err != nil || !quoted.Local {
		return ErrNotFound
	}
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		accept := quoting != nil && quoting.AccountID == actor.ID && s.MayView(ctx, actor, quoted) &&
			s.QuoteDecision(ctx, actor, quoted) == "automatic"
		if !accept {
			if quoting != nil && quoting.AccountID == actor.ID {
				if qt, err := tx.QuoteOf(ctx, quoting.ID); err == nil {
					qt.State, qt.AuthorizationURI = QuoteRejected, ""
					if err := tx.UpdateQuote(ctx, qt); err != nil {
						return err
					}
				}
			}
			return s.publish(ctx, tx, PublishArgs{Type: PublishQuoteReject, AccountID: quoted.AccountID, ActivityURI: requestURI, ObjectURI: quotedURI, TargetAccountID: actor.ID})
		}
		auth := s.quoteAuthorizationURI(ctx, quoted, quoting.ID)
		qt, err := tx.QuoteOf(ctx, quoting.ID)
		fresh := errors.Is(err, storage.ErrNotFound)
		switch {
		case fresh:
			qt = &storage.Quote{StatusID: quoting.ID, AccountID: actor.ID, QuotedURI: quoted.URI, CreatedAt: s.now()}
		case err != nil:
			return err
		}
		wasAccepted := !fresh && qt.State == QuoteAccepted
		qt.QuotedStatusID, qt.QuotedAccountID = &quoted.ID, &quoted.AccountID
		qt.State, qt.AuthorizationURI, qt.RequestURI = QuoteAccepted, auth, requestURI
		if fresh {
			err = tx.InsertQuote(ctx, qt)
		} else {
			err = tx.UpdateQuote(ctx, qt)
		}
		if err != nil {
			return err
		}
		if !wasAccepted {
			if err := s.notifyByID(ctx, tx, quoted.AccountID, actor, NotifyQuote, &quoting.ID); err != nil {
				return err
			}
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishQuoteAccept, AccountID: quoted.AccountID, StatusID: quoting.ID, ActivityURI: requestURI, ObjectURI: auth, TargetAccountID: actor.ID})
	})
}

// ReceiveQuoteAnswer applies actor's Accept (with the authorization
// result) or Reject of our QuoteRequest requestURI. It reports false when
// requestURI is no QuoteRequest of ours.
func (s *Service) ReceiveQuoteAnswer(ctx context.Context, actor *storage.Account, requestURI string, accepted bool, result string) (bool, error) {
	qt, err := s.db.QuoteWhere(ctx, "request_uri", requestURI)
	if err != nil {
		return false, nil
	}
	if qt.QuotedAccountID == nil || *qt.QuotedAccountID != actor.ID {
		return true, ErrForbidden
	}
	if accepted {
		if result == "" || !sameHost(result, actor.URI) {
			return true, invalid("result", "must be the quote's authorization, on the quoted author's server")
		}
		qt.State, qt.AuthorizationURI = QuoteAccepted, result
	} else {
		qt.State = QuoteRejected
	}
	return true, s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.UpdateQuote(ctx, qt); err != nil || !accepted {
			return err
		}
		// The quoting post's audience learns of the authorization, as
		// Mastodon tells it: an Update of the Note (not an edit).
		return s.publish(ctx, tx, PublishArgs{Type: PublishQuoteUpdate, AccountID: qt.AccountID, StatusID: qt.StatusID})
	})
}

// ReceiveQuoteRevoke applies actor's Delete of a QuoteAuthorization: the
// quote it authorized is revoked. It reports false when uri names no
// authorization we know.
func (s *Service) ReceiveQuoteRevoke(ctx context.Context, actor *storage.Account, uri string) (bool, error) {
	qt, err := s.db.QuoteWhere(ctx, "authorization_uri", uri)
	if err != nil {
		return false, nil
	}
	if !sameHost(uri, actor.URI) || qt.QuotedAccountID == nil || *qt.QuotedAccountID != actor.ID {
		return true, ErrForbidden
	}
	qt.State = QuoteRevoked
	return true, s.db.UpdateQuote(ctx, qt)
}

// NotifyQuotedUpdate tells an author that a post they quoted was edited.
const NotifyQuotedUpdate = "quoted_update"

// maxQuotedUpdateNotices bounds the quoters told of one edit.
const maxQuotedUpdateNotices = 500

// notifyQuoters tells the local authors of accepted quotes of st, edited
// by author, as Mastodon 4.5 does (quoted_update, on their quoting post).
func (s *Service) notifyQuoters(ctx context.Context, tx storage.Tx, st *storage.Status, author *storage.Account) error {
	quotes, err := tx.AcceptedQuotesOf(ctx, st.ID, maxQuotedUpdateNotices)
	if err != nil {
		return err
	}
	for _, qt := range quotes {
		if err := s.notifyByID(ctx, tx, qt.AccountID, author, NotifyQuotedUpdate, &qt.StatusID); err != nil {
			return err
		}
	}
	return nil
}

// VerifyQuoteArgs is the durable job that fetches the QuoteAuthorization a
// received quote names, from the quoted post's server, before the quote is
// shown.
type VerifyQuoteArgs struct {
	StatusID int64 `json:"status_id,string"`
}

// Kind names the job kind.
func (VerifyQuoteArgs) Kind() string { return "verify_quote" }

// ConfirmQuote accepts the pending quote statusID once its authorization
// was fetched and found to name it.
func (s *Service) ConfirmQuote(ctx context.Context, statusID int64) error {
	qt, err := s.db.QuoteOf(ctx, statusID)
	if err != nil {
		return domainErr(err)
	}
	if qt.State != QuotePending {
		return nil
	}
	qt.State = QuoteAccepted
	return s.db.UpdateQuote(ctx, qt)
}

// ReceiveQuoteUpdate applies what a remote post's Update says of its quote:
// a quote not known yet is recorded; a pending one of another server's
// post takes the newly named authorization, which a job then checks.
func (s *Service) ReceiveQuoteUpdate(ctx context.Context, st *storage.Status, rq RemoteQuote) error {
	qt, err := s.db.QuoteOf(ctx, st.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return s.ReceiveQuote(ctx, st, rq)
	}
	if err != nil {
		return err
	}
	if qt.State != QuotePending || rq.AuthorizationURI == "" || rq.AuthorizationURI == qt.AuthorizationURI ||
		sameHost(qt.QuotedURI, s.base) || !sameHost(rq.AuthorizationURI, qt.QuotedURI) || rq.URI != qt.QuotedURI {
		return nil
	}
	qt.AuthorizationURI = rq.AuthorizationURI
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.UpdateQuote(ctx, qt); err != nil {
			return err
		}
		if s.jobs == nil {
			return nil
		}
		return s.jobs.InsertTx(ctx, tx, VerifyQuoteArgs{StatusID: st.ID}, nil)
	})
}
