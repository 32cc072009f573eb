package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"yuanxu/internal/catalog"
	"yuanxu/internal/delivery"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/jobs"
	"yuanxu/internal/notify"
	"yuanxu/internal/order"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
)

// Delivery (issue 13; clauses 2.2 and 2.3; ADR 0006). When an order is
// paid, each service it makes (but traffic packs, active at once) gets a
// provisioning record in state queued and a River job, in the payment's
// transaction, and the order moves to provisioning. The job calls the
// product's Driver outside any transaction with the service id as the
// idempotency token, then records what the driver delivered in one
// transaction: the service active from delivered_at, credentials sealed,
// addresses in the address history, certificate states, the customer told,
// and the order delivered once every service of it is.

// ProvisionRequest is what a driver is asked to deliver.
type ProvisionRequest struct {
	// Token is the idempotency token, stable for the service across
	// retries, crashes and instances (the service id): a driver that was
	// called with a token before must not repeat its effect, only answer
	// what it did.
	Token                                    string
	ServiceID, OrderID, AccountID, ProductID string
	PlanID, Kind                             string
	Spec                                     ProductSpec
}

// ProvisionResult is what a driver did. Complete=false means the delivery
// is pending (done by a person, or asynchronously): the service waits in
// the operations queue until it is fulfilled.
type ProvisionResult struct {
	Complete    bool
	Addresses   []string
	Credentials map[string]string
	Notes       string
	// Sandbox marks a delivery of test resources: the customer sees it
	// labelled "sandbox".
	Sandbox bool
}

// Driver delivers products of the kinds it supports (catalog.Driver names
// it per product). Provision runs outside any transaction and may be
// called again with the same token after an error or a crash; it must
// make its effect at most once per token (keep its own record keyed by
// the token, or use an idempotent provider API) and answer the same
// result. An error is retried by the job with backoff.
type Driver interface {
	Provision(ctx context.Context, req ProvisionRequest) (ProvisionResult, error)
	// Local reports that Provision does no network I/O and answers at
	// once: the app then also runs it right after the payment commits,
	// so the customer need not wait for the job (which stays as the
	// durable backstop and finds the work done).
	Local() bool
}

// TxDriver is a Driver whose whole effect is rows in yuanxu's own
// database (the sandbox driver's address lease). It delivers inside the
// payment's transaction (ADR 0010): the effect, the delivery record and the
// payment commit together, so a paid sandbox order is delivered by the time
// the customer's request is answered and no job is needed. ProvisionTx
// makes the same effect as Provision, with tx's writes; it may be called
// again for the same token after a rolled-back attempt.
type TxDriver interface {
	Driver
	ProvisionTx(ctx context.Context, tx *store.Tx, req ProvisionRequest) (ProvisionResult, error)
}

// DeliveryConfig configures the drivers.
type DeliveryConfig struct {
	// SandboxPool is the prefix the sandbox driver leases test addresses
	// from (default 198.18.0.0/24, RFC 2544 benchmarking space).
	SandboxPool netip.Prefix
	// Drivers adds or replaces drivers by catalog name (acme, wireguard,
	// nginx plug in here).
	Drivers map[string]Driver
	// CDN (the nginx driver, netdrv_cdn.go): the zone CNAME targets are
	// made in (default cdn.yuanxu.invalid), the DNS server ownership TXT
	// records are checked at (host:port; default 223.5.5.5:53), and
	// whether origins may be private or loopback addresses (tests, demo).
	CDNZone                string
	CDNResolver            string
	CDNAllowPrivateOrigins bool
}

type deliveryState struct {
	drivers map[string]Driver
	// failRecord, when set, is called at the start of each record step
	// (tests: a crash between the driver's effect and the record).
	failRecord           func() error
	cdnZone, cdnResolver string
	cdnPrivateOrigins    bool
}

