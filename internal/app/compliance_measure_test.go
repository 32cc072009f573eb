package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/refund"
	"yuanxu/internal/store"
)

// confirmedCase opens a staff finding against the account (and service),
// takes it under review with one piece of evidence and confirms it.
func (s commerceSUT) confirmedCase(t *testing.T, officer account.Principal, accountID, serviceID string) string {
	t.Helper()
	ctx := context.Background()
	c, err := s.a.RaiseFinding(ctx, officer, app.FindingInput{AccountID: accountID, ServiceID: serviceID, Rule: "spam", Detail: "40 000 mails an hour"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.ActOnCase(ctx, officer, c.ID, app.CaseAction{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	if _, err := s.a.AddEvidence(ctx, officer, c.ID, "mail-log.png", png, "mail log"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.ActOnCase(ctx, officer, c.ID, app.CaseAction{Action: "confirm", Text: "the mail log shows it"}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// deliverNotice marks a measure's notice delivery on ch delivered at at,
// or failed when at is zero, as the delivery workers would.
func deliverNotice(t *testing.T, a *app.App, measureID, ch string, at time.Time) {
	t.Helper()
	m, err := store.ComplianceMeasureGet(context.Background(), a.DB(), measureID)
	if err != nil || m.NotificationID == "" {
		t.Fatalf("measure %s: %+v %v", measureID, m, err)
	}
	status, first := "delivered", store.NullMs(at)
	if at.IsZero() {
		status = "failed"
	}
	err = a.DB().InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notify_delivery SET status = $1, first_delivered_at_ms = $2, delivered_at_ms = $2 WHERE notification_id = $3
 AND channel = $4`, status, first, m.NotificationID, ch)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// advanceTo moves the sandbox clock forward to at.
func (s commerceSUT) advanceTo(t *testing.T, at time.Time) {
	t.Helper()
	if d := at.Sub(s.clock.Now()); d > 0 {
		s.clock.Advance(d)
	}
}

var cstZone = time.FixedZone("CST", 8*3600)

// The whole ladder's hardest rung: a ban on a confirmed case suspends
// every service, freezes the balance and blocks refunds; the appeal
// window runs 15 working days from the first SMS delivery across 国庆
// (the inbox and a failed email do not count); the customer appeals with
// an attachment; the officer who imposed the ban may not decide it; a
// second reviewer overturns it: services run again with their terms
// extended, the balance is unfrozen, and the refund window has its
// remaining hours back.
func TestBanNoticeAppealOverturnAcrossNationalDay(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	s.advanceTo(t, time.Date(2026, 9, 29, 9, 0, 0, 0, cstZone))
	r, p := s.buyer(t, 20000)
	o := s.paidOrder(t, p, "cs-nc-bw", "s1", "month")
	svcs, err := s.a.Services(ctx, p, app.ServiceListFilter{})
	if err != nil || len(svcs) != 1 || svcs[0].State != "active" {
		t.Fatalf("services = %+v, %v", svcs, err)
	}
	before := s.balance(t, p)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead, account.RoleAppealReviewer)
	reviewer := s.staff(t, nil, "reviewer", account.RoleAppealReviewer)
	s.clock.Advance(time.Hour)

	c, err := s.a.RaiseFinding(ctx, officer, app.FindingInput{AccountID: r.view.ID, Rule: "spam", Detail: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.a.ImposeMeasure(ctx, lead, c.ID, app.MeasureInput{Kind: "ban", Reason: "spam"})
	wantCode(t, err, compliance.CodeMeasureCaseState) // a signal is never a measure by itself
	caseID := s.confirmedCase(t, officer, r.view.ID, "")
	_, err = s.a.ImposeMeasure(ctx, officer, caseID, app.MeasureInput{Kind: "ban", Reason: "spam"})
	wantKind(t, err, errs.Forbidden) // a ban is compliance.ban.confirm
	_, err = s.a.ImposeMeasure(ctx, lead, caseID, app.MeasureInput{Kind: "ban"})
	wantCode(t, err, compliance.CodeMeasureInvalid)
	m, err := s.a.ImposeMeasure(ctx, lead, caseID, app.MeasureInput{Kind: "ban", Reason: "40 000 mails an hour, confirmed"})
	if err != nil || m.State != "in_force" || !m.Frozen || len(m.Services) != 1 || m.Notice != "pending" || !m.AppealDue.IsZero() || m.Rule != "spam" {
		t.Fatalf("ban = %+v, %v", m, err)
	}
	sv, _ := s.a.Service(ctx, p, svcs[0].ID)
	if sv.State != "suspended" {
		t.Fatalf("service after the ban = %+v", sv)
	}
	if b := s.balance(t, p); b.CashFen != 0 || b.FrozenCashFen != before.CashFen {
		t.Fatalf("balance after the ban = %+v (before %+v)", b, before)
	}
	if d, err := s.a.RefundPreview(ctx, p, o.ID); err != nil || d.Outcome != refund.Ineligible {
		t.Fatalf("refund while banned = %+v, %v", d, err)
	}
	_, err = s.a.RequestRefund(ctx, p, refundIn(o.ID, "balance"))
	if err == nil {
		t.Fatal("a refund request from a banned account was accepted")
	}

	// The notice: a failed email and the inbox do not start the clock.
	deliverNotice(t, s.a, m.ID, "email", time.Time{})
	if got, _ := s.a.ComplianceMeasure(ctx, p, m.ID); got.Notice != "pending" || !got.AppealDue.IsZero() {
		t.Fatalf("after a failed email = %+v", got)
	}
	smsAt := time.Date(2026, 9, 29, 11, 0, 0, 0, cstZone)
	deliverNotice(t, s.a, m.ID, "sms", smsAt)
	mine, err := s.a.MyMeasures(ctx, p)
	if err != nil || len(mine) != 1 || mine[0].Notice != "delivered" || !mine[0].NoticeAt.Equal(smsAt) {
		t.Fatalf("my measures = %+v, %v", mine, err)
	}
	// 15 working days after 29 September, 1–7 October off and Saturday
	// 10 October worked: Monday 26 October (Monday–Friday would give 20
	// October).
	if mine[0].AppealDueDay != "2026-10-26" || !mine[0].AppealDue.Equal(time.Date(2026, 10, 27, 0, 0, 0, 0, cstZone)) {
		t.Fatalf("appeal due = %s %v", mine[0].AppealDueDay, mine[0].AppealDue)
	}

	// Someone else may neither see nor appeal it.
	_, other := s.buyer(t, 0)
	_, err = s.a.FileAppeal(ctx, other, app.AppealInput{MeasureID: m.ID, Statement: "not me"})
	wantCode(t, err, compliance.CodeAppealNotYours)
	_, err = s.a.ComplianceMeasure(ctx, other, m.ID)
	wantKind(t, err, errs.NotFound)

	s.advanceTo(t, time.Date(2026, 10, 9, 10, 0, 0, 0, cstZone))
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	ap, err := s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m.ID, Statement: "The mails were a newsletter our users asked for; logs attached.",
		Attachments: []app.AttachmentInput{{Name: "optin.png", Data: png}}})
	if err != nil || ap.State != "open" || ap.TicketID == "" || !ap.AppealDue.Equal(mine[0].AppealDue) {
		t.Fatalf("appeal = %+v, %v", ap, err)
	}
	tk, err := s.a.TicketGet(ctx, p, ap.TicketID)
	if err != nil || tk.LinkID != ap.ID || len(tk.Messages) != 1 || len(tk.Messages[0].Attachments) != 1 {
		t.Fatalf("appeal thread = %+v, %v", tk, err)
	}
	_, err = s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m.ID, Statement: "again"})
	wantCode(t, err, compliance.CodeAppealOpen)
	// An appeal not yet decided holds the account open (clause 6.2).
	var held *errs.Error
	if err := s.a.CloseAccount(ctx, p, r.view.ID); !errorsAs(err, &held) || !strings.Contains(fmt.Sprint(held.Params["holds"]), app.HoldAppeal) {
		t.Fatalf("closure during an appeal = %v", err)
	}

	// Separation of duties: the officer who imposed the ban may not touch
	// its appeal, whatever roles they hold; nothing changes.
	_, err = s.a.DecideAppeal(ctx, lead, ap.ID, app.AppealDecision{Action: "review"})
	wantCode(t, err, compliance.CodeSeparation)
	_, err = s.a.DecideAppeal(ctx, officer, ap.ID, app.AppealDecision{Action: "review"})
	wantKind(t, err, errs.Forbidden)
	if _, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "uphold"})
	wantCode(t, err, compliance.CodeAppealReasonNeeded)
	if sv, _ := s.a.Service(ctx, p, svcs[0].ID); sv.State != "suspended" {
		t.Fatalf("a refused decision changed the service: %+v", sv)
	}
	downSince := m.CreatedAt
	got, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "overturn", Text: "a newsletter with opt-in"})
	if err != nil || got.State != "overturned" || got.Measure.State != "overturned" {
		t.Fatalf("overturn = %+v, %v", got, err)
	}
	sv, _ = s.a.Service(ctx, p, svcs[0].ID)
	if want := svcs[0].ExpiresAt.Add(s.clock.Now().Sub(downSince)); sv.State != "active" || sv.ExpiresAt.Sub(want).Abs() > time.Second {
		t.Fatalf("service after the overturn = %+v, want expiry %v", sv, want)
	}
	if b := s.balance(t, p); b.CashFen != before.CashFen || b.FrozenCashFen != 0 {
		t.Fatalf("balance after the overturn = %+v", b)
	}
	// The ban took 23 of the refund window's 24 hours: they are back.
	if d, err := s.a.RefundPreview(ctx, p, o.ID); err != nil || d.Outcome != refund.Eligible {
		t.Fatalf("refund after the overturn = %+v, %v", d, err)
	}
	s.clock.Advance(24 * time.Hour)
	if d, err := s.a.RefundPreview(ctx, p, o.ID); err != nil || d.Outcome != refund.Ineligible {
		t.Fatalf("refund after the remaining window = %+v, %v", d, err)
	}
	for _, action := range []string{"compliance.measure_imposed", "appeal.filed", "appeal.review", "appeal.overturn", "compliance.measure_overturned"} {
		if auditCount(t, s.a.DB(), action) != 1 {
			t.Errorf("audit %s missing", action)
		}
	}
	if rep, err := s.a.AuditVerify(ctx); err != nil || rep.Break != nil {
		t.Fatalf("audit chain: %+v %v", rep, err)
	}
}

// A late appeal is refused with clause 6.2 and the deadline; a notice
// that reached no channel is escalated and never starts the clock.
func TestLateAppealAndUnreachedNotice(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 10000)
	sv := s.buyService(t, p, "cs-nc-bw", "s1")
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	caseID := s.confirmedCase(t, officer, r.view.ID, sv.ID)
	m, err := s.a.ImposeMeasure(ctx, officer, caseID, app.MeasureInput{Kind: "suspend", ServiceID: sv.ID, Reason: "spam from this server"})
	if err != nil || len(m.Services) != 1 || m.Frozen {
		t.Fatalf("suspend = %+v, %v", m, err)
	}
	if st, _ := s.a.StandingOf(ctx, r.view.ID); st.Suspended != nil {
		t.Fatal("a one-service suspension set the account's standing")
	}
	deliverNotice(t, s.a, m.ID, "email", s.clock.Now())
	got, _ := s.a.ComplianceMeasure(ctx, p, m.ID)
	s.advanceTo(t, got.AppealDue)
	_, err = s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m.ID, Statement: "too late?"})
	wantCode(t, err, compliance.CodeAppealLate)
	var e *errs.Error
	if !errorsAs(err, &e) || e.Params["clause"] != "6.2" || e.Params["deadline"] == "" {
		t.Fatalf("late appeal error = %+v", e)
	}

	// A restriction whose email and SMS both fail: escalated, no clock.
	case2 := s.confirmedCase(t, officer, r.view.ID, "")
	m2, err := s.a.ImposeMeasure(ctx, officer, case2, app.MeasureInput{Kind: "restrict", Reason: "repeat"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ = s.login(t, r.email, goodPassword) // a principal carries the standing of its sign-in
	if _, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack()}, app.Idem{}); err == nil {
		t.Fatal("a restricted account could buy")
	}
	deliverNotice(t, s.a, m2.ID, "email", time.Time{})
	deliverNotice(t, s.a, m2.ID, "sms", time.Time{})
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	got2, _ := s.a.ComplianceMeasure(ctx, officer, m2.ID)
	if got2.Notice != "unreached" || !got2.AppealDue.IsZero() || auditCount(t, s.a.DB(), "compliance.notice_unreached") != 1 {
		t.Fatalf("unreached = %+v", got2)
	}
	// The clock has not started: an appeal is not late however long after.
	s.clock.Advance(60 * 24 * time.Hour)
	if _, err := s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m2.ID, Statement: "I never got a notice"}); err != nil {
		t.Fatalf("appeal with no notice delivered: %v", err)
	}
}

// Upholding keeps the measure in force and says why; the customer is told
// by email and SMS; a reviewer who did not take the appeal may not decide
// it.
func TestAppealUpheldKeepsTheMeasure(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 10000)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	reviewer := s.staff(t, nil, "reviewer", account.RoleAppealReviewer)
	second := s.staff(t, nil, "reviewer2", account.RoleAppealReviewer)
	m, err := s.a.ImposeMeasure(ctx, officer, s.confirmedCase(t, officer, r.view.ID, ""), app.MeasureInput{Kind: "restrict", Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m.ID, Statement: "it was a newsletter"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "uphold", Text: "x"})
	wantCode(t, err, compliance.CodeAppealBadState) // taken for review first
	// Undecided at its review deadline (5 working days): flagged once.
	s.advanceTo(t, ap.ReviewDue)
	for i := 0; i < 2; i++ {
		if err := s.a.RunSweeps(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.a.Appeal(ctx, reviewer, ap.ID); !got.Overdue || auditCount(t, s.a.DB(), "appeal.review_overdue") != 1 {
		t.Fatalf("overdue = %+v", got)
	}
	if _, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.DecideAppeal(ctx, second, ap.ID, app.AppealDecision{Action: "overturn"})
	wantCode(t, err, "appeal.not_reviewer")
	got, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "uphold", Text: "40 000 recipients never opted in"})
	if err != nil || got.State != "upheld" || got.DecisionText == "" || got.Measure.State != "in_force" {
		t.Fatalf("upheld = %+v, %v", got, err)
	}
	if st, _ := s.a.StandingOf(ctx, r.view.ID); st.Restricted == nil {
		t.Fatal("the restriction was lifted by an upheld appeal")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = 'appeal.decided' AND account_id = $1`, r.view.ID); n != 1 {
		t.Fatalf("%d decision notices", n)
	}
	// The decision is final: the appeal does not open again, and no second
	// appeal is filed against the measure.
	_, err = s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "overturn"})
	wantCode(t, err, compliance.CodeAppealBadState)
	_, err = s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m.ID, Statement: "once more"})
	wantCode(t, err, compliance.CodeAppealDecided)
}
