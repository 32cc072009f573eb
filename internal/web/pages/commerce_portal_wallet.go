package pages

import (
	"net/http"
	"net/url"
	"slices"

	"yuanxu/internal/app"
	"yuanxu/internal/money"
	"yuanxu/internal/wallet"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The wallet (/wallet): the four sub-balances — cash, refund credit
// (spendable, never withdrawable: clause 3.1), and the frozen parts of
// each —, the ledger history by sub-balance with its reasons translated,
// withdrawals of cash with their form and cancellation, a top-up of cash
// through a payment gateway (payments_portal.go), and in sandbox mode
// only a top-up form from the sandbox gateway.

// ShopWalletView is the wallet page.
type ShopWalletView struct {
	Page
	ShopForm
	Cash, RefundCredit, FrozenCash, FrozenRefundCredit string
	Spendable, Withdrawable                            string
	Kind                                               string // the history's sub-balance filter, "" for all
	Kinds                                              []ShopOption
	History                                            []ShopLedgerRow
	NextHref                                           string
	Withdrawals                                        []ShopWithdrawal
	Amount, Destination                                string // the withdrawal form as typed
	CanTopUp                                           bool
	TopUpAmount                                        string

	// TopUp is the gateway top-up form and the latest top-ups.
	TopUp PayTopUp
}

// ShopLedgerRow is one ledger transaction: the change of each sub-balance.
type ShopLedgerRow struct {
	ID, At, Reason, ReasonLabel                    string
	Cash, RefundCredit, FrozenCash, FrozenRefundCr string
	OrderID, OrderHref                             string
}

// ShopWithdrawal is one withdrawal.
type ShopWithdrawal struct {
	ID, Amount, Source, State, StateLabel, Destination, Requested, Paid, RejectReason string
	Cancelable, NeedsSecond                                                           bool
}

func (h *handlers) shopWalletPage(req *http.Request, p webctx.Principal) (ShopWalletView, error) {
	ctx := req.Context()
	q := req.URL.Query()
	v := ShopWalletView{Page: h.page(req, "page.shop.wallet.title", portalNav(), "wallet"), CanTopUp: h.app.IsSandbox()}
	v.Next = "/wallet"
	if k := q.Get("kind"); slices.Contains(wallet.CustomerKinds, wallet.Kind(k)) {
		v.Kind = k
	}
	kinds := []string{""}
	for _, k := range wallet.CustomerKinds {
		kinds = append(kinds, string(k))
	}
	v.Kinds = shopOptions(v.Lang, "page.shop.balance.", kinds, v.Kind)
	v.Kinds[0].Label = i18n.T(v.Lang, "page.shop.wallet.all", nil)
	const pageSize = 50
	wv, err := h.app.Wallet(ctx, p.Principal, "", bounded(q.Get("before")), pageSize)
	if err != nil {
		return v, err
	}
	b := wv.Balance
	v.Cash, v.RefundCredit = shopYuan(v.Lang, b.CashFen), shopYuan(v.Lang, b.RefundCreditFen)
	v.FrozenCash, v.FrozenRefundCredit = shopYuan(v.Lang, b.FrozenCashFen), shopYuan(v.Lang, b.FrozenRefundCreditFen)
	v.Spendable, v.Withdrawable = shopYuan(v.Lang, b.SpendableFen), shopYuan(v.Lang, b.WithdrawableFen)
	change := func(e app.LedgerEntryView, k wallet.Kind) string {
		if n := e.Changes[string(k)]; n != 0 {
			s := shopYuan(v.Lang, n)
			if n > 0 {
				s = "+" + s
			}
			return s
		}
		return ""
	}
	for _, e := range wv.History {
		if v.Kind != "" && e.Changes[v.Kind] == 0 {
			continue
		}
		r := ShopLedgerRow{ID: e.ID, At: shortTime(e.At), Reason: e.Reason, ReasonLabel: shopT(v.Lang, "page.shop.reason."+e.Reason, e.Reason),
			Cash: change(e, wallet.Cash), RefundCredit: change(e, wallet.RefundCredit), FrozenCash: change(e, wallet.FrozenCash),
			FrozenRefundCr: change(e, wallet.FrozenRefundCredit)}
		if oid := e.Links[wallet.LinkOrder]; oid != "" {
			r.OrderID, r.OrderHref = shopShortID(oid), "/orders/"+url.PathEscape(oid)
		}
		v.History = append(v.History, r)
	}
	if len(wv.History) == pageSize {
		v.NextHref = "/wallet?" + url.Values{"kind": {v.Kind}, "before": {wv.History[len(wv.History)-1].ID}}.Encode()
	}
	v.TopUp = h.payTopUpForm(req, p, v.Lang)
	ws, err := h.app.Withdrawals(ctx, p.Principal, nil)
	if err != nil {
		return v, err
	}
	for _, x := range ws {
		v.Withdrawals = append(v.Withdrawals, ShopWithdrawal{ID: x.ID, Amount: shopYuan(v.Lang, x.AmountFen),
			Source: shopT(v.Lang, "page.shop.balance."+x.Source, x.Source), State: x.State,
			StateLabel: shopT(v.Lang, "page.shop.withdrawal."+x.State, x.State), Destination: x.DestinationMasked,
			Requested: shortTime(x.RequestedAt), Paid: shortTime(x.PaidAt), RejectReason: x.RejectReason,
			Cancelable: x.State == app.WithdrawalRequested && x.Kind == app.WithdrawalKindRequest, NeedsSecond: x.NeedsSecond})
	}
	return v, nil
}

// shopWallet is the wallet page.
func (h *handlers) shopWallet(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.shopWalletPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplShopWallet, v.Lang, v)
}

