package storetest

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runCommerce holds the commerce storage cases (issue 9, DESIGN.md §5):
// live balances that never go negative under concurrent debits, roll-ups
// that count every appended posting exactly once whatever runs beside
// them, coupon and stock limits held by conditional updates, and
// Idempotency-Key claims that only one request wins.
func runCommerce(t *testing.T, h Harness) {
	t.Run("LiveBalanceNeverNegativeUnderConcurrency", func(t *testing.T) { t.Parallel(); testLedgerConcurrentDebits(t, h.New(t)) })
	t.Run("RollupCountsEachPostingOnce", func(t *testing.T) { t.Parallel(); testLedgerRollup(t, h.New(t)) })
	t.Run("VerifyFindsTamperedLedger", func(t *testing.T) { t.Parallel(); testLedgerTamper(t, h.New(t)) })
	t.Run("CouponLimitsHoldUnderConcurrency", func(t *testing.T) { t.Parallel(); testCouponLimits(t, h.New(t)) })
	t.Run("StockNeverOversold", func(t *testing.T) { t.Parallel(); testStock(t, h.New(t)) })
	t.Run("IdempotencyClaimHasOneWinner", func(t *testing.T) { t.Parallel(); testIdemClaim(t, h.New(t)) })
	t.Run("GatewayRefundHoldOnlyOverTheRowRead", func(t *testing.T) { t.Parallel(); testGatewayRefundHold(t, h.New(t)) })
	t.Run("RefundableTopUpsPastManySpent", func(t *testing.T) { t.Parallel(); testRefundableTopUps(t, h.New(t)) })
	t.Run("RefundContextInOneRead", func(t *testing.T) { t.Parallel(); testRefundContext(t, h.New(t)) })
	t.Run("OrderGetWithItsLines", func(t *testing.T) { t.Parallel(); testOrderGetLines(t, h.New(t)) })
}

// testOrderGetLines: OrderGet reads an order with its lines in idx order
// (written out of order), an order without lines with none, outside and
// inside a transaction, and an unknown order is not found.
func testOrderGetLines(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.UnixMilli(time.Now().UnixMilli()).UTC()
	withLines, bare := id.New(), id.New()
	order := func(oid string, lines ...store.OrderLineRow) store.OrderRow {
		return store.OrderRow{ID: oid, AccountID: "acc", PlacedBy: "acc", Channel: "web", State: "created", AgreementVersionID: "v",
			AgreementSHA256: "h", AcceptanceID: "a", Acknowledged: []string{"2.3", "3.1"}, Purpose: "new", SubtotalFen: 300, TotalFen: 300, CreatedAt: t0,
			UpdatedAt: t0, ExpiresAt: t0.Add(time.Hour), Lines: lines}
	}
	line := func(idx int) store.OrderLineRow {
		return store.OrderLineRow{Idx: idx, ProductID: "p" + strconv.Itoa(idx), PlanID: "s1", ProductName: "n", PlanName: "pn", Kind: "vpn",
			Cycle: "month", Quantity: 1, UnitPriceFen: 100, TotalFen: 100, RefundClass: "standard", RefundClause: "3.1", DeliverySLA: time.Minute}
	}
	want := order(withLines, line(0), line(1), line(2))
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.OrderInsert(ctx, order(withLines, line(2), line(0), line(1))); err != nil {
			return err
		}
		return tx.OrderInsert(ctx, order(bare))
	})
	check := func(q store.Querier, where string) {
		t.Helper()
		got, err := store.OrderGet(ctx, q, withLines)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: OrderGet = %+v, %v\nwant %+v", where, got, err, want)
		}
		if got, err := store.OrderGet(ctx, q, bare); err != nil || got.ID != bare || len(got.Lines) != 0 {
			t.Fatalf("%s: the order without lines: %+v, %v", where, got, err)
		}
		if _, err := store.OrderGet(ctx, q, id.New()); !store.IsNotFound(err) {
			t.Fatalf("%s: an unknown order: %v, want not found", where, err)
		}
	}
	check(db, "outside a transaction")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { check(tx, "in a transaction"); return nil })
}