// ConfigureDelivery installs the drivers. Without it the sandbox driver
// (198.18.0.0/24) and the manual driver are used.
func (a *App) ConfigureDelivery(c DeliveryConfig) error {
	pool := c.SandboxPool
	if !pool.IsValid() {
		pool = netip.MustParsePrefix("198.18.0.0/24")
	}
	if !pool.Addr().Is4() || pool.Bits() < 16 {
		return fmt.Errorf("delivery: sandbox pool %s: want an IPv4 prefix of /16 or longer", pool)
	}
	st := &deliveryState{drivers: map[string]Driver{
		string(catalog.DriverSandbox): &sandboxDriver{db: a.db, pool: poolAddrs(pool)},
		string(catalog.DriverManual):  manualDriver{},
		// The network drivers (issue 13) need only the database: their
		// nodes' agents pull what they provision.
		string(catalog.DriverWireGuard): wireguardDriver{a: a},
		string(catalog.DriverNginx):     cdnDriver{a: a},
	}, cdnZone: c.CDNZone, cdnResolver: c.CDNResolver, cdnPrivateOrigins: c.CDNAllowPrivateOrigins}
	if st.cdnZone == "" {
		st.cdnZone = "cdn.yuanxu.invalid"
	}
	if st.cdnResolver == "" {
		st.cdnResolver = "223.5.5.5:53"
	}
	if a.acmeCfg.Load() != nil { // ConfigureACME ran first (acme.go)
		st.drivers[string(catalog.DriverACME)] = &acmeDriver{a: a}
	}
	for k, d := range c.Drivers {
		st.drivers[k] = d
	}
	if old := a.deliveryCfg.Load(); old != nil {
		st.failRecord = old.failRecord
	}
	a.deliveryCfg.Store(st)
	return nil
}

func (a *App) delivery() *deliveryState {
	if st := a.deliveryCfg.Load(); st != nil {
		return st
	}
	_ = a.ConfigureDelivery(DeliveryConfig{})
	return a.deliveryCfg.Load()
}

// poolAddrs lists the usable host addresses of p (network and broadcast
// left out).
func poolAddrs(p netip.Prefix) []string {
	p = p.Masked()
	var out []string
	for a := p.Addr().Next(); p.Contains(a); a = a.Next() {
		if !p.Contains(a.Next()) {
			break // the broadcast address
		}
		out = append(out, a.String())
	}
	return out
}

// sandboxDriver leases a test address from its pool at once: the lease,
// keyed by the token, is its one effect.
type sandboxDriver struct {
	db   *store.DB
	pool []string
}

func (d *sandboxDriver) Local() bool { return true }

func (d *sandboxDriver) Provision(ctx context.Context, req ProvisionRequest) (ProvisionResult, error) {
	var res ProvisionResult
	err := d.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		res, err = d.ProvisionTx(ctx, tx, req)
		return err
	})
	return res, err
}

func (d *sandboxDriver) ProvisionTx(ctx context.Context, tx *store.Tx, req ProvisionRequest) (ProvisionResult, error) {
	addr, ok, err := tx.SandboxLease(ctx, req.Token, d.pool, tx.Now)
	if err != nil {
		return ProvisionResult{}, err
	}
	if !ok {
		return ProvisionResult{}, errs.E(errs.Op("app.sandboxDriver"), errs.Unavailable, "delivery.pool_exhausted", "the sandbox address pool is exhausted")
	}
	res := ProvisionResult{Complete: true, Sandbox: true, Notes: "sandbox delivery: test resources, not a real machine"}
	if req.Kind != string(catalog.KindCertificate) {
		res.Addresses = []string{addr}
	}
	switch catalog.Kind(req.Kind) {
	case catalog.KindCloudServer:
		res.Credentials = map[string]string{"username": "root", "password": "sandbox-" + req.Token[max(0, len(req.Token)-8):]}
	case catalog.KindVPN:
		res.Credentials = map[string]string{"endpoint": addr + ":51820", "preshared_key": "sandbox-" + req.Token[max(0, len(req.Token)-12):]}
	case catalog.KindCDN:
		res.Credentials = map[string]string{"cname": "sandbox-" + req.Token[max(0, len(req.Token)-8):] + ".cdn.invalid"}
	}
	return res, nil
}

// manualDriver leaves the service to operations staff: it has no effect
// and answers pending.
type manualDriver struct{}

func (manualDriver) Local() bool { return true }

func (manualDriver) Provision(context.Context, ProvisionRequest) (ProvisionResult, error) {
	return ProvisionResult{Notes: "awaiting operations staff"}, nil
}

// Provisioning record states.
const (
	ProvQueued    = "queued"    // a driver will be (or is being) called
	ProvPending   = "pending"   // waiting for staff or an asynchronous driver
	ProvDelivered = "delivered" // recorded as delivered
	ProvFailed    = "failed"    // the driver gave up (a CA rejection); staff may still fulfil
	ProvCancelled = "cancelled" // the order closed before delivery
)

