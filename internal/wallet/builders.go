package wallet

import (
	"strings"

	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

// checkAmount refuses zero, negative and absurd amounts ([MaxAmount]).
func checkAmount(op errs.Op, amount money.Fen) error {
	if amount <= 0 || amount > MaxAmount {
		return errs.E(errs.Invalid, CodeAmountInvalid, "amount must be between 0.01 and the maximum", op,
			errs.FieldError{Field: "amount", Rule: "range", Params: map[string]any{"min_fen": 1, "max_fen": int64(MaxAmount)}})
	}
	return nil
}

func insufficient(op errs.Op, required, available money.Fen, account Kind, clause string) error {
	return errs.E(errs.Conflict, CodeInsufficientBalance, "insufficient balance", op, map[string]any{
		"required_fen": int64(required), "available_fen": int64(available), "account": string(account), "clause": clause,
	})
}

// posts appends a posting unless amount is zero (a transaction holds no
// zero postings).
func posts(ps []Posting, a Account, amount money.Fen) []Posting {
	if amount == 0 {
		return ps
	}
	return append(ps, Posting{Account: a, Amount: amount})
}

// TopUpParams describes money a customer paid in through a gateway.
type TopUpParams struct {
	Customer  string
	Provider  string // the gateway, the route a withdrawal goes back to
	Amount    money.Fen
	PaymentID string // the verified payment notification's payment
}

// TopUp credits cash from the provider's clearing account. Top-ups are
// cash: withdrawable to their original route (issue 9 item 5).
func TopUp(p TopUpParams) (Txn, error) {
	const op = errs.Op("wallet.TopUp")
	if err := checkAmount(op, p.Amount); err != nil {
		return Txn{}, err
	}
	return Txn{
		Reason: ReasonTopUp,
		Links:  map[string]string{LinkPayment: p.PaymentID},
		Postings: []Posting{
			{Clearing(p.Provider), -p.Amount},
			{Customer(p.Customer, Cash), p.Amount},
		},
	}, nil
}

// Spend pays amount for an order from b, refund credit first, then cash
// (issue 9 item 5; refund credit is "spendable on any product", 3.1), and
// credits revenue. It returns where the money came from, to be stored
// with the payment for [RefundToBalance]. Frozen money is never spent
// (4.3). More than [Balances.Spendable] is [CodeInsufficientBalance]
// (Kind Conflict; params required_fen, available_fen).
func Spend(b Balances, amount money.Fen, orderID string) (Txn, Spent, error) {
	const op = errs.Op("wallet.Spend")
	if err := checkAmount(op, amount); err != nil {
		return Txn{}, Spent{}, err
	}
	if amount > b.Spendable() {
		return Txn{}, Spent{}, insufficient(op, amount, b.Spendable(), "", "3.1")
	}
	s := Spent{FromRefundCredit: min(amount, b.RefundCredit)}
	s.FromCash = amount - s.FromRefundCredit
	var ps []Posting
	ps = posts(ps, Customer(b.Customer, RefundCredit), -s.FromRefundCredit)
	ps = posts(ps, Customer(b.Customer, Cash), -s.FromCash)
	ps = append(ps, Posting{Company(Revenue), amount})
	return Txn{Reason: ReasonSpend, Links: map[string]string{LinkOrder: orderID}, Postings: ps}, s, nil
}

// RefundToBalanceParams describes a refund of (part of) a balance payment.
type RefundToBalanceParams struct {
	Customer string
	// Remaining is what is left of the payment's [Spent] after earlier
	// partial refunds (Spent.Sub of each returned part).
	Remaining Spent
	Amount    money.Fen
	RefundID  string
	OrderID   string
}

// RefundToBalance returns amount of a balance payment to the sub-balances
// it came from (DESIGN §3): in proportion to Remaining by
// [money.Allocate], an odd fen to cash (the consumer-favourable side,
// DESIGN §1.2). Refunding all of Remaining restores both parts exactly.
// It returns the parts, which the caller subtracts from Remaining. More
// than Remaining is [CodeRefundExceedsSpent] (DESIGN §5).
func RefundToBalance(p RefundToBalanceParams) (Txn, Spent, error) {
	const op = errs.Op("wallet.RefundToBalance")
	if err := checkAmount(op, p.Amount); err != nil {
		return Txn{}, Spent{}, err
	}
	if p.Remaining.FromCash < 0 || p.Remaining.FromRefundCredit < 0 || p.Amount > p.Remaining.Total() {
		return Txn{}, Spent{}, errs.E(errs.Conflict, CodeRefundExceedsSpent, "refund exceeds what remains of the balance payment", op,
			map[string]any{"amount_fen": int64(p.Amount), "remaining_fen": int64(p.Remaining.Total()), "clause": "§5"})
	}
	parts, err := money.Allocate(p.Amount, []money.Fen{p.Remaining.FromCash, p.Remaining.FromRefundCredit})
	if err != nil {
		return Txn{}, Spent{}, err
	}
	back := Spent{FromCash: parts[0], FromRefundCredit: parts[1]}
	ps := []Posting{{Company(Revenue), -p.Amount}}
	ps = posts(ps, Customer(p.Customer, RefundCredit), back.FromRefundCredit)
	ps = posts(ps, Customer(p.Customer, Cash), back.FromCash)
	return Txn{Reason: ReasonRefundToBalance, Links: refundLinks(p.RefundID, p.OrderID), Postings: ps}, back, nil
}

func refundLinks(refundID, orderID string) map[string]string {
	l := map[string]string{LinkRefund: refundID}
	if orderID != "" {
		l[LinkOrder] = orderID
	}
	return l
}

// RefundParams describes a refund of a gateway-paid amount.
type RefundParams struct {
	Customer string // unused by RefundToRoute
	Amount   money.Fen
	RefundID string
	OrderID  string
}

// RefundAsCredit refunds a gateway-paid amount as refund credit, the
// customer's choice among the destinations (refund.destinations: 3.1,
// 6.2): spendable, never withdrawable except when the account ends.
func RefundAsCredit(p RefundParams) (Txn, error) {
	const op = errs.Op("wallet.RefundAsCredit")
	if err := checkAmount(op, p.Amount); err != nil {
		return Txn{}, err
	}
	return Txn{Reason: ReasonRefundAsCredit, Links: refundLinks(p.RefundID, p.OrderID), Postings: []Posting{
		{Company(Revenue), -p.Amount},
		{Customer(p.Customer, RefundCredit), p.Amount},
	}}, nil
}

// RefundToRoute records a refund the customer chose to receive on the
// original payment route (6.2): revenue → refunds_payable, paid out later
// by [Payout] within refund.payout_days.
func RefundToRoute(p RefundParams) (Txn, error) {
	const op = errs.Op("wallet.RefundToRoute")
	if err := checkAmount(op, p.Amount); err != nil {
		return Txn{}, err
	}
	return Txn{Reason: ReasonRefundToRoute, Links: refundLinks(p.RefundID, p.OrderID), Postings: []Posting{
		{Company(Revenue), -p.Amount},
		{Company(RefundsPayable), p.Amount},
	}}, nil
}

// Freeze moves all of b's cash to frozen_cash and refund credit to
// frozen_refund_credit (ban.freeze_balance, clauses 3.2.4 and 4.3):
// nothing is forfeited, and [Unfreeze] or [CloseAccount] later returns it.
// caseID is the compliance case. Empty balances are [ErrNothingToMove].
func Freeze(b Balances, caseID string) (Txn, error) {
	ps := posts(nil, Customer(b.Customer, Cash), -b.Cash)
	ps = posts(ps, Customer(b.Customer, FrozenCash), b.Cash)
	ps = posts(ps, Customer(b.Customer, RefundCredit), -b.RefundCredit)
	ps = posts(ps, Customer(b.Customer, FrozenRefundCredit), b.RefundCredit)
	return moveTxn(ReasonFreeze, caseID, ps)
}

// Unfreeze returns frozen money to the sub-balance it came from (DESIGN
// §5; an overturned ban, 6.2): frozen_cash → cash, frozen_refund_credit →
// refund_credit. Empty frozen balances are [ErrNothingToMove].
func Unfreeze(b Balances, caseID string) (Txn, error) {
	ps := posts(nil, Customer(b.Customer, FrozenCash), -b.FrozenCash)
	ps = posts(ps, Customer(b.Customer, Cash), b.FrozenCash)
	ps = posts(ps, Customer(b.Customer, FrozenRefundCredit), -b.FrozenRefundCredit)
	ps = posts(ps, Customer(b.Customer, RefundCredit), b.FrozenRefundCredit)
	return moveTxn(ReasonUnfreeze, caseID, ps)
}

func moveTxn(r Reason, caseID string, ps []Posting) (Txn, error) {
	if len(ps) == 0 {
		return Txn{}, ErrNothingToMove
	}
	var links map[string]string
	if caseID != "" {
		links = map[string]string{LinkCase: caseID}
	}
	return Txn{Reason: r, Links: links, Postings: ps}, nil
}

// Withdraw moves amount of cash to withdrawals_payable, for finance to pay
// to the original route ([Payout]). Only cash is withdrawable: refund
// credit never is (clause 3.1), so an amount that only refund credit could
// cover is [CodeRefundCreditNotWithdrawable], and one that the whole
// balance cannot cover is [CodeInsufficientBalance] (both Kind Conflict,
// params required_fen, available_fen, clause). Frozen cash is not
// withdrawable (4.3).
func Withdraw(b Balances, amount money.Fen, withdrawalID string) (Txn, error) {
	const op = errs.Op("wallet.Withdraw")
	if err := checkAmount(op, amount); err != nil {
		return Txn{}, err
	}
	if amount > b.Cash {
		if amount <= b.Spendable() {
			return Txn{}, errs.E(errs.Conflict, CodeRefundCreditNotWithdrawable, "refund credit is not withdrawable", op, map[string]any{
				"required_fen": int64(amount), "available_fen": int64(b.Cash), "refund_credit_fen": int64(b.RefundCredit), "clause": "3.1",
			})
		}
		return Txn{}, insufficient(op, amount, b.Cash, Cash, "3.1")
	}
	return Txn{Reason: ReasonWithdraw, Links: map[string]string{LinkWithdrawal: withdrawalID}, Postings: []Posting{
		{Customer(b.Customer, Cash), -amount},
		{Company(WithdrawalsPayable), amount},
	}}, nil
}

// CloseAccount empties all four sub-balances when an account ends
// (closure, or a final decision upholding a ban): cash and frozen cash to
// withdrawals_payable, refund credit and frozen refund credit to
// refunds_payable, both to be paid back to their original routes by
// [Payout]. It is the one exception to "refund credit is never
// withdrawable" (DESIGN §3): forfeiting a prepaid balance would be void
// (Civil Code 497, Consumer Rights Protection Law art. 53). The caller
// refuses first while an authority order holds the balance, an order is
// unpaid or a payout is in flight (issue 9, "Done when"). Empty balances
// are [ErrNothingToMove].
func CloseAccount(b Balances) (Txn, error) {
	var ps []Posting
	for _, k := range CustomerKinds {
		ps = posts(ps, Customer(b.Customer, k), -b.Get(k))
	}
	ps = posts(ps, Company(WithdrawalsPayable), b.Cash+b.FrozenCash)
	ps = posts(ps, Company(RefundsPayable), b.RefundCredit+b.FrozenRefundCredit)
	if len(ps) == 0 {
		return Txn{}, ErrNothingToMove
	}
	return Txn{Reason: ReasonAccountClosure, Links: map[string]string{LinkCustomer: b.Customer}, Postings: ps}, nil
}

// PayoutParams describes money leaving the company on a payment route.
type PayoutParams struct {
	From     Kind   // WithdrawalsPayable or RefundsPayable
	Provider string // the original route ("alipay", "wechatpay", "bank")
	Amount   money.Fen
	Links    map[string]string // the withdrawal, refund or closure it settles
}

// Payout records a payment to an original route that settles a payable:
// From → gateway_clearing:<Provider>. Refund credit reaches a payable only
// through [CloseAccount], so no payout can carry it otherwise (3.1).
func Payout(p PayoutParams) (Txn, error) {
	const op = errs.Op("wallet.Payout")
	if err := checkAmount(op, p.Amount); err != nil {
		return Txn{}, err
	}
	if p.From != WithdrawalsPayable && p.From != RefundsPayable {
		return Txn{}, errs.E(errs.Internal, CodeAccountInvalid, "a payout settles withdrawals_payable or refunds_payable", op)
	}
	return Txn{Reason: ReasonPayout, Links: p.Links, Postings: []Posting{
		{Company(p.From), -p.Amount},
		{Clearing(p.Provider), p.Amount},
	}}, nil
}

// AdjustParams describes a manual correction by finance (issue 9 item 8:
// reason, re-authentication, audit — the last two are the app's).
type AdjustParams struct {
	Balances     Balances
	Account      Kind      // the customer sub-balance to correct
	Amount       money.Fen // signed: > 0 credits the customer, < 0 debits
	Memo         string    // why; required
	AdjustmentID string
}

// Adjust corrects one customer sub-balance against the adjustments
// account. It needs a memo ([CodeMemoRequired]), a non-zero amount within
// ±[MaxAmount] ([CodeAmountInvalid]), and never makes the sub-balance
// negative ([CodeInsufficientBalance], DESIGN §5). It cannot move money
// between sub-balances, so it cannot turn refund credit into cash (3.1).
func Adjust(p AdjustParams) (Txn, error) {
	const op = errs.Op("wallet.Adjust")
	if strings.TrimSpace(p.Memo) == "" {
		return Txn{}, errs.E(errs.Invalid, CodeMemoRequired, "an adjustment needs a reason", op,
			errs.FieldError{Field: "memo", Rule: "required"})
	}
	if !p.Account.IsCustomer() {
		return Txn{}, errs.E(errs.Invalid, CodeAccountInvalid, "only a customer sub-balance can be adjusted", op,
			errs.FieldError{Field: "account", Rule: "one_of", Params: map[string]any{"values": CustomerKinds}})
	}
	if p.Amount == 0 || p.Amount > MaxAmount || p.Amount < -MaxAmount {
		return Txn{}, checkAmount(op, 0)
	}
	if cur := p.Balances.Get(p.Account); p.Amount < 0 && -p.Amount > cur {
		return Txn{}, insufficient(op, -p.Amount, cur, p.Account, "§5")
	}
	return Txn{Reason: ReasonAdjust, Memo: p.Memo, Links: map[string]string{LinkAdjustment: p.AdjustmentID}, Postings: []Posting{
		{Company(Adjustments), -p.Amount},
		{Customer(p.Balances.Customer, p.Account), p.Amount},
	}}, nil
}

// SpendReverse returns the balance part of an order that was never
// completed (a split payment whose gateway part did not arrive before the
// order expired or was cancelled) to exactly the sub-balances it was spent
// from (DESIGN §3): s is the [Spent] recorded with that payment.
func SpendReverse(customer string, s Spent, orderID string) (Txn, error) {
	const op = errs.Op("wallet.SpendReverse")
	if s.FromCash < 0 || s.FromRefundCredit < 0 {
		return Txn{}, errs.E(errs.Internal, CodeAmountInvalid, "negative spent part", op)
	}
	if err := checkAmount(op, s.Total()); err != nil {
		return Txn{}, err
	}
	ps := []Posting{{Company(Revenue), -s.Total()}}
	ps = posts(ps, Customer(customer, RefundCredit), s.FromRefundCredit)
	ps = posts(ps, Customer(customer, Cash), s.FromCash)
	return Txn{Reason: ReasonSpendReverse, Links: map[string]string{LinkOrder: orderID}, Postings: ps}, nil
}

// WithdrawReverse returns a withdrawal that finance rejected, or the
// customer cancelled before payment, from withdrawals_payable to the
// customer's cash, where it came from.
func WithdrawReverse(customer string, amount money.Fen, withdrawalID string) (Txn, error) {
	const op = errs.Op("wallet.WithdrawReverse")
	if err := checkAmount(op, amount); err != nil {
		return Txn{}, err
	}
	return Txn{Reason: ReasonWithdrawReverse, Links: map[string]string{LinkWithdrawal: withdrawalID}, Postings: []Posting{
		{Company(WithdrawalsPayable), -amount},
		{Customer(customer, Cash), amount},
	}}, nil
}

// DowngradeCredit credits the unused difference of a downgrade to the
// customer's refund credit: spendable on anything, never withdrawable
// (clause 3.1), like every refund taken as balance.
func DowngradeCredit(customer string, amount money.Fen, serviceID string) (Txn, error) {
	const op = errs.Op("wallet.DowngradeCredit")
	if err := checkAmount(op, amount); err != nil {
		return Txn{}, err
	}
	return Txn{Reason: ReasonDowngradeCredit, Links: map[string]string{LinkService: serviceID}, Postings: []Posting{
		{Company(Revenue), -amount},
		{Customer(customer, RefundCredit), amount},
	}}, nil
}

// Capture records an order (or the gateway part of a split) paid through
// a gateway: the provider's clearing account → revenue. The customer's
// sub-balances do not move; a refund of it goes back to the route or, by
// the customer's choice, to refund credit.
func Capture(provider string, amount money.Fen, paymentID, orderID string) (Txn, error) {
	const op = errs.Op("wallet.Capture")
	if err := checkAmount(op, amount); err != nil {
		return Txn{}, err
	}
	return Txn{Reason: ReasonCapture, Links: map[string]string{LinkPayment: paymentID, LinkOrder: orderID}, Postings: []Posting{
		{Clearing(provider), -amount},
		{Company(Revenue), amount},
	}}, nil
}
