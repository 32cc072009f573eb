package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// Withdrawals (issue 9 item 6): a customer withdraws cash — never refund
// credit (clause 3.1) — to its original route. The cash moves to
// withdrawals_payable at once, so it cannot be spent twice; finance
// approves (two different people above refund.dual_control_fen) and pays
// it by a recorded manual bank transfer until the gateways capability pays
// it back to the original route; a rejection or the customer's
// cancellation returns it to cash. When an account ends, its cash and
// refund credit become closure pay-backs in the same queue (DESIGN.md §3).

// Withdrawal kinds, sources and states.
const (
	WithdrawalKindRequest = "withdrawal"
	WithdrawalKindClosure = "closure"

	WithdrawalRequested      = "requested"
	WithdrawalAwaitingSecond = "awaiting_second"
	WithdrawalApproved       = "approved"
	WithdrawalPaid           = "paid"
	WithdrawalRejected       = "rejected"
	WithdrawalCancelled      = "cancelled"

	RouteBank = "bank"
)

// withdrawalOpen lists the states of a payout still in flight (a legal
// hold on closure).
var withdrawalOpen = []string{WithdrawalRequested, WithdrawalAwaitingSecond, WithdrawalApproved}

// Error codes.
const (
	CodeWithdrawalState = "withdrawal.bad_state"
	CodeWithdrawalInput = "withdrawal.invalid"
)

// WithdrawalRequest is a customer's withdrawal of cash.
type WithdrawalRequest struct {
	AmountFen int64 `json:"amount_fen" minimum:"1" example:"5000"`
	// Destination is the bank account the transfer goes to (bank, account
	// number, holder); stored encrypted and shown masked.
	Destination string `json:"destination" minLength:"6" maxLength:"200" example:"招商银行 6225 8801 2345 6789 张三"`
}

