package app

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// AgreementVersion is one stored agreement version as callers see it. Doc
// is the parsed document (nil in lists); Source is the Markdown as stored
// (empty in lists).
type AgreementVersion struct {
	ID, Origin, Title, SHA256, Note string
	State                           agreement.State
	PreparedBy, SignedOffBy         string
	Material                        bool
	CreatedAt, UpdatedAt            time.Time
	ScheduledAt, EffectiveAt        time.Time
	SupersededAt                    time.Time
	SupersededBy                    string
	Source                          string
	Doc                             *agreement.Document
}

// parsedDocs caches parsed documents, with their source, by SHA256 of
// their source: a document is immutable and content-addressed, so every App
// may share it.
var parsedDocs sync.Map // sha256 of the stored source → parsedDoc

type parsedDoc struct {
	doc    *agreement.Document
	source string
}

// parseStored parses a stored version's source (cached).
func parseStored(r store.AgreementVersionRow) (*agreement.Document, error) {
	if d, ok := parsedDocs.Load(r.SHA256); ok {
		return d.(parsedDoc).doc, nil
	}
	d, err := agreement.Parse("version "+r.ID, []byte(r.Source))
	if err != nil {
		return nil, errs.E(errs.Op("app.parseStored"), errs.Internal, "agreement.stored_unparsable", "stored version "+r.ID+" does not parse", err)
	}
	parsedDocs.Store(r.SHA256, parsedDoc{doc: d, source: r.Source})
	return d, nil
}

// completeHead completes a version row read without its source
// (store.AgreementVersionHead*) from the parse cache — the SHA256 names the
// source exactly — or, on a miss, reads the whole row by id and parses it.
func (a *App) completeHead(ctx context.Context, head store.AgreementVersionRow) (store.AgreementVersionRow, *agreement.Document, error) {
	if d, ok := parsedDocs.Load(head.SHA256); ok {
		head.Source = d.(parsedDoc).source
		return head, d.(parsedDoc).doc, nil
	}
	r, err := store.AgreementVersionGet(ctx, a.db, head.ID)
	if err != nil {
		return r, nil, err
	}
	doc, err := parseStored(r)
	return r, doc, err
}

// docOf returns the parsed document of r, which may be a head row (no
// source): from the parse cache by its SHA256, or else by reading the
// whole row through q (inside a transaction, q is the transaction: a read
// on the pool while it holds a connection could wait for itself).
func docOf(ctx context.Context, q store.Querier, r store.AgreementVersionRow) (*agreement.Document, error) {
	if d, ok := parsedDocs.Load(r.SHA256); ok {
		return d.(parsedDoc).doc, nil
	}
	if r.Source == "" {
		full, err := store.AgreementVersionGet(ctx, q, r.ID)
		if err != nil {
			return nil, err
		}
		r = full
	}
	return parseStored(r)
}

// docOfOrder is the document of the agreement version an order was
// placed under. The order records the version's SHA-256, by which docOf
// keeps every document it parsed, so an order under a version this
// process has seen costs no read; otherwise the head is read through q.
func docOfOrder(ctx context.Context, q store.Querier, r store.OrderRow) (*agreement.Document, error) {
	if d, ok := parsedDocs.Load(r.AgreementSHA256); ok {
		return d.(parsedDoc).doc, nil
	}
	vr, err := store.AgreementVersionHeadGet(ctx, q, r.AgreementVersionID)
	if err != nil {
		return nil, err
	}
	return docOf(ctx, q, vr)
}

// seedOrderPolicy lets policy.For answer for order o without a read when
// this process has parsed o's agreement document already (by its SHA-256,
// as docOfOrder): the request memo learns the order's version and that
// version's policy set, both immutable. Without a memo it does nothing.
func seedOrderPolicy(ctx context.Context, o store.OrderRow) {
	d, ok := parsedDocs.Load(o.AgreementSHA256)
	if !ok || o.AgreementVersionID == "" || d.(parsedDoc).doc.Policy == nil {
		return
	}
	memoSeed(ctx, "order.version:"+o.ID, o.AgreementVersionID)
	memoSeed(ctx, "agreement.set:"+o.AgreementVersionID, d.(parsedDoc).doc.Policy)
}

func versionView(r store.AgreementVersionRow, doc *agreement.Document) AgreementVersion {
	return AgreementVersion{ID: r.ID, Origin: r.Origin, Title: r.Title, SHA256: r.SHA256, Note: r.Note, State: agreement.State(r.State),
		PreparedBy: r.PreparedBy, SignedOffBy: r.SignedOffBy, Material: r.Material, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		ScheduledAt: r.ScheduledAt, EffectiveAt: r.EffectiveAt, SupersededAt: r.SupersededAt, SupersededBy: r.SupersededBy,
		Source: r.Source, Doc: doc}
}

