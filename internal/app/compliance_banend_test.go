package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
	"yuanxu/internal/money"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// banSUT is a buyer with cash, banned on a confirmed case by a compliance
// lead, the ban's notice delivered by SMS now.
type banSUT struct {
	commerceSUT
	r        registered
	p        account.Principal
	lead     account.Principal
	reviewer account.Principal
	fin      account.Principal
	m        app.MeasureView
}

func newBanSUT(t *testing.T, cashFen, creditFen int64) banSUT {
	t.Helper()
	s := banSUT{commerceSUT: newCommerceApp(t)}
	s.r, s.p = s.buyer(t, cashFen)
	if creditFen > 0 {
		if err := s.a.CreditRefundCreditForTest(context.Background(), s.r.view.ID, money.Fen(creditFen)); err != nil {
			t.Fatal(err)
		}
	}
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	s.lead = s.staff(t, nil, "lead", account.RoleComplianceLead)
	s.reviewer = s.staff(t, nil, "reviewer", account.RoleAppealReviewer)
	s.fin = s.staff(t, nil, "fin", account.RoleFinanceApprover)
	m, err := s.a.ImposeMeasure(context.Background(), s.lead, s.confirmedCase(t, officer, s.r.view.ID, ""),
		app.MeasureInput{Kind: "ban", Reason: "40 000 mails an hour, confirmed"})
	if err != nil || !m.Frozen {
		t.Fatalf("ban = %+v, %v", m, err)
	}
	deliverNotice(t, s.a, m.ID, "sms", s.clock.Now())
	s.m = m
	return s
}

// ledger reads the customer's four sub-balances from the ledger.
func (s banSUT) ledger(t *testing.T) wallet.Balances {
	t.Helper()
	names := make([]string, len(wallet.CustomerKinds))
	for i, k := range wallet.CustomerKinds {
		names[i] = wallet.Customer(s.r.view.ID, k).String()
	}
	m, err := store.LedgerBalances(context.Background(), s.a.DB(), names...)
	if err != nil {
		t.Fatal(err)
	}
	return wallet.Balances{Cash: money.Fen(m[names[0]]), RefundCredit: money.Fen(m[names[1]]), FrozenCash: money.Fen(m[names[2]]),
		FrozenRefundCredit: money.Fen(m[names[3]])}
}

// paidBack is the total of the account's closure pay-backs, approved and
// waiting for finance.
func (s banSUT) paidBack(t *testing.T) int {
	return countRows(t, s.a, `SELECT COALESCE(SUM(amount_fen), 0) FROM withdrawal WHERE account_id = $1 AND kind = 'closure' AND state = 'approved'`,
		s.r.view.ID)
}

func (s banSUT) accountState(t *testing.T) string {
	t.Helper()
	acc, err := store.AccountGet(context.Background(), s.a.DB(), s.r.view.ID)
	if err != nil {
		t.Fatal(err)
	}
	return acc.State
}

