package web_test

import (
	"net/http"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/order"
	"yuanxu/internal/wallet"
	"yuanxu/internal/web"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The wallet through the API: refund credit is never withdrawable,
// withdrawals under dual control, adjustments from a re-authenticated
// session; and the commerce problems in both languages.

func TestCommerceWithdrawals(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, cust := verifiedCustomer(t, s, langs[1])
	finA := staffClient(t, s, account.RoleFinanceApprover)
	fin := staffClient(t, s, account.RoleFinance)
	dest := "招商银行 6225880123456789 张三"

	// Refund credit (given here by a finance adjustment) is never withdrawable.
	adj := webtest.Decode[app.LedgerEntryView](t, finA.Do(t, "POST", "/api/v1/staff/ledger/adjustments", map[string]any{"account_id": cust.ID,
		"kind": "refund_credit", "amount_fen": 500, "memo": "goodwill, ticket T-1"}), http.StatusCreated)
	if adj.Reason != "adjust" || adj.Changes["refund_credit"] != 500 {
		t.Fatalf("adjustment %+v", adj)
	}
	wantProblem(t, fin.Do(t, "POST", "/api/v1/staff/ledger/adjustments", map[string]any{"account_id": cust.ID, "kind": "cash", "amount_fen": 1,
		"memo": "x"}), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, finA.Do(t, "POST", "/api/v1/staff/ledger/adjustments", map[string]any{"account_id": cust.ID, "kind": "cash", "amount_fen": -1,
		"memo": "below zero"}), http.StatusConflict, "wallet.insufficient_balance", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 500, "destination": dest}), http.StatusConflict,
		"wallet.refund_credit_not_withdrawable", "", "")
	if w := walletOf(t, c); w.Balance.RefundCreditFen != 500 || w.Balance.WithdrawableFen != 0 {
		t.Fatalf("balance %+v", w.Balance)
	}

	// A large withdrawal: two different approvers, then finance pays it.
	topUp(t, c, 300000)
	w := webtest.Decode[app.WithdrawalView](t, c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 200000, "destination": dest}), http.StatusCreated)
	if w.State != "requested" || !w.NeedsSecond || w.DestinationMasked != "招商银行 ****6789" {
		t.Fatalf("withdrawal %+v", w)
	}
	if b := walletOf(t, c); b.Balance.CashFen != 100000 {
		t.Fatalf("cash after the request %d", b.Balance.CashFen)
	}
	queue := webtest.Decode[page[app.WithdrawalView]](t, fin.Do(t, "GET", "/api/v1/staff/withdrawals?state=requested", nil), http.StatusOK)
	if len(queue.Items) != 1 || queue.Items[0].ID != w.ID || strings.Contains(string(mustJSON(t, queue)), "6225880123456789") {
		t.Fatalf("queue %+v", queue)
	}
	decide := func(cl *webtest.Client, action string, extra ...string) *webtest.Response {
		body := map[string]any{"action": action}
		for i := 0; i+1 < len(extra); i += 2 {
			body[extra[i]] = extra[i+1]
		}
		return cl.Do(t, "POST", "/api/v1/staff/withdrawals/"+w.ID+"/decision", body)
	}
	wantProblem(t, decide(fin, "approve"), http.StatusForbidden, "authz.permission_denied", "", "")
	if v := webtest.Decode[app.WithdrawalView](t, decide(finA, "approve"), http.StatusOK); v.State != "awaiting_second" {
		t.Fatalf("first approval %+v", v)
	}
	wantProblem(t, decide(finA, "approve"), http.StatusForbidden, "authz.separation_of_duties", "", "")
	wantProblem(t, decide(fin, "paid", "transfer_ref", "CMB-1"), http.StatusConflict, "withdrawal.bad_state", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/withdrawals/"+w.ID+"/cancel", nil), http.StatusConflict, "withdrawal.bad_state", "", "")
	second := s.NewStaff(t, account.RoleFinanceApprover)
	finA2 := signIn(t, s, langs[1], second.Email, second.Password, true)
	if v := webtest.Decode[app.WithdrawalView](t, decide(finA2, "approve"), http.StatusOK); v.State != "approved" || v.SecondApprover == "" {
		t.Fatalf("second approval %+v", v)
	}
	d := webtest.Decode[struct {
		Destination string `json:"destination"`
	}](t, fin.Do(t, "GET", "/api/v1/staff/withdrawals/"+w.ID+"/destination", nil), http.StatusOK)
	if d.Destination != dest {
		t.Errorf("destination %q", d.Destination)
	}
	wantProblem(t, decide(fin, "paid"), http.StatusUnprocessableEntity, "withdrawal.invalid", "", "body.transfer_ref")
	if v := webtest.Decode[app.WithdrawalView](t, decide(fin, "paid", "transfer_ref", "CMB-20261126-01"), http.StatusOK); v.State != "paid" || v.PaidAt.IsZero() {
		t.Fatalf("paid %+v", v)
	}
	mine := webtest.Decode[page[app.WithdrawalView]](t, c.Do(t, "GET", "/api/v1/withdrawals", nil), http.StatusOK)
	if len(mine.Items) != 1 || mine.Items[0].State != "paid" {
		t.Errorf("my withdrawals %+v", mine)
	}

	// A small one: the customer takes it back and the cash returns; a
	// rejected one returns it too.
	small := webtest.Decode[app.WithdrawalView](t, c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 1000, "destination": dest}), http.StatusCreated)
	if small.NeedsSecond {
		t.Errorf("small %+v", small)
	}
	if v := webtest.Decode[app.WithdrawalView](t, c.Do(t, "POST", "/api/v1/withdrawals/"+small.ID+"/cancel", nil), http.StatusOK); v.State != "cancelled" {
		t.Errorf("cancelled %+v", v)
	}
	other, _ := verifiedCustomer(t, s, langs[1])
	wantProblem(t, other.Do(t, "POST", "/api/v1/withdrawals/"+w.ID+"/cancel", nil), http.StatusNotFound, "withdrawal.not_found", "", "")
	rej := webtest.Decode[app.WithdrawalView](t, c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 1000, "destination": dest}), http.StatusCreated)
	w = rej
	wantProblem(t, decide(finA, "reject"), http.StatusUnprocessableEntity, "withdrawal.invalid", "", "body.reason")
	if v := webtest.Decode[app.WithdrawalView](t, decide(finA, "reject", "reason", "account name mismatch"), http.StatusOK); v.State != "rejected" {
		t.Errorf("rejected %+v", v)
	}
	if b := walletOf(t, c); b.Balance.CashFen != 100000 || b.Balance.RefundCreditFen != 500 {
		t.Errorf("balance at the end %+v", b.Balance)
	}
	bal := webtest.Decode[web.CompanyBalancesBody](t, fin.Do(t, "GET", "/api/v1/staff/ledger/balances", nil), http.StatusOK)
	if bal.Balances["withdrawals_payable"] != 0 || bal.Balances["gateway_clearing:bank"] != 200000 {
		t.Errorf("company balances %+v", bal.Balances)
	}
	txns := webtest.Decode[page[app.LedgerEntryView]](t, fin.Do(t, "GET", "/api/v1/staff/ledger?customer="+cust.ID+"&limit=2", nil), http.StatusOK)
	if len(txns.Items) != 2 || txns.NextCursor == "" || len(txns.Items[0].Postings) < 2 {
		t.Errorf("ledger page %+v", txns)
	}
}

