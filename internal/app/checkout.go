package app

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/order"
	"yuanxu/internal/policy"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// idemLease is how long an in-flight Idempotency-Key claim blocks a
// duplicate (409) before a retry may take it over: a request that died
// mid-way must not block its key for the whole retention.
const idemLease = time.Minute

// idemOperation names what a key was used for.
const idemCheckout = "checkout"

// Checkout places an order for p's tenant (order.create; clause 2). With
// an Idempotency-Key (idem.Key non-empty) the same key and body replay the
// stored response (replayed = true), the same key with another body is 422
// idempotency.body_mismatch, and a duplicate while the first is in flight
// is 409 idempotency.in_flight; keys are scoped to the account and kept
// order.IdemRetention. A failed checkout leaves nothing behind, its key
// included, so the client may correct the body and retry.
//
// Every blocker is reported at once with its clause (order.CheckoutRules):
// key clauses not acknowledged, KYC not approved, standing, a product no
// licence covers, a pack that may not attach. Prices come from the
// catalog; stock and the coupon's use are taken by conditional updates.
//
// With in.Pay (balance only; order.pay is needed too) the order is paid in
// the same transaction (payAtCheckout) and answered paid — delivered
// already when every driver delivers in the transaction: one request and
// one commit where placing and paying take two of each. It is all or
// nothing: a balance that does not cover the total places no order.
func (a *App) Checkout(ctx context.Context, p account.Principal, in CheckoutRequest, idem Idem) (view OrderView, replayed bool, err error) {
	ctx = ensureRequestMemo(ctx) // the reads before the transaction share one account read (request_memo.go)
	tenant := p.TenantID()
	obj, err := a.customerObject(ctx, "order", tenant)
	if err != nil {
		return OrderView{}, false, err
	}
	if err := a.Authorize(ctx, p, "order.create", obj); err != nil {
		return OrderView{}, false, err
	}
	if in.Pay != nil {
		if in.Pay.Method != MethodBalance {
			return OrderView{}, false, fieldErr("app.Checkout", CodePaymentInvalid, errs.Invalid, "body.pay.method", "enum",
				"only the balance pays at checkout; pay through a gateway with POST /orders/{id}/pay", nil)
		}
		if err := a.Authorize(ctx, p, "order.pay", obj); err != nil {
			return OrderView{}, false, err
		}
	}
	if idem.Key != "" {
		if err := order.ValidateIdemKey(idem.Key); err != nil {
			return OrderView{}, false, err
		}
		v, done, berr := a.idemBegin(ctx, tenant, idem)
		if berr != nil || done {
			return v, done, berr
		}
		defer func() {
			if err != nil {
				a.idemRelease(tenant, idem.Key)
			}
		}()
	}
	v, err := a.checkout(ctx, p, tenant, in, idem, checkoutOpts{})
	return v, false, err
}

// checkoutOpts marks an order that is not a new purchase: a renewal or an
// upgrade of a service (issue 12). Such orders take no stock, and an
// upgrade's one line is priced at the prorated difference.
type checkoutOpts struct {
	purpose      string // "" or "new", "renewal", "upgrade"
	serviceID    string
	targetPlanID string
	unitPriceFen *int64 // overrides the catalog price of the single line
	swappedFrom  string // a refund swap's replacement: the order it replaces
	sale         *resellerSale
}

// idemBegin decides what to do with a keyed request: replay (done), an
// error, or claim the key and go on.
func (a *App) idemBegin(ctx context.Context, tenant string, idem Idem) (OrderView, bool, error) {
	hash := hex.EncodeToString(idem.BodyHash[:])
	for attempt := 0; attempt < 5; attempt++ {
		now := a.Now()
		stored, err := store.IdemGet(ctx, a.db, tenant, idem.Key)
		var rec *order.IdemRecord
		switch {
		case store.IsNotFound(err):
		case err != nil:
			return OrderView{}, false, err
		default:
			rec = &order.IdemRecord{AccountID: stored.AccountID, Key: stored.Key, State: order.IdemState(stored.State), CreatedAt: stored.CreatedAt,
				Status: stored.Status, Response: []byte(stored.Response)}
			if b, err := hex.DecodeString(stored.BodyHash); err == nil {
				copy(rec.BodyHash[:], b)
			}
			// A claim whose request died (its lease ran out) no longer
			// blocks: the retry takes it over.
			if rec.State == order.IdemInFlight && !now.Before(stored.LockedUntil) && rec.BodyHash == idem.BodyHash {
				rec = nil
			}
		}
		switch d := order.Replay(rec, idem.Key, idem.BodyHash, now); d {
		case order.DecisionReplay:
			var v OrderView
			if err := json.Unmarshal(rec.Response, &v); err != nil {
				return OrderView{}, false, errs.E(errs.Op("app.idemBegin"), errs.Internal, CodeIdemReplayCorrupt, "stored response unreadable", err)
			}
			return v, true, nil
		case order.DecisionMismatch, order.DecisionInFlight:
			return OrderView{}, false, d.Err()
		}
		var prev time.Time
		if err == nil {
			prev = stored.CreatedAt
		}
		row := store.IdemRow{AccountID: tenant, Key: idem.Key, Operation: idemCheckout, BodyHash: hash, State: string(order.IdemInFlight),
			Response: id.New(), CreatedAt: now, LockedUntil: now.Add(idemLease)}
		var ok bool
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			ok, err = tx.IdemClaim(ctx, row, prev)
			return err
		})
		if err != nil {
			return OrderView{}, false, err
		}
		if ok {
			return OrderView{}, false, nil
		}
	}
	return OrderView{}, false, order.DecisionInFlight.Err()
}

