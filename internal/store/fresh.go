package store

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// freshMemo is what a transaction knows of rows it inserted itself (issue
// 19: a checkout read back the delivery records and payments it had just
// written). Such a row is invisible to every other transaction until this
// one commits, so nobody else can have changed it, and the children of an
// order inserted here — its payments — can only have been written here
// too: their ids are unknown outside and each references the order.
// Reads through the transaction answer from the memo exactly what the
// database would (instants in milliseconds, the reads' order); the typed
// writers keep it right. A raw Exec that writes such rows must call
// Forget, and a Nested step that fails forgets it as well.
//
// Under group commit the members of one physical transaction can see each
// other's uncommitted rows, but no member writes another's: they are
// separate requests that do not know each other's ids.
type freshMemo struct {
	// orders are the orders tx inserted, with the payments tx wrote for
	// them as a read would return them (oldest first).
	orders map[string][]PaymentRow
	// provisions are the provisioning records tx inserted, as ProvisionGet
	// would read them now.
	provisions map[string]ProvisionRow
	// services are the services tx inserted.
	services map[string]bool
}

// rememberFreshOrder records that tx inserted order id.
func (tx *Tx) rememberFreshOrder(id string) {
	if tx.fresh.orders == nil {
		tx.fresh.orders = map[string][]PaymentRow{}
	}
	tx.fresh.orders[id] = nil
}

// freshOrder reports whether tx inserted order id.
func (tx *Tx) freshOrder(id string) bool {
	_, ok := tx.fresh.orders[id]
	return ok
}

// freshPayments answers Payments for an order tx inserted.
func (tx *Tx) freshPayments(orderID string) ([]PaymentRow, bool) {
	if tx == nil {
		return nil, false
	}
	ps, ok := tx.fresh.orders[orderID]
	return slices.Clone(ps), ok
}

// rememberPayment keeps p, just inserted, when its order is fresh.
func (tx *Tx) rememberPayment(p PaymentRow) {
	ps, ok := tx.fresh.orders[p.OrderID]
	if !ok {
		return
	}
	p.CreatedAt, p.SettledAt = FromMs(Ms(p.CreatedAt)), FromNullMs(NullMs(p.SettledAt))
	ps = append(ps, p)
	slices.SortStableFunc(ps, func(a, b PaymentRow) int { return strings.Compare(a.ID, b.ID) })
	tx.fresh.orders[p.OrderID] = ps
}

// settlePayment applies PaymentSettle to a remembered payment: ok is
// whether the statement moved it. A payment the statement did not move
// makes its order's payments unknown (read again).
func (tx *Tx) settlePayment(id, state, ledgerTxnID string, at time.Time, ok bool) {
	for oid, ps := range tx.fresh.orders {
		for i := range ps {
			if ps[i].ID != id {
				continue
			}
			if !ok {
				delete(tx.fresh.orders, oid)
				return
			}
			ps[i].State, ps[i].LedgerTxnID, ps[i].SettledAt = state, ledgerTxnID, FromMs(Ms(at))
			return
		}
	}
}

// provisionAsStored is r as a read returns it: instants in milliseconds,
// addresses through their JSON column.
func provisionAsStored(r ProvisionRow) ProvisionRow {
	r.DeliverBy, r.DeliveredAt, r.AcceptedAt = FromNullMs(NullMs(r.DeliverBy)), FromNullMs(NullMs(r.DeliveredAt)), FromNullMs(NullMs(r.AcceptedAt))
	r.AcceptDue = FromNullMs(NullMs(r.AcceptDue))
	r.CreatedAt, r.UpdatedAt = FromMs(Ms(r.CreatedAt)), FromMs(Ms(r.UpdatedAt))
	var addrs []string
	_ = json.Unmarshal([]byte(addrJSON(r.Addresses)), &addrs)
	r.Addresses = addrs
	return r
}

func cloneProvision(r ProvisionRow) ProvisionRow {
	r.Addresses = slices.Clone(r.Addresses)
	return r
}

// freshProvisions answers Provisions when f asks only for the records of
// an order tx inserted: those are exactly the records tx inserted for it.
func (tx *Tx) freshProvisions(f ProvisionFilter) ([]ProvisionRow, bool) {
	if tx == nil || f.OrderID == "" || len(f.States) > 0 || !f.DueBefore.IsZero() || !f.AcceptDueBefore.IsZero() || f.AcceptDueUnknown || f.OpenOrders {
		return nil, false
	}
	if _, ok := tx.fresh.orders[f.OrderID]; !ok {
		return nil, false
	}
	var out []ProvisionRow
	for _, r := range tx.fresh.provisions {
		if r.OrderID == f.OrderID {
			out = append(out, cloneProvision(r))
		}
	}
	// ORDER BY deliver_by_ms, service_id: a NULL deadline sorts first on
	// SQLite and last on PostgreSQL.
	nullsFirst := tx.Engine() == SQLite
	slices.SortFunc(out, func(a, b ProvisionRow) int {
		if az, bz := a.DeliverBy.IsZero(), b.DeliverBy.IsZero(); az != bz {
			if az == nullsFirst {
				return -1
			}
			return 1
		}
		if c := a.DeliverBy.Compare(b.DeliverBy); c != 0 {
			return c
		}
		return strings.Compare(a.ServiceID, b.ServiceID)
	})
	if f.Limit <= 0 {
		f.Limit = 500
	}
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, true
}
