package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/service"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The services API end to end (issue 12): a customer's services and their
// history, renewal orders paid like any order, upgrades paid and
// downgrades credited, automatic renewal, the staff actions by role, and
// the refusals in both languages. Every test runs its own sandbox server
// with the demo seed and checks the ledger at the end (newCommerceServer).

// demoIndividual signs the demo individual in (verified, ¥1,000 of cash,
// three services: active with automatic renewal, in grace, terminated),
// with l's language cookie (the sign-in sets the account's, zh-CN).
func demoIndividual(t *testing.T, s *webtest.Server, l lang) *webtest.Client {
	t.Helper()
	c := signIn(t, s, l, "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
	c.SetCookie(i18n.CookieName, l.name)
	return c
}

// buyService buys one month of product/plan with the balance (topped up
// first) and returns the service the order delivered.
func buyService(t *testing.T, c *webtest.Client, product, plan string) app.ServiceView {
	t.Helper()
	topUp(t, c, 50000)
	o := pay(t, c, checkout(t, c, orderReq(product, plan, "month", 1)).ID)
	for _, sv := range listServices(t, c, "/api/v1/services?limit=100").Items {
		if sv.OrderID == o.ID {
			return sv
		}
	}
	t.Fatalf("no service for order %s", o.ID)
	return app.ServiceView{}
}

func listServices(t *testing.T, c *webtest.Client, path string) page[app.ServiceView] {
	t.Helper()
	return webtest.Decode[page[app.ServiceView]](t, c.Do(t, "GET", path, nil), http.StatusOK)
}

func getService(t *testing.T, c *webtest.Client, id string) app.ServiceView {
	t.Helper()
	return webtest.Decode[app.ServiceView](t, c.Do(t, "GET", "/api/v1/services/"+id, nil), http.StatusOK)
}

// byState is the first of the demo individual's services in state.
func byState(t *testing.T, c *webtest.Client, state string) app.ServiceView {
	t.Helper()
	l := listServices(t, c, "/api/v1/services?state="+state)
	if len(l.Items) == 0 {
		t.Fatalf("no %s service", state)
	}
	return l.Items[0]
}

func renewBody(cycles int) map[string]any {
	return map[string]any{"cycles": cycles, "agreement": ack()}
}

func planBody(plan string) map[string]any { return map[string]any{"plan_id": plan, "agreement": ack()} }

func TestServicesListAndReadOwnOnly(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := demoIndividual(t, s, langs[1])

	all := listServices(t, c, "/api/v1/services")
	states := map[string]int{}
	for _, sv := range all.Items {
		states[sv.State]++
		if sv.State != "pending" && !strings.HasSuffix(sv.ExpiresAt.Format(time.RFC3339), "+08:00") || sv.Suspensions == nil {
			t.Errorf("service %s: expires %s, suspensions %v", sv.ID, sv.ExpiresAt.Format(time.RFC3339), sv.Suspensions)
		}
	}
	if len(all.Items) != 4 || states["pending"] != 1 || states["active"] != 1 || states["suspended"] != 1 || states["terminated"] != 1 || all.NextCursor != "" {
		t.Fatalf("demo services by state %v (%d, cursor %q)", states, len(all.Items), all.NextCursor)
	}
	active, grace, ended := byState(t, c, "active"), byState(t, c, "suspended"), byState(t, c, "terminated")
	if !active.AutoRenew || active.Phase != "in_term" {
		t.Errorf("active %+v", active)
	}
	if grace.Phase != "grace" || len(grace.Suspensions) != 1 || grace.Suspensions[0].Reason != "overdue" || grace.GraceUntil.IsZero() {
		t.Errorf("in grace %+v", grace)
	}
	if ended.DataKeptTill.IsZero() || ended.TerminatedAt.IsZero() {
		t.Errorf("terminated %+v", ended)
	}
	// Filters and paging.
	if l := listServices(t, c, "/api/v1/services?state=active,suspended&kind=cloud_server"); len(l.Items) != 2 {
		t.Errorf("live cloud servers %d", len(l.Items))
	}
	if l := listServices(t, c, "/api/v1/services?kind=vpn"); len(l.Items) != 2 || l.Items[0].Kind != "vpn" || l.Items[1].Kind != "vpn" {
		t.Errorf("vpn %+v", l.Items)
	}
	p1 := listServices(t, c, "/api/v1/services?limit=3")
	if len(p1.Items) != 3 || p1.NextCursor == "" {
		t.Fatalf("page 1 %+v", p1)
	}
	p2 := listServices(t, c, "/api/v1/services?limit=3&cursor="+p1.NextCursor)
	if len(p2.Items) != 1 || p2.Items[0].ID != all.Items[3].ID || p2.NextCursor != "" {
		t.Errorf("page 2 %+v", p2)
	}
	wantProblem(t, c.Do(t, "GET", "/api/v1/services?state=expired", nil), http.StatusUnprocessableEntity, "request.invalid", "", "")
	wantProblem(t, c.Do(t, "GET", "/api/v1/services?cursor=bm9wZQ", nil), http.StatusBadRequest, "request.invalid_cursor", "", "query.cursor")

	// One service with its history.
	got := getService(t, c, grace.ID)
	kinds := map[string]bool{}
	for _, e := range got.Events {
		kinds[e.Kind] = true
	}
	if !kinds["activated"] || !kinds["suspended"] || got.Events[0].At.IsZero() {
		t.Errorf("history %+v", got.Events)
	}

	// Another customer sees none of it, whatever it asks.
	other, _ := verifiedCustomer(t, s, langs[1])
	if l := listServices(t, other, "/api/v1/services"); len(l.Items) != 0 {
		t.Errorf("a stranger lists %d services", len(l.Items))
	}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/services/" + active.ID, nil},
		{"POST", "/api/v1/services/" + active.ID + "/renew", renewBody(1)},
		{"POST", "/api/v1/services/" + active.ID + "/plan", planBody("s2")},
		{"PUT", "/api/v1/services/" + active.ID + "/auto-renew", map[string]any{"on": false}},
		{"GET", "/api/v1/services/no-such-service", nil},
	} {
		wantProblem(t, other.Do(t, r.method, r.path, r.body), http.StatusNotFound, "service.not_found", "", "")
	}
	if v := getService(t, c, active.ID); !v.AutoRenew || !v.ExpiresAt.Equal(active.ExpiresAt) {
		t.Errorf("the service after a stranger's attempts %+v", v)
	}
	// Staff have no services of their own on the customer routes.
	support := staffClient(t, s, account.RoleSupport)
	wantProblem(t, support.Do(t, "GET", "/api/v1/services", nil), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, support.Do(t, "GET", "/api/v1/services/"+active.ID, nil), http.StatusNotFound, "service.not_found", "", "")
}

