package wallet

import "yuanxu/internal/errs"

// Stable error codes of this package; each keys a message in the web
// layer's bilingual catalog.
const (
	// CodeInsufficientBalance: the sub-balances cannot cover the amount
	// (Kind Conflict; params required_fen, available_fen, account).
	CodeInsufficientBalance = "wallet.insufficient_balance"
	// CodeRefundCreditNotWithdrawable: a withdrawal would need refund
	// credit, which is never withdrawable (clause 3.1; Kind Conflict).
	CodeRefundCreditNotWithdrawable = "wallet.refund_credit_not_withdrawable"
	// CodeRefundExceedsSpent: a refund to balance larger than what remains
	// of the balance payment (DESIGN §5 "refunds never exceed what was
	// captured"; Kind Conflict).
	CodeRefundExceedsSpent = "wallet.refund_exceeds_spent"
	// CodeAmountInvalid: zero, negative or beyond [MaxAmount] (Kind Invalid).
	CodeAmountInvalid = "wallet.amount_invalid"
	// CodeMemoRequired: a manual adjustment without a reason (Kind Invalid).
	CodeMemoRequired = "wallet.memo_required"
	// CodeNothingToMove: a freeze, unfreeze or closure of empty balances
	// (Kind Conflict); callers that do not care test errors.Is(err,
	// ErrNothingToMove).
	CodeNothingToMove = "wallet.nothing_to_move"
	// CodeTxnInvalid: a transaction breaks a ledger rule (Kind Internal:
	// builders never produce one, so it is a bug or corrupt data).
	CodeTxnInvalid = "wallet.txn_invalid"
	// CodeAccountInvalid: an unknown account kind or a bad Ref (Internal).
	CodeAccountInvalid = "wallet.account_invalid"
)

// ErrNothingToMove is returned by [Freeze], [Unfreeze] and [CloseAccount]
// when there is no money to move; there is then no transaction to record.
var ErrNothingToMove = &errs.Error{Kind: errs.Conflict, Code: CodeNothingToMove, Msg: "no balance to move"}
