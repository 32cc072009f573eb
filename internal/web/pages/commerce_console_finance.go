package pages

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/wallet"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Finance pages: company balances and the ledger, a customer's wallet, and
// the manual adjustment.

// ConsoleFinanceView is the company balances and the ledger, filtered by
// customer or account and paged.
type ConsoleFinanceView struct {
	Page
	Form
	Sub       []ConsoleSubNav
	Errs      ccFieldErrs
	Balances  []ConsoleBalanceRow
	Customer  string // filter: a customer id
	Account   string // filter: a ledger account ("revenue", "cash:<id>")
	Txns      []ConsoleTxnRow
	NextHref  string
	CanAdjust bool
}

// ConsoleBalanceRow is one company account's balance.
type ConsoleBalanceRow struct {
	Account, Label, Amount, Href string
	Negative                     bool
}

// ConsoleTxnRow is one ledger transaction with every posting.
type ConsoleTxnRow struct {
	ID, At, Reason, Memo, Customer, Links string
	Postings                              []ConsolePostingRow
}

// ConsolePostingRow is one posting of a transaction.
type ConsolePostingRow struct {
	Account, Label, Amount string
	Negative               bool
}

// ConsoleWalletView is one customer's balances and ledger history.
type ConsoleWalletView struct {
	Page
	Form
	Sub                                      []ConsoleSubNav
	AccountID, Name, KindLabel, Email, Phone string
	Balances                                 []ConsoleBalanceRow
	Spendable, Withdrawable                  string
	History                                  []ConsoleTxnRow
	NextHref                                 string
	CanAdjust, CanReconcile                  bool
}

// ConsoleAdjustView is the manual adjustment form; the password is never
// echoed.
type ConsoleAdjustView struct {
	Page
	Form
	Sub                     []ConsoleSubNav
	Errs                    ccFieldErrs
	AccountID, Kind, Amount string
	Memo                    string
	Kinds                   []ConsoleOption
	TOTP                    bool // the staff member has two-factor on: ask for a code too
	ReauthMinutes           int
}

const ccLedgerPage = 50

// ccCompanyAccounts are the company balances in display order.
var ccCompanyAccounts = []string{
	wallet.Company(wallet.Revenue).String(), wallet.Company(wallet.RefundsPayable).String(),
	wallet.Company(wallet.WithdrawalsPayable).String(), wallet.Company(wallet.Adjustments).String(),
	wallet.Clearing("alipay").String(), wallet.Clearing("wechatpay").String(), wallet.Clearing("bank").String(), wallet.Clearing("sandbox").String(),
}

// ccAccountLabel names a ledger account: its kind translated, with the
// provider of a clearing account or the customer of a sub-balance.
func ccAccountLabel(lang i18n.Lang, name string) string {
	a, err := wallet.ParseAccount(name)
	if err != nil {
		return name
	}
	l := ccLabel(lang, "page.console.finance.account.", string(a.Kind))
	switch {
	case a.Kind == wallet.GatewayClearing:
		return l + " · " + ccLabel(lang, "page.console.commerce.method.", a.Ref)
	case len(a.Ref) > 13:
		return l + " · " + a.Ref[:8] + "…"
	case a.Ref != "":
		return l + " · " + a.Ref
	}
	return l
}

func ccTxnRow(lang i18n.Lang, e app.LedgerEntryView) ConsoleTxnRow {
	r := ConsoleTxnRow{ID: e.ID, At: shortTime(e.At), Reason: ccLabel(lang, "page.console.finance.reason.", e.Reason), Memo: e.Memo}
	for _, p := range e.Postings {
		r.Postings = append(r.Postings, ConsolePostingRow{Account: p.Account, Label: ccAccountLabel(lang, p.Account),
			Amount: ccMoney(lang, p.AmountFen), Negative: p.AmountFen < 0})
		if a, err := wallet.ParseAccount(p.Account); err == nil && a.Kind.IsCustomer() {
			r.Customer = a.Ref
		}
	}
	var links []string
	for _, k := range slices.Sorted(maps.Keys(e.Links)) {
		if k != wallet.LinkCustomer {
			links = append(links, k+": "+e.Links[k])
		}
	}
	r.Links = strings.Join(links, "; ")
	return r
}