// A renewal order for one cycle, paid by balance, moves the expiry by one
// month from the old one; renewing a terminated service is 409 with its
// code, zero cycles 422.
func TestServicesRenewAndPay(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := demoIndividual(t, s, langs[1])
	active := byState(t, c, "active")

	o := webtest.Decode[app.OrderView](t, c.Do(t, "POST", "/api/v1/services/"+active.ID+"/renew", renewBody(1)), http.StatusCreated)
	if o.Purpose != app.PurposeRenewal || o.ServiceID != active.ID || o.State != "created" || o.TotalFen != 3900 || len(o.Lines) != 1 ||
		o.Lines[0].Quantity != 1 || !strings.HasSuffix(o.CreatedAt.Format(time.RFC3339), "+08:00") {
		t.Fatalf("renewal order %+v", o)
	}
	if got := getService(t, c, active.ID); !got.ExpiresAt.Equal(active.ExpiresAt) {
		t.Fatalf("the term moved before payment: %s", got.ExpiresAt)
	}
	if paid := pay(t, c, o.ID); paid.State != "delivered" {
		t.Fatalf("paid renewal %+v", paid)
	}
	got := getService(t, c, active.ID)
	if want := service.AddCycles(active.ExpiresAt, "month", 1); !got.ExpiresAt.Equal(want) || got.State != "active" {
		t.Fatalf("expiry after renewal %s, want %s (%s)", got.ExpiresAt, want, got.State)
	}
	if e := got.Events[len(got.Events)-1]; e.Kind != "renewed" || e.Data["order"] != o.ID {
		t.Errorf("last event %+v", e)
	}

	// A lapsed service (in grace) renews from the payment and runs again.
	grace := byState(t, c, "suspended")
	o2 := webtest.Decode[app.OrderView](t, c.Do(t, "POST", "/api/v1/services/"+grace.ID+"/renew", renewBody(2)), http.StatusCreated)
	if o2.TotalFen != 2*o2.Lines[0].UnitPriceFen || o2.Lines[0].Quantity != 2 {
		t.Fatalf("two cycles %+v", o2)
	}
	pay(t, c, o2.ID)
	if g := getService(t, c, grace.ID); g.State != "active" || len(g.Suspensions) != 0 || !g.ExpiresAt.After(s.App.Now().AddDate(0, 1, 27)) {
		t.Errorf("after renewing in grace %+v", g)
	}

	// Refused: a terminated service, zero or too many cycles, no clauses.
	ended := byState(t, c, "terminated")
	p := wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+ended.ID+"/renew", renewBody(1)), http.StatusConflict, app.CodeServiceNotRenewable, "", "")
	if p.Detail == "" {
		t.Errorf("no detail %+v", p)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+active.ID+"/renew", renewBody(0)), http.StatusUnprocessableEntity, "request.invalid", "", "body.cycles")
	wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+active.ID+"/renew", renewBody(37)), http.StatusUnprocessableEntity, "request.invalid", "", "body.cycles")
	noAck := map[string]any{"cycles": 1, "agreement": map[string]any{"acknowledged": []string{}}}
	wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+active.ID+"/renew", noAck), http.StatusUnprocessableEntity,
		"agreement.key_clause_not_acknowledged", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+active.ID+"/renew", map[string]any{"cycles": 1, "agreement": ack(), "total_fen": 1}),
		http.StatusBadRequest, "request.unknown_field", "", "")
}

