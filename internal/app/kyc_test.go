package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type kycSUT struct {
	acctSUT
	logs  *lockedBuffer
	db    *store.DB
	sec   app.Secrets
	admin account.Principal
}

// newKYCApp is an App with accounts, a debug-level log captured in logs,
// and verifier v (nil: manual review).
func newKYCApp(t *testing.T, v kyc.Verifier) kycSUT {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	logs := &lockedBuffer{}
	db := storetest.Open(t)
	a, _ := newApp(t, db, app.Config{Clock: clk, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams, HashConcurrency: 4}); err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureKYC(app.KYCConfig{Verifier: v, MaxLicenceBytes: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	s := kycSUT{acctSUT: acctSUT{a: a, clock: clk}, logs: logs, db: db, sec: a.Secrets()}
	s.admin = s.staff(t, nil, "admin", account.RoleAdmin)
	return s
}

func (s kycSUT) staff(t *testing.T, by *account.Principal, name string, roles ...account.Role) account.Principal {
	t.Helper()
	ctx := ipCtx("192.0.2.10")
	email := fmt.Sprintf("%s-%d@corp.example", name, seq.Add(1))
	if by == nil && s.admin.AccountID != "" {
		by = &s.admin
	}
	if _, err := s.a.CreateStaff(ctx, by, app.CreateStaffInput{Email: email, DisplayName: "Staff " + name, Password: goodPassword, Roles: roles}); err != nil {
		t.Fatal(err)
	}
	res, err := s.a.Login(ctx, app.LoginInput{Login: email, Password: goodPassword, Staff: true})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.a.Authenticate(ctx, res.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (s kycSUT) customer(t *testing.T, kind string) (registered, account.Principal) {
	t.Helper()
	r := s.register(t, kind)
	p, _ := s.login(t, r.email, goodPassword)
	return r, p
}

// Known personal data of the flows: fictitious but well-formed.
var (
	leakID    = app.DemoResidentID("19880214", 457)
	leakUSCC  = app.DemoUSCC(77, true)
	leakPhone = "13912345678"
	leakName  = "欧阳泄露"
	leakRep   = "司马测试"
)

var pngLicence = append([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, []byte("licence-bytes-SECRETLICENCE")...)

func individualForm(name, idNo, phone string) app.KYCSubmitInput {
	return app.KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: name, IDNumber: pii.Secret(idNo), Phone: pii.Secret(phone)}
}

func enterpriseForm(uscc string) app.KYCSubmitInput {
	return app.KYCSubmitInput{Subject: kyc.SubjectEnterprise, CompanyName: "泄露测试科技有限公司", USCC: pii.Secret(uscc), Representative: leakRep,
		Phone: pii.Secret(leakPhone), Licence: pngLicence}
}

func TestKYCSandboxApprovesWellFormedAtOnce(t *testing.T) {
	t.Parallel()
	s := newKYCApp(t, kyc.SandboxVerifier{})
	ctx := context.Background()
	r, p := s.customer(t, "individual")
	wantCode(t, s.a.KYCRequired(ctx, r.view.ID), kyc.CodeRequired)
	v, err := s.a.KYCSubmit(ctx, p, r.view.ID, individualForm("张三", app.DemoResidentID("19900101", 1), "13800001111"))
	if err != nil {
		t.Fatal(err)
	}
	if v.State != kyc.StateApproved || !v.AllowsPurchase || v.Current == nil || strings.Contains(v.Current.Identity, "19900101") {
		t.Fatalf("view = %+v", v)
	}
	if err := s.a.KYCRequired(ctx, r.view.ID); err != nil {
		t.Fatalf("KYCRequired after approval: %v", err)
	}
	// Changing verified data: reverify_required, then pending, blocks purchases.
	v, err = s.a.KYCSubmit(ctx, p, r.view.ID, individualForm("张三丰", app.DemoResidentID("19900101", 1), "13800001111"))
	if err != nil || v.State != kyc.StateApproved {
		t.Fatalf("sandbox resubmission: %+v, %v", v, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'kyc.submitted' AND subject_id = $1 AND data LIKE '%reverify_required%'`, r.view.ID); n != 1 {
		t.Fatalf("reverify moves audited %d times, want 1", n)
	}
}

func TestKYCReviewQueueApproveRejectRequestInfo(t *testing.T) {
	t.Parallel()
	s := newKYCApp(t, nil)
	ctx := context.Background()
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	support := s.staff(t, nil, "support", account.RoleSupport)
	ind, pi := s.customer(t, "individual")
	ent, pe := s.customer(t, "enterprise")

	// Bad input: every field reported, nothing stored.
	bad := individualForm("张", "110101199001010010", "123")
	_, err := s.a.KYCSubmit(ctx, pi, ind.view.ID, bad)
	var e *errs.Error
	if !errorsAs(err, &e) || e.Code != kyc.CodeSubmissionInvalid || len(e.Fields) != 3 {
		t.Fatalf("bad form: %v (%+v)", err, e)
	}
	badUSCC := enterpriseForm("91350100M000100Y4O")
	_, err = s.a.KYCSubmit(ctx, pe, ent.view.ID, badUSCC)
	wantCode(t, err, kyc.CodeSubmissionInvalid)
	_, err = s.a.KYCSubmit(ctx, pi, ind.view.ID, enterpriseForm(leakUSCC))
	wantCode(t, err, app.CodeKYCSubjectKind)
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM kyc_submission`); n != 0 {
		t.Fatalf("rows after invalid submissions: %d", n)
	}

	v, err := s.a.KYCSubmit(ctx, pi, ind.view.ID, individualForm(leakName, leakID, leakPhone))
	if err != nil || v.State != kyc.StatePending {
		t.Fatalf("submit: %+v, %v", v, err)
	}
	ve, err := s.a.KYCSubmit(ctx, pe, ent.view.ID, enterpriseForm(leakUSCC))
	if err != nil || ve.State != kyc.StatePending {
		t.Fatalf("submit enterprise: %+v, %v", ve, err)
	}
	wantCode(t, s.a.KYCRequired(ctx, ind.view.ID), kyc.CodeRequired)

	_, err = s.a.KYCQueue(ctx, support, 10)
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.KYCQueue(ctx, pi, 10)
	wantKind(t, err, errs.Forbidden)
	q, err := s.a.KYCQueue(ctx, officer, 10)
	if err != nil || len(q) != 2 {
		t.Fatalf("queue = %d, %v", len(q), err)
	}

	_, err = s.a.KYCDecide(ctx, officer, ve.Current.ID, app.KYCDecision{Decision: app.KYCReject})
	wantCode(t, err, kyc.CodeReasonInvalid)
	if _, err := s.a.KYCDecide(ctx, officer, ve.Current.ID, app.KYCDecision{Decision: app.KYCRequestInfo, Reason: kyc.ReasonLicenceUnreadable}); err != nil {
		t.Fatal(err)
	}
	// The customer answers; the new submission supersedes; then rejected.
	ve, err = s.a.KYCSubmit(ctx, pe, ent.view.ID, enterpriseForm(leakUSCC))
	if err != nil || ve.State != kyc.StatePending {
		t.Fatalf("answer: %+v, %v", ve, err)
	}
	got, err := s.a.KYCDecide(ctx, officer, ve.Current.ID, app.KYCDecision{Decision: app.KYCReject, Reason: kyc.ReasonLicenceMismatch, Note: "名称不一致"})
	if err != nil || got.State != kyc.StateRejected || got.Reason != kyc.ReasonLicenceMismatch {
		t.Fatalf("reject: %+v, %v", got, err)
	}
	got, err = s.a.KYCDecide(ctx, officer, v.Current.ID, app.KYCDecision{Decision: app.KYCApprove})
	if err != nil || got.State != kyc.StateApproved {
		t.Fatalf("approve: %+v, %v", got, err)
	}
	_, err = s.a.KYCDecide(ctx, officer, v.Current.ID, app.KYCDecision{Decision: app.KYCApprove})
	wantCode(t, err, kyc.CodeStateTransition)
	if err := s.a.KYCRequired(ctx, ind.view.ID); err != nil {
		t.Fatal(err)
	}

	// One identity per verified customer, unless staff link on purpose.
	other, po := s.customer(t, "individual")
	_, err = s.a.KYCSubmit(ctx, po, other.view.ID, individualForm(leakName, leakID, "13911112222"))
	wantCode(t, err, app.CodeKYCIdentityTaken)
	wantKind(t, s.a.KYCLinkIdentity(ctx, support, other.view.ID, ind.view.ID, "same person"), errs.Forbidden)
	if err := s.a.KYCLinkIdentity(ctx, officer, other.view.ID, ind.view.ID, "same person, second account"); err != nil {
		t.Fatal(err)
	}
	vo, err := s.a.KYCSubmit(ctx, po, other.view.ID, individualForm(leakName, leakID, "13911112222"))
	if err != nil || vo.State != kyc.StatePending {
		t.Fatalf("linked submission: %+v, %v", vo, err)
	}
	if _, err := s.a.KYCDecide(ctx, officer, vo.Current.ID, app.KYCDecision{Decision: app.KYCApprove}); err != nil {
		t.Fatalf("approve linked: %v", err)
	}

	// Re-verification on a flag blocks purchases; it is the same open flag
	// the authority console sets (FlagReverify), so a second is refused.
	if err := s.a.KYCRequireReverification(ctx, officer, ind.view.ID, "ATFL 22 flag"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.a.KYCRequired(ctx, ind.view.ID), kyc.CodeRequired)
	if f, open, err := s.a.ReverifyFlag(ctx, officer, ind.view.ID); err != nil || !open || f.Reason != "ATFL 22 flag" {
		t.Fatalf("flag after KYCRequireReverification = %+v %v, %v", f, open, err)
	}
	wantCode(t, s.a.KYCRequireReverification(ctx, officer, ind.view.ID, "again"), "compliance.reverify_exists")
	wantKind(t, s.a.KYCRequireReverification(ctx, officer, "no-such-account", "ATFL 22 flag"), errs.NotFound)

	// Unmask needs pii.unmask and a purpose; each is audited.
	_, err = s.a.KYCUnmask(ctx, support, v.Current.ID, "identity", "kyc_review")
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.KYCUnmask(ctx, officer, v.Current.ID, "identity", "")
	wantCode(t, err, account.ReasonPurposeRequired)
	_, err = s.a.KYCUnmask(ctx, officer, v.Current.ID, "identity", "curiosity")
	wantCode(t, err, "pii.purpose_invalid")
	clear, err := s.a.KYCUnmask(ctx, officer, v.Current.ID, "identity", "kyc_review")
	if err != nil || clear != leakID {
		t.Fatalf("unmask = %v", err)
	}
	mime, lic, err := s.a.KYCLicence(ctx, officer, ve.Current.ID, "kyc_review")
	if err != nil || mime != kyc.MIMEPNG || !bytes.Equal(lic, pngLicence) {
		t.Fatalf("licence: %s %v", mime, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'pii.unmasked'`); n != 2 {
		t.Fatalf("unmask events = %d, want 2", n)
	}
}

func TestKYCClosureRefusedUnderEachHoldAndAllowedWithout(t *testing.T) {
	t.Parallel()
	s := newKYCApp(t, nil)
	ctx := context.Background()
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	lead2 := s.staff(t, nil, "lead2", account.RoleComplianceLead)

	// Hold 1: a KYC review in progress.
	r, p := s.customer(t, "individual")
	v, err := s.a.KYCSubmit(ctx, p, r.view.ID, individualForm("李四", app.DemoResidentID("19850505", 9), "13700001111"))
	if err != nil {
		t.Fatal(err)
	}
	err = s.a.CloseAccount(ctx, p, r.view.ID)
	wantCode(t, err, app.CodeClosureHeld)
	var e *errs.Error
	if !errorsAs(err, &e) || fmt.Sprint(e.Params["holds"]) != "["+app.HoldKYCReview+"]" {
		t.Fatalf("holds = %v", e)
	}
	if _, err := s.a.KYCDecide(ctx, officer, v.Current.ID, app.KYCDecision{Decision: app.KYCApprove}); err != nil {
		t.Fatal(err)
	}

	// Hold 2: a ban or suspension in force.
	if err := s.a.StandingSet(ctx, lead, r.view.ID, account.Measure{Flag: account.FlagBanned, Reason: "fraud", CaseRef: "VC-1"}); err != nil {
		t.Fatal(err)
	}
	err = s.a.CloseAccount(ctx, p, r.view.ID)
	wantCode(t, err, app.CodeClosureHeld)
	if err := s.a.StandingLift(ctx, lead2, r.view.ID, account.FlagBanned, "overturned"); err != nil {
		t.Fatal(err)
	}

	// Hold 3 (issue 16): a violation case still open about the account.
	c, err := s.a.RaiseFinding(ctx, officer, app.FindingInput{AccountID: r.view.ID, Rule: "spam", Detail: "bulk mail"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.a.CloseAccount(ctx, p, r.view.ID)
	if !errorsAs(err, &e) || fmt.Sprint(e.Params["holds"]) != "["+app.HoldOpenCase+"]" {
		t.Fatalf("open case: %v", err)
	}
	for _, act := range []app.CaseAction{{Action: "review"}, {Action: "dismiss", Text: "not ours"}} {
		if _, err := s.a.ActOnCase(ctx, officer, c.ID, act); err != nil {
			t.Fatal(err)
		}
	}

	// Hold 4 (issue 16): an authority order holding the account, until lifted.
	h, err := s.a.PlaceHold(ctx, lead, app.HoldInput{LegalDocInput: app.LegalDocInput{Authority: "某公安分局", DocType: "assist_notice",
		DocNumber: "协冻字〔2026〕1号"}, AccountID: r.view.ID, Reason: "freeze"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.a.CloseAccount(ctx, p, r.view.ID)
	if !errorsAs(err, &e) || fmt.Sprint(e.Params["holds"]) != "["+app.HoldAuthority+"]" {
		t.Fatalf("authority hold: %v", err)
	}
	if _, err := s.a.LiftHold(ctx, lead, h.ID, "released by the bureau"); err != nil {
		t.Fatal(err)
	}

	// Data export before closing: the customer's own data, in clear.
	exp, err := s.a.DataExportOf(ctx, p, r.view.ID)
	if err != nil || len(exp.Submissions) != 1 || exp.Submissions[0].Name != "李四" || exp.Account.Email != r.email {
		t.Fatalf("export = %+v, %v", exp, err)
	}
	other, _ := s.customer(t, "individual")
	_, err = s.a.DataExportOf(ctx, p, other.view.ID)
	wantKind(t, err, errs.NotFound)

	// No hold: closed; retention runs from now and respects holds.
	if err := s.a.CloseAccount(ctx, p, r.view.ID); err != nil {
		t.Fatalf("close without hold: %v", err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'account.closure_refused' AND subject_id = $1`, r.view.ID); n != 4 {
		t.Fatalf("refusals audited = %d", n)
	}
	held := true
	var mu sync.Mutex
	s.a.RegisterLegalHold(app.LegalHold{Code: "test_authority_request", Clause: "PIPL 47", Check: func(_ context.Context, _ store.Querier, id string) (bool, map[string]any, error) {
		mu.Lock()
		defer mu.Unlock()
		return held && id == r.view.ID, nil, nil
	}})
	if n, err := s.a.KYCPurgeSweep(ctx, s.a.Now().AddDate(2, 0, 0)); err != nil || n != 0 {
		t.Fatalf("purge before retention ended: %d, %v", n, err)
	}
	if n, err := s.a.KYCPurgeSweep(ctx, s.a.Now().AddDate(3, 0, 1)); err != nil || n != 0 {
		t.Fatalf("purge under a hold: %d, %v", n, err)
	}
	mu.Lock()
	held = false
	mu.Unlock()
	if n, err := s.a.KYCPurgeSweep(ctx, s.a.Now().AddDate(3, 0, 1)); err != nil || n != 1 {
		t.Fatalf("purge after retention: %d, %v", n, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM kyc_submission WHERE account_id = $1`, r.view.ID); n != 0 {
		t.Fatalf("submissions left after purge: %d", n)
	}
}

func TestKYCKeyRotationReencrypts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	sk, piiKeys, blind, err := app.GenerateSecrets()
	if err != nil {
		t.Fatal(err)
	}
	mk := func(keys string) *app.App {
		t.Helper()
		sessionKey, _ := base64.StdEncoding.DecodeString(sk)
		ring, err := pii.ParseKeyRing(keys)
		if err != nil {
			t.Fatal(err)
		}
		bi, err := pii.ParseBlindIndexKey(blind)
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(ctx, app.Config{DB: db, Secrets: app.Secrets{SessionKey: sessionKey, PII: ring, Blind: bi}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1 := mk(piiKeys)
	aid := storetest.KYCAccountFixture(t, db, "enterprise")
	cust := account.Principal{AccountID: aid, Kind: account.KindEnterprise}
	v, err := a1.KYCSubmit(ctx, cust, aid, enterpriseForm(leakUSCC))
	if err != nil {
		t.Fatal(err)
	}
	// A new primary key k2, k1 kept for opening.
	key := make([]byte, 32)
	rand.Read(key)
	a2 := mk("k2:" + base64.StdEncoding.EncodeToString(key) + "," + piiKeys)
	wantKind(t, a2.KYCStartReencrypt(ctx, cust), errs.Forbidden)
	admin := account.Principal{AccountID: "staff-admin", Kind: account.KindStaff, Roles: []account.Role{account.RoleAdmin}}
	if err := a2.KYCStartReencrypt(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, a2, `SELECT COUNT(*) FROM river_job WHERE kind = 'kyc.reencrypt'`); n != 1 {
		t.Fatalf("jobs enqueued = %d", n)
	}
	n, err := a2.KYCReencrypt(ctx)
	if err != nil || n != 1 {
		t.Fatalf("reencrypt = %d, %v", n, err)
	}
	if n, _ := a2.KYCReencrypt(ctx); n != 0 {
		t.Fatalf("second run changed %d rows", n)
	}
	var name, lic []byte
	if err := db.QueryRow(ctx, `SELECT name_enc, licence_enc FROM kyc_submission WHERE id = $1`, v.Current.ID).Scan(&name, &lic); err != nil {
		t.Fatal(err)
	}
	ring2 := a2.Secrets().PII
	if ring2.NeedsRotation(name) || ring2.NeedsRotation(lic) {
		t.Fatal("envelopes still under the old key")
	}
	if got, err := ring2.Open(lic, pii.AAD{Table: "kyc_submission", Column: "licence", Row: v.Current.ID}); err != nil || !bytes.Equal(got, pngLicence) {
		t.Fatalf("licence after rotation: %v", err)
	}
	if _, err := a1.KYCUnmask(ctx, account.Principal{AccountID: "staff-c", Kind: account.KindStaff, Roles: []account.Role{account.RoleComplianceOfficer}},
		v.Current.ID, "name", "kyc_review"); err == nil {
		t.Fatal("the old ring (without k2) opened a re-encrypted envelope")
	}
}
