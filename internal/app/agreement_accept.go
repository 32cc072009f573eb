package app

import (
	"context"
	"slices"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// AcceptInput is an explicit acceptance of one version (SPC interpretation
// art. 10: every key clause acknowledged on its own; a single checkbox is
// not enough). SHA256, when given, must be the text the customer was shown.
type AcceptInput struct {
	VersionID    string
	SHA256       string
	Acknowledged []string // clause ids ticked one by one
	Explained    []string // clause ids whose explanation was opened
	Channel      agreement.Channel
	UserAgent    string
	ResellerID   string // the inviting reseller for a reseller invitation
}

// Acceptance is a stored proof of acceptance, IP masked.
type Acceptance = store.AcceptanceRow

// prepareAcceptance checks in against the version (the one in force at
// now when in.VersionID is empty) and returns the record to store for
// accountID. Errors are agreement.ValidateAcceptance's (key clauses not
// acknowledged: agreement.key_clause_not_acknowledged, Invalid, naming
// them), with field names under prefix ("body.").
func (a *App) prepareAcceptance(ctx context.Context, q store.Querier, accountID string, in AcceptInput, occasion string) (store.AcceptanceRow, error) {
	now := a.Now()
	var r store.AgreementVersionRow
	var err error
	if in.VersionID == "" {
		r, err = headInForceNow(ctx, q, now)
	} else {
		r, err = headOf(ctx, q, in.VersionID)
	}
	if store.IsNotFound(err) || err == nil && r.State == string(agreement.StateDraft) {
		return store.AcceptanceRow{}, errVersionNotFound()
	}
	if err != nil {
		return store.AcceptanceRow{}, err
	}
	doc, err := docOf(ctx, q, r)
	if err != nil {
		return store.AcceptanceRow{}, err
	}
	sha := in.SHA256
	if sha == "" {
		sha = doc.SHA256
	}
	if in.Channel == "" {
		in.Channel = agreement.ChannelWeb
	}
	ip := clientAddr(ctx)
	acc := agreement.Acceptance{AccountID: accountID, VersionID: r.ID, SHA256: sha, Acknowledged: clauseIDs(in.Acknowledged),
		Explained: clauseIDs(in.Explained), At: now, IP: ip, UserAgent: in.UserAgent, Channel: in.Channel, ResellerID: in.ResellerID}
	if acc.AccountID == "" {
		acc.AccountID = "pending" // registration: the account id is made inside the transaction
	}
	if err := agreement.ValidateAcceptance(acc, domainVersion(r, doc)); err != nil {
		return store.AcceptanceRow{}, err
	}
	return store.AcceptanceRow{AccountID: accountID, VersionID: r.ID, SHA256: strings.ToLower(doc.SHA256),
		Acknowledged: clauseStrings(acc.Acknowledged), Explained: clauseStrings(acc.Explained), Occasion: occasion,
		IPMasked: maskIP(ip.String()), UserAgent: in.UserAgent, Channel: string(in.Channel), ResellerID: in.ResellerID}, nil
}

// insertAcceptance seals the address and stores the record in tx.
func (a *App) insertAcceptance(ctx context.Context, tx *store.Tx, r store.AcceptanceRow) (store.AcceptanceRow, error) {
	r.ID, r.At = id.NewAt(tx.Now), tx.Now
	var err error
	if r.IPEnc, err = a.seal("agreement_acceptance", "ip", r.ID, clientAddr(ctx).String()); err != nil {
		return r, err
	}
	if err := tx.AcceptanceInsert(ctx, r); err != nil {
		return r, err
	}
	return r, a.Audit(ctx, tx, AuditEntry{Action: "agreement.accepted", SubjectType: "account", SubjectID: r.AccountID,
		Data: map[string]any{"version_id": r.VersionID, "sha256": r.SHA256, "acknowledged": r.Acknowledged, "occasion": r.Occasion, "channel": r.Channel}})
}

// AgreementAccept records p's explicit acceptance of a version (scheduled or
// effective): after a material revision, a customer accepts the new
// version here. Needs agreement.accept on the customer's own account; a
// reseller cannot accept for a customer (reach: own account only).
func (a *App) AgreementAccept(ctx context.Context, p account.Principal, in AcceptInput) (Acceptance, error) {
	if err := a.Authorize(ctx, p, "agreement.accept", account.Object{Type: "account", OwnerAccountID: p.AccountID}); err != nil {
		return Acceptance{}, err
	}
	accountID := p.AccountID
	if p.Kind == account.KindSubUser && p.OwnerID != "" {
		accountID = p.OwnerID // what a sub-user does binds its enterprise
	}
	if p.ViaAPIKey && in.Channel == agreement.ChannelWeb {
		in.Channel = agreement.ChannelAPI
	}
	row, err := a.prepareAcceptance(ctx, a.db, accountID, in, store.OccasionReacceptance)
	if err != nil {
		return Acceptance{}, err
	}
	var out store.AcceptanceRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		out, err = a.insertAcceptance(ctx, tx, row)
		return err
	})
	out.IPEnc = ""
	return out, err
}

