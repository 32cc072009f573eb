package pages

import (
	"net/http"

	"yuanxu/internal/web/webctx"
)

// registerUsagePages adds the usage pages (issue 14): a service's usage
// chart in the portal; usage per service and node, and quarantined
// samples, in the console.
func (h *handlers) registerUsagePages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
}
