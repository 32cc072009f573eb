package wallet_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/money"
	"yuanxu/internal/wallet"
)

const cust = "c1"

func mustApply(t testing.TB, b wallet.Balances, tx wallet.Txn, err error) wallet.Balances {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	nb, err := wallet.Apply(b, tx)
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

func topUp(t testing.TB, b wallet.Balances, amount money.Fen) wallet.Balances {
	t.Helper()
	tx, err := wallet.TopUp(wallet.TopUpParams{Customer: b.Customer, Provider: "alipay", Amount: amount, PaymentID: "p"})
	return mustApply(t, b, tx, err)
}

func TestSpendTakesRefundCreditFirst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cash, credit money.Fen
		amount       money.Fen
		want         wallet.Spent
		code         string
	}{
		{"credit covers", 1000, 500, 300, wallet.Spent{FromRefundCredit: 300}, ""},
		{"credit then cash", 1000, 500, 800, wallet.Spent{FromRefundCredit: 500, FromCash: 300}, ""},
		{"cash only", 1000, 0, 1000, wallet.Spent{FromCash: 1000}, ""},
		{"exactly all", 1000, 500, 1500, wallet.Spent{FromRefundCredit: 500, FromCash: 1000}, ""},
		{"insufficient", 1000, 500, 1501, wallet.Spent{}, wallet.CodeInsufficientBalance},
		{"zero", 1000, 0, 0, wallet.Spent{}, wallet.CodeAmountInvalid},
		{"negative", 1000, 0, -1, wallet.Spent{}, wallet.CodeAmountInvalid},
		{"absurd", 1000, 0, wallet.MaxAmount + 1, wallet.Spent{}, wallet.CodeAmountInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := wallet.Balances{Customer: cust, Cash: tt.cash, RefundCredit: tt.credit, FrozenCash: 9999}
			tx, s, err := wallet.Spend(b, tt.amount, "o1")
			if errs.CodeOf(err) != tt.code {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			if err != nil {
				return
			}
			if s != tt.want {
				t.Fatalf("spent = %+v, want %+v", s, tt.want)
			}
			nb := mustApply(t, b, tx, nil)
			if nb.Cash != tt.cash-s.FromCash || nb.RefundCredit != tt.credit-s.FromRefundCredit || nb.FrozenCash != 9999 {
				t.Fatalf("balances after = %+v", nb)
			}
		})
	}
}

func TestTwentySpendsOfTenFromHundredExactlyTenSucceed(t *testing.T) {
	t.Parallel()
	b := topUp(t, wallet.Balances{Customer: cust}, 10000)
	ok := 0
	for range 20 {
		tx, _, err := wallet.Spend(b, 1000, "o")
		if err != nil {
			if errs.CodeOf(err) != wallet.CodeInsufficientBalance || errs.KindOf(err) != errs.Conflict {
				t.Fatalf("unexpected error %v", err)
			}
			continue
		}
		b = mustApply(t, b, tx, nil)
		ok++
	}
	if ok != 10 || b.Cash != 0 {
		t.Fatalf("%d spends succeeded, cash %d; want 10 and 0", ok, b.Cash)
	}
}

func TestApplyRefusesNegative(t *testing.T) {
	t.Parallel()
	b := wallet.Balances{Customer: cust, Cash: 1000}
	tx, _, err := wallet.Spend(b, 1000, "o")
	if err != nil {
		t.Fatal(err)
	}
	b = mustApply(t, b, tx, nil)
	// The same transaction again: a stale read, as two concurrent checkouts.
	if _, err := wallet.Apply(b, tx); errs.CodeOf(err) != wallet.CodeInsufficientBalance {
		t.Fatalf("second apply: %v", err)
	}
}

