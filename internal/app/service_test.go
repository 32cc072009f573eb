package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/notify"
	"yuanxu/internal/refund"
	"yuanxu/internal/service"
)

// buyService buys one unit of product/plan monthly with balance and
// returns its service.
func (s commerceSUT) buyService(t *testing.T, p account.Principal, product, plan string) app.ServiceView {
	t.Helper()
	ctx := context.Background()
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line(product, plan, "month")}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	svcs, err := s.a.Services(ctx, p, app.ServiceListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sv := range svcs {
		if sv.OrderID == v.ID {
			return sv
		}
	}
	t.Fatalf("no service for order %s", v.ID)
	return app.ServiceView{}
}

func (s commerceSUT) notices(t *testing.T, accountID string, ev notify.Event) int {
	t.Helper()
	return countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = $1 AND account_id = $2`, string(ev), accountID)
}

func (s commerceSUT) sweepTo(t *testing.T, at time.Time) {
	t.Helper()
	if d := at.Sub(s.clock.Now()); d > 0 {
		s.clock.Advance(d)
	}
	if err := s.a.RunSweeps(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestServiceLifecycleRemindersGraceRenewalTermination(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 100000)
	sv := s.buyService(t, p, "cs-nc-bw", "s1")
	start := s.clock.Now()
	if sv.State != "active" || !sv.ExpiresAt.Equal(service.AddCycles(start, "month", 1)) || sv.Phase != "in_term" {
		t.Fatalf("new service = %+v", sv)
	}
	day := 24 * time.Hour
	for _, c := range []struct {
		before time.Duration
		want   int
	}{{8 * day, 0}, {7 * day, 1}, {5 * day, 1}, {3 * day, 2}, {1 * day, 3}, {time.Hour, 3}} {
		s.sweepTo(t, sv.ExpiresAt.Add(-c.before))
		if n := s.notices(t, r.view.ID, notify.EventServiceExpiring); n != c.want {
			t.Fatalf("%s before expiry: %d reminders, want %d", c.before, n, c.want)
		}
	}
	// Expiry: suspended for overdue, kept through the grace period.
	s.sweepTo(t, sv.ExpiresAt)
	got, err := s.a.Service(ctx, p, sv.ID)
	if err != nil || got.State != "suspended" || got.Phase != "grace" || len(got.Suspensions) != 1 || got.Suspensions[0].Reason != "overdue" {
		t.Fatalf("after expiry: %+v, %v", got, err)
	}
	// Renewing in grace restarts the term from the payment.
	s.clock.Advance(2 * day)
	o, err := s.a.RenewService(ctx, p, sv.ID, app.RenewRequest{Cycles: 2, Agreement: ack()})
	if err != nil || o.Purpose != "renewal" || o.TotalFen != 2*3900 {
		t.Fatalf("renewal order = %+v, %v", o, err)
	}
	paid, err := s.a.PayOrder(ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance})
	if err != nil || paid.State != "delivered" {
		t.Fatalf("renewal paid = %+v, %v", paid, err)
	}
	got, _ = s.a.Service(ctx, p, sv.ID)
	if got.State != "active" || !got.ExpiresAt.Equal(service.AddCycles(s.clock.Now(), "month", 2)) {
		t.Fatalf("after renewal: %+v", got)
	}
	if n := s.notices(t, r.view.ID, notify.EventServiceRenewed); n != 1 {
		t.Fatalf("renewal notices = %d", n)
	}
	// No renewal reminder carried over from the old term: a new 7-day one comes.
	s.sweepTo(t, got.ExpiresAt.Add(-7*day))
	if n := s.notices(t, r.view.ID, notify.EventServiceExpiring); n != 4 {
		t.Fatalf("reminders for the new term = %d, want 4", n)
	}
	// Lapse, grace, termination, then the data-destruction request.
	s.sweepTo(t, got.ExpiresAt)
	s.sweepTo(t, got.ExpiresAt.Add(app.DefaultServiceLifecycle.Grace))
	got, _ = s.a.Service(ctx, p, sv.ID)
	if got.State != "terminated" || got.DataKeptTill.IsZero() {
		t.Fatalf("after grace: %+v", got)
	}
	_, err = s.a.RenewService(ctx, p, sv.ID, app.RenewRequest{Cycles: 1, Agreement: ack()})
	wantCode(t, err, app.CodeServiceNotRenewable)
	s.sweepTo(t, got.TerminatedAt.Add(app.DefaultServiceLifecycle.Retention))
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM service WHERE id = $1 AND data_destroy_requested_at_ms IS NOT NULL`, sv.ID); n != 1 {
		t.Fatal("no data-destruction request after the retention")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE subject_id = $1 AND action = 'service.terminated'`, sv.ID); n != 1 {
		t.Fatalf("terminations audited %d times", n)
	}
}

func TestAutoRenewFromBalanceAndItsProblems(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 3900+3900) // the service and one renewal
	sv := s.buyService(t, p, "cs-nc-bw", "s1")
	if _, err := s.a.SetAutoRenew(ctx, p, sv.ID, true); err != nil {
		t.Fatal(err)
	}
	s.sweepTo(t, sv.ExpiresAt.Add(-app.DefaultServiceLifecycle.RenewAhead))
	got, _ := s.a.Service(ctx, p, sv.ID)
	if !got.ExpiresAt.Equal(service.AddCycles(sv.ExpiresAt, "month", 1)) {
		t.Fatalf("not renewed automatically: %+v", got)
	}
	orders, _ := s.a.Orders(ctx, p, app.OrderListFilter{})
	if len(orders) != 2 || orders[0].Purpose != "renewal" || orders[0].Agreement.AcceptanceID == "" {
		t.Fatalf("orders = %+v", orders)
	}
	// The balance is empty now: one notice, however many sweeps.
	s.sweepTo(t, got.ExpiresAt.Add(-app.DefaultServiceLifecycle.RenewAhead))
	s.sweepTo(t, got.ExpiresAt.Add(-time.Hour))
	if n := s.notices(t, r.view.ID, notify.EventAutoRenewProblem); n != 1 {
		t.Fatalf("problem notices = %d", n)
	}
	got, _ = s.a.Service(ctx, p, sv.ID)
	if got.RenewalPaused != app.RenewProblemBalance {
		t.Fatalf("paused = %q", got.RenewalPaused)
	}
	// Topped up: the next sweep renews and clears the problem.
	if err := s.a.CreditCashForTest(ctx, r.view.ID, 3900); err != nil {
		t.Fatal(err)
	}
	s.sweepTo(t, s.clock.Now().Add(time.Minute))
	got, _ = s.a.Service(ctx, p, sv.ID)
	if got.RenewalPaused != "" || got.State != "active" || !got.ExpiresAt.After(sv.ExpiresAt.AddDate(0, 1, 0)) {
		t.Fatalf("after top-up: %+v", got)
	}
	// Turning it off is the cancellation at term end: the service runs on.
	if v, err := s.a.SetAutoRenew(ctx, p, sv.ID, false); err != nil || v.AutoRenew || v.State != "active" {
		t.Fatalf("auto-renew off: %+v, %v", v, err)
	}
}

func TestPlanChangesProrateAndCredit(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	sv := s.buyService(t, p, "cs-nc-bw", "s1") // ¥39/month
	s.clock.Advance(10 * 24 * time.Hour)
	want, err := service.ProrateTerm(3900, 7900, "month", s.clock.Now(), sv.ExpiresAt)
	if err != nil || want <= 0 || want >= 4000 {
		t.Fatalf("expected charge %d, %v", want, err)
	}
	ch, err := s.a.ChangePlan(ctx, p, sv.ID, app.ChangePlanRequest{PlanID: "s2", Agreement: ack()})
	if err != nil || ch.Order == nil || ch.Order.TotalFen != want || ch.Order.Purpose != "upgrade" {
		t.Fatalf("upgrade = %+v, %v", ch, err)
	}
	if _, err := s.a.PayOrder(ctx, p, ch.Order.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.a.Service(ctx, p, sv.ID)
	if got.PlanID != "s2" || !got.ExpiresAt.Equal(sv.ExpiresAt) {
		t.Fatalf("after upgrade: %+v", got)
	}
	// Downgrade back: a credit to refund credit, at once.
	before := s.balance(t, p)
	dn, err := s.a.ChangePlan(ctx, p, sv.ID, app.ChangePlanRequest{PlanID: "s1", Agreement: ack()})
	if err != nil || dn.Order != nil || dn.CreditFen <= 0 || dn.Service.PlanID != "s1" {
		t.Fatalf("downgrade = %+v, %v", dn, err)
	}
	if b := s.balance(t, p); b.RefundCreditFen != before.RefundCreditFen+dn.CreditFen || b.CashFen != before.CashFen {
		t.Fatalf("balance after downgrade = %+v (before %+v)", b, before)
	}
	// Refused: the same plan, another product's plan, another customer.
	_, err = s.a.ChangePlan(ctx, p, sv.ID, app.ChangePlanRequest{PlanID: "s1", Agreement: ack()})
	wantCode(t, err, app.CodePlanChangeInvalid)
	_, err = s.a.ChangePlan(ctx, p, sv.ID, app.ChangePlanRequest{PlanID: "t2", Agreement: ack()})
	wantCode(t, err, app.CodePlanChangeInvalid)
	_, other := s.buyer(t, 0)
	_, err = s.a.ChangePlan(ctx, other, sv.ID, app.ChangePlanRequest{PlanID: "s2", Agreement: ack()})
	wantKind(t, err, errs.NotFound)
	_, err = s.a.RenewService(ctx, other, sv.ID, app.RenewRequest{Cycles: 1, Agreement: ack()})
	wantKind(t, err, errs.NotFound)
}

func TestStaffSuspendResumeExtend(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	sv := s.buyService(t, p, "cs-nc-bw", "s1")
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	_, err := s.a.StaffServiceAct(ctx, ops, sv.ID, app.StaffServiceAction{Action: "suspend", Reason: "compliance", Note: "case VC-1"})
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.StaffServiceAct(ctx, officer, sv.ID, app.StaffServiceAction{Action: "suspend", Reason: "overdue", Note: "x"})
	wantCode(t, err, "service.reason_system_only")
	got, err := s.a.StaffServiceAct(ctx, officer, sv.ID, app.StaffServiceAction{Action: "suspend", Reason: "compliance", Note: "case VC-1"})
	if err != nil || got.State != "suspended" {
		t.Fatalf("suspend: %+v, %v", got, err)
	}
	s.clock.Advance(5 * time.Hour)
	if got, err = s.a.StaffServiceAct(ctx, officer, sv.ID, app.StaffServiceAction{Action: "resume", Reason: "compliance", Note: "dismissed"}); err != nil || got.State != "active" {
		t.Fatalf("resume: %+v, %v", got, err)
	}
	got, err = s.a.StaffServiceAct(ctx, ops, sv.ID, app.StaffServiceAction{Action: "extend", Reason: "outage", Hours: 5, Note: "incident INC-7"})
	if err != nil || !got.ExpiresAt.Equal(sv.ExpiresAt.Add(5*time.Hour)) {
		t.Fatalf("extend: %+v, %v", got, err)
	}
	kinds := map[string]int{}
	for _, e := range got.Events {
		kinds[e.Kind]++
	}
	if kinds["activated"] != 1 || kinds["suspended"] != 1 || kinds["resumed"] != 1 || kinds["extended"] != 1 {
		t.Fatalf("history = %+v", got.Events)
	}
}

func TestAutoRenewPausesUntilAMaterialRevisionIsAccepted(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := ipCtx("203.0.113.9")
	r, p := s.buyer(t, 100000)
	sv := s.buyService(t, p, "cs-nc-bw", "s1")
	if _, err := s.a.SetAutoRenew(ctx, p, sv.ID, true); err != nil {
		t.Fatal(err)
	}
	drafter, signer := staffP(account.RoleLegal), staffP(account.RoleLegal)
	d, err := s.a.AgreementDraftCreate(ctx, drafter, app.DraftInput{Source: revisedSource(t, "48h"), Note: "longer refund window"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.a.AgreementSchedule(ctx, signer, d.ID, app.ScheduleInput{EffectiveAt: s.clock.Now().Add(8 * 24 * time.Hour), Material: true})
	if err != nil {
		t.Fatal(err)
	}
	s.sweepTo(t, sv.ExpiresAt.Add(-app.DefaultServiceLifecycle.RenewAhead))
	got, _ := s.a.Service(ctx, p, sv.ID)
	if got.RenewalPaused != app.RenewProblemReacceptance || !got.ExpiresAt.Equal(sv.ExpiresAt) {
		t.Fatalf("not paused: %+v", got)
	}
	if n := s.notices(t, r.view.ID, notify.EventAutoRenewProblem); n != 1 {
		t.Fatalf("pause notices = %d", n)
	}
	if _, err := s.a.AgreementAccept(ctx, p, app.AcceptInput{VersionID: v2.ID, Acknowledged: app.KeyClauseIDs(v2), UserAgent: "test"}); err != nil {
		t.Fatal(err)
	}
	s.sweepTo(t, s.clock.Now().Add(time.Minute))
	got, _ = s.a.Service(ctx, p, sv.ID)
	if got.RenewalPaused != "" || !got.ExpiresAt.After(sv.ExpiresAt) {
		t.Fatalf("after re-acceptance: %+v", got)
	}
	orders, _ := s.a.Orders(ctx, p, app.OrderListFilter{})
	set, tr, err := s.a.Policy().For(ctx, orders[0].ID)
	if err != nil || tr.VersionID != v2.ID || set == nil {
		t.Fatalf("the automatic renewal records %+v, %v; want the version accepted last (%s)", tr, err, v2.ID)
	}
}

func TestDemoSeedsServicesInSeveralStates(t *testing.T) {
	t.Parallel()
	s := newKYCApp(t, kyc.SandboxVerifier{})
	ctx := context.Background()
	if _, err := s.a.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.SeedDemo(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	states := map[string]int{}
	rows, err := s.a.DB().Query(ctx, `SELECT state FROM service`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			t.Fatal(err)
		}
		states[st]++
	}
	if states["active"] != 1 || states["suspended"] != 1 || states["terminated"] != 1 {
		t.Fatalf("demo services by state = %v", states)
	}
	if r, err := s.a.LedgerVerify(ctx); err != nil || !r.OK() {
		t.Fatalf("ledger = %+v, %v", r, err)
	}
}

func TestDemoHasEligibleAndIneligibleRefundsToTry(t *testing.T) {
	t.Parallel()
	s := newKYCApp(t, kyc.SandboxVerifier{})
	ctx := context.Background()
	if _, err := s.a.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	p, _ := s.login(t, "individual@demo.yuanxu.test", "yuanxu-demo-individual")
	orders, err := s.a.Orders(ctx, p, app.OrderListFilter{})
	if err != nil || len(orders) != 4 { // and the manual VPN line waiting for operations (issue 13)
		t.Fatalf("demo orders = %d, %v", len(orders), err)
	}
	outcomes := map[refund.Outcome]int{}
	for _, o := range orders {
		d, err := s.a.RefundPreview(ctx, p, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		outcomes[d.Outcome]++
	}
	// The waiting manual line is undelivered and unmetered yet: a person reviews it.
	if outcomes[refund.Eligible] != 1 || outcomes[refund.Ineligible] != 2 || outcomes[refund.NeedsReview] != 1 {
		t.Fatalf("demo refund previews = %v", outcomes)
	}
	if r, err := s.a.LedgerVerify(ctx); err != nil || !r.OK() {
		t.Fatalf("ledger = %+v, %v", r, err)
	}
}
