package pages

import (
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/money"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The console's commerce pages (issue 9): the catalog and coupons
// (catalog.manage), orders (account.read_any), and finance — company
// balances and the ledger (finance.reconcile), a customer's wallet
// (account.read_any), manual adjustments (finance.balance.manage with a
// fresh password), the withdrawals queue (finance.withdrawal.approve,
// finance.payout) and the fapiao queue (finance.invoice).
//
// Every handler authorises before it reads the form, so a staff member
// without the permission sees the 403 page whatever was posted; bad input
// comes back on the same page with the typed values and one message per
// field, in the staff member's language. Amounts are typed in yuan and
// parsed by money.ParseYuan (never floats); labels are translated here,
// so that an unknown stored value shows as itself rather than failing the
// render.

const (
	tmplConsoleCatalog     = "console_commerce_catalog"
	tmplConsoleProduct     = "console_commerce_product"
	tmplConsoleCoupons     = "console_commerce_coupons"
	tmplConsoleOrders      = "console_commerce_orders"
	tmplConsoleOrder       = "console_commerce_order"
	tmplConsoleFinance     = "console_commerce_finance"
	tmplConsoleWallet      = "console_commerce_wallet"
	tmplConsoleAdjust      = "console_commerce_adjust"
	tmplConsoleWithdrawals = "console_commerce_withdrawals"
	tmplConsoleInvoices    = "console_commerce_invoices"
)

func init() {
	for _, name := range []string{tmplConsoleCatalog, tmplConsoleProduct, tmplConsoleCoupons, tmplConsoleOrders, tmplConsoleOrder,
		tmplConsoleFinance, tmplConsoleWallet, tmplConsoleAdjust, tmplConsoleWithdrawals, tmplConsoleInvoices} {
		pageFiles[name] = [2]string{"layout_console.html", name + ".html"}
	}
	notices["product_saved"] = "page.console.catalog.saved"
	notices["coupon_saved"] = "page.console.coupons.saved"
	notices["adjusted"] = "page.console.adjust.done"
	notices["withdrawal_approve"] = "page.console.withdrawals.done.approve"
	notices["withdrawal_reject"] = "page.console.withdrawals.done.reject"
	notices["withdrawal_paid"] = "page.console.withdrawals.done.paid"
	notices["invoice_issued"] = "page.console.invoices.done.issued"
	notices["invoice_rejected"] = "page.console.invoices.done.rejected"
}

// registerCommerceConsole adds the console's commerce pages (issue 9):
//
//	GET       /console/catalog                       every product
//	GET, POST /console/catalog/new                   a new product (?kind=…)
//	GET, POST /console/catalog/{id}                  edit a product
//	GET, POST /console/coupons                       coupons (?code=… edits one)
//	GET       /console/orders                        orders (?state=…&account=…)
//	GET       /console/orders/{id}                   one order
//	GET       /console/finance                       company balances and the ledger
//	GET       /console/finance/accounts/{id}         a customer's wallet
//	GET, POST /console/finance/adjust                a manual adjustment
//	GET       /console/finance/withdrawals           the withdrawals queue
//	POST      /console/finance/withdrawals/{id}      approve, reject, paid, unmask
//	GET       /console/finance/invoices              the fapiao queue
//	POST      /console/finance/invoices/{id}         issued, rejected
func (h *handlers) registerCommerceConsole(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /console/catalog", staff(h.consoleCatalog))
	handle("GET /console/catalog/new", staff(h.consoleProduct))
	handle("POST /console/catalog/new", staff(h.consoleProduct))
	handle("GET /console/catalog/{id}", staff(h.consoleProduct))
	handle("POST /console/catalog/{id}", staff(h.consoleProduct))
	handle("GET /console/coupons", staff(h.consoleCoupons))
	handle("POST /console/coupons", staff(h.consoleCoupons))
	handle("GET /console/orders", staff(h.consoleOrders))
	handle("GET /console/orders/{id}", staff(h.consoleOrder))
	handle("GET /console/finance", staff(h.consoleFinance))
	handle("GET /console/finance/accounts/{id}", staff(h.consoleWallet))
	handle("GET /console/finance/adjust", staff(h.consoleAdjust))
	handle("POST /console/finance/adjust", staff(h.consoleAdjust))
	handle("GET /console/finance/withdrawals", staff(h.consoleWithdrawals))
	handle("POST /console/finance/withdrawals/{id}", staff(h.consoleWithdrawalPost))
	handle("GET /console/finance/invoices", staff(h.consoleInvoices))
	handle("POST /console/finance/invoices/{id}", staff(h.consoleInvoicePost))
}

// ConsoleOption is one choice of a select, radio group or checkbox list.
type ConsoleOption struct {
	Value, Label string
	Selected     bool
}

// ConsoleSubNav is one entry of a commerce sub-navigation.
type ConsoleSubNav struct {
	ID, Label, Href string
	Current         bool
}

// ccLabel translates prefix+value, or shows the value itself when the
// catalog has no such key (a value stored by a newer version).
func ccLabel(lang i18n.Lang, prefix, value string) string {
	if value == "" {
		return ""
	}
	if k := prefix + value; i18n.Has(k) {
		return i18n.T(lang, k, nil)
	}
	return value
}

// ccOptions builds the options of values labelled by prefix+value.
func ccOptions(lang i18n.Lang, prefix string, values []string, selected string) []ConsoleOption {
	out := make([]ConsoleOption, len(values))
	for i, v := range values {
		out[i] = ConsoleOption{Value: v, Label: ccLabel(lang, prefix, v), Selected: v == selected}
		if v == "" {
			out[i].Label = "—"
		}
	}
	return out
}

// ccMoney formats fen for people ("¥1,234.50", "CN¥1,234.50"); a
// negative amount gets a minus sign the line never breaks after.
func ccMoney(lang i18n.Lang, fen int64) string {
	s := money.Fen(fen).Format(string(lang))
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		return "\u2212\u2060" + rest
	}
	return s
}