// consoleFinance is company balances and the ledger (finance.reconcile).
func (h *handlers) consoleFinance(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.reconcile", "ledger") {
		return
	}
	ctx := req.Context()
	q := req.URL.Query()
	v := ConsoleFinanceView{Page: h.page(req, "page.console.finance.title", consoleNav(), "finance"), Errs: ccFieldErrs{},
		Customer: bounded(strings.TrimSpace(q.Get("customer"))), Account: bounded(strings.TrimSpace(q.Get("account"))),
		CanAdjust: p.Holds("finance.balance.manage")}
	v.Sub = ccFinanceSub(v.Lang, p, "ledger")
	bs, err := h.app.CompanyBalances(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, name := range ccCompanyAccounts {
		v.Balances = append(v.Balances, ConsoleBalanceRow{Account: name, Label: ccAccountLabel(v.Lang, name), Amount: ccMoney(v.Lang, bs[name]),
			Href: "/console/finance?" + url.Values{"account": {name}}.Encode(), Negative: bs[name] < 0})
	}
	if v.Customer != "" && !id.Valid(v.Customer) {
		v.Errs.add(v.Lang, "customer", "id")
	}
	if v.Account != "" {
		if _, err := wallet.ParseAccount(v.Account); err != nil {
			v.Errs.add(v.Lang, "account", "ledger_account")
		}
	}
	before := bounded(q.Get("before"))
	if before != "" && !id.Valid(before) {
		before = ""
	}
	status := http.StatusOK
	if len(v.Errs) > 0 {
		v.Form, status = ccInvalidForm(v.Lang), http.StatusUnprocessableEntity
	} else {
		es, err := h.app.LedgerTxns(ctx, p.Principal, app.LedgerFilter{CustomerID: v.Customer, Account: v.Account, Before: before, Limit: ccLedgerPage + 1})
		if err != nil {
			h.actionError(w, req, err)
			return
		}
		if len(es) > ccLedgerPage {
			es = es[:ccLedgerPage]
			next := url.Values{"before": {es[len(es)-1].ID}}
			if v.Customer != "" {
				next.Set("customer", v.Customer)
			}
			if v.Account != "" {
				next.Set("account", v.Account)
			}
			v.NextHref = "/console/finance?" + next.Encode()
		}
		for _, e := range es {
			v.Txns = append(v.Txns, ccTxnRow(v.Lang, e))
		}
	}
	h.r.render(w, req, status, tmplConsoleFinance, v.Lang, v)
}

// customerOf finds a customer account by id for staff with
// account.read_any: a page's 404 when there is none.
func (h *handlers) customerOf(w http.ResponseWriter, req *http.Request, p webctx.Principal, accountID string) (app.AccountView, bool) {
	if !id.Valid(accountID) {
		h.errorPage(w, req, http.StatusNotFound, "page.error.not_found.title", "page.error.not_found.text")
		return app.AccountView{}, false
	}
	vs, _, err := h.app.CustomerSearch(req.Context(), p.Principal, app.CustomerQuery{Q: accountID, Limit: 1})
	if err != nil {
		h.actionError(w, req, err)
		return app.AccountView{}, false
	}
	if len(vs) != 1 || vs[0].ID != accountID {
		h.errorPage(w, req, http.StatusNotFound, "page.error.not_found.title", "page.error.not_found.text")
		return app.AccountView{}, false
	}
	return vs[0], true
}

// consoleWallet is one customer's wallet (account.read_any), paged by
// ?before=.
func (h *handlers) consoleWallet(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "account.read_any", "wallet") {
		return
	}
	acc, ok := h.customerOf(w, req, p, bounded(req.PathValue("id")))
	if !ok {
		return
	}
	before := bounded(req.URL.Query().Get("before"))
	if before != "" && !id.Valid(before) {
		before = ""
	}
	wv, err := h.app.Wallet(req.Context(), p.Principal, acc.ID, before, ccLedgerPage+1)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ConsoleWalletView{Page: h.page(req, "page.console.wallet.title", consoleNav(), "finance"), AccountID: acc.ID, Name: acc.DisplayName,
		Email: acc.EmailMasked, Phone: acc.PhoneMasked, CanAdjust: p.Holds("finance.balance.manage"), CanReconcile: p.Holds("finance.reconcile")}
	v.KindLabel = ccLabel(v.Lang, "page.console.commerce.account_kind.", string(acc.Kind))
	v.Sub, v.Notice = ccFinanceSub(v.Lang, p, ""), doneNotice(req, v.Lang)
	b := wv.Balance
	for _, k := range wallet.CustomerKinds {
		fen := map[wallet.Kind]int64{wallet.Cash: b.CashFen, wallet.RefundCredit: b.RefundCreditFen, wallet.FrozenCash: b.FrozenCashFen,
			wallet.FrozenRefundCredit: b.FrozenRefundCreditFen}[k]
		name := wallet.Customer(acc.ID, k).String()
		v.Balances = append(v.Balances, ConsoleBalanceRow{Account: string(k), Label: ccLabel(v.Lang, "page.console.finance.account.", string(k)),
			Amount: ccMoney(v.Lang, fen), Href: "/console/finance?" + url.Values{"account": {name}}.Encode()})
	}
	v.Spendable, v.Withdrawable = ccMoney(v.Lang, b.SpendableFen), ccMoney(v.Lang, b.WithdrawableFen)
	hist := wv.History
	if len(hist) > ccLedgerPage {
		hist = hist[:ccLedgerPage]
		v.NextHref = "/console/finance/accounts/" + url.PathEscape(acc.ID) + "?" + url.Values{"before": {hist[len(hist)-1].ID}}.Encode()
	}
	for _, e := range hist {
		v.History = append(v.History, ccTxnRow(v.Lang, e))
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleWallet, v.Lang, v)
}