// testRefundableTopUps: a payout's route is the customer's succeeded
// top-ups with money left — their amount less what was refunded and what
// refunds on their way hold (a failed refund holds nothing) — the oldest
// first, read only as far as the amount needs, however many
// spent top-ups came before them; other customers' top-ups, order
// payments and top-ups not yet succeeded are never part of it.
func testRefundableTopUps(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.UnixMilli(time.Now().UnixMilli()).UTC()
	cust, other := id.New(), id.New()
	attempt := func(account, purpose, state string, fen, refunded int64, settled time.Time) store.AttemptRow {
		created := t0
		if !settled.IsZero() {
			created = settled.Add(-time.Minute)
		}
		return store.AttemptRow{ID: id.NewAt(t0), Ref: id.New(), Gateway: "alipay", Kind: "page", Purpose: purpose, AccountID: account,
			AmountFen: fen, State: state, RefundedFen: refunded, ExpiresAt: t0.Add(time.Hour), CreatedAt: created, UpdatedAt: t0, SettledAt: settled}
	}
	refund := func(attemptID string, fen int64, state string) store.GatewayRefundRow {
		return store.GatewayRefundRow{ID: id.New(), RefundRef: id.New(), AttemptID: attemptID, Gateway: "alipay", AmountFen: fen,
			Purpose: "withdrawal", LinkID: id.New(), State: state, NextTryAt: t0, CreatedAt: t0}
	}
	late := attempt(cust, "topup", "succeeded", 1000, 200, t0.Add(1000*time.Second)) // 400 free: 300 + 100 on their way
	early := attempt(cust, "topup", "succeeded", 500, 0, t0.Add(700*time.Second))    // 500 free
	spoken := attempt(cust, "topup", "succeeded", 300, 0, t0.Add(600*time.Second))   // all of it on its way
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for i := range 600 { // spent top-ups, settled before any with money left
			if err := tx.AttemptInsert(ctx, attempt(cust, "topup", "succeeded", 100, 100, t0.Add(time.Duration(i)*time.Second))); err != nil {
				return err
			}
		}
		for _, a := range []store.AttemptRow{late, early, spoken,
			attempt(other, "topup", "succeeded", 900, 0, t0),
			attempt(cust, "order", "succeeded", 900, 0, t0),
			attempt(cust, "topup", "pending", 900, 0, time.Time{})} {
			if err := tx.AttemptInsert(ctx, a); err != nil {
				return err
			}
		}
		for _, r := range []store.GatewayRefundRow{refund(late.ID, 300, "requested"), refund(late.ID, 100, "processing"),
			refund(late.ID, 400, "failed"), refund(late.ID, 200, "succeeded"), refund(spoken.ID, 300, "requested")} {
			if err := tx.GatewayRefundInsert(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	type part struct {
		id   string
		free int64
	}
	for _, tc := range []struct {
		need int64
		want []part
	}{
		{0, []part{{early.ID, 500}, {late.ID, 400}}},
		{300, []part{{early.ID, 500}}},
		{500, []part{{early.ID, 500}}},
		{501, []part{{early.ID, 500}, {late.ID, 400}}},
		{5000, []part{{early.ID, 500}, {late.ID, 400}}},
	} {
		got, err := store.RefundableTopUps(ctx, db, cust, tc.need)
		if err != nil {
			t.Fatal(err)
		}
		var parts []part
		for _, g := range got {
			parts = append(parts, part{g.ID, g.FreeFen})
		}
		if !slices.Equal(parts, tc.want) {
			t.Errorf("need %d: got %v, want %v", tc.need, parts, tc.want)
		}
	}
}

// testGatewayRefundHold: a payout hold is written only over the row as
// its caller read it; once a release cleared the mark, a hold decided on
// the older row is refused.
func testGatewayRefundHold(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	const mark = "held: test"
	r := store.GatewayRefundRow{ID: id.New(), RefundRef: id.New(), AttemptID: id.New(), Gateway: "alipay", AmountFen: 3900, Purpose: "refund",
		LinkID: id.New(), State: "requested", NextTryAt: now, CreatedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.GatewayRefundInsert(ctx, r) })
	hold := func(fromError string) bool {
		var ok bool
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			ok, err = tx.GatewayRefundHold(ctx, r.ID, "requested", 0, fromError, now.Add(time.Hour), mark)
			return err
		})
		return ok
	}
	if !hold("") {
		t.Fatal("the first hold was refused")
	}
	released := r
	released.NextTryAt, released.LastError = now, "" // a release clears the mark
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.GatewayRefundUpdate(ctx, released, "requested", 0)
		if !ok && err == nil {
			t.Error("the release was refused")
		}
		return err
	})
	if hold(mark) {
		t.Error("a hold decided on the row before the release was written over it")
	}
	rs, err := store.HeldGatewayRefunds(ctx, db, store.HeldRefundFilter{Marks: []string{mark}})
	if err != nil || len(rs) != 0 {
		t.Fatalf("held after the release: %+v, %v", rs, err)
	}
}

