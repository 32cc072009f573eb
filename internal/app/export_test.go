package app

import (
	"context"

	"yuanxu/internal/money"
	"yuanxu/internal/store"
)

// CreditCashForTest credits a customer's cash from the sandbox gateway, as
// a verified top-up would.
func (a *App) CreditCashForTest(ctx context.Context, customer string, amount money.Fen) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.seedBalance(ctx, tx, customer, amount, "test")
	})
}