// idemRelease forgets the claim of a request that failed without effect.
func (a *App) idemRelease(tenant, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.IdemRelease(ctx, tenant, key) }); err != nil {
		a.log.Warn("idempotency: releasing a failed request's key", "err", err)
	}
}

// idemPruneSweep deletes keys older than order.IdemRetention.
func (a *App) idemPruneSweep(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		n, err = tx.IdemPrune(ctx, now.Add(-order.IdemRetention))
		return err
	})
	return n, err
}

func (a *App) checkout(ctx context.Context, p account.Principal, tenant string, in CheckoutRequest, idem Idem, opts checkoutOpts) (OrderView, error) {
	if err := validateCheckout(&in); err != nil {
		return OrderView{}, err
	}
	now := a.Now()
	productIDs := make([]string, len(in.Lines))
	for i, l := range in.Lines {
		productIDs[i] = l.ProductID
	}
	if err := a.prefetchCheckout(ctx, tenant, productIDs, now); err != nil {
		return OrderView{}, err
	}
	// The version the customer is shown and accepts: the one in force.
	vr, err := headInForceNow(ctx, a.db, now)
	if err != nil {
		if store.IsNotFound(err) {
			return OrderView{}, errVersionNotFound()
		}
		return OrderView{}, err
	}
	if in.Agreement.VersionID != "" && in.Agreement.VersionID != vr.ID {
		return OrderView{}, fieldErr("app.Checkout", "agreement.version_not_in_force", errs.Conflict, "body.agreement.version_id", "in_force",
			"the agreement version shown is no longer in force; read the current one and accept it", map[string]any{"in_force": vr.ID})
	}
	doc, err := docOf(ctx, a.db, vr)
	if err != nil {
		return OrderView{}, err
	}
	set := doc.Policy
	products := map[string]ProductView{}
	reads := map[string]productRead{} // remembered by the transaction: it delivers what was priced
	specs := make([]order.LineSpec, len(in.Lines))
	standing := p.Standing
	acknowledged := in.Agreement.Acknowledged
	if opts.sale != nil {
		// A reseller orders for a customer: the customer's own standing and
		// the customer's own acceptance of the version in force count.
		if standing, err = a.StandingOf(ctx, tenant); err != nil {
			return OrderView{}, err
		}
		if opts.sale.acceptance.VersionID != vr.ID {
			return OrderView{}, errCustomerAcceptance(vr.ID)
		}
		acknowledged = opts.sale.acceptance.Acknowledged
	}
	if err := checkReverify(ctx, a.db, tenant); err != nil { // compliance flag, clause 4.2 (issue 16)
		return OrderView{}, err
	}
	facts := order.CheckoutFacts{CustomerID: tenant, KeyClauses: doc.KeyClauses(), Acknowledged: clauseIDs(acknowledged),
		KYCApproved: a.KYCRequired(ctx, tenant) == nil, Standing: order.Standing{Restricted: standing.Restricted != nil,
			Suspended: standing.Suspended != nil, Banned: standing.Banned != nil}}
	for i, l := range in.Lines {
		pv, ok := products[l.ProductID]
		if !ok {
			pr, err := readProduct(ctx, a.db, l.ProductID)
			if err != nil && errs.CodeOf(err) == "product.not_found" {
				return OrderView{}, fieldErr("app.Checkout", order.CodeOrderInvalid, errs.Invalid, "body.lines["+strconv.Itoa(i)+"].product_id",
					"unknown", "no such product", nil)
			}
			if err != nil {
				return OrderView{}, err
			}
			pv, products[l.ProductID], reads[l.ProductID] = pr.view, pr.view, pr
		}
		dp := pv.domain()
		specs[i] = order.LineSpec{Product: dp, Input: order.LineInput{ProductID: l.ProductID, PlanID: l.PlanID, Cycle: catalog.Cycle(l.Cycle),
			Quantity: l.Quantity, AttachTo: l.AttachTo}}
		lf := order.LineFacts{Product: dp}
		scope := ""
		if pv.Spec.VPN != nil {
			scope = pv.Spec.VPN.Scope
		}
		if lf.LicenceCovers, _, err = a.LicenceCovers(ctx, pv.Kind, scope, pv.Region, now); err != nil {
			return OrderView{}, err
		}
		if dp.Kind == catalog.KindTrafficPack && l.AttachTo != "" {
			if lf.Server, lf.ServerOwner, err = a.packParent(ctx, l.AttachTo); err != nil {
				return OrderView{}, err
			}
		}
		facts.Lines = append(facts.Lines, lf)
	}
	orderID := id.NewAt(now)
	channel := channelOf(p)
	if opts.sale != nil {
		channel = order.ResellerChannel(p.AccountID)
	}
	o, err := order.NewOrder(order.NewParams{ID: orderID, AccountID: tenant, Channel: channel, Lines: specs,
		Agreement: order.AgreementRef{VersionID: vr.ID, SHA256: vr.SHA256, Acknowledged: facts.Acknowledged},
		CreatedAt: now, UnpaidExpiry: set.Duration(policy.OrderUnpaidExpiry)})
	if err != nil {
		return OrderView{}, bodyFields(err)
	}
	if o.SubtotalFen > int64(wallet.MaxAmount) {
		return OrderView{}, fieldErr("app.Checkout", order.CodeAmountOverflow, errs.Invalid, "body.lines", "max_total",
			"the order total is above what one order may carry", map[string]any{"max_fen": int64(wallet.MaxAmount)})
	}
	if opts.unitPriceFen != nil && len(o.Lines) == 1 {
		o.Lines[0].UnitPriceFen = *opts.unitPriceFen
		o.Lines[0].TotalFen = *opts.unitPriceFen * o.Lines[0].Quantity
		o.SubtotalFen, o.TotalFen = o.Lines[0].TotalFen, o.Lines[0].TotalFen
	}
	if opts.sale != nil {
		opts.sale.price(o)
	}
	if err := order.BlockersErr(order.CheckoutRules(facts)); err != nil {
		return OrderView{}, bodyFields(err)
	}
	var acc store.AcceptanceRow
	if opts.sale == nil {
		acc, err = a.prepareAcceptance(ctx, a.db, tenant, AcceptInput{VersionID: vr.ID, SHA256: in.Agreement.SHA256,
			Acknowledged: in.Agreement.Acknowledged, Explained: in.Agreement.Explained, Channel: agreementChannel(p)}, store.OccasionCheckout)
		if err != nil {
			return OrderView{}, err
		}
	}
	var coupon store.CouponRow
	if in.CouponCode != "" {
		if coupon, err = a.applyCoupon(ctx, o, in.CouponCode, now); err != nil {
			return OrderView{}, err
		}
	}
	row := store.OrderRow{ID: o.ID, AccountID: tenant, PlacedBy: p.AccountID, Channel: string(o.Channel), State: string(o.State),
		AgreementVersionID: vr.ID, AgreementSHA256: vr.SHA256, Acknowledged: in.Agreement.Acknowledged, SubtotalFen: o.SubtotalFen,
		DiscountFen: o.DiscountFen, TotalFen: o.TotalFen, CouponCode: o.CouponCode, CreatedAt: now, UpdatedAt: now, ExpiresAt: o.ExpiresAt,
		Purpose: opts.purpose, ServiceID: opts.serviceID, TargetPlanID: opts.targetPlanID, SwappedFrom: opts.swappedFrom}
	if row.Purpose == "" {
		row.Purpose = PurposeNew
	}
	if rid, ok := o.Channel.ResellerID(); ok {
		row.ResellerID = rid
	}
	if opts.sale != nil {
		row.ResellerMode, row.ResellerAuthID = opts.sale.auth.Mode, opts.sale.auth.ID
	}
	for i, l := range o.Lines {
		pv := products[l.ProductID]
		plan, _ := pv.Plan(l.PlanID)
		row.Lines = append(row.Lines, store.OrderLineRow{Idx: i, ProductID: l.ProductID, PlanID: l.PlanID, ProductName: pv.Name, PlanName: plan.Name,
			Kind: string(l.Kind), Cycle: string(l.Cycle), Quantity: l.Quantity, UnitPriceFen: l.UnitPriceFen, TotalFen: l.TotalFen,
			RefundClass: string(l.RefundClass), RefundClause: string(l.RefundClause), DeliverySLA: l.DeliverySLA, AttachTo: l.AttachTo})
	}
	var view OrderView
	payNow := in.Pay != nil && opts == (checkoutOpts{})
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		seen, err := checkoutTxReads(ctx, tx, o, products, row, payNow)
		if err != nil {
			return err
		}
		for i, l := range o.Lines {
			if row.Purpose != PurposeNew {
				break // a renewal or upgrade keeps the unit it has
			}
			var ok bool
			if stock, read := seen.stock[i]; read {
				ok, err = tx.PlanTakeStockRead(ctx, l.PlanID, l.Quantity, stock)
			} else {
				ok, err = tx.PlanTakeStock(ctx, l.PlanID, l.Quantity, false)
			}
			if err != nil {
				return err
			}
			if !ok {
				return fieldErr("app.Checkout", CodeOutOfStock, errs.Conflict, "body.lines["+strconv.Itoa(i)+"].quantity", "stock",
					"not enough stock left", map[string]any{"plan_id": l.PlanID})
			}
		}
		// The products as priced, for the steps below (services created,
		// delivery): PlanTakeStock forgot what tx had read of the catalog.
		for _, pr := range reads {
			tx.RememberProduct(pr.row, pr.plans)
		}
		if o.CouponCode != "" {
			scope, err := tx.CouponTake(ctx, coupon.Code, tenant, o.ID, coupon.MaxUses, coupon.MaxUsesPerCustomer, o.DiscountFen)
			if err != nil {
				return err
			}
			if scope != "" {
				return fieldErr("app.Checkout", order.CodeCouponExhausted, errs.Conflict, "body.coupon_code", order.CodeCouponExhausted,
					"coupon "+coupon.Code+" is used up", map[string]any{"scope": scope})
			}
		}
		stored := acc
		if opts.sale != nil {
			stored = opts.sale.acceptance // the customer's own, never one made for them
		} else {
			acc.OrderID = o.ID
			if stored, err = a.insertAcceptance(ctx, tx, acc); err != nil {
				return err
			}
		}
		row.AcceptanceID = stored.ID
		if err := tx.OrderInsert(ctx, row); err != nil {
			return err
		}
		if in.FromCart {
			if _, err := tx.CartRemove(ctx, tenant, ""); err != nil {
				return err
			}
		}
		view = orderView(row, nil)
		if opts.sale != nil {
			if err := a.resellerOrderPlaced(ctx, tx, row); err != nil {
				return err
			}
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "order.created", SubjectType: "order", SubjectID: o.ID, Data: map[string]any{
			"account": tenant, "total_fen": o.TotalFen, "discount_fen": o.DiscountFen, "coupon": o.CouponCode, "channel": string(o.Channel),
			"agreement_version": vr.ID, "acceptance": stored.ID, "lines": len(o.Lines)}}); err != nil {
			return err
		}
		if payNow {
			if view, err = a.payAtCheckout(ctx, tx, p, row, seen.balances); err != nil {
				return err
			}
		}
		if idem.Key != "" {
			body, err := json.Marshal(view)
			if err != nil {
				return err
			}
			return tx.IdemComplete(ctx, tenant, idem.Key, 201, string(body))
		}
		return nil
	})
	if err != nil {
		return OrderView{}, err
	}
	return view, nil
}

