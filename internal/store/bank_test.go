package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// TestBankInvariant is the classic bank test (DESIGN.md §5, issue 18):
// random transfers between ten live cash accounts and the rolled-up
// revenue account run concurrently with rollups of revenue and with
// snapshot reads; every read of all eleven balances sums to the constant
// total, no live balance goes negative, and LedgerVerify passes at the
// end. On both engines.
func TestBankInvariant(t *testing.T) {
	t.Parallel()
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			testBank(t, h.New(t))
		})
	}
}

func testBank(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const n, each = 10, 10_000
	accounts := make([]string, n, n+1)
	for i := range accounts {
		cust := id.New()
		accounts[i] = "cash:" + cust
		err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.LedgerInsert(ctx, store.LedgerTxnRow{ID: id.NewAt(tx.Now), Reason: "top_up", CustomerID: cust, CreatedAt: tx.Now,
				Postings: []store.LedgerPostingRow{{Account: "gateway_clearing:bank", AmountFen: -each}, {Account: accounts[i], AmountFen: each, Live: true}}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	accounts = append(accounts, "revenue:bank")
	const total = n * each
	sum := func() (int64, map[string]int64, error) {
		b, err := store.LedgerBalances(context.Background(), db, accounts...)
		var s int64
		for _, v := range b {
			s += v
		}
		return s, b, err
	}
	ctx, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	var transfers, refused, reads, rollups atomic.Int64
	var wg sync.WaitGroup
	for range 6 { // transfers
		wg.Go(func() {
			for ctx.Err() == nil {
				from, to := accounts[rand.IntN(len(accounts))], accounts[rand.IntN(len(accounts))]
				if from == to {
					continue
				}
				amt := int64(1 + rand.IntN(3000))
				err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
					return tx.LedgerInsert(ctx, store.LedgerTxnRow{ID: id.NewAt(tx.Now), Reason: "transfer", CreatedAt: tx.Now,
						Postings: []store.LedgerPostingRow{{Account: from, AmountFen: -amt, Live: from != "revenue:bank"},
							{Account: to, AmountFen: amt, Live: to != "revenue:bank"}}})
				})
				switch {
				case err == nil:
					transfers.Add(1)
				case store.IsInsufficient(err):
					refused.Add(1)
				case ctx.Err() != nil:
				case errors.Is(err, context.DeadlineExceeded):
				default:
					t.Errorf("transfer: %v", err)
					return
				}
			}
		})
	}
	wg.Go(func() { // rollups of the revenue account
		for ctx.Err() == nil {
			if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { _, err := tx.LedgerRollup(ctx, 20); return err }); err != nil && ctx.Err() == nil {
				t.Errorf("rollup: %v", err)
				return
			}
			rollups.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	})
	for range 2 { // snapshot readers
		wg.Go(func() {
			for ctx.Err() == nil {
				s, b, err := sum() // one statement: one snapshot
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("read: %v", err)
					}
					return
				}
				reads.Add(1)
				if s != total {
					t.Errorf("a snapshot sums to %d, want %d: %v", s, total, b)
					return
				}
				for a, v := range b {
					if v < 0 && a != "revenue:bank" {
						t.Errorf("live balance %s is %d", a, v)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if s, b, err := sum(); err != nil || s != total {
		t.Fatalf("after the run: sum %d (%v), want %d: %v", s, err, total, b)
	}
	if transfers.Load() < 10 || reads.Load() < 10 {
		t.Fatalf("too little happened: %d transfers, %d reads", transfers.Load(), reads.Load())
	}
	r, err := db.LedgerVerify(context.Background())
	if err != nil || !r.OK() {
		t.Fatalf("ledger verify: %+v, %v", r, err)
	}
	t.Logf("%d transfers (%d refused: not enough), %d snapshot reads, %d rollups", transfers.Load(), refused.Load(), reads.Load(), rollups.Load())
}
