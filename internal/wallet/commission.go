package wallet

import (
	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

// Commission is a reseller's commission on one of its customers' orders
// (issue 11, clause 2.1): credited to reseller_commission:<reseller> when
// the customer pays, out of revenue. The company stays the seller and the
// customer's counterparty (SEED A22); the commission is what it owes the
// reseller until a statement settles it into the reseller's cash.
func Commission(reseller string, amount money.Fen, orderID string) (Txn, error) {
	const op = errs.Op("wallet.Commission")
	if err := checkAmount(op, amount); err != nil {
		return Txn{}, err
	}
	return Txn{Reason: ReasonCommission, Links: map[string]string{LinkOrder: orderID}, Postings: []Posting{
		{Company(Revenue), -amount},
		{Account{Kind: ResellerCommission, Ref: reseller}, amount},
	}}, nil
}

// ClawbackParams describes taking back the commission of a refunded order.
type ClawbackParams struct {
	Reseller string
	Amount   money.Fen // the commission to take back
	// Unsettled is the reseller's reseller_commission balance; Cash its
	// cash balance. The clawback takes from the unsettled commission
	// first, then from cash (a settled commission), and never more than
	// there is: no balance goes negative (DESIGN §5).
	Unsettled, Cash   money.Fen
	OrderID, RefundID string
}

// CommissionClawback takes back a refunded order's commission (SEED A22):
// from the reseller's unsettled commission first, then from its cash. It
// returns the transaction and the shortfall, the part neither could cover,
// which the caller records for the reseller's next statement. A zero
// transaction (no postings) with the whole amount short is returned when
// the reseller has nothing to take.
func CommissionClawback(p ClawbackParams) (Txn, money.Fen, error) {
	const op = errs.Op("wallet.CommissionClawback")
	if err := checkAmount(op, p.Amount); err != nil {
		return Txn{}, 0, err
	}
	fromCommission := min(p.Amount, max(p.Unsettled, 0))
	fromCash := min(p.Amount-fromCommission, max(p.Cash, 0))
	short := p.Amount - fromCommission - fromCash
	if fromCommission+fromCash == 0 {
		return Txn{}, short, nil
	}
	links := map[string]string{LinkOrder: p.OrderID}
	if p.RefundID != "" {
		links[LinkRefund] = p.RefundID
	}
	var ps []Posting
	ps = posts(ps, Account{Kind: ResellerCommission, Ref: p.Reseller}, -fromCommission)
	ps = posts(ps, Customer(p.Reseller, Cash), -fromCash)
	ps = append(ps, Posting{Company(Revenue), fromCommission + fromCash})
	return Txn{Reason: ReasonCommissionClawback, Links: links, Postings: ps}, short, nil
}

// CommissionSettle pays a statement: amount moves from the reseller's
// commission to its cash, withdrawable like any cash (clause 4.3 rules).
func CommissionSettle(reseller string, amount, unsettled money.Fen, settlementID string) (Txn, error) {
	const op = errs.Op("wallet.CommissionSettle")
	if err := checkAmount(op, amount); err != nil {
		return Txn{}, err
	}
	if amount > unsettled {
		return Txn{}, insufficient(op, amount, unsettled, ResellerCommission, "2.1")
	}
	return Txn{Reason: ReasonCommissionSettle, Links: map[string]string{LinkSettlement: settlementID}, Postings: []Posting{
		{Account{Kind: ResellerCommission, Ref: reseller}, -amount},
		{Customer(reseller, Cash), amount},
	}}, nil
}
