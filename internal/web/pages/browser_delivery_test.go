package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
)

// TestBrowserManualDeliveryThenProblemReport: the demo individual buys a
// manual-driver product (the Ganzhou home-broadband server) and sees it
// waiting with its deadline counting down; an operations member fulfils
// it in the console (a missing address is refused first, nothing
// recorded); the customer sees it delivered with its address, shows the
// credentials after typing the password again, and reports a delivery
// problem inside the inspection window, which opens a delivery_issue
// ticket linked to the service. Screenshots of the waiting and delivered
// service page and of the console's queue and fulfilment form.
func TestBrowserManualDeliveryThenProblemReport(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	o, _, err := s.App.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-gz-home", PlanID: "h4", Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = s.App.PayOrder(ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	if o.State != "provisioning" {
		t.Fatalf("order %s after payment", o.State)
	}
	var svcID string
	svcs, err := s.App.Services(ctx, p, app.ServiceListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range svcs {
		if v.OrderID == o.ID {
			svcID = v.ID
		}
	}

	cb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	cb.Navigate(s.URL + "/login")
	cb.SetValue("#identifier", demoIndividual.Email)
	cb.SetValue("#password", demoIndividual.Password)
	if st := cb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("customer sign-in: %d", st)
	}
	if st := cb.Navigate(s.URL + "/services/" + svcID); st != http.StatusOK {
		t.Fatalf("service page: %d", st)
	}
	loaded(t, cb)
	if got, _ := cb.Attr("#delivery-status", "data-status"); got != "pending" {
		t.Fatalf("delivery status %q", got)
	}
	if got := cb.Text("#delivery-countdown"); !strings.HasPrefix(got, "剩余 23 小时") && !strings.HasPrefix(got, "剩余 24 小时") {
		t.Errorf("countdown %q", got)
	}
	if cb.Exists("#delivery-problem") || cb.Exists("#delivery-sandbox") {
		t.Error("a waiting manual delivery offers the problem report or a sandbox label")
	}
	cb.Screenshot("delivery-waiting-zh-CN")

	// Operations fulfil it in the console.
	sb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	sb.Navigate(s.URL + "/console/login")
	sb.SetValue("#identifier", "operations@staff.demo.yuanxu.test")
	sb.SetValue("#password", "yuanxu-demo-staff-operations")
	if st := sb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("staff sign-in: %d", st)
	}
	if st := sb.ClickNavigate(`.site-nav a[data-nav="delivery"]`); st != http.StatusOK || !strings.HasSuffix(sb.Location(), "/console/delivery") {
		t.Fatalf("queue: %d at %s", st, sb.Location())
	}
	row := `#delivery-queue tr[data-service="` + svcID + `"]`
	if !sb.Exists(row) {
		t.Fatalf("the service is not in the queue: %s", sb.Text("#delivery-queue"))
	}
	if got := sb.Text(row + " .delivery-countdown"); !strings.HasPrefix(got, "剩余") {
		t.Errorf("queue countdown %q", got)
	}
	sb.Screenshot("console-delivery-queue-zh-CN")
	if st := sb.ClickNavigate(row + " a.delivery-open"); st != http.StatusOK {
		t.Fatalf("fulfilment page: %d", st)
	}
	sb.Allow(`status of 422 .*/fulfil`) // the refused fulfilment below answers 422 on purpose
	sb.SetValue("#fulfil-notes", "SSH on port 22")
	if st := sb.ClickNavigate("#fulfil-submit"); st != http.StatusUnprocessableEntity {
		t.Fatalf("fulfil without an address: %d", st)
	}
	if got := sb.Text("#form-error"); !strings.Contains(got, "未记录任何内容") || !strings.Contains(got, "必填") {
		t.Errorf("error %q", got)
	}
	if d, err := s.App.ServiceDelivery(ctx, p, svcID); err != nil || d.Status != "pending" {
		t.Fatalf("after a refused fulfilment: %+v, %v", d, err)
	}
	sb.SetValue("#fulfil-addresses", "203.0.113.42")
	sb.SetValue("#cred-name-0", "root_password")
	sb.SetValue("#cred-value-0", "Gz-h0me-s3cret")
	sb.Screenshot("console-fulfil-zh-CN")
	if st := sb.ClickNavigate("#fulfil-submit"); st != http.StatusOK {
		t.Fatalf("fulfil: %d (%s)", st, sb.Text("main"))
	}
	if got := sb.Text("#form-notice"); got != "已记录交付，客户已收到通知。" {
		t.Errorf("notice %q", got)
	}

	// The customer sees it delivered, reads the credentials, reports a problem.
	if st := cb.Navigate(s.URL + "/services/" + svcID); st != http.StatusOK {
		t.Fatalf("service page again: %d", st)
	}
	if got, _ := cb.Attr("#delivery-status", "data-status"); got != "delivered" {
		t.Fatalf("delivery status %q", got)
	}
	if got := cb.Text("#delivery-addresses"); got != "203.0.113.42" {
		t.Errorf("addresses %q", got)
	}
	if got, _ := cb.Attr("#delivery-inspection", "data-open"); got != "yes" {
		t.Errorf("inspection window %q", got)
	}
	if cb.Exists("#credentials-table") {
		t.Fatal("credentials shown before re-authentication")
	}
	cb.SetValue("#credentials-password", demoIndividual.Password)
	if st := cb.ClickNavigate("#credentials-submit"); st != http.StatusOK {
		t.Fatalf("credentials: %d (%s)", st, cb.Text("main"))
	}
	if got := cb.Text(`#credentials-table tr[data-name="root_password"] code`); got != "Gz-h0me-s3cret" {
		t.Errorf("credential %q", got)
	}
	cb.Screenshot("delivery-delivered-zh-CN")
	cb.Click("#delivery-problem-open")
	cb.SetValue("#problem-detail", "内存只有 4 GiB，与套餐 8 GiB 不符 / 4 GiB of memory, the plan says 8")
	if st := cb.ClickNavigate("#delivery-problem-submit"); st != http.StatusOK || !strings.Contains(cb.Location(), "/tickets/") {
		t.Fatalf("report: %d at %s (%s)", st, cb.Location(), cb.Text("main"))
	}
	d, err := s.App.ServiceDelivery(ctx, p, svcID)
	if err != nil || d.IssueTicketID == "" {
		t.Fatalf("delivery after the report: %+v, %v", d, err)
	}
	tk, err := s.App.TicketGet(ctx, p, d.IssueTicketID)
	if err != nil || string(tk.Category) != "delivery_issue" || tk.LinkID != svcID {
		t.Fatalf("ticket %+v, %v", tk, err)
	}
}