// AgreementAcceptances lists acceptance records, newest first: a customer
// its own (accountID ignored), staff with account.read_any or
// agreement.draft any account's ("" for all). Addresses are masked.
func (a *App) AgreementAcceptances(ctx context.Context, p account.Principal, accountID string, limit int) ([]Acceptance, error) {
	f := store.AcceptanceFilter{AccountID: accountID, Limit: limit}
	if p.Kind == account.KindStaff {
		if !account.Can(p, "account.read_any", account.Object{}).Allowed {
			if err := a.Authorize(ctx, p, "agreement.draft", account.Object{Type: "agreement_version"}); err != nil {
				return nil, err
			}
		}
	} else {
		if err := a.Authorize(ctx, p, "agreement.accept", account.Object{Type: "account", OwnerAccountID: p.AccountID}); err != nil {
			return nil, err
		}
		f.AccountID = p.AccountID
		if p.Kind == account.KindSubUser && p.OwnerID != "" {
			f.AccountID = p.OwnerID
		}
	}
	rs, err := store.Acceptances(ctx, a.db, f)
	for i := range rs {
		rs[i].IPEnc = ""
	}
	return rs, err
}

// AgreementMyAcceptances lists the signed-in customer's acceptance records
// (a sub-user's: its enterprise's), newest first; agreement.accept on its
// own account (staff have no acceptances: Forbidden).
func (a *App) AgreementMyAcceptances(ctx context.Context, p account.Principal) ([]Acceptance, error) {
	if err := a.Authorize(ctx, p, "agreement.accept", account.Object{Type: "account", OwnerAccountID: p.AccountID}); err != nil {
		return nil, err
	}
	return a.AgreementAcceptances(ctx, p, "", 500)
}

// AgreementNeedsAcceptance reports whether the customer must accept the
// version in force again: it is a material revision they have not
// accepted (clause 9.4). Auto-renewal and checkout read it.
func (a *App) AgreementNeedsAcceptance(ctx context.Context, accountID string) (bool, AgreementVersion, error) {
	cur, err := a.AgreementCurrent(ctx)
	if err != nil {
		return false, cur, err
	}
	if !cur.Material {
		return false, cur, nil
	}
	rs, err := store.Acceptances(ctx, a.db, store.AcceptanceFilter{AccountID: accountID, VersionID: cur.ID, Limit: 1})
	return err == nil && len(rs) == 0, cur, err
}

// Explanation is the plain-language explanation of one clause.
type Explanation struct {
	VersionID, ClauseID string
	Title, Text         string // in the requested language
	Key                 bool
}

// AgreementExplain returns a clause's explanation in lang and logs the
// request (who, which version and clause, when, masked address): the
// drafter must be able to prove that it explained on request. Anyone may
// ask (p nil: not signed in). A clause without an explanation answers its
// own text. Unknown versions or clauses: agreement.version_not_found /
// agreement.clause_not_found (NotFound).
func (a *App) AgreementExplain(ctx context.Context, p *account.Principal, versionID, clauseID, lang, channel string) (Explanation, error) {
	v, err := a.AgreementVersionGet(ctx, p, versionID)
	if err != nil {
		return Explanation{}, err
	}
	c, ok := v.Doc.Clause(agreement.ClauseID(clauseID))
	if !ok {
		return Explanation{}, &errs.Error{Kind: errs.NotFound, Code: "agreement.clause_not_found", Msg: "no such clause", Err: errNoSuchClause}
	}
	title, body := c.In(lang)
	text := c.Explain.In(lang)
	if text == "" {
		text = body
	}
	if !slices.Contains([]string{"web", "api"}, channel) {
		channel = "web"
	}
	var acct string
	if p != nil {
		acct = p.AccountID
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.AgreementExplainInsert(ctx, store.AgreementExplainRow{ID: id.NewAt(tx.Now), AccountID: acct, VersionID: v.ID,
			ClauseID: string(c.ID), Lang: lang, IPMasked: maskIP(ActorFrom(ctx).ClientIP), Channel: channel, At: tx.Now})
	})
	return Explanation{VersionID: v.ID, ClauseID: string(c.ID), Title: title, Text: text, Key: c.Key}, err
}

// AgreementExplainLog lists the explanation requests of the signed-in
// customer (or, for staff with agreement.draft or account.read_any, of
// accountID).
func (a *App) AgreementExplainLog(ctx context.Context, p account.Principal, accountID string) ([]store.AgreementExplainRow, error) {
	if !(p.Kind == account.KindStaff) {
		accountID = p.AccountID
	} else if !account.Can(p, "account.read_any", account.Object{}).Allowed {
		if err := a.Authorize(ctx, p, "agreement.draft", account.Object{Type: "agreement_version"}); err != nil {
			return nil, err
		}
	}
	return store.AgreementExplains(ctx, a.db, accountID, 500)
}
