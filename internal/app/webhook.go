package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
	"yuanxu/internal/webhook"
)

// Webhooks to resellers (issue 11 item 4). Events are written to the
// webhook_delivery outbox in the transaction that causes them, one row
// per subscribed endpoint; the "webhook.deliver" sweep POSTs them signed
// with the endpoint's secret (package webhook), with a lease so that one
// instance sends each attempt, and retries on webhook.Schedule until
// webhook.MaxAttempts. Endpoints must be https and public addresses
// unless the server allows private ones (sandbox mode, tests).

// WebhookConfig configures delivery.
type WebhookConfig struct {
	// AllowPrivate lets endpoints be http:// and resolve to loopback or
	// private addresses (sandbox mode and tests). Off in production: a
	// reseller must not make the platform call its internal network.
	AllowPrivate bool
	Timeout      time.Duration // per attempt; default 10 s
	// Schedule overrides webhook.Schedule (tests retry at once).
	Schedule func(failed int) time.Duration
}

// ConfigureWebhooks sets delivery options; call while wiring.
func (a *App) ConfigureWebhooks(c WebhookConfig) {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	a.webhookCfg.Store(&c)
}

func (a *App) webhookConfig() WebhookConfig {
	if c := a.webhookCfg.Load(); c != nil {
		return *c
	}
	return WebhookConfig{AllowPrivate: a.sandbox != nil, Timeout: 10 * time.Second}
}

// WebhookEndpointInput creates an endpoint.
type WebhookEndpointInput struct {
	URL    string   `json:"url" maxLength:"2000" example:"https://reseller.example.com/hooks/yuanxu"`
	Events []string `json:"events,omitempty" doc:"Event types to receive; empty: every event." example:"[\"order.paid\"]"`
}

// WebhookEndpointView is an endpoint; Secret only in the answer that
// creates it.
type WebhookEndpointView struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f92"`
	URL       string    `json:"url" example:"https://reseller.example.com/hooks/yuanxu"`
	Events    []string  `json:"events" example:"[\"order.paid\"]"`
	Active    bool      `json:"active" example:"true"`
	Secret    string    `json:"secret,omitempty" example:"whsec_…" doc:"Shown once: keep it to verify Yuanxu-Signature."`
	CreatedAt time.Time `json:"created_at" example:"2026-11-26T09:00:00+08:00"`
}

// WebhookDeliveryView is one entry of the delivery log.
type WebhookDeliveryView struct {
	ID            string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f93"`
	EndpointID    string    `json:"endpoint_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f92"`
	EventID       string    `json:"event_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f94"`
	EventType     string    `json:"event_type" example:"order.paid"`
	State         string    `json:"state" enum:"pending,delivered,failed" example:"delivered"`
	Attempts      int64     `json:"attempts" example:"1"`
	LastStatus    int64     `json:"last_status" example:"200"`
	LastError     string    `json:"last_error,omitempty" example:""`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero" example:""`
	CreatedAt     time.Time `json:"created_at" example:"2026-11-26T09:00:00+08:00"`
	DeliveredAt   time.Time `json:"delivered_at,omitzero" example:"2026-11-26T09:00:01+08:00"`
}

func endpointView(r store.WebhookEndpointRow) WebhookEndpointView {
	ev := r.Events
	if ev == nil {
		ev = []string{}
	}
	return WebhookEndpointView{ID: r.ID, URL: r.URL, Events: ev, Active: r.Active, CreatedAt: r.CreatedAt}
}

func deliveryView(r store.WebhookDeliveryRow) WebhookDeliveryView {
	v := WebhookDeliveryView{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType, State: r.State, Attempts: r.Attempts,
		LastStatus: r.LastStatus, LastError: r.LastError, CreatedAt: r.CreatedAt, DeliveredAt: r.DeliveredAt}
	if r.State == "pending" {
		v.NextAttemptAt = r.NextAttemptAt
	}
	return v
}

// CodeWebhookInvalid is the code of a refused endpoint.
const CodeWebhookInvalid = "webhook.endpoint_invalid"

