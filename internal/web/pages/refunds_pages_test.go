package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
)

// The refund pages (issue 15): the request form with its live preview
// in both languages, bad input shown again with what was typed, the flow
// from request to withdrawal, an ineligible order explained without a
// form, another customer's order and request as 404, and the console's
// queue (overdue marked) and decision page by role, with dual control.
// Every test runs its own sandbox server with the demo seed and verifies
// the ledger at the end (newCCEnv).

// refundForm is a complete request form.
func refundForm(dest string) url.Values {
	return url.Values{"destination": {dest}, "reason": {"配置不符合需求"}, "statement": {"只登录过一次"}, "confirm_suspension": {"1"}}
}

// manualServer is a paid order of a cloud server delivered by the manual
// driver: no meter reports for it, so its refund needs a person's review.
func (e ccEnv) manualServer(t *testing.T) (account.Principal, app.OrderView) {
	t.Helper()
	admin := e.principal(t, ccDemoStaff(account.RoleAdmin).Email, ccDemoStaff(account.RoleAdmin).Password, true)
	if _, err := e.s.App.ProductSave(e.ctx, admin, app.ProductView{ID: "cs-manual", Name: "人工交付服务器", NameEn: "Manually delivered server",
		Kind: "cloud_server", Active: true, Region: "cn-jx-nanchang", DeliverySLAMinutes: 60, Driver: "manual",
		Spec: app.ProductSpec{Server: &app.ServerSpec{CPU: 1, MemoryMiB: 1024, DiskGiB: 20, Region: "cn-jx-nanchang", Line: "standard",
			Billing: "bandwidth", BandwidthMbps: 1}},
		Plans: []app.PlanView{{ID: "m1", Name: "m1", Prices: []app.PriceView{{Cycle: "month", AmountFen: 2000}}, Stock: -1}}}); err != nil {
		t.Fatal(err)
	}
	p := principalOf(t, e.s, demoIndividual)
	o, _, err := e.s.App.Checkout(e.ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-manual", PlanID: "m1", Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = e.s.App.PayOrder(e.ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	return p, o
}

// stepRows are the trace's rows by rule.
func stepRows(doc *node) map[string]*node {
	out := map[string]*node{}
	for _, n := range doc.all(func(m *node) bool { return m.attrs["class"] == "refund-step" }) {
		out[n.attrs["data-rule"]] = n
	}
	return out
}

func TestRefundPagesRequestFormInBothLanguages(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	_, o := e.paidOrder(t)
	for _, c := range []struct {
		lang, heading, outcome, window, credit, balancePart string
	}{
		{"zh-CN", "申请退款：订单 " + o.ID[len(o.ID)-12:], "符合条件", "在退款时限内", "永远不可提现", "都退回原来的余额"},
		{"en", "Refund of order " + o.ID[len(o.ID)-12:], "Eligible", "within the window", "can never be withdrawn", "goes back to the balance it came from"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			cl := shopClient(t, e.s, demoIndividual, c.lang)
			_, doc := htmlOf(t, cl, "GET", "/orders/"+o.ID+"/refund", nil, http.StatusOK)
			if htmlLang(t, doc) != c.lang || ccText(t, doc, "refund-heading") != c.heading {
				t.Fatalf("lang %s, heading %q", htmlLang(t, doc), ccText(t, doc, "refund-heading"))
			}
			if got := ccText(t, doc, "preview-outcome"); got != c.outcome || mustID(t, doc, "refund-preview").attrs["data-outcome"] != "eligible" {
				t.Errorf("outcome %q", got)
			}
			if got := ccText(t, doc, "preview-amount"); !strings.Contains(got, "39.00") {
				t.Errorf("amount %q", got)
			}
			rows := stepRows(doc)
			if len(rows) != 7 {
				t.Fatalf("%d trace rows", len(rows))
			}
			if w := rows["window"]; w.attrs["data-outcome"] != "pass" || w.attrs["data-clause"] != "3.1" || !strings.Contains(w.textContent(), c.window) {
				t.Errorf("window row %q", w.textContent())
			}
			if u := rows["usage"]; u.attrs["data-clause"] != "3.1.a" || u.attrs["data-outcome"] != "pass" {
				t.Errorf("usage row %v", u.attrs)
			}
			// The destinations: radio buttons, none chosen; refund credit said plainly.
			radios := mustID(t, doc, "refund-form").all(func(m *node) bool { return m.tag == "input" && m.attrs["name"] == "destination" })
			var dests []string
			for _, r := range radios {
				if r.attrs["type"] != "radio" || hasAttr(r, "checked") {
					t.Errorf("destination %v", r.attrs)
				}
				dests = append(dests, r.attrs["value"])
			}
			if strings.Join(dests, ",") != "original_route,balance,swap" {
				t.Errorf("destinations %v", dests)
			}
			if !strings.Contains(ccText(t, doc, "destination-balance-text"), c.credit) || !strings.Contains(ccText(t, doc, "refund-credit-warning"), c.credit) {
				t.Errorf("refund credit text %q", ccText(t, doc, "destination-balance-text"))
			}
			if !strings.Contains(ccText(t, doc, "refund-balance-part"), c.balancePart) {
				t.Errorf("balance part %q", ccText(t, doc, "refund-balance-part"))
			}
			if box := mustID(t, doc, "confirm-suspension"); box.attrs["type"] != "checkbox" || hasAttr(box, "checked") {
				t.Errorf("suspension confirmation %v", box.attrs)
			}
			mustID(t, doc, "refund-reason")
			mustID(t, doc, "refund-statement")
		})
	}
}

