package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/money"
	"yuanxu/internal/service"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The services pages (issue 12): my services and one service in both
// languages, the renewal flow through the order's page, plan changes with
// the price shown first, automatic renewal, the console's list and its
// actions by role, and bad input shown on the page. Every test runs its
// own sandbox server with the demo seed and verifies the ledger at the end
// (newCCEnv); the demo individual has three services: active with
// automatic renewal, in grace (suspended, overdue), terminated.

// svcOf is the demo individual's first service in state.
func (e ccEnv) svcOf(t *testing.T, state string) (account.Principal, app.ServiceView) {
	t.Helper()
	p := principalOf(t, e.s, demoIndividual)
	svcs, err := e.s.App.Services(e.ctx, p, app.ServiceListFilter{States: []string{state}})
	if err != nil || len(svcs) == 0 {
		t.Fatalf("no %s service: %v", state, err)
	}
	return p, svcs[0]
}

// svcNow reads a service through the app.
func (e ccEnv) svcNow(t *testing.T, p account.Principal, id string) app.ServiceView {
	t.Helper()
	v, err := e.s.App.Service(e.ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// clauseForm reads a form's hidden agreement fields and its key clauses
// (none ticked) by the id of the form and of its clause list.
func clauseForm(t *testing.T, doc *node, formID string) (url.Values, []string) {
	t.Helper()
	f := mustID(t, doc, formID)
	v := url.Values{"version_id": inputs(f, "version_id"), "sha256": inputs(f, "sha256")}
	var clauses []string
	for _, b := range f.all(func(m *node) bool { return m.tag == "input" && m.attrs["name"] == "ack" }) {
		if _, on := b.attrs["checked"]; on {
			t.Errorf("key clause %s is ticked before the customer ticked it", b.attrs["value"])
		}
		clauses = append(clauses, b.attrs["value"])
	}
	if v.Get("version_id") == "" || len(clauses) == 0 {
		t.Fatalf("form %s: agreement %v, clauses %v", formID, v, clauses)
	}
	return v, clauses
}

func TestServicesPagesRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	_, active := e.svcOf(t, "active")
	_, grace := e.svcOf(t, "suspended")
	_, ended := e.svcOf(t, "terminated")
	for _, c := range []struct {
		lang                                            string
		heading, overdue, left, notRefund, lapsed, kept string
	}{
		{"zh-CN", "我的服务", "已到期未续费", "剩余", "这不是退款", "已到期", "数据保留至"},
		{"en", "My services", "Expired, not renewed", "left (expires", "It is not a refund", "ago; kept in the grace period", "data kept until"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			cl := shopClient(t, e.s, demoIndividual, c.lang)
			_, doc := htmlOf(t, cl, "GET", "/services", nil, http.StatusOK)
			if htmlLang(t, doc) != c.lang || ccText(t, doc, "services-heading") != c.heading {
				t.Fatalf("lang %s, heading %q", htmlLang(t, doc), ccText(t, doc, "services-heading"))
			}
			rows := doc.all(func(n *node) bool { return n.attrs["class"] == "service" })
			if len(rows) != 4 { // three delivered, one manual line waiting (issue 13)
				t.Fatalf("%d rows", len(rows))
			}
			byID := map[string]*node{}
			for _, r := range rows {
				byID[r.attrs["data-service"]] = r
			}
			if r := byID[active.ID]; r == nil || r.attrs["data-state"] != "active" || !strings.Contains(r.textContent(), c.left) ||
				len(r.all(func(n *node) bool { return n.attrs["data-auto-renew"] == "on" })) != 1 {
				t.Errorf("active row %q", r.textContent())
			}
			if r := byID[grace.ID]; r == nil || !strings.Contains(r.textContent(), c.overdue) || !strings.Contains(r.textContent(), c.lapsed) {
				t.Errorf("grace row %q", r.textContent())
			}
			if r := byID[ended.ID]; r == nil || !strings.Contains(r.textContent(), c.kept) || len(r.all(func(n *node) bool { return n.attrs["data-renew"] != "" })) != 0 {
				t.Errorf("terminated row %q", r.textContent())
			}
			if nav := doc.all(func(n *node) bool { return n.attrs["data-nav"] == "services" }); len(nav) != 1 || nav[0].attrs["aria-current"] != "page" {
				t.Error("services is not the current nav item")
			}
			_, doc = htmlOf(t, cl, "GET", "/services?state=terminated", nil, http.StatusOK)
			if rows := doc.all(func(n *node) bool { return n.attrs["class"] == "service" }); len(rows) != 1 || rows[0].attrs["data-service"] != ended.ID {
				t.Errorf("terminated filter: %d rows", len(rows))
			}

			// The running service: renewal, plan change priced first, auto-renew.
			_, doc = htmlOf(t, cl, "GET", "/services/"+active.ID, nil, http.StatusOK)
			clauseForm(t, doc, "renew-form")
			clauseForm(t, doc, "plan-form")
			if got := mustID(t, doc, "service-expires").textContent(); got != active.ExpiresAt.In(service.CST).Format("2006-01-02 15:04") {
				t.Errorf("expiry %q", got)
			}
			opts := doc.all(func(n *node) bool { return n.attrs["data-plan"] != "" })
			if len(opts) != 1 || opts[0].attrs["data-plan"] != "s2" || opts[0].attrs["data-change"] != "upgrade" ||
				!strings.Contains(opts[0].textContent(), money.Fen(4000).Format(c.lang)) {
				t.Errorf("plan options %d: %q", len(opts), mustID(t, doc, "plan-options").textContent())
			}
			if got := ccText(t, doc, "cancel-not-refund"); !strings.Contains(got, c.notRefund) || !strings.Contains(got, "3.1") {
				t.Errorf("cancel note %q", got)
			}
			if got := ccText(t, doc, "renew-not-refundable"); !strings.Contains(got, "3.1") {
				t.Errorf("renewal refund note %q", got)
			}
			if doc.byID("auto-renew-off") == nil || doc.byID("auto-renew-on") != nil {
				t.Error("auto-renew is on: want the off button only")
			}
			if ev := doc.all(func(n *node) bool { return n.attrs["class"] == "service-event" }); len(ev) < 2 || ev[len(ev)-1].attrs["data-kind"] != "activated" {
				t.Errorf("history %q", mustID(t, doc, "service-history").textContent())
			}

			// In grace: renewable, no plan change until renewed.
			_, doc = htmlOf(t, cl, "GET", "/services/"+grace.ID, nil, http.StatusOK)
			if doc.byID("renew-form") == nil || doc.byID("plan-form") != nil || doc.byID("plan-unavailable") == nil {
				t.Error("grace: want the renewal form and no plan change")
			}
			if got := mustID(t, doc, "service-suspensions").textContent(); !strings.Contains(got, c.overdue) {
				t.Errorf("suspensions %q", got)
			}
			// Terminated: nothing to do but read.
			_, doc = htmlOf(t, cl, "GET", "/services/"+ended.ID, nil, http.StatusOK)
			for _, id := range []string{"renew-form", "plan-form", "auto-renew-form"} {
				if doc.byID(id) != nil {
					t.Errorf("terminated service offers #%s", id)
				}
			}
			if got := ccText(t, doc, "service-countdown"); !strings.Contains(got, c.kept) {
				t.Errorf("terminated countdown %q", got)
			}
		})
	}
	t.Run("staff403", func(t *testing.T) {
		staff := signIn(t, e.s, ccDemoStaff(account.RoleSupport))
		htmlOf(t, staff, "GET", "/services", nil, http.StatusForbidden)
		htmlOf(t, staff, "GET", "/services/"+active.ID, nil, http.StatusForbidden)
	})
	t.Run("anonymous", func(t *testing.T) {
		res := e.s.Do(t, "GET", "/services/"+active.ID, nil)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape("/services/"+active.ID) {
			t.Fatalf("anonymous: %d %s", res.Status, res.Header.Get("Location"))
		}
	})
}

