package wallet

import (
	"fmt"

	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

// Reason is the machine code of why money moved; each reason has a fixed
// shape (see [Txn.Validate]). Stored; the list is append-only.
type Reason string

const (
	ReasonTopUp           Reason = "top_up"            // gateway → cash
	ReasonSpend           Reason = "spend"             // refund_credit, cash → revenue
	ReasonRefundToBalance Reason = "refund_to_balance" // revenue → the sub-balances a balance payment came from (DESIGN §3)
	ReasonRefundAsCredit  Reason = "refund_as_credit"  // revenue → refund_credit (3.1, 6.2: the customer chose balance)
	ReasonRefundToRoute   Reason = "refund_to_route"   // revenue → refunds_payable (6.2: the customer chose the original route)
	ReasonFreeze          Reason = "freeze"            // cash, refund_credit → frozen_* (3.2.4, 4.3)
	ReasonUnfreeze        Reason = "unfreeze"          // frozen_* → where it came from
	ReasonWithdraw        Reason = "withdraw"          // cash → withdrawals_payable (3.1: cash only)
	ReasonAccountClosure  Reason = "account_closure"   // everything → payables (DESIGN §3 "when an account ends")
	ReasonPayout          Reason = "payout"            // payables → gateway clearing (money leaves)
	ReasonAdjust          Reason = "adjust"            // manual correction against adjustments
	ReasonSpendReverse    Reason = "spend_reverse"     // revenue → the sub-balances the balance part of an order never completed came from
	ReasonWithdrawReverse Reason = "withdraw_reverse"  // withdrawals_payable → cash: a withdrawal rejected or cancelled
	ReasonDowngradeCredit Reason = "downgrade_credit"  // revenue → refund_credit: the unused difference of a downgrade
	ReasonCapture         Reason = "capture"           // gateway clearing → revenue: an order (part) paid through a gateway
	// Resellers (issue 11, clause 2.1, SEED A22).
	ReasonCommission         Reason = "commission"          // revenue → reseller_commission: accrued when the customer pays
	ReasonCommissionClawback Reason = "commission_clawback" // reseller_commission, then the reseller's cash → revenue: the order was refunded
	ReasonCommissionSettle   Reason = "commission_settle"   // reseller_commission → the reseller's cash: a statement settled
)

// Link keys of [Txn.Links].
const (
	LinkOrder      = "order"
	LinkRefund     = "refund"
	LinkPayment    = "payment"
	LinkWithdrawal = "withdrawal"
	LinkCase       = "case"       // the compliance case of a freeze
	LinkAdjustment = "adjustment" // the adjustment request (re-authenticated, audited)
	LinkCustomer   = "customer"   // the account that ended (account closure)
	LinkService    = "service"    // the service of a plan change
	LinkSettlement = "settlement" // a reseller's commission statement
)

// MaxAmount bounds every posting and builder amount: ¥10,000,000,000. Sums
// of up to 900,000 such postings cannot overflow int64, and anything larger
// is a typo or an attack, not a sale.
const MaxAmount money.Fen = 1_000_000_000_000

// Posting is one line of a transaction: Amount < 0 debits Account, > 0
// credits it (package doc, "Sign convention"). Zero postings are invalid.
type Posting struct {
	Account Account
	Amount  money.Fen
}

// Txn is one balanced movement of money. The store assigns ID (a UUIDv7)
// and the time; builders leave ID empty. Links name what caused it
// ("order" → order id, "refund" → refund id); Memo is the human reason,
// required for [ReasonAdjust].
type Txn struct {
	ID       string
	Reason   Reason
	Memo     string
	Links    map[string]string
	Postings []Posting
}

// shape is what a reason may touch: the account kinds it may debit and
// credit, the links it needs, and, for movements that must return money
// to where it came from, which debited kind must be matched by which
// credited kind, amount for amount.
type shape struct {
	debit, credit []Kind
	links         []string
	pairs         map[Kind]Kind // debited kind → credited kind
	adjust        bool          // exactly two postings, one on adjustments
}

var shapes = map[Reason]shape{
	ReasonTopUp:           {debit: []Kind{GatewayClearing}, credit: []Kind{Cash}, links: []string{LinkPayment}},
	ReasonSpend:           {debit: []Kind{RefundCredit, Cash}, credit: []Kind{Revenue}, links: []string{LinkOrder}},
	ReasonRefundToBalance: {debit: []Kind{Revenue}, credit: []Kind{RefundCredit, Cash}, links: []string{LinkRefund}},
	ReasonRefundAsCredit:  {debit: []Kind{Revenue}, credit: []Kind{RefundCredit}, links: []string{LinkRefund}},
	ReasonRefundToRoute:   {debit: []Kind{Revenue}, credit: []Kind{RefundsPayable}, links: []string{LinkRefund}},
	ReasonFreeze: {debit: []Kind{Cash, RefundCredit}, credit: []Kind{FrozenCash, FrozenRefundCredit},
		pairs: map[Kind]Kind{Cash: FrozenCash, RefundCredit: FrozenRefundCredit}},
	ReasonUnfreeze: {debit: []Kind{FrozenCash, FrozenRefundCredit}, credit: []Kind{Cash, RefundCredit},
		pairs: map[Kind]Kind{FrozenCash: Cash, FrozenRefundCredit: RefundCredit}},
	ReasonWithdraw: {debit: []Kind{Cash}, credit: []Kind{WithdrawalsPayable}, links: []string{LinkWithdrawal}},
	ReasonAccountClosure: {debit: CustomerKinds, credit: []Kind{WithdrawalsPayable, RefundsPayable},
		pairs: map[Kind]Kind{Cash: WithdrawalsPayable, FrozenCash: WithdrawalsPayable, RefundCredit: RefundsPayable, FrozenRefundCredit: RefundsPayable}},
	ReasonPayout:             {debit: []Kind{WithdrawalsPayable, RefundsPayable}, credit: []Kind{GatewayClearing}},
	ReasonSpendReverse:       {debit: []Kind{Revenue}, credit: []Kind{RefundCredit, Cash}, links: []string{LinkOrder}},
	ReasonWithdrawReverse:    {debit: []Kind{WithdrawalsPayable}, credit: []Kind{Cash}, links: []string{LinkWithdrawal}},
	ReasonDowngradeCredit:    {debit: []Kind{Revenue}, credit: []Kind{RefundCredit}, links: []string{LinkService}},
	ReasonCapture:            {debit: []Kind{GatewayClearing}, credit: []Kind{Revenue}, links: []string{LinkPayment, LinkOrder}},
	ReasonCommission:         {debit: []Kind{Revenue}, credit: []Kind{ResellerCommission}, links: []string{LinkOrder}},
	ReasonCommissionClawback: {debit: []Kind{ResellerCommission, Cash}, credit: []Kind{Revenue}, links: []string{LinkOrder}},
	ReasonCommissionSettle:   {debit: []Kind{ResellerCommission}, credit: []Kind{Cash}, links: []string{LinkSettlement}},
	ReasonAdjust: {debit: append([]Kind{Adjustments}, CustomerKinds...), credit: append([]Kind{Adjustments}, CustomerKinds...),
		links: []string{LinkAdjustment}, adjust: true},
}

func has(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// Validate checks t against the ledger rules (DESIGN §1.3, §5): a known
// reason; at least two postings; each on a valid account, non-zero and
// within ±[MaxAmount]; postings summing to zero; only the account kinds
// the reason may debit and credit (this is what keeps refund credit from
// ever reaching a payout except at account closure, clause 3.1 and DESIGN
// §3); paired kinds matched amount for amount (frozen money returns to
// where it came from, 3.2.4, 4.3); customer postings of one customer only;
// the links the reason needs; a memo on an adjustment. The error is an
// *errs.Error Kind Internal with [CodeTxnInvalid]: builders never produce
// an invalid Txn.
func (t Txn) Validate() error {
	bad := func(format string, a ...any) error {
		return errs.E(errs.Internal, CodeTxnInvalid, fmt.Sprintf(format, a...), errs.Op("wallet.Txn.Validate"),
			map[string]any{"txn": t.ID, "reason": string(t.Reason), "clause": "§5"})
	}
	sh, ok := shapes[t.Reason]
	if !ok {
		return bad("unknown reason %q", t.Reason)
	}
	if len(t.Postings) < 2 {
		return bad("%d postings; a transaction has at least two", len(t.Postings))
	}
	var sum money.Fen
	customer := ""
	need := map[Kind]money.Fen{} // paired credit kind → debits that must reach it
	got := map[Kind]money.Fen{}
	adjustments := 0
	for _, p := range t.Postings {
		if err := p.Account.Validate(); err != nil {
			return bad("account %q: invalid", p.Account)
		}
		if p.Amount == 0 {
			return bad("zero posting on %s", p.Account)
		}
		if p.Amount > MaxAmount || p.Amount < -MaxAmount {
			return bad("posting %d on %s beyond ±%d", p.Amount, p.Account, MaxAmount)
		}
		sum += p.Amount // |each| ≤ MaxAmount: no overflow below 9e6 postings
		if p.Account.Kind.IsCustomer() {
			if customer != "" && customer != p.Account.Ref {
				return bad("postings for two customers (%s, %s)", customer, p.Account.Ref)
			}
			customer = p.Account.Ref
		}
		if p.Account.Kind == Adjustments {
			adjustments++
		}
		if p.Amount < 0 {
			if !has(sh.debit, p.Account.Kind) {
				return bad("%s may not debit %s", t.Reason, p.Account.Kind)
			}
			if to, ok := sh.pairs[p.Account.Kind]; ok {
				need[to] -= p.Amount
			}
		} else {
			if !has(sh.credit, p.Account.Kind) {
				return bad("%s may not credit %s", t.Reason, p.Account.Kind)
			}
			got[p.Account.Kind] += p.Amount
		}
	}
	if sum != 0 {
		return bad("postings sum to %d, not zero", sum)
	}
	if t.Reason == ReasonCommissionClawback || t.Reason == ReasonCommissionSettle {
		// A reseller's commission moves only to and from its own cash.
		for _, p := range t.Postings {
			if p.Account.Kind == ResellerCommission && customer != "" && p.Account.Ref != customer {
				return bad("%s moves %s's commission against %s's cash", t.Reason, p.Account.Ref, customer)
			}
		}
	}
	if sh.pairs != nil {
		for _, to := range sh.pairs {
			if need[to] != got[to] {
				return bad("%s credits %d to %s but debits %d from where it belongs", t.Reason, got[to], to, need[to])
			}
		}
	}
	if sh.adjust && (len(t.Postings) != 2 || adjustments != 1) {
		return bad("an adjustment is one customer posting against adjustments")
	}
	for _, l := range sh.links {
		if t.Links[l] == "" {
			return bad("%s needs link %q", t.Reason, l)
		}
	}
	if t.Reason == ReasonAdjust && t.Memo == "" {
		return bad("an adjustment needs a memo")
	}
	return nil
}
