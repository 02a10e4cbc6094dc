package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-fed/activity/streams"
	"github.com/riverqueue/river"

	"rounds/social"
	"rounds/storage"
)

// QuotePolicy is a post's interactionPolicy.canQuote (FEP-044f, as
// GoToSocial and Mastodon 4.5 write it): who is approved at once and who
// may ask.
type QuotePolicy struct {
	Automatic, Manual []string
}

// The @context terms of quotes: FEP-044f's, Fedibird's quoteUri, Misskey's
// _misskey_quote and GoToSocial's interaction policies.
func as2QuoteTerms() map[string]interface{} {
	return map[string]interface{}{
		"quote":              "https://w3id.org/fep/044f#quote",
		"quoteUri":           "http://fedibird.com/ns#quoteUri",
		"_misskey_quote":     "https://misskey-hub.net/ns#_misskey_quote",
		"quoteAuthorization": map[string]interface{}{"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
		"QuoteRequest":       "https://w3id.org/fep/044f#QuoteRequest",
		"QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
		"gts":                "https://gotosocial.org/ns#",
		"interactionPolicy":  map[string]interface{}{"@id": "gts:interactionPolicy", "@type": "@id"},
		"canQuote":           map[string]interface{}{"@id": "gts:canQuote", "@type": "@id"},
		"automaticApproval":  map[string]interface{}{"@id": "gts:automaticApproval", "@type": "@id"},
		"manualApproval":     map[string]interface{}{"@id": "gts:manualApproval", "@type": "@id"},
		"interactingObject":  map[string]interface{}{"@id": "gts:interactingObject", "@type": "@id"},
		"interactionTarget":  map[string]interface{}{"@id": "gts:interactionTarget", "@type": "@id"},
	}
}

// as2QuoteContext adds the quote terms to m's context when m (or its
// object) uses them.
func as2QuoteContext(m map[string]interface{}) {
	uses := func(o map[string]interface{}) bool {
		for _, k := range []string{"quote", "interactionPolicy", "interactingObject", "instrument"} {
			if _, ok := o[k]; ok {
				return true
			}
		}
		t, _ := o["type"].(string)
		return t == "QuoteRequest" || t == "QuoteAuthorization"
	}
	obj, _ := m["object"].(map[string]interface{})
	if !uses(m) && (obj == nil || !uses(obj)) {
		return
	}
	ctx := m["@context"].([]interface{})
	terms := ctx[len(ctx)-1].(map[string]interface{})
	for k, v := range as2QuoteTerms() {
		terms[k] = v
	}
}

// as2PatchQuote writes what a note quotes under the three names servers
// read, its authorization, and its quote policy.
func as2PatchQuote(m map[string]interface{}, d NoteDoc) {
	if d.Quote != "" {
		m["quote"], m["quoteUri"], m["_misskey_quote"] = d.Quote, d.Quote, d.Quote
		if d.QuoteAuthorization != "" {
			m["quoteAuthorization"] = d.QuoteAuthorization
		}
	}
	if d.CanQuote != nil {
		list := func(s []string) []interface{} {
			out := make([]interface{}, 0, len(s))
			for _, x := range s {
				out = append(out, x)
			}
			return out
		}
		m["interactionPolicy"] = map[string]interface{}{"canQuote": map[string]interface{}{
			"automaticApproval": list(d.CanQuote.Automatic), "manualApproval": list(d.CanQuote.Manual),
		}}
	}
}

// as2QuoteFrom reads what a received note quotes: FEP-044f's quote first,
// then Fedibird's quoteUri and Misskey's _misskey_quote (legacy quotes,
// without approval).
func as2QuoteFrom(d *NoteDoc, raw map[string]interface{}) {
	if raw == nil {
		return
	}
	if q := as2RawRef(raw["quote"]); q != "" {
		d.Quote = q
	} else if q := as2RawRef(raw["quoteUri"]); q != "" {
		d.Quote, d.QuoteLegacy = q, true
	} else if q := as2RawRef(raw["_misskey_quote"]); q != "" {
		d.Quote, d.QuoteLegacy = q, true
	} else if q := as2RawRef(raw["quoteUrl"]); q != "" {
		d.Quote, d.QuoteLegacy = q, true
	}
	d.QuoteAuthorization = as2RawRef(raw["quoteAuthorization"])
	if ip, ok := raw["interactionPolicy"].(map[string]interface{}); ok {
		if cq, ok := ip["canQuote"].(map[string]interface{}); ok {
			d.CanQuote = &QuotePolicy{Automatic: as2RawAudience(cq["automaticApproval"]), Manual: as2RawAudience(cq["manualApproval"])}
		}
	}
}

// as2QuoteActivityFrom reads the FEP-044f terms of an activity: a
// QuoteRequest's instrument (the quoting post, often embedded) and an
// Accept's result (the QuoteAuthorization).
func as2QuoteActivityFrom(d *ActivityDoc, raw map[string]interface{}) {
	d.Result = as2RawRef(raw["result"])
	d.Instrument = as2RawRef(raw["instrument"])
	if m, ok := raw["instrument"].(map[string]interface{}); ok {
		if t, err := as2Resolve(m); err == nil {
			if n, ok := t.(as2NoteLike); ok && as2IsNoteType(t.GetTypeName()) {
				d.InstrumentNote = as2NoteFrom(n, m)
			}
		}
	}
}

// quotePolicyDoc is a local post's canQuote, from its author's choice.
func (f *Federation) quotePolicyDoc(ctx context.Context, st *storage.Status, author *storage.Account) *QuotePolicy {
	p := &QuotePolicy{Automatic: []string{author.URI}, Manual: []string{}}
	switch f.social.QuotePolicyOf(ctx, st) {
	case social.QuotePolicyPublic:
		p.Automatic = append(p.Automatic, PublicCollection)
	case social.QuotePolicyFollowers:
		p.Automatic = append(p.Automatic, author.FollowersURL)
	}
	return p
}

// noteQuote fills in what local post st quotes and who may quote it.
func (f *Federation) noteQuote(ctx context.Context, st *storage.Status, author *storage.Account, n *NoteDoc) {
	n.CanQuote = f.quotePolicyDoc(ctx, st, author)
	qt, err := f.social.StoredQuote(ctx, st.ID)
	if err != nil {
		return
	}
	n.Quote = qt.QuotedURI
	if qt.State == social.QuoteAccepted {
		n.QuoteAuthorization = qt.AuthorizationURI
	}
}

// buildQuoteActivity builds the quote activities of p (FEP-044f); ok is
// false for other types.
func (f *Federation) buildQuoteActivity(ctx context.Context, actor *storage.Account, p social.PublishArgs) (out social.Outgoing, inboxes []string, ok bool, err error) {
	out = social.Outgoing{AccountID: actor.ID}
	var m map[string]interface{}
	switch p.Type {
	case social.PublishQuoteRequest:
		st, err := f.social.StatusByID(ctx, p.StatusID)
		if err != nil {
			return out, nil, true, err
		}
		qt, err := f.social.StoredQuote(ctx, st.ID)
		if err != nil {
			return out, nil, true, err
		}
		target, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, true, err
		}
		note, err := f.noteDoc(ctx, st, actor)
		if err != nil {
			return out, nil, true, err
		}
		noteMap, err := noteMap(note)
		if err != nil {
			return out, nil, true, err
		}
		m = map[string]interface{}{
			"id": qt.RequestURI, "type": "QuoteRequest", "actor": actor.URI, "to": []interface{}{target.URI},
			"object": qt.QuotedURI, "instrument": noteMap,
		}
		out.StatusID = st.ID
		inboxes = []string{inboxOf(target)}
	case social.PublishQuoteAccept, social.PublishQuoteReject:
		target, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, true, err
		}
		typ := "Accept"
		id := p.ObjectURI + "#accept"
		if p.Type == social.PublishQuoteReject {
			typ = "Reject"
			id = fmt.Sprintf("%s#rejects/quotes/%d", actor.URI, storage.NewID())
		}
		m = map[string]interface{}{
			"id": id, "type": typ, "actor": actor.URI, "to": []interface{}{target.URI},
			"object": map[string]interface{}{"id": p.ActivityURI, "type": "QuoteRequest", "actor": target.URI},
		}
		if typ == "Accept" {
			m["result"] = p.ObjectURI
		}
		inboxes = []string{inboxOf(target)}
	case social.PublishQuoteRevoke:
		target, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, true, err
		}
		m = map[string]interface{}{
			"id": p.ObjectURI + "#delete", "type": "Delete", "actor": actor.URI, "to": []interface{}{target.URI},
			"object": map[string]interface{}{"id": p.ObjectURI, "type": "QuoteAuthorization"},
		}
		inboxes = []string{inboxOf(target)}
	case social.PublishQuoteUpdate:
		st, note, err := f.statusNote(ctx, p.StatusID, actor, &out, &inboxes)
		if err != nil {
			return out, nil, true, err
		}
		now := time.Now().UTC()
		body, err := MarshalActivity(ActivityDoc{
			ID: fmt.Sprintf("%s#updates/quote/%d", st.URI, now.UnixNano()), Type: "Update", Actor: actor.URI,
			To: note.To, Cc: note.Cc, Published: now, ObjectID: st.URI, Note: note,
		})
		if err != nil {
			return out, nil, true, err
		}
		out.URI, out.Body = fmt.Sprintf("%s#updates/quote/%d", st.URI, now.UnixNano()), body
		return out, inboxes, true, nil
	default:
		return out, nil, false, nil
	}
	body, err := as2Finish(m)
	if err != nil {
		return out, nil, true, err
	}
	out.URI, out.Body = m["id"].(string), body
	return out, inboxes, true, nil
}