// An upgrade is an order for the prorated difference, applied on payment;
// a downgrade changes at once and credits refund credit.
func TestServicesUpgradeThenDowngrade(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, cust := verifiedCustomer(t, s, langs[1])
	sv := buyService(t, c, "cs-nc-bw", "s1") // ¥39, s2 ¥79
	webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/sandbox/clock", map[string]any{"advance": "240h"}), http.StatusOK)
	c = signIn(t, s, langs[1], cust.Email, cust.Password, false) // ten days on, the session has ended

	want, err := service.ProrateTerm(3900, 7900, "month", s.App.Now(), sv.ExpiresAt)
	if err != nil || want <= 0 || want >= 4000 {
		t.Fatalf("expected charge %d, %v", want, err)
	}
	ch := webtest.Decode[app.PlanChange](t, c.Do(t, "POST", "/api/v1/services/"+sv.ID+"/plan", planBody("s2")), http.StatusOK)
	if ch.Order == nil || ch.Order.Purpose != app.PurposeUpgrade || ch.Order.TotalFen != want || ch.CreditFen != 0 || ch.Service.PlanID != "s1" {
		t.Fatalf("upgrade %+v (want an order of %d)", ch, want)
	}
	pay(t, c, ch.Order.ID)
	up := getService(t, c, sv.ID)
	if up.PlanID != "s2" || !up.ExpiresAt.Equal(sv.ExpiresAt) || up.Name == sv.Name {
		t.Fatalf("after the upgrade %+v", up)
	}

	before := walletOf(t, c).Balance
	dn := webtest.Decode[app.PlanChange](t, c.Do(t, "POST", "/api/v1/services/"+sv.ID+"/plan", planBody("s1")), http.StatusOK)
	if dn.Order != nil || dn.CreditFen <= 0 || dn.Service.PlanID != "s1" {
		t.Fatalf("downgrade %+v", dn)
	}
	after := walletOf(t, c).Balance
	if after.RefundCreditFen != before.RefundCreditFen+dn.CreditFen || after.CashFen != before.CashFen || after.WithdrawableFen != before.WithdrawableFen {
		t.Errorf("balance %+v after a downgrade credit of %d (before %+v)", after, dn.CreditFen, before)
	}

	// Refused: another product's plan, the current plan, an unknown one.
	p := wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+sv.ID+"/plan", planBody("t2")), http.StatusUnprocessableEntity,
		app.CodePlanChangeInvalid, "", "body.plan_id")
	if f, _ := p.Field("body.plan_id"); f.Rule != "other_product" || f.Message == "" {
		t.Errorf("field %+v", f)
	}
	p = wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+sv.ID+"/plan", planBody("s1")), http.StatusUnprocessableEntity,
		app.CodePlanChangeInvalid, "", "body.plan_id")
	if f, _ := p.Field("body.plan_id"); f.Rule != "same_plan" {
		t.Errorf("field %+v", f)
	}
}

