package app

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/delivery"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/kyc"
	"yuanxu/internal/store"
)

// Authority holds, address lookups and re-verification flags (issue 16
// item 6; clause 4.2; Cybersecurity Law arts. 21, 28; Anti-Telecom-Fraud
// Law art. 22).

// HoldInput places an authority hold on an account.
type HoldInput struct {
	LegalDocInput
	AccountID string `json:"account_id" maxLength:"64" example:"01936a9e-0000-7000-8000-000000000001"`
	Reason    string `json:"reason" maxLength:"500" example:"assist freezing order in a fraud investigation"`
}

// HoldView is an authority hold as staff see it.
type HoldView struct {
	ID          string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5ff0"`
	AccountID   string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Authority   string    `json:"authority" example:"北京市公安局海淀分局"`
	DocType     string    `json:"doc_type" example:"assist_notice"`
	DocNumber   string    `json:"doc_number" example:"京公（海）协冻字〔2026〕88号"`
	DocSHA256   string    `json:"doc_sha256,omitempty" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	DocFilename string    `json:"doc_filename,omitempty" example:"order.pdf"`
	Reason      string    `json:"reason" example:"assist freezing order in a fraud investigation"`
	PlacedBy    string    `json:"placed_by" example:"01936a9e-0000-7000-8000-000000000021"`
	PlacedAt    time.Time `json:"placed_at" example:"2026-11-26T10:00:00+08:00"`
	LiftedAt    time.Time `json:"lifted_at,omitzero" example:""`
	LiftedBy    string    `json:"lifted_by,omitempty" example:""`
	LiftReason  string    `json:"lift_reason,omitempty" example:""`
}

func holdView(r store.HoldRow) HoldView {
	return HoldView{ID: r.ID, AccountID: r.AccountID, Authority: r.Authority, DocType: r.DocType, DocNumber: r.DocNumber, DocSHA256: r.DocHash,
		DocFilename: r.DocFilename, Reason: r.Reason, PlacedBy: r.PlacedBy, PlacedAt: r.PlacedAt, LiftedAt: r.LiftedAt, LiftedBy: r.LiftedBy,
		LiftReason: r.LiftReason}
}

// PlaceHold records an authority's order holding a customer account
// (compliance.disclosure.manage) with its legal document: until it is
// lifted the account cannot be closed (a legal hold) and no money leaves
// for it: withdrawals are refused, and a gateway payout not yet sent (a
// refund to its original route, a withdrawal being paid) is held, not
// failed (holdPayout). Audited compliance.hold_placed.
func (a *App) PlaceHold(ctx context.Context, p account.Principal, in HoldInput) (HoldView, error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "authority_hold"}); err != nil {
		return HoldView{}, err
	}
	doc, fs := compliance.CheckLegalDoc(compliance.LegalDoc{Authority: in.Authority, Type: in.DocType, Number: in.DocNumber}, nil)
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || len([]rune(in.Reason)) > 500 {
		fs = append(fs, errs.FieldError{Field: "body.reason", Rule: "required", Params: map[string]any{"max": 500}})
	}
	if len(fs) > 0 {
		return HoldView{}, errs.E(errs.Op("app.PlaceHold"), errs.Invalid, compliance.CodeAuthorityInvalid, "the hold is incomplete", fs)
	}
	f, err := legalDocFile(in.LegalDocInput)
	if err != nil {
		return HoldView{}, err
	}
	var r store.HoldRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := checkSubjects(ctx, tx, []string{in.AccountID}, nil, ""); err != nil {
			return err
		}
		if f.Hash != "" {
			if err := tx.TicketBlobPut(ctx, f.Hash, f.ContentType, in.DocContent); err != nil {
				return err
			}
		}
		r = store.HoldRow{ID: id.NewAt(tx.Now), AccountID: in.AccountID, Authority: doc.Authority, DocType: doc.Type, DocNumber: doc.Number,
			DocHash: f.Hash, DocFilename: f.Name, Reason: in.Reason, PlacedBy: p.AccountID, PlacedAt: tx.Now}
		if err := tx.HoldInsert(ctx, r); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.hold_placed", SubjectType: "account", SubjectID: r.AccountID,
			Data: map[string]any{"hold": r.ID, "authority": r.Authority, "doc_type": r.DocType, "doc_number": r.DocNumber, "doc_sha256": r.DocHash,
				"reason": r.Reason}})
	})
	return holdView(r), err
}

// LiftHold lifts a hold in force (compliance.disclosure.manage) with the
// reason (the authority's release); a hold not in force is
// authority_hold.not_found. When no other hold on the account remains in
// force, the gateway payouts the hold kept back (refunds to the original
// route, withdrawals) are released to the next sweep (releaseHeldPayouts).
// Audited compliance.hold_lifted, with the number of payouts released.
func (a *App) LiftHold(ctx context.Context, p account.Principal, holdID, reason string) (HoldView, error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "authority_hold"}); err != nil {
		return HoldView{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 500 {
		return HoldView{}, errs.Invalidf(compliance.CodeAuthorityInvalid, "body.reason", "required", map[string]any{"max": 500})
	}
	var r store.HoldRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.HoldLift(ctx, holdID, p.AccountID, reason)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("authority_hold")
		}
		if r, err = store.HoldGet(ctx, tx, holdID); err != nil {
			return err
		}
		released, err := releaseHeldPayouts(ctx, tx, r.AccountID, payoutHeldAuthorityMark)
		if err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.hold_lifted", SubjectType: "account", SubjectID: r.AccountID,
			Data: map[string]any{"hold": r.ID, "reason": reason, "payouts_released": released}})
	})
	return holdView(r), err
}

// Holds lists authority holds, newest first (compliance.disclosure.manage):
// of one account when accountID is set; only those in force when inForce.
func (a *App) Holds(ctx context.Context, p account.Principal, accountID string, inForce bool) ([]HoldView, error) {
	if err := a.Authorize(ctx, p, permDisclosure, account.Object{Type: "authority_hold"}); err != nil {
		return nil, err
	}
	rs, err := store.Holds(ctx, a.db, accountID, inForce)
	if err != nil {
		return nil, err
	}
	out := make([]HoldView, 0, len(rs))
	for _, r := range rs {
		out = append(out, holdView(r))
	}
	return out, nil
}

// refuseIfHeld refuses paying out an account's balance while an authority
// hold is in force (compliance.authority_hold, Conflict). Withdrawals call
// it; so must any pay-back when an account ends (DESIGN.md §3, A14).
func refuseIfHeld(ctx context.Context, q store.Querier, accountID string) error {
	hs, err := store.Holds(ctx, q, accountID, true)
	if err != nil || len(hs) == 0 {
		return err
	}
	return &errs.Error{Kind: errs.Conflict, Code: compliance.CodeHeld, Msg: "an authority order holds this account's balance",
		Params: map[string]any{"clause": "4.2", "authority": hs[0].Authority, "doc_number": hs[0].DocNumber}}
}

// Closure blockers: legal hold codes this file registers.
const (
	HoldAuthority = "authority_hold"
	HoldOpenCase  = "violation_case_open"
	HoldAppeal    = "appeal_open"
)

// complianceLegalHolds are the compliance reasons an account cannot be
// closed (issue 16 "Done when"): an open violation case attributed to it
// (its evidence must be kept for the decision, clause 4.2) and an
// authority hold in force, and an appeal not yet decided (clause 6.2: the
// customer is owed a decision, and an overturn restores the account).
func complianceLegalHolds() []LegalHold {
	return []LegalHold{
		{Code: HoldOpenCase, Clause: "4.2", Check: func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error) {
			n, err := store.OpenCaseCount(ctx, q, accountID)
			return n > 0, map[string]any{"cases": n}, err
		}},
		{Code: HoldAuthority, Clause: "4.2", Check: func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error) {
			hs, err := store.Holds(ctx, q, accountID, true)
			if err != nil || len(hs) == 0 {
				return false, nil, err
			}
			return true, map[string]any{"holds": len(hs), "authority": hs[0].Authority}, nil
		}},
		{Code: HoldAppeal, Clause: "6.2", Check: func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error) {
			as, err := store.Appeals(ctx, q, store.AppealFilter{AccountID: accountID, States: []string{string(compliance.AppealOpen), string(compliance.AppealUnderReview)}})
			return len(as) > 0, map[string]any{"appeals": len(as)}, err
		}},
	}
}

// ClosureBlockers returns every reason the account cannot be closed now
// (the legal holds that apply), for the console and for use cases that
// end accounts; CloseAccount refuses with them.
func (a *App) ClosureBlockers(ctx context.Context, q store.Querier, accountID string) ([]HoldFinding, error) {
	return a.LegalHolds(ctx, q, accountID)
}

// LookupInput asks who held an address at an instant, and why.
type LookupInput struct {
	Address   string    `json:"address" maxLength:"64" example:"203.0.113.77" doc:"An IPv4 or IPv6 address, or a WireGuard peer address."`
	At        time.Time `json:"at" example:"2026-11-26T09:00:00+08:00"`
	Purpose   string    `json:"purpose" enum:"authority_request,abuse_investigation,fraud_investigation" example:"abuse_investigation"`
	Reference string    `json:"reference,omitempty" maxLength:"200" example:"case 01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fb0" doc:"The case, disclosure or document the lookup serves."`
}

// LookupView answers a lookup: whether anyone held the address then, the
// service and the account (its contact masked).
type LookupView struct {
	Address     string    `json:"address" example:"203.0.113.77"`
	At          time.Time `json:"at" example:"2026-11-26T09:00:00+08:00"`
	Held        bool      `json:"held" example:"true"`
	ServiceID   string    `json:"service_id,omitempty" example:"01936a9e-0000-7000-8000-0000000000a1"`
	AccountID   string    `json:"account_id,omitempty" example:"01936a9e-0000-7000-8000-000000000001"`
	AccountMask string    `json:"account_masked,omitempty" example:"b***r@example.com" doc:"The holder's contact, masked."`
	From        time.Time `json:"from,omitzero" example:"2026-11-01T10:00:00+08:00"`
	Until       time.Time `json:"until,omitzero" example:"" doc:"Zero: still held."`
}

// LookupAddress answers who held an address at an instant from the
// address history (compliance.case.read, with a purpose from
// compliance.LookupPurposes; Cybersecurity Law art. 21). IPv4, IPv6 and
// WireGuard peer addresses are all in the history (delivery records each
// assignment). Every lookup, answered or not, is audited
// compliance.address_lookup with its purpose and result.
func (a *App) LookupAddress(ctx context.Context, p account.Principal, in LookupInput) (LookupView, error) {
	const op = "app.LookupAddress"
	if err := a.Authorize(ctx, p, "compliance.case.read", account.Object{Type: "address_assignment"}); err != nil {
		return LookupView{}, err
	}
	var fs []errs.FieldError
	addr, err := netip.ParseAddr(strings.TrimSpace(in.Address))
	if err != nil {
		fs = append(fs, errs.FieldError{Field: "body.address", Rule: "ip"})
	}
	if !slices.Contains(compliance.LookupPurposes, in.Purpose) {
		fs = append(fs, errs.FieldError{Field: "body.purpose", Rule: "enum", Params: map[string]any{"values": strings.Join(compliance.LookupPurposes, ", ")}})
	}
	if in.At.IsZero() || in.At.After(a.Now()) {
		fs = append(fs, errs.FieldError{Field: "body.at", Rule: "not_future"})
	}
	if len(fs) > 0 {
		return LookupView{}, errs.E(errs.Op(op), errs.Invalid, compliance.CodeLookupInvalid, "the lookup is incomplete", fs)
	}
	canon := addr.WithZone("").Unmap().String()
	out := LookupView{Address: canon, At: in.At}
	rows, err := store.Assignments(ctx, a.db, canon, "")
	if err != nil {
		return LookupView{}, err
	}
	as := make([]delivery.Assignment, 0, len(rows))
	for _, r := range rows {
		as = append(as, delivery.Assignment{Address: r.Address, ServiceID: r.ServiceID, AccountID: r.AccountID, From: r.From, Until: r.Until})
	}
	h, held := delivery.HolderAt(as, canon, in.At)
	if held {
		out.Held, out.ServiceID, out.AccountID, out.From, out.Until = true, h.ServiceID, h.AccountID, h.From, h.Until
		if acc, err := store.AccountGet(ctx, a.db, h.AccountID); err == nil {
			out.AccountMask = acc.EmailMasked
			if out.AccountMask == "" {
				out.AccountMask = acc.PhoneMasked
			}
		}
	}
	in.Address = canon
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, addressLookupAudit(in, h, held))
	})
	return out, err
}

// addressLookupAudit is the audit event of one staff lookup of who held an
// address (LookupAddress, AddressHolder): compliance.address_lookup on the
// address, with the instant asked, the purpose and reference given, and
// what was found — the service and account ids only, never the holder's
// contact. The actor (the staff member) comes from the context.
func addressLookupAudit(in LookupInput, h delivery.Assignment, held bool) AuditEntry {
	if !held {
		h = delivery.Assignment{}
	}
	return AuditEntry{Action: "compliance.address_lookup", SubjectType: "address", SubjectID: in.Address,
		Data: map[string]any{"at": in.At, "purpose": in.Purpose, "reference": truncate(strings.TrimSpace(in.Reference), 200), "held": held,
			"service": h.ServiceID, "account": h.AccountID}}
}

// ReverifyInput flags an account for re-verification.
type ReverifyInput struct {
	Reason string `json:"reason" maxLength:"500" example:"identity documents reported stolen (ATFL 22)"`
	CaseID string `json:"case_id,omitempty" maxLength:"64" example:"" doc:"The violation case behind the flag, if one."`
}

// ReverifyView is an account's open re-verification flag.
type ReverifyView struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e6000"`
	AccountID string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Reason    string    `json:"reason" example:"identity documents reported stolen (ATFL 22)"`
	CaseID    string    `json:"case_id,omitempty" example:""`
	FlaggedBy string    `json:"flagged_by" example:"01936a9e-0000-7000-8000-000000000020"`
	FlaggedAt time.Time `json:"flagged_at" example:"2026-11-26T10:00:00+08:00"`
}