// payAtCheckout pays the order just placed in tx from the payer's
// balance, as PayOrder by balance does (clause 2.2: refund credit first,
// the conditional debit as the transaction's last write), and answers the
// order as it now stands — paid, provisioning or already delivered. A
// balance that cannot cover the total is wallet.insufficient_balance and
// the checkout's transaction rolls back: no order, no stock or coupon
// taken, no acceptance recorded.
func (a *App) payAtCheckout(ctx context.Context, tx *store.Tx, p account.Principal, r store.OrderRow, seen *wallet.Balances) (OrderView, error) {
	if err := resellerPayRule(p, r, MethodBalance); err != nil {
		return OrderView{}, err
	}
	if err := a.payDueFromBalance(ctx, tx, r, seen); err != nil {
		return OrderView{}, err
	}
	now, err := store.OrderGet(ctx, tx, r.ID)
	if err != nil {
		return OrderView{}, err
	}
	pays, err := store.Payments(ctx, tx, r.ID)
	if err != nil {
		return OrderView{}, err
	}
	return orderView(now, pays), nil
}

// checkoutSeen is what a checkout's transaction read first, together.
type checkoutSeen struct {
	stock    map[int]int64    // by line: the plan's stock, for the lines whose plan was seen unlimited
	balances *wallet.Balances // the payer's, when the checkout pays from the balance (nil: not read)
}