// Automatic renewal on and off; off is the cancellation at term end.
func TestServicesAutoRenewToggle(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := demoIndividual(t, s, langs[0])
	active := byState(t, c, "active")
	off := webtest.Decode[app.ServiceView](t, c.Do(t, "PUT", "/api/v1/services/"+active.ID+"/auto-renew", map[string]any{"on": false}), http.StatusOK)
	if off.AutoRenew || off.State != "active" || !off.ExpiresAt.Equal(active.ExpiresAt) {
		t.Fatalf("off %+v", off)
	}
	on := webtest.Decode[app.ServiceView](t, c.Do(t, "PUT", "/api/v1/services/"+active.ID+"/auto-renew", map[string]any{"on": true}), http.StatusOK)
	if !on.AutoRenew || on.Events[len(on.Events)-1].Kind != "auto_renew_set" {
		t.Fatalf("on %+v", on)
	}
	ended := byState(t, c, "terminated")
	p := wantProblem(t, c.Do(t, "PUT", "/api/v1/services/"+ended.ID+"/auto-renew", map[string]any{"on": true}), http.StatusConflict,
		service.CodeTerminated, "", "")
	checkLanguage(t, p, true)
	wantProblem(t, c.Do(t, "PUT", "/api/v1/services/"+active.ID+"/auto-renew", map[string]any{}), http.StatusUnprocessableEntity, "request.required", "", "body.on")
}

