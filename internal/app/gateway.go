package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// Payment gateways (issue 10, clause 2.2: delivery follows valid payment).
// An attempt is written before the gateway is called (state creating), so
// that a notification can never arrive for an attempt we do not know; the
// gateway's answer (page URL or QR code) is stored after. A notification
// is verified by the gateway client, checked against the attempt (app,
// merchant, amount, currency) and processed exactly once: the gateway
// event row (trade number and kind) is written in the same transaction as
// the credit. A sweep queries attempts still pending, so a lost
// notification does not lose a payment.

// GatewayAccount is one configured gateway: its client and the app and
// merchant its notifications must name.
type GatewayAccount struct {
	Client     payment.Gateway
	AppID      string
	MerchantID string
}

// GatewayConfig configures the gateways. NotifyBase is the public base
// URL the gateways post notifications to (…/callbacks/<gateway> is
// appended); ReturnBase the portal's base URL for the browser's return.
type GatewayConfig struct {
	Accounts   map[string]GatewayAccount // by payment.Alipay, payment.WeChatPay
	NotifyBase string
	ReturnBase string
	// AttemptTTL is how long an attempt stays payable (default 30 min, never
	// beyond the order's own expiry).
	AttemptTTL time.Duration
}

type gateways struct{ cfg GatewayConfig }

// ConfigureGateways sets the gateways; call while wiring. Without it no
// gateway is offered (payment.unavailable).
func (a *App) ConfigureGateways(c GatewayConfig) {
	if c.AttemptTTL <= 0 {
		c.AttemptTTL = 30 * time.Minute
	}
	c.NotifyBase, c.ReturnBase = strings.TrimRight(c.NotifyBase, "/"), strings.TrimRight(c.ReturnBase, "/")
	a.gatewayCfg.Store(&gateways{cfg: c})
}

