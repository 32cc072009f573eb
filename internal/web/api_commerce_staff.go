package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
)

// The console's commerce operations (issue 9), all under /staff/: the
// catalog and coupons (catalog.manage), any customer's orders and wallet
// (account.read_any), the ledger (finance.reconcile), manual adjustments
// (finance.balance.manage, from a re-authenticated session), the
// withdrawal queue (finance.withdrawal.approve, finance.payout) and
// fapiao requests (finance.invoice). The app authorises every one.

type staffProductsOutput struct{ Body Page[app.ProductView] }

type productPutInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The product id; the body's id must be the same." example:"cs-nc-bw"`
	Body app.ProductView
}

type couponsOutput struct{ Body Page[app.CouponView] }

type couponOutput struct{ Body app.CouponView }

type couponPutInput struct {
	Code string `path:"code" maxLength:"64" doc:"The coupon code (upper case); the body's code must be the same." example:"WELCOME10"`
	Body app.CouponView
}

type staffOrderListInput struct {
	ListParams
	AccountID string   `query:"account_id" maxLength:"64" doc:"Only this customer's orders." example:"01936a9e-0000-7000-8000-000000000001"`
	State     []string `query:"state" enum:"created,paid,provisioning,delivered,delivery_failed,expired,cancelled,refunded,swapped" doc:"Only these states (comma-separated)."`
}

type ledgerInput struct {
	ListParams
	Customer string `query:"customer" maxLength:"64" doc:"Only transactions of this customer account." example:"01936a9e-0000-7000-8000-000000000001"`
	Account  string `query:"account" maxLength:"128" doc:"Only transactions posting to this ledger account (revenue, withdrawals_payable, clearing:alipay, cash:<id>…)." example:"revenue"`
}

type ledgerOutput struct{ Body Page[app.LedgerEntryView] }

// CompanyBalancesBody is the company accounts' balances.
type CompanyBalancesBody struct {
	Balances map[string]int64 `json:"balances" doc:"Fen by ledger account: revenue, the payables, adjustments, clearing per provider." example:"{\"revenue\":3900,\"withdrawals_payable\":0,\"clearing:sandbox\":-100000}"`
}

type companyBalancesOutput struct{ Body CompanyBalancesBody }

// AdjustmentBody is a manual correction of one customer sub-balance.
type AdjustmentBody struct {
	AccountID string `json:"account_id" maxLength:"64" example:"01936a9e-0000-7000-8000-000000000001"`
	Kind      string `json:"kind" enum:"cash,refund_credit,frozen_cash,frozen_refund_credit" example:"cash" doc:"The sub-balance corrected."`
	AmountFen int64  `json:"amount_fen" minimum:"-1000000000000" maximum:"1000000000000" example:"-500" doc:"Signed fen: > 0 credits the customer, < 0 debits; never 0, never below zero."`
	Memo      string `json:"memo" maxLength:"500" example:"duplicate top-up reversed, ticket T-1042" doc:"Why: required, audited."`
}

type adjustmentInput struct{ Body AdjustmentBody }

type entryOutput struct{ Body app.LedgerEntryView }

type withdrawalDecisionInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The withdrawal id."`
	Body app.WithdrawalDecision
}

// DestinationBody is a withdrawal's bank account in clear.
type DestinationBody struct {
	Destination string `json:"destination" doc:"In clear; the access is audited." example:"招商银行 6225 8801 2345 6789 张三"`
}

type destinationOutput struct{ Body DestinationBody }

type invoiceDecisionInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The fapiao request id."`
	Body app.InvoiceDecision
}

type staffWalletInput struct {
	ListParams
	ID string `path:"id" maxLength:"64" doc:"The customer account id."`
}

