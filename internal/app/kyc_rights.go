package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// Data rights (PIPL arts. 44–47; clause 6.2): a copy of one's data, its
// correction (by re-verification: KYCSubmit), account closure refused with
// the reason while a legal hold exists, and retention that purges KYC data
// retention.kyc_after_closure_years after closure unless a hold remains.

// LegalHold is one reason an account's data must be kept and its closure
// refused (an open review, a measure under a case; later: unsettled
// balances, open refunds, authority requests). Check reports whether the
// hold applies to the account now, with params for the message; it runs
// inside the caller's transaction or on the reader and must only read.
type LegalHold struct {
	Code   string // stable; the catalog key is "hold.<code>"
	Clause string // the clause or law the hold rests on
	Check  func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error)
}

// HoldFinding is a hold that applies to an account.
type HoldFinding struct {
	Code   string         `json:"code" example:"kyc_review_in_progress"`
	Clause string         `json:"clause" example:"6.2"`
	Params map[string]any `json:"params,omitempty"`
}

// Legal hold codes defined here; later capabilities register theirs.
const (
	HoldKYCReview = "kyc_review_in_progress"
	HoldStanding  = "standing_measure"
)

func builtinLegalHolds() []LegalHold {
	return append([]LegalHold{
		{Code: HoldKYCReview, Clause: kyc.Clause, Check: func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error) {
			p, err := kycProfile(ctx, q, accountID)
			if err != nil {
				return false, nil, err
			}
			s := kyc.State(p.State)
			return s == kyc.StatePending || s == kyc.StateInfoRequested, map[string]any{"state": p.State}, nil
		}},
		// A ban or suspension in force: the case and its evidence must be
		// kept for the appeal (clause 6.2) and any authority request.
		{Code: HoldStanding, Clause: "6.2", Check: func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error) {
			st, err := loadStanding(ctx, q, accountID)
			if err != nil {
				return false, nil, err
			}
			for _, m := range []*account.Measure{st.Banned, st.Suspended} {
				if m != nil {
					return true, map[string]any{"flag": string(m.Flag), "case_ref": m.CaseRef}, nil
				}
			}
			return false, nil, nil
		}},
	}, append(commerceLegalHolds(), complianceLegalHolds()...)...)
}

// RegisterLegalHold adds a hold that closure and the retention purge
// respect. Call it while wiring (before Start); a duplicate code panics.
func (a *App) RegisterLegalHold(h LegalHold) {
	s := a.kycs()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.holds {
		if x.Code == h.Code {
			panic("app: legal hold registered twice: " + h.Code)
		}
	}
	s.holds = append(s.holds, h)
}

// LegalHolds returns the holds that apply to the account now, in
// registration order.
func (a *App) LegalHolds(ctx context.Context, q store.Querier, accountID string) ([]HoldFinding, error) {
	s := a.kycs()
	s.mu.Lock()
	holds := append([]LegalHold(nil), s.holds...)
	s.mu.Unlock()
	var out []HoldFinding
	for _, h := range holds {
		ok, params, err := h.Check(ctx, q, accountID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, HoldFinding{Code: h.Code, Clause: h.Clause, Params: params})
		}
	}
	return out, nil
}

// CodeClosureHeld: closure refused while a legal hold applies (Conflict;
// params holds: the hold codes).
const CodeClosureHeld = "account.closure_held"

// CloseAccount closes the customer's own account at its request
// (account.close). While any legal hold applies it is refused with
// Conflict account.closure_held naming every hold, and the refusal is
// audited (account.closure_refused); otherwise the account is closed, its
// sessions end, retention of its KYC data starts, and account.closed is
// audited.
func (a *App) CloseAccount(ctx context.Context, p account.Principal, accountID string) error {
	var refusal error
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		refusal = nil
		l, err := loadAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ctx, p, "account.close", l.object()); err != nil {
			return err
		}
		if err := account.MoveState(account.State(l.row.State), account.StateClosed); err != nil {
			return err
		}
		holds, err := a.LegalHolds(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if len(holds) > 0 {
			codes := make([]string, len(holds))
			for i, h := range holds {
				codes[i] = h.Code
			}
			refusal = &errs.Error{Kind: errs.Conflict, Code: CodeClosureHeld, Msg: "the account cannot be closed while a legal hold applies",
				Params: map[string]any{"holds": codes}}
			return a.Audit(ctx, tx, AuditEntry{Action: "account.closure_refused", SubjectType: "account", SubjectID: accountID,
				Data: map[string]any{"holds": holds}})
		}
		n, err := endAccount(ctx, tx, l.row)
		if err != nil {
			return err
		}
		// What is left of the balance goes back to its routes (DESIGN.md
		// §3 "when an account ends"): refund credit included.
		if err := a.closeWallet(ctx, tx, accountID); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.closed", SubjectType: "account", SubjectID: accountID,
			Data: map[string]any{"by": "holder", "sessions_ended": n}})
	})
	if err != nil {
		return err
	}
	return refusal
}