// domainVersion turns a stored row into the domain's Version.
func domainVersion(r store.AgreementVersionRow, doc *agreement.Document) agreement.Version {
	return agreement.Version{ID: r.ID, Doc: doc, State: agreement.State(r.State), PreparedBy: r.PreparedBy, SignedOffBy: r.SignedOffBy,
		Material: r.Material, ScheduledAt: r.ScheduledAt, EffectiveAt: r.EffectiveAt, SupersededAt: r.SupersededAt, SupersededBy: r.SupersededBy}
}

// initAgreements runs on every start (app.New): the embedded default
// agreement becomes the effective version of a database that has none, and
// the sweep that brings scheduled versions into force is registered. Two
// instances starting at once store one default: the partial unique indexes
// on agreement_version (one builtin, one effective) make the loser's insert
// a no-op.
func (a *App) initAgreements(ctx context.Context) error {
	a.RegisterSweep("agreement.activate", a.sweepAgreementActivation)
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := store.AgreementVersionInForce(ctx, tx, tx.Now); err == nil || !store.IsNotFound(err) {
			return err
		}
		doc := agreement.Default()
		r := store.AgreementVersionRow{ID: id.NewAt(tx.Now), Origin: store.AgreementOriginBuiltin, Title: doc.Title,
			Source: string(agreement.DefaultSource()), SHA256: doc.SHA256, State: string(agreement.StateEffective),
			Note: "the project's default agreement", PreparedBy: "system", CreatedAt: tx.Now, UpdatedAt: tx.Now,
			ScheduledAt: tx.Now, EffectiveAt: tx.Now}
		ok, err := tx.AgreementVersionInsert(ctx, r)
		if err != nil || !ok {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "agreement.default_effective", SubjectType: "agreement_version", SubjectID: r.ID,
			Data: map[string]any{"sha256": r.SHA256}})
	})
}

// agreementSource is the database-backed policy.Source: versions and
// acceptance records as stored.
//
// VersionForOrder answers the version the order recorded at checkout,
// where the customer accepted it with the key clauses ticked one by one
// (the checkout acceptance record carries the order id). An order that
// does not exist is policy's NotFound.
type agreementSource struct{ a *App }

var _ policy.Source = agreementSource{}

func (s agreementSource) VersionForOrder(ctx context.Context, orderID string) (string, error) {
	// One column, memoized for a safe request (request_memo.go): an
	// order's recorded version never changes.
	return memoized(ctx, "order.version:"+orderID, func() (string, error) {
		v, err := store.OrderAgreementVersion(ctx, s.a.db, orderID)
		if store.IsNotFound(err) {
			return "", errs.E(errs.Op("app.VersionForOrder"), errs.NotFound, "order.not_found", "no order "+orderID, errs.ErrNotFound)
		}
		return v, err
	})
}

func (s agreementSource) VersionAcceptedBefore(ctx context.Context, customerID string, at time.Time) (string, bool, error) {
	// A checkout's read (prefetchCheckout), for an instant of the same
	// request at or after it, as headInForceAt answers the version in force.
	if m, ok := memoPeek[acceptedBefore](ctx, memoAcceptedBy+customerID); ok && !at.Before(m.at) && at.Sub(m.at) < requestSpan {
		return m.version, m.ok, nil
	}
	return store.AcceptanceLatestBefore(ctx, s.a.db, customerID, at)
}

func (s agreementSource) VersionInForce(ctx context.Context, at time.Time) (string, error) {
	r, err := headInForceAt(ctx, s.a.db, at) // the id only: not the source text
	if err != nil {
		if store.IsNotFound(err) {
			return "", errs.E(errs.Op("app.VersionInForce"), errs.NotFound, "agreement.none_in_force", "no agreement version in force", errs.ErrNotFound)
		}
		return "", err
	}
	return r.ID, nil
}

func (s agreementSource) SetForVersion(ctx context.Context, versionID string) (*policy.Set, error) {
	return memoized(ctx, "agreement.set:"+versionID, func() (*policy.Set, error) { return s.setForVersion(ctx, versionID) })
}

func (s agreementSource) setForVersion(ctx context.Context, versionID string) (*policy.Set, error) {
	h, err := headOf(ctx, s.a.db, versionID)
	if err != nil {
		if store.IsNotFound(err) {
			return nil, errs.E(errs.Op("app.SetForVersion"), errs.NotFound, "policy.version_not_found", "no agreement version "+versionID, errs.ErrNotFound)
		}
		return nil, err
	}
	_, doc, err := s.a.completeHead(ctx, h)
	if err != nil {
		if store.IsNotFound(err) {
			return nil, errs.E(errs.Op("app.SetForVersion"), errs.NotFound, "policy.version_not_found", "no agreement version "+versionID, errs.ErrNotFound)
		}
		return nil, err
	}
	return doc.Policy, nil
}