func TestRefundToBalanceRestoresSubBalances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spent   wallet.Spent
		refunds []money.Fen
		want    []wallet.Spent
	}{
		{"full", wallet.Spent{FromRefundCredit: 500, FromCash: 300}, []money.Fen{800}, []wallet.Spent{{FromRefundCredit: 500, FromCash: 300}}},
		{"half", wallet.Spent{FromRefundCredit: 500, FromCash: 300}, []money.Fen{400, 400}, []wallet.Spent{{FromRefundCredit: 250, FromCash: 150}, {FromRefundCredit: 250, FromCash: 150}}},
		{"odd fen to cash", wallet.Spent{FromRefundCredit: 1, FromCash: 1}, []money.Fen{1, 1}, []wallet.Spent{{FromCash: 1}, {FromRefundCredit: 1}}},
		{"thirds", wallet.Spent{FromRefundCredit: 100, FromCash: 200}, []money.Fen{1, 1, 1, 297}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := wallet.Balances{Customer: cust, Cash: 1000, RefundCredit: 500}
			tx, s, err := wallet.Spend(start, tt.spent.Total(), "o1")
			if err != nil {
				t.Fatal(err)
			}
			if s != tt.spent && tt.name != "thirds" && tt.name != "odd fen to cash" {
				t.Fatalf("spent %+v", s)
			}
			// Use the table's split so each case controls the parts.
			s = tt.spent
			b := start
			b.Cash -= s.FromCash
			b.RefundCredit -= s.FromRefundCredit
			_ = tx
			remaining := s
			for i, amt := range tt.refunds {
				rtx, back, err := wallet.RefundToBalance(wallet.RefundToBalanceParams{Customer: cust, Remaining: remaining, Amount: amt, RefundID: "r", OrderID: "o1"})
				if err != nil {
					t.Fatal(err)
				}
				if tt.want != nil && back != tt.want[i] {
					t.Fatalf("refund %d returned %+v, want %+v", i, back, tt.want[i])
				}
				b = mustApply(t, b, rtx, nil)
				if remaining, err = remaining.Sub(back); err != nil {
					t.Fatal(err)
				}
			}
			if b != start {
				t.Fatalf("after refunding everything: %+v, want %+v", b, start)
			}
			_, _, err = wallet.RefundToBalance(wallet.RefundToBalanceParams{Customer: cust, Remaining: remaining, Amount: 1, RefundID: "r"})
			if errs.CodeOf(err) != wallet.CodeRefundExceedsSpent {
				t.Fatalf("refund beyond payment: %v", err)
			}
		})
	}
}

func TestWithdrawCashOnly(t *testing.T) {
	t.Parallel()
	b := wallet.Balances{Customer: cust, Cash: 1000, RefundCredit: 500, FrozenCash: 700}
	tests := []struct {
		amount money.Fen
		code   string
	}{
		{1000, ""},
		{1001, wallet.CodeRefundCreditNotWithdrawable},
		{1500, wallet.CodeRefundCreditNotWithdrawable},
		{1501, wallet.CodeInsufficientBalance},
		{0, wallet.CodeAmountInvalid},
	}
	for _, tt := range tests {
		tx, err := wallet.Withdraw(b, tt.amount, "w1")
		if errs.CodeOf(err) != tt.code {
			t.Fatalf("Withdraw(%d) = %v, want %q", tt.amount, err, tt.code)
		}
		if err != nil {
			var e *errs.Error
			if errors.As(err, &e); e.Params["clause"] != "3.1" && tt.code != wallet.CodeAmountInvalid {
				t.Errorf("Withdraw(%d): params %v lack clause 3.1", tt.amount, e.Params)
			}
			continue
		}
		nb := mustApply(t, b, tx, nil)
		if nb.Cash != 0 || nb.RefundCredit != 500 {
			t.Fatalf("after withdrawal %+v", nb)
		}
	}
}