// noteMap is note as the JSON object MarshalNote writes, without context.
func noteMap(n NoteDoc) (map[string]interface{}, error) {
	t, err := as2BuildNote(n)
	if err != nil {
		return nil, err
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, err
	}
	as2PatchNote(m, n)
	delete(m, "@context")
	return m, nil
}

// quoteAuthorization serves our QuoteAuthorization of a quote of a local
// post (FEP-044f): the quoting server and others check it by its id.
func (f *Federation) quoteAuthorization(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		writeJSONError(w, http.StatusNotFound, "not found")
		return
	}
	qt, quoting, quoted, err := f.social.QuoteAuthorization(r.Context(), chi.URLParam(r, "username"), id)
	if err != nil {
		writeJSONError(w, http.StatusNotFound, "not found")
		return
	}
	body, err := as2Finish(map[string]interface{}{
		"id": qt.AuthorizationURI, "type": "QuoteAuthorization", "attributedTo": quoted.Account.URI,
		"interactingObject": quoting.URI, "interactionTarget": quoted.URI,
	})
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}

// receiveQuoteRequest answers a QuoteRequest for one of our posts: the
// embedded quoting post is kept first (its author need not be followed
// here), then its author's policy answers.
func (f *Federation) receiveQuoteRequest(ctx context.Context, actor *storage.Account, act *ActivityDoc) error {
	var quoting *storage.Status
	if n := act.InstrumentNote; n != nil && n.ID != "" && n.AttributedTo == actor.URI && sameHost(n.ID, actor.URI) {
		if n.Quote == "" {
			n.Quote = act.ObjectID
		}
		if err := f.receiveNoteAs(ctx, actor, n, true); err != nil {
			return err
		}
	}
	if act.Instrument != "" {
		quoting, _ = f.social.StatusByURI(ctx, act.Instrument)
	}
	return f.social.ReceiveQuoteRequest(ctx, actor, act.ID, act.ObjectID, quoting)
}

