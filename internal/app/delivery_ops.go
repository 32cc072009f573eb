package app

import (
	"context"
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/delivery"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
	"yuanxu/internal/store"
)

// Delivery error codes.
const (
	CodeDeliveryInvalid     = "delivery.invalid"
	CodeDeliveryNotPending  = "delivery.not_pending"
	CodeInspectionClosed    = "delivery.inspection_closed"
	CodeDeliveryNone        = "delivery.not_found"
	CodeCertNotIssued       = "delivery.cert_not_issued"
	CodeDeliveryNotManual   = "delivery.not_certificate"
	CodeCredentialsNotFound = "delivery.no_credentials"
	CodeDeliveryChanged     = "delivery.changed"
)

// deliveryChanged is err, or — a conditional write of a provisioning record
// that found it changed since the transaction read it (ok=false) — the
// conflict delivery.changed marked for InTx to run the transaction again
// on fresh reads (store.Retry; ADR 17).
func deliveryChanged(err error) error {
	if err != nil {
		return err
	}
	return store.Retry(errs.E(errs.Op("app.delivery"), errs.Conflict, CodeDeliveryChanged, "the delivery changed meanwhile; retry", errs.ErrConflict))
}

// CertStateView is one recorded certificate state.
type CertStateView struct {
	State string    `json:"state" enum:"validating,submitted_to_ca,issued,ca_rejected" example:"submitted_to_ca"`
	At    time.Time `json:"at" example:"2026-06-01T10:00:00+08:00"`
	Note  string    `json:"note,omitempty" example:"order 12345 at the CA"`
}

// ServiceDeliveryView is how a service's delivery stands (issue 13): its status
// and deadline (clause 2.2), a recorded breach and the right to a full
// refund it gives, the inspection window (clause 2.3), the sandbox label,
// addresses and notes. Credentials are never in it: read them with
// ServiceCredentials after re-authenticating.
type ServiceDeliveryView struct {
	ServiceID   string    `json:"service_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	OrderID     string    `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	Status      string    `json:"status" enum:"queued,pending,delivered,failed,cancelled" example:"delivered"`
	Driver      string    `json:"driver" example:"sandbox"`
	Sandbox     bool      `json:"sandbox" example:"true" doc:"Test resources from the sandbox driver: not a real machine."`
	DeliverBy   time.Time `json:"deliver_by,omitzero" example:"2026-06-01T09:10:00+08:00"`
	DeliveredAt time.Time `json:"delivered_at,omitzero" example:"2026-06-01T09:00:05+08:00"`
	// Breached is set when the order's delivery deadline passed undelivered
	// (recorded by the deadline sweep): the customer may cancel for a full
	// refund to the original route whatever the class (clause 2.2).
	Breached        bool      `json:"breached" example:"false"`
	BreachedAt      time.Time `json:"breached_at,omitzero" example:"2026-06-01T09:10:30+08:00"`
	FullRefundRight bool      `json:"full_refund_right" example:"false"`
	// InspectionOpen: the window of clause 2.3 (policy inspection.window
	// from delivered_at, its end included) is open now, until
	// InspectionUntil.
	InspectionOpen  bool            `json:"inspection_open" example:"true"`
	InspectionUntil time.Time       `json:"inspection_until,omitzero" example:"2026-06-02T09:00:05+08:00"`
	AcceptedAt      time.Time       `json:"accepted_at,omitzero" example:"2026-06-02T09:00:05+08:00"`
	IssueTicketID   string          `json:"issue_ticket_id,omitempty" example:""`
	Addresses       []string        `json:"addresses" example:"[\"198.18.0.1\"]"`
	Notes           string          `json:"notes,omitempty" example:"sandbox delivery"`
	HasCredentials  bool            `json:"has_credentials" example:"true"`
	CertStates      []CertStateView `json:"cert_states,omitempty"`
	Clause          string          `json:"clause" example:"2.3"`
}