func TestFreezeUnfreezeReturnsWhereItCameFrom(t *testing.T) {
	t.Parallel()
	start := wallet.Balances{Customer: cust, Cash: 1000, RefundCredit: 300}
	tx, err := wallet.Freeze(start, "case1")
	frozen := mustApply(t, start, tx, err)
	if frozen != (wallet.Balances{Customer: cust, FrozenCash: 1000, FrozenRefundCredit: 300}) {
		t.Fatalf("frozen %+v", frozen)
	}
	if _, _, err := wallet.Spend(frozen, 1, "o"); errs.CodeOf(err) != wallet.CodeInsufficientBalance {
		t.Fatalf("spend while frozen: %v", err)
	}
	if _, err := wallet.Freeze(frozen, "case1"); !errors.Is(err, wallet.ErrNothingToMove) {
		t.Fatalf("freeze twice: %v", err)
	}
	tx, err = wallet.Unfreeze(frozen, "case1")
	if back := mustApply(t, frozen, tx, err); back != start {
		t.Fatalf("unfrozen %+v, want %+v", back, start)
	}
	// A freeze that swaps the pairs is refused by Validate.
	swapped := wallet.Txn{Reason: wallet.ReasonFreeze, Postings: []wallet.Posting{
		{Account: wallet.Customer(cust, wallet.Cash), Amount: -100},
		{Account: wallet.Customer(cust, wallet.FrozenRefundCredit), Amount: 100},
	}}
	if err := swapped.Validate(); errs.CodeOf(err) != wallet.CodeTxnInvalid {
		t.Fatalf("swapped freeze: %v", err)
	}
}