// receiveQuoteAnswer applies an Accept or Reject of one of our
// QuoteRequests; handled is false for any other Accept or Reject.
func (f *Federation) receiveQuoteAnswer(ctx context.Context, actor *storage.Account, act *ActivityDoc) (bool, error) {
	req := act.ObjectID
	if act.Activity != nil {
		req = act.Activity.ID
	}
	return f.social.ReceiveQuoteAnswer(ctx, actor, req, act.Type == "Accept", act.Result)
}

// verifyQuoteWorker fetches the QuoteAuthorization a received quote names
// and accepts the quote when the quoted post's server vouches for it.
type verifyQuoteWorker struct {
	river.WorkerDefaults[social.VerifyQuoteArgs]
	f *Federation
}

func (w *verifyQuoteWorker) Work(ctx context.Context, job *river.Job[social.VerifyQuoteArgs]) error {
	f := w.f
	qt, err := f.social.StoredQuote(ctx, job.Args.StatusID)
	if err != nil || qt.State != social.QuotePending || qt.AuthorizationURI == "" {
		return nil
	}
	quoting, err := f.social.StatusByID(ctx, qt.StatusID)
	if err != nil {
		return nil
	}
	uri := qt.AuthorizationURI
	if err := f.checkDomain(ctx, uri); err != nil {
		return river.JobCancel(err)
	}
	signer, err := f.instanceSigner(ctx)
	if err != nil {
		return err
	}
	body, err := f.client.Get(ctx, uri, signer)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 429 || errors.Is(err, ErrCrossHostRedirect) {
			return river.JobCancel(fmt.Errorf("fetch %s: %w", uri, err))
		}
		return fmt.Errorf("fetch %s: %w", uri, err)
	}
	raw, err := as2Decode(body)
	if err != nil {
		return river.JobCancel(err)
	}
	if as2RawString(raw["type"]) != "QuoteAuthorization" || as2RawRef(raw["id"]) != uri ||
		as2RawRef(raw["interactingObject"]) != quoting.URI || as2RawRef(raw["interactionTarget"]) != qt.QuotedURI ||
		!sameHost(uri, qt.QuotedURI) || !sameHost(as2RawRef(raw["attributedTo"]), qt.QuotedURI) {
		return river.JobCancel(fmt.Errorf("%s does not authorize %s quoting %s", uri, quoting.URI, qt.QuotedURI))
	}
	return f.social.ConfirmQuote(ctx, qt.StatusID)
}
