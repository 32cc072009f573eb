package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
	"yuanxu/internal/money"
)

// The customer's wallet (issue 9): balances and their history, the
// sandbox top-up, withdrawals of cash.

// WalletBody is a customer's balances and a page of its history.
type WalletBody struct {
	app.WalletView
	NextCursor string `json:"next_cursor,omitempty" example:"eyJiIjoiMDE5MzZhOWUifQ" doc:"Pass as ?cursor= for older history; absent on the last page."`
}

type walletOutput struct{ Body WalletBody }

type walletInput struct {
	ListParams
}

// TopUpBody is a sandbox top-up.
type TopUpBody struct {
	AmountFen int64 `json:"amount_fen" minimum:"1" maximum:"10000000" example:"10000" doc:"Fen to credit to cash, at most ¥100,000 at once."`
}

type topUpInput struct{ Body TopUpBody }

type balanceOutput struct{ Body app.BalanceView }

// WithdrawalBody is a customer's withdrawal of cash.
type WithdrawalBody struct {
	AmountFen   int64  `json:"amount_fen" minimum:"1" maximum:"1000000000000" example:"5000" doc:"Fen of cash to withdraw; refund credit is never withdrawable (clause 3.1)."`
	Destination string `json:"destination" minLength:"6" maxLength:"200" example:"招商银行 6225 8801 2345 6789 张三" doc:"The bank account to pay to: bank, account number, holder. Stored encrypted, shown masked."`
}

type withdrawalInput struct{ Body WithdrawalBody }

type withdrawalOutput struct{ Body app.WithdrawalView }

type withdrawalsOutput struct{ Body Page[app.WithdrawalView] }

type withdrawalListInput struct {
	State []string `query:"state" enum:"requested,awaiting_second,approved,paid,rejected,cancelled" doc:"Only these states (comma-separated)."`
}

type withdrawalIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The withdrawal id."`
}

func walletOut(v app.WalletView, limit int) *walletOutput {
	out := &walletOutput{Body: WalletBody{WalletView: v}}
	for i := range v.History {
		v.History[i] = entryOut(v.History[i])
	}
	if n := len(v.History); n > 0 {
		out.Body.NextCursor = nextCursor(n, limit, v.History[n-1].ID)
	}
	return out
}

func withdrawalPage(vs []app.WithdrawalView) *withdrawalsOutput {
	out := &withdrawalsOutput{Body: Page[app.WithdrawalView]{Items: make([]app.WithdrawalView, 0, len(vs))}}
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, withdrawalOut(v))
	}
	return out
}

// registerWallet adds the wallet operations.
func registerWallet(s *server) {
	tag := []string{"commerce"}
	commerceRegister(s, huma.Operation{OperationID: "get-wallet", Method: http.MethodGet, Path: "/wallet", Tags: tag, Security: secAny,
		Summary: "My balance and its history", Description: "Cash, refund credit and their frozen parts (only cash is withdrawable, clause 3.1), " +
			"and the ledger entries that changed them, newest first. Needs wallet.read.",
		Errors: []int{400, 401, 403, 422}},
		func(ctx context.Context, in *walletInput) (*walletOutput, error) {
			p, err := customerPrincipal(ctx, "wallet.read")
			if err != nil {
				return nil, err
			}
			b, err := before(in.Cursor)
			if err != nil {
				return nil, err
			}
			v, err := s.app.Wallet(ctx, p.Principal, "", b, in.Limit)
			if err != nil {
				return nil, err
			}
			return walletOut(v, in.Limit), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "request-withdrawal", Method: http.MethodPost, Path: "/withdrawals", Tags: tag, Security: secSession,
		Summary: "Withdraw cash", Description: "Moves the amount out of cash at once and queues it for finance, who pay it to the given bank account " +
			"(above refund.dual_control_fen after two approvals). Refund credit is never withdrawable: an amount only refund credit " +
			"could cover is wallet.refund_credit_not_withdrawable (409, clause 3.1). The account holder only (wallet.withdraw).",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *withdrawalInput) (*withdrawalOutput, error) {
			p, err := customerPrincipal(ctx, "wallet.withdraw")
			if err != nil {
				return nil, err
			}
			v, err := s.app.RequestWithdrawal(ctx, p.Principal, app.WithdrawalRequest{AmountFen: in.Body.AmountFen, Destination: in.Body.Destination})
			if err != nil {
				return nil, err
			}
			return &withdrawalOutput{Body: withdrawalOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-withdrawals", Method: http.MethodGet, Path: "/withdrawals", Tags: tag, Security: secAny,
		Summary: "List my withdrawals", Description: "Newest first, at most 200, closure pay-backs included. Needs wallet.read.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *withdrawalListInput) (*withdrawalsOutput, error) {
			p, err := customerPrincipal(ctx, "wallet.read")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Withdrawals(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			return withdrawalPage(vs), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "cancel-withdrawal", Method: http.MethodPost, Path: "/withdrawals/{id}/cancel", Tags: tag,
		Security: secSession, Summary: "Take back a withdrawal no one approved yet",
		Description: "The cash returns. Once approved it is withdrawal.bad_state (409).", Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *withdrawalIDInput) (*withdrawalOutput, error) {
			p, err := customerObjectPrincipal(ctx, "withdrawal")
			if err != nil {
				return nil, err
			}
			v, err := s.app.CancelWithdrawal(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &withdrawalOutput{Body: withdrawalOut(v)}, nil
		})
	if s.app.IsSandbox() {
		commerceRegister(s, huma.Operation{OperationID: "sandbox-top-up", Method: http.MethodPost, Path: "/sandbox/topup", Tags: []string{"sandbox", "commerce"},
			Security: secSession, Summary: "Top up my cash from the sandbox gateway (sandbox mode only)",
			Description: "Credits cash as a gateway top-up would, for trying checkout and withdrawals. Needs wallet.topup.",
			Errors:      []int{401, 403, 422}},
			func(ctx context.Context, in *topUpInput) (*balanceOutput, error) {
				p, err := customerPrincipal(ctx, "wallet.topup")
				if err != nil {
					return nil, err
				}
				v, err := s.app.SandboxTopUp(ctx, p.Principal, money.Fen(in.Body.AmountFen))
				if err != nil {
					return nil, err
				}
				return &balanceOutput{Body: v}, nil
			})
	}
}