func TestCloseAccountPaysOutEverything(t *testing.T) {
	t.Parallel()
	b := wallet.Balances{Customer: cust, Cash: 100, RefundCredit: 200, FrozenCash: 300, FrozenRefundCredit: 400}
	tx, err := wallet.CloseAccount(b)
	if got := mustApply(t, b, tx, err); got != (wallet.Balances{Customer: cust}) {
		t.Fatalf("after closure %+v", got)
	}
	sums, _ := wallet.Sums([]wallet.Txn{tx})
	if sums[wallet.Company(wallet.WithdrawalsPayable)] != 400 || sums[wallet.Company(wallet.RefundsPayable)] != 600 {
		t.Fatalf("payables %v", sums)
	}
	if _, err := wallet.CloseAccount(wallet.Balances{Customer: cust}); !errors.Is(err, wallet.ErrNothingToMove) {
		t.Fatalf("empty closure: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	c := func(k wallet.Kind) wallet.Account { return wallet.Customer(cust, k) }
	rev := wallet.Company(wallet.Revenue)
	tests := []struct {
		name string
		tx   wallet.Txn
	}{
		{"unknown reason", wallet.Txn{Reason: "gift", Postings: []wallet.Posting{{c(wallet.Cash), 1}, {rev, -1}}}},
		{"one posting", wallet.Txn{Reason: wallet.ReasonSpend, Links: map[string]string{"order": "o"}, Postings: []wallet.Posting{{rev, 0}}}},
		{"unbalanced", wallet.Txn{Reason: wallet.ReasonSpend, Links: map[string]string{"order": "o"}, Postings: []wallet.Posting{{c(wallet.Cash), -2}, {rev, 1}}}},
		{"zero posting", wallet.Txn{Reason: wallet.ReasonSpend, Links: map[string]string{"order": "o"}, Postings: []wallet.Posting{{c(wallet.Cash), -1}, {rev, 1}, {c(wallet.RefundCredit), 0}}}},
		{"beyond max", wallet.Txn{Reason: wallet.ReasonSpend, Links: map[string]string{"order": "o"}, Postings: []wallet.Posting{{c(wallet.Cash), -wallet.MaxAmount - 1}, {rev, wallet.MaxAmount + 1}}}},
		{"missing link", wallet.Txn{Reason: wallet.ReasonSpend, Postings: []wallet.Posting{{c(wallet.Cash), -1}, {rev, 1}}}},
		{"refund credit withdrawn", wallet.Txn{Reason: wallet.ReasonWithdraw, Links: map[string]string{"withdrawal": "w"}, Postings: []wallet.Posting{{c(wallet.RefundCredit), -1}, {wallet.Company(wallet.WithdrawalsPayable), 1}}}},
		{"refund credit to cash by adjust", wallet.Txn{Reason: wallet.ReasonAdjust, Memo: "x", Links: map[string]string{"adjustment": "a"}, Postings: []wallet.Posting{{c(wallet.RefundCredit), -1}, {c(wallet.Cash), 1}}}},
		{"adjust without memo", wallet.Txn{Reason: wallet.ReasonAdjust, Links: map[string]string{"adjustment": "a"}, Postings: []wallet.Posting{{wallet.Company(wallet.Adjustments), -1}, {c(wallet.Cash), 1}}}},
		{"two customers", wallet.Txn{Reason: wallet.ReasonSpend, Links: map[string]string{"order": "o"}, Postings: []wallet.Posting{{c(wallet.Cash), -1}, {wallet.Customer("c2", wallet.Cash), -1}, {rev, 2}}}},
		{"bad account", wallet.Txn{Reason: wallet.ReasonSpend, Links: map[string]string{"order": "o"}, Postings: []wallet.Posting{{wallet.Account{Kind: wallet.Cash}, -1}, {rev, 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.tx.Validate()
			if errs.CodeOf(err) != wallet.CodeTxnInvalid || errs.KindOf(err) != errs.Internal {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}

func TestAdjust(t *testing.T) {
	t.Parallel()
	b := wallet.Balances{Customer: cust, Cash: 100}
	tests := []struct {
		name   string
		p      wallet.AdjustParams
		code   string
		result money.Fen
	}{
		{"credit", wallet.AdjustParams{Balances: b, Account: wallet.Cash, Amount: 50, Memo: "goodwill", AdjustmentID: "a"}, "", 150},
		{"debit", wallet.AdjustParams{Balances: b, Account: wallet.Cash, Amount: -100, Memo: "duplicate top-up", AdjustmentID: "a"}, "", 0},
		{"overdraw", wallet.AdjustParams{Balances: b, Account: wallet.Cash, Amount: -101, Memo: "x", AdjustmentID: "a"}, wallet.CodeInsufficientBalance, 0},
		{"no memo", wallet.AdjustParams{Balances: b, Account: wallet.Cash, Amount: 1, Memo: "  ", AdjustmentID: "a"}, wallet.CodeMemoRequired, 0},
		{"company", wallet.AdjustParams{Balances: b, Account: wallet.Revenue, Amount: 1, Memo: "x", AdjustmentID: "a"}, wallet.CodeAccountInvalid, 0},
		{"min", wallet.AdjustParams{Balances: b, Account: wallet.Cash, Amount: money.MinFen, Memo: "x", AdjustmentID: "a"}, wallet.CodeAmountInvalid, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx, err := wallet.Adjust(tt.p)
			if errs.CodeOf(err) != tt.code {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if err == nil {
				if nb := mustApply(t, b, tx, nil); nb.Cash != tt.result {
					t.Fatalf("cash %d, want %d", nb.Cash, tt.result)
				}
			}
		})
	}
}

func TestAccountStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, a := range []wallet.Account{wallet.Customer("u:1", wallet.FrozenCash), wallet.Clearing("alipay"), wallet.Company(wallet.Revenue)} {
		got, err := wallet.ParseAccount(a.String())
		if err != nil || got != a {
			t.Fatalf("ParseAccount(%q) = %v, %v", a, got, err)
		}
	}
	for _, s := range []string{"", "cash", "revenue:x", "bogus:1", "gateway_clearing"} {
		if _, err := wallet.ParseAccount(s); err == nil {
			t.Errorf("ParseAccount(%q) accepted", s)
		}
	}
}

func TestCheckInvariantsReportsTampering(t *testing.T) {
	t.Parallel()
	b := topUp(t, wallet.Balances{Customer: cust}, 1000)
	tx, _ := wallet.TopUp(wallet.TopUpParams{Customer: cust, Provider: "alipay", Amount: 1000, PaymentID: "p"})
	txns := []wallet.Txn{tx}
	sums, _ := wallet.Sums(txns)
	if vs := wallet.CheckInvariants(txns, sums); vs != nil {
		t.Fatalf("sound ledger: %v", vs)
	}
	_ = b
	bad := map[wallet.Account]money.Fen{wallet.Customer(cust, wallet.Cash): 999, wallet.Clearing("alipay"): -1000, wallet.Customer(cust, wallet.RefundCredit): -5}
	vs := wallet.CheckInvariants(append(txns, wallet.Txn{ID: "t2", Reason: wallet.ReasonTopUp}), bad)
	rules := map[string]int{}
	for _, v := range vs {
		rules[v.Rule]++
	}
	if rules["balance_mismatch"] != 2 || rules["negative_balance"] != 1 || rules["txn_invalid"] != 1 {
		t.Fatalf("violations %v", vs)
	}
}

// TestRandomSequencesKeepInvariants: random operations by a few customers;
// after each, the ledger checks out, Apply and Sums agree, and refunds of
// each balance payment never exceed it.
func TestRandomSequencesKeepInvariants(t *testing.T) {
	t.Parallel()
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 7))
		customers := []string{"a", "b", "c"}
		bal := map[string]wallet.Balances{}
		for _, c := range customers {
			bal[c] = wallet.Balances{Customer: c}
		}
		type payment struct {
			customer  string
			remaining wallet.Spent
		}
		var pays []*payment
		var txns []wallet.Txn
		for step := range 300 {
			c := customers[r.IntN(len(customers))]
			b := bal[c]
			amt := money.Fen(r.Int64N(5000) + 1)
			var tx wallet.Txn
			var err error
			switch r.IntN(9) {
			case 0, 1:
				tx, err = wallet.TopUp(wallet.TopUpParams{Customer: c, Provider: "wechatpay", Amount: amt, PaymentID: "p"})
			case 2, 3:
				var s wallet.Spent
				tx, s, err = wallet.Spend(b, amt, "o")
				if err == nil {
					pays = append(pays, &payment{c, s})
				}
			case 4:
				if len(pays) == 0 {
					continue
				}
				p := pays[r.IntN(len(pays))]
				if p.remaining.Total() == 0 {
					continue
				}
				a := min(amt, p.remaining.Total())
				var back wallet.Spent
				tx, back, err = wallet.RefundToBalance(wallet.RefundToBalanceParams{Customer: p.customer, Remaining: p.remaining, Amount: a, RefundID: "r"})
				if err == nil {
					p.remaining, err = p.remaining.Sub(back)
					b = bal[p.customer]
				}
			case 5:
				tx, err = wallet.RefundAsCredit(wallet.RefundParams{Customer: c, Amount: amt, RefundID: "r"})
			case 6:
				tx, err = wallet.Withdraw(b, amt, "w")
			case 7:
				if r.IntN(2) == 0 {
					tx, err = wallet.Freeze(b, "k")
				} else {
					tx, err = wallet.Unfreeze(b, "k")
				}
			case 8:
				if r.IntN(10) == 0 {
					tx, err = wallet.CloseAccount(b)
				} else {
					continue
				}
			}
			if err != nil {
				if errs.KindOf(err) == errs.Internal {
					t.Fatalf("seed %d step %d: %v", seed, step, err)
				}
				continue
			}
			nb, err := wallet.Apply(b, tx)
			if err != nil {
				t.Fatalf("seed %d step %d: builder made a txn Apply refuses: %v", seed, step, err)
			}
			bal[b.Customer] = nb
			txns = append(txns, tx)
		}
		sums, err := wallet.Sums(txns)
		if err != nil {
			t.Fatal(err)
		}
		if vs := wallet.CheckInvariants(txns, sums); vs != nil {
			t.Fatalf("seed %d: %v", seed, vs)
		}
		for _, c := range customers {
			for _, k := range wallet.CustomerKinds {
				if sums[wallet.Customer(c, k)] != bal[c].Get(k) {
					t.Fatalf("seed %d: %s %s: Apply %d, Sums %d", seed, c, k, bal[c].Get(k), sums[wallet.Customer(c, k)])
				}
			}
		}
	}
}