// Another customer's service is not found, whatever is asked of it.
func TestServicesPagesOtherCustomersServiceIs404(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, active := e.svcOf(t, "active")
	other := shopClient(t, e.s, demoEnterprise, "zh-CN")
	for _, r := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/services/" + active.ID, nil},
		{"POST", "/services/" + active.ID + "/renew", url.Values{"cycles": {"1"}, "ack": app.DefaultKeyClauses()}},
		{"POST", "/services/" + active.ID + "/plan", url.Values{"plan_id": {"s2"}, "ack": app.DefaultKeyClauses()}},
		{"POST", "/services/" + active.ID + "/auto-renew", url.Values{"on": {"0"}}},
		{"GET", "/services/no-such-service", nil},
	} {
		htmlOf(t, other, r.method, r.path, r.form, http.StatusNotFound)
	}
	_, doc := htmlOf(t, other, "GET", "/services", nil, http.StatusOK)
	mustID(t, doc, "services-empty")
	if got := e.svcNow(t, p, active.ID); !got.AutoRenew || !got.ExpiresAt.Equal(active.ExpiresAt) {
		t.Fatalf("the service after a stranger's attempts %+v", got)
	}
}

// Renewing: the form refuses zero cycles and unticked clauses with what
// was typed kept; a good one places a renewal order and goes to its page,
// where paying it moves the expiry by one month; a terminated service is
// refused.
func TestServicesPagesRenewFlow(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, active := e.svcOf(t, "active")
	cl := shopClient(t, e.s, demoIndividual, "en")
	path := "/services/" + active.ID
	_, doc := htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	form, clauses := clauseForm(t, doc, "renew-form")

	bad := url.Values{"cycles": {"0"}, "ack": clauses}
	for k, v := range form {
		bad[k] = v
	}
	_, doc = htmlOf(t, cl, "POST", path+"/renew", bad, http.StatusUnprocessableEntity)
	if msg := mustID(t, doc, "renew").textContent(); !strings.Contains(msg, "Renew for 1 to 36 cycles.") {
		t.Errorf("zero cycles: %q", msg)
	}
	if mustID(t, doc, "cycles").attrs["value"] != "0" {
		t.Error("the cycles typed are lost")
	}
	for _, c := range clauses {
		if _, on := mustID(t, doc, "renew-ack-"+c).attrs["checked"]; !on {
			t.Errorf("clause %s unticked after the refusal", c)
		}
	}
	half := url.Values{"cycles": {"2"}, "ack": clauses[:1]}
	for k, v := range form {
		half[k] = v
	}
	_, doc = htmlOf(t, cl, "POST", path+"/renew", half, http.StatusUnprocessableEntity)
	if msg := formError(t, doc); !strings.Contains(msg, "renewal order cannot be placed") || !strings.Contains(msg, clauses[len(clauses)-1]) {
		t.Errorf("clauses missing: %q", msg)
	}
	if mustID(t, doc, "cycles").attrs["value"] != "2" {
		t.Error("the cycles typed are lost")
	}
	if os, _ := e.s.App.Orders(e.ctx, p, app.OrderListFilter{}); len(os) != 4 {
		t.Fatalf("refused renewals placed orders: %d", len(os))
	}

	good := url.Values{"cycles": {"1"}, "ack": clauses}
	for k, v := range form {
		good[k] = v
	}
	res, _ := htmlOf(t, cl, "POST", path+"/renew", good, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/orders/") || !strings.HasSuffix(loc, "?done=renewal_placed") {
		t.Fatalf("after renewing: %s", loc)
	}
	orderID := strings.TrimSuffix(strings.TrimPrefix(loc, "/orders/"), "?done=renewal_placed")
	_, doc = htmlOf(t, cl, "GET", loc, nil, http.StatusOK)
	if !strings.Contains(ccText(t, doc, "form-notice"), "renewal order is placed") || mustID(t, doc, "order-purpose").attrs["data-purpose"] != "renewal" {
		t.Errorf("order page: %q", ccText(t, doc, "form-notice"))
	}
	htmlOf(t, cl, "POST", "/orders/"+orderID+"/pay", url.Values{"method": {"balance"}}, http.StatusSeeOther)
	got := e.svcNow(t, p, active.ID)
	if want := service.AddCycles(active.ExpiresAt, catalog.CycleMonth, 1); !got.ExpiresAt.Equal(want) {
		t.Fatalf("expiry %s after renewing one month, want %s", got.ExpiresAt, want)
	}
	_, doc = htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	if ccText(t, doc, "service-expires") != got.ExpiresAt.In(service.CST).Format("2006-01-02 15:04") {
		t.Errorf("page expiry %q", ccText(t, doc, "service-expires"))
	}

	// A terminated service: no form, and a forged post is refused on the page.
	_, ended := e.svcOf(t, "terminated")
	_, doc = htmlOf(t, cl, "POST", "/services/"+ended.ID+"/renew", good, http.StatusConflict)
	if msg := formError(t, doc); !strings.Contains(msg, "cannot be renewed") {
		t.Errorf("terminated: %q", msg)
	}
}

