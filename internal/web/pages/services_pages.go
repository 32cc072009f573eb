package pages

import (
	"net/http"

	"yuanxu/internal/web/webctx"
)

// registerServicePages adds the services pages (issue 12): the portal's
// my services with renewals and plan changes, the console's services with
// filters and actions.
func (h *handlers) registerServicePages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
}
