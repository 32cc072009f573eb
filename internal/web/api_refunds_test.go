package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The refunds API end to end (issue 15): the eligibility preview with its
// trace in the caller's language, requests and their refusals (after the
// window with the failed rule, twice, another customer's order), the
// withdrawal that restores the services, approval back to the balance
// (each sub-balance getting its own part back), rejection with a reason
// code, dual control above refund.dual_control_fen, and the roles that
// may not. Every test runs its own sandbox server with the demo seed and
// checks the ledger's invariants at the end (newCommerceServer).

// refundCustomer signs the demo individual in (verified, ¥1,000 of
// cash) in l, with l's language cookie.
func refundCustomer(t *testing.T, s *webtest.Server, l lang) *webtest.Client {
	t.Helper()
	c := signIn(t, s, l, "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
	c.SetCookie(i18n.CookieName, l.name)
	return c
}

// boughtServer is a paid ¥39 cloud server order (cs-nc-bw s1, paid with
// the balance).
func boughtServer(t *testing.T, c *webtest.Client) app.OrderView {
	t.Helper()
	return pay(t, c, checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1)).ID)
}

func refundReq(orderID, dest string) map[string]any {
	return map[string]any{"order_id": orderID, "reason": "配置不符合需求 / does not fit", "statement": "只登录过一次 / logged in once",
		"destination": dest, "confirm_suspension": true}
}

func requestRefund(t *testing.T, c *webtest.Client, orderID, dest string) web.RefundBody {
	t.Helper()
	return webtest.Decode[web.RefundBody](t, c.Do(t, "POST", "/api/v1/refunds", refundReq(orderID, dest)), http.StatusCreated)
}

func decideRefund(c *webtest.Client, t *testing.T, id string, body map[string]any) *webtest.Response {
	t.Helper()
	return c.Do(t, "POST", "/api/v1/staff/refunds/"+id+"/decision", body)
}

// servicesOfOrder are the states of the services an order delivered.
func servicesOfOrder(t *testing.T, c *webtest.Client, orderID string) []string {
	t.Helper()
	var out []string
	for _, sv := range webtest.Decode[page[app.ServiceView]](t, c.Do(t, "GET", "/api/v1/services?limit=100", nil), http.StatusOK).Items {
		if sv.OrderID == orderID {
			out = append(out, sv.State)
		}
	}
	return out
}

func stepOf(ev web.RefundEvaluation, rule string) web.RefundStepBody {
	for _, s := range ev.Trace {
		if s.Rule == rule {
			return s
		}
	}
	return web.RefundStepBody{}
}