// checkoutTxReads reads, in one round trip on PostgreSQL
// (store.Tx.ReadTogether), what the checkout's transaction reads before
// it decides anything: the stock of each new line's plan that the
// catalog showed unlimited (the common plan: one read and no write, see
// store.Tx.PlanTakeStock) and, when it pays now, the payer's balances.
// In a batch of transactions (ADR 30) one round less is one barrier less
// where the batch's members wait for the slowest.
func checkoutTxReads(ctx context.Context, tx *store.Tx, o *order.Order, products map[string]ProductView, row store.OrderRow, payNow bool) (checkoutSeen, error) {
	seen := checkoutSeen{stock: map[int]int64{}}
	stocks := make([]int64, len(o.Lines))
	var read []int // the lines whose stock is read
	var reads []store.Read
	for i, l := range o.Lines {
		if row.Purpose != PurposeNew {
			break
		}
		if plan, _ := products[l.ProductID].Plan(l.PlanID); plan.Stock == -1 {
			reads = append(reads, store.PlanStockRead(l.PlanID, &stocks[i]))
			read = append(read, i)
		}
	}
	var balances func() wallet.Balances
	if payNow && row.TotalFen > row.PaidFen {
		var r store.Read
		r, balances = balancesRead(orderPayer(row))
		reads = append(reads, r)
	}
	if err := tx.ReadTogether(ctx, reads...); err != nil {
		return checkoutSeen{}, err
	}
	for _, i := range read {
		seen.stock[i] = stocks[i]
	}
	if balances != nil {
		b := balances()
		seen.balances = &b
	}
	return seen, nil
}