// shopWalletFail shows the wallet again with err on form formID.
func (h *handlers) shopWalletFail(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error, formID string, echo func(*ShopWalletView)) {
	h.shopFail(w, req, err, formID, func(f ShopForm, status int) {
		v, gerr := h.shopWalletPage(req, p)
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.ShopForm = f
		if echo != nil {
			echo(&v)
		}
		h.r.render(w, req, status, tmplShopWallet, v.Lang, v)
	})
}

// shopWithdraw requests a withdrawal of cash to a bank account.
func (h *handlers) shopWithdraw(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	amount, dest := field(req, "amount"), field(req, "destination")
	f, err := money.ParseYuanField(amount, "body.amount")
	if err == nil {
		_, err = h.app.RequestWithdrawal(req.Context(), p.Principal, app.WithdrawalRequest{AmountFen: int64(f), Destination: dest})
	}
	if err != nil {
		h.shopWalletFail(w, req, p, err, "withdraw", func(v *ShopWalletView) { v.Amount, v.Destination = amount, dest })
		return
	}
	http.Redirect(w, req, "/wallet?done=withdrawal_requested", http.StatusSeeOther)
}

// shopWithdrawCancel takes back a withdrawal no one approved yet.
func (h *handlers) shopWithdrawCancel(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.CancelWithdrawal(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.shopWalletFail(w, req, p, err, "withdrawals", nil)
		return
	}
	http.Redirect(w, req, "/wallet?done=withdrawal_cancelled", http.StatusSeeOther)
}

// shopTopUp credits cash from the sandbox gateway (sandbox mode only: the
// app answers not found otherwise).
func (h *handlers) shopTopUp(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.app.IsSandbox() {
		h.notFound(w, req)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	amount := field(req, "amount")
	f, err := money.ParseYuanField(amount, "body.amount")
	if err == nil {
		_, err = h.app.SandboxTopUp(req.Context(), p.Principal, f)
	}
	if err != nil {
		h.shopWalletFail(w, req, p, err, "topup", func(v *ShopWalletView) { v.TopUpAmount = amount })
		return
	}
	http.Redirect(w, req, "/wallet?done=topped_up", http.StatusSeeOther)
}
