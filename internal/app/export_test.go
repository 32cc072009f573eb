package app

import (
	"context"
	"errors"
	"strconv"
	"time"

	"yuanxu/internal/money"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// CreditCashForTest credits a customer's cash from the sandbox gateway, as
// a verified top-up would.
func (a *App) CreditCashForTest(ctx context.Context, customer string, amount money.Fen) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.seedBalance(ctx, tx, customer, amount, "test")
	})
}

// CreditRefundCreditForTest credits a customer's refund credit (by a
// ledger adjustment), as a refund to the balance would.
func (a *App) CreditRefundCreditForTest(ctx context.Context, customer string, amount money.Fen) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		b, err := balancesOf(ctx, tx, customer)
		if err != nil {
			return err
		}
		t, err := wallet.Adjust(wallet.AdjustParams{Balances: b, Account: wallet.RefundCredit, Amount: amount, Memo: "test", AdjustmentID: "test"})
		if err != nil {
			return err
		}
		_, err = a.post(ctx, tx, t)
		return err
	})
}

// SetDriverForTest installs d as the driver named name.
func (a *App) SetDriverForTest(name string, d Driver) {
	st := *a.delivery()
	st.drivers = map[string]Driver{}
	for k, v := range a.delivery().drivers {
		st.drivers[k] = v
	}
	st.drivers[name] = d
	a.deliveryCfg.Store(&st)
}

// FailRecordForTest makes each record step call f first (an error from f
// aborts the record's transaction, as a crash would).
func (a *App) FailRecordForTest(f func() error) {
	st := *a.delivery()
	st.failRecord = f
	a.deliveryCfg.Store(&st)
}

// DeliverOrderForTest delivers every waiting service of an order as staff
// would by hand (a certificate is first recorded through its CA states),
// so tests of later stages start from a delivered order.
func (a *App) DeliverOrderForTest(ctx context.Context, orderID string) error {
	recs, err := store.Provisions(ctx, a.db, store.ProvisionFilter{OrderID: orderID})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if rec.State == ProvDelivered || rec.State == ProvCancelled {
			continue
		}
		svc, err := store.ServiceGet(ctx, a.db, rec.ServiceID)
		if err != nil {
			return err
		}
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			if svc.Kind != "certificate" {
				return nil
			}
			for _, st := range []string{"validating", "submitted_to_ca", "issued"} {
				if err := tx.CertStateInsert(ctx, store.CertStateRow{ServiceID: svc.ID, State: st, At: tx.Now, RecordedBy: "test"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		res := ProvisionResult{Complete: true, Notes: "delivered by hand (test)", Credentials: map[string]string{"password": "test"}}
		if svc.Kind != "certificate" {
			res.Addresses = []string{"203.0.113." + strconv.Itoa(int(svc.ID[len(svc.ID)-1])%250+1)}
		}
		if err := a.recordDelivery(ctx, svc.ID, res, rec.Driver, "test"); err != nil {
			return err
		}
	}
	return nil
}

// ACMEDriverForTest is the installed acme driver (nil before ConfigureACME).
func (a *App) ACMEDriverForTest() Driver { return a.delivery().drivers["acme"] }

// RequeueDeliveryForTest requeues a service's delivery as a customer's
// certificate request does (requeueDelivery), in its own transaction.
func (a *App) RequeueDeliveryForTest(ctx context.Context, serviceID, why string) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		rec, err := store.ProvisionGet(ctx, tx, serviceID)
		if err != nil {
			return err
		}
		return a.requeueDelivery(ctx, tx, rec, why)
	})
}

// RunSweepForTest runs the registered sweep name once at now.
func (a *App) RunSweepForTest(ctx context.Context, name string, now time.Time) (int64, error) {
	a.sweeps.mu.Lock()
	fn := a.sweeps.named[name]
	a.sweeps.mu.Unlock()
	if fn == nil {
		return 0, errors.New("no sweep " + name)
	}
	return fn(ctx, now)
}