// applyCoupon checks the coupon against the order and records the
// discount on o; the use is taken in the checkout transaction.
func (a *App) applyCoupon(ctx context.Context, o *order.Order, code string, now time.Time) (store.CouponRow, error) {
	c, err := store.CouponGet(ctx, a.db, code)
	if store.IsNotFound(err) || err == nil && !c.Active {
		return c, fieldErr("app.Checkout", CodeCouponNotFound, errs.Invalid, "body.coupon_code", "unknown", "no such coupon", nil)
	}
	if err != nil {
		return c, err
	}
	paid, err := store.OrderPaidCount(ctx, a.db, o.AccountID)
	if err != nil {
		return c, err
	}
	byCust, err := store.CouponCustomerUses(ctx, a.db, c.Code, o.AccountID)
	if err != nil {
		return c, err
	}
	_, err = order.ApplyCoupon(o, couponDomain(c), order.CouponContext{FirstPurchase: paid == 0, UsesByCustomer: byCust, UsesTotal: c.Uses, Now: now})
	return c, bodyFields(err)
}

func couponDomain(c store.CouponRow) order.Coupon {
	return order.Coupon{Code: c.Code, Kind: order.CouponKind(c.Kind), PercentBP: c.PercentBP, AmountFen: c.AmountFen, ProductIDs: c.ProductIDs,
		FirstPurchaseOnly: c.FirstPurchaseOnly, MaxUses: c.MaxUses, MaxUsesPerCust: c.MaxUsesPerCustomer, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil}
}

// packParent resolves a traffic pack's attach_to: the customer's cloud
// server service it extends. A service that does not exist, is
// terminated or is another customer's answers no owner, so that
// PackAttachable says "not yours" and nothing more.
func (a *App) packParent(ctx context.Context, serviceID string) (catalog.Product, string, error) {
	r, err := store.ServiceGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) || err == nil && r.State == string(service.StateTerminated) {
		return catalog.Product{}, "", nil
	}
	if err != nil {
		return catalog.Product{}, "", err
	}
	pv, err := loadProduct(ctx, a.db, r.ProductID)
	if err != nil {
		return catalog.Product{}, "", err
	}
	return pv.domain(), r.AccountID, nil
}

func channelOf(p account.Principal) order.Channel {
	if p.ViaAPIKey {
		return order.ChannelAPI
	}
	return order.ChannelWeb
}

func agreementChannel(p account.Principal) agreement.Channel {
	if p.ViaAPIKey {
		return agreement.ChannelAPI
	}
	return agreement.ChannelWeb
}