// ccMinutes says a duration in minutes as days, hours or minutes.
func ccMinutes(lang i18n.Lang, m int64) string {
	switch {
	case m > 0 && m%(60*24) == 0:
		return i18n.T(lang, "page.console.commerce.days", map[string]any{"n": m / (60 * 24)})
	case m > 0 && m%60 == 0:
		return i18n.T(lang, "page.console.commerce.hours", map[string]any{"n": m / 60})
	}
	return i18n.T(lang, "page.console.commerce.minutes", map[string]any{"n": m})
}

// ccBytes says a byte count in GiB or TiB when it is a whole number of
// them, else in bytes.
func ccBytes(n uint64) string {
	switch {
	case n >= 1<<40 && n%(1<<40) == 0:
		return strconv.FormatUint(n>>40, 10) + " TiB"
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatUint(n>>30, 10) + " GiB"
	}
	return strconv.FormatUint(n, 10) + " B"
}

// ccFieldErrs are a form's problems: input name → translated message.
type ccFieldErrs map[string]string

// add records rule for the input name (the first problem of a field wins).
func (fe ccFieldErrs) add(lang i18n.Lang, name, rule string) {
	if _, ok := fe[name]; !ok {
		fe[name] = ccRule(lang, rule)
	}
}

// ccRule is the message of a validation rule.
func ccRule(lang i18n.Lang, rule string) string {
	if k := "page.console.commerce.rule." + rule; i18n.Has(k) {
		return i18n.T(lang, k, nil)
	}
	return i18n.T(lang, "page.console.commerce.rule.invalid", nil)
}

// ccErrorText is the page-level message of an application error: this
// file's own wording for the commerce codes, else the shared catalog's
// (error.<code>, error.<kind>).
func ccErrorText(lang i18n.Lang, e *errs.Error) string {
	params := map[string]any{"request_id": ""}
	if len(e.Fields) > 0 {
		maps.Copy(params, e.Fields[0].Params)
		params["field"] = e.Fields[0].Field
	}
	maps.Copy(params, e.Params)
	for _, k := range []string{"page.console.commerce.error." + e.Code, "error." + e.Code, "error." + e.Kind.String()} {
		if i18n.Has(k) {
			return i18n.T(lang, k, params)
		}
	}
	return i18n.T(lang, "error.invalid", nil)
}

