package app

import (
	"context"
	"errors"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// The wallet (issue 9 item 5, DESIGN.md §3, §5): every movement of money
// is one wallet.Txn, validated by the domain and written by post in the
// caller's transaction. Customer sub-balances and payables change by
// conditional updates (never negative); revenue, clearing and adjustments
// are appended only and rolled up by the ledger.rollup sweep, so that
// checkouts do not queue on one hot row.

// post validates t and writes it in tx, returning its id. A debit the
// balance cannot cover is wallet.insufficient_balance (Conflict), and the
// caller's transaction must then roll back (it does by returning the
// error).
func (a *App) post(ctx context.Context, tx *store.Tx, t wallet.Txn) (string, error) {
	return a.postAs(ctx, tx, t, id.NewAt(tx.Now))
}

// postAs is post with the ledger transaction's id chosen by the caller
// (recorded elsewhere before the posting itself runs).
func (a *App) postAs(ctx context.Context, tx *store.Tx, t wallet.Txn, txnID string) (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	row := store.LedgerTxnRow{ID: txnID, Reason: string(t.Reason), Memo: t.Memo, Links: t.Links,
		CreatedBy: ActorFrom(ctx).ID, CreatedAt: tx.Now, Insufficient: insufficientBalance}
	if row.Links == nil {
		row.Links = map[string]string{}
	}
	for _, p := range t.Postings {
		if p.Account.Kind.IsCustomer() {
			row.CustomerID = p.Account.Ref
		}
		row.Postings = append(row.Postings, store.LedgerPostingRow{Account: p.Account.String(), AmountFen: int64(p.Amount),
			Live: p.Account.NonNegative()})
	}
	if row.CustomerID == "" {
		row.CustomerID = t.Links[wallet.LinkCustomer]
	}
	if err := tx.LedgerInsert(ctx, row); err != nil {
		return "", err
	}
	return row.ID, nil
}

// insufficientBalance is a debit's failure for want of balance (clause
// §5): a conflict, wallet.insufficient_balance.
func insufficientBalance(ie *store.InsufficientError) error {
	return errs.E(errs.Op("app.post"), errs.Conflict, wallet.CodeInsufficientBalance, "insufficient balance",
		map[string]any{"account": ie.Account, "amount_fen": -ie.AmountFen, "clause": "§5"})
}

// balancesOf reads a customer's four sub-balances.
func balancesOf(ctx context.Context, q store.Querier, customer string) (wallet.Balances, error) {
	names := balanceAccounts(customer)
	m, err := store.LedgerBalances(ctx, q, names...)
	if err != nil {
		return wallet.Balances{}, err
	}
	return balancesFrom(customer, names, m), nil
}

// balancesRead is balancesOf as a store.Read, for reads sent together
// (Tx.ReadTogether); once the read ran, got returns the balances.
func balancesRead(customer string) (r store.Read, got func() wallet.Balances) {
	names, m := balanceAccounts(customer), map[string]int64{}
	return store.LedgerBalancesRead(m, names...), func() wallet.Balances { return balancesFrom(customer, names, m) }
}

// balanceAccounts names a customer's sub-balance accounts, in
// wallet.CustomerKinds' order.
func balanceAccounts(customer string) []string {
	names := make([]string, len(wallet.CustomerKinds))
	for i, k := range wallet.CustomerKinds {
		names[i] = wallet.Customer(customer, k).String()
	}
	return names
}

// balancesFrom is a customer's balances from the balances of its accounts
// (names, balanceAccounts').
func balancesFrom(customer string, names []string, m map[string]int64) wallet.Balances {
	return wallet.Balances{Customer: customer, Cash: money.Fen(m[names[0]]), RefundCredit: money.Fen(m[names[1]]),
		FrozenCash: money.Fen(m[names[2]]), FrozenRefundCredit: money.Fen(m[names[3]])}
}

// BalanceView is a customer's balance by sub-balance, in fen.
type BalanceView struct {
	CashFen               int64 `json:"cash_fen" example:"10000"`
	RefundCreditFen       int64 `json:"refund_credit_fen" example:"2500"`
	FrozenCashFen         int64 `json:"frozen_cash_fen" example:"0"`
	FrozenRefundCreditFen int64 `json:"frozen_refund_credit_fen" example:"0"`
	// SpendableFen is refund credit plus cash; WithdrawableFen is cash
	// only: refund credit is never withdrawable (clause 3.1).
	SpendableFen    int64 `json:"spendable_fen" example:"12500"`
	WithdrawableFen int64 `json:"withdrawable_fen" example:"10000"`
}

func balanceView(b wallet.Balances) BalanceView {
	return BalanceView{CashFen: int64(b.Cash), RefundCreditFen: int64(b.RefundCredit), FrozenCashFen: int64(b.FrozenCash),
		FrozenRefundCreditFen: int64(b.FrozenRefundCredit), SpendableFen: int64(b.Spendable()), WithdrawableFen: int64(b.Cash)}
}

// LedgerEntryView is one ledger transaction as its customer sees it: the
// change of each of its sub-balances.
type LedgerEntryView struct {
	ID      string            `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	Reason  string            `json:"reason" example:"spend"`
	Memo    string            `json:"memo,omitempty" example:""`
	Links   map[string]string `json:"links"`
	At      time.Time         `json:"at" example:"2026-11-26T08:00:00Z"`
	Changes map[string]int64  `json:"changes" example:"{\"cash\":-1000}"` // sub-balance kind → signed fen
	// Postings are every posting, for staff views (nil for customers).
	Postings []PostingView `json:"postings,omitempty"`
}

// PostingView is one posting.
type PostingView struct {
	Account   string `json:"account" example:"revenue"`
	AmountFen int64  `json:"amount_fen" example:"1000"`
}

// WalletView is a customer's balance and its recent history.
type WalletView struct {
	AccountID string            `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Balance   BalanceView       `json:"balance"`
	History   []LedgerEntryView `json:"history"`
}

func entryView(t store.LedgerTxnRow, customer string, staff bool) LedgerEntryView {
	v := LedgerEntryView{ID: t.ID, Reason: t.Reason, Memo: t.Memo, Links: t.Links, At: t.CreatedAt, Changes: map[string]int64{}}
	for _, p := range t.Postings {
		acc, err := wallet.ParseAccount(p.Account)
		if err == nil && acc.Kind.IsCustomer() && acc.Ref == customer {
			v.Changes[string(acc.Kind)] += p.AmountFen
		}
		if staff {
			v.Postings = append(v.Postings, PostingView{Account: p.Account, AmountFen: p.AmountFen})
		}
	}
	if !staff && t.Reason != string(wallet.ReasonAdjust) {
		v.Memo = ""
	}
	return v
}

// Wallet returns a customer's balances and its latest ledger entries
// (before: an entry id, for paging). A customer reads its own tenant's
// (wallet.read); staff any, with account.read_any.
func (a *App) Wallet(ctx context.Context, p account.Principal, accountID, before string, limit int) (WalletView, error) {
	staff := p.Kind == account.KindStaff
	if accountID == "" {
		accountID = p.TenantID()
	}
	if err := a.authorizeCustomerObject(ctx, p, "wallet.read", "account.read_any", "wallet", accountID); err != nil {
		return WalletView{}, err
	}
	b, err := balancesOf(ctx, a.db, accountID)
	if err != nil {
		return WalletView{}, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	txns, err := store.LedgerTxns(ctx, a.db, store.LedgerFilter{CustomerID: accountID, Before: before, Limit: limit})
	if err != nil {
		return WalletView{}, err
	}
	v := WalletView{AccountID: accountID, Balance: balanceView(b), History: []LedgerEntryView{}}
	for _, t := range txns {
		v.History = append(v.History, entryView(t, accountID, staff))
	}
	return v, nil
}

// authorizeCustomerObject authorises p on an object owned by the customer
// accountID: a customer through custPerm on its own tenant (anything else
// is <typ>.not_found), staff through staffPerm.
func (a *App) authorizeCustomerObject(ctx context.Context, p account.Principal, custPerm, staffPerm account.Permission, typ, accountID string) error {
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, staffPerm, account.Object{Type: typ, OwnerAccountID: accountID}); err != nil {
			return err
		}
		// Staff see customers' objects only: a missing account, or a
		// staff member's, has none.
		l, err := a.readAccount(ctx, accountID)
		if err != nil || l.row.Kind == string(account.KindStaff) {
			return errNotFound(typ)
		}
		return nil
	}
	obj, err := a.customerObject(ctx, typ, accountID)
	if err != nil {
		return err
	}
	return a.Authorize(ctx, p, custPerm, obj)
}

