package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

func staffP(roles ...account.Role) account.Principal {
	return account.Principal{AccountID: id.New(), Kind: account.KindStaff, Roles: roles}
}

// revisedSource is the default agreement with another refund window: a
// material revision.
func revisedSource(t *testing.T, window string) string {
	t.Helper()
	src := string(agreement.DefaultSource())
	old := "refund.window = 24h"
	if !strings.Contains(src, old) {
		t.Fatalf("default agreement has no %q line", old)
	}
	return strings.Replace(src, old, "refund.window = "+window, 1)
}

func TestDefaultAgreementEffectiveOnceAcrossStarts(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	a1, _ := newApp(t, db, app.Config{})
	a2, _ := newApp(t, db, app.Config{})
	cur, err := a1.AgreementCurrent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cur.SHA256 != agreement.Default().SHA256 || cur.State != agreement.StateEffective || cur.Origin != store.AgreementOriginBuiltin {
		t.Fatalf("current = %+v", cur)
	}
	vs, err := a2.AgreementVersions(context.Background(), nil)
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions = %d, %v; want one", len(vs), err)
	}
	set, tr, err := a2.Policy().ForCustomer(context.Background(), "nobody", time.Now())
	if err != nil || tr.VersionID != cur.ID || tr.Reason != policy.ReasonInForce || set.Duration(policy.RefundWindow) != 24*time.Hour {
		t.Fatalf("ForCustomer = %v %+v %v", set, tr, err)
	}
}

