package storetest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// testStepAhead: a Nested step whose first statement goes ahead of the
// transaction's queued writes (Tx.ExecAhead: the sandbox lease of a
// delivery in the payment's transaction) takes its SAVEPOINT with it, so
// that its updates of the order, service and provisioning record the
// transaction inserted amend their queued inserts. The rows then commit
// as updated, in fewer statements on PostgreSQL, also when the lease
// searches the pool (its later insert goes ahead too); a step that fails —
// before anything else was sent, after a read sent the queue, or on a
// write the server refuses — leaves them, and nothing of its own, as they
// were queued before it, and the transaction commits them.
func testStepAhead(t *testing.T, db *store.DB) {
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	boom := errors.New("boom")
	cases := []struct {
		name string
		// step runs after the lease and the updates; its error fails the step.
		step    func(ctx context.Context, tx *store.Tx, sid string) error
		applied bool
		// slotTaken leases the token's own slot of the pool to another
		// token first: the lease searches the pool, its insert after the
		// step's SAVEPOINT went ahead.
		slotTaken bool
	}{
		{"Succeeds", func(context.Context, *store.Tx, string) error { return nil }, true, false},
		{"SucceedsWhenTheLeaseSearchesThePool", func(context.Context, *store.Tx, string) error { return nil }, true, true},
		{"FailsWithNothingSent", func(context.Context, *store.Tx, string) error { return boom }, false, false},
		{"FailsAfterAReadSentTheQueue", func(ctx context.Context, tx *store.Tx, sid string) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM service WHERE id = $1 AND state = 'active'`, sid).Scan(&n); err != nil || n != 1 {
				return errors.Join(err, errors.New("the step does not see its own update"))
			}
			return boom
		}, false, false},
		{"FailsOnAWriteTheServerRefuses", func(ctx context.Context, tx *store.Tx, _ string) error {
			dup := Event(at, "dup")
			if err := writeGiven(ctx, tx, dup.ID, at, "dup"); err != nil {
				return err
			}
			return writeGiven(ctx, tx, dup.ID, at, "dup")
		}, false, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A pool of its own: a step that succeeded keeps its lease.
			pool := []string{fmt.Sprintf("198.18.%d.1", 10+i), fmt.Sprintf("198.18.%d.2", 10+i)}
			oid, sid := id.NewAt(at), id.NewAt(at)
			ord := store.OrderRow{ID: oid, AccountID: "acc", PlacedBy: "acc", Channel: "web", State: "provisioning", AgreementVersionID: "v",
				AgreementSHA256: "h", AcceptanceID: "a", SubtotalFen: 100, TotalFen: 100, PaidFen: 100, CreatedAt: at, UpdatedAt: at,
				ExpiresAt: at.Add(time.Hour), PaidAt: at, DeliverBy: at.Add(time.Hour)}
			svc := store.ServiceRow{ID: sid, AccountID: "acc", OrderID: oid, ProductID: "p", PlanID: "s", Kind: "cloud_server", Cycle: "month",
				Name: "p · s", State: "pending", CreatedAt: at, UpdatedAt: at}
			rec := store.ProvisionRow{ServiceID: sid, OrderID: oid, AccountID: "acc", Driver: "sandbox", Sandbox: true, State: "queued",
				DeliverBy: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at}
			later := at.Add(time.Second)
			other := ""
			if c.slotTaken {
				h := fnv.New32a()
				_, _ = h.Write([]byte(sid))
				other = pool[h.Sum32()%uint32(len(pool))]
				mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
					_, _, err := tx.SandboxLease(ctx, "someone-else-"+sid, []string{other}, at)
					return err
				})
			}
			ctx, n := store.CountStatements(context.Background())
			var stepErr error
			err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				if err := tx.OrderInsert(ctx, ord); err != nil {
					return err
				}
				if err := tx.ServiceInsert(ctx, svc); err != nil {
					return err
				}
				if err := tx.ProvisionInsert(ctx, rec); err != nil {
					return err
				}
				stepErr = tx.Nested(ctx, func() error {
					addr, ok, err := tx.SandboxLease(ctx, sid, pool, later)
					if err != nil || !ok {
						return errors.Join(err, errors.New("no lease"))
					}
					d := rec
					d.State, d.DeliveredAt, d.Addresses, d.Attempts, d.UpdatedAt = "delivered", later, []string{addr}, 1, later
					if ok, err := tx.ProvisionUpdate(ctx, d, "queued"); err != nil || !ok {
						return errors.Join(err, errors.New("provision update refused"))
					}
					s := svc
					s.State, s.StartsAt, s.ExpiresAt, s.UpdatedAt = "active", later, later.AddDate(0, 1, 0), later
					if ok, err := tx.ServiceUpdate(ctx, s, at); err != nil || !ok {
						return errors.Join(err, errors.New("service update refused"))
					}
					if err := tx.ServiceMeterSet(ctx, sid, store.ServiceMeter{NodeID: "sandbox", QuotaLevel: 2}); err != nil {
						return err
					}
					o := ord
					o.State, o.DeliveredAt, o.UpdatedAt = "delivered", later, later
					if ok, err := tx.OrderUpdate(ctx, o, "provisioning"); err != nil || !ok {
						return errors.Join(err, errors.New("order update refused"))
					}
					return c.step(ctx, tx, sid)
				})
				return nil
			})
			if err != nil {
				t.Fatalf("InTx: %v (the step: %v)", err, stepErr)
			}
			if c.applied != (stepErr == nil) {
				t.Fatalf("the step: %v", stepErr)
			}
			bg := context.Background()
			gotOrd, err1 := store.OrderGet(bg, db, oid)
			gotSvc, err2 := store.ServiceGet(bg, db, sid)
			gotRec, err3 := store.ProvisionGet(bg, db, sid)
			meter, err4 := store.ServiceMeterGet(bg, db, sid)
			if err := errors.Join(err1, err2, err3, err4); err != nil {
				t.Fatal(err)
			}
			var leases int
			if err := db.QueryRow(bg, `SELECT COUNT(*) FROM sandbox_lease WHERE token = $1`, sid).Scan(&leases); err != nil {
				t.Fatal(err)
			}
			if c.applied {
				if gotOrd.State != "delivered" || !gotOrd.DeliveredAt.Equal(later) || gotSvc.State != "active" || !gotSvc.StartsAt.Equal(later) ||
					!gotSvc.UpdatedAt.Equal(later) || gotRec.State != "delivered" || len(gotRec.Addresses) != 1 || gotRec.Attempts != 1 ||
					meter.NodeID != "sandbox" || meter.QuotaLevel != 2 || leases != 1 || c.slotTaken && gotRec.Addresses[0] == other {
					t.Errorf("after the step: order %s, service %s, record %s %v, meter %+v, %d leases", gotOrd.State, gotSvc.State, gotRec.State,
						gotRec.Addresses, meter, leases)
				}
				// PostgreSQL: the three inserts (the updates amend them), the
				// SAVEPOINT with the lease, and the RELEASE.
				want := int64(6)
				if db.Engine() != store.Postgres {
					want = 10 // and the four updates
				}
				if c.slotTaken {
					want += 3 // the lease's own read, the pool's window, and the insert of the free address
				}
				if got := n.InTx.Load(); got != want {
					t.Errorf("%d statements, want %d", got, want)
				}
				return
			}
			if gotOrd.State != "provisioning" || !gotOrd.DeliveredAt.IsZero() || gotSvc.State != "pending" || !gotSvc.StartsAt.IsZero() ||
				!gotSvc.UpdatedAt.Equal(at) || gotRec.State != "queued" || len(gotRec.Addresses) != 0 || gotRec.Attempts != 0 ||
				meter.NodeID != "" || meter.QuotaLevel != 0 || leases != 0 {
				t.Errorf("after a failed step: order %s, service %s, record %s %v, meter %+v, %d leases", gotOrd.State, gotSvc.State, gotRec.State,
					gotRec.Addresses, meter, leases)
			}
		})
	}
}
