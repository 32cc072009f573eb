package store_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// BenchmarkInTxAuditInsert measures one committed write transaction holding
// one audit event, per engine, serially and with parallel writers
// (GOMAXPROCS of them, and 8 per P). "sqlite" runs with group commit (the
// default), "sqlite-solo" without, one physical commit per InTx; on SQLite
// members/group reports the mean number of InTx calls per physical commit.
func BenchmarkInTxAuditInsert(b *testing.B) {
	harnesses := storetest.Engines()
	harnesses = append(harnesses, storetest.Harness{Name: "sqlite-solo", New: func(t testing.TB) *store.DB {
		db := storetest.OpenSQLite(t)
		db.SetGroupCommit(0)
		return db
	}})
	insert := func(ctx context.Context, tx *store.Tx) error {
		return tx.AuditInsert(ctx, storetest.Event(time.Now(), "bench"))
	}
	for _, h := range harnesses {
		b.Run(h.Name, func(b *testing.B) {
			db := h.New(b)
			groupSize := func(b *testing.B, g0, m0 uint64) {
				if g, m := db.GroupCommitStats(); g > g0 {
					b.ReportMetric(float64(m-m0)/float64(g-g0), "members/group")
				}
			}
			b.Run("serial", func(b *testing.B) {
				g0, m0 := db.GroupCommitStats()
				for b.Loop() {
					if err := db.InTx(context.Background(), insert); err != nil {
						b.Fatal(err)
					}
				}
				groupSize(b, g0, m0)
			})
			for _, p := range []struct {
				name string
				per  int
			}{{"parallel", 1}, {"parallel8", 8}} {
				b.Run(p.name, func(b *testing.B) {
					g0, m0 := db.GroupCommitStats()
					b.SetParallelism(p.per)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := db.InTx(context.Background(), insert); err != nil {
								b.Error(err)
								return
							}
						}
					})
					groupSize(b, g0, m0)
				})
			}
		})
	}
}