func TestRefundPreviewAndRequest(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[1])
	o := boughtServer(t, c)

	// The preview, in each language: every rule is in the trace; the
	// server is on the sandbox node, which reports no traffic yet.
	for _, l := range langs {
		c.SetCookie(i18n.CookieName, l.name)
		p := webtest.Decode[web.RefundEligibilityBody](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID+"/refund-eligibility", nil), http.StatusOK)
		if p.OrderID != o.ID || p.Outcome != "eligible" || p.AmountFen != 3900 || p.DeliveryBreach ||
			p.Summary != l.pick("各项规则均已满足，可以退款。", "Eligible for a refund of every rule checked.") {
			t.Fatalf("%s preview %+v", l.name, p)
		}
		if !slices.Equal(p.Destinations, []string{"original_route", "balance", "swap"}) {
			t.Errorf("destinations %v", p.Destinations)
		}
		var rules []string
		for _, st := range p.Trace {
			rules = append(rules, st.Rule)
		}
		if !slices.Equal(rules, []string{"state", "delivery_breach", "purpose", "window", "usage", "standing", "class"}) {
			t.Errorf("trace rules %v", rules)
		}
		w := stepOf(p.RefundEvaluation, "window")
		if w.Outcome != "pass" || w.Clause != "3.1" || w.Sentence != l.pick(w.ZH, w.EN) || !strings.HasPrefix(w.EN, "Requested ") ||
			!strings.HasPrefix(w.ZH, "申请时间") || w.Inputs["window"] != "24 h" {
			t.Errorf("window step %+v", w)
		}
		if u := stepOf(p.RefundEvaluation, "usage"); u.Outcome != "pass" || u.Clause != "3.1.a" || u.Inputs["threshold_bytes"] != "1073741824" {
			t.Errorf("usage step %+v", u)
		}
	}

	// Refusals before anything is filed.
	body := refundReq(o.ID, "balance")
	body["confirm_suspension"] = false
	wantProblem(t, c.Do(t, "POST", "/api/v1/refunds", body), http.StatusUnprocessableEntity, "refund.suspension_not_confirmed",
		"Confirm that the order's services are suspended while the request is reviewed.", "body.confirm_suspension")
	wantProblem(t, c.Do(t, "POST", "/api/v1/refunds", refundReq(o.ID, "bank")), http.StatusUnprocessableEntity, "request.invalid", "",
		"body.destination")
	body = refundReq(o.ID, "balance")
	body["reason"] = " "
	wantProblem(t, c.Do(t, "POST", "/api/v1/refunds", body), http.StatusUnprocessableEntity, "refund.invalid", "", "body.reason")
	body = refundReq(o.ID, "balance")
	body["amount_fen"] = 1
	wantProblem(t, c.Do(t, "POST", "/api/v1/refunds", body), http.StatusBadRequest, "request.unknown_field", "", "")
	if st := servicesOfOrder(t, c, o.ID); !slices.Equal(st, []string{"active"}) {
		t.Fatalf("services after refusals %v", st)
	}

	// The request: under review with its deadline, the services suspended.
	r := requestRefund(t, c, o.ID, "balance")
	if r.State != "under_review" || r.OrderID != o.ID || r.Destination != "balance" || r.AmountFen != 3900 || r.Kind != "no_fault" ||
		r.TicketID == "" || !r.ReviewDue.After(r.CreatedAt) || r.Decision.Outcome != "eligible" || len(r.Decision.Trace) != 7 {
		t.Fatalf("request %+v", r)
	}
	if _, off := r.ReviewDue.Zone(); off != 8*3600 {
		t.Errorf("review_due %s not in +08:00", r.ReviewDue)
	}
	if paid, _ := r.Evidence["paid_at"].(string); r.Evidence["order"] != o.ID || r.Evidence["agreement_version"] == "" || !strings.HasSuffix(paid, "+08:00") {
		t.Errorf("evidence %v", r.Evidence)
	}
	if st := servicesOfOrder(t, c, o.ID); !slices.Equal(st, []string{"suspended"}) {
		t.Errorf("services under review %v", st)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/refunds", refundReq(o.ID, "balance")), http.StatusConflict, "refund.duplicate",
		"A refund request of this order is already open; an order has one at a time.", "")
	mine := webtest.Decode[page[web.RefundBody]](t, c.Do(t, "GET", "/api/v1/refunds", nil), http.StatusOK)
	if len(mine.Items) != 1 || mine.Items[0].ID != r.ID || mine.NextCursor != "" {
		t.Fatalf("my refunds %+v", mine)
	}
	if n := len(webtest.Decode[page[web.RefundBody]](t, c.Do(t, "GET", "/api/v1/refunds?state=paid", nil), http.StatusOK).Items); n != 0 {
		t.Errorf("paid refunds %d", n)
	}
	got := webtest.Decode[web.RefundBody](t, c.Do(t, "GET", "/api/v1/refunds/"+r.ID, nil), http.StatusOK)
	if got.ID != r.ID || got.State != "under_review" || stepOf(got.Decision, "window").Sentence != stepOf(got.Decision, "window").EN {
		t.Errorf("request read back %+v", got)
	}
	// The preview now says a request is open.
	p := webtest.Decode[web.RefundEligibilityBody](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID+"/refund-eligibility", nil), http.StatusOK)
	if p.Outcome != "ineligible" || stepOf(p.RefundEvaluation, "state").Outcome != "fail" {
		t.Errorf("preview with a request open %+v", p)
	}
}