// FlagReverify sets reverify_required on a customer account (kyc.review;
// Anti-Telecom-Fraud Law art. 22, clause 4.2): checkout refuses with
// compliance.reverify_required until a new real-name submission is
// approved, which clears the flag. An approved KYC profile is sent back
// to reverify_required so that the customer is asked to submit again.
// A second flag while one is open is compliance.reverify_exists.
// Audited compliance.reverify_flagged.
func (a *App) FlagReverify(ctx context.Context, p account.Principal, accountID string, in ReverifyInput) (ReverifyView, error) {
	if err := a.Authorize(ctx, p, "kyc.review", account.Object{Type: "account"}); err != nil {
		return ReverifyView{}, err
	}
	in.Reason, in.CaseID = strings.TrimSpace(in.Reason), strings.TrimSpace(in.CaseID)
	if in.Reason == "" || len([]rune(in.Reason)) > 500 {
		return ReverifyView{}, errs.Invalidf(compliance.CodeAuthorityInvalid, "body.reason", "required", map[string]any{"max": 500})
	}
	var r store.ReverifyRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := checkSubjects(ctx, tx, []string{accountID}, nil, in.CaseID); err != nil {
			return err
		}
		if err := refuseIfReverifyOpen(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		r, err = a.flagReverifyTx(ctx, tx, p, accountID, in)
		return err
	})
	return reverifyView(r), err
}