func registerCommerceStaff(s *server) {
	tag := []string{"commerce", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-list-catalog", Method: http.MethodGet, Path: "/staff/catalog", Tags: tag, Security: secSession,
		Summary: "List every product", Description: "Active and inactive. Needs catalog.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*staffProductsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.CatalogAll(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			return &staffProductsOutput{Body: Page[app.ProductView]{Items: vs}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-get-product", Method: http.MethodGet, Path: "/staff/catalog/{id}", Tags: tag, Security: secSession,
		Summary: "Read a product, active or not", Description: "Needs catalog.manage.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *productIDInput) (*productOutput, error) {
			p, err := staffOnly(ctx, s, "catalog.manage")
			if err != nil {
				return nil, err
			}
			v, err := s.app.Product(ctx, &p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &productOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-put-product", Method: http.MethodPut, Path: "/staff/catalog/{id}", Tags: tag, Security: secSession,
		Summary: "Create or replace a product and its plans",
		Description: "Needs catalog.manage; audited with the before and after. A plan missing from the body is removed; stock is written as given " +
			"(a restock). Prices already frozen onto orders never change. The refund class and clause are derived, never taken from the " +
			"body; a product's kind cannot change. Every bad field is reported at once (catalog.product_invalid).",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *productPutInput) (*productOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if in.Body.ID != in.ID {
				return nil, errs.E(errs.Op("web.PutProduct"), errs.Invalid, catalog.CodeProductInvalid, "the body's id is not the path's",
					errs.FieldError{Field: "body.id", Rule: "path_mismatch", Params: map[string]any{"path": in.ID}})
			}
			v, err := s.app.ProductSave(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			return &productOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-list-coupons", Method: http.MethodGet, Path: "/staff/coupons", Tags: tag, Security: secSession,
		Summary: "List every coupon", Description: "With their uses. Needs catalog.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*couponsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Coupons(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			return &couponsOutput{Body: Page[app.CouponView]{Items: vs}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-put-coupon", Method: http.MethodPut, Path: "/staff/coupons/{code}", Tags: tag, Security: secSession,
		Summary: "Create or update a coupon", Description: "Needs catalog.manage; audited. Its uses are counted by checkouts, never set here.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *couponPutInput) (*couponOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if !strings.EqualFold(strings.TrimSpace(in.Body.Code), in.Code) {
				return nil, errs.E(errs.Op("web.PutCoupon"), errs.Invalid, order.CodeCouponInvalid, "the body's code is not the path's",
					errs.FieldError{Field: "body.code", Rule: "path_mismatch", Params: map[string]any{"path": in.Code}})
			}
			v, err := s.app.CouponSave(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			return &couponOutput{Body: v}, nil
		})

	commerceRegister(s, huma.Operation{OperationID: "staff-list-orders", Method: http.MethodGet, Path: "/staff/orders", Tags: tag, Security: secSession,
		Summary: "List orders", Description: "Any customer's, newest first, with their lines. Needs account.read_any.", Errors: []int{400, 401, 403, 422}},
		func(ctx context.Context, in *staffOrderListInput) (*ordersOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b, err := before(in.Cursor)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Orders(ctx, p.Principal, app.OrderListFilter{AccountID: in.AccountID, States: in.State, Before: b, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			return orderPage(vs, in.Limit), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-get-order", Method: http.MethodGet, Path: "/staff/orders/{id}", Tags: tag, Security: secSession,
		Summary: "Read an order and its payments", Description: "Needs account.read_any.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *orderIDInput) (*orderOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.Order(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &orderOutput{Body: orderOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-get-wallet", Method: http.MethodGet, Path: "/staff/accounts/{id}/wallet", Tags: tag,
		Security: secSession, Summary: "A customer's balance and history", Description: "With every posting of each entry. Needs account.read_any.",
		Errors: []int{400, 401, 403, 404, 422}},
		func(ctx context.Context, in *staffWalletInput) (*walletOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			acc, err := s.app.AccountGet(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			if !acc.Kind.Customer() {
				return nil, &errs.Error{Kind: errs.NotFound, Code: "account.not_found", Msg: "not a customer account"}
			}
			b, err := before(in.Cursor)
			if err != nil {
				return nil, err
			}
			v, err := s.app.Wallet(ctx, p.Principal, in.ID, b, in.Limit)
			if err != nil {
				return nil, err
			}
			return walletOut(v, in.Limit), nil
		})

	commerceRegister(s, huma.Operation{OperationID: "staff-ledger", Method: http.MethodGet, Path: "/staff/ledger", Tags: tag, Security: secSession,
		Summary: "Ledger transactions", Description: "Newest first, each with every posting (they sum to zero). Needs finance.reconcile.",
		Errors: []int{400, 401, 403, 422}},
		func(ctx context.Context, in *ledgerInput) (*ledgerOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b, err := before(in.Cursor)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.LedgerTxns(ctx, p.Principal, app.LedgerFilter{CustomerID: in.Customer, Account: in.Account, Before: b, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			out := &ledgerOutput{Body: Page[app.LedgerEntryView]{Items: make([]app.LedgerEntryView, 0, len(vs))}}
			for _, v := range vs {
				out.Body.Items = append(out.Body.Items, entryOut(v))
			}
			if n := len(vs); n > 0 {
				out.Body.NextCursor = nextCursor(n, in.Limit, vs[n-1].ID)
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-company-balances", Method: http.MethodGet, Path: "/staff/ledger/balances", Tags: tag,
		Security: secSession, Summary: "Company account balances", Description: "Needs finance.reconcile.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*companyBalancesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			m, err := s.app.CompanyBalances(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			if m == nil {
				m = map[string]int64{}
			}
			return &companyBalancesOutput{Body: CompanyBalancesBody{Balances: m}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-adjust-ledger", Method: http.MethodPost, Path: "/staff/ledger/adjustments", Tags: tag,
		Security: secSession, Summary: "Adjust a customer's sub-balance",
		Description: "A manual correction with a reason (finance.balance.manage), from a session re-authenticated in the last few minutes " +
			"(POST /auth/reauth; session.reauth_required otherwise); audited as ledger.adjusted. It never makes a sub-balance negative " +
			"and cannot move money between sub-balances.",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *adjustmentInput) (*entryOutput, error) {
			p, err := sessionPrincipal(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			v, err := s.app.LedgerAdjust(ctx, p.Principal, p.SessionToken, app.AdjustInput{AccountID: b.AccountID, Kind: b.Kind, AmountFen: b.AmountFen, Memo: b.Memo})
			if err != nil {
				return nil, err
			}
			return &entryOutput{Body: entryOut(v)}, nil
		})

	commerceRegister(s, huma.Operation{OperationID: "staff-list-withdrawals", Method: http.MethodGet, Path: "/staff/withdrawals", Tags: tag, Security: secSession,
		Summary: "The withdrawal queue", Description: "Withdrawals and closure pay-backs, newest first, at most 200. Needs finance.withdrawal.approve " +
			"or finance.payout.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *withdrawalListInput) (*withdrawalsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Withdrawals(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			return withdrawalPage(vs), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-decide-withdrawal", Method: http.MethodPost, Path: "/staff/withdrawals/{id}/decision", Tags: tag,
		Security: secSession, Summary: "Approve, reject or record the payout of a withdrawal",
		Description: "approve (finance.withdrawal.approve): the first approval, or above refund.dual_control_fen the second, by someone else " +
			"(authz.separation_of_duties); reject (finance.withdrawal.approve, with a reason): the cash returns; paid (finance.payout, with " +
			"the transfer's reference): an approved withdrawal was transferred. A decision in the wrong state is withdrawal.bad_state (409).",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *withdrawalDecisionInput) (*withdrawalOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.DecideWithdrawal(ctx, p.Principal, in.ID, in.Body)
			if err != nil {
				return nil, err
			}
			return &withdrawalOutput{Body: withdrawalOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-withdrawal-destination", Method: http.MethodGet, Path: "/staff/withdrawals/{id}/destination",
		Tags: tag, Security: secSession, Summary: "The bank account of a withdrawal, in clear",
		Description: "For finance paying it (finance.payout); every read is audited (pii.unmasked, purpose payout).", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *withdrawalIDInput) (*destinationOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			d, err := s.app.WithdrawalDestination(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &destinationOutput{Body: DestinationBody{Destination: d}}, nil
		})

	commerceRegister(s, huma.Operation{OperationID: "staff-list-invoices", Method: http.MethodGet, Path: "/staff/invoices", Tags: tag, Security: secSession,
		Summary: "Fapiao requests", Description: "Newest first, at most 200. Needs finance.invoice.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *invoiceListInput) (*invoicesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Invoices(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			return invoicePage(vs), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-decide-invoice", Method: http.MethodPost, Path: "/staff/invoices/{id}/decision", Tags: tag,
		Security: secSession, Summary: "Record an issued or rejected fapiao",
		Description: "issued, with the number the tax system gave it; or rejected, with a note. Needs finance.invoice. A request that is not " +
			"open is invoice.not_requested (409).",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *invoiceDecisionInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.HandleInvoice(ctx, p.Principal, in.ID, in.Body)
		})
}