func TestRefundAfterTheWindowNamesTheFailedRule(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[0])
	o := boughtServer(t, c)
	// The end of the window is included: one second later it is past (and
	// the session idle: sign in again).
	webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/sandbox/clock", map[string]any{"advance": "24h0m1s"}), http.StatusOK)
	c = refundCustomer(t, s, langs[0])
	for _, l := range langs {
		c.SetCookie(i18n.CookieName, l.name)
		p := wantProblem(t, c.Do(t, "POST", "/api/v1/refunds", refundReq(o.ID, "original_route")), http.StatusConflict, "refund.ineligible",
			l.pick("该订单不符合退款条件，未通过：退款时限（第 3.1 条）。未作任何处理；errors 中逐条列出了原因。",
				"This order is not eligible for a refund; failed: the refund window (clause 3.1). Nothing was changed; errors gives each rule's reason."),
			"body.order_id")
		if len(p.Errors) != 1 {
			t.Fatalf("%s: failed rules %+v", l.name, p.Errors)
		}
		f := p.Errors[0]
		if f.Rule != "refund.window" || f.Params["clause"] != "3.1" ||
			!strings.HasPrefix(f.Message, l.pick("第 3.1 条：申请时间", "Clause 3.1: Requested ")) ||
			!strings.Contains(f.Message, l.pick("已超过退款时限", "after the window")) {
			t.Errorf("%s: failed rule %+v", l.name, f)
		}
		prev := webtest.Decode[web.RefundEligibilityBody](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID+"/refund-eligibility", nil), http.StatusOK)
		if prev.Outcome != "ineligible" || prev.AmountFen != 0 || stepOf(prev.RefundEvaluation, "window").Outcome != "fail" {
			t.Errorf("%s: preview after the window %+v", l.name, prev)
		}
	}
	if st := servicesOfOrder(t, c, o.ID); !slices.Equal(st, []string{"active"}) {
		t.Errorf("an ineligible request changed the services: %v", st)
	}
	if n := len(webtest.Decode[page[web.RefundBody]](t, c.Do(t, "GET", "/api/v1/refunds", nil), http.StatusOK).Items); n != 0 {
		t.Errorf("%d requests filed", n)
	}
}

func TestRefundOfAnotherCustomerIsNotFound(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[1])
	o := boughtServer(t, c)
	r := requestRefund(t, c, o.ID, "original_route")
	other, _ := verifiedCustomer(t, s, langs[1])
	wantProblem(t, other.Do(t, "GET", "/api/v1/orders/"+o.ID+"/refund-eligibility", nil), http.StatusNotFound, "order.not_found", "No such order.", "")
	wantProblem(t, other.Do(t, "POST", "/api/v1/refunds", refundReq(o.ID, "balance")), http.StatusNotFound, "order.not_found", "", "body.order_id")
	wantProblem(t, other.Do(t, "GET", "/api/v1/refunds/"+r.ID, nil), http.StatusNotFound, "refund.not_found", "No such refund request.", "")
	wantProblem(t, other.Do(t, "POST", "/api/v1/refunds/"+r.ID+"/withdraw", nil), http.StatusNotFound, "refund.not_found", "", "")
	if n := len(webtest.Decode[page[web.RefundBody]](t, other.Do(t, "GET", "/api/v1/refunds", nil), http.StatusOK).Items); n != 0 {
		t.Errorf("another customer lists %d requests", n)
	}
	// Staff use the staff routes: 403 on the collections, 404 on objects.
	lead := staffClient(t, s, account.RoleSupportLead)
	wantProblem(t, lead.Do(t, "GET", "/api/v1/refunds", nil), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, lead.Do(t, "POST", "/api/v1/refunds", refundReq(o.ID, "balance")), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, lead.Do(t, "GET", "/api/v1/refunds/"+r.ID, nil), http.StatusNotFound, "refund.not_found", "", "")
	wantProblem(t, lead.Do(t, "GET", "/api/v1/orders/"+o.ID+"/refund-eligibility", nil), http.StatusNotFound, "order.not_found", "", "")
	wantProblem(t, lead.Do(t, "GET", "/api/v1/staff/refunds/no-such-request", nil), http.StatusNotFound, "refund.not_found", "", "")
	if got := webtest.Decode[web.RefundBody](t, c.Do(t, "GET", "/api/v1/refunds/"+r.ID, nil), http.StatusOK); got.State != "under_review" {
		t.Errorf("the request after the attempts: %+v", got)
	}
}