// validateEndpoint checks an endpoint URL and its events, every problem
// at once.
func (a *App) validateEndpoint(in WebhookEndpointInput) error {
	var fe []errs.FieldError
	u, err := url.Parse(strings.TrimSpace(in.URL))
	allowPrivate := a.webhookConfig().AllowPrivate
	switch {
	case err != nil || u.Host == "" || u.User != nil || len(in.URL) > 2000:
		fe = append(fe, errs.FieldError{Field: "body.url", Rule: "url"})
	case u.Scheme != "https" && !(allowPrivate && u.Scheme == "http"):
		fe = append(fe, errs.FieldError{Field: "body.url", Rule: "https"})
	case !allowPrivate && privateHost(u.Hostname()):
		fe = append(fe, errs.FieldError{Field: "body.url", Rule: "public_host"})
	}
	for i, e := range in.Events {
		if !webhook.ValidType(e) {
			fe = append(fe, errs.FieldError{Field: fmt.Sprintf("body.events[%d]", i), Rule: "enum", Params: map[string]any{"allowed": webhook.Types()}})
		}
	}
	if len(fe) > 0 {
		return &errs.Error{Op: "app.CreateWebhookEndpoint", Kind: errs.Invalid, Code: CodeWebhookInvalid, Msg: "the endpoint is not acceptable", Fields: fe}
	}
	return nil
}

// privateHost reports whether host is a literal loopback, private or
// link-local address or localhost (names are checked again when dialled).
func privateHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && blockedIP(ip)
}

func blockedIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast()
}

// CreateWebhookEndpoint adds an endpoint for p (a reseller:
// reseller.client.manage on itself) and returns its secret once.
func (a *App) CreateWebhookEndpoint(ctx context.Context, p account.Principal, in WebhookEndpointInput) (WebhookEndpointView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return WebhookEndpointView{}, err
	}
	if err := a.validateEndpoint(in); err != nil {
		return WebhookEndpointView{}, err
	}
	now := a.Now()
	secret := webhook.NewSecret()
	row := store.WebhookEndpointRow{ID: id.NewAt(now), AccountID: p.AccountID, URL: strings.TrimSpace(in.URL), Events: dedupe(in.Events), Active: true,
		CreatedAt: now, UpdatedAt: now}
	if len(row.Events) == 1 && row.Events[0] == "" {
		row.Events = nil
	}
	var err error
	if row.SecretEnc, err = a.seal("webhook_endpoint", "secret", row.ID, secret); err != nil {
		return WebhookEndpointView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.WebhookEndpointInsert(ctx, row); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "webhook.endpoint_created", SubjectType: "account", SubjectID: p.AccountID,
			Data: map[string]any{"endpoint": row.ID, "url": row.URL, "events": row.Events}})
	})
	if err != nil {
		return WebhookEndpointView{}, err
	}
	v := endpointView(row)
	v.Secret = secret
	return v, nil
}

// WebhookEndpoints lists p's endpoints.
func (a *App) WebhookEndpoints(ctx context.Context, p account.Principal) ([]WebhookEndpointView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return nil, err
	}
	rs, err := store.WebhookEndpoints(ctx, a.db, p.AccountID, false)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookEndpointView, 0, len(rs))
	for _, r := range rs {
		out = append(out, endpointView(r))
	}
	return out, nil
}

// SetWebhookEndpointActive switches one of p's endpoints on or off.
func (a *App) SetWebhookEndpointActive(ctx context.Context, p account.Principal, endpointID string, active bool) (WebhookEndpointView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return WebhookEndpointView{}, err
	}
	var out store.WebhookEndpointRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.WebhookEndpointGet(ctx, tx, endpointID)
		if store.IsNotFound(err) || err == nil && r.AccountID != p.AccountID {
			return errNotFound("webhook_endpoint")
		}
		if err != nil {
			return err
		}
		if _, err := tx.WebhookEndpointSetActive(ctx, r.ID, active); err != nil {
			return err
		}
		r.Active = active
		out = r
		return a.Audit(ctx, tx, AuditEntry{Action: "webhook.endpoint_active", SubjectType: "account", SubjectID: p.AccountID,
			Data: map[string]any{"endpoint": r.ID, "active": active}})
	})
	return endpointView(out), err
}

// WebhookDeliveries is the delivery log: a reseller its own, staff
// (account.read_any) everyone's.
func (a *App) WebhookDeliveries(ctx context.Context, p account.Principal, limit int) ([]WebhookDeliveryView, error) {
	accountID := p.AccountID
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "account.read_any", account.Object{Type: "webhook_delivery"}); err != nil {
			return nil, err
		}
		accountID = ""
	} else if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return nil, err
	}
	rs, err := store.WebhookDeliveries(ctx, a.db, accountID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookDeliveryView, 0, len(rs))
	for _, r := range rs {
		out = append(out, deliveryView(r))
	}
	return out, nil
}