// startDelivery queues the provisioning of a newly paid order's pending
// services in tx (svcs: the services createServices made for it): one
// record and one job each, and the order moves to provisioning. An order
// with nothing to provision (traffic packs only) is delivered at once.
// Local drivers also run right after the commit.
func (a *App) startDelivery(ctx context.Context, tx *store.Tx, r store.OrderRow, o *order.Order, svcs []store.ServiceRow) error {
	var queued, inTx []string
	inTxReq := map[string]inTxDelivery{}
	for _, s := range svcs {
		if s.OrderID != r.ID || s.State != string(service.StatePending) {
			continue
		}
		pv, err := loadProduct(ctx, tx, s.ProductID)
		if err != nil {
			return err
		}
		rec := store.ProvisionRow{ServiceID: s.ID, OrderID: r.ID, AccountID: r.AccountID, Driver: pv.Driver, State: ProvQueued,
			Sandbox: pv.Driver == string(catalog.DriverSandbox), DeliverBy: o.DeliverBy, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		for i, l := range r.Lines {
			if l.Idx == s.LineIdx && i < len(o.Lines) {
				rec.DeliverBy = o.Lines[i].DeliveryDeadline(o.PaidAt) // the line's own SLA (the order's is the longest)
			}
		}
		if err := tx.ProvisionInsert(ctx, rec); err != nil {
			return err
		}
		queued = append(queued, s.ID)
		if _, ok := a.delivery().drivers[pv.Driver].(TxDriver); ok {
			inTx = append(inTx, s.ID)
			inTxReq[s.ID] = inTxDelivery{rec: rec, req: ProvisionRequest{Token: s.ID, ServiceID: s.ID, OrderID: r.ID, AccountID: r.AccountID,
				ProductID: s.ProductID, PlanID: s.PlanID, Kind: s.Kind, Spec: pv.Spec}}
			continue
		}
		if err := a.jobs.Enqueue(ctx, tx.SQL(), jobs.ProvisionArgs{ServiceID: s.ID}, nil); err != nil {
			return err
		}
	}
	if len(queued) == 0 {
		return a.completeOrder(ctx, tx, r, o)
	}
	if err := o.Move(order.StateProvisioning, tx.Now); err != nil {
		return err
	}
	if ok, err := tx.OrderUpdate(ctx, withState(r, o, tx.Now), string(order.StatePaid)); err != nil || !ok {
		return conflictOr(err)
	}
	if err := a.Audit(ctx, tx, AuditEntry{Action: "order.provisioning", SubjectType: "order", SubjectID: r.ID,
		Data: map[string]any{"services": queued, "deliver_by": o.DeliverBy, "clause": string(order.DeliveryClause)}}); err != nil {
		return err
	}
	if err := a.deliverInTx(ctx, tx, r, inTx, inTxReq); err != nil {
		return err
	}
	tx.AfterCommit(func() {
		for _, sid := range queued {
			if _, ok := inTxReq[sid]; ok {
				continue
			}
			a.provisionInline(context.WithoutCancel(ctx), sid)
		}
	})
	return nil
}

// inTxDelivery is a service deliverInTx delivers: its provisioning record
// as just inserted and the driver's request.
type inTxDelivery struct {
	rec store.ProvisionRow
	req ProvisionRequest
}

// deliverInTx delivers the services whose driver is a TxDriver inside the
// payment's transaction, each in a savepoint: a failed attempt (the pool
// exhausted, a record that cannot be written) is rolled back alone and
// the service falls back to the provisioning job, exactly as if the
// driver ran outside the transaction; the payment is never failed by it.
func (a *App) deliverInTx(ctx context.Context, tx *store.Tx, r store.OrderRow, ids []string, reqs map[string]inTxDelivery) error {
	if len(ids) == 0 {
		return nil
	}
	// The order's version, as policy.For reads it — through tx when it is
	// read at all: a read on the pool while tx holds a connection could
	// wait for a connection that other payments hold the same way.
	doc, err := docOfOrder(ctx, tx, r)
	if err != nil {
		return err
	}
	if doc.Policy == nil {
		return errs.E(errs.Op("app.deliverInTx"), errs.Internal, "policy.version_missing", "version "+r.AgreementVersionID+" has no policy")
	}
	window := doc.Policy.Duration("inspection.window")
	sctx := WithActor(ctx, Actor{ID: "system"})
	for _, sid := range ids {
		req, rec := reqs[sid].req, reqs[sid].rec
		drv := a.delivery().drivers[rec.Driver].(TxDriver)
		err = tx.Nested(ctx, func() error {
			if f := a.delivery().failRecord; f != nil {
				if err := f(); err != nil {
					return err
				}
			}
			res, err := drv.ProvisionTx(sctx, tx, req)
			if err != nil {
				return err
			}
			if !res.Complete {
				return errs.E(errs.Op("app.deliverInTx"), errs.Unavailable, "delivery.pending", "the driver left the delivery pending")
			}
			return a.recordDeliveryTx(sctx, tx, sid, res, rec.Driver, "system", window)
		})
		if err == nil {
			continue
		}
		a.log.LogAttrs(ctx, slog.LevelWarn, "provisioning: delivery in the payment's transaction failed; the job takes over",
			slog.String("service", sid), slog.String("err", err.Error()))
		rec.Attempts, rec.LastError, rec.UpdatedAt = rec.Attempts+1, err.Error(), tx.Now
		if ok, uerr := tx.ProvisionUpdate(ctx, rec, ProvQueued); uerr != nil || !ok {
			return conflictOr(uerr)
		}
		if err := tx.ProvisioningAttemptInsert(ctx, id.NewAt(tx.Now), sid, rec.Driver, "error", err.Error(), tx.Now); err != nil {
			return err
		}
		if err := a.jobs.Enqueue(ctx, tx.SQL(), jobs.ProvisionArgs{ServiceID: sid}, nil); err != nil {
			return err
		}
	}
	return nil
}

// provisionInline runs a local driver right after the payment committed.
// A failure is only logged: the job retries.
func (a *App) provisionInline(ctx context.Context, serviceID string) {
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if err != nil {
		return
	}
	if d, ok := a.delivery().drivers[rec.Driver]; !ok || !d.Local() {
		return
	}
	for attempt := 0; attempt < 3; attempt++ { // a clash with a concurrent purchase is retried at once
		if err = a.ProvisionService(ctx, serviceID); err == nil || !errors.Is(err, errs.ErrConflict) {
			break
		}
	}
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "provisioning: inline attempt failed; the job retries", slog.String("service", serviceID),
			slog.String("err", err.Error()))
	}
}

