package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// Real-name verification (issue 6; clause 2.1, Cybersecurity Law art. 26,
// Anti-Telecom-Fraud Law art. 21). The rules are package kyc's; this file
// authorises, seals, stores and audits them. Personal information leaves
// the forms only as PII key-ring envelopes bound to kyc_submission/<column>/<id>
// and masked copies; the ID number or USCC is found again only through the
// keyed blind index.

// DefaultKYCLicenceMaxBytes is the size limit of a licence upload.
const DefaultKYCLicenceMaxBytes = 5 << 20

// CodeKYCIdentityTaken: the ID number or USCC is verified for another
// customer, who was not linked to this one by staff (Conflict).
const CodeKYCIdentityTaken = "kyc.identity_taken"

// CodeKYCSubjectKind: the form does not fit the account kind (an individual
// submitting an enterprise form, a sub-user submitting at all).
const CodeKYCSubjectKind = "kyc.subject_kind"

// KYCConfig configures real-name verification. Zero fields take defaults:
// the sandbox verifier in sandbox mode, otherwise manual review of every
// submission; DefaultKYCLicenceMaxBytes.
type KYCConfig struct {
	Verifier        kyc.Verifier
	MaxLicenceBytes int
}

type kycState struct {
	cfg   KYCConfig
	mu    sync.Mutex
	holds []LegalHold
}

// ConfigureKYC sets the verifier and limits. Call it once, after New and
// before Start; a second call (or a call after first use) fails.
func (a *App) ConfigureKYC(c KYCConfig) error {
	if !a.kycCfg.CompareAndSwap(nil, a.newKYCState(c)) {
		return errors.New("kyc: ConfigureKYC called twice or after first use")
	}
	return nil
}

func (a *App) newKYCState(c KYCConfig) *kycState {
	if c.Verifier == nil {
		if a.IsSandbox() {
			c.Verifier = kyc.SandboxVerifier{}
		} else {
			c.Verifier = manualVerifier{}
		}
	}
	if c.MaxLicenceBytes <= 0 {
		c.MaxLicenceBytes = DefaultKYCLicenceMaxBytes
	}
	return &kycState{cfg: c, holds: builtinLegalHolds()}
}

func (a *App) kycs() *kycState {
	if s := a.kycCfg.Load(); s != nil {
		return s
	}
	a.kycCfg.CompareAndSwap(nil, a.newKYCState(KYCConfig{}))
	return a.kycCfg.Load()
}

// KYCMaxLicenceBytes is the licence upload limit in force.
func (a *App) KYCMaxLicenceBytes() int { return a.kycs().cfg.MaxLicenceBytes }

// manualVerifier sends every submission to a reviewer: the production
// default until a third-party identity service is configured.
type manualVerifier struct{}

func (manualVerifier) Verify(ctx context.Context, _ kyc.Submission) (kyc.Verdict, error) {
	return kyc.Verdict{Decision: kyc.DecisionManual, Ref: "manual"}, ctx.Err()
}

// KYCSubmitInput is a real-name form. Subject "individual" reads Name,
// IDNumber and Phone; "enterprise" reads CompanyName, USCC,
// Representative, Phone and Licence.
type KYCSubmitInput struct {
	Subject                     kyc.Subject
	Name                        string
	IDNumber, USCC, Phone       pii.Secret
	CompanyName, Representative string
	Licence                     []byte
}

// KYCView is a customer's verification as the customer and staff see it:
// masked, with the reason of a rejection or request in both languages.
type KYCView struct {
	AccountID string
	State     kyc.State
	Subject   kyc.Subject
	Reason    kyc.ReasonCode
	Note      string
	// AllowsPurchase: paying for provisioned products is allowed
	// (kyc.required_before).
	AllowsPurchase bool
	Current        *KYCSubmissionView
}

