package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
)

func TestRefundSwapPage(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	p := principalOf(t, e.s, demoIndividual)
	o, _, err := e.s.App.Checkout(e.ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-nc-bw", PlanID: "s2", Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.App.PayOrder(e.ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	rq, err := e.s.App.RequestRefund(e.ctx, p, app.RefundInput{OrderID: o.ID, Reason: "swap", Destination: "swap", ConfirmSuspension: true})
	if err != nil {
		t.Fatal(err)
	}
	lead := e.principal(t, ccDemoStaff(account.RoleSupportLead).Email, ccDemoStaff(account.RoleSupportLead).Password, true)
	if _, err := e.s.App.RefundDecide(e.ctx, lead, rq.ID, app.RefundDecision{Action: "approve"}); err != nil {
		t.Fatal(err)
	}
	cl := shopClient(t, e.s, demoIndividual, "en")
	_, doc := htmlOf(t, cl, "GET", "/refunds/"+rq.ID, nil, http.StatusOK)
	sel := mustID(t, doc, "swap-replacement")
	if strings.Contains(sel.textContent(), "4 vCPU") || !strings.Contains(sel.textContent(), "1 vCPU") {
		t.Fatalf("options %q: only plans priced at most ¥79", sel.textContent())
	}
	// Without the key clauses: refused on the page, nothing moves.
	form := url.Values{"replacement": {"cs-nc-bw|s1|month"}}
	htmlOf(t, cl, "POST", "/refunds/"+rq.ID+"/swap", form, http.StatusUnprocessableEntity)
	if got, _ := e.s.App.Refund(e.ctx, p, rq.ID); got.State != app.RefundSwapPending {
		t.Fatalf("state after a refused swap: %s", got.State)
	}
	for _, id := range app.DefaultKeyClauses() {
		form.Add("ack", id)
	}
	res, _ := htmlOf(t, cl, "POST", "/refunds/"+rq.ID+"/swap", form, http.StatusSeeOther)
	if !strings.HasSuffix(res.Header.Get("Location"), "done=refund_swapped") {
		t.Fatalf("after the swap: %s", res.Header.Get("Location"))
	}
	if got, _ := e.s.App.Refund(e.ctx, p, rq.ID); got.State != app.RefundSwapped {
		t.Fatalf("state %s", got.State)
	}
}
