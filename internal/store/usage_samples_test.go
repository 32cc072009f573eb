package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// TestSamplesInsertOutcomes: SamplesInsert reports exactly the rows it
// stored, whatever the batch's size (one row, a power of two, sizes that
// take several statements on SQLite, the largest batch), with samples
// stored before, repeated within the batch across statement boundaries
// (the first is stored) and repeated twice in a row; the stored figures
// are the first sample's. Every case runs twice, the second time with the
// statements cached.
func TestSamplesInsertOutcomes(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	row := func(svc string, i int, tx int64) store.SampleRow {
		return store.SampleRow{ServiceID: svc, Start: t0.Add(time.Duration(i) * time.Second), Seconds: 1, RxBytes: int64(i), TxBytes: tx,
			Class: "customer", BilledBytes: tx, NodeID: "n1", ReceivedAt: t0}
	}
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			db, ctx := h.New(t), context.Background()
			for _, c := range []struct {
				name    string
				n       int
				prior   []int       // sample indices stored before the batch
				repeats map[int]int // batch index → the earlier index it repeats (with another figure)
			}{
				{name: "one", n: 1},
				{name: "one stored before", n: 1, prior: []int{0}},
				{name: "power of two", n: 64},
				{name: "several statements", n: 200, prior: []int{3, 130, 199}, repeats: map[int]int{70: 10, 150: 140, 151: 140, 199: 5}},
				{name: "largest batch", n: 1000, prior: []int{511, 512, 999}, repeats: map[int]int{512: 0, 600: 511, 990: 700, 991: 700}},
			} {
				for pass := range 2 {
					svc := fmt.Sprintf("svc-%s-%d", c.name, pass)
					var prior []store.SampleRow
					for _, i := range c.prior {
						prior = append(prior, row(svc, i, 7))
					}
					rows := make([]store.SampleRow, c.n)
					want := make([]bool, c.n)
					for i := range rows {
						rows[i], want[i] = row(svc, i, 100+int64(i)), true
						if j, ok := c.repeats[i]; ok {
							rows[i], want[i] = row(svc, j, 999), false
						}
					}
					for _, i := range c.prior {
						for k := range rows {
							if rows[k].Start.Equal(t0.Add(time.Duration(i) * time.Second)) {
								want[k] = false
							}
						}
					}
					var got []bool
					if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
						if _, err := tx.SamplesInsert(ctx, prior); err != nil {
							return err
						}
						var err error
						got, err = tx.SamplesInsert(ctx, rows)
						return err
					}); err != nil {
						t.Fatalf("%s: %v", c.name, err)
					}
					stored := 0
					for k := range rows {
						if got[k] != want[k] {
							t.Fatalf("%s pass %d: row %d inserted %v, want %v", c.name, pass, k, got[k], want[k])
						}
						if got[k] {
							stored++
						}
					}
					for i := range c.n {
						s, err := store.SampleGet(ctx, db, svc, t0.Add(time.Duration(i)*time.Second))
						wantTx := 100 + int64(i)
						for _, p := range c.prior {
							if p == i {
								wantTx = 7
							}
						}
						if _, repeated := c.repeats[i]; repeated && err != nil {
							continue // its slot held a repeat; the sample at i was never sent
						}
						if err != nil || s.TxBytes != wantTx {
							t.Fatalf("%s pass %d: sample %d stored tx %d (%v), want %d", c.name, pass, i, s.TxBytes, err, wantTx)
						}
					}
					var n int
					if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM usage_sample WHERE service_id = $1`, svc).Scan(&n); err != nil ||
						n != stored+len(c.prior) {
						t.Fatalf("%s pass %d: %d rows stored (%v), want %d", c.name, pass, n, err, stored+len(c.prior))
					}
				}
			}
		})
	}
}