// A plan change shows each plan's prorated price before it is confirmed;
// the upgrade is an order for exactly that, the downgrade credits refund
// credit at once; another product's plan is refused on the page.
func TestServicesPagesPlanChange(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, active := e.svcOf(t, "active")
	cl := shopClient(t, e.s, demoIndividual, "zh-CN")
	path := "/services/" + active.ID
	_, doc := htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	form, clauses := clauseForm(t, doc, "plan-form")
	quote := mustID(t, doc, "plan-options").textContent()
	want, err := service.ProrateTerm(3900, 7900, catalog.CycleMonth, e.s.App.Now(), active.ExpiresAt)
	if err != nil || !strings.Contains(quote, money.Fen(want).Format("zh-CN")) {
		t.Fatalf("quote %q, want %d (%v)", quote, want, err)
	}

	up := url.Values{"plan_id": {"s2"}, "ack": clauses}
	for k, v := range form {
		up[k] = v
	}
	res, _ := htmlOf(t, cl, "POST", path+"/plan", up, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasSuffix(loc, "?done=upgrade_placed") {
		t.Fatalf("after the upgrade: %s", loc)
	}
	orderID := strings.TrimSuffix(strings.TrimPrefix(loc, "/orders/"), "?done=upgrade_placed")
	o, err := e.s.App.Order(e.ctx, p, orderID)
	if err != nil || o.Purpose != app.PurposeUpgrade || o.TotalFen != want {
		t.Fatalf("upgrade order %+v, %v; want %d", o, err, want)
	}
	htmlOf(t, cl, "POST", "/orders/"+orderID+"/pay", url.Values{"method": {"balance"}}, http.StatusSeeOther)
	if got := e.svcNow(t, p, active.ID); got.PlanID != "s2" {
		t.Fatalf("plan after paying the upgrade %s", got.PlanID)
	}

	w0, _ := e.s.App.Wallet(e.ctx, p, "", "", 1)
	_, doc = htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	if opts := doc.all(func(n *node) bool { return n.attrs["data-plan"] == "s1" }); len(opts) != 1 || opts[0].attrs["data-change"] != "downgrade" ||
		!strings.Contains(opts[0].textContent(), "退款余额") {
		t.Fatalf("downgrade option %q", mustID(t, doc, "plan-options").textContent())
	}
	res, _ = htmlOf(t, cl, "POST", path+"/plan", url.Values{"plan_id": {"s1"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != path+"?done=plan_downgraded" {
		t.Fatalf("after the downgrade: %s", res.Header.Get("Location"))
	}
	w1, _ := e.s.App.Wallet(e.ctx, p, "", "", 1)
	if got := e.svcNow(t, p, active.ID); got.PlanID != "s1" || w1.Balance.RefundCreditFen <= w0.Balance.RefundCreditFen || w1.Balance.CashFen != w0.Balance.CashFen {
		t.Fatalf("after the downgrade: plan %s, balance %+v (before %+v)", got.PlanID, w1.Balance, w0.Balance)
	}
	_, doc = htmlOf(t, cl, "GET", path+"?done=plan_downgraded", nil, http.StatusOK)
	if ev := doc.all(func(n *node) bool { return n.attrs["data-kind"] == "downgrade_credited" }); len(ev) != 1 {
		t.Error("no credit in the history")
	}

	// Another product's plan, and no plan at all: refused on the page.
	_, doc = htmlOf(t, cl, "POST", path+"/plan", url.Values{"plan_id": {"t2"}}, http.StatusUnprocessableEntity)
	if msg := mustID(t, doc, "plan").textContent(); !strings.Contains(msg, "不能变更为该套餐") || !strings.Contains(msg, "同一产品") {
		t.Errorf("another product's plan: %q", msg)
	}
	htmlOf(t, cl, "POST", path+"/plan", url.Values{"plan_id": {""}}, http.StatusUnprocessableEntity)
}

// Automatic renewal off (the cancellation at term end) and on again; a
// terminated service refuses it on the page.
func TestServicesPagesAutoRenew(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, active := e.svcOf(t, "active")
	cl := shopClient(t, e.s, demoIndividual, "en")
	path := "/services/" + active.ID
	res, _ := htmlOf(t, cl, "POST", path+"/auto-renew", url.Values{"on": {"0"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != path+"?done=auto_renew_off" {
		t.Fatalf("after turning off: %s", res.Header.Get("Location"))
	}
	if got := e.svcNow(t, p, active.ID); got.AutoRenew || got.State != "active" {
		t.Fatalf("off: %+v", got)
	}
	_, doc := htmlOf(t, cl, "GET", path+"?done=auto_renew_off", nil, http.StatusOK)
	if !strings.Contains(ccText(t, doc, "form-notice"), "runs to the end of its term") || doc.byID("auto-renew-on") == nil ||
		!strings.Contains(ccText(t, doc, "auto-renew-term"), "runs until") {
		t.Errorf("off page: %q / %q", ccText(t, doc, "form-notice"), ccText(t, doc, "auto-renew-term"))
	}
	htmlOf(t, cl, "POST", path+"/auto-renew", url.Values{"on": {"1"}}, http.StatusSeeOther)
	if got := e.svcNow(t, p, active.ID); !got.AutoRenew {
		t.Fatal("not on again")
	}
	_, ended := e.svcOf(t, "terminated")
	_, doc = htmlOf(t, cl, "POST", "/services/"+ended.ID+"/auto-renew", url.Values{"on": {"1"}}, http.StatusConflict)
	if msg := formError(t, doc); !strings.Contains(msg, "terminated") {
		t.Errorf("terminated: %q", msg)
	}
}

// The console: the list with filters for any role reading accounts; the
// compliance form only for compliance officers, the extension form only
// for operations (and support leads); bad input on the page; other roles
// refused.
func TestServicesConsolePagesAndActions(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, active := e.svcOf(t, "active")
	_, grace := e.svcOf(t, "suspended")
	for _, l := range i18n.Langs {
		support := e.console(t, ccDemoStaff(account.RoleSupport), l)
		_, doc := htmlOf(t, support, "GET", "/console/services?account="+p.AccountID, nil, http.StatusOK)
		if got := ccText(t, doc, "services-heading"); got != map[i18n.Lang]string{i18n.ZH: "服务", i18n.EN: "Services"}[l] {
			t.Errorf("%s heading %q", l, got)
		}
		if rows := doc.all(func(n *node) bool { return n.attrs["class"] == "service" }); len(rows) != 4 {
			t.Errorf("%s: %d rows for the demo individual", l, len(rows))
		}
		_, doc = htmlOf(t, support, "GET", "/console/services?account="+p.AccountID+"&state=suspended&kind=cloud_server", nil, http.StatusOK)
		if rows := doc.all(func(n *node) bool { return n.attrs["class"] == "service" }); len(rows) != 1 || rows[0].attrs["data-service"] != grace.ID {
			t.Errorf("%s: filtered rows %d", l, len(rows))
		}
		_, doc = htmlOf(t, support, "GET", "/console/services?state=expired&account=nope", nil, http.StatusUnprocessableEntity)
		if ccFieldError(doc, "state") == "" || ccFieldError(doc, "account") == "" {
			t.Errorf("%s: bad filters not marked", l)
		}
		_, doc = htmlOf(t, support, "GET", "/console/services/"+active.ID, nil, http.StatusOK)
		if doc.byID("compliance-form") != nil || doc.byID("extend-form") != nil {
			t.Errorf("%s: support is offered staff actions", l)
		}
	}
	support := e.console(t, ccDemoStaff(account.RoleSupport), i18n.EN)
	officer := e.console(t, ccDemoStaff(account.RoleComplianceOfficer), i18n.EN)
	ops := e.console(t, ccDemoStaff(account.RoleOperations), i18n.ZH)
	path := "/console/services/" + active.ID
	_, doc := htmlOf(t, officer, "GET", path, nil, http.StatusOK)
	if doc.byID("suspend-submit") == nil || doc.byID("extend-form") != nil {
		t.Error("officer: want the suspend form only")
	}
	_, doc = htmlOf(t, ops, "GET", path, nil, http.StatusOK)
	if doc.byID("extend-form") == nil || doc.byID("compliance-form") != nil {
		t.Error("operations: want the extension form only")
	}

	// Refused roles and bad input.
	htmlOf(t, support, "POST", path+"/action", url.Values{"action": {"suspend"}, "note": {"x"}}, http.StatusForbidden)
	htmlOf(t, ops, "POST", path+"/action", url.Values{"action": {"suspend"}, "note": {"x"}}, http.StatusForbidden)
	htmlOf(t, officer, "POST", path+"/action", url.Values{"action": {"extend"}, "hours": {"5"}, "reason": {"goodwill"}, "note": {"x"}}, http.StatusForbidden)
	_, doc = htmlOf(t, officer, "POST", path+"/action", url.Values{"action": {"suspend"}, "note": {""}}, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "compliance-note") == "" || doc.byID("form-error") == nil {
		t.Error("a suspension without a note is not marked")
	}
	_, doc = htmlOf(t, ops, "POST", path+"/action", url.Values{"action": {"extend"}, "hours": {"0"}, "reason": {"outage"}, "note": {"INC-7"}},
		http.StatusUnprocessableEntity)
	if ccFieldError(doc, "hours") == "" || ccInputValue(t, doc, "extend-hours") != "0" || ccText(t, doc, "extend-note") != "INC-7" {
		t.Error("a zero extension is not marked, or the form lost what was typed")
	}
	_, doc = htmlOf(t, ops, "POST", path+"/action", url.Values{"action": {"extend"}, "hours": {"5"}, "reason": {"compliance_overturn"}, "note": {"x"}},
		http.StatusUnprocessableEntity)
	if ccFieldError(doc, "reason") == "" {
		t.Error("an extension reason staff may not use is not marked")
	}
	htmlOf(t, officer, "POST", path+"/action", url.Values{"action": {"delete"}, "note": {"x"}}, http.StatusUnprocessableEntity)

	// Suspend, resume, extend.
	res, _ := htmlOf(t, officer, "POST", path+"/action", url.Values{"action": {"suspend"}, "note": {"case VC-9"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != path+"?done=service_suspend" {
		t.Fatalf("after suspending: %s", res.Header.Get("Location"))
	}
	if got := e.svcNow(t, p, active.ID); got.State != "suspended" || got.Suspensions[0].Reason != "compliance" {
		t.Fatalf("suspended: %+v", got)
	}
	_, doc = htmlOf(t, officer, "GET", path+"?done=service_suspend", nil, http.StatusOK)
	if doc.byID("resume-submit") == nil || !strings.Contains(mustID(t, doc, "service-history").textContent(), "case VC-9") {
		t.Error("no resume form, or the note is not in the history")
	}
	htmlOf(t, officer, "POST", path+"/action", url.Values{"action": {"resume"}, "note": {"dismissed"}}, http.StatusSeeOther)
	htmlOf(t, ops, "POST", path+"/action", url.Values{"action": {"extend"}, "hours": {"24"}, "reason": {"outage"}, "note": {"INC-7"}}, http.StatusSeeOther)
	if got := e.svcNow(t, p, active.ID); got.State != "active" || !got.ExpiresAt.Equal(active.ExpiresAt.Add(24*time.Hour)) {
		t.Fatalf("after resuming and extending: %+v", got)
	}

	// Pages refused: no account.read_any, customers.
	admin := e.console(t, ccDemoStaff(account.RoleAdmin), i18n.EN)
	htmlOf(t, admin, "GET", "/console/services", nil, http.StatusForbidden)
	htmlOf(t, admin, "GET", path, nil, http.StatusForbidden)
	htmlOf(t, support, "GET", "/console/services/no-such-service", nil, http.StatusNotFound)
	cust := signIn(t, e.s, webtest.Customer{Kind: account.KindIndividual, Email: demoIndividual.Email, Password: demoIndividual.Password})
	htmlOf(t, cust, "GET", "/console/services", nil, http.StatusForbidden)
}

// Every catalog key the services pages build at run time exists.
func TestServicesPagesDynamicKeys(t *testing.T) {
	t.Parallel()
	var keys []string
	add := func(prefix string, vs ...string) {
		for _, v := range vs {
			keys = append(keys, prefix+v)
		}
	}
	add("page.services.state.", "pending", "active", "suspended", "terminated")
	for _, r := range service.Reasons {
		add("page.services.reason.", string(r))
	}
	add("page.services.paused.", app.RenewProblemBalance, app.RenewProblemReacceptance, app.RenewProblemCatalog)
	add("page.services.extend_reason.", string(service.ExtendGoodwill), string(service.ExtendOutage), string(service.ExtendComplianceOverturn),
		string(service.ExtendRefundRejected))
	add("page.services.terminated_reason.", "grace_ended", "parent_terminated")
	add("page.services.cycle.", "month", "quarter", "year", "one_off")
	add("page.services.event.", "activated", "renewed", "suspended", "resumed", "extended", "plan_changed", "downgrade_credited",
		"auto_renew_on", "auto_renew_off", "auto_renew_problem", "terminated", "data_destroy_requested", "demo_backdated")
	add("page.services.filter.", "all", "live", "terminated")
	add("page.services.notice.", "renewal_placed", "upgrade_placed", "plan_downgraded", "plan_changed", "auto_renew_on", "auto_renew_off",
		"service_suspend", "service_resume", "service_extend")
	add("layout.nav.", "services")
	add("page.console.nav.", "services")
	for _, k := range keys {
		if m, ok := i18n.Lookup(k); !ok || m.ZH == "" || m.EN == "" {
			t.Errorf("missing catalog key %s", k)
		}
	}
}
