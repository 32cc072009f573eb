package wallet

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

// Violation is one broken ledger invariant, for `yuanxu admin verify` and
// the store's conformance suite.
type Violation struct {
	Rule    string  // "txn_invalid", "balance_mismatch", "negative_balance", "overflow"
	Clause  string  // where the rule comes from
	TxnID   string  // for txn_invalid
	Account Account // for balance rules
	Detail  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s) txn=%q account=%s: %s", v.Rule, v.Clause, v.TxnID, v.Account, v.Detail)
}

// CheckInvariants verifies a whole ledger (DESIGN §5): every transaction
// is valid ([Txn.Validate]: sums to zero, reason shapes, paired returns of
// frozen money, refund credit towards a payout only at closure); each
// stored balance equals the sum of its postings, and an account with
// postings but no stored balance counts as stored 0; no account that must
// not ([Account.NonNegative]) is negative, stored or computed. It checks
// final balances, not the order of transactions (commit order is not
// recorded). It returns nil for a sound ledger; violations are sorted by
// rule, then transaction and account, for stable reports.
func CheckInvariants(txns []Txn, balances map[Account]money.Fen) []Violation {
	var vs []Violation
	sums := map[Account]money.Fen{}
	overflowed := map[Account]bool{}
	for _, t := range txns {
		if err := t.Validate(); err != nil {
			msg := err.Error()
			var e *errs.Error
			if errors.As(err, &e) {
				msg = e.Msg
			}
			vs = append(vs, Violation{Rule: "txn_invalid", Clause: "§5", TxnID: t.ID, Detail: msg})
		}
		for _, p := range t.Postings {
			s, err := sums[p.Account].Add(p.Amount)
			if err != nil {
				overflowed[p.Account] = true
				continue
			}
			sums[p.Account] = s
		}
	}
	accounts := make([]Account, 0, len(sums)+len(balances))
	for a := range sums {
		accounts = append(accounts, a)
	}
	for a := range balances {
		if _, ok := sums[a]; !ok {
			accounts = append(accounts, a)
		}
	}
	for _, a := range accounts {
		if overflowed[a] {
			vs = append(vs, Violation{Rule: "overflow", Clause: "§5", Account: a, Detail: "sum of postings leaves int64"})
			continue
		}
		want, stored := sums[a], balances[a]
		if want != stored {
			vs = append(vs, Violation{Rule: "balance_mismatch", Clause: "§5", Account: a,
				Detail: fmt.Sprintf("stored %s, postings sum to %s", stored.Yuan(), want.Yuan())})
		}
		if a.NonNegative() && (want < 0 || stored < 0) {
			vs = append(vs, Violation{Rule: "negative_balance", Clause: "§5", Account: a,
				Detail: fmt.Sprintf("stored %s, postings sum to %s", stored.Yuan(), want.Yuan())})
		}
	}
	slices.SortFunc(vs, func(x, y Violation) int {
		return cmp.Or(cmp.Compare(x.Rule, y.Rule), cmp.Compare(x.TxnID, y.TxnID), cmp.Compare(x.Account.String(), y.Account.String()))
	})
	return vs
}

// Sums returns each account's balance as the sum of txns' postings — what
// a store's roll-up must equal. It reports [money.CodeOverflow] if a sum
// leaves int64.
func Sums(txns []Txn) (map[Account]money.Fen, error) {
	out := map[Account]money.Fen{}
	for _, t := range txns {
		for _, p := range t.Postings {
			s, err := out[p.Account].Add(p.Amount)
			if err != nil {
				return nil, err
			}
			out[p.Account] = s
		}
	}
	return out, nil
}