// Staff: a compliance officer suspends and resumes for compliance;
// operations extend a term; other roles and other reasons are refused.
func TestServicesStaffActionsByRole(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, cust := verifiedCustomer(t, s, langs[1])
	sv := buyService(t, c, "cs-nc-bw", "s1")
	officer := staffClient(t, s, account.RoleComplianceOfficer)
	ops := staffClient(t, s, account.RoleOperations)
	support := staffClient(t, s, account.RoleSupport)
	admin := staffClient(t, s, account.RoleAdmin)
	act := func(cl *webtest.Client, body map[string]any) *webtest.Response {
		return cl.Do(t, "POST", "/api/v1/staff/services/"+sv.ID+"/action", body)
	}
	suspend := map[string]any{"action": "suspend", "reason": "compliance", "note": "case VC-1"}

	// Reading: any role with account.read_any, by account, state and kind.
	l := webtest.Decode[page[app.ServiceView]](t, support.Do(t, "GET", "/api/v1/staff/services?account_id="+cust.ID+"&state=active&kind=cloud_server", nil), http.StatusOK)
	if len(l.Items) != 1 || l.Items[0].ID != sv.ID {
		t.Fatalf("staff list %+v", l)
	}
	if l := webtest.Decode[page[app.ServiceView]](t, support.Do(t, "GET", "/api/v1/staff/services?account_id="+cust.ID+"&state=terminated", nil), http.StatusOK); len(l.Items) != 0 {
		t.Errorf("terminated %+v", l.Items)
	}
	webtest.Decode[app.ServiceView](t, ops.Do(t, "GET", "/api/v1/staff/services/"+sv.ID, nil), http.StatusOK)
	wantProblem(t, admin.Do(t, "GET", "/api/v1/staff/services", nil), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, c.Do(t, "GET", "/api/v1/staff/services", nil), http.StatusForbidden, "authz.staff_only", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/staff/services/"+sv.ID+"/action", suspend), http.StatusForbidden, "authz.staff_only", "", "")
	wantProblem(t, support.Do(t, "GET", "/api/v1/staff/services/no-such-service", nil), http.StatusNotFound, "service.not_found", "", "")

	// Suspending: compliance officers only, for compliance only, with a note.
	for _, cl := range []*webtest.Client{ops, support, admin} {
		wantProblem(t, act(cl, suspend), http.StatusForbidden, "authz.permission_denied", "", "")
	}
	wantProblem(t, act(officer, map[string]any{"action": "suspend", "reason": "overdue", "note": "x"}), http.StatusUnprocessableEntity,
		"service.reason_system_only", "", "body.reason")
	wantProblem(t, act(officer, map[string]any{"action": "suspend", "reason": "compliance", "note": ""}), http.StatusUnprocessableEntity,
		service.CodeInvalid, "", "body.note")
	wantProblem(t, act(officer, map[string]any{"action": "delete", "reason": "compliance", "note": "x"}), http.StatusUnprocessableEntity,
		"request.invalid", "", "body.action")
	got := webtest.Decode[app.ServiceView](t, act(officer, suspend), http.StatusOK)
	if got.State != "suspended" || len(got.Suspensions) != 1 || got.Suspensions[0].Reason != "compliance" {
		t.Fatalf("suspended %+v", got)
	}
	if mine := getService(t, c, sv.ID); mine.State != "suspended" || mine.Suspensions[0].Reason != "compliance" {
		t.Errorf("the customer sees %+v", mine)
	}
	got = webtest.Decode[app.ServiceView](t, act(officer, map[string]any{"action": "resume", "reason": "compliance", "note": "dismissed"}), http.StatusOK)
	if got.State != "active" || len(got.Suspensions) != 0 {
		t.Fatalf("resumed %+v", got)
	}

	// Extending: service.operate (operations), goodwill or outage.
	extend := map[string]any{"action": "extend", "reason": "outage", "hours": 24, "note": "incident INC-7"}
	wantProblem(t, act(officer, extend), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, act(support, extend), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, act(ops, map[string]any{"action": "extend", "reason": "outage", "hours": 0, "note": "x"}), http.StatusUnprocessableEntity,
		"request.invalid", "", "body.hours")
	wantProblem(t, act(ops, map[string]any{"action": "extend", "reason": "compliance_overturn", "hours": 5, "note": "x"}), http.StatusUnprocessableEntity,
		service.CodeInvalid, "", "body.reason")
	got = webtest.Decode[app.ServiceView](t, act(ops, extend), http.StatusOK)
	if !got.ExpiresAt.Equal(sv.ExpiresAt.Add(24 * time.Hour)) {
		t.Fatalf("extended to %s, want %s", got.ExpiresAt, sv.ExpiresAt.Add(24*time.Hour))
	}
	kinds := map[string]int{}
	for _, e := range got.Events {
		kinds[e.Kind]++
		if e.Kind == "extended" && (e.Reason != "outage" || e.Data["note"] != "incident INC-7") {
			t.Errorf("extension event %+v", e)
		}
	}
	if kinds["suspended"] != 1 || kinds["resumed"] != 1 || kinds["extended"] != 1 {
		t.Errorf("history %v", kinds)
	}
}

// Refusals in both languages, with the field and the rule.
func TestServicesErrorsInBothLanguages(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			han := l.name == "zh-CN"
			c := demoIndividual(t, s, l)
			active, ended := byState(t, c, "active"), byState(t, c, "terminated")
			p := wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+ended.ID+"/renew", renewBody(1)), http.StatusConflict,
				app.CodeServiceNotRenewable, i18n.T(i18n.Lang(l.name), "error."+app.CodeServiceNotRenewable, nil), "")
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+active.ID+"/plan", planBody("t2")), http.StatusUnprocessableEntity,
				app.CodePlanChangeInvalid, "", "body.plan_id")
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+active.ID+"/renew", renewBody(0)), http.StatusUnprocessableEntity,
				"request.invalid", "", "body.cycles")
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/services/"+ended.ID+"/plan", planBody("s2")), http.StatusConflict,
				app.CodePlanChangeInvalid, "", "")
			checkLanguage(t, p, han)
			officer := signIn(t, s, l, "compliance_officer@staff.demo.yuanxu.test", "yuanxu-demo-staff-compliance_officer", true)
			officer.SetCookie(i18n.CookieName, l.name)
			p = wantProblem(t, officer.Do(t, "POST", "/api/v1/staff/services/"+active.ID+"/action",
				map[string]any{"action": "resume", "reason": "refund_pending", "note": "x"}), http.StatusUnprocessableEntity, "service.reason_system_only", "", "body.reason")
			checkLanguage(t, p, han)
			p = wantProblem(t, officer.Do(t, "POST", "/api/v1/staff/services/"+ended.ID+"/action", map[string]any{"action": "suspend", "reason": "compliance",
				"note": "x"}), http.StatusConflict, service.CodeTerminated, "", "")
			checkLanguage(t, p, han)
		})
	}
}

// Every error code the services routes can answer, and every rule they
// name, has a message in both languages.
func TestServicesCodesHaveMessages(t *testing.T) {
	t.Parallel()
	for _, code := range []string{
		app.CodeServiceNotRenewable, app.CodePlanChangeInvalid, "service.reason_system_only", "service.not_found",
		service.CodeInvalid, service.CodeTerminated, service.CodeBadTransition, service.CodeProrate,
	} {
		m, ok := i18n.Lookup("error." + code)
		if !ok || strings.TrimSpace(m.ZH) == "" || strings.TrimSpace(m.EN) == "" {
			t.Errorf("code %s has no message in both languages", code)
		}
	}
	for _, rule := range []string{"range", "enum", "required", "same_plan", "other_product", "not_offered", "system_only"} {
		if !i18n.Has("rule." + rule) {
			t.Errorf("rule %s has no text", rule)
		}
	}
}