func TestRegistrationRecordsPerClauseAcceptance(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	rs, err := store.Acceptances(context.Background(), s.a.DB(), store.AcceptanceFilter{AccountID: r.view.ID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("acceptances = %+v, %v", rs, err)
	}
	got := rs[0]
	if got.SHA256 != agreement.Default().SHA256 || got.Occasion != store.OccasionRegistration || got.Channel != "web" ||
		got.IPMasked != "198.51.100.0/24" || strings.Join(got.Acknowledged, ",") != strings.Join(app.DefaultKeyClauses(), ",") {
		t.Fatalf("acceptance = %+v", got)
	}
	if len(app.DefaultKeyClauses()) < 5 {
		t.Fatalf("key clauses = %v", app.DefaultKeyClauses())
	}
}

func TestRegistrationRefusesMissingKeyClause(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := ipCtx("198.51.100.1")
	email, phone := uniq()
	et, _ := s.a.SendCode(ctx, account.PurposeRegisterEmail, email, "")
	pt, _ := s.a.SendCode(ctx, account.PurposeRegisterPhone, phone, "")
	keys := app.DefaultKeyClauses()
	_, err := s.a.Register(ctx, app.RegisterInput{Kind: "individual", DisplayName: "X", Email: email, Phone: phone, Password: goodPassword,
		EmailCodeID: et.ID, EmailCode: codeFor(t, s.a, et), PhoneCodeID: pt.ID, PhoneCode: codeFor(t, s.a, pt), AcceptAgreement: true,
		AcknowledgedClauses: keys[1:]})
	wantCode(t, err, agreement.CodeKeyClauseNotAcknowledged)
	var e *errs.Error
	if !errorsAs(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "body.acknowledged_clauses" {
		t.Fatalf("fields = %+v", e)
	}
	_, err = s.a.Register(ctx, app.RegisterInput{Kind: "individual", DisplayName: "X", Email: email, Phone: phone, Password: goodPassword,
		EmailCodeID: et.ID, EmailCode: codeFor(t, s.a, et), PhoneCodeID: pt.ID, PhoneCode: codeFor(t, s.a, pt), AcceptAgreement: true,
		AcknowledgedClauses: keys, AgreementSHA256: strings.Repeat("0", 64)})
	wantCode(t, err, "agreement.acceptance_version_mismatch")
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM account WHERE kind = 'individual'`); n != 0 {
		t.Fatalf("accounts = %d after refused registrations", n)
	}
}

func TestMaterialRevisionForCustomer(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := ipCtx("203.0.113.9")
	cust := s.register(t, "individual")
	v1, err := s.a.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	drafter, signer := staffP(account.RoleLegal), staffP(account.RoleLegal)
	d, err := s.a.AgreementDraftCreate(ctx, drafter, app.DraftInput{Source: revisedSource(t, "48h"), Note: "longer refund window"})
	if err != nil {
		t.Fatal(err)
	}
	if fs, err := s.a.AgreementLint(ctx, signer, d.ID); err != nil || len(fs) != 0 {
		t.Fatalf("lint = %v, %v", fs, err)
	}
	// Drafts are not public.
	if _, err := s.a.AgreementVersionGet(ctx, nil, d.ID); errs.CodeOf(err) != "agreement.version_not_found" {
		t.Fatalf("public read of a draft: %v", err)
	}
	eff := s.clock.Now().Add(8 * 24 * time.Hour)
	_, err = s.a.AgreementSchedule(ctx, drafter, d.ID, app.ScheduleInput{EffectiveAt: eff, Material: true})
	wantCode(t, err, account.ReasonSeparation)
	_, err = s.a.AgreementSchedule(ctx, staffP(account.RoleAdmin), d.ID, app.ScheduleInput{EffectiveAt: eff, Material: true})
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.AgreementSchedule(ctx, signer, d.ID, app.ScheduleInput{EffectiveAt: s.clock.Now().Add(6 * 24 * time.Hour), Material: true})
	wantCode(t, err, "agreement.notice_too_short")
	v2, err := s.a.AgreementSchedule(ctx, signer, d.ID, app.ScheduleInput{EffectiveAt: eff, Material: true})
	if err != nil || v2.State != agreement.StateScheduled || v2.SignedOffBy != signer.AccountID {
		t.Fatalf("schedule = %+v, %v", v2, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = $1 AND account_id = $2`, string(notify.EventAgreementRevised), cust.view.ID); n != 1 {
		t.Fatalf("revision notices to the customer = %d, want 1", n)
	}
	// Before the instant, nothing changes.
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.a.AgreementCurrent(ctx); cur.ID != v1.ID {
		t.Fatalf("activated early: %s", cur.ID)
	}
	s.clock.Advance(8*24*time.Hour + time.Second)
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	cur, err := s.a.AgreementCurrent(ctx)
	if err != nil || cur.ID != v2.ID {
		t.Fatalf("current after the sweep = %s, %v; want %s", cur.ID, err, v2.ID)
	}
	old, err := s.a.AgreementVersionGet(ctx, nil, v1.ID)
	if err != nil || old.State != agreement.StateSuperseded || old.SupersededBy != v2.ID {
		t.Fatalf("old version = %+v, %v", old, err)
	}
	// The customer has not accepted the material revision: their decisions
	// still use the version they accepted.
	set, tr, err := s.a.Policy().ForCustomer(ctx, cust.view.ID, s.clock.Now())
	if err != nil || tr.VersionID != v1.ID || set.Duration(policy.RefundWindow) != 24*time.Hour {
		t.Fatalf("before re-acceptance: %+v %v", tr, err)
	}
	if need, _, err := s.a.AgreementNeedsAcceptance(ctx, cust.view.ID); err != nil || !need {
		t.Fatalf("needs acceptance = %v, %v", need, err)
	}
	p := account.Principal{AccountID: cust.view.ID, Kind: account.KindIndividual}
	if _, err := s.a.AgreementExplain(ctx, &p, v2.ID, app.KeyClauseIDs(v2)[0], "en", "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.AgreementAccept(ctx, p, app.AcceptInput{VersionID: v2.ID, SHA256: v2.SHA256, Acknowledged: app.KeyClauseIDs(cur)[1:]}); errs.CodeOf(err) != agreement.CodeKeyClauseNotAcknowledged {
		t.Fatalf("partial acceptance: %v", err)
	}
	acc, err := s.a.AgreementAccept(ctx, p, app.AcceptInput{VersionID: v2.ID, SHA256: v2.SHA256, Acknowledged: app.KeyClauseIDs(cur), UserAgent: "test"})
	if err != nil || acc.SHA256 != v2.SHA256 {
		t.Fatalf("accept = %+v, %v", acc, err)
	}
	s.clock.Advance(time.Second)
	set, tr, err = s.a.Policy().ForCustomer(ctx, cust.view.ID, s.clock.Now())
	if err != nil || tr.VersionID != v2.ID || tr.Reason != policy.ReasonAcceptedBefore || set.Duration(policy.RefundWindow) != 48*time.Hour {
		t.Fatalf("after re-acceptance: %+v %v", tr, err)
	}
	// An instant before the re-acceptance still answers the old version.
	if _, tr, _ := s.a.Policy().ForCustomer(ctx, cust.view.ID, s.clock.Now().Add(-2*time.Second)); tr.VersionID != v1.ID {
		t.Fatalf("history rewritten: %+v", tr)
	}
	_, _, diff, err := s.a.AgreementDiff(ctx, nil, v1.ID, v2.ID)
	if err != nil || len(diff) == 0 {
		t.Fatalf("diff = %v, %v", diff, err)
	}
}

func TestDraftRefusesMalformedSource(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	_, err := s.a.AgreementDraftCreate(context.Background(), staffP(account.RoleLegal), app.DraftInput{Source: revisedSource(t, "-1h")})
	wantKind(t, err, errs.Invalid)
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM agreement_version WHERE state = 'draft'`); n != 0 {
		t.Fatalf("drafts = %d", n)
	}
}

func TestLicenceCovers(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := context.Background()
	admin := staffP(account.RoleAdmin)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := from.AddDate(5, 0, 0)
	if _, err := s.a.LicenceCreate(ctx, staffP(account.RoleLegal), app.LicenceInput{}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("legal creating a licence: %v", err)
	}
	if _, err := s.a.LicenceCreate(ctx, admin, app.LicenceInput{Type: app.LicenceIPVPN, Number: "B1-1", Holder: "h", ValidFrom: from, ValidUntil: until}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("VPN licence without scope: %v", err)
	}
	if _, err := s.a.LicenceCreate(ctx, admin, app.LicenceInput{Type: app.LicenceIPVPN, Number: "B1.B2-20260001", Holder: "h",
		Scopes: []string{app.ScopeDomestic}, ValidFrom: from, ValidUntil: until}); err != nil {
		t.Fatal(err)
	}
	idc, err := s.a.LicenceCreate(ctx, admin, app.LicenceInput{Type: app.LicenceIDC, Number: "B1-20260002", Holder: "h", Regions: []string{"36"},
		ValidFrom: from, ValidUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	at := from.AddDate(1, 0, 0)
	for _, c := range []struct {
		kind, scope, region string
		at                  time.Time
		want                bool
	}{
		{"vpn", app.ScopeDomestic, "", at, true},
		{"vpn", app.ScopeCrossBorder, "", at, false},
		{"cloud_server", "", "36", at, true},
		{"cloud_server", "", "11", at, false},
		{"cloud_server", "", "36", until, false},
		{"cloud_server", "", "36", from.Add(-time.Second), false},
		{"cdn", "", "", at, false},
		{"certificate", "", "", at, true},
	} {
		got, _, err := s.a.LicenceCovers(ctx, c.kind, c.scope, c.region, c.at)
		if err != nil || got != c.want {
			t.Errorf("covers(%s, %s, %s, %v) = %v, %v; want %v", c.kind, c.scope, c.region, c.at, got, err, c.want)
		}
	}
	if err := s.a.LicenceRevoke(ctx, admin, idc.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.a.LicenceCovers(ctx, "cloud_server", "", "36", s.clock.Now().Add(time.Hour)); got {
		t.Error("a revoked licence still covers")
	}
}

func TestCalendarOverridesNeedTwoAdmins(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := context.Background()
	a1, a2 := staffP(account.RoleAdmin), staffP(account.RoleAdmin)
	if _, err := s.a.CalendarOverridePropose(ctx, a1, app.OverrideInput{Date: "2026-02-30", Reason: "x"}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("not a date: %v", err)
	}
	// 2026-09-30 + 3 working days is 2026-10-10 (a make-up Saturday); an
	// override making 2026-10-10 a rest day moves it to 2026-10-12.
	from := time.Date(2026, 9, 30, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	dl, err := s.a.CalendarDeadline(ctx, from, 3)
	if err != nil || dl.Due.String() != "2026-10-10" {
		t.Fatalf("deadline = %v, %v", dl.Due, err)
	}
	o, err := s.a.CalendarOverridePropose(ctx, a1, app.OverrideInput{Date: "2026-10-10", Working: false, Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if dl, _ := s.a.CalendarDeadline(ctx, from, 3); dl.Due.String() != "2026-10-10" {
		t.Fatalf("a pending override took effect: %v", dl.Due)
	}
	wantCode(t, s.a.CalendarOverrideApprove(ctx, a1, o.ID), account.ReasonSeparation)
	if err := s.a.CalendarOverrideApprove(ctx, a2, o.ID); err != nil {
		t.Fatal(err)
	}
	if dl, _ := s.a.CalendarDeadline(ctx, from, 3); dl.Due.String() != "2026-10-12" {
		t.Fatalf("deadline with the override = %v", dl.Due)
	}
	c, err := s.a.CalendarConfirmPropose(ctx, a1, 2027, "国务院办公厅关于2027年部分节假日安排的通知")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.a.CalendarConfirmApprove(ctx, a2, c.ID); err != nil {
		t.Fatal(err)
	}
	cal, err := s.a.Calendar(ctx)
	if err != nil || cal.Status(2027).String() != "confirmed" {
		t.Fatalf("2027 = %v, %v", cal.Status(2027), err)
	}
}

func TestDemoRevisionCanBeSignedOffByDemoLegal(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := context.Background()
	if _, err := s.a.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	legal := staffP(account.RoleLegal)
	vs, err := s.a.AgreementVersions(ctx, &legal)
	if err != nil {
		t.Fatal(err)
	}
	var drafts []app.AgreementVersion
	for _, v := range vs {
		if v.State == agreement.StateDraft {
			drafts = append(drafts, v)
		}
	}
	if len(drafts) != 1 || drafts[0].PreparedBy != app.DemoDrafter {
		t.Fatalf("demo drafts = %+v", drafts)
	}
	v, err := s.a.AgreementSchedule(ctx, legal, drafts[0].ID, app.ScheduleInput{EffectiveAt: s.clock.Now().Add(7 * 24 * time.Hour), Material: true})
	if err != nil || v.State != agreement.StateScheduled {
		t.Fatalf("schedule demo revision: %+v, %v", v, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM agreement_acceptance`); n < 3 {
		t.Fatalf("demo acceptances = %d", n)
	}
}