// deliveryView builds a view of rec at now.
func (a *App) deliveryView(ctx context.Context, q store.Querier, rec store.ProvisionRow, now time.Time) (ServiceDeliveryView, error) {
	v := ServiceDeliveryView{ServiceID: rec.ServiceID, OrderID: rec.OrderID, Status: rec.State, Driver: rec.Driver, Sandbox: rec.Sandbox,
		DeliverBy: rec.DeliverBy, DeliveredAt: rec.DeliveredAt, AcceptedAt: rec.AcceptedAt, IssueTicketID: rec.IssueTicketID,
		Addresses: rec.Addresses, Notes: rec.Notes, HasCredentials: rec.Credentials != "", Clause: "2.3"}
	if v.Addresses == nil {
		v.Addresses = []string{}
	}
	if b, err := store.BreachGet(ctx, q, rec.OrderID); err == nil {
		v.Breached, v.BreachedAt = true, b.BreachedAt
		o, err := store.OrderGet(ctx, q, rec.OrderID)
		if err != nil {
			return v, err
		}
		switch order.State(o.State) {
		case order.StateRefunded, order.StateCancelled, order.StateSwapped:
		default:
			v.FullRefundRight = true // clause 2.2: whatever the class; exercised through the refund process
		}
	} else if !store.IsNotFound(err) {
		return v, err
	}
	if !rec.DeliveredAt.IsZero() {
		set, _, err := a.policy.For(ctx, rec.OrderID)
		if err != nil {
			return v, err
		}
		w := set.Duration("inspection.window")
		v.InspectionUntil = rec.DeliveredAt.Add(w)
		v.InspectionOpen = delivery.InspectionOpen(rec.DeliveredAt, w, now)
	}
	states, err := certStates(ctx, q, rec.ServiceID)
	if err != nil {
		return v, err
	}
	for _, s := range states {
		v.CertStates = append(v.CertStates, CertStateView{State: s.State, At: s.At, Note: s.Note})
	}
	return v, nil
}

// ServiceDelivery reads the delivery of a service of p's tenant
// (service.read; staff account.read_any). A service with nothing
// provisioned (a renewal's, a traffic pack) is delivery.not_found.
func (a *App) ServiceDelivery(ctx context.Context, p account.Principal, serviceID string) (ServiceDeliveryView, error) {
	if _, err := a.loadService(ctx, a.db, p, serviceID, "service.read", "account.read_any"); err != nil {
		return ServiceDeliveryView{}, err
	}
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) {
		return ServiceDeliveryView{}, errs.E(errs.Op("app.ServiceDelivery"), errs.NotFound, CodeDeliveryNone, "this service has no delivery record")
	}
	if err != nil {
		return ServiceDeliveryView{}, err
	}
	return a.deliveryView(ctx, a.db, rec, a.Now())
}

// ServiceCredentials opens the sealed credentials of a delivered service
// of p's tenant (service.manage). The session of sessionToken must belong
// to p and have been re-authenticated within account.ReauthWindow
// (session.reauth_required otherwise): API keys never read credentials.
// Each reading is audited.
func (a *App) ServiceCredentials(ctx context.Context, p account.Principal, sessionToken, serviceID string) (map[string]string, error) {
	if _, err := a.loadService(ctx, a.db, p, serviceID, "service.manage", "service.manage"); err != nil {
		return nil, err
	}
	if p.Kind == account.KindStaff {
		return nil, errNotFound("service") // staff never read a customer's credentials
	}
	if _, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now()); err != nil {
		return nil, err
	}
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if err != nil && !store.IsNotFound(err) {
		return nil, err
	}
	if rec.Credentials == "" {
		return nil, errs.E(errs.Op("app.ServiceCredentials"), errs.NotFound, CodeCredentialsNotFound, "this service has no credentials")
	}
	plain, err := a.open("service_delivery", "credentials", serviceID, rec.Credentials)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if err := json.Unmarshal([]byte(plain), &out); err != nil {
		return nil, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, AuditEntry{Action: "service.credentials_read", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"purpose": "customer access after re-authentication"}})
	})
	return out, err
}