func TestRefundPagesFlowAndBadInput(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, o := e.paidOrder(t)
	cl := shopClient(t, e.s, demoIndividual, "en")
	path := "/orders/" + o.ID + "/refund"

	// Nothing chosen: every problem at once, the statement kept.
	_, doc := htmlOf(t, cl, "POST", path, url.Values{"statement": {"kept as typed"}}, http.StatusUnprocessableEntity)
	if formError(t, doc) != "Correct the marked fields and submit again." {
		t.Errorf("form error %q", formError(t, doc))
	}
	for id, want := range map[string]string{"err-destination": "Choose where the money goes.", "err-reason": "This is required.",
		"err-confirm": "Tick to confirm that the services are suspended during the review."} {
		if got := ccText(t, doc, id); got != want {
			t.Errorf("%s = %q", id, got)
		}
	}
	if got := ccText(t, doc, "refund-statement"); got != "kept as typed" {
		t.Errorf("statement %q", got)
	}
	// Too long a statement: the app's limit, with what was typed kept.
	f := refundForm("balance")
	f.Set("statement", strings.Repeat("长", 2001))
	_, doc = htmlOf(t, cl, "POST", path, f, http.StatusUnprocessableEntity)
	if ccText(t, doc, "err-statement") != "Must be at most 2000 long." || !hasAttr(mustID(t, doc, "destination-balance"), "checked") ||
		ccText(t, doc, "refund-reason") != "配置不符合需求" || !hasAttr(mustID(t, doc, "confirm-suspension"), "checked") {
		t.Errorf("statement error %q", ccFieldError(doc, "statement"))
	}
	if rs, _ := e.s.App.Refunds(e.ctx, p, nil); len(rs) != 0 {
		t.Fatalf("%d requests after refusals", len(rs))
	}

	// The request.
	res, _ := htmlOf(t, cl, "POST", path, refundForm("balance"), http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/refunds/") || !strings.HasSuffix(loc, "?done=refund_requested") {
		t.Fatalf("after the request: %s", loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/refunds/"), "?done=refund_requested")
	_, doc = htmlOf(t, cl, "GET", loc, nil, http.StatusOK)
	if ccText(t, doc, "form-notice") != "Your refund request is filed; the services are suspended during the review." ||
		mustID(t, doc, "refund-state").attrs["data-state"] != "under_review" || mustID(t, doc, "refund-destination").attrs["data-destination"] != "balance" {
		t.Errorf("request page: %q", ccText(t, doc, "refund-facts"))
	}
	// The deadline is stored at midnight, after the last working day:
	// said as the end of that day.
	r, err := e.s.App.Refund(e.ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	last := r.ReviewDue.In(time.FixedZone("CST", 8*3600)).Add(-time.Nanosecond)
	if due, want := ccText(t, doc, "refund-due"), "by the end of "+last.Format("2006-01-02")+" ("+last.Weekday().String()+")"; due != want {
		t.Errorf("deadline %q, want %q", due, want)
	}
	if len(stepRows(doc)) != 7 || doc.byID("withdraw-submit") == nil || doc.byID("refund-ticket") == nil {
		t.Errorf("trace, withdrawal or ticket missing")
	}
	_, doc = htmlOf(t, cl, "GET", "/refunds", nil, http.StatusOK)
	if rows := doc.all(func(n *node) bool { return n.attrs["class"] == "refund" }); len(rows) != 1 || rows[0].attrs["data-refund"] != id {
		t.Fatalf("my requests: %d rows", len(rows))
	}
	// The order's refund page now explains that a request is open, and
	// offers no form.
	_, doc = htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	if doc.byID("refund-form") != nil || mustID(t, doc, "open-request-link").attrs["href"] != "/refunds/"+id {
		t.Errorf("refund page with a request open")
	}
	if r := doc.all(func(n *node) bool { return n.tag == "li" && n.attrs["data-rule"] == "state" }); len(r) != 1 {
		t.Errorf("the failed state rule is not listed")
	}

	// Withdrawal: the services run again; no second withdrawal.
	res, _ = htmlOf(t, cl, "POST", "/refunds/"+id+"/withdraw", url.Values{}, http.StatusSeeOther)
	if res.Header.Get("Location") != "/refunds/"+id+"?done=refund_withdrawn" {
		t.Fatalf("after withdrawing: %s", res.Header.Get("Location"))
	}
	_, doc = htmlOf(t, cl, "GET", "/refunds/"+id, nil, http.StatusOK)
	if mustID(t, doc, "refund-state").attrs["data-state"] != "withdrawn" || doc.byID("withdraw-submit") != nil {
		t.Errorf("withdrawn page")
	}
	_, doc = htmlOf(t, cl, "POST", "/refunds/"+id+"/withdraw", url.Values{}, http.StatusConflict)
	if formError(t, doc) != "The refund request's state does not allow this." {
		t.Errorf("second withdrawal %q", formError(t, doc))
	}
	svcs, _ := e.s.App.Services(e.ctx, p, app.ServiceListFilter{})
	for _, sv := range svcs {
		if sv.OrderID == o.ID && sv.State != "active" {
			t.Errorf("service %s after withdrawal", sv.State)
		}
	}
}

func TestRefundPagesIneligibleOrderShowsWhyAndNoForm(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	_, o := e.paidOrder(t)
	if _, err := e.s.App.SandboxAdvance(e.ctx, 24*time.Hour+time.Second); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, heading, window, refusal string }{
		{"zh-CN", "此订单不能申请退款", "已超过退款时限", "未通过：退款时限（第 3.1 条）"},
		{"en", "This order cannot be refunded", "after the window", "failed: the refund window (clause 3.1)"},
	} {
		cl := shopClient(t, e.s, demoIndividual, c.lang)
		_, doc := htmlOf(t, cl, "GET", "/orders/"+o.ID+"/refund", nil, http.StatusOK)
		if ccText(t, doc, "ineligible-heading") != c.heading || doc.byID("refund-form") != nil || doc.byID("preview-amount") != nil {
			t.Fatalf("%s: ineligible page %q", c.lang, ccText(t, doc, "refund-ineligible"))
		}
		reasons := mustID(t, doc, "ineligible-reasons").all(func(n *node) bool { return n.tag == "li" })
		if len(reasons) != 1 || reasons[0].attrs["data-rule"] != "window" || reasons[0].attrs["data-clause"] != "3.1" ||
			!strings.Contains(reasons[0].textContent(), c.window) {
			t.Errorf("%s: reasons %d", c.lang, len(reasons))
		}
		// Posting anyway is refused with the rule named; nothing is filed.
		_, doc = htmlOf(t, cl, "POST", "/orders/"+o.ID+"/refund", refundForm("original_route"), http.StatusConflict)
		if !strings.Contains(formError(t, doc), c.refusal) {
			t.Errorf("%s: refusal %q", c.lang, formError(t, doc))
		}
	}
}

func TestRefundPagesOfAnotherCustomerAreNotFound(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, o := e.paidOrder(t)
	r, err := e.s.App.RequestRefund(e.ctx, p, app.RefundInput{OrderID: o.ID, Reason: "x", Destination: "balance", ConfirmSuspension: true})
	if err != nil {
		t.Fatal(err)
	}
	other := shopClient(t, e.s, e.s.NewCustomerIn(t, account.KindIndividual, "en"), "en")
	htmlOf(t, other, "GET", "/orders/"+o.ID+"/refund", nil, http.StatusNotFound)
	htmlOf(t, other, "POST", "/orders/"+o.ID+"/refund", refundForm("balance"), http.StatusNotFound)
	htmlOf(t, other, "GET", "/refunds/"+r.ID, nil, http.StatusNotFound)
	htmlOf(t, other, "POST", "/refunds/"+r.ID+"/withdraw", url.Values{}, http.StatusNotFound)
	_, doc := htmlOf(t, other, "GET", "/refunds", nil, http.StatusOK)
	if doc.byID("refunds-empty") == nil {
		t.Error("another customer sees requests")
	}
	// Staff have the console: the portal pages are the 403 page.
	lead := e.console(t, ccDemoStaff(account.RoleSupportLead), i18n.EN)
	htmlOf(t, lead, "GET", "/orders/"+o.ID+"/refund", nil, http.StatusForbidden)
	htmlOf(t, lead, "GET", "/refunds/"+r.ID, nil, http.StatusForbidden)
	if got, _ := e.s.App.Refund(e.ctx, p, r.ID); got.State != app.RefundUnderReview {
		t.Errorf("request after the attempts: %s", got.State)
	}
}

func TestConsoleRefundPagesQueueAndDecisions(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, o := e.paidOrder(t)
	eligible, err := e.s.App.RequestRefund(e.ctx, p, app.RefundInput{OrderID: o.ID, Reason: "不需要了", Destination: "balance", ConfirmSuspension: true})
	if err != nil {
		t.Fatal(err)
	}
	_, mo := e.manualServer(t)
	review, err := e.s.App.RequestRefund(e.ctx, p, app.RefundInput{OrderID: mo.ID, Reason: "配置不对", Statement: "未使用",
		Destination: "original_route", ConfirmSuspension: true})
	if err != nil {
		t.Fatal(err)
	}
	if review.Decision.Outcome != "needs_review" {
		t.Fatalf("manual server's request %s", review.Decision.Outcome)
	}

	// Who may see and decide.
	for _, role := range []account.Role{account.RoleAdmin, account.RoleFinance} {
		cl := e.console(t, ccDemoStaff(role), i18n.EN)
		htmlOf(t, cl, "GET", "/console/refunds", nil, http.StatusForbidden)
		htmlOf(t, cl, "GET", "/console/refunds/"+eligible.ID, nil, http.StatusForbidden)
		htmlOf(t, cl, "POST", "/console/refunds/"+eligible.ID, url.Values{"action": {"approve"}}, http.StatusForbidden)
	}
	htmlOf(t, shopClient(t, e.s, demoIndividual, "en"), "GET", "/console/refunds", nil, http.StatusForbidden)
	support := e.console(t, ccDemoStaff(account.RoleSupport), i18n.EN)
	_, doc := htmlOf(t, support, "GET", "/console/refunds/"+eligible.ID, nil, http.StatusOK)
	if doc.byID("approve-form") != nil || doc.byID("reject-form") != nil || doc.byID("refund-no-decide") == nil {
		t.Error("support is offered the decision forms")
	}
	htmlOf(t, support, "POST", "/console/refunds/"+eligible.ID, url.Values{"action": {"approve"}}, http.StatusForbidden)

	for _, c := range []struct {
		lang    i18n.Lang
		heading string
	}{{i18n.ZH, "退款审核"}, {i18n.EN, "Refund review"}} {
		lead := e.console(t, ccDemoStaff(account.RoleSupportLead), c.lang)
		_, doc := htmlOf(t, lead, "GET", "/console/refunds", nil, http.StatusOK)
		if htmlLang(t, doc) != string(c.lang) || ccText(t, doc, "refunds-heading") != c.heading {
			t.Fatalf("queue heading %q", ccText(t, doc, "refunds-heading"))
		}
		rows := doc.all(func(n *node) bool { return strings.HasPrefix(n.attrs["class"], "refund") && n.tag == "tr" })
		if len(rows) != 2 || rows[0].attrs["data-refund"] != eligible.ID || rows[1].attrs["data-refund"] != review.ID {
			t.Fatalf("queue rows %d", len(rows))
		}
		_, doc = htmlOf(t, lead, "GET", "/console/refunds/"+review.ID, nil, http.StatusOK)
		if len(stepRows(doc)) != 7 || stepRows(doc)["usage"].attrs["data-outcome"] != "review" || doc.byID("approve-form") == nil {
			t.Errorf("decision page of the manual server")
		}
		if ev := doc.all(func(n *node) bool { return n.attrs["data-evidence"] == "order" }); len(ev) != 1 || ev[0].textContent() != mo.ID {
			t.Errorf("evidence snapshot")
		}
	}

	lead := e.console(t, ccDemoStaff(account.RoleSupportLead), i18n.EN)
	// A rejection without a reason code: refused, the text kept.
	_, doc = htmlOf(t, lead, "POST", "/console/refunds/"+review.ID, url.Values{"action": {"reject"}, "text": {"kept"}}, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "reason_code") != "Choose a reason code from the list." || ccText(t, doc, "reject-text") != "kept" {
		t.Errorf("rejection without a code: %q", ccFieldError(doc, "reason_code"))
	}
	_, doc = htmlOf(t, lead, "POST", "/console/refunds/"+review.ID, url.Values{"action": {"reject"}, "reason_code": {"because"}}, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "reason_code") == "" {
		t.Error("an unknown reason code is accepted")
	}
	res, _ := htmlOf(t, lead, "POST", "/console/refunds/"+review.ID, url.Values{"action": {"reject"}, "reason_code": {"usage_exceeded"},
		"text": {"heavy traffic"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != "/console/refunds/"+review.ID+"?done=refund_rejected" {
		t.Fatalf("after rejecting: %s", res.Header.Get("Location"))
	}
	if got, _ := e.s.App.Refund(e.ctx, p, review.ID); got.State != app.RefundRejected || got.ReasonCode != "usage_exceeded" || got.DecisionText != "heavy traffic" {
		t.Errorf("rejected %+v", got)
	}
	cust := shopClient(t, e.s, demoIndividual, "en")
	_, doc = htmlOf(t, cust, "GET", "/refunds/"+review.ID, nil, http.StatusOK)
	if ccText(t, doc, "refund-reason-code") != "Traffic used above the limit" || doc.byID("refund-dispute") == nil {
		t.Errorf("the customer's rejected request %q", ccText(t, doc, "refund-facts"))
	}
	// Approval: the balance is back.
	before, _ := e.s.App.Wallet(e.ctx, p, "", "", 1)
	res, _ = htmlOf(t, lead, "POST", "/console/refunds/"+eligible.ID, url.Values{"action": {"approve"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != "/console/refunds/"+eligible.ID+"?done=refund_paid" {
		t.Fatalf("after approving: %s", res.Header.Get("Location"))
	}
	after, _ := e.s.App.Wallet(e.ctx, p, "", "", 1)
	if after.Balance.CashFen-before.Balance.CashFen != 3900 {
		t.Errorf("cash %d → %d", before.Balance.CashFen, after.Balance.CashFen)
	}
	_, doc = htmlOf(t, lead, "GET", "/console/refunds/"+eligible.ID+"?done=refund_paid", nil, http.StatusOK)
	if ccText(t, doc, "form-notice") != "Approved: the money is back." || mustID(t, doc, "refund-state").attrs["data-state"] != "paid" ||
		doc.byID("approve-form") != nil {
		t.Errorf("approved page")
	}
	_, doc = htmlOf(t, lead, "GET", "/console/refunds", nil, http.StatusOK)
	if doc.byID("refunds-empty") == nil {
		t.Error("the queue is not empty")
	}
}

func TestConsoleRefundPagesOverdueAndDualControl(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p, mo := e.manualServer(t)
	r, err := e.s.App.RequestRefund(e.ctx, p, app.RefundInput{OrderID: mo.ID, Reason: "x", Destination: "balance", ConfirmSuspension: true})
	if err != nil {
		t.Fatal(err)
	}
	// Past the deadline: escalated, still under review (a person checks
	// the usage), marked overdue.
	if _, err := e.s.App.SandboxSet(e.ctx, r.ReviewDue.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	lead := e.console(t, ccDemoStaff(account.RoleSupportLead), i18n.EN)
	_, doc := htmlOf(t, lead, "GET", "/console/refunds", nil, http.StatusOK)
	row := doc.all(func(n *node) bool { return n.attrs["data-refund"] == r.ID && n.tag == "tr" })
	if len(row) != 1 || row[0].attrs["data-overdue"] != "1" || !strings.Contains(row[0].textContent(), "Overdue") {
		t.Fatalf("overdue row %v", row)
	}

	// Dual control: a request above refund.dual_control_fen.
	cl := shopClient(t, e.s, demoIndividual, "en")
	if _, err := e.s.App.SandboxTopUp(e.ctx, p, 200000); err != nil {
		t.Fatal(err)
	}
	o, _, err := e.s.App.Checkout(e.ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-nc-bw", PlanID: "s1", Cycle: "month", Quantity: 30}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = e.s.App.PayOrder(e.ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	res, _ := htmlOf(t, cl, "POST", "/orders/"+o.ID+"/refund", refundForm("balance"), http.StatusSeeOther)
	id := strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Location"), "/refunds/"), "?done=refund_requested")
	x := e.s.NewStaff(t, account.RoleSupportLead, account.RoleFinanceApprover)
	y := e.s.NewStaff(t, account.RoleSupportLead, account.RoleFinanceApprover)
	first, second := e.console(t, x, i18n.EN), e.console(t, y, i18n.EN)
	_, doc = htmlOf(t, first, "GET", "/console/refunds/"+id, nil, http.StatusOK)
	if !strings.Contains(ccText(t, doc, "refund-approval"), "two different approvers are needed") {
		t.Errorf("dual control before approval %q", ccText(t, doc, "refund-approval"))
	}
	res, _ = htmlOf(t, first, "POST", "/console/refunds/"+id, url.Values{"action": {"approve"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != "/console/refunds/"+id+"?done=refund_first_approval" {
		t.Fatalf("first approval: %s", res.Header.Get("Location"))
	}
	_, doc = htmlOf(t, first, "GET", "/console/refunds/"+id, nil, http.StatusOK)
	if doc.byID("approve-form") != nil || ccText(t, doc, "approve-unavailable") != "You gave the first approval; someone else must give the second." {
		t.Errorf("the first approver is offered the second approval")
	}
	_, doc = htmlOf(t, first, "POST", "/console/refunds/"+id, url.Values{"action": {"approve"}}, http.StatusForbidden)
	if formError(t, doc) != "You gave the first approval; someone else must give the second." {
		t.Errorf("the same approver twice: %q", formError(t, doc))
	}
	_, doc = htmlOf(t, lead, "GET", "/console/refunds/"+id, nil, http.StatusOK)
	if got := ccText(t, doc, "refund-approval"); !strings.HasPrefix(got, "First approval by webtest staff") || !strings.HasSuffix(got, "a second approver is needed.") {
		t.Errorf("dual-control state %q", got)
	}
	if doc.byID("approve-form") != nil || !strings.Contains(ccText(t, doc, "approve-unavailable"), "refund.approve_second") {
		t.Errorf("a plain support lead is offered the second approval")
	}
	_, doc = htmlOf(t, second, "GET", "/console/refunds/"+id, nil, http.StatusOK)
	if ccText(t, doc, "approve-submit") != "Give the second approval" {
		t.Errorf("second approver's button %q", ccText(t, doc, "approve-submit"))
	}
	cash, _ := e.s.App.Wallet(e.ctx, p, "", "", 1)
	res, _ = htmlOf(t, second, "POST", "/console/refunds/"+id, url.Values{"action": {"approve"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != "/console/refunds/"+id+"?done=refund_paid" {
		t.Fatalf("second approval: %s", res.Header.Get("Location"))
	}
	if after, _ := e.s.App.Wallet(e.ctx, p, "", "", 1); after.Balance.CashFen-cash.Balance.CashFen != 117000 {
		t.Errorf("cash back %d", after.Balance.CashFen-cash.Balance.CashFen)
	}
}