// consoleAdjust is the manual adjustment (finance.balance.manage): the
// staff member types the password again (and a one-time code with
// two-factor on), which re-authenticates the session; then the app posts
// the adjustment, audited, and the page goes to the customer's wallet.
func (h *handlers) consoleAdjust(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.balance.manage", "wallet") {
		return
	}
	ctx := req.Context()
	v := ConsoleAdjustView{Page: h.page(req, "page.console.adjust.title", consoleNav(), "finance"), Errs: ccFieldErrs{},
		Kind: string(wallet.Cash), ReauthMinutes: int(account.ReauthWindow.Minutes())}
	v.Sub = ccFinanceSub(v.Lang, p, "adjust")
	if me, err := h.app.Me(ctx, p.Principal); err == nil {
		v.TOTP = me.TOTPEnabled
	}
	status := http.StatusOK
	if req.Method != http.MethodPost {
		v.AccountID = bounded(strings.TrimSpace(req.URL.Query().Get("account")))
	} else {
		if !h.parseForm(w, req) {
			return
		}
		v.AccountID, v.Kind, v.Amount, v.Memo = field(req, "account_id"), field(req, "kind"), field(req, "amount"), field(req, "memo")
		in, ok := h.parseAdjust(ctx, p, &v)
		if !ok {
			v.Form, status = ccInvalidForm(v.Lang), http.StatusUnprocessableEntity
		} else if err := h.app.Reauthenticate(ctx, p.SessionToken, req.PostForm.Get("password"), field(req, "totp")); err != nil {
			var f Form
			f, status = h.ccFormError(req, v.Lang, err, nil, nil)
			v.Form = f
			v.Errs.add(v.Lang, "password", "reauth")
		} else if _, err := h.app.LedgerAdjust(ctx, p.Principal, p.SessionToken, in); err != nil {
			if statusOfErr(err) == http.StatusForbidden && errs.CodeOf(err) != account.CodeReauthRequired {
				h.actionError(w, req, err)
				return
			}
			v.Form, status = h.ccFormError(req, v.Lang, err, v.Errs, ccAdjustInput)
		} else {
			http.Redirect(w, req, "/console/finance/accounts/"+url.PathEscape(in.AccountID)+"?done=adjusted", http.StatusSeeOther)
			return
		}
	}
	v.Kinds = ccOptions(v.Lang, "page.console.finance.account.", strs(wallet.CustomerKinds), v.Kind)
	h.r.render(w, req, status, tmplConsoleAdjust, v.Lang, v)
}

// parseAdjust checks the typed adjustment: a customer that exists, a
// sub-balance, a signed amount in yuan that is not zero, a reason (at most
// 500 bytes, as the ledger stores it).
func (h *handlers) parseAdjust(ctx context.Context, p webctx.Principal, v *ConsoleAdjustView) (app.AdjustInput, bool) {
	l, fe := v.Lang, v.Errs
	in := app.AdjustInput{AccountID: v.AccountID, Kind: v.Kind, Memo: v.Memo}
	if !id.Valid(v.AccountID) {
		fe.add(l, "account_id", "id")
	} else if vs, _, err := h.app.CustomerSearch(ctx, p.Principal, app.CustomerQuery{Q: v.AccountID, Limit: 1}); err != nil || len(vs) != 1 || vs[0].ID != v.AccountID {
		fe.add(l, "account_id", "unknown_customer")
	}
	if !wallet.Kind(v.Kind).IsCustomer() {
		fe.add(l, "kind", "enum")
	}
	if fen, ok := ccMoneyField(l, fe, "amount", v.Amount, true); ok {
		if fen == 0 {
			fe.add(l, "amount", "not_zero")
		}
		in.AmountFen = fen
	}
	if v.Memo == "" {
		fe.add(l, "memo", "required")
	} else if len(v.Memo) > 500 {
		fe.add(l, "memo", "max_length")
	}
	return in, len(fe) == 0
}

// ccAdjustInput maps an application field of LedgerAdjust to the form's
// input.
func ccAdjustInput(f string) string {
	switch f {
	case "amount_fen", "amount":
		return "amount"
	case "kind", "account":
		return "kind"
	case "memo":
		return "memo"
	case "account_id":
		return "account_id"
	}
	return ""
}