// KYCSubmissionView is one submission, masked.
type KYCSubmissionView struct {
	ID, AccountID, AccountName         string
	Subject                            kyc.Subject
	Status                             string
	Name, CompanyName, Identity, Phone string // masked (the company name is not personal information)
	LicenceMIME                        string
	LicenceBytes                       int64
	LicenceSHA256                      string
	Warnings                           []string
	VerifierRef                        string
	Reason                             kyc.ReasonCode
	Note                               string
	SubmittedAt, DecidedAt             time.Time
}

func submissionView(r store.KYCSubmissionRow) KYCSubmissionView {
	return KYCSubmissionView{ID: r.ID, AccountID: r.AccountID, Subject: kyc.Subject(r.Subject), Status: r.Status, Name: r.NameMasked,
		CompanyName: r.CompanyName, Identity: r.IdentityMasked, Phone: r.PhoneMasked, LicenceMIME: r.LicenceMIME, LicenceBytes: r.LicenceBytes,
		LicenceSHA256: r.LicenceSHA256, Warnings: strings.Fields(r.Warnings), VerifierRef: r.VerifierRef, Reason: kyc.ReasonCode(r.Reason),
		Note: r.Note, SubmittedAt: r.SubmittedAt, DecidedAt: r.DecidedAt}
}

// Submission statuses beyond the kyc states: a submission replaced by a
// newer one before it was decided.
const kycSuperseded = "superseded"

// kycProfile reads the profile, or the unverified state of a customer who
// never submitted.
//
// A checkout's read comes from the request memo (prefetchCheckout).
func kycProfile(ctx context.Context, q store.Querier, accountID string) (store.KYCProfileRow, error) {
	if onPool(q) {
		if p, ok := memoPeek[store.KYCProfileRow](ctx, memoKYCProfile+accountID); ok {
			return p, nil
		}
	}
	p, err := store.KYCProfileGet(ctx, q, accountID)
	if store.IsNotFound(err) {
		return unverifiedProfile(accountID), nil
	}
	return p, err
}

// unverifiedProfile is the profile of an account that never submitted.
func unverifiedProfile(accountID string) store.KYCProfileRow {
	return store.KYCProfileRow{AccountID: accountID, State: string(kyc.StateUnverified)}
}

func (a *App) kycView(ctx context.Context, q store.Querier, p store.KYCProfileRow) (KYCView, error) {
	v := KYCView{AccountID: p.AccountID, State: kyc.State(p.State), Subject: kyc.Subject(p.Subject), Reason: kyc.ReasonCode(p.Reason), Note: p.Note,
		AllowsPurchase: kyc.AllowsProvisionedPurchase(kyc.State(p.State))}
	if p.CurrentSubmissionID != "" {
		r, err := store.KYCSubmissionGet(ctx, q, p.CurrentSubmissionID)
		if err != nil {
			return v, err
		}
		sv := submissionView(r)
		v.Current = &sv
	}
	return v, nil
}

// kycSubject says which form an account kind submits: individuals the
// individual one, enterprises the enterprise one, resellers either.
// Sub-users and staff submit none (the enterprise verifies for its
// sub-users).
func kycSubjectAllowed(k account.Kind, s kyc.Subject) bool {
	switch k {
	case account.KindIndividual:
		return s == kyc.SubjectIndividual
	case account.KindEnterprise:
		return s == kyc.SubjectEnterprise
	case account.KindReseller:
		return s == kyc.SubjectIndividual || s == kyc.SubjectEnterprise
	}
	return false
}

// validKYC is a checked form, ready to seal.
type validKYC struct {
	subject        kyc.Subject
	name, company  string // name: the person or the responsible person
	identity       string // resident ID number or USCC, plaintext
	identityMasked string
	identityField  string
	phone          string
	licence        kyc.Licence
	warnings       []kyc.Warning
	// same compares the verified data of two forms (kyc's SameIdentity).
	ind *kyc.ValidIndividual
	ent *kyc.ValidEnterprise
}

func (v validKYC) identityIndex(b *pii.BlindIndex) []byte {
	if v.subject == kyc.SubjectEnterprise {
		return b.Sum("uscc", v.identity)
	}
	return b.Sum(pii.KindIDNumber, v.identity)
}