// ccFormError turns err into the page's message and per-field messages.
// name maps an application field ("body.server.cpu", without "body.") to
// the form's input name ("" when the form has none: the message then goes
// in the list under the page's message). Internal errors are logged and
// shown as the generic message with 500.
func (h *handlers) ccFormError(req *http.Request, lang i18n.Lang, err error, fe ccFieldErrs, name func(string) string) (Form, int) {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind == errs.Internal {
		h.log.ErrorContext(req.Context(), "page action failed", slog.String("path", req.URL.Path), slog.Any("error", err))
		return Form{Error: i18n.T(lang, "page.error.internal.text", nil)}, http.StatusInternalServerError
	}
	f := Form{Error: ccErrorText(lang, e)}
	for _, fld := range e.Fields {
		n := strings.TrimPrefix(fld.Field, "body.")
		if name != nil {
			n = name(n)
		}
		if n == "" || fe == nil {
			f.FieldErrors = append(f.FieldErrors, ccRule(lang, fld.Rule))
			continue
		}
		fe.add(lang, n, fld.Rule)
	}
	return f, statusOf(e.Kind)
}

// ccInvalidForm is the page-level message of a form with field problems.
func ccInvalidForm(lang i18n.Lang) Form {
	return Form{Error: i18n.T(lang, "page.console.commerce.fix_fields", nil)}
}

// ccAuthorize checks that p holds perm before a page reads or writes
// anything, answering the 403 page (false) otherwise.
func (h *handlers) ccAuthorize(w http.ResponseWriter, req *http.Request, p webctx.Principal, perm account.Permission, typ string) bool {
	if err := h.app.Authorize(req.Context(), p.Principal, perm, account.Object{Type: typ}); err != nil {
		h.actionError(w, req, err)
		return false
	}
	return true
}

// ccMoneyField parses a yuan amount typed in input name; an empty field
// is "required". Errors go to fe and return false.
func ccMoneyField(lang i18n.Lang, fe ccFieldErrs, name, s string, signed bool) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		fe.add(lang, name, "required")
		return 0, false
	}
	var f money.Fen
	var err error
	if signed {
		f, err = money.ParseSignedYuan(s, name)
	} else {
		f, err = money.ParseYuanField(s, name)
	}
	if err != nil {
		fe.add(lang, name, strings.TrimPrefix(errs.CodeOf(err), "money."))
		return 0, false
	}
	return int64(f), true
}

// ccIntField parses an integer typed in input name within [lo, hi]; an
// empty field is "required".
func ccIntField(lang i18n.Lang, fe ccFieldErrs, name, s string, lo, hi int64) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		fe.add(lang, name, "required")
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fe.add(lang, name, "integer")
		return 0, false
	}
	if n < lo || n > hi {
		fe.add(lang, name, "range")
		return 0, false
	}
	return n, true
}

// ccWithdrawalStates are the states of the withdrawals queue's tabs.
var ccWithdrawalStates = []string{app.WithdrawalRequested, app.WithdrawalAwaitingSecond, app.WithdrawalApproved, app.WithdrawalPaid,
	app.WithdrawalRejected, app.WithdrawalCancelled}

// ccFinanceSub is the finance pages' sub-navigation: the pages the viewer
// may open.
func ccFinanceSub(lang i18n.Lang, p webctx.Principal, current string) []ConsoleSubNav {
	all := []struct {
		id, key, href string
		may           bool
	}{
		{"ledger", "page.console.finance.nav.ledger", "/console/finance", p.Holds("finance.reconcile")},
		{"withdrawals", "page.console.finance.nav.withdrawals", "/console/finance/withdrawals", p.Holds("finance.withdrawal.approve") || p.Holds("finance.payout")},
		{"invoices", "page.console.finance.nav.invoices", "/console/finance/invoices", p.Holds("finance.invoice")},
		{"adjust", "page.console.finance.nav.adjust", "/console/finance/adjust", p.Holds("finance.balance.manage")},
	}
	var items []ConsoleSubNav
	for _, it := range all {
		if it.may {
			items = append(items, ConsoleSubNav{ID: it.id, Label: i18n.T(lang, it.key, nil), Href: it.href, Current: it.id == current})
		}
	}
	return items
}

// ccCatalogSub is the catalog pages' sub-navigation.
func ccCatalogSub(lang i18n.Lang, current string) []ConsoleSubNav {
	items := []ConsoleSubNav{
		{ID: "products", Label: i18n.T(lang, "page.console.catalog.nav.products", nil), Href: "/console/catalog"},
		{ID: "new", Label: i18n.T(lang, "page.console.catalog.nav.new", nil), Href: "/console/catalog/new"},
		{ID: "coupons", Label: i18n.T(lang, "page.console.catalog.nav.coupons", nil), Href: "/console/coupons"},
	}
	for i := range items {
		items[i].Current = items[i].ID == current
	}
	return items
}