// flagReverifyTx opens the re-verification flag in tx (FlagReverify; the
// caller has checked the subject and that no flag is open,
// refuseIfReverifyOpen) and sends an approved profile back to
// reverify_required with the reason as its note.
func (a *App) flagReverifyTx(ctx context.Context, tx *store.Tx, p account.Principal, accountID string, in ReverifyInput) (store.ReverifyRow, error) {
	r := store.ReverifyRow{ID: id.NewAt(tx.Now), AccountID: accountID, Reason: in.Reason, CaseID: in.CaseID, FlaggedBy: p.AccountID, FlaggedAt: tx.Now}
	if err := tx.ReverifyInsert(ctx, r); err != nil {
		return r, err
	}
	prof, err := kycProfile(ctx, tx, accountID)
	if err != nil {
		return r, err
	}
	if kyc.State(prof.State) == kyc.StateApproved {
		prof.State, prof.Reason, prof.Note, prof.UpdatedAt = string(kyc.StateReverifyRequired), string(kyc.ReasonRiskFlagged), in.Reason, tx.Now
		if err := tx.KYCProfilePut(ctx, prof); err != nil {
			return r, err
		}
	}
	return r, a.Audit(ctx, tx, AuditEntry{Action: "compliance.reverify_flagged", SubjectType: "account", SubjectID: accountID,
		Data: map[string]any{"flag": r.ID, "reason": r.Reason, "case": r.CaseID, "kyc_state": prof.State}})
}