// ProvisionService calls the driver of a queued service and records the
// outcome (the provisioning job's body; tests call it to run the step
// synchronously). A service already delivered, pending, failed or
// cancelled is left alone, so the call is safe to repeat. A driver error
// is logged as an attempt and returned (the job retries).
func (a *App) ProvisionService(ctx context.Context, serviceID string) error {
	ctx = WithActor(ctx, Actor{ID: "system"})
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) {
		return nil // nothing to provision (a renewal's or a pack's service)
	}
	if err != nil || rec.State != ProvQueued {
		return err
	}
	drv, ok := a.delivery().drivers[rec.Driver]
	if !ok {
		drv = manualDriver{} // a driver not configured on this instance: a person fulfils it
	}
	svc, err := store.ServiceGet(ctx, a.db, serviceID)
	if err != nil {
		return err
	}
	pv, err := loadProduct(ctx, a.db, svc.ProductID)
	if err != nil {
		return err
	}
	res, perr := drv.Provision(ctx, ProvisionRequest{Token: serviceID, ServiceID: serviceID, OrderID: rec.OrderID, AccountID: rec.AccountID,
		ProductID: svc.ProductID, PlanID: svc.PlanID, Kind: svc.Kind, Spec: pv.Spec})
	if perr != nil {
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.ProvisionGet(ctx, tx, serviceID)
			if err != nil || cur.State != ProvQueued {
				return err
			}
			next := cur
			next.Attempts, next.LastError, next.UpdatedAt = cur.Attempts+1, perr.Error(), store.LaterMs(cur.UpdatedAt, tx.Now)
			if ok, err := tx.ProvisionSwap(ctx, next, cur); err != nil || !ok {
				return deliveryChanged(err) // changed since read (requeued): count the attempt on what it is now
			}
			return tx.ProvisioningAttemptInsert(ctx, id.NewAt(tx.Now), serviceID, rec.Driver, "error", perr.Error(), tx.Now)
		}); err != nil {
			return err
		}
		return perr
	}
	if !res.Complete {
		return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.ProvisionGet(ctx, tx, serviceID)
			if err != nil || cur.State != ProvQueued {
				return err
			}
			// Only over the version the driver answered for (rec): requeued
			// while the driver ran (requeueDelivery: the customer's
			// certificate request arrived), the record has a later
			// updated_at, and the job enqueued with the requeue asks again.
			// Recording pending over it would strand the service. The
			// condition is in the UPDATE itself (ProvisionSwap), not only in
			// the read above: on PostgreSQL a requeue committed while this
			// statement waited for its row lock is seen only there.
			next := cur
			next.State, next.Attempts, next.Notes, next.LastError, next.UpdatedAt = ProvPending, cur.Attempts+1, res.Notes, "", store.LaterMs(cur.UpdatedAt, tx.Now)
			if ok, err := tx.ProvisionSwap(ctx, next, rec); err != nil || !ok {
				return err // not ok: changed since the driver was called; its answer is stale
			}
			if err := tx.ProvisioningAttemptInsert(ctx, id.NewAt(tx.Now), serviceID, rec.Driver, "pending", res.Notes, tx.Now); err != nil {
				return err
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "service.delivery_pending", SubjectType: "service", SubjectID: serviceID,
				Data: map[string]any{"driver": rec.Driver, "deliver_by": rec.DeliverBy, "clause": "2.2"}})
		})
	}
	return a.recordDelivery(ctx, serviceID, res, rec.Driver, "system")
}