// An adjustment needs a session re-authenticated in the last minutes.
func TestCommerceAdjustmentNeedsRecentAuthentication(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	_, cust := verifiedCustomer(t, s, langs[1])
	login, password := demoStaff(account.RoleFinanceApprover)
	finA := signIn(t, s, langs[1], login, password, true)
	body := map[string]any{"account_id": cust.ID, "kind": "cash", "amount_fen": 100, "memo": "late top-up"}
	webtest.Decode[app.LedgerEntryView](t, finA.Do(t, "POST", "/api/v1/staff/ledger/adjustments", body), http.StatusCreated)
	webtest.Decode[map[string]any](t, finA.Do(t, "POST", "/api/v1/sandbox/clock", map[string]any{"advance": "6m"}), http.StatusOK)
	wantProblem(t, finA.Do(t, "POST", "/api/v1/staff/ledger/adjustments", body), http.StatusForbidden, "session.reauth_required", "", "")
	if res := finA.Do(t, "POST", "/api/v1/auth/reauth", map[string]any{"password": password}); res.Status != http.StatusNoContent {
		t.Fatalf("reauth: %d %s", res.Status, res.Body)
	}
	webtest.Decode[app.LedgerEntryView](t, finA.Do(t, "POST", "/api/v1/staff/ledger/adjustments", body), http.StatusCreated)
	wantProblem(t, finA.Do(t, "POST", "/api/v1/staff/ledger/adjustments", map[string]any{"account_id": cust.ID, "kind": "cash",
		"amount_fen": 0, "memo": "zero"}), http.StatusUnprocessableEntity, "wallet.amount_invalid", "", "body.amount_fen")
}

