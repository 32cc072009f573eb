// Package wallet is the pure model of yuanxu's double-entry ledger (DESIGN
// §2 "wallet", §3, §5; issue 9 items 4–6). It builds balanced transactions
// for every way money moves, applies them to a customer's sub-balances,
// and checks the ledger invariants that the store's conformance suite and
// `yuanxu admin verify` run. It does no I/O and imports no outer layer;
// the store persists what it returns and enforces "no balance goes
// negative" with a conditional update, calling [Apply]'s rule.
//
// # Sign convention
//
// A [Posting]'s Amount is signed: a debit is negative, a credit positive,
// and an account's balance is the sum of its postings. The customer
// sub-balances and the payables are liabilities of the company, so a
// credit increases them and their balances are ≥ 0; gateway clearing (an
// asset: money a provider holds for the company) therefore runs negative,
// and revenue and adjustments may have either sign. [Account.NonNegative]
// says which accounts must never go below zero.
//
// # Accounts (the minimal set)
//
// Per customer: cash (top-ups; withdrawable to the route it came from),
// refund_credit (refunds the customer chose to take as balance; spendable,
// never withdrawable, clause 3.1), frozen_cash and frozen_refund_credit
// (compliance freezes, clauses 3.2.4 and 4.3; unfreezing returns each to
// where it came from). Company: revenue, gateway_clearing:<provider>,
// refunds_payable (owed back to an original route: refunds, clause 6.2,
// and refund credit paid out when an account ends), withdrawals_payable
// (cash owed back to an original route: withdrawals and account closure),
// reseller_commission:<reseller>, and adjustments, the counter-account of
// manual corrections. There is no suspense account: every builder knows
// both sides of its movement.
//
// # Rules, each with its clause
//
//   - Spending takes refund_credit before cash (issue 9 item 5: credit is
//     the money the customer cannot withdraw, so it is used first).
//   - A refund of a balance-paid order returns each part to the
//     sub-balance it was spent from (DESIGN §3). A partial refund is split
//     in proportion to what came from each ([money.Allocate]); an odd fen
//     goes to cash, the withdrawable side (consumer-favourable where the
//     text is silent, DESIGN §1.2, Civil Code 498). Refunding what remains
//     restores both sub-balances exactly.
//   - Refund credit is never paid out (3.1) — except when the account ends
//     (DESIGN §3; Civil Code 497, Consumer Rights Protection Law art. 53):
//     [CloseAccount] moves it to refunds_payable. Every reason has a fixed
//     shape of debited and credited account kinds ([Txn.Validate]), so no
//     other transaction can move refund credit towards a payout.
//   - Frozen money returns to the sub-balance it came from (3.2.4, 4.3,
//     DESIGN §5): freeze and unfreeze pair cash with frozen_cash and
//     refund_credit with frozen_refund_credit, amount for amount.
package wallet