// recordDelivery records a complete delivery in one transaction (see the
// package comment above). A service recorded meanwhile by someone else is
// left as it is (nil).
func (a *App) recordDelivery(ctx context.Context, serviceID string, res ProvisionResult, driver, by string) error {
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if err != nil {
		return err
	}
	set, _, err := a.policy.For(ctx, rec.OrderID) // before the transaction: inspection.window of the order's version
	if err != nil {
		return err
	}
	window := set.Duration("inspection.window")
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if f := a.delivery().failRecord; f != nil {
			if err := f(); err != nil {
				return err
			}
		}
		return a.recordDeliveryTx(ctx, tx, serviceID, res, driver, by, window)
	})
}

func (a *App) recordDeliveryTx(ctx context.Context, tx *store.Tx, serviceID string, res ProvisionResult, driver, by string, window time.Duration) error {
	cur, err := store.ProvisionGet(ctx, tx, serviceID)
	if err != nil {
		return err
	}
	switch cur.State {
	case ProvDelivered, ProvCancelled:
		return nil
	}
	ord, err := store.OrderGet(ctx, tx, cur.OrderID)
	if err != nil {
		return err
	}
	from := cur.State
	switch order.State(ord.State) {
	case order.StatePaid, order.StateProvisioning, order.StateDeliveryFailed:
	default: // refunded, cancelled or swapped before delivery: nothing to deliver
		cur.State, cur.LastError, cur.UpdatedAt = ProvCancelled, "order "+ord.State, tx.Now
		_, err := tx.ProvisionUpdate(ctx, cur, from)
		return err
	}
	creds := ""
	if len(res.Credentials) > 0 {
		b, err := json.Marshal(res.Credentials)
		if err != nil {
			return err
		}
		if creds, err = a.seal("service_delivery", "credentials", serviceID, string(b)); err != nil {
			return err
		}
	}
	cur.State, cur.DeliveredAt, cur.Addresses, cur.Credentials, cur.Notes = ProvDelivered, tx.Now, res.Addresses, creds, res.Notes
	cur.AcceptDue = tx.Now.Add(window) // when the acceptance sweep may record it accepted (clause 2.3)
	cur.Sandbox, cur.Attempts, cur.LastError, cur.UpdatedAt = res.Sandbox || cur.Sandbox, cur.Attempts+1, "", tx.Now
	if ok, err := tx.ProvisionUpdate(ctx, cur, from); err != nil || !ok {
		return conflictOr(err)
	}
	if err := tx.ProvisioningAttemptInsert(ctx, id.NewAt(tx.Now), serviceID, driver, "delivered", by, tx.Now); err != nil {
		return err
	}
	// The service activated from the delivery instant, its first term from
	// its product; r is the row as written (svc names what the rest needs).
	r, err := a.mutateService(ctx, tx, serviceID, func(row *store.ServiceRow, s *service.Service) error {
		pv, err := loadProduct(ctx, tx, row.ProductID)
		if err != nil {
			return err
		}
		return s.Activate(tx.Now, firstTermEnd(pv, row.Cycle, tx.Now))
	})
	if err != nil {
		return err
	}
	svc := r
	if cur.Sandbox {
		// Sandbox services sit on the sandbox node, which reports (or lets
		// yuanxu admin usage record) their traffic.
		if err := a.ensureSandboxNode(ctx, tx); err != nil {
			return err
		}
		if err := tx.ServiceMeterSet(ctx, r.ID, store.ServiceMeter{NodeID: SandboxNode}); err != nil {
			return err
		}
	}
	for _, addr := range res.Addresses {
		if err := tx.AssignmentOpen(ctx, store.AssignmentRow{ID: id.NewAt(tx.Now), Address: addr, ServiceID: serviceID, AccountID: svc.AccountID,
			From: tx.Now}); err != nil {
			return err
		}
	}
	if svc.Kind == string(catalog.KindCertificate) && cur.Sandbox {
		// The sandbox issues at once: its states are recorded as they
		// happened, all at the delivery instant (clause 3.2.2 reads them).
		for _, st := range []delivery.CertState{delivery.CertValidating, delivery.CertSubmittedToCA, delivery.CertIssued} {
			if err := tx.CertStateInsert(ctx, store.CertStateRow{ServiceID: serviceID, State: string(st), At: tx.Now, RecordedBy: "sandbox"}); err != nil {
				return err
			}
		}
	}
	if err := a.serviceEvent(ctx, tx, serviceID, "activated", "", map[string]any{"order": cur.OrderID, "expires_at": r.ExpiresAt, "delivered": true}); err != nil {
		return err
	}
	if err := a.Audit(ctx, tx, AuditEntry{Action: "service.delivered", SubjectType: "service", SubjectID: serviceID, Data: map[string]any{
		"order": cur.OrderID, "driver": driver, "by": by, "sandbox": cur.Sandbox, "addresses": res.Addresses, "delivered_at": tx.Now,
		"inspection_until": tx.Now.Add(window), "clause": "2.3"}}); err != nil {
		return err
	}
	label := r.Name
	if cur.Sandbox {
		label += " [sandbox]"
	}
	if err := a.notifyDelivery(ctx, tx, svc.AccountID, notify.EventDeliveryCompleted, serviceID, map[string]string{"order_id": cur.OrderID,
		"product": label, "inspection_until": cstString(tx.Now.Add(window))}); err != nil {
		return err
	}
	return a.completeIfDelivered(ctx, tx, ord)
}