func TestRefundWithdrawRestoresTheServices(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[1])
	o := boughtServer(t, c)
	before := webtest.Decode[page[app.ServiceView]](t, c.Do(t, "GET", "/api/v1/services?limit=100", nil), http.StatusOK)
	r := requestRefund(t, c, o.ID, "original_route")
	webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/sandbox/clock", map[string]any{"advance": "10m"}), http.StatusOK) // within the session's idle timeout
	w := webtest.Decode[web.RefundBody](t, c.Do(t, "POST", "/api/v1/refunds/"+r.ID+"/withdraw", nil), http.StatusOK)
	if w.State != "withdrawn" || w.DecidedAt.IsZero() {
		t.Fatalf("withdrawn %+v", w)
	}
	after := webtest.Decode[page[app.ServiceView]](t, c.Do(t, "GET", "/api/v1/services?limit=100", nil), http.StatusOK)
	var was, is app.ServiceView
	for _, sv := range before.Items {
		if sv.OrderID == o.ID {
			was = sv
		}
	}
	for _, sv := range after.Items {
		if sv.OrderID == o.ID {
			is = sv
		}
	}
	// Extended by the suspension: the ten minutes plus the test's own time.
	if ext := is.ExpiresAt.Sub(was.ExpiresAt); is.State != "active" || len(is.Suspensions) != 0 || ext < 10*time.Minute || ext > 11*time.Minute {
		t.Errorf("service after withdrawal: %s, %v, expires %s (was %s)", is.State, is.Suspensions, is.ExpiresAt, was.ExpiresAt)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/refunds/"+r.ID+"/withdraw", nil), http.StatusConflict, "refund.bad_state",
		"The refund request's state does not allow this.", "")
	lead := staffClient(t, s, account.RoleSupportLead)
	wantProblem(t, decideRefund(lead, t, r.ID, map[string]any{"action": "approve"}), http.StatusConflict, "refund.bad_state", "", "")
	if v := webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusOK); v.State != "delivered" {
		t.Errorf("order after withdrawal %s", v.State)
	}
}

// A balance payment goes back to the sub-balances it came from: here
// part refund credit (from a downgrade) and part cash.
func TestRefundApprovedBackToTheSubBalances(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[1])
	// Refund credit from a downgrade: a ¥79 server changed to the ¥39 plan.
	big := pay(t, c, checkout(t, c, orderReq("cs-nc-bw", "s2", "month", 1)).ID)
	var svc app.ServiceView
	for _, sv := range webtest.Decode[page[app.ServiceView]](t, c.Do(t, "GET", "/api/v1/services?limit=100", nil), http.StatusOK).Items {
		if sv.OrderID == big.ID {
			svc = sv
		}
	}
	webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/services/"+svc.ID+"/plan", map[string]any{"plan_id": "s1", "agreement": ack()}), http.StatusOK)
	b0 := walletOf(t, c).Balance
	if b0.RefundCreditFen == 0 || b0.RefundCreditFen >= 7900 {
		t.Fatalf("refund credit after the downgrade %+v", b0)
	}
	o := pay(t, c, checkout(t, c, orderReq("cs-nc-bw", "s2", "month", 1)).ID)
	if len(o.Payments) != 1 || o.Payments[0].FromRefundCreditFen != b0.RefundCreditFen || o.Payments[0].FromCashFen != 7900-b0.RefundCreditFen {
		t.Fatalf("payment %+v", o.Payments)
	}
	r := requestRefund(t, c, o.ID, "balance")
	lead := staffClient(t, s, account.RoleSupportLead)
	lead.SetCookie(i18n.CookieName, "en")
	queue := webtest.Decode[page[web.RefundBody]](t, lead.Do(t, "GET", "/api/v1/staff/refunds?state=under_review", nil), http.StatusOK)
	if len(queue.Items) != 1 || queue.Items[0].ID != r.ID || queue.Items[0].NeedsSecond {
		t.Fatalf("queue %+v", queue)
	}
	one := webtest.Decode[web.RefundBody](t, lead.Do(t, "GET", "/api/v1/staff/refunds/"+r.ID, nil), http.StatusOK)
	if one.Evidence["order"] != o.ID || one.Evidence["usage_known"] != true || one.Decision.Outcome != "eligible" ||
		stepOf(one.Decision, "usage").Sentence != "Billed traffic as of the request: 0 bytes, not above 1073741824." {
		t.Fatalf("staff view %+v", one)
	}
	got := webtest.Decode[web.RefundBody](t, decideRefund(lead, t, r.ID, map[string]any{"action": "approve", "text": "ok"}), http.StatusOK)
	if got.State != "paid" || got.PaidAt.IsZero() || got.FirstApprover == "" || got.DecisionText != "ok" {
		t.Fatalf("approved %+v", got)
	}
	if b := walletOf(t, c).Balance; b.RefundCreditFen != b0.RefundCreditFen || b.CashFen != b0.CashFen {
		t.Errorf("balance after the refund %+v, before the purchase %+v", b, b0)
	}
	if v := webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusOK); v.State != "refunded" {
		t.Errorf("order %s", v.State)
	}
	if st := servicesOfOrder(t, c, o.ID); !slices.Equal(st, []string{"terminated"}) {
		t.Errorf("services after the refund %v", st)
	}
	mine := webtest.Decode[web.RefundBody](t, c.Do(t, "GET", "/api/v1/refunds/"+r.ID, nil), http.StatusOK)
	if mine.State != "paid" {
		t.Errorf("the customer sees %s", mine.State)
	}
	wantProblem(t, decideRefund(lead, t, r.ID, map[string]any{"action": "approve"}), http.StatusConflict, "refund.bad_state", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/refunds", refundReq(o.ID, "balance")), http.StatusConflict, "refund.ineligible", "", "body.order_id")
}