func (a *App) validateKYC(in KYCSubmitInput, now time.Time, minAge int) (validKYC, error) {
	max := a.kycs().cfg.MaxLicenceBytes
	switch in.Subject {
	case kyc.SubjectIndividual:
		vi, w, err := kyc.IndividualInput{Name: in.Name, IDNumber: in.IDNumber, Phone: in.Phone}.Validate(now, minAge, max)
		if err != nil {
			return validKYC{}, err
		}
		return validKYC{subject: in.Subject, name: vi.Name, identity: vi.ID.Number(), identityMasked: vi.ID.Masked(), identityField: kyc.FieldIDNumber,
			phone: vi.Phone.Reveal(), warnings: w, ind: &vi}, nil
	case kyc.SubjectEnterprise:
		ve, w, err := kyc.EnterpriseInput{CompanyName: in.CompanyName, USCC: in.USCC, Representative: in.Representative, Phone: in.Phone,
			Licence: in.Licence}.Validate(now, minAge, max)
		if err != nil {
			return validKYC{}, err
		}
		return validKYC{subject: in.Subject, name: ve.Representative, company: ve.CompanyName, identity: ve.USCC.Code(), identityMasked: ve.USCC.Masked(),
			identityField: kyc.FieldUSCC, phone: ve.Phone.Reveal(), licence: ve.Licence, warnings: w, ent: &ve}, nil
	}
	return validKYC{}, &errs.Error{Kind: errs.Invalid, Code: kyc.CodeSubmissionInvalid, Msg: "unknown verification subject",
		Fields: []errs.FieldError{{Field: "body.subject", Rule: "enum", Params: map[string]any{"values": "individual, enterprise"}}}}
}

func (v validKYC) submission(in KYCSubmitInput, at time.Time, minAge, max int) kyc.Submission {
	s := kyc.Submission{Subject: v.subject, At: at, MinAge: minAge, MaxLicenceBytes: max}
	if v.subject == kyc.SubjectIndividual {
		s.Individual = kyc.IndividualInput{Name: in.Name, IDNumber: in.IDNumber, Phone: in.Phone}
	} else {
		s.Enterprise = kyc.EnterpriseInput{CompanyName: in.CompanyName, USCC: in.USCC, Representative: in.Representative, Phone: in.Phone, Licence: in.Licence}
	}
	return s
}

// sealKYC seals one column of a submission.
func (a *App) sealKYC(column, row string, plain []byte) ([]byte, error) {
	return a.secrets.PII.Seal(plain, pii.AAD{Table: "kyc_submission", Column: column, Row: row})
}

func (a *App) openKYC(column, row string, env []byte) ([]byte, error) {
	return a.secrets.PII.Open(env, pii.AAD{Table: "kyc_submission", Column: column, Row: row})
}

func (a *App) kycRow(v validKYC, sid, accountID string, at time.Time) (store.KYCSubmissionRow, error) {
	r := store.KYCSubmissionRow{ID: sid, AccountID: accountID, Subject: string(v.subject), Status: string(kyc.StatePending),
		NameMasked: pii.MaskName(v.name), CompanyName: v.company, IdentityMasked: v.identityMasked, IdentityIndex: v.identityIndex(a.secrets.Blind),
		PhoneMasked: pii.MaskPhone(v.phone), SubmittedAt: at}
	var err error
	if r.NameEnc, err = a.sealKYC("name", sid, []byte(v.name)); err != nil {
		return r, err
	}
	if r.IdentityEnc, err = a.sealKYC("identity", sid, []byte(v.identity)); err != nil {
		return r, err
	}
	if r.PhoneEnc, err = a.sealKYC("phone", sid, []byte(v.phone)); err != nil {
		return r, err
	}
	if v.subject == kyc.SubjectEnterprise {
		if r.LicenceEnc, err = a.sealKYC("licence", sid, v.licence.Data); err != nil {
			return r, err
		}
		d := v.licence.Digest()
		r.LicenceMIME, r.LicenceBytes, r.LicenceSHA256 = v.licence.MIME, int64(len(v.licence.Data)), hex.EncodeToString(d[:])
	}
	var ws []string
	for _, w := range v.warnings {
		ws = append(ws, w.Code)
	}
	r.Warnings = strings.Join(ws, " ")
	return r, nil
}