// Gateways lists the configured gateways' names.
func (a *App) Gateways() []string {
	g := a.gatewayCfg.Load()
	if g == nil {
		return nil
	}
	var out []string
	for _, n := range []string{payment.Alipay, payment.WeChatPay} {
		if _, ok := g.cfg.Accounts[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Error codes.
const (
	CodeGatewayUnavailable = "payment.gateway_unavailable"
	CodeGatewayFailed      = "payment.gateway_failed"
	CodeKindUnsupported    = "payment.kind_unsupported"
)

func (a *App) gatewayAccount(name string) (GatewayAccount, GatewayConfig, error) {
	g := a.gatewayCfg.Load()
	if g != nil {
		if acc, ok := g.cfg.Accounts[name]; ok {
			return acc, g.cfg, nil
		}
	}
	return GatewayAccount{}, GatewayConfig{}, fieldErr("app.gateway", CodeGatewayUnavailable, errs.Invalid, "body.gateway", "enum",
		"this gateway is not available", map[string]any{"gateway": name})
}

// AttemptView is a gateway payment attempt as its customer and finance see
// it.
type AttemptView struct {
	ID             string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f80"`
	Ref            string    `json:"ref" example:"01936a9e4c1f7c399f1e1b2c3d4e5f80"`
	Gateway        string    `json:"gateway" enum:"alipay,wechatpay" example:"alipay"`
	Kind           string    `json:"kind" enum:"page,qr" example:"page"`
	Purpose        string    `json:"purpose" enum:"order,topup" example:"order"`
	AccountID      string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	OrderID        string    `json:"order_id,omitempty" example:""`
	AmountFen      int64     `json:"amount_fen" example:"3900"`
	State          string    `json:"state" enum:"creating,pending,succeeded,closed,failed" example:"pending"`
	PayURL         string    `json:"pay_url,omitempty" example:"https://openapi.alipay.com/gateway.do?…"`
	QRCode         string    `json:"qr_code,omitempty" example:""`
	GatewayTradeNo string    `json:"gateway_trade_no,omitempty" example:""`
	RefundedFen    int64     `json:"refunded_fen" example:"0"`
	ExpiresAt      time.Time `json:"expires_at" example:"2026-11-26T08:30:00Z"`
	CreatedAt      time.Time `json:"created_at" example:"2026-11-26T08:00:00Z"`
	SettledAt      time.Time `json:"settled_at,omitzero" example:"2026-11-26T08:01:00Z"`
}

func attemptView(r store.AttemptRow) AttemptView {
	return AttemptView{ID: r.ID, Ref: r.Ref, Gateway: r.Gateway, Kind: r.Kind, Purpose: r.Purpose, AccountID: r.AccountID, OrderID: r.OrderID,
		AmountFen: r.AmountFen, State: r.State, PayURL: r.PayURL, QRCode: r.QRCode, GatewayTradeNo: r.GatewayTradeNo, RefundedFen: r.RefundedFen,
		ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt, SettledAt: r.SettledAt}
}

// Attempt states.
const (
	AttemptCreating  = "creating"
	AttemptPending   = "pending"
	AttemptSucceeded = "succeeded"
	AttemptClosed    = "closed"
	AttemptFailed    = "failed"
)

// startAttempt calls the gateway for an attempt stored in state creating
// and records its answer (pending with the URL or QR code, or failed).
func (a *App) startAttempt(ctx context.Context, r store.AttemptRow, subject string) (store.AttemptRow, error) {
	acc, cfg, err := a.gatewayAccount(r.Gateway)
	if err != nil {
		return r, err
	}
	created, gerr := acc.Client.CreatePayment(ctx, payment.Attempt{Ref: r.Ref, Amount: money.Fen(r.AmountFen), Subject: subject,
		ReturnURL: cfg.ReturnBase + "/payments/return", NotifyURL: cfg.NotifyBase + "/callbacks/" + r.Gateway, Kind: payment.Kind(r.Kind),
		ExpiresAt: r.ExpiresAt})
	next := r
	next.UpdatedAt = a.Now()
	if gerr != nil {
		next.State, next.Error = AttemptFailed, gerr.Error()
	} else {
		next.State, next.PayURL, next.QRCode, next.GatewayTradeNo = AttemptPending, created.PayURL, created.QRCode, created.GatewayTradeNo
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.AttemptUpdate(ctx, next, AttemptCreating)
		if err != nil || !ok {
			return err // a notification already settled it: keep that
		}
		if gerr != nil && r.PaymentID != "" {
			if _, err := tx.PaymentSettle(ctx, r.PaymentID, PaymentFailed, "", tx.Now); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "payment.attempt_" + next.State, SubjectType: "gateway_attempt", SubjectID: r.ID,
			Data: map[string]any{"gateway": r.Gateway, "ref": r.Ref, "amount_fen": r.AmountFen, "purpose": r.Purpose, "error": next.Error}})
	})
	if err != nil {
		return next, err
	}
	if gerr != nil {
		if errors.Is(gerr, payment.ErrUnsupported) {
			return next, fieldErr("app.startAttempt", CodeKindUnsupported, errs.Invalid, "body.kind", "unsupported",
				"this gateway does not offer that way of paying (WeChat Pay: QR code only)", map[string]any{"gateway": r.Gateway})
		}
		return next, errs.E(errs.Op("app.startAttempt"), errs.Unavailable, CodeGatewayFailed, "the gateway did not answer; try again", gerr)
	}
	return next, nil
}

// payByGateway stores the gateway part of an order's payment (in tx):
// a pending payment row and an attempt in state creating.
func (a *App) payByGateway(ctx context.Context, tx *store.Tx, r store.OrderRow, gateway, kind string, amount int64) (store.AttemptRow, error) {
	_, cfg, err := a.gatewayAccount(gateway)
	if err != nil {
		return store.AttemptRow{}, err
	}
	if kind != string(payment.KindPage) && kind != string(payment.KindQR) {
		return store.AttemptRow{}, fieldErr("app.PayOrder", CodePaymentInvalid, errs.Invalid, "body.kind", "enum", "page or qr", nil)
	}
	pay := store.PaymentRow{ID: id.NewAt(tx.Now), OrderID: r.ID, AccountID: r.AccountID, Method: gateway, State: PaymentPending, AmountFen: amount,
		CreatedAt: tx.Now}
	if err := tx.PaymentInsert(ctx, pay); err != nil {
		return store.AttemptRow{}, err
	}
	exp := tx.Now.Add(cfg.AttemptTTL)
	if r.ExpiresAt.Before(exp) {
		exp = r.ExpiresAt
	}
	at := store.AttemptRow{ID: id.NewAt(tx.Now), Ref: payment.NewRef(), Gateway: gateway, Kind: kind, Purpose: "order", AccountID: r.AccountID,
		OrderID: r.ID, PaymentID: pay.ID, AmountFen: amount, State: AttemptCreating, ExpiresAt: exp, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	return at, tx.AttemptInsert(ctx, at)
}

// TopUpRequest tops up the cash balance through a gateway.
type TopUpRequest struct {
	AmountFen int64  `json:"amount_fen" minimum:"100" maximum:"5000000" example:"10000"`
	Gateway   string `json:"gateway" enum:"alipay,wechatpay" example:"alipay"`
	Kind      string `json:"kind" enum:"page,qr" example:"qr"`
}

// TopUp starts a gateway top-up of p's cash (wallet.topup): ¥1 to ¥50,000
// per top-up. The cash is credited when the gateway's verified
// notification (or the query sweep) says it was paid; it is withdrawable
// back to that route.
func (a *App) TopUp(ctx context.Context, p account.Principal, in TopUpRequest) (AttemptView, error) {
	const op = "app.TopUp"
	if p.Kind == account.KindStaff {
		return AttemptView{}, errs.E(errs.Op(op), errs.Forbidden, "authz.permission_denied", "a top-up is a customer's own")
	}
	customer := p.TenantID()
	if err := a.authorizeCustomerObject(ctx, p, "wallet.topup", "", "wallet", customer); err != nil {
		return AttemptView{}, err
	}
	if in.AmountFen < 100 || in.AmountFen > 5_000_000 {
		return AttemptView{}, fieldErr(op, wallet.CodeAmountInvalid, errs.Invalid, "body.amount_fen", "range", "¥1 to ¥50,000 per top-up",
			map[string]any{"min_fen": 100, "max_fen": 5_000_000})
	}
	_, cfg, err := a.gatewayAccount(in.Gateway)
	if err != nil {
		return AttemptView{}, err
	}
	if in.Kind != string(payment.KindPage) && in.Kind != string(payment.KindQR) {
		return AttemptView{}, fieldErr(op, CodePaymentInvalid, errs.Invalid, "body.kind", "enum", "page or qr", nil)
	}
	var at store.AttemptRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		at = store.AttemptRow{ID: id.NewAt(tx.Now), Ref: payment.NewRef(), Gateway: in.Gateway, Kind: in.Kind, Purpose: "topup", AccountID: customer,
			AmountFen: in.AmountFen, State: AttemptCreating, ExpiresAt: tx.Now.Add(cfg.AttemptTTL), CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.AttemptInsert(ctx, at); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "wallet.topup_started", SubjectType: "gateway_attempt", SubjectID: at.ID,
			Data: map[string]any{"gateway": in.Gateway, "amount_fen": in.AmountFen, "ref": at.Ref}})
	})
	if err != nil {
		return AttemptView{}, err
	}
	at, err = a.startAttempt(ctx, at, "余额充值 / balance top-up")
	return attemptView(at), err
}