// RetryWebhookDelivery puts one of p's failed deliveries back in the
// queue.
func (a *App) RetryWebhookDelivery(ctx context.Context, p account.Principal, deliveryID string) (WebhookDeliveryView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return WebhookDeliveryView{}, err
	}
	var out store.WebhookDeliveryRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.WebhookDeliveryGet(ctx, tx, deliveryID)
		if store.IsNotFound(err) || err == nil && r.AccountID != p.AccountID {
			return errNotFound("webhook_delivery")
		}
		if err != nil {
			return err
		}
		ok, err := tx.WebhookDeliveryRetry(ctx, r.ID, time.Now())
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Conflict, "webhook.not_failed", "only a failed delivery can be retried", map[string]any{"state": r.State})
		}
		r.State = "pending"
		out = r
		return a.Audit(ctx, tx, AuditEntry{Action: "webhook.retried", SubjectType: "account", SubjectID: p.AccountID,
			Data: map[string]any{"delivery": r.ID}})
	})
	return deliveryView(out), err
}

// emitWebhook writes event typ about subjectID to every active endpoint
// of accountID that takes it, in tx. The event id is the same for every
// endpoint (receivers deduplicate on it).
func (a *App) emitWebhook(ctx context.Context, tx *store.Tx, accountID, typ, subjectID string, data map[string]any) error {
	if accountID == "" {
		return nil
	}
	eps, err := store.WebhookEndpoints(ctx, tx, accountID, true)
	if err != nil || len(eps) == 0 {
		return err
	}
	evID := id.NewAt(tx.Now)
	body, err := json.Marshal(webhook.Envelope{ID: evID, Type: typ, OccurredAt: tx.Now, Data: data})
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if len(ep.Events) > 0 && !slices.Contains(ep.Events, typ) {
			continue
		}
		if err := tx.WebhookDeliveryInsert(ctx, store.WebhookDeliveryRow{ID: id.NewAt(tx.Now), EndpointID: ep.ID, AccountID: accountID, EventID: evID,
			EventType: typ, Payload: string(body), State: "pending", NextAttemptAt: time.Now(), CreatedAt: tx.Now}); err != nil {
			return err
		}
	}
	return nil
}

// DeliverWebhooks sends the deliveries due now (wall time) and returns how
// many it attempted. Safe on several instances: each attempt is leased.
func (a *App) DeliverWebhooks(ctx context.Context) (int64, error) {
	now := time.Now()
	due, err := store.WebhookDeliveriesDue(ctx, a.db, now, 100)
	if err != nil {
		return 0, err
	}
	cfg := a.webhookConfig()
	var n int64
	var all []error
	for _, d := range due {
		var ok bool
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			var err error
			ok, err = tx.WebhookDeliveryLease(ctx, d.ID, now, now.Add(cfg.Timeout+30*time.Second))
			return err
		}); err != nil || !ok {
			if err != nil {
				all = append(all, err)
			}
			continue
		}
		n++
		status, sendErr := a.sendWebhook(ctx, cfg, d)
		state, next, delivered, msg := "delivered", time.Time{}, time.Now(), ""
		if sendErr != nil {
			delivered, msg = time.Time{}, truncate(sendErr.Error(), 500)
			sched := webhook.Schedule
			if cfg.Schedule != nil {
				sched = cfg.Schedule
			}
			state, next = "pending", time.Now().Add(sched(int(d.Attempts+1)))
			if d.Attempts+1 >= webhook.MaxAttempts {
				state = "failed"
			}
		}
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.WebhookDeliveryResult(ctx, d.ID, state, int64(status), msg, next, delivered)
		}); err != nil {
			all = append(all, err)
		}
	}
	return n, errors.Join(all...)
}

func (a *App) sendWebhook(ctx context.Context, cfg WebhookConfig, d store.WebhookDeliveryRow) (int, error) {
	ep, err := store.WebhookEndpointGet(ctx, a.db, d.EndpointID)
	if err != nil {
		return 0, err
	}
	secret, err := a.open("webhook_endpoint", "secret", ep.ID, ep.SecretEnc)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader([]byte(d.Payload)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "yuanxu-webhooks/1")
	req.Header.Set(webhook.HeaderEvent, d.EventType)
	req.Header.Set(webhook.HeaderDelivery, d.ID)
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, time.Now(), []byte(d.Payload)))
	resp, err := webhookClient(cfg).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// webhookClient refuses private addresses at dial time unless allowed
// (a public name may resolve to one), and never follows redirects.
func webhookClient(cfg WebhookConfig) *http.Client {
	d := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || blockedIP(ip) {
				return fmt.Errorf("webhook: %s is not a public address", host)
			}
			return nil
		}
	}
	return &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: cfg.Timeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (a *App) webhookSweep(ctx context.Context, _ time.Time) (int64, error) {
	return a.DeliverWebhooks(ctx)
}
