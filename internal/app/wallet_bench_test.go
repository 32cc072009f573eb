package app

import (
	"context"
	"sync/atomic"
	"testing"

	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
	"yuanxu/internal/wallet"
)

// BenchmarkLedgerSpend measures the ledger part of a balance payment, per
// engine: read the customer's four sub-balances, build and validate the
// spend (wallet.Spend), write the transaction with a conditional debit of
// cash and an appended revenue posting, and an audit event, committed.
// "parallel" runs one customer per goroutine, all crediting the same
// revenue account: with revenue rolled up instead of updated (ADR 5) they
// share no row.
func BenchmarkLedgerSpend(b *testing.B) {
	for _, h := range storetest.Engines() {
		b.Run(h.Name, func(b *testing.B) {
			db := h.New(b)
			sec, err := NewSecrets()
			if err != nil {
				b.Fatal(err)
			}
			a, err := New(context.Background(), Config{DB: db, Secrets: sec})
			if err != nil {
				b.Fatal(err)
			}
			newCustomer := func() string {
				c := id.New()
				if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
					return a.seedBalance(ctx, tx, c, money.Fen(wallet.MaxAmount), "bench")
				}); err != nil {
					b.Fatal(err)
				}
				return c
			}
			spend := func(customer string) error {
				return db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
					bal, err := balancesOf(ctx, tx, customer)
					if err != nil {
						return err
					}
					t, _, err := wallet.Spend(bal, 100, id.NewAt(tx.Now))
					if err != nil {
						return err
					}
					txnID, err := a.post(ctx, tx, t)
					if err != nil {
						return err
					}
					return a.Audit(ctx, tx, AuditEntry{Action: "payment.succeeded", SubjectType: "order", SubjectID: t.Links["order"],
						Data: map[string]any{"txn": txnID}})
				})
			}
			b.Run("serial", func(b *testing.B) {
				c := newCustomer()
				for b.Loop() {
					if err := spend(c); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				var n atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					n.Add(1)
					c := newCustomer()
					for pb.Next() {
						if err := spend(c); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			r, err := db.LedgerVerify(context.Background())
			if err != nil || !r.OK() {
				b.Fatalf("ledger after the benchmark: %+v, %v", r, err)
			}
		})
	}
}