// QueueItem is one service waiting for delivery in the operations queue.
type QueueItem struct {
	ServiceDeliveryView
	ServiceName string `json:"service_name" example:"赣州家宽云服务器 · 4 vCPU · 8 GiB · 50 Mbps"`
	Kind        string `json:"kind" example:"cloud_server"`
	AccountID   string `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	// RemainingSeconds counts down to the deadline (negative: late).
	RemainingSeconds int64  `json:"remaining_seconds" example:"3600"`
	LastError        string `json:"last_error,omitempty" example:""`
	CertState        string `json:"cert_state,omitempty" example:"validating"`
}

// ProvisioningQueue lists the services waiting for delivery — queued,
// pending (manual) or failed — earliest deadline first
// (provisioning.manage).
func (a *App) ProvisioningQueue(ctx context.Context, p account.Principal) ([]QueueItem, error) {
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "service"}); err != nil {
		return nil, err
	}
	recs, err := store.Provisions(ctx, a.db, store.ProvisionFilter{States: []string{ProvQueued, ProvPending, ProvFailed}, OpenOrders: true, Limit: 500})
	if err != nil {
		return nil, err
	}
	now := a.Now()
	out := []QueueItem{}
	for _, rec := range recs {
		v, err := a.deliveryView(ctx, a.db, rec, now)
		if err != nil {
			return nil, err
		}
		svc, err := store.ServiceGet(ctx, a.db, rec.ServiceID)
		if err != nil {
			return nil, err
		}
		it := QueueItem{ServiceDeliveryView: v, ServiceName: svc.Name, Kind: svc.Kind, AccountID: rec.AccountID, LastError: rec.LastError,
			RemainingSeconds: int64(rec.DeliverBy.Sub(now) / time.Second)}
		if n := len(v.CertStates); n > 0 {
			it.CertState = v.CertStates[n-1].State
		}
		out = append(out, it)
	}
	return out, nil
}

// Credential is one named secret a fulfilment hands the customer.
type Credential struct {
	Name  string `json:"name" maxLength:"64" example:"root_password"`
	Value string `json:"value" maxLength:"4096" example:"s3cret!"`
}

// FulfilInput is what staff delivered by hand.
type FulfilInput struct {
	Addresses   []string     `json:"addresses" maxItems:"64" example:"[\"203.0.113.10\"]" doc:"IP addresses handed over (servers and VPN lines: at least one)."`
	Credentials []Credential `json:"credentials" maxItems:"32" doc:"Stored encrypted; the customer reads them after re-authenticating."`
	Notes       string       `json:"notes" maxLength:"2000" example:"root login by SSH key; panel at https://panel.example"`
}

// validFulfil checks a fulfilment of a service of kind: addresses are IP
// addresses (at least one for servers and VPN lines), credentials have a
// name and a value, notes are required for CDN and certificates (where
// nothing else says what was delivered).
func validFulfil(kind string, in FulfilInput) (FulfilInput, error) {
	const op = "app.Fulfil"
	in.Notes = strings.TrimSpace(in.Notes)
	var out []string
	for i, s := range in.Addresses {
		ad, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return in, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.addresses["+strconv.Itoa(i)+"]", "ip", "not an IP address", nil)
		}
		out = append(out, ad.String())
	}
	in.Addresses = out
	if (kind == string(catalog.KindCloudServer) || kind == string(catalog.KindVPN)) && len(in.Addresses) == 0 {
		return in, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.addresses", "required", "a server or VPN line needs at least one address", nil)
	}
	for i, c := range in.Credentials {
		if strings.TrimSpace(c.Name) == "" || len(c.Name) > 64 {
			return in, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.credentials["+strconv.Itoa(i)+"].name", "required", "name each credential", nil)
		}
		if c.Value == "" || len(c.Value) > 4096 {
			return in, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.credentials["+strconv.Itoa(i)+"].value", "required", "a credential needs a value", nil)
		}
	}
	if len(in.Notes) > 2000 {
		return in, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.notes", "max_length", "at most 2000 characters", map[string]any{"max": 2000})
	}
	if in.Notes == "" && (kind == string(catalog.KindCDN) || kind == string(catalog.KindCertificate)) {
		return in, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.notes", "required", "say what was delivered", nil)
	}
	return in, nil
}

// Fulfil records a delivery made by hand (provisioning.manage): the
// service must be waiting (queued, pending or failed; delivery.not_pending
// otherwise); a certificate must have been recorded issued first
// (delivery.cert_not_issued). Everything is checked before anything is
// written, and the delivery is recorded in one transaction, so a refused
// fulfilment leaves nothing behind.
func (a *App) Fulfil(ctx context.Context, p account.Principal, serviceID string, in FulfilInput) (ServiceDeliveryView, error) {
	const op = "app.Fulfil"
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "service"}); err != nil {
		return ServiceDeliveryView{}, err
	}
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) {
		return ServiceDeliveryView{}, errNotFound("service")
	}
	if err != nil {
		return ServiceDeliveryView{}, err
	}
	svc, err := store.ServiceGet(ctx, a.db, serviceID)
	if err != nil {
		return ServiceDeliveryView{}, err
	}
	if in, err = validFulfil(svc.Kind, in); err != nil {
		return ServiceDeliveryView{}, err
	}
	if rec.State != ProvQueued && rec.State != ProvPending && rec.State != ProvFailed {
		return ServiceDeliveryView{}, errs.E(errs.Op(op), errs.Conflict, CodeDeliveryNotPending, "this service is not waiting for delivery",
			map[string]any{"status": rec.State})
	}
	if svc.Kind == string(catalog.KindCertificate) {
		states, err := certStates(ctx, a.db, serviceID)
		if err != nil {
			return ServiceDeliveryView{}, err
		}
		if n := len(states); n == 0 || states[n-1].State != string(delivery.CertIssued) {
			return ServiceDeliveryView{}, fieldErr(op, CodeCertNotIssued, errs.Conflict, "body", "cert_not_issued",
				"record the certificate as issued before delivering it", map[string]any{"clause": "3.2.2"})
		}
	}
	res := ProvisionResult{Complete: true, Addresses: in.Addresses, Notes: in.Notes, Credentials: map[string]string{}}
	for _, c := range in.Credentials {
		res.Credentials[strings.TrimSpace(c.Name)] = c.Value
	}
	if err := a.recordDelivery(ctx, serviceID, res, rec.Driver, "staff:"+p.AccountID); err != nil {
		return ServiceDeliveryView{}, err
	}
	rec, err = store.ProvisionGet(ctx, a.db, serviceID)
	if err != nil {
		return ServiceDeliveryView{}, err
	}
	if rec.State != ProvDelivered {
		return ServiceDeliveryView{}, errs.E(errs.Op(op), errs.Conflict, CodeDeliveryNotPending, "the order closed before delivery",
			map[string]any{"status": rec.State})
	}
	return a.deliveryView(ctx, a.db, rec, a.Now())
}

// CertStateInput records a certificate state staff observed at the CA.
type CertStateInput struct {
	State string `json:"state" enum:"validating,submitted_to_ca,issued,ca_rejected" example:"submitted_to_ca"`
	// At is when it happened (default now; never in the future).
	At   time.Time `json:"at,omitzero" example:"2026-06-01T10:00:00+08:00"`
	Note string    `json:"note" maxLength:"500" example:"CA order 12345"`
}

// RecordCertState records the next state of a certificate a person
// delivers (provisioning.manage), moving along delivery.CertState (paid →
// validating → submitted_to_ca → issued / ca_rejected;
// delivery.cert_bad_transition otherwise). The refund rules read these
// states (clause 3.2.2: no no-fault refund once submitted to the CA; a CA
// rejection refunds in full). A rejection marks the delivery failed.
func (a *App) RecordCertState(ctx context.Context, p account.Principal, serviceID string, in CertStateInput) (ServiceDeliveryView, error) {
	const op = "app.RecordCertState"
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "service"}); err != nil {
		return ServiceDeliveryView{}, err
	}
	to := delivery.CertState(in.State)
	switch to {
	case delivery.CertValidating, delivery.CertSubmittedToCA, delivery.CertIssued, delivery.CertCARejected:
	default:
		return ServiceDeliveryView{}, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.state", "enum", "validating, submitted_to_ca, issued or ca_rejected", nil)
	}
	if len(in.Note) > 500 {
		return ServiceDeliveryView{}, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.note", "max_length", "at most 500 characters", map[string]any{"max": 500})
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		rec, err := store.ProvisionGet(ctx, tx, serviceID)
		if store.IsNotFound(err) {
			return errNotFound("service")
		}
		if err != nil {
			return err
		}
		svc, err := store.ServiceGet(ctx, tx, serviceID)
		if err != nil {
			return err
		}
		if svc.Kind != string(catalog.KindCertificate) {
			return fieldErr(op, CodeDeliveryNotManual, errs.Conflict, "path.id", "not_certificate", "only certificates have CA states", nil)
		}
		if rec.State != ProvQueued && rec.State != ProvPending {
			return errs.E(errs.Op(op), errs.Conflict, CodeDeliveryNotPending, "this certificate is not waiting for delivery", map[string]any{"status": rec.State})
		}
		at := in.At
		if at.IsZero() || at.After(tx.Now) {
			at = tx.Now
		}
		states, err := certStates(ctx, tx, serviceID)
		if err != nil {
			return err
		}
		cur := delivery.CertPaid
		if n := len(states); n > 0 {
			cur = delivery.CertState(states[n-1].State)
			if at.Before(states[n-1].At) {
				at = states[n-1].At // states are recorded in order
			}
		}
		if _, err := cur.Move(to); err != nil {
			return err
		}
		if err := tx.CertStateInsert(ctx, store.CertStateRow{ServiceID: serviceID, State: string(to), At: at, RecordedBy: "staff:" + p.AccountID,
			Note: strings.TrimSpace(in.Note)}); err != nil {
			return err
		}
		if to == delivery.CertCARejected {
			from := rec.State
			rec.State, rec.LastError, rec.UpdatedAt = ProvFailed, "ca_rejected", tx.Now
			if ok, err := tx.ProvisionUpdate(ctx, rec, from); err != nil || !ok {
				return conflictOr(err)
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_state", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"from": string(cur), "to": string(to), "at": at, "note": in.Note, "clause": "3.2.2"}})
	})
	if err != nil {
		return ServiceDeliveryView{}, err
	}
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if err != nil {
		return ServiceDeliveryView{}, err
	}
	return a.deliveryView(ctx, a.db, rec, a.Now())
}

// certStateOfLine is the latest recorded certificate state of an order
// line's service ("" when none is recorded), for the refund rules.
func certStateOfLine(ctx context.Context, q store.Querier, orderID string, accountID string, lineIdx int) (string, error) {
	svcs, err := store.Services(ctx, q, store.ServiceFilter{OrderID: orderID, Kind: string(catalog.KindCertificate), Limit: 1000})
	if err != nil {
		return "", err
	}
	for _, s := range svcs {
		if s.OrderID != orderID || s.LineIdx != lineIdx {
			continue
		}
		states, err := certStates(ctx, q, s.ID)
		if err != nil {
			return "", err
		}
		if n := len(states); n > 0 {
			return states[n-1].State, nil
		}
	}
	return "", nil
}

// certRank orders certificate states recorded at the same instant.
var certRank = map[string]int{string(delivery.CertValidating): 1, string(delivery.CertSubmittedToCA): 2, string(delivery.CertIssued): 3,
	string(delivery.CertCARejected): 3}

// certStates lists a service's recorded certificate states in lifecycle
// order (by instant, then by the state machine's order).
func certStates(ctx context.Context, q store.Querier, serviceID string) ([]store.CertStateRow, error) {
	rows, err := store.CertStates(ctx, q, serviceID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].At.Equal(rows[j].At) {
			return rows[i].At.Before(rows[j].At)
		}
		return certRank[rows[i].State] < certRank[rows[j].State]
	})
	return rows, nil
}