// WithdrawalView is a withdrawal as its customer and finance see it.
type WithdrawalView struct {
	ID                string `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f63"`
	AccountID         string `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Kind              string `json:"kind" enum:"withdrawal,closure" example:"withdrawal"`
	Source            string `json:"source" enum:"cash,refund_credit" example:"cash"`
	AmountFen         int64  `json:"amount_fen" example:"5000"`
	State             string `json:"state" enum:"requested,awaiting_second,approved,paid,rejected,cancelled" example:"requested"`
	Route             string `json:"route" example:"bank"`
	DestinationMasked string `json:"destination_masked" example:"招商银行 ****6789 张*"`
	// NeedsSecond is set when the amount is above refund.dual_control_fen:
	// two different people approve.
	NeedsSecond      bool      `json:"needs_second_approval" example:"false"`
	FirstApprover    string    `json:"first_approver,omitempty" example:""`
	SecondApprover   string    `json:"second_approver,omitempty" example:""`
	RejectReason     string    `json:"reject_reason,omitempty" example:""`
	TransferRef      string    `json:"transfer_ref,omitempty" example:""`
	RequestedAt      time.Time `json:"requested_at" example:"2026-11-26T08:00:00Z"`
	FirstApprovedAt  time.Time `json:"first_approved_at,omitzero" example:"2026-11-26T09:00:00Z"`
	SecondApprovedAt time.Time `json:"second_approved_at,omitzero" example:"2026-11-26T10:00:00Z"`
	PaidAt           time.Time `json:"paid_at,omitzero" example:"2026-11-27T10:00:00Z"`
}

func (a *App) withdrawalView(w store.WithdrawalRow, dual int64) WithdrawalView {
	return WithdrawalView{ID: w.ID, AccountID: w.AccountID, Kind: w.Kind, Source: w.Source, AmountFen: w.AmountFen, State: w.State, Route: w.Route,
		DestinationMasked: w.DestinationMask, NeedsSecond: w.Kind == WithdrawalKindRequest && w.AmountFen > dual, FirstApprover: w.FirstApprover,
		SecondApprover: w.SecondApprover, RejectReason: w.RejectReason, TransferRef: w.TransferRef, RequestedAt: w.RequestedAt,
		FirstApprovedAt: w.FirstApprovedAt, SecondApprovedAt: w.SecondApprovedAt, PaidAt: w.PaidAt}
}

// dualControlFen is refund.dual_control_fen of the version the customer
// accepted last (policy.ForCustomer).
func (a *App) dualControlFen(ctx context.Context, customer string) (int64, error) {
	set, _, err := a.policy.ForCustomer(ctx, customer, a.Now())
	if err != nil {
		return 0, err
	}
	return set.Int64(policy.RefundDualControlFen), nil
}

// maskDestination keeps the first word (the bank) and the last four
// characters of the account number.
func maskDestination(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	tail := digits
	if len(tail) > 4 {
		tail = tail[len(tail)-4:]
	}
	return f[0] + " ****" + tail
}

// RequestWithdrawal moves amount of p's cash to withdrawals_payable and
// queues it for finance (wallet.withdraw, the account holder only). Refund
// credit is never withdrawable: an amount only refund credit could cover
// is wallet.refund_credit_not_withdrawable (409, clause 3.1).
func (a *App) RequestWithdrawal(ctx context.Context, p account.Principal, in WithdrawalRequest) (WithdrawalView, error) {
	const op = "app.RequestWithdrawal"
	customer := p.AccountID
	if err := a.authorizeCustomerObject(ctx, p, "wallet.withdraw", "wallet.withdraw", "wallet", customer); err != nil {
		return WithdrawalView{}, err
	}
	in.Destination = strings.TrimSpace(in.Destination)
	if n := len([]rune(in.Destination)); n < 6 || n > 200 {
		return WithdrawalView{}, fieldErr(op, CodeWithdrawalInput, errs.Invalid, "body.destination", "length",
			"the bank account to pay to is required", map[string]any{"min": 6, "max": 200})
	}
	if in.AmountFen <= 0 || in.AmountFen > int64(wallet.MaxAmount) {
		return WithdrawalView{}, fieldErr(op, wallet.CodeAmountInvalid, errs.Invalid, "body.amount_fen", "range", "amount out of range",
			map[string]any{"min_fen": 1, "max_fen": int64(wallet.MaxAmount)})
	}
	dual, err := a.dualControlFen(ctx, customer)
	if err != nil {
		return WithdrawalView{}, err
	}
	var out store.WithdrawalRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := refuseIfHeld(ctx, tx, customer); err != nil { // an authority order (issue 16)
			return err
		}
		b, err := balancesOf(ctx, tx, customer)
		if err != nil {
			return err
		}
		wid := id.NewAt(tx.Now)
		t, err := wallet.Withdraw(b, money.Fen(in.AmountFen), wid)
		if err != nil {
			return err
		}
		if _, err := a.post(ctx, tx, t); err != nil {
			return err
		}
		enc, err := a.seal("withdrawal", "destination", wid, in.Destination)
		if err != nil {
			return err
		}
		out = store.WithdrawalRow{ID: wid, AccountID: customer, Kind: WithdrawalKindRequest, Source: string(wallet.Cash), AmountFen: in.AmountFen,
			State: WithdrawalRequested, Route: RouteBank, DestinationEnc: enc, DestinationMask: maskDestination(in.Destination),
			RequestedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.WithdrawalInsert(ctx, out); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "withdrawal.requested", SubjectType: "withdrawal", SubjectID: wid,
			Data: map[string]any{"account": customer, "amount_fen": in.AmountFen, "destination": out.DestinationMask}})
	})
	return a.withdrawalView(out, dual), err
}

// Withdrawals lists withdrawals newest first: a customer its own
// (wallet.read), finance every one in the given states
// (finance.withdrawal.approve or finance.payout).
func (a *App) Withdrawals(ctx context.Context, p account.Principal, states []string) ([]WithdrawalView, error) {
	accountID := ""
	if p.Kind == account.KindStaff {
		if a.Authorize(ctx, p, "finance.withdrawal.approve", account.Object{Type: "withdrawal"}) != nil {
			if err := a.Authorize(ctx, p, "finance.payout", account.Object{Type: "withdrawal"}); err != nil {
				return nil, err
			}
		}
	} else {
		accountID = p.TenantID()
		if err := a.authorizeCustomerObject(ctx, p, "wallet.read", "", "wallet", accountID); err != nil {
			return nil, err
		}
	}
	rows, err := store.Withdrawals(ctx, a.db, accountID, states, 200)
	if err != nil {
		return nil, err
	}
	out := make([]WithdrawalView, 0, len(rows))
	for _, w := range rows {
		dual, err := a.dualControlFen(ctx, w.AccountID)
		if err != nil {
			return nil, err
		}
		out = append(out, a.withdrawalView(w, dual))
	}
	return out, nil
}

// WithdrawalDecision is finance's action on a withdrawal.
type WithdrawalDecision struct {
	Action      string `json:"action" enum:"approve,reject,paid" example:"approve"`
	Reason      string `json:"reason,omitempty" maxLength:"500" example:""`
	TransferRef string `json:"transfer_ref,omitempty" maxLength:"100" example:"" doc:"paid: the bank transfer's reference"`
}

// DecideWithdrawal applies finance's decision:
//   - approve (finance.withdrawal.approve): the first approval, or the
//     second — by someone else — for an amount above
//     refund.dual_control_fen;
//   - reject (finance.withdrawal.approve, with a reason): the cash goes
//     back to the customer;
//   - paid (finance.payout, with the transfer reference): an approved
//     withdrawal was transferred; the payable is settled to the route.
//
// Each is audited; a decision on a withdrawal in the wrong state is
// withdrawal.bad_state (409).
func (a *App) DecideWithdrawal(ctx context.Context, p account.Principal, withdrawalID string, d WithdrawalDecision) (WithdrawalView, error) {
	const op = "app.DecideWithdrawal"
	d.Reason, d.TransferRef = strings.TrimSpace(d.Reason), strings.TrimSpace(d.TransferRef)
	var out store.WithdrawalRow
	// Read outside the transaction what needs the reader (the policy): on
	// PostgreSQL the reader is the writer's pool.
	pre, err := store.WithdrawalGet(ctx, a.db, withdrawalID)
	if store.IsNotFound(err) {
		if p.Kind != account.KindStaff {
			return WithdrawalView{}, errNotFound("withdrawal")
		}
		if err := a.Authorize(ctx, p, "finance.withdrawal.approve", account.Object{Type: "withdrawal"}); err != nil {
			return WithdrawalView{}, err
		}
		return WithdrawalView{}, errNotFound("withdrawal")
	}
	if err != nil {
		return WithdrawalView{}, err
	}
	dual, err := a.dualControlFen(ctx, pre.AccountID)
	if err != nil {
		return WithdrawalView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		w, err := store.WithdrawalGet(ctx, tx, withdrawalID)
		if err != nil {
			return err
		}
		obj := account.Object{Type: "withdrawal", OwnerAccountID: w.AccountID, PreparedBy: w.AccountID, FirstApprover: w.FirstApprover}
		prev, next := w.State, w
		next.UpdatedAt = tx.Now
		bad := func() error {
			return errs.E(errs.Op(op), errs.Conflict, CodeWithdrawalState, "the withdrawal is "+w.State, map[string]any{"state": w.State})
		}
		var ledger *wallet.Txn
		switch d.Action {
		case "approve":
			if err := a.Authorize(ctx, p, "finance.withdrawal.approve", obj); err != nil {
				return err
			}
			needsSecond := w.Kind == WithdrawalKindRequest && w.AmountFen > dual
			switch {
			case w.State == WithdrawalRequested && needsSecond:
				next.State, next.FirstApprover, next.FirstApprovedAt = WithdrawalAwaitingSecond, p.AccountID, tx.Now
			case w.State == WithdrawalRequested:
				next.State, next.FirstApprover, next.FirstApprovedAt = WithdrawalApproved, p.AccountID, tx.Now
			case w.State == WithdrawalAwaitingSecond:
				next.State, next.SecondApprover, next.SecondApprovedAt = WithdrawalApproved, p.AccountID, tx.Now
			default:
				return bad()
			}
		case "reject":
			if err := a.Authorize(ctx, p, "finance.withdrawal.approve", account.Object{Type: "withdrawal", OwnerAccountID: w.AccountID}); err != nil {
				return err
			}
			if d.Reason == "" || len(d.Reason) > 500 {
				return fieldErr(op, CodeWithdrawalInput, errs.Invalid, "body.reason", "required", "a rejection needs a reason", nil)
			}
			if !slices.Contains([]string{WithdrawalRequested, WithdrawalAwaitingSecond, WithdrawalApproved}, w.State) || w.Kind != WithdrawalKindRequest {
				return bad()
			}
			t, err := wallet.WithdrawReverse(w.AccountID, money.Fen(w.AmountFen), w.ID)
			if err != nil {
				return err
			}
			ledger = &t
			next.State, next.DecidedBy, next.RejectReason = WithdrawalRejected, p.AccountID, d.Reason
		case "paid":
			if err := a.Authorize(ctx, p, "finance.payout", account.Object{Type: "withdrawal", OwnerAccountID: w.AccountID}); err != nil {
				return err
			}
			if d.TransferRef == "" || len(d.TransferRef) > 100 {
				return fieldErr(op, CodeWithdrawalInput, errs.Invalid, "body.transfer_ref", "required", "record the transfer's reference", nil)
			}
			if w.State != WithdrawalApproved {
				return bad()
			}
			if err := refuseIfHeld(ctx, tx, w.AccountID); err != nil { // an authority order stops the payout (issue 16)
				return err
			}
			from := wallet.WithdrawalsPayable
			if w.Source == string(wallet.RefundCredit) {
				from = wallet.RefundsPayable
			}
			t, err := wallet.Payout(wallet.PayoutParams{From: from, Provider: w.Route, Amount: money.Fen(w.AmountFen),
				Links: map[string]string{wallet.LinkWithdrawal: w.ID}})
			if err != nil {
				return err
			}
			ledger = &t
			next.State, next.PaidBy, next.PaidAt, next.TransferRef = WithdrawalPaid, p.AccountID, tx.Now, d.TransferRef
		default:
			return fieldErr(op, CodeWithdrawalInput, errs.Invalid, "body.action", "enum", "approve, reject or paid", nil)
		}
		ok, err := tx.WithdrawalUpdate(ctx, next, prev, w.UpdatedAt)
		if err != nil || !ok {
			return conflictOr(err)
		}
		var txnID string
		if ledger != nil {
			if txnID, err = a.post(ctx, tx, *ledger); err != nil {
				return err
			}
		}
		out = next
		return a.Audit(ctx, tx, AuditEntry{Action: "withdrawal." + d.Action, SubjectType: "withdrawal", SubjectID: w.ID, Data: map[string]any{
			"from": prev, "to": next.State, "amount_fen": w.AmountFen, "txn": txnID, "reason": d.Reason, "transfer_ref": d.TransferRef}})
	})
	return a.withdrawalView(out, dual), err
}

// CancelWithdrawal lets the customer take back a withdrawal no one has
// approved yet; the cash returns.
func (a *App) CancelWithdrawal(ctx context.Context, p account.Principal, withdrawalID string) (WithdrawalView, error) {
	var out store.WithdrawalRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		w, err := store.WithdrawalGet(ctx, tx, withdrawalID)
		if store.IsNotFound(err) {
			return errNotFound("withdrawal")
		}
		if err != nil {
			return err
		}
		if err := a.authorizeCustomerObject(ctx, p, "wallet.withdraw", "wallet.withdraw", "withdrawal", w.AccountID); err != nil {
			return err
		}
		if w.State != WithdrawalRequested || w.Kind != WithdrawalKindRequest {
			return errs.E(errs.Op("app.CancelWithdrawal"), errs.Conflict, CodeWithdrawalState, "only a withdrawal no one approved can be cancelled",
				map[string]any{"state": w.State})
		}
		next := w
		next.State, next.DecidedBy, next.UpdatedAt = WithdrawalCancelled, p.AccountID, tx.Now
		ok, err := tx.WithdrawalUpdate(ctx, next, w.State, w.UpdatedAt)
		if err != nil || !ok {
			return conflictOr(err)
		}
		t, err := wallet.WithdrawReverse(w.AccountID, money.Fen(w.AmountFen), w.ID)
		if err != nil {
			return err
		}
		txnID, err := a.post(ctx, tx, t)
		if err != nil {
			return err
		}
		out = next
		return a.Audit(ctx, tx, AuditEntry{Action: "withdrawal.cancelled", SubjectType: "withdrawal", SubjectID: w.ID,
			Data: map[string]any{"amount_fen": w.AmountFen, "txn": txnID}})
	})
	return a.withdrawalView(out, 0), err
}

// WithdrawalDestination returns the clear bank account of a withdrawal for
// finance paying it (finance.payout), audited with a purpose.
func (a *App) WithdrawalDestination(ctx context.Context, p account.Principal, withdrawalID string) (string, error) {
	if err := a.Authorize(ctx, p, "finance.payout", account.Object{Type: "withdrawal"}); err != nil {
		return "", err
	}
	w, err := store.WithdrawalGet(ctx, a.db, withdrawalID)
	if store.IsNotFound(err) {
		return "", errNotFound("withdrawal")
	}
	if err != nil {
		return "", err
	}
	if w.DestinationEnc == "" {
		return "", nil
	}
	plain, err := a.open("withdrawal", "destination", w.ID, w.DestinationEnc)
	if err != nil {
		return "", err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, AuditEntry{Action: "pii.unmasked", SubjectType: "withdrawal", SubjectID: w.ID,
			Data: map[string]any{"field": "destination", "purpose": "payout"}})
	})
	return plain, err
}

// closeWallet pays a closing account's balances back (DESIGN.md §3 "when
// an account ends"): cash and refund credit (frozen or not) move to the
// payables and become closure pay-backs in finance's queue, approved by
// the closure itself, to their original routes.
func (a *App) closeWallet(ctx context.Context, tx *store.Tx, accountID string) error {
	b, err := balancesOf(ctx, tx, accountID)
	if err != nil {
		return err
	}
	t, err := wallet.CloseAccount(b)
	if err == wallet.ErrNothingToMove {
		return nil
	}
	if err != nil {
		return err
	}
	txnID, err := a.post(ctx, tx, t)
	if err != nil {
		return err
	}
	for _, part := range []struct {
		source wallet.Kind
		amount money.Fen
	}{{wallet.Cash, b.Cash + b.FrozenCash}, {wallet.RefundCredit, b.RefundCredit + b.FrozenRefundCredit}} {
		if part.amount == 0 {
			continue
		}
		w := store.WithdrawalRow{ID: id.NewAt(tx.Now), AccountID: accountID, Kind: WithdrawalKindClosure, Source: string(part.source),
			AmountFen: int64(part.amount), State: WithdrawalApproved, Route: RouteBank, DestinationMask: "original route",
			Note: "account closure", RequestedAt: tx.Now, FirstApprover: "system", FirstApprovedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.WithdrawalInsert(ctx, w); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "withdrawal.closure_payback", SubjectType: "withdrawal", SubjectID: w.ID,
			Data: map[string]any{"account": accountID, "source": part.source, "amount_fen": int64(part.amount), "txn": txnID}}); err != nil {
			return err
		}
	}
	return nil
}

// Legal holds on closure added by commerce (issue 9 "Done when").
const (
	HoldOrderUnpaid    = "order_unpaid"
	HoldPayoutInFlight = "payout_in_flight"
)

func commerceLegalHolds() []LegalHold {
	return []LegalHold{
		{Code: HoldOrderUnpaid, Clause: "2.2", Check: func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error) {
			n, err := store.OrderCountInStates(ctx, q, accountID, "created")
			return n > 0, map[string]any{"orders": n}, err
		}},
		{Code: HoldPayoutInFlight, Clause: "6.2", Check: func(ctx context.Context, q store.Querier, accountID string) (bool, map[string]any, error) {
			ws, err := store.Withdrawals(ctx, q, accountID, withdrawalOpen, 10)
			return len(ws) > 0, map[string]any{"withdrawals": len(ws)}, err
		}},
	}
}
