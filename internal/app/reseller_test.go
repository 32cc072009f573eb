package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/money"
	"yuanxu/internal/notify"
	"yuanxu/internal/reseller"
	"yuanxu/internal/webhook"
)

// resellerSUT is a commerce app with one authorised reseller.
type resellerSUT struct {
	commerceSUT
	rs   registered
	rp   account.Principal
	auth app.ResellerAuthView
}

// newReseller registers a reseller applicant, has its enterprise
// verification approved (sandbox verifier) and, unless mode is "",
// authorises it for cloud servers at rateBP for a year.
func (s commerceSUT) newReseller(t *testing.T, mode string, rateBP int64, kinds ...string) resellerSUT {
	t.Helper()
	ctx := context.Background()
	r := s.register(t, "reseller")
	p, _ := s.login(t, r.email, goodPassword)
	if _, err := s.a.KYCSubmit(ctx, p, r.view.ID, enterpriseForm(app.DemoUSCC(int(seq.Add(1)%90)+1, true))); err != nil {
		t.Fatal(err)
	}
	out := resellerSUT{commerceSUT: s, rs: r, rp: p}
	if mode == "" {
		return out
	}
	if len(kinds) == 0 {
		kinds = []string{"cloud_server"}
	}
	v, err := s.a.AuthoriseReseller(ctx, s.admin, app.ResellerAuthInput{ResellerID: r.view.ID, Kinds: kinds, Mode: mode, RateBP: rateBP,
		ValidUntil: s.a.Now().Add(365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	out.auth = v
	return out
}

// invite has the reseller invite a new customer, who accepts through the
// link (phone code, password, key clauses) and, when verified is set,
// passes real-name verification.
func (s resellerSUT) invite(t *testing.T, verified bool) (registered, account.Principal) {
	t.Helper()
	ctx := ipCtx("198.51.100.7")
	email, phone := uniq()
	inv, err := s.a.InviteCustomer(ctx, s.rp, app.InviteInput{Kind: "individual", Email: email, Note: "crm-1"})
	if err != nil {
		t.Fatal(err)
	}
	token := inv.Link[strings.LastIndex(inv.Link, "/")+1:]
	pt, err := s.a.SendCode(ctx, account.PurposeRegisterPhone, phone, "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.a.AcceptInvitation(ctx, token, app.RegisterInput{DisplayName: "Invited", Phone: phone, Password: goodPassword,
		PhoneCodeID: pt.ID, PhoneCode: codeFor(t, s.a, pt), AcceptAgreement: true, AcknowledgedClauses: app.DefaultKeyClauses(), UserAgent: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r := registered{view: v, email: email, phone: phone}
	p, _ := s.login(t, email, goodPassword)
	if verified {
		if _, err := s.a.KYCSubmit(context.Background(), p, v.ID, individualForm("王五", app.DemoResidentID("19900101", int(seq.Add(1)%900)), phone)); err != nil {
			t.Fatal(err)
		}
	}
	return r, p
}

func orderFor(s resellerSUT, customerID string, lines ...app.LineRequest) (app.OrderView, error) {
	v, _, err := s.a.ResellerCheckout(context.Background(), s.rp, customerID, app.CheckoutRequest{Lines: lines}, app.Idem{})
	return v, err
}

func TestResellerAuthorisationAndPublicCheck(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r := s.newReseller(t, "", 0)
	// Not authorised yet: cannot invite.
	_, err := s.a.InviteCustomer(ctx, r.rp, app.InviteInput{Kind: "individual", Email: "x@example.com"})
	wantCode(t, err, reseller.CodeNotAuthorised)
	// Bad input: every problem at once; a customer is not a reseller.
	_, err = s.a.AuthoriseReseller(ctx, s.admin, app.ResellerAuthInput{ResellerID: r.rs.view.ID, Kinds: []string{"spaceship"}, Mode: "barter",
		RateBP: 0, ValidUntil: s.a.Now().Add(-time.Hour)})
	var e *errs.Error
	if !errorsAs(err, &e) || e.Code != reseller.CodeInvalid || len(e.Fields) != 4 {
		t.Fatalf("bad authorisation: %v %+v", err, e)
	}
	c, _ := s.buyer(t, 0)
	_, err = s.a.AuthoriseReseller(ctx, s.admin, app.ResellerAuthInput{ResellerID: c.view.ID, Kinds: []string{"vpn"}, Mode: "commission",
		RateBP: 100, ValidUntil: s.a.Now().Add(time.Hour)})
	wantCode(t, err, reseller.CodeInvalid)
	// Only staff with reseller.authorise grant.
	_, err = s.a.AuthoriseReseller(ctx, r.rp, app.ResellerAuthInput{ResellerID: r.rs.view.ID})
	wantKind(t, err, errs.Forbidden)
	v, err := s.a.AuthoriseReseller(ctx, s.admin, app.ResellerAuthInput{ResellerID: r.rs.view.ID, Kinds: []string{"cloud_server", "vpn"},
		Regions: []string{"cn-jx-nanchang"}, Mode: "commission", RateBP: 1000, ValidUntil: s.a.Now().Add(48 * time.Hour)})
	if err != nil || v.Status != "valid" || !strings.HasPrefix(v.Code, "YXR-") {
		t.Fatalf("authorise = %+v, %v", v, err)
	}
	chk, err := s.a.CheckResellerCode(ctx, strings.ToLower(v.Code))
	if err != nil || chk.Status != "valid" || chk.CompanyName == "" || len(chk.Kinds) != 2 {
		t.Fatalf("check = %+v, %v", chk, err)
	}
	_, err = s.a.CheckResellerCode(ctx, "YXR-2222-2222")
	wantCode(t, err, app.CodeResellerCodeUnknown)
	_, err = s.a.CheckResellerCode(ctx, "hello")
	wantCode(t, err, "reseller.code_invalid")
	// Suspended, then reinstated, then expired.
	if _, err := s.a.SetResellerAuthState(ctx, s.admin, v.ID, app.ResellerAuthAction{Action: "suspend"}); errs.CodeOf(err) != reseller.CodeInvalid {
		t.Fatalf("suspension without a reason: %v", err)
	}
	if got, err := s.a.SetResellerAuthState(ctx, s.admin, v.ID, app.ResellerAuthAction{Action: "suspend", Reason: "audit"}); err != nil || got.Status != "suspended" {
		t.Fatalf("suspend = %+v, %v", got, err)
	}
	chk, _ = s.a.CheckResellerCode(ctx, v.Code)
	_, err = s.a.InviteCustomer(ctx, r.rp, app.InviteInput{Kind: "individual", Email: "y@example.com"})
	if chk.Status != "suspended" || errs.CodeOf(err) != reseller.CodeNotAuthorised {
		t.Fatalf("suspended: check %+v, invite %v", chk, err)
	}
	if _, err := s.a.SetResellerAuthState(ctx, s.admin, v.ID, app.ResellerAuthAction{Action: "reinstate"}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(48 * time.Hour)
	chk, _ = s.a.CheckResellerCode(ctx, v.Code)
	_, err = s.a.InviteCustomer(ctx, r.rp, app.InviteInput{Kind: "individual", Email: "z@example.com"})
	if chk.Status != "expired" || errs.CodeOf(err) != reseller.CodeNotAuthorised {
		t.Fatalf("expired: check %+v, invite %v", chk, err)
	}
	list, err := s.a.ResellerAuthorisations(ctx, r.rp, "other-ignored")
	if err != nil || len(list) != 1 || list[0].ID != v.ID {
		t.Fatalf("own authorisations = %+v, %v", list, err)
	}
}

func TestResellerCommissionFlowKeepsTheCustomerInCharge(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r := s.newReseller(t, "commission", 1000)
	other := s.newReseller(t, "commission", 500)

	c, cp := r.invite(t, false)
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM account WHERE id = $1 AND reseller_id = $2`, c.view.ID, r.rs.view.ID); n != 1 {
		t.Fatal("the invited account does not record its reseller")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM agreement_acceptance WHERE account_id = $1 AND channel = 'reseller_invitation' AND reseller_id = $2`,
		c.view.ID, r.rs.view.ID); n != 1 {
		t.Fatal("the customer's own acceptance is not recorded on the invitation channel")
	}
	// The link is used up.
	invs, _ := s.a.Invitations(ctx, r.rp)
	if len(invs) != 1 || invs[0].State != "accepted" || invs[0].AccountID != c.view.ID || invs[0].Link != "" {
		t.Fatalf("invitations = %+v", invs)
	}
	// Without the customer's real-name verification, no order.
	_, err := orderFor(r, c.view.ID, line("cs-nc-bw", "s1", "month"))
	wantCode(t, err, "kyc.required")
	if _, err := s.a.KYCSubmit(ctx, cp, c.view.ID, individualForm("王五", app.DemoResidentID("19900101", int(seq.Add(1)%900)), c.phone)); err != nil {
		t.Fatal(err)
	}
	// A reseller cannot accept for the customer, sell outside its scope,
	// or reach another reseller's customer.
	_, _, err = s.a.ResellerCheckout(ctx, r.rp, c.view.ID, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")},
		Agreement: ack()}, app.Idem{})
	wantCode(t, err, "reseller.cannot_accept_for_customer")
	_, err = orderFor(r, c.view.ID, line("vpn-domestic", "v10", "month"))
	wantCode(t, err, reseller.CodeOutOfScope)
	_, err = orderFor(other, c.view.ID, line("cs-nc-bw", "s1", "month"))
	wantKind(t, err, errs.NotFound)
	_, err = s.a.ResellerCustomer(ctx, other.rp, c.view.ID)
	wantKind(t, err, errs.NotFound)
	if cs, err := s.a.ResellerCustomers(ctx, other.rp); err != nil || len(cs) != 0 {
		t.Fatalf("other reseller's customers = %+v, %v", cs, err)
	}

	o, err := orderFor(r, c.view.ID, line("cs-nc-bw", "s1", "month"))
	if err != nil || o.Channel != "reseller:"+r.rs.view.ID || o.TotalFen != 3900 || o.AccountID != c.view.ID {
		t.Fatalf("reseller order = %+v, %v", o, err)
	}
	// The order carries the customer's own registration acceptance.
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM orders o JOIN agreement_acceptance a ON a.id = o.acceptance_id
 WHERE o.id = $1 AND a.account_id = $2 AND a.channel = 'reseller_invitation'`, o.ID, c.view.ID); n != 1 {
		t.Fatal("the order does not rest on the customer's own acceptance")
	}
	if n := s.notices(t, c.view.ID, notify.EventResellerOrderPlaced); n != 1 {
		t.Fatalf("customer told %d times", n)
	}
	// Commission mode: the customer pays; the reseller may not spend the
	// customer's money.
	_, err = s.a.PayOrder(ctx, r.rp, o.ID, app.PayRequest{Method: app.MethodBalance})
	wantCode(t, err, "reseller.customer_pays")
	if err := s.a.CreditCashForTest(ctx, c.view.ID, money.Fen(10000)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.PayOrder(ctx, cp, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	st, err := s.a.ResellerStatement(ctx, r.rp, "", "")
	if err != nil || st.AccruedFen != 390 || st.UnsettledFen != 390 || len(st.Lines) != 1 || st.Lines[0].OrderID != o.ID {
		t.Fatalf("statement = %+v, %v", st, err)
	}
	ros, err := s.a.ResellerOrders(ctx, r.rp, "", 10)
	if err != nil || len(ros) != 1 || ros[0].ID != o.ID {
		t.Fatalf("reseller orders = %+v, %v", ros, err)
	}
	// The refund goes to the customer (who paid) and claws the
	// commission back; the ledger stays sound (verified at cleanup).
	rq, err := s.a.RequestRefund(ctx, cp, refundIn(o.ID, "balance"))
	if err != nil {
		t.Fatal(err)
	}
	lead := s.staff(t, nil, "lead", account.RoleSupportLead)
	if got, err := s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "approve"}); err != nil || got.State != app.RefundPaid {
		t.Fatalf("approve = %+v, %v", got, err)
	}
	if b := s.balance(t, cp); b.CashFen != 10000 {
		t.Fatalf("customer balance after refund = %+v", b)
	}
	st, _ = s.a.ResellerStatement(ctx, r.rp, "", "")
	if st.ClawedBackFen != 390 || st.UnsettledFen != 0 || st.NetFen != 0 {
		t.Fatalf("statement after refund = %+v", st)
	}
}

func TestResellerWholesalePaysAndIsRefunded(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r := s.newReseller(t, "wholesale", 2000)
	c, cp := r.invite(t, true)
	o, err := orderFor(r, c.view.ID, line("cs-nc-bw", "s1", "month"))
	if err != nil || o.TotalFen != 3120 || o.Lines[0].UnitPriceFen != 3120 {
		t.Fatalf("wholesale order = %+v, %v", o, err)
	}
	_, err = s.a.PayOrder(ctx, cp, o.ID, app.PayRequest{Method: app.MethodBalance})
	wantCode(t, err, "reseller.paid_by_reseller")
	_, err = s.a.PayOrder(ctx, r.rp, o.ID, app.PayRequest{Method: app.MethodBalance})
	wantCode(t, err, "wallet.insufficient_balance")
	if err := s.a.CreditCashForTest(ctx, r.rs.view.ID, money.Fen(10000)); err != nil {
		t.Fatal(err)
	}
	paid, err := s.a.PayOrder(ctx, r.rp, o.ID, app.PayRequest{Method: app.MethodBalance})
	if err != nil || paid.PaidFen != 3120 {
		t.Fatalf("paid = %+v, %v", paid, err)
	}
	if b := s.balance(t, r.rp); b.CashFen != 6880 {
		t.Fatalf("reseller balance = %+v", b)
	}
	// The service is the customer's.
	svcs, err := s.a.Services(ctx, cp, app.ServiceListFilter{})
	if err != nil || len(svcs) != 1 {
		t.Fatalf("customer services = %+v, %v", svcs, err)
	}
	rq, err := s.a.RequestRefund(ctx, cp, refundIn(o.ID, "balance"))
	if err != nil {
		t.Fatal(err)
	}
	lead := s.staff(t, nil, "lead", account.RoleSupportLead)
	if _, err := s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "approve"}); err != nil {
		t.Fatal(err)
	}
	if b := s.balance(t, r.rp); b.CashFen != 10000 {
		t.Fatalf("the refund goes to whoever paid: reseller balance %+v", b)
	}
	if b := s.balance(t, cp); b.CashFen != 0 || b.RefundCreditFen != 0 {
		t.Fatalf("customer balance %+v", b)
	}
	if n := s.notices(t, c.view.ID, notify.EventRefundDecided); n != 1 {
		t.Fatalf("the customer is always notified: %d", n)
	}
}

func TestResellerWebhooksSignedAndRetried(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	var mu sync.Mutex
	var got []webhook.Envelope
	fails := 1
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(r.Header.Get(webhook.HeaderSignature), secret, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if fails > 0 {
			fails--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var e webhook.Envelope
		_ = json.Unmarshal(body, &e)
		if r.Header.Get(webhook.HeaderEvent) != e.Type {
			http.Error(w, "event header", http.StatusBadRequest)
			return
		}
		got = append(got, e)
	}))
	defer srv.Close()
	r := s.newReseller(t, "commission", 1000)
	// In production an endpoint must be https on a public address.
	_, err := s.a.CreateWebhookEndpoint(ctx, r.rp, app.WebhookEndpointInput{URL: srv.URL})
	wantCode(t, err, app.CodeWebhookInvalid)
	s.a.ConfigureWebhooks(app.WebhookConfig{AllowPrivate: true, Schedule: func(int) time.Duration { return 0 }})
	_, err = s.a.CreateWebhookEndpoint(ctx, r.rp, app.WebhookEndpointInput{URL: srv.URL, Events: []string{"order.exploded"}})
	wantCode(t, err, app.CodeWebhookInvalid)
	ep, err := s.a.CreateWebhookEndpoint(ctx, r.rp, app.WebhookEndpointInput{URL: srv.URL})
	if err != nil || !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("endpoint = %+v, %v", ep, err)
	}
	mu.Lock()
	secret = ep.Secret
	mu.Unlock()
	c, cp := r.invite(t, true)
	o, err := orderFor(r, c.view.ID, line("cs-nc-bw", "s1", "month"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.a.CreditCashForTest(ctx, c.view.ID, money.Fen(10000)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.PayOrder(ctx, cp, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := s.a.DeliverWebhooks(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	types := []string{}
	for _, e := range got {
		types = append(types, e.Type)
	}
	mu.Unlock()
	slices.Sort(types) // the first delivery was refused once and came later
	if strings.Join(types, ",") != "customer.joined,order.created,order.paid" {
		t.Fatalf("received %v", types)
	}
	log, err := s.a.WebhookDeliveries(ctx, r.rp, 10)
	if err != nil || len(log) != 3 {
		t.Fatalf("log = %+v, %v", log, err)
	}
	retried := 0
	for _, d := range log {
		if d.State != "delivered" || d.LastStatus != 200 {
			t.Fatalf("delivery %+v", d)
		}
		if d.Attempts == 2 {
			retried++
		}
	}
	if retried != 1 {
		t.Fatalf("one delivery should have needed a retry: %+v", log)
	}
	// Another reseller sees none of it.
	if l, err := s.a.WebhookDeliveries(ctx, s.newReseller(t, "", 0).rp, 10); err != nil || len(l) != 0 {
		t.Fatalf("other reseller's log = %+v, %v", l, err)
	}
}

func TestResellerReachesTicketsOnlyWhereDelegated(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r := s.newReseller(t, "commission", 1000)
	c, cp := r.invite(t, false)
	tk, err := s.a.TicketCreate(ctx, cp, app.TicketInput{Subject: "无法登录", Category: "consult", Priority: "normal", Body: "help"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.a.ResellerTickets(ctx, r.rp, c.view.ID, app.TicketListQuery{})
	wantCode(t, err, "reseller.tickets_not_delegated")
	_, err = s.a.TicketGet(ctx, r.rp, tk.ID)
	wantKind(t, err, errs.NotFound)
	if err := s.a.SetTicketDelegation(ctx, cp, true); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.a.ResellerTickets(ctx, r.rp, c.view.ID, app.TicketListQuery{})
	if err != nil || len(list) != 1 || list[0].ID != tk.ID {
		t.Fatalf("delegated tickets = %+v, %v", list, err)
	}
	if _, err := s.a.TicketGet(ctx, r.rp, tk.ID); err != nil {
		t.Fatalf("delegated ticket: %v", err)
	}
	// Another reseller, and a customer without a reseller, get nothing.
	other := s.newReseller(t, "commission", 1000)
	_, _, err = s.a.ResellerTickets(ctx, other.rp, c.view.ID, app.TicketListQuery{})
	wantKind(t, err, errs.NotFound)
	_, bp := s.buyer(t, 0)
	wantCode(t, s.a.SetTicketDelegation(ctx, bp, true), "reseller.none")
	// Withdrawn: the ticket is gone for the reseller again.
	if err := s.a.SetTicketDelegation(ctx, cp, false); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.TicketGet(ctx, r.rp, tk.ID)
	wantKind(t, err, errs.NotFound)
}