// identityTaken returns the field error of an identity verified for
// another customer that was not linked to accountID, or nil.
func identityTaken(ctx context.Context, q store.Querier, idx []byte, accountID, field string) error {
	claims, err := store.KYCIdentityClaims(ctx, q, idx)
	if err != nil {
		return err
	}
	held := false
	for _, c := range claims {
		if c.AccountID == accountID {
			return nil // the holder itself, or linked on purpose
		}
		if c.LinkedBy == "" {
			held = true
		}
	}
	if !held {
		return nil
	}
	return &errs.Error{Kind: errs.Conflict, Code: CodeKYCIdentityTaken, Msg: "this identity is verified for another account",
		Params: map[string]any{"clause": kyc.Clause}, Fields: []errs.FieldError{{Field: field, Rule: "identity_taken"}}}
}

// sameVerifiedData reports whether the approved submission carries the same
// verified data as v (kyc's SameIdentity: a new phone alone is no change).
func (a *App) sameVerifiedData(r store.KYCSubmissionRow, v validKYC, idx []byte, licence []byte) (bool, error) {
	if r.Subject != string(v.subject) || string(r.IdentityIndex) != string(idx) || r.CompanyName != v.company {
		return false, nil
	}
	name, err := a.openKYC("name", r.ID, r.NameEnc)
	if err != nil {
		return false, err
	}
	if string(name) != v.name {
		return false, nil
	}
	if v.subject == kyc.SubjectEnterprise {
		d := sha256.Sum256(licence)
		return r.LicenceSHA256 == hex.EncodeToString(d[:]), nil
	}
	return true, nil
}

