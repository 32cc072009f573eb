package wallet

import (
	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

// Balances is one customer's four sub-balances, as the store read them (or
// as [Apply] computed them). Builders read it to decide what to move;
// they never change it.
type Balances struct {
	Customer           string
	Cash               money.Fen
	RefundCredit       money.Fen
	FrozenCash         money.Fen
	FrozenRefundCredit money.Fen
}

// Get returns the sub-balance of kind k (0 for a company kind).
func (b Balances) Get(k Kind) money.Fen {
	switch k {
	case Cash:
		return b.Cash
	case RefundCredit:
		return b.RefundCredit
	case FrozenCash:
		return b.FrozenCash
	case FrozenRefundCredit:
		return b.FrozenRefundCredit
	}
	return 0
}

func (b *Balances) set(k Kind, v money.Fen) {
	switch k {
	case Cash:
		b.Cash = v
	case RefundCredit:
		b.RefundCredit = v
	case FrozenCash:
		b.FrozenCash = v
	case FrozenRefundCredit:
		b.FrozenRefundCredit = v
	}
}

// Spendable is refund credit plus cash: what [Spend] can take. Frozen
// money is not spendable (4.3). It saturates at [money.MaxFen].
func (b Balances) Spendable() money.Fen {
	s, err := b.RefundCredit.Add(b.Cash)
	if err != nil {
		return money.MaxFen
	}
	return s
}

// Apply returns b after t's postings on b.Customer's sub-balances
// (postings on other accounts are ignored). It refuses an invalid t
// ([Txn.Validate]) and any result that would make a sub-balance negative
// (DESIGN §5), with [CodeInsufficientBalance] (Kind Conflict; params
// account, balance_fen, amount_fen); b is then unchanged. The store
// applies the same rule as a conditional update.
func Apply(b Balances, t Txn) (Balances, error) {
	if err := t.Validate(); err != nil {
		return b, err
	}
	out := b
	for _, p := range t.Postings {
		if !p.Account.Kind.IsCustomer() || p.Account.Ref != b.Customer {
			continue
		}
		cur := out.Get(p.Account.Kind)
		next, err := cur.Add(p.Amount)
		if err != nil {
			return b, err
		}
		if next < 0 {
			return b, errs.E(errs.Conflict, CodeInsufficientBalance, "balance would go negative", errs.Op("wallet.Apply"),
				map[string]any{"account": p.Account.String(), "balance_fen": int64(cur), "amount_fen": int64(p.Amount), "clause": "§5"})
		}
		out.set(p.Account.Kind, next)
	}
	return out, nil
}

// Spent records where a balance payment came from, so that its refund can
// return each part to the same sub-balance (DESIGN §3). The order stores
// it with the payment.
type Spent struct {
	FromRefundCredit money.Fen
	FromCash         money.Fen
}

// Total is the whole balance payment.
func (s Spent) Total() money.Fen { return s.FromRefundCredit + s.FromCash }

// Sub returns what remains of s after r was refunded, or
// [CodeRefundExceedsSpent] if r takes more from either part than s holds.
func (s Spent) Sub(r Spent) (Spent, error) {
	out := Spent{FromRefundCredit: s.FromRefundCredit - r.FromRefundCredit, FromCash: s.FromCash - r.FromCash}
	if r.FromRefundCredit < 0 || r.FromCash < 0 || out.FromRefundCredit < 0 || out.FromCash < 0 {
		return s, errs.E(errs.Conflict, CodeRefundExceedsSpent, "refund exceeds the balance payment", errs.Op("wallet.Spent.Sub"))
	}
	return out, nil
}
