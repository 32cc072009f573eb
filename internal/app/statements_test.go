package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// The statement budgets hold the hot paths of issue 19 to the SQL
// statements they issue (store.CountStatements), on the engine under
// test: a figure of the code, not of the machine, so a change that adds a
// round trip to a checkout fails here instead of going unnoticed in a
// noisy benchmark. Each path runs once first, so that caches (catalog,
// agreement texts, policy, nodes) are warm, as in a running server. When
// a change lowers a count, lower its budget.

// budget is at most inTx statements in at most txs transactions, and at
// most pool reads on the reader pool; on PostgreSQL, where Tx.Write
// pipelines, the statements in transactions go in at most pgTrips round
// trips, and where DB.ReadTogether pipelines, the reads on the pool in at
// most pgPoolTrips (0: no limit beyond inTx and pool); pgInTx, when set,
// is PostgreSQL's own budget of statements in transactions, where updates
// of rows the transaction inserted amend their queued inserts.
type budget struct{ inTx, pool, txs, pgTrips, pgPoolTrips, pgInTx int64 }

func checkBudget(t *testing.T, name string, db *store.DB, c *store.StatementCount, b budget) {
	t.Helper()
	inTx, pool, txs, trips, poolTrips := c.InTx.Load(), c.Pool.Load(), c.Txs.Load(), c.Trips.Load(), c.PoolTrips.Load()
	t.Logf("%s: %d statements in %d transactions (%d trips), %d reads on the pool (%d trips)", name, inTx, txs, trips, pool, poolTrips)
	if inTx > b.inTx || pool > b.pool || txs > b.txs {
		t.Errorf("%s: %d statements in %d transactions and %d reads on the pool; budget %d in %d and %d",
			name, inTx, txs, pool, b.inTx, b.txs, b.pool)
	}
	if db.Engine() == store.Postgres && b.pgInTx > 0 && inTx > b.pgInTx {
		t.Errorf("%s: %d statements in transactions; budget %d on PostgreSQL", name, inTx, b.pgInTx)
	}
	if db.Engine() == store.Postgres && b.pgTrips > 0 && trips > b.pgTrips {
		t.Errorf("%s: %d round trips in transactions; budget %d", name, trips, b.pgTrips)
	}
	if db.Engine() == store.Postgres && b.pgPoolTrips > 0 && poolTrips > b.pgPoolTrips {
		t.Errorf("%s: %d round trips of reads on the pool; budget %d", name, poolTrips, b.pgPoolTrips)
	}
}

