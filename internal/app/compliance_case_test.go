package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/refund"
)

func TestAbuseReportsJoinOneCaseAndAreRateLimited(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := ipCtx("198.51.100.50")
	in := app.AbuseReportInput{Rule: "network_attack", Target: "203.0.113.9", Detail: "SYN flood", Contact: "abuse@operator.example"}
	for i := 0; i < 3; i++ {
		if _, err := s.a.ReportAbuse(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	// Another rule about the same address is another case.
	if _, err := s.a.ReportAbuse(ctx, app.AbuseReportInput{Rule: "spam", Target: "203.0.113.9", Detail: "spam"}); err != nil {
		t.Fatal(err)
	}
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	cs, err := s.a.Cases(context.Background(), officer, nil)
	if err != nil || len(cs) != 2 {
		t.Fatalf("cases = %+v, %v", cs, err)
	}
	attack := cs[0].ID
	if cs[0].Rule != "network_attack" {
		attack = cs[1].ID
	}
	c, err := s.a.Case(context.Background(), officer, attack)
	if err != nil || c.SignalCount != 3 || len(c.Signals) != 3 || c.Signals[0].Reporter == "abuse@operator.example" || c.Signals[0].Reporter == "" {
		t.Fatalf("case = %+v, %v", c, err)
	}
	// Bad input: every problem at once, nothing stored.
	_, err = s.a.ReportAbuse(ctx, app.AbuseReportInput{Rule: "x", Target: "not a target", Detail: ""})
	var e *errs.Error
	if !errorsAs(err, &e) || e.Code != compliance.CodeReport || len(e.Fields) != 3 {
		t.Fatalf("bad report: %v", err)
	}
	// A flood from one address is cut off (10 an hour), without a case.
	var limited bool
	for i := 0; i < 12; i++ {
		if _, err := s.a.ReportAbuse(ctx, app.AbuseReportInput{Rule: "fraud", Target: "fraud.example", Detail: "phishing"}); errs.KindOf(err) == errs.RateLimited {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("no rate limit on an address's reports")
	}
	// Customers and support may not read cases.
	_, cp := s.buyer(t, 0)
	_, err = s.a.Cases(context.Background(), cp, nil)
	wantKind(t, err, errs.Forbidden)
}

func TestCaseReviewBlocksRefundsUntilDecided(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 10000)
	o := s.paidOrder(t, p, "cs-nc-bw", "s1", "month")
	support := s.staff(t, nil, "support", account.RoleSupport)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	other := s.staff(t, nil, "officer2", account.RoleComplianceOfficer)
	svcs, _ := s.a.Services(ctx, p, app.ServiceListFilter{})
	c, err := s.a.RaiseFinding(ctx, support, app.FindingInput{AccountID: r.view.ID, ServiceID: svcs[0].ID, Rule: "spam", Detail: "40 000 mails an hour"})
	if err != nil || c.State != "detected" || c.AccountID != r.view.ID {
		t.Fatalf("finding = %+v, %v", c, err)
	}
	d, err := s.a.RefundPreview(ctx, p, o.ID)
	if err != nil || d.Outcome != refund.Ineligible {
		t.Fatalf("refund while a case is open = %+v, %v", d, err)
	}
	// Support may report but not review.
	_, err = s.a.ActOnCase(ctx, support, c.ID, app.CaseAction{Action: "review"})
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.ActOnCase(ctx, officer, c.ID, app.CaseAction{Action: "dismiss", Text: "x"})
	wantCode(t, err, app.CodeCaseBadTransition)
	if _, err := s.a.ActOnCase(ctx, officer, c.ID, app.CaseAction{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	ev, err := s.a.AddEvidence(ctx, officer, c.ID, "mail-log.png", png, "mail log")
	if err != nil || ev.SHA256 == "" {
		t.Fatalf("evidence = %+v, %v", ev, err)
	}
	_, err = s.a.AddEvidence(ctx, officer, c.ID, "x.exe", []byte("MZ\x90\x00"), "")
	if errs.KindOf(err) != errs.Invalid {
		t.Fatalf("an executable accepted as evidence: %v", err)
	}
	if _, b, err := s.a.EvidenceContent(ctx, other, c.ID, ev.ID); err != nil || len(b) != len(png) {
		t.Fatalf("evidence content: %d %v", len(b), err)
	}
	_, err = s.a.ActOnCase(ctx, other, c.ID, app.CaseAction{Action: "dismiss", Text: "not mine to decide"})
	wantCode(t, err, "violation_case.not_reviewer")
	_, err = s.a.ActOnCase(ctx, officer, c.ID, app.CaseAction{Action: "dismiss"})
	wantCode(t, err, app.CodeCaseInvalid)
	got, err := s.a.ActOnCase(ctx, officer, c.ID, app.CaseAction{Action: "dismiss", Text: "a newsletter the recipients asked for"})
	if err != nil || got.State != "dismissed" || got.RetainUntil.Sub(got.DecidedAt) < 180*24*time.Hour {
		t.Fatalf("dismissed = %+v, %v", got, err)
	}
	if d, err := s.a.RefundPreview(ctx, p, o.ID); err != nil || d.Outcome != refund.Eligible {
		t.Fatalf("refund after dismissal = %+v, %v", d, err)
	}
	// A decided case takes no more evidence.
	_, err = s.a.AddEvidence(ctx, officer, c.ID, "late.png", png, "")
	wantCode(t, err, app.CodeCaseBadTransition)
}

func TestBlocklistRefusesReRegistration(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	idNo := app.DemoResidentID("19850505", 505)
	_, err := s.a.BlockAdd(ctx, officer, app.BlockInput{Kind: "id_number", Value: idNo, Reason: "r", AuthorityRef: "a"})
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.BlockAdd(ctx, lead, app.BlockInput{Kind: "id_number", Value: "123", Reason: "r", AuthorityRef: "a"})
	wantCode(t, err, "compliance.block_invalid")
	_, err = s.a.BlockAdd(ctx, lead, app.BlockInput{Kind: "id_number", Value: idNo, Reason: "ban ordered", AuthorityRef: ""})
	wantCode(t, err, "compliance.block_invalid")
	b, err := s.a.BlockAdd(ctx, lead, app.BlockInput{Kind: "id_number", Value: idNo, Reason: "ban ordered", AuthorityRef: "公安〔2026〕1号"})
	if err != nil || b.Masked == idNo || !strings.HasSuffix(b.Masked, idNo[len(idNo)-4:]) {
		t.Fatalf("block = %+v, %v", b, err)
	}
	_, err = s.a.BlockAdd(ctx, lead, app.BlockInput{Kind: "id_number", Value: idNo, Reason: "again", AuthorityRef: "x"})
	wantCode(t, err, "compliance.block_exists")
	// The blocked person cannot verify a new account.
	r, p := s.customer(t, "individual")
	_, err = s.a.KYCSubmit(ctx, p, r.view.ID, individualForm("张三", idNo, "13800001111"))
	wantCode(t, err, app.CodeBlocked)
	// A blocked phone cannot register.
	email, phone := uniq()
	if _, err := s.a.BlockAdd(ctx, lead, app.BlockInput{Kind: "phone", Value: phone, Reason: "ban ordered", AuthorityRef: "公安〔2026〕2号"}); err != nil {
		t.Fatal(err)
	}
	ic := ipCtx("198.51.100.9")
	et, _ := s.a.SendCode(ic, account.PurposeRegisterEmail, email, "zh-CN")
	pt, _ := s.a.SendCode(ic, account.PurposeRegisterPhone, phone, "zh-CN")
	_, err = s.a.Register(ic, app.RegisterInput{Kind: "individual", DisplayName: "x", Email: email, Phone: phone, Password: goodPassword,
		EmailCodeID: et.ID, EmailCode: codeFor(t, s.a, et), PhoneCodeID: pt.ID, PhoneCode: codeFor(t, s.a, pt), AcceptAgreement: true,
		AcknowledgedClauses: app.DefaultKeyClauses()})
	wantCode(t, err, app.CodeBlocked)
	// Lifted, the identity may verify again.
	if err := s.a.BlockLift(ctx, lead, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.KYCSubmit(ctx, p, r.view.ID, individualForm("张三", idNo, "13800001111")); err != nil {
		t.Fatalf("after lifting: %v", err)
	}
	list, err := s.a.Blocklist(ctx, lead)
	if err != nil || len(list) != 2 || list[1].LiftedAt.IsZero() && list[0].LiftedAt.IsZero() {
		t.Fatalf("list = %+v, %v", list, err)
	}
}