// KYCSubmit takes a customer's real-name form (kyc.submit, on the
// customer's own account). Every field is validated at once (kyc's
// Validate: a bilingual field error per bad field); an ID number or USCC
// verified for another customer who was not linked by staff is Conflict
// kyc.identity_taken; nothing is stored unless everything passes. The
// verifier (sandbox: at once) decides outside the transaction; a manual
// verdict leaves the submission pending for the review queue.
//
// An approved customer who submits changed verified data goes to
// reverify_required and then pending in the same transaction (new purchases
// are blocked until approval); the same data with only a new phone is
// recorded as approved at once. A submission while another is pending
// supersedes it. One audit event, kyc.submitted, names the moves.
func (a *App) KYCSubmit(ctx context.Context, p account.Principal, accountID string, in KYCSubmitInput) (KYCView, error) {
	l, err := loadAccount(ctx, a.db, accountID)
	if err != nil {
		return KYCView{}, err
	}
	if err := a.Authorize(ctx, p, "kyc.submit", l.object()); err != nil {
		return KYCView{}, err
	}
	if !kycSubjectAllowed(account.Kind(l.row.Kind), in.Subject) {
		return KYCView{}, &errs.Error{Kind: errs.Invalid, Code: CodeKYCSubjectKind, Msg: "this form does not fit the account kind",
			Params: map[string]any{"kind": l.row.Kind}, Fields: []errs.FieldError{{Field: "body.subject", Rule: "subject_kind", Params: map[string]any{"kind": l.row.Kind}}}}
	}
	now := a.Now()
	set, _, err := a.policy.ForCustomer(ctx, accountID, now)
	if err != nil {
		return KYCView{}, err
	}
	minAge, max := set.Int(policy.KYCMinAgeYears), a.kycs().cfg.MaxLicenceBytes
	v, err := a.validateKYC(in, now, minAge)
	if err != nil {
		return KYCView{}, err
	}
	idx := v.identityIndex(a.secrets.Blind)
	if err := identityTaken(ctx, a.db, idx, accountID, v.identityField); err != nil {
		return KYCView{}, err
	}
	blockKind := BlockIDNumber
	if v.subject == kyc.SubjectEnterprise {
		blockKind = BlockUSCC
	}
	if err := a.checkBlocked(ctx, a.db, blockKind, hex.EncodeToString(idx), v.identityField); err != nil {
		return KYCView{}, err
	}
	if v.phone != "" {
		if err := a.checkBlocked(ctx, a.db, BlockPhone, a.blind(pii.KindPhone, v.phone), "body.phone"); err != nil {
			return KYCView{}, err
		}
	}
	verdict, err := a.kycs().cfg.Verifier.Verify(ctx, v.submission(in, now, minAge, max))
	if err != nil {
		if errs.KindOf(err) == errs.Unavailable || errors.Is(err, context.DeadlineExceeded) {
			verdict = kyc.Verdict{Decision: kyc.DecisionManual, Ref: "verifier_unavailable"}
		} else {
			return KYCView{}, err
		}
	}
	if err := verdict.Check(); err != nil {
		return KYCView{}, errs.E(errs.Internal, errs.Op("app.KYCSubmit"), "kyc.verdict_invalid", "the verifier returned a malformed verdict", err)
	}
	var out KYCView
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		prof, err := kycProfile(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := identityTaken(ctx, tx, idx, accountID, v.identityField); err != nil {
			return err
		}
		cur := kyc.State(prof.State)
		var moves []kyc.State
		sid := id.NewAt(tx.Now)
		row, err := a.kycRow(v, sid, accountID, tx.Now)
		if err != nil {
			return err
		}
		same := false
		if cur == kyc.StateApproved && prof.ApprovedSubmissionID != "" {
			old, err := store.KYCSubmissionGet(ctx, tx, prof.ApprovedSubmissionID)
			if err != nil {
				return err
			}
			if same, err = a.sameVerifiedData(old, v, idx, in.Licence); err != nil {
				return err
			}
		}
		// A pending or info-requested submission is replaced by this one.
		if prof.CurrentSubmissionID != "" && prof.CurrentSubmissionID != prof.ApprovedSubmissionID {
			for _, st := range []string{string(kyc.StatePending), string(kyc.StateInfoRequested)} {
				if _, err := tx.KYCSubmissionDecide(ctx, prof.CurrentSubmissionID, st, store.KYCSubmissionDecision{Status: kycSuperseded, DecidedAt: tx.Now}); err != nil {
					return err
				}
			}
		}
		prof.Reason, prof.Note = "", ""
		if flagged, err := reverifyFlagged(ctx, tx, accountID); err != nil {
			return err
		} else if flagged && verdict.Decision == kyc.DecisionApprove {
			// A compliance flag (issue 16): a person reviews the new submission.
			verdict, same = kyc.Verdict{Decision: kyc.DecisionManual, Reason: kyc.ReasonRiskFlagged, Ref: verdict.Ref}, false
		}
		row.VerifierRef = verdict.Ref
		state := cur
		if same {
			// Only the phone changed: no re-verification (kyc.SameIdentity).
			row.Status, row.DecidedAt, row.VerifierRef = string(kyc.StateApproved), tx.Now, "unchanged_identity"
			verdict = kyc.Verdict{Decision: kyc.DecisionApprove, Ref: row.VerifierRef}
		} else {
			step := func(to kyc.State) error {
				if err := kyc.Move(state, to); err != nil {
					return err
				}
				state = to
				moves = append(moves, to)
				return nil
			}
			if state == kyc.StateApproved {
				if err := step(kyc.StateReverifyRequired); err != nil {
					return err
				}
			}
			if state != kyc.StatePending {
				if err := step(kyc.StatePending); err != nil {
					return err
				}
			}
			switch verdict.Decision {
			case kyc.DecisionApprove:
				if err := step(kyc.StateApproved); err != nil {
					return err
				}
				row.Status, row.DecidedAt = string(kyc.StateApproved), tx.Now
			case kyc.DecisionReject:
				if err := step(kyc.StateRejected); err != nil {
					return err
				}
				row.Status, row.DecidedAt, row.Reason = string(kyc.StateRejected), tx.Now, string(verdict.Reason)
				prof.Reason = string(verdict.Reason)
			default:
				row.Reason = string(verdict.Reason)
			}
		}
		if err := tx.KYCSubmissionInsert(ctx, row); err != nil {
			return err
		}
		if state == kyc.StateApproved {
			if err := a.kycClaim(ctx, tx, accountID, idx, v.identityField); err != nil {
				return err
			}
			prof.ApprovedSubmissionID = sid
		}
		prof.State, prof.Subject, prof.CurrentSubmissionID, prof.UpdatedAt = string(state), string(v.subject), sid, tx.Now
		if err := tx.KYCProfilePut(ctx, prof); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "kyc.submitted", SubjectType: "account", SubjectID: accountID,
			Data: map[string]any{"submission": sid, "subject": v.subject, "moves": moves, "verdict": verdict.Decision, "verifier_ref": verdict.Ref,
				"reason": verdict.Reason, "identity": row.IdentityMasked, "licence_sha256": row.LicenceSHA256}}); err != nil {
			return err
		}
		out, err = a.kycView(ctx, tx, prof)
		return err
	})
	return out, err
}