// Problems of the commerce routes in both languages, with the field and
// the rule.
func TestCommerceErrorsInBothLanguages(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			c, _ := verifiedCustomer(t, s, l)
			han := l.name == "zh-CN"
			o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
			p := wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "balance"}), http.StatusConflict,
				"wallet.insufficient_balance", l.pick("余额不足，未扣款。", "The balance is not enough; nothing was charged."), "")
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "split", "gateway": "alipay"}),
				http.StatusUnprocessableEntity, "order.payment_invalid", "", "body.balance_fen")
			checkLanguage(t, p, han)
			noAck := orderReq("cs-nc-bw", "s1", "month", 1)
			noAck["agreement"] = map[string]any{"version_id": "", "acknowledged": []string{"3.1"}}
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/orders", noAck), http.StatusUnprocessableEntity, "agreement.key_clause_not_acknowledged", "", "")
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/orders", orderReq("vpn-cross-border", "x10", "month", 1)), http.StatusUnprocessableEntity,
				"order.licence_not_covered", "", "body.lines[0].product_id")
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 100, "destination": "招商银行 62258801 张三"}),
				http.StatusConflict, "wallet.insufficient_balance", "", "")
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/invoices", map[string]any{"order_id": o.ID, "type": "special", "title": "x", "email": "nope"}),
				http.StatusUnprocessableEntity, "invoice.invalid", "", "body.tax_id")
			if f, _ := p.Field("body.email"); f.Rule != "format" {
				t.Errorf("email rule %+v", p.Errors)
			}
			checkLanguage(t, p, han)
			p = wantProblem(t, c.Do(t, "POST", "/api/v1/orders", orderReq("cs-nc-bw", "s1", "month", 1), "Idempotency-Key", "bad key"),
				http.StatusUnprocessableEntity, "idempotency.key_invalid", "", "header.Idempotency-Key")
			checkLanguage(t, p, han)
		})
	}
}

// Every error code the commerce routes can answer has a message in both
// languages (the problem would fall back to the generic text otherwise).
func TestCommerceCodesHaveMessages(t *testing.T) {
	t.Parallel()
	codes := []string{
		order.CodeOrderInvalid, order.CodeAmountOverflow, order.CodeBadTransition, order.CodeKeyClauseNotAcknowledged, order.CodeKYCRequired,
		order.CodeLicenceNotCovered, order.CodeStandingBlocksOrder, order.CodeCheckoutBlocked,
		order.CodeIdemBodyMismatch, order.CodeIdemInFlight, order.CodeIdemKeyInvalid,
		order.CodeCouponInvalid, order.CodeCouponNotYetValid, order.CodeCouponExpired, order.CodeCouponFirstPurchaseOnly,
		order.CodeCouponExhausted, order.CodeCouponNotApplicable,
		app.CodeOutOfStock, app.CodeOrderExpired, app.CodeOrderNotPayable, app.CodePaymentPending, app.CodePaymentInvalid,
		app.CodeCouponNotFound, app.CodeAttachNotFound, app.CodeIdemReplayCorrupt, app.CodeWithdrawalState, app.CodeWithdrawalInput,
		app.CodeInvoiceInvalid, app.CodeClosureHeld,
		wallet.CodeInsufficientBalance, wallet.CodeRefundCreditNotWithdrawable, wallet.CodeRefundExceedsSpent, wallet.CodeAmountInvalid,
		wallet.CodeMemoRequired, wallet.CodeNothingToMove, wallet.CodeTxnInvalid, wallet.CodeAccountInvalid,
		catalog.CodeNotAPack, catalog.CodePackNeedsTrafficServer, catalog.CodePackNotOwner, catalog.CodeProductInvalid,
		// Codes built by the app's errNotFound and inline.
		"order.not_found", "product.not_found", "cart_item.not_found", "withdrawal.not_found", "order.changed",
		"invoice.order_not_paid", "invoice.duplicate", "invoice.not_requested",
		"agreement.version_not_in_force", "agreement.version_not_found", "account.not_found", "session.reauth_required",
		"auth.session_required", "authz.permission_denied", "authz.separation_of_duties",
	}
	for _, code := range codes {
		m, ok := i18n.Lookup("error." + code)
		if !ok || strings.TrimSpace(m.ZH) == "" || strings.TrimSpace(m.EN) == "" {
			t.Errorf("code %s has no message in both languages", code)
		}
	}
	for _, h := range []string{app.HoldOrderUnpaid, app.HoldPayoutInFlight} {
		if !i18n.Has("hold." + h) {
			t.Errorf("legal hold %s has no text", h)
		}
	}
	for _, rule := range []string{"range", "unknown", "not_offered", "cart_full", "not_allowed", "below_due", "in_force", "stock",
		"body_mismatch", "in_flight", "path_mismatch", "overflow", "coupon", order.CodeKeyClauseNotAcknowledged, order.CodeKYCRequired,
		order.CodeLicenceNotCovered, catalog.CodePackNotOwner, catalog.CodePackNeedsTrafficServer} {
		if !i18n.Has("rule." + rule) {
			t.Errorf("rule %s has no text", rule)
		}
	}
}