// refuseIfReverifyOpen answers compliance.reverify_exists (Conflict) when a
// re-verification flag is open on the account already.
func refuseIfReverifyOpen(ctx context.Context, q store.Querier, accountID string) error {
	if _, open, err := store.ReverifyOpen(ctx, q, accountID); err != nil || !open {
		return err
	}
	return &errs.Error{Kind: errs.Conflict, Code: "compliance.reverify_exists", Msg: "the account is flagged already"}
}

func reverifyView(r store.ReverifyRow) ReverifyView {
	return ReverifyView{ID: r.ID, AccountID: r.AccountID, Reason: r.Reason, CaseID: r.CaseID, FlaggedBy: r.FlaggedBy, FlaggedAt: r.FlaggedAt}
}

// ReverifyFlag returns the account's open flag (kyc.review): ok=false
// when none is open.
func (a *App) ReverifyFlag(ctx context.Context, p account.Principal, accountID string) (ReverifyView, bool, error) {
	if err := a.Authorize(ctx, p, "kyc.review", account.Object{Type: "account"}); err != nil {
		return ReverifyView{}, false, err
	}
	r, ok, err := store.ReverifyOpen(ctx, a.db, accountID)
	return reverifyView(r), ok, err
}

// checkReverify refuses a purchase by an account with an open flag:
// Conflict compliance.reverify_required naming clause 4.2 and ATFL
// art. 22 (checkout calls it whatever kyc.required_before says).
func checkReverify(ctx context.Context, q store.Querier, accountID string) error {
	var r store.ReverifyRow
	var open bool
	var err error
	if m, ok := memoPeek[reverifyAnswer](ctx, memoReverify+accountID); ok && onPool(q) { // a checkout's (prefetchCheckout)
		r, open = m.row, m.open
	} else {
		r, open, err = store.ReverifyOpen(ctx, q, accountID)
	}
	if err != nil || !open {
		return err
	}
	return &errs.Error{Kind: errs.Conflict, Code: compliance.CodeReverify,
		Msg:    "verify your real-name information again before buying: compliance requires it (clause 4.2; Anti-Telecom-Fraud Law art. 22)",
		Params: map[string]any{"clause": "4.2", "law": "ATFL 22", "since": r.FlaggedAt}}
}

// reverifyFlagged reports whether the account has an open flag (a new
// KYC submission then goes to a person, never approved automatically).
func reverifyFlagged(ctx context.Context, q store.Querier, accountID string) (bool, error) {
	_, open, err := store.ReverifyOpen(ctx, q, accountID)
	return open, err
}

// clearReverify clears the account's open flags when a KYC submission is
// approved (kycDecide calls it in its transaction); audited
// compliance.reverify_cleared when one was open.
func (a *App) clearReverify(ctx context.Context, tx *store.Tx, accountID, submissionID string) error {
	n, err := tx.ReverifyClear(ctx, accountID, submissionID)
	if err != nil || n == 0 {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "compliance.reverify_cleared", SubjectType: "account", SubjectID: accountID,
		Data: map[string]any{"submission": submissionID, "flags": n}})
}