// spend is a two-posting transaction: customer cash → revenue.
func spend(customer string, fen int64, at time.Time) store.LedgerTxnRow {
	return store.LedgerTxnRow{ID: id.NewAt(at), Reason: "spend", Links: map[string]string{"order": id.New()}, CustomerID: customer, CreatedAt: at,
		Postings: []store.LedgerPostingRow{{Account: "cash:" + customer, AmountFen: -fen, Live: true}, {Account: "revenue", AmountFen: fen}}}
}

func topUp(customer string, fen int64, at time.Time) store.LedgerTxnRow {
	return store.LedgerTxnRow{ID: id.NewAt(at), Reason: "top_up", Links: map[string]string{"payment": id.New()}, CustomerID: customer, CreatedAt: at,
		Postings: []store.LedgerPostingRow{{Account: "gateway_clearing:sandbox", AmountFen: -fen}, {Account: "cash:" + customer, AmountFen: fen, Live: true}}}
}

func testLedgerConcurrentDebits(t *testing.T, db *store.DB) {
	ctx := context.Background()
	cust := id.New()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.LedgerInsert(ctx, topUp(cust, 10000, tx.Now)) })
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.LedgerInsert(ctx, spend(cust, 1000, tx.Now)) })
			switch {
			case err == nil:
				ok.Add(1)
			case store.IsInsufficient(err):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || refused.Load() != 10 {
		t.Fatalf("debits: %d ok, %d refused; want 10 and 10", ok.Load(), refused.Load())
	}
	b, err := store.LedgerBalances(ctx, db, "cash:"+cust, "revenue")
	if err != nil || b["cash:"+cust] != 0 || b["revenue"] != 10000 {
		t.Fatalf("balances = %v, %v", b, err)
	}
	// A refused transaction left nothing behind.
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_txn WHERE customer_id = $1`, cust).Scan(&n); err != nil || n != 11 {
		t.Fatalf("transactions = %d, %v; want 11", n, err)
	}
	if r, err := db.LedgerVerify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify = %+v, %v", r, err)
	}
}

func testLedgerRollup(t *testing.T, db *store.DB) {
	ctx := context.Background()
	cust := id.New()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.LedgerInsert(ctx, topUp(cust, 1_000_000, tx.Now))
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 { // roll-ups racing each other and the writers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { _, err := tx.LedgerRollup(ctx, 50); return err }); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for range 8 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for range 10 {
				if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.LedgerInsert(ctx, spend(cust, 7, tx.Now)) }); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	want := map[string]int64{"cash:" + cust: 1_000_000 - 80*7, "revenue": 80 * 7, "gateway_clearing:sandbox": -1_000_000}
	for round := range 2 { // before and after a final roll-up
		b, err := store.LedgerBalances(ctx, db, "cash:"+cust, "revenue", "gateway_clearing:sandbox")
		if err != nil {
			t.Fatal(err)
		}
		for acc, v := range want {
			if b[acc] != v {
				t.Fatalf("round %d: %s = %d, want %d", round, acc, b[acc], v)
			}
		}
		if r, err := db.LedgerVerify(ctx); err != nil || !r.OK() {
			t.Fatalf("round %d: verify = %+v, %v", round, r, err)
		}
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { _, err := tx.LedgerRollup(ctx, 1000); return err })
	}
}

func testLedgerTamper(t *testing.T, db *store.DB) {
	ctx := context.Background()
	cust := id.New()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.LedgerInsert(ctx, topUp(cust, 500, tx.Now)) })
	if _, err := db.Writer().ExecContext(ctx, `UPDATE ledger_posting SET amount_fen = 400 WHERE account = $1`, "cash:"+cust); err != nil {
		t.Fatal(err)
	}
	r, err := db.LedgerVerify(ctx)
	if err != nil || r.OK() || len(r.Unbalanced) != 1 || len(r.Mismatched) != 1 {
		t.Fatalf("verify after tampering = %+v, %v", r, err)
	}
}

func testCouponLimits(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.CouponPut(ctx, store.CouponRow{Code: "LIMITED", Kind: "fixed", AmountFen: 100, MaxUses: 5, MaxUsesPerCustomer: 2, Active: true,
			CreatedBy: "t", CreatedAt: tx.Now})
	})
	customers := []string{id.New(), id.New(), id.New(), id.New()}
	var mu sync.Mutex
	taken := map[string]int{}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := customers[i%len(customers)]
			var scope string
			err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				var err error
				scope, err = tx.CouponTake(ctx, "LIMITED", c, id.New(), 5, 2, 100)
				return err
			})
			if err != nil {
				t.Error(err)
				return
			}
			if scope == "" {
				mu.Lock()
				taken[c]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := 0
	for c, n := range taken {
		if n > 2 {
			t.Fatalf("customer %s took %d uses, limit 2", c, n)
		}
		total += n
	}
	c, err := store.CouponGet(ctx, db, "LIMITED")
	if err != nil || total != 5 || c.Uses != 5 {
		t.Fatalf("uses = %d (row %d), %v; want 5", total, c.Uses, err)
	}
	// Restoring an order's use restores it once.
	var orderID string
	if err := db.QueryRow(ctx, `SELECT order_id FROM coupon_use WHERE code = 'LIMITED' LIMIT 1`).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		var got bool
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			got, err = tx.CouponRestore(ctx, orderID)
			return err
		})
		if got != want {
			t.Fatalf("restore %d = %v, want %v", i, got, want)
		}
	}
	if c, _ := store.CouponGet(ctx, db, "LIMITED"); c.Uses != 4 {
		t.Fatalf("uses after restore = %d", c.Uses)
	}
}

func testStock(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.ProductPut(ctx, store.ProductRow{ID: "p", Name: "p", Kind: "cloud_server", Spec: "{}", DeliverySLA: time.Minute, Driver: "manual",
			CreatedAt: tx.Now, UpdatedAt: tx.Now}); err != nil {
			return err
		}
		if err := tx.PlanPut(ctx, store.PlanRow{ID: "counted", ProductID: "p", Name: "c", Prices: "[]", Stock: 7}, true); err != nil {
			return err
		}
		return tx.PlanPut(ctx, store.PlanRow{ID: "free", ProductID: "p", Name: "f", Prices: "[]", Stock: -1}, true)
	})
	var sold atomic.Int64
	var wg sync.WaitGroup
	for n := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				var err error
				ok, err = tx.PlanTakeStock(ctx, "counted", 2, n%2 == 0) // half with a stale "unlimited" hint
				return err
			}); err != nil {
				t.Error(err)
			}
			if ok {
				sold.Add(2)
			}
		}()
	}
	wg.Wait()
	ps, err := store.Plans(ctx, db, "p")
	if err != nil || sold.Load() != 6 || ps[0].Stock != 1 {
		t.Fatalf("sold %d, left %+v, %v; want 6 sold and 1 left", sold.Load(), ps, err)
	}
	var ok bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		ok, err = tx.PlanTakeStock(ctx, "free", 1000, false)
		return err
	})
	if !ok {
		t.Fatal("an unlimited plan refused a sale")
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		ok, err = tx.PlanTakeStock(ctx, "free", 1000, true)
		return err
	})
	if !ok {
		t.Fatal("an unlimited plan, seen unlimited, refused a sale")
	}
}

func testIdemClaim(t *testing.T, db *store.DB) {
	ctx := context.Background()
	acct := id.New()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	var wins atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := store.IdemRow{AccountID: acct, Key: "k", Operation: "checkout", BodyHash: "h", State: "in_flight", Response: id.New(),
				CreatedAt: now, LockedUntil: now.Add(time.Minute)}
			var ok bool
			if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				var err error
				ok, err = tx.IdemClaim(ctx, r, time.Time{})
				return err
			}); err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("claims won = %d, want 1", wins.Load())
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.IdemComplete(ctx, acct, "k", 201, `{"id":"x"}`)
	})
	got, err := store.IdemGet(ctx, db, acct, "k")
	if err != nil || got.State != "done" || got.Status != 201 || got.Response != `{"id":"x"}` {
		t.Fatalf("record = %+v, %v", got, err)
	}
	// Release never forgets a completed key; prune forgets old ones.
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.IdemRelease(ctx, acct, "k") })
	if _, err := store.IdemGet(ctx, db, acct, "k"); err != nil {
		t.Fatalf("released a completed key: %v", err)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.IdemPrune(ctx, now.Add(time.Second))
		return err
	})
	if _, err := store.IdemGet(ctx, db, acct, "k"); !store.IsNotFound(err) {
		t.Fatalf("after prune: %v", err)
	}
}