// completeIfDelivered moves an order to delivered when every service it
// provisions is delivered: its delivered_at is the last one's (tx.Now).
func (a *App) completeIfDelivered(ctx context.Context, tx *store.Tx, ord store.OrderRow) error {
	recs, err := store.Provisions(ctx, tx, store.ProvisionFilter{OrderID: ord.ID})
	if err != nil {
		return err
	}
	for _, x := range recs {
		if x.State != ProvDelivered {
			return nil
		}
	}
	o := domainOrder(ord)
	if o.State == order.StatePaid {
		if err := o.Move(order.StateProvisioning, tx.Now); err != nil {
			return err
		}
	}
	from := ord.State
	if err := o.Move(order.StateDelivered, tx.Now); err != nil {
		return err
	}
	if ok, err := tx.OrderUpdate(ctx, withState(ord, o, tx.Now), from); err != nil || !ok {
		return conflictOr(err)
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "order.delivered", SubjectType: "order", SubjectID: ord.ID,
		Data: map[string]any{"delivered_at": tx.Now, "deliver_by": ord.DeliverBy, "clause": "2.2"}})
}

// notifyDelivery tells an account about a delivery event (email and
// inbox). Its address and language are the account's as the request
// read it, when the request memo holds it (a checkout delivered in its
// payment's transaction: the buyer, read at authentication), else as tx
// reads it: a notice is addressed as of the request that caused it, as
// one queued a moment before an address changed is.
func (a *App) notifyDelivery(ctx context.Context, tx *store.Tx, accountID string, ev notify.Event, subjectID string, vars map[string]string) error {
	var acc store.AccountRow
	if l, ok := memoPeek[loaded](ctx, "account:"+accountID); ok {
		acc = l.row
	} else {
		var err error
		if acc, err = store.AccountGet(ctx, tx, accountID); err != nil {
			return err
		}
	}
	var err error
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	typ := "service"
	if ev == notify.EventDeliveryBreached {
		typ = "order"
	}
	_, err = a.Notify(ctx, tx, notify.Request{Event: ev, Recipient: rec, Vars: vars, Lang: langOf(acc.Lang),
		Subject: notify.Subject{Type: typ, ID: subjectID}})
	return err
}
