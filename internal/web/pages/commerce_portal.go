package pages

import (
	"net/http"

	"yuanxu/internal/web/webctx"
)

// registerCommercePortal adds the portal's commerce pages (issue 9):
// catalog, cart, checkout, orders and receipts, wallet, withdrawals,
// fapiao requests.
func (h *handlers) registerCommercePortal(handle func(string, http.HandlerFunc), cust func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
}