// TestStatementBudgets: a checkout paid from the balance (placed, paid
// and delivered by the sandbox in one transaction) and a refund
// eligibility decision, on a started App, as a serving instance runs
// them: its delivery notice is sent by the dispatcher (ADR 22), after the
// commit and outside the count, so the checkout's transaction no longer
// writes a job (and no longer sends its queued writes ahead of one).
func TestStatementBudgets(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	if err := s.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.a.Stop(ctx)
	})
	_, p := s.buyer(t, 100000)
	checkout := func(ctx context.Context) app.OrderView {
		v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack(),
			Pay: payNow()}, app.Idem{})
		if err != nil {
			t.Fatal(err)
		}
		if v.State != "delivered" {
			t.Fatalf("order %s is %s, want delivered", v.ID, v.State)
		}
		return v
	}
	warm := checkout(context.Background())
	if _, err := s.a.RefundPreview(context.Background(), p, warm.ID); err != nil {
		t.Fatal(err)
	}
	// The measured checkout leases its sandbox address from an empty pool,
	// so that its token's own slot is free and the lease is one statement:
	// with the warm-up's lease kept, one run in about 250 hashed both
	// tokens to the same slot of the /24, and the lease searched the pool
	// (three statements more, which the storage suite's step test counts).
	if err := s.a.DB().InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM sandbox_lease`)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		run  func(ctx context.Context)
		want budget
	}{
		// The account and its roles (over HTTP authentication has read
		// them, in one trip), then the six reads of store.CheckoutReadsOf
		// in one.
		{"CheckoutPaidFromBalance", func(ctx context.Context) { checkout(ctx) }, budget{inTx: 28, pool: 8, txs: 1, pgTrips: 4, pgPoolTrips: 3, pgInTx: 23}},
		{"RefundEligibility", func(ctx context.Context) {
			// A GET: the web layer gives it a request memo.
			if _, err := s.a.RefundPreview(app.WithRequestMemo(ctx), p, warm.ID); err != nil {
				t.Fatal(err)
			}
			// The order with its refund context, then the account and its
			// roles (over HTTP authentication has read them): 9 reads in 9
			// trips before store.OrderWithRefundContext.
		}, budget{pool: 4, pgPoolTrips: 3}},
	}
	for _, tt := range tests {
		ctx, c := store.CountStatements(context.Background())
		tt.run(ctx)
		checkBudget(t, tt.name, s.a.DB(), c, tt.want)
	}
}

// TestStatementBudgetUsageBatch: a node's batch of 100 samples for one
// service is one transaction of a few statements, whatever the batch's
// size (multi-row inserts of the samples and their roll-ups).
func TestStatementBudgetUsageBatch(t *testing.T) {
	t.Parallel()
	a, f := benchApp(t, storetest.Harness{New: func(t testing.TB) *store.DB { return storetest.Open(t) }}, 1, 1)
	svc := f.Services[0]
	// Both batches within one hour: a batch that crossed an hour would add
	// the next hour's roll-up to the count (a flake in one CI run in ~36).
	base := svc.StartsAt.Add(-30 * 24 * time.Hour).Truncate(time.Hour).Add(time.Hour)
	batch := func(from int) []byte {
		var s strings.Builder
		s.WriteString(`{"samples":[`)
		for k := range 100 {
			if k > 0 {
				s.WriteByte(',')
			}
			at := base.Add(time.Duration(from+k) * time.Second).UTC().Format(time.RFC3339)
			fmt.Fprintf(&s, `{"service_id":%q,"interval_start":%q,"interval_seconds":1,"rx_bytes":100,"tx_bytes":1000}`, svc.ID, at)
		}
		s.WriteString(`]}`)
		return []byte(s.String())
	}
	for i := range 2 { // the first warms the node's and the service's caches
		ctx, c := store.CountStatements(context.Background())
		if res, err := a.IngestUsage(ctx, f.NodeToken, batch(i*100)); err != nil || res.Accepted != 100 {
			t.Fatalf("ingest: %+v, %v", res, err)
		}
		if i == 1 {
			checkBudget(t, "UsageBatchOf100", a.DB(), c, budget{inTx: 12, pool: 5, txs: 2})
		}
	}
}

// TestStatementBudgetAcceptSweep: the acceptance sweep (clause 2.3) reads
// only deliveries whose inspection window has ended: with every window
// still open it is two indexed reads (the backfill of deliveries made
// before migration 00026, and the due ones) and no transaction, however
// many deliveries are waiting (ADR 20).
func TestStatementBudgetAcceptSweep(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	_, p := s.buyer(t, 100000)
	for range 3 {
		s.buy(t, p, "cs-nc-bw", "s1", "month")
	}
	ctx, c := store.CountStatements(context.Background())
	n, err := s.a.RunSweepForTest(ctx, "delivery.accept", s.clock.Now().Add(time.Hour))
	if err != nil || n != 0 {
		t.Fatalf("sweep inside the windows: %d accepted, %v", n, err)
	}
	checkBudget(t, "AcceptSweepInsideWindows", s.a.DB(), c, budget{pool: 2})
	n, err = s.a.RunSweepForTest(context.Background(), "delivery.accept", s.clock.Now().Add(25*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("sweep after the windows: %d accepted, %v; want 3", n, err)
	}
}
