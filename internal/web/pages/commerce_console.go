package pages

import (
	"net/http"

	"yuanxu/internal/web/webctx"
)

// registerCommerceConsole adds the console's commerce pages (issue 9):
// catalog and coupons, orders, ledger, adjustments, withdrawals queue,
// fapiao queue.
func (h *handlers) registerCommerceConsole(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
}