// endAccount closes the account row in tx: its state becomes closed, its
// sessions end and the retention of its KYC data starts (the closure at
// the holder's request and the end after a final ban share it; the
// balance is the caller's). It returns how many sessions ended.
func endAccount(ctx context.Context, tx *store.Tx, row store.AccountRow) (int64, error) {
	if err := account.MoveState(account.State(row.State), account.StateClosed); err != nil {
		return 0, err
	}
	row.State, row.UpdatedAt = string(account.StateClosed), tx.Now
	if err := tx.AccountUpdate(ctx, row); err != nil {
		return 0, err
	}
	n, err := tx.SessionEndAll(ctx, row.ID, string(account.EndDisabled), "")
	if err != nil {
		return 0, err
	}
	prof, err := kycProfile(ctx, tx, row.ID)
	if err != nil {
		return 0, err
	}
	prof.ClosedAt, prof.UpdatedAt = tx.Now, tx.Now
	return n, tx.KYCProfilePut(ctx, prof)
}

// DataExport is a customer's copy of its personal information (PIPL art.
// 45), in clear: it goes only to the customer itself.
type DataExport struct {
	ExportedAt  time.Time          `json:"exported_at" example:"2026-06-01T10:00:00+08:00"`
	Account     ExportAccount      `json:"account"`
	KYC         ExportKYC          `json:"kyc"`
	Submissions []ExportSubmission `json:"kyc_submissions"`
	Holds       []HoldFinding      `json:"legal_holds"`
	Note        map[string]string  `json:"note" example:"{\"zh-CN\":\"营业执照副本可通过工单索取\"}"`
}

// ExportAccount is the account part of a DataExport.
type ExportAccount struct {
	ID               string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Kind             string    `json:"kind" example:"individual"`
	State            string    `json:"state" example:"active"`
	DisplayName      string    `json:"display_name" example:"李雷"`
	EnterpriseName   string    `json:"enterprise_name,omitempty" example:"示例科技有限公司"`
	Email            string    `json:"email" example:"lilei@example.com"`
	Phone            string    `json:"phone" example:"13812345678"`
	Lang             string    `json:"lang" example:"zh-CN"`
	MarketingOptOut  bool      `json:"marketing_opt_out" example:"false"`
	AgreementVersion string    `json:"agreement_version" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
	CreatedAt        time.Time `json:"created_at" example:"2026-06-01T10:00:00+08:00"`
}

// ExportKYC is the verification state part of a DataExport.
type ExportKYC struct {
	State  string `json:"state" example:"active"`
	Reason string `json:"reason,omitempty" example:"licence_unreadable"`
	Note   string `json:"note,omitempty" example:"请上传清晰的营业执照"`
}

// ExportSubmission is one real-name submission, in clear (the licence file
// is described, not included; it is available on request through support).
type ExportSubmission struct {
	ID            string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Subject       string    `json:"subject" example:"individual"`
	Status        string    `json:"status" example:"approved"`
	Name          string    `json:"name" example:"李雷"`
	CompanyName   string    `json:"company_name,omitempty" example:"示例科技有限公司"`
	IdentityNo    string    `json:"identity_number" example:"11010519491231002X"`
	Phone         string    `json:"phone" example:"13812345678"`
	LicenceMIME   string    `json:"licence_type,omitempty" example:"image/png"`
	LicenceBytes  int64     `json:"licence_bytes,omitempty" example:"48213"`
	LicenceSHA256 string    `json:"licence_sha256,omitempty" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	Reason        string    `json:"reason,omitempty" example:"licence_unreadable"`
	SubmittedAt   time.Time `json:"submitted_at" example:"2026-06-01T10:00:00+08:00"`
	DecidedAt     time.Time `json:"decided_at,omitzero" example:"2026-06-01T11:00:00+08:00"`
}