func (s banSUT) sweep(t *testing.T) {
	t.Helper()
	if err := s.a.RunSweeps(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// An appeal upheld makes the ban final: the account ends at once, the
// frozen cash and refund credit become closure pay-backs to their original
// routes (nothing forfeited, refund credit included: DESIGN.md §3), the
// customer is told, and later sweeps pay nothing twice.
func TestBanUpheldEndsAccountAndPaysBack(t *testing.T) {
	t.Parallel()
	s := newBanSUT(t, 20000, 3000)
	ctx := context.Background()
	ap, err := s.a.FileAppeal(ctx, s.p, app.AppealInput{MeasureID: s.m.ID, Statement: "it was a newsletter"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.DecideAppeal(ctx, s.reviewer, ap.ID, app.AppealDecision{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.a.DecideAppeal(ctx, s.reviewer, ap.ID, app.AppealDecision{Action: "uphold", Text: "no opt-in anywhere"})
	if err != nil || got.State != "upheld" || !got.Measure.AccountEnded || got.Measure.PaybackHeld != "" {
		t.Fatalf("upheld = %+v, %v", got, err)
	}
	if st := s.accountState(t); st != "closed" {
		t.Fatalf("account after the upheld ban = %s", st)
	}
	if b := s.ledger(t); b != (wallet.Balances{}) || s.paidBack(t) != 23000 {
		t.Fatalf("balance %+v, paid back %d", b, s.paidBack(t))
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM withdrawal WHERE account_id = $1 AND kind = 'closure' AND source = 'refund_credit' AND amount_fen = 3000`,
		s.r.view.ID); n != 1 {
		t.Fatal("the refund credit was not paid back")
	}
	s.clock.Advance(30 * 24 * time.Hour)
	s.sweep(t)
	if n := s.paidBack(t); n != 23000 {
		t.Fatalf("paid back %d after the sweep", n)
	}
	for action, want := range map[string]int{"account.closed": 1, "withdrawal.closure_payback": 2, "compliance.payback_held": 0} {
		if n := auditCount(t, s.a.DB(), action); n != want {
			t.Fatalf("%d %s events, want %d", n, action, want)
		}
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = 'account.ended_after_ban' AND account_id = $1`, s.r.view.ID); n != 1 {
		t.Fatalf("%d account-ended notices", n)
	}
	if r, err := s.a.AuditVerify(ctx); err != nil || r.Break != nil {
		t.Fatalf("audit chain: %+v, %v", r, err)
	}
}

// The window lapsing with no appeal makes the ban final too; an authority
// order holding the account stops the pay-back — the account ends, the
// balance stays frozen, the hold is shown — until it is lifted.
func TestBanLapsedUnderAuthorityHoldPaysBackOnLift(t *testing.T) {
	t.Parallel()
	s := newBanSUT(t, 15000, 0)
	ctx := context.Background()
	h, err := s.a.PlaceHold(ctx, s.lead, app.HoldInput{LegalDocInput: legalDoc("协冻字〔2026〕91号"), AccountID: s.r.view.ID, Reason: "fraud investigation"})
	if err != nil {
		t.Fatal(err)
	}
	due, err := s.a.ComplianceMeasure(ctx, s.lead, s.m.ID)
	if err != nil || due.AppealDue.IsZero() {
		t.Fatalf("measure = %+v, %v", due, err)
	}
	s.advanceTo(t, due.AppealDue.Add(-time.Minute))
	s.sweep(t)
	if st := s.accountState(t); st != "active" {
		t.Fatalf("account before the deadline = %s", st)
	}
	s.advanceTo(t, due.AppealDue)
	s.sweep(t)
	v, err := s.a.ComplianceMeasure(ctx, s.lead, s.m.ID)
	if err != nil || !v.AccountEnded || v.PaybackHeld == "" || s.accountState(t) != "closed" {
		t.Fatalf("after the window = %+v, %v", v, err)
	}
	if b := s.ledger(t); b.FrozenCash != 15000 || s.paidBack(t) != 0 || auditCount(t, s.a.DB(), "compliance.payback_held") != 1 {
		t.Fatalf("held: balance %+v, paid back %d", b, s.paidBack(t))
	}
	s.sweep(t) // still held: nothing moves, nothing is audited again
	if s.paidBack(t) != 0 || auditCount(t, s.a.DB(), "compliance.payback_held") != 1 {
		t.Fatal("a held balance was paid or re-audited")
	}
	if _, err := s.a.LiftHold(ctx, s.lead, h.ID, "released by the bureau"); err != nil {
		t.Fatal(err)
	}
	s.sweep(t)
	if b := s.ledger(t); b != (wallet.Balances{}) || s.paidBack(t) != 15000 {
		t.Fatalf("after the lift: balance %+v, paid back %d", b, s.paidBack(t))
	}
	if v, _ := s.a.ComplianceMeasure(ctx, s.lead, s.m.ID); v.PaybackHeld != "" {
		t.Fatalf("hold still shown: %+v", v)
	}
}

// A ban is not final while its appeal awaits a decision, however long
// after the window, nor while its notice reached no channel: nothing ends,
// nothing is paid.
func TestBanNotFinalWhileAppealPending(t *testing.T) {
	t.Parallel()
	s := newBanSUT(t, 10000, 0)
	ctx := context.Background()
	if _, err := s.a.FileAppeal(ctx, s.p, app.AppealInput{MeasureID: s.m.ID, Statement: "it was a newsletter"}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(90 * 24 * time.Hour)
	s.sweep(t)
	v, err := s.a.ComplianceMeasure(ctx, s.lead, s.m.ID)
	if err != nil || v.AccountEnded || v.State != string(compliance.MeasureInForce) || s.accountState(t) != "active" {
		t.Fatalf("pending appeal = %+v, %v", v, err)
	}
	if b := s.ledger(t); b.FrozenCash != 10000 || s.paidBack(t) != 0 || auditCount(t, s.a.DB(), "account.closed") != 0 {
		t.Fatalf("pending appeal: balance %+v", b)
	}
}

// The demo has a customer under a restriction to look at by hand (on
// /measures and /console/measures), seeded once, who can sign in and
// read its measure; the other demo customers carry none.
func TestDemoComplianceSeedsARestriction(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := context.Background()
	if _, err := s.a.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	logins, err := s.a.SeedDemoCompliance(ctx)
	if err != nil || len(logins) != 1 {
		t.Fatalf("logins = %+v, %v", logins, err)
	}
	if again, err := s.a.SeedDemoCompliance(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second seed = %+v, %v", again, err)
	}
	res, err := s.a.Login(ipCtx("127.0.0.1"), app.LoginInput{Login: logins[0].Login, Password: logins[0].Password})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.a.Authenticate(ctx, res.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := s.a.MyMeasures(ctx, p)
	if err != nil || len(mine) != 1 || mine[0].Kind != "restrict" || mine[0].State != "in_force" || mine[0].Rule != "spam" || mine[0].Notice != "pending" {
		t.Fatalf("demo measures = %+v, %v", mine, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM compliance_measure`); n != 1 {
		t.Fatalf("%d measures in the demo, want the one", n)
	}
}