// customerObject is the authorisation object of something a customer
// owns: its owner, the owner's enterprise and reseller.
func (a *App) customerObject(ctx context.Context, typ, accountID string) (account.Object, error) {
	l, err := a.readAccount(ctx, accountID)
	if err != nil {
		if errs.CodeOf(err) == "account.not_found" {
			return account.Object{}, errNotFound(typ)
		}
		return account.Object{}, err
	}
	obj := l.object()
	obj.Type = typ
	return obj, nil
}

// AdjustInput is a manual correction by finance.
type AdjustInput struct {
	AccountID string `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	// Kind is the sub-balance corrected: cash, refund_credit, frozen_cash
	// or frozen_refund_credit.
	Kind      string `json:"kind" enum:"cash,refund_credit,frozen_cash,frozen_refund_credit" example:"cash"`
	AmountFen int64  `json:"amount_fen" example:"-500" doc:"signed: > 0 credits the customer, < 0 debits"`
	Memo      string `json:"memo" example:"duplicate top-up reversed, ticket T-1042" maxLength:"500"`
}

// LedgerAdjust records a manual adjustment (finance.balance.manage) from a
// session re-authenticated within account.ReauthWindow, with a reason,
// audited as ledger.adjusted. It never makes a sub-balance negative and
// cannot move money between sub-balances (wallet.Adjust).
func (a *App) LedgerAdjust(ctx context.Context, p account.Principal, sessionToken string, in AdjustInput) (LedgerEntryView, error) {
	if err := a.Authorize(ctx, p, "finance.balance.manage", account.Object{Type: "wallet", OwnerAccountID: in.AccountID}); err != nil {
		return LedgerEntryView{}, err
	}
	if _, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now()); err != nil {
		return LedgerEntryView{}, err
	}
	if in.AmountFen == 0 || in.AmountFen > int64(wallet.MaxAmount) || in.AmountFen < -int64(wallet.MaxAmount) {
		return LedgerEntryView{}, errs.E(errs.Op("app.LedgerAdjust"), errs.Invalid, wallet.CodeAmountInvalid, "amount out of range",
			errs.FieldError{Field: "body.amount_fen", Rule: "range", Params: map[string]any{"max_fen": int64(wallet.MaxAmount)}})
	}
	k := wallet.Kind(in.Kind)
	if !k.IsCustomer() {
		return LedgerEntryView{}, errs.E(errs.Op("app.LedgerAdjust"), errs.Invalid, wallet.CodeAccountInvalid, "not a customer sub-balance",
			errs.FieldError{Field: "body.kind", Rule: "enum"})
	}
	if len(in.Memo) > 500 {
		return LedgerEntryView{}, errs.E(errs.Op("app.LedgerAdjust"), errs.Invalid, wallet.CodeMemoRequired, "memo too long",
			errs.FieldError{Field: "body.memo", Rule: "max_length", Params: map[string]any{"max": 500}})
	}
	if _, err := loadAccount(ctx, a.db, in.AccountID); err != nil {
		return LedgerEntryView{}, err
	}
	var out LedgerEntryView
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		b, err := balancesOf(ctx, tx, in.AccountID)
		if err != nil {
			return err
		}
		adjID := id.NewAt(tx.Now)
		t, err := wallet.Adjust(wallet.AdjustParams{Balances: b, Account: k, Amount: money.Fen(in.AmountFen), Memo: in.Memo, AdjustmentID: adjID})
		if err != nil {
			return prefixFields(err, "body.")
		}
		txnID, err := a.post(ctx, tx, t)
		if err != nil {
			return err
		}
		out = LedgerEntryView{ID: txnID, Reason: string(t.Reason), Memo: t.Memo, Links: t.Links, At: tx.Now,
			Changes: map[string]int64{in.Kind: in.AmountFen}}
		return a.Audit(ctx, tx, AuditEntry{Action: "ledger.adjusted", SubjectType: "account", SubjectID: in.AccountID,
			Data: map[string]any{"txn": txnID, "kind": in.Kind, "amount_fen": in.AmountFen, "memo": in.Memo}})
	})
	return out, err
}

// prefixFields puts prefix before every field name of an *errs.Error.
func prefixFields(err error, prefix string) error {
	var e *errs.Error
	if errors.As(err, &e) {
		for i := range e.Fields {
			e.Fields[i].Field = prefix + e.Fields[i].Field
		}
	}
	return err
}

// LedgerFilter selects ledger transactions for finance.
type LedgerFilter = store.LedgerFilter

// LedgerTxns lists ledger transactions with every posting, for staff with
// finance.reconcile.
func (a *App) LedgerTxns(ctx context.Context, p account.Principal, f LedgerFilter) ([]LedgerEntryView, error) {
	if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "ledger"}); err != nil {
		return nil, err
	}
	txns, err := store.LedgerTxns(ctx, a.db, f)
	if err != nil {
		return nil, err
	}
	out := make([]LedgerEntryView, 0, len(txns))
	for _, t := range txns {
		out = append(out, entryView(t, t.CustomerID, true))
	}
	return out, nil
}

// CompanyBalances returns the company accounts' balances (revenue, the
// payables, clearing per provider, adjustments), for finance.reconcile.
func (a *App) CompanyBalances(ctx context.Context, p account.Principal) (map[string]int64, error) {
	if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "ledger"}); err != nil {
		return nil, err
	}
	names := []string{wallet.Company(wallet.Revenue).String(), wallet.Company(wallet.RefundsPayable).String(),
		wallet.Company(wallet.WithdrawalsPayable).String(), wallet.Company(wallet.Adjustments).String()}
	for _, prov := range []string{"alipay", "wechatpay", "bank", "sandbox"} {
		names = append(names, wallet.Clearing(prov).String())
	}
	return store.LedgerBalances(ctx, a.db, names...)
}

// LedgerVerify checks the ledger's invariants (admin verify).
func (a *App) LedgerVerify(ctx context.Context) (store.LedgerReport, error) {
	return a.db.LedgerVerify(ctx)
}

// ledgerRollupSweep folds appended postings of the company accounts into
// their balance rows (the sweep ledger.rollup).
func (a *App) ledgerRollupSweep(ctx context.Context, _ time.Time) (int64, error) {
	var n int64
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		n, err = tx.LedgerRollup(ctx, 500)
		return err
	})
	return n, err
}

// seedBalance credits a customer's cash from the sandbox clearing account
// (the demo's and tests' top-up until the gateways capability adds real
// ones), audited as wallet.topped_up.
func (a *App) seedBalance(ctx context.Context, tx *store.Tx, customer string, amount money.Fen, ref string) error {
	t, err := wallet.TopUp(wallet.TopUpParams{Customer: customer, Provider: "sandbox", Amount: amount, PaymentID: ref})
	if err != nil {
		return err
	}
	txnID, err := a.post(ctx, tx, t)
	if err != nil {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "wallet.topped_up", SubjectType: "account", SubjectID: customer,
		Data: map[string]any{"txn": txnID, "amount_fen": int64(amount), "provider": "sandbox", "ref": ref}})
}

// SandboxTopUp credits cash to a customer from the sandbox gateway: only in
// sandbox mode (the route does not exist otherwise: not_found), for the customer's own
// tenant (wallet.topup). The gateways capability adds real top-ups.
func (a *App) SandboxTopUp(ctx context.Context, p account.Principal, amount money.Fen) (BalanceView, error) {
	if a.sandbox == nil {
		return BalanceView{}, errNotSandbox
	}
	if p.Kind == account.KindStaff {
		return BalanceView{}, errs.E(errs.Op("app.SandboxTopUp"), errs.Forbidden, "authz.permission_denied", "a sandbox top-up is a customer's own")
	}
	customer := p.TenantID()
	if err := a.authorizeCustomerObject(ctx, p, "wallet.topup", "finance.balance.manage", "wallet", customer); err != nil {
		return BalanceView{}, err
	}
	if amount <= 0 || amount > 10_000_000 {
		return BalanceView{}, errs.E(errs.Op("app.SandboxTopUp"), errs.Invalid, wallet.CodeAmountInvalid, "amount out of range",
			errs.FieldError{Field: "body.amount_fen", Rule: "range", Params: map[string]any{"min_fen": 1, "max_fen": 10_000_000}})
	}
	var out BalanceView
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := a.seedBalance(ctx, tx, customer, amount, "sandbox-"+id.NewAt(tx.Now)); err != nil {
			return err
		}
		b, err := balancesOf(ctx, tx, customer)
		out = balanceView(b)
		return err
	})
	return out, err
}