// DataExportOf returns the customer's own data in clear (pi.request, on the
// customer's own account) and audits the export (pi.exported).
func (a *App) DataExportOf(ctx context.Context, p account.Principal, accountID string) (DataExport, error) {
	var out DataExport
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		l, err := loadAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ctx, p, "pi.request", l.object()); err != nil {
			return err
		}
		r := l.row
		email, err := a.open("account", "email", r.ID, r.EmailEnc)
		if err != nil {
			return err
		}
		phone, err := a.open("account", "phone", r.ID, r.PhoneEnc)
		if err != nil {
			return err
		}
		out = DataExport{ExportedAt: tx.Now, Account: ExportAccount{ID: r.ID, Kind: r.Kind, State: r.State, DisplayName: r.DisplayName,
			EnterpriseName: r.EnterpriseName, Email: email, Phone: phone, Lang: r.Lang, MarketingOptOut: r.MarketingOptOut,
			AgreementVersion: r.AgreementVersion, CreatedAt: r.CreatedAt},
			Note: map[string]string{
				"zh-CN": "这是您在本平台的个人信息副本。如需更正实名信息，请重新提交实名认证。",
				"en":    "This is a copy of your personal information here. To correct real-name data, submit verification again.",
			}}
		prof, err := kycProfile(ctx, tx, accountID)
		if err != nil {
			return err
		}
		out.KYC = ExportKYC{State: prof.State, Reason: prof.Reason, Note: prof.Note}
		subs, err := store.KYCSubmissionsOf(ctx, tx, accountID)
		if err != nil {
			return err
		}
		for _, s := range subs {
			name, err := a.openKYC("name", s.ID, s.NameEnc)
			if err != nil {
				return err
			}
			ident, err := a.openKYC("identity", s.ID, s.IdentityEnc)
			if err != nil {
				return err
			}
			ph, err := a.openKYC("phone", s.ID, s.PhoneEnc)
			if err != nil {
				return err
			}
			out.Submissions = append(out.Submissions, ExportSubmission{ID: s.ID, Subject: s.Subject, Status: s.Status, Name: string(name),
				CompanyName: s.CompanyName, IdentityNo: string(ident), Phone: string(ph), LicenceMIME: s.LicenceMIME, LicenceBytes: s.LicenceBytes,
				LicenceSHA256: s.LicenceSHA256, Reason: s.Reason, SubmittedAt: s.SubmittedAt, DecidedAt: s.DecidedAt})
		}
		if out.Holds, err = a.LegalHolds(ctx, tx, accountID); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "pi.exported", SubjectType: "account", SubjectID: accountID,
			Data: map[string]any{"submissions": len(out.Submissions)}})
	})
	return out, err
}

// kycPurgeBatch bounds one sweep run.
const kycPurgeBatch = 200

// KYCPurgeSweep deletes the real-name data of closed accounts whose
// retention (retention.kyc_after_closure_years of the policy the customer
// accepted, from closure) has ended, unless a legal hold applies. One audit
// event, kyc.purged, per account. Registered as the sweep
// "kyc.retention_purge".
func (a *App) KYCPurgeSweep(ctx context.Context, now time.Time) (int64, error) {
	// The shortest retention the policy allows is one year: nothing closed
	// later can be due.
	cands, err := store.KYCProfilesClosedBefore(ctx, a.db, now.AddDate(-1, 0, 0), kycPurgeBatch)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range cands {
		set, _, err := a.policy.ForCustomer(ctx, c.AccountID, c.ClosedAt)
		if err != nil {
			return n, err
		}
		if c.ClosedAt.AddDate(set.Int(policy.RetentionKYCAfterClosureYears), 0, 0).After(now) {
			continue
		}
		purged := false
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			purged = false
			holds, err := a.LegalHolds(ctx, tx, c.AccountID)
			if err != nil || len(holds) > 0 {
				return err
			}
			k, err := tx.KYCPurge(ctx, c.AccountID)
			if err != nil {
				return err
			}
			purged = true
			return a.Audit(ctx, tx, AuditEntry{Action: "kyc.purged", SubjectType: "account", SubjectID: c.AccountID,
				Data: map[string]any{"submissions": k, "closed_at": c.ClosedAt, "retention_years": set.Int(policy.RetentionKYCAfterClosureYears)}})
		})
		if err != nil {
			return n, err
		}
		if purged {
			n++
		}
	}
	return n, nil
}