// Attempts lists gateway attempts: a customer its own (wallet.read), an
// order's when orderID is set; finance every one (finance.reconcile).
func (a *App) Attempts(ctx context.Context, p account.Principal, orderID, state string) ([]AttemptView, error) {
	f := store.AttemptFilter{OrderID: orderID, State: state, Limit: 200}
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "gateway_attempt"}); err != nil {
			return nil, err
		}
	} else {
		f.AccountID = p.TenantID()
		if err := a.authorizeCustomerObject(ctx, p, "wallet.read", "", "wallet", f.AccountID); err != nil {
			return nil, err
		}
	}
	rows, err := store.Attempts(ctx, a.db, f)
	if err != nil {
		return nil, err
	}
	out := make([]AttemptView, 0, len(rows))
	for _, r := range rows {
		out = append(out, attemptView(r))
	}
	return out, nil
}

// Attempt reads one attempt by id: its customer (wallet.read) or finance.
func (a *App) Attempt(ctx context.Context, p account.Principal, attemptID string) (AttemptView, error) {
	r, err := store.AttemptGet(ctx, a.db, attemptID)
	if store.IsNotFound(err) {
		if p.Kind == account.KindStaff {
			if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "gateway_attempt"}); err != nil {
				return AttemptView{}, err
			}
		}
		return AttemptView{}, errNotFound("payment_attempt")
	}
	if err != nil {
		return AttemptView{}, err
	}
	if err := a.authorizeCustomerObject(ctx, p, "wallet.read", "finance.reconcile", "payment_attempt", r.AccountID); err != nil {
		return AttemptView{}, err
	}
	return attemptView(r), nil
}

// closeAttemptsOf closes the pending attempts of an order that ended
// unpaid. A payment arriving later for one of them is a late payment: it
// goes to the customer's cash and finance is told (processPaid).
func (a *App) closeAttemptsOf(ctx context.Context, tx *store.Tx, orderID string) error {
	ats, err := store.Attempts(ctx, tx, store.AttemptFilter{OrderID: orderID})
	if err != nil {
		return err
	}
	for _, at := range ats {
		if at.State != AttemptPending && at.State != AttemptCreating {
			continue
		}
		next := at
		next.State, next.UpdatedAt = AttemptClosed, tx.Now
		if _, err := tx.AttemptUpdate(ctx, next, at.State); err != nil {
			return err
		}
	}
	return nil
}