func TestRefundRejectedWithAReasonCode(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[0])
	o := boughtServer(t, c)
	cash := walletOf(t, c).Balance.CashFen
	r := requestRefund(t, c, o.ID, "original_route")
	for _, l := range langs {
		lead := client(s, l)
		login, password := demoStaff(account.RoleSupportLead)
		webtest.Decode[map[string]any](t, lead.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": login, "password": password, "staff": true}), http.StatusOK)
		lead.SetCookie(i18n.CookieName, l.name)
		wantProblem(t, decideRefund(lead, t, r.ID, map[string]any{"action": "reject"}), http.StatusUnprocessableEntity, "refund.reason_code_required",
			l.pick("驳回退款申请须选择原因代码。", "A rejection needs a reason code."), "body.reason_code")
		wantProblem(t, decideRefund(lead, t, r.ID, map[string]any{"action": "reject", "reason_code": "because"}), http.StatusUnprocessableEntity,
			"request.invalid", "", "body.reason_code")
		wantProblem(t, decideRefund(lead, t, r.ID, map[string]any{"action": "cancel"}), http.StatusUnprocessableEntity, "request.invalid", "", "body.action")
	}
	lead := staffClient(t, s, account.RoleSupportLead)
	got := webtest.Decode[web.RefundBody](t, decideRefund(lead, t, r.ID, map[string]any{"action": "reject", "reason_code": "usage_exceeded",
		"text": "计费流量超过 1 GB"}), http.StatusOK)
	if got.State != "rejected" || got.ReasonCode != "usage_exceeded" || got.DecisionText != "计费流量超过 1 GB" || got.DecidedAt.IsZero() {
		t.Fatalf("rejected %+v", got)
	}
	mine := webtest.Decode[web.RefundBody](t, c.Do(t, "GET", "/api/v1/refunds/"+r.ID, nil), http.StatusOK)
	if mine.State != "rejected" || mine.ReasonCode != "usage_exceeded" {
		t.Errorf("the customer sees %+v", mine)
	}
	if st := servicesOfOrder(t, c, o.ID); !slices.Equal(st, []string{"active"}) {
		t.Errorf("services after the rejection %v", st)
	}
	if b := walletOf(t, c).Balance; b.CashFen != cash {
		t.Errorf("cash after a rejection %d", b.CashFen)
	}
	wantProblem(t, decideRefund(lead, t, r.ID, map[string]any{"action": "approve"}), http.StatusConflict, "refund.bad_state", "", "")
}

