package wallet

import (
	"strings"

	"yuanxu/internal/errs"
)

// Kind is the kind of a ledger account. Its string is stored; the list is
// append-only.
type Kind string

// Customer sub-balances (Ref is the customer id).
const (
	Cash               Kind = "cash"
	RefundCredit       Kind = "refund_credit"
	FrozenCash         Kind = "frozen_cash"
	FrozenRefundCredit Kind = "frozen_refund_credit"
)

// Company accounts. GatewayClearing's Ref is the provider ("alipay",
// "wechatpay", "bank"), ResellerCommission's the reseller id; the others
// have no Ref.
const (
	Revenue            Kind = "revenue"
	GatewayClearing    Kind = "gateway_clearing"
	RefundsPayable     Kind = "refunds_payable"
	WithdrawalsPayable Kind = "withdrawals_payable"
	ResellerCommission Kind = "reseller_commission"
	Adjustments        Kind = "adjustments"
)

// CustomerKinds lists the four sub-balances in display order.
var CustomerKinds = []Kind{Cash, RefundCredit, FrozenCash, FrozenRefundCredit}

// IsCustomer reports whether k is a customer sub-balance.
func (k Kind) IsCustomer() bool {
	return k == Cash || k == RefundCredit || k == FrozenCash || k == FrozenRefundCredit
}

func (k Kind) known() bool {
	switch k {
	case Cash, RefundCredit, FrozenCash, FrozenRefundCredit, Revenue, GatewayClearing,
		RefundsPayable, WithdrawalsPayable, ResellerCommission, Adjustments:
		return true
	}
	return false
}

// needsRef reports whether an account of kind k names an owner.
func (k Kind) needsRef() bool {
	return k.IsCustomer() || k == GatewayClearing || k == ResellerCommission
}

// Account identifies one ledger account: a kind and, where the kind needs
// one, the customer, provider or reseller it belongs to. It is comparable
// and usable as a map key.
type Account struct {
	Kind Kind
	Ref  string
}

// Customer returns customer's sub-balance of kind k.
func Customer(customer string, k Kind) Account { return Account{Kind: k, Ref: customer} }

// Clearing returns the clearing account of a payment provider.
func Clearing(provider string) Account { return Account{Kind: GatewayClearing, Ref: provider} }

// Company returns a company account without a Ref (revenue,
// refunds_payable, withdrawals_payable, adjustments).
func Company(k Kind) Account { return Account{Kind: k} }

// String is the stored form: "cash:<customer>", "gateway_clearing:alipay",
// "revenue". [ParseAccount] reads it back.
func (a Account) String() string {
	if a.Ref == "" {
		return string(a.Kind)
	}
	return string(a.Kind) + ":" + a.Ref
}

// ParseAccount reads the stored form of an account. The kind ends at the
// first ":", so a Ref may itself contain colons.
func ParseAccount(s string) (Account, error) {
	k, ref, _ := strings.Cut(s, ":")
	a := Account{Kind: Kind(k), Ref: ref}
	if err := a.Validate(); err != nil {
		return Account{}, err
	}
	return a, nil
}

// Validate reports an unknown kind, or a Ref that is missing or present
// against the kind's rule (Kind Internal, code wallet.account_invalid: a
// bad account is a programming or data error, never user input).
func (a Account) Validate() error {
	if !a.Kind.known() || a.Kind.needsRef() != (a.Ref != "") {
		return errs.E(errs.Internal, CodeAccountInvalid, "invalid ledger account "+a.String(), errs.Op("wallet.Account"))
	}
	return nil
}

// NonNegative reports whether the account's balance must never go below
// zero (DESIGN §5 "no balance is negative"): the customer sub-balances and
// what the company owes (payables, commissions). Clearing, revenue and
// adjustments are the other side of those and carry either sign.
func (a Account) NonNegative() bool {
	switch a.Kind {
	case Revenue, GatewayClearing, Adjustments:
		return false
	}
	return true
}