// kycClaim makes accountID the holder of the identity and drops any other
// identity it held; a holder that is someone else is kyc.identity_taken.
func (a *App) kycClaim(ctx context.Context, tx *store.Tx, accountID string, idx []byte, field string) error {
	if err := identityTaken(ctx, tx, idx, accountID, field); err != nil {
		return err
	}
	linked := false
	claims, err := store.KYCIdentityClaims(ctx, tx, idx)
	if err != nil {
		return err
	}
	for _, c := range claims {
		if c.AccountID == accountID {
			linked = true
		}
	}
	if !linked {
		err := tx.KYCIdentityClaim(ctx, store.KYCIdentityRow{Index: idx, AccountID: accountID, CreatedAt: tx.Now})
		if errors.Is(err, errs.ErrDuplicate) {
			return &errs.Error{Kind: errs.Conflict, Code: CodeKYCIdentityTaken, Msg: "this identity is verified for another account",
				Params: map[string]any{"clause": kyc.Clause}, Fields: []errs.FieldError{{Field: field, Rule: "identity_taken"}}}
		}
		if err != nil {
			return err
		}
	}
	return tx.KYCIdentityRelease(ctx, accountID, idx)
}

// KYCStatus returns a customer's verification, masked: the customer its
// own (kyc.submit; a sub-user its enterprise's through the tenant), staff
// any customer's (account.read_any).
func (a *App) KYCStatus(ctx context.Context, p account.Principal, accountID string) (KYCView, error) {
	l, err := loadAccount(ctx, a.db, accountID)
	if err != nil {
		return KYCView{}, err
	}
	perm := account.Permission("kyc.submit")
	if p.Kind == account.KindStaff {
		perm = "account.read_any"
	}
	if err := a.Authorize(ctx, p, perm, l.object()); err != nil {
		return KYCView{}, err
	}
	prof, err := kycProfile(ctx, a.db, accountID)
	if err != nil {
		return KYCView{}, err
	}
	return a.kycView(ctx, a.db, prof)
}

// KYCRequired returns nil when the customer may pay for a provisioned
// product under kyc.required_before (clause 2.1; Cybersecurity Law art. 26,
// Anti-Telecom-Fraud Law art. 21), else Conflict kyc.required with the
// clause, the policy key and the state. A sub-user is judged by its
// enterprise's verification. It does no authorisation: checkout calls it
// after authorising the order.
func (a *App) KYCRequired(ctx context.Context, accountID string) error {
	holder, err := a.kycHolder(ctx, accountID)
	if err != nil {
		return err
	}
	set, _, err := a.policy.ForCustomer(ctx, holder, a.Now())
	if err != nil {
		return err
	}
	switch set.String(policy.KYCRequiredBefore) {
	case policy.KYCBeforePayProvisioned, policy.KYCBeforeRegister:
	default:
		return nil
	}
	prof, err := kycProfile(ctx, a.db, holder)
	if err != nil {
		return err
	}
	return kyc.CheckPurchase(kyc.State(prof.State))
}