// Above refund.dual_control_fen (¥1,000 by default) a first approval is
// recorded and a second, different approver holding
// refund.approve_second completes it. A support lead alone does not hold
// it: the second approver here is a support lead who is also a finance
// approver, and so is the first, so that the same person twice is
// refused for separation of duties rather than for the permission.
func TestRefundDualControlAboveTheLimit(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[1])
	topUp(t, c, 50000)
	o := pay(t, c, checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 30)).ID) // ¥1,170
	cash := walletOf(t, c).Balance.CashFen
	r := requestRefund(t, c, o.ID, "balance")
	if r.AmountFen != 117000 || !r.NeedsSecond {
		t.Fatalf("request %+v", r)
	}
	x := s.NewStaff(t, account.RoleSupportLead, account.RoleFinanceApprover)
	z := s.NewStaff(t, account.RoleSupportLead, account.RoleFinanceApprover)
	first := signIn(t, s, langs[1], x.Email, x.Password, true)
	second := signIn(t, s, langs[1], z.Email, z.Password, true)
	plainLead := staffClient(t, s, account.RoleSupportLead)
	plainLead.SetCookie(i18n.CookieName, "en")
	finA := staffClient(t, s, account.RoleFinanceApprover)

	wantProblem(t, decideRefund(finA, t, r.ID, map[string]any{"action": "approve"}), http.StatusForbidden, "authz.permission_denied", "", "")
	v := webtest.Decode[web.RefundBody](t, decideRefund(first, t, r.ID, map[string]any{"action": "approve", "text": "first"}), http.StatusOK)
	if v.State != "under_review" || v.FirstApprover == "" || !v.NeedsSecond {
		t.Fatalf("after the first approval %+v", v)
	}
	if b := walletOf(t, c).Balance; b.CashFen != cash {
		t.Fatalf("a first approval moved money: %+v", b)
	}
	wantProblem(t, decideRefund(first, t, r.ID, map[string]any{"action": "approve"}), http.StatusForbidden, "authz.separation_of_duties", "", "")
	p := wantProblem(t, decideRefund(plainLead, t, r.ID, map[string]any{"action": "approve"}), http.StatusForbidden, "authz.permission_denied", "", "")
	if !strings.Contains(p.Detail, "refund.approve_second") {
		t.Errorf("refusal of a plain support lead %q", p.Detail)
	}
	v = webtest.Decode[web.RefundBody](t, decideRefund(second, t, r.ID, map[string]any{"action": "approve"}), http.StatusOK)
	if v.State != "paid" || v.FirstApprover != x.ID {
		t.Fatalf("after the second approval %+v", v)
	}
	if b := walletOf(t, c).Balance; b.CashFen != cash+117000 || b.RefundCreditFen != 0 {
		t.Errorf("balance after the refund %+v (cash before %d)", b, cash)
	}
}

func TestRefundStaffRoutesRefuseRoles(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[1])
	r := requestRefund(t, c, boughtServer(t, c).ID, "original_route")
	anon := client(s, langs[0])
	wantProblem(t, anon.Do(t, "GET", "/api/v1/staff/refunds", nil), http.StatusUnauthorized, "unauthenticated", "", "")
	wantProblem(t, anon.Do(t, "GET", "/api/v1/refunds", nil), http.StatusUnauthorized, "unauthenticated", "", "")
	wantProblem(t, c.Do(t, "GET", "/api/v1/staff/refunds", nil), http.StatusForbidden, "authz.staff_only", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/staff/refunds/"+r.ID+"/decision", map[string]any{"action": "approve"}), http.StatusForbidden, "authz.staff_only", "", "")
	for _, role := range []account.Role{account.RoleAdmin, account.RoleFinance, account.RoleComplianceOfficer} {
		st := staffClient(t, s, role)
		wantProblem(t, st.Do(t, "GET", "/api/v1/staff/refunds", nil), http.StatusForbidden, "authz.permission_denied", "", "")
		wantProblem(t, st.Do(t, "GET", "/api/v1/staff/refunds/"+r.ID, nil), http.StatusForbidden, "authz.permission_denied", "", "")
		wantProblem(t, decideRefund(st, t, r.ID, map[string]any{"action": "approve"}), http.StatusForbidden, "authz.permission_denied", "", "")
	}
	support := staffClient(t, s, account.RoleSupport)
	support.SetCookie(i18n.CookieName, "en")
	if q := webtest.Decode[page[web.RefundBody]](t, support.Do(t, "GET", "/api/v1/staff/refunds", nil), http.StatusOK); len(q.Items) != 1 {
		t.Errorf("support's queue %+v", q)
	}
	wantProblem(t, decideRefund(support, t, r.ID, map[string]any{"action": "approve"}), http.StatusForbidden, "authz.permission_denied",
		"Your role does not grant this (refund.decide).", "")
	if got := webtest.Decode[web.RefundBody](t, c.Do(t, "GET", "/api/v1/refunds/"+r.ID, nil), http.StatusOK); got.State != "under_review" {
		t.Errorf("after refused decisions %+v", got)
	}
}
