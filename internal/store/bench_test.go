package store_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// BenchmarkInTxAuditInsert measures one committed write transaction holding
// one audit event, per engine, serially and with parallel writers.
func BenchmarkInTxAuditInsert(b *testing.B) {
	for _, h := range storetest.Engines() {
		b.Run(h.Name, func(b *testing.B) {
			db := h.New(b)
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
						return tx.AuditInsert(ctx, storetest.Event(time.Now(), "bench"))
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
							return tx.AuditInsert(ctx, storetest.Event(time.Now(), "bench"))
						}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