// errVersionNotFound is the answer for a version that does not exist or
// that the caller may not see (a draft, for the public).
func errVersionNotFound() error {
	return &errs.Error{Kind: errs.NotFound, Code: "agreement.version_not_found", Msg: "no such agreement version"}
}

// canDraft reports whether p may see drafts.
func canDraft(p *account.Principal) bool {
	return p != nil && account.Can(*p, "agreement.draft", account.Object{Type: "agreement_version"}).Allowed
}

// AgreementCurrent returns the version in force now, parsed. Within a safe
// request it is read once (request_memo.go): "now" is the request's.
func (a *App) AgreementCurrent(ctx context.Context) (AgreementVersion, error) {
	return memoized(ctx, "agreement.current", func() (AgreementVersion, error) { return a.agreementCurrent(ctx) })
}

func (a *App) agreementCurrent(ctx context.Context) (AgreementVersion, error) {
	// Through the request memo: it also answers the head of that version
	// by id, which the policy of the same request reads (headOf).
	h, err := headInForceNow(ctx, a.db, a.Now())
	if err != nil {
		if store.IsNotFound(err) {
			return AgreementVersion{}, errVersionNotFound()
		}
		return AgreementVersion{}, err
	}
	r, doc, err := a.completeHead(ctx, h)
	if err != nil {
		return AgreementVersion{}, err
	}
	return versionView(r, doc), nil
}

// AgreementVersions lists versions newest first, without their text. The
// public (p nil, or without agreement.draft) sees scheduled, effective and
// superseded versions; staff who draft also see drafts.
func (a *App) AgreementVersions(ctx context.Context, p *account.Principal) ([]AgreementVersion, error) {
	f := store.AgreementVersionFilter{States: []string{"scheduled", "effective", "superseded"}}
	if canDraft(p) {
		f.States = nil
	}
	rs, err := store.AgreementVersions(ctx, a.db, f)
	if err != nil {
		return nil, err
	}
	out := make([]AgreementVersion, 0, len(rs))
	for _, r := range rs {
		out = append(out, versionView(r, nil))
	}
	return out, nil
}

// AgreementVersionGet returns one version with its text. A draft is
// agreement.version_not_found for anyone who may not draft.
func (a *App) AgreementVersionGet(ctx context.Context, p *account.Principal, versionID string) (AgreementVersion, error) {
	if versionID == "" {
		return AgreementVersion{}, errVersionNotFound()
	}
	r, err := store.AgreementVersionGet(ctx, a.db, versionID)
	if store.IsNotFound(err) || err == nil && r.State == string(agreement.StateDraft) && !canDraft(p) {
		return AgreementVersion{}, errVersionNotFound()
	}
	if err != nil {
		return AgreementVersion{}, err
	}
	doc, err := parseStored(r)
	if err != nil {
		return AgreementVersion{}, err
	}
	return versionView(r, doc), nil
}

// AgreementDiff compares two versions clause by clause (from → to).
func (a *App) AgreementDiff(ctx context.Context, p *account.Principal, fromID, toID string) (from, to AgreementVersion, diff []agreement.ClauseDiff, err error) {
	if from, err = a.AgreementVersionGet(ctx, p, fromID); err != nil {
		return
	}
	if to, err = a.AgreementVersionGet(ctx, p, toID); err != nil {
		return
	}
	return from, to, agreement.Diff(from.Doc, to.Doc), nil
}

// maskIP keeps the network part of a client address for views and logs.
func maskIP(s string) string {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	if ip.Is4() || ip.Is4In6() {
		b := ip.Unmap().As4()
		return netip.AddrFrom4([4]byte{b[0], b[1], b[2], 0}).String() + "/24"
	}
	p, _ := ip.Prefix(48)
	return p.String()
}

// clientAddr is the actor's address for an acceptance record; a context
// without one (in-process callers) records the unspecified address.
func clientAddr(ctx context.Context) netip.Addr {
	if ip, err := netip.ParseAddr(strings.TrimSpace(ActorFrom(ctx).ClientIP)); err == nil {
		return ip
	}
	return netip.IPv4Unspecified()
}

// clauseIDs converts clause ids for the domain.
func clauseIDs(ss []string) []agreement.ClauseID {
	out := make([]agreement.ClauseID, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, agreement.ClauseID(s))
		}
	}
	return out
}

func clauseStrings(ids []agreement.ClauseID) []string {
	out := make([]string, len(ids))
	for i, c := range ids {
		out[i] = string(c)
	}
	return out
}

var errNoSuchClause = errors.New("no such clause")
