package pages

import (
	"net/http"

	"yuanxu/internal/web/webctx"
)

// Gateway payment pages (issue 10). The portal: the order page pays by
// Alipay (its cashier page, or a QR code) or WeChat Pay (QR code), alone
// or split with the balance (commerce_portal_orders.go), and shows the
// pending attempt — a button to the Alipay page or the QR code drawn as an
// image — refreshing itself every few seconds (a Refresh header: no
// script) until the gateway's verified notification marks it paid; the
// wallet tops up cash through a gateway (commerce_portal_wallet.go) and
// follows the attempt on its own page; the return page is where Alipay
// sends the browser back, and only says that the payment is being
// confirmed: a payment is known from the notification, never from the
// browser's return (payments_portal.go). The console's finance pages:
// attempts, flagged notifications resolved with a note, reconciliation
// differences with a "run for a day" form (payments_console.go), and the
// "pay to original route" button of approved withdrawals
// (commerce_console_payouts.go).

// Payment page templates.
const (
	tmplPayReturn    = "portal_payments_return"
	tmplPayAttempt   = "portal_payments_attempt"
	tmplConsolePays  = "console_payments_attempts"
	tmplConsoleFlags = "console_payments_flags"
	tmplConsoleRecon = "console_payments_recon"
)

// payRefreshSeconds is how often a page waiting for a gateway's
// notification loads itself again.
const payRefreshSeconds = "5"

func init() {
	for _, name := range []string{tmplPayReturn, tmplPayAttempt} {
		pageFiles[name] = [2]string{"layout_portal.html", name + ".html"}
	}
	for _, name := range []string{tmplConsolePays, tmplConsoleFlags, tmplConsoleRecon} {
		pageFiles[name] = [2]string{"layout_console.html", name + ".html"}
	}
	notices["payment_started"] = "page.pay.notice.started"
	notices["topup_started"] = "page.pay.notice.topup_started"
	notices["flag_resolved"] = "page.pay.flags.done"
	notices["withdrawal_route"] = "page.pay.withdrawals.done_route"
}

// registerPaymentPages adds the gateway payment pages (issue 10): paying
// an order by QR or page, top-ups, the return page; the console's
// attempts, flags and reconciliation:
//
//	GET       /payments/return                  where the gateway sends the browser back (anyone)
//	GET       /payments/{id}                    one attempt: where to pay, refreshing until settled
//	POST      /wallet/top-up                    a gateway top-up of cash (amount, gateway, kind)
//	GET       /console/finance/payments         every attempt (?state=&gateway=&purpose=)
//	GET       /console/finance/flags            flags (?view=open|all)
//	POST      /console/finance/flags/{id}       resolve a flag with a note
//	GET, POST /console/finance/reconciliation   differences; run one gateway's day
func (h *handlers) registerPaymentPages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /payments/return", h.payReturn)
	handle("GET /payments/{id}", cust(h.payAttempt))
	handle("POST /wallet/top-up", cust(h.payTopUp))
	handle("GET /console/finance/payments", staff(h.consolePayments))
	handle("GET /console/finance/flags", staff(h.consoleFlags))
	handle("POST /console/finance/flags/{id}", staff(h.consoleFlagResolve))
	handle("GET /console/finance/reconciliation", staff(h.consoleRecon))
	handle("POST /console/finance/reconciliation", staff(h.consoleRecon))
}
