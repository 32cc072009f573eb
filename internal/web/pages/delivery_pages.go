package pages

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The delivery pages (issue 13). On the portal's service page: the
// delivery's status, deadline, a recorded breach and the right to a full
// refund it gives (clause 2.2), the inspection window with "report a
// delivery problem" while it is open (clause 2.3), the sandbox label,
// addresses, and the credentials after the customer re-enters the
// password. In the console: the provisioning queue (earliest deadline
// first, counting down) with the SLA breaches, one waiting service's
// fulfilment and CA-state forms, and the nodes page.

// Delivery page templates.
const (
	tmplConsoleDelivery        = "console_delivery"
	tmplConsoleDeliveryService = "console_delivery_service"
	tmplConsoleNodes           = "console_nodes"
)

func init() {
	pageFiles[tmplConsoleDelivery] = [2]string{"layout_console.html", tmplConsoleDelivery + ".html"}
	pageFiles[tmplConsoleDeliveryService] = [2]string{"layout_console.html", tmplConsoleDeliveryService + ".html"}
	pageFiles[tmplConsoleNodes] = [2]string{"layout_console.html", tmplConsoleNodes + ".html"}
	notices["delivery_fulfilled"] = "page.console.delivery.fulfilled"
	notices["cert_state_recorded"] = "page.console.delivery.cert_recorded"
	notices["node_revoked"] = "page.console.nodes.revoked"
}

// registerDeliveryPages adds the delivery pages:
//
//	POST /services/{id}/credentials        the password again, then the page with the credentials
//	POST /services/{id}/delivery-problem   a delivery_issue ticket, then its page
//	GET  /console/delivery                 the provisioning queue and SLA breaches
//	GET  /console/delivery/{id}            one waiting service: fulfil, CA states
//	POST /console/delivery/{id}/fulfil     record a delivery made by hand
//	POST /console/delivery/{id}/cert-state record a CA state
//	GET  /console/nodes                    nodes
//	POST /console/nodes                    create a node (its token shown once)
//	POST /console/nodes/{id}/revoke        revoke a node's token
//	GET  /console/nodes/{id}/wireguard     a VPN node's WireGuard interface (netdrv_console.go)
//	POST /console/nodes/{id}/wireguard     save it
func (h *handlers) registerDeliveryPages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("POST /services/{id}/credentials", cust(h.svcCredentials))
	handle("POST /services/{id}/delivery-problem", cust(h.svcDeliveryProblem))
	handle("GET /console/delivery", staff(h.consoleDelivery))
	handle("GET /console/delivery/{id}", staff(h.consoleDeliveryService))
	handle("POST /console/delivery/{id}/fulfil", staff(h.consoleFulfil))
	handle("POST /console/delivery/{id}/cert-state", staff(h.consoleCertState))
	handle("GET /console/nodes", staff(h.consoleNodes))
	handle("POST /console/nodes", staff(h.consoleNodeCreate))
	handle("POST /console/nodes/{id}/revoke", staff(h.consoleNodeRevoke))
	handle("GET /console/nodes/{id}/wireguard", staff(h.consoleNodeWireGuard))
	handle("POST /console/nodes/{id}/wireguard", staff(h.consoleNodeWireGuardSave))
}

// SvcDelivery is a service's delivery as the portal shows it.
type SvcDelivery struct {
	Status, StatusLabel string
	Sandbox             bool
	DeliverBy           string
	Countdown           string // time left to the deadline while waiting
	DeliveredAt         string
	Breached            bool
	BreachedAt          string
	FullRefundRight     bool
	RefundHref          string
	InspectionOpen      bool
	InspectionUntil     string
	AcceptedAt          string
	IssueTicketHref     string
	Addresses           []string
	Notes               string
	HasCredentials      bool
	Credentials         []SvcCredential // set after re-authentication only
	CertStates          []SvcCertState
	SvcNet              // VPN and CDN delivery (netdrv_pages.go)
}

// SvcCredential is one credential shown after re-authentication.
type SvcCredential struct{ Name, Value string }

// SvcCertState is one recorded CA state.
type SvcCertState struct{ State, Label, At, Note string }

// countdown says how long until t from now in lang ("3 h 20 min", or
// "late by 10 min").
func countdown(lang i18n.Lang, now, t time.Time) string {
	d := t.Sub(now).Round(time.Minute)
	key := "page.delivery.left"
	if d < 0 {
		key, d = "page.delivery.late", -d
	}
	return i18n.T(lang, key, map[string]any{"hours": int(d.Hours()), "minutes": int(d.Minutes()) % 60})
}

// svcDelivery builds the delivery part of a service's page (nil when the
// service has no delivery record: renewals, traffic packs).
func (h *handlers) svcDelivery(ctx context.Context, p webctx.Principal, lang i18n.Lang, serviceID string) (*SvcDelivery, error) {
	d, err := h.app.ServiceDelivery(ctx, p.Principal, serviceID)
	if errs.CodeOf(err) == app.CodeDeliveryNone {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := deliveryModel(lang, d, h.app.Now())
	if err := h.netDelivery(ctx, p, v, d); err != nil {
		return nil, err
	}
	return v, nil
}

func deliveryModel(lang i18n.Lang, d app.ServiceDeliveryView, now time.Time) *SvcDelivery {
	v := &SvcDelivery{Status: d.Status, StatusLabel: i18n.T(lang, "page.delivery.status."+d.Status, nil), Sandbox: d.Sandbox,
		DeliverBy: shortTime(d.DeliverBy), DeliveredAt: shortTime(d.DeliveredAt), Breached: d.Breached, BreachedAt: shortTime(d.BreachedAt),
		FullRefundRight: d.FullRefundRight, InspectionOpen: d.InspectionOpen, InspectionUntil: shortTime(d.InspectionUntil),
		AcceptedAt: shortTime(d.AcceptedAt), Addresses: d.Addresses, Notes: d.Notes, HasCredentials: d.HasCredentials}
	if d.DeliveredAt.IsZero() && !d.DeliverBy.IsZero() {
		v.Countdown = countdown(lang, now, d.DeliverBy)
	}
	if d.FullRefundRight {
		v.RefundHref = "/orders/" + url.PathEscape(d.OrderID)
	}
	if d.IssueTicketID != "" {
		v.IssueTicketHref = "/tickets/" + url.PathEscape(d.IssueTicketID)
	}
	for _, c := range d.CertStates {
		v.CertStates = append(v.CertStates, SvcCertState{State: c.State, Label: i18n.T(lang, "page.delivery.cert."+c.State, nil), At: shortTime(c.At),
			Note: c.Note})
	}
	return v
}

// svcCredentials re-authenticates the customer with the password typed
// and shows the service's page with its credentials (never stored in a
// URL or a redirect).
func (h *handlers) svcCredentials(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	ctx := req.Context()
	id := req.PathValue("id")
	if err := h.app.Reauthenticate(ctx, p.SessionToken, req.PostForm.Get("password"), field(req, "totp")); err != nil {
		// A wrong password is the form's error (as on the account pages),
		// not the end of the session.
		v, gerr := h.svcDetailPage(req, p, svcTyped{})
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.Form, _ = h.formError(req, v.Lang, err)
		v.FormID = "credentials"
		h.r.render(w, req, statusOfErr(err), tmplService, v.Lang, v)
		return
	}
	creds, err := h.app.ServiceCredentials(ctx, p.Principal, p.SessionToken, id)
	if err != nil {
		h.svcFail(w, req, p, err, "credentials", svcTyped{})
		return
	}
	v, err := h.svcDetailPage(req, p, svcTyped{})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	if v.Delivery != nil {
		names := make([]string, 0, len(creds))
		for k := range creds {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v.Delivery.Credentials = append(v.Delivery.Credentials, SvcCredential{Name: k, Value: creds[k]})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	h.r.render(w, req, http.StatusOK, tmplService, v.Lang, v)
}

// svcDeliveryProblem opens a delivery_issue ticket while the inspection
// window is open, then goes to the ticket.
func (h *handlers) svcDeliveryProblem(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	t, err := h.app.ReportDeliveryProblem(req.Context(), p.Principal, id, app.DeliveryProblem{Problem: bounded(field(req, "problem")),
		Detail: bounded(req.PostForm.Get("detail"))})
	if err != nil {
		h.svcFail(w, req, p, err, "delivery_problem", svcTyped{})
		return
	}
	http.Redirect(w, req, "/tickets/"+url.PathEscape(t.ID), http.StatusSeeOther)
}

// ConsoleDeliveryView is the provisioning queue with the SLA breaches.
type ConsoleDeliveryView struct {
	Page
	Form
	Rows     []ConsoleDeliveryRow
	Breaches []ConsoleBreachRow
}

// ConsoleDeliveryRow is one waiting service.
type ConsoleDeliveryRow struct {
	ServiceID, Href, Name, Kind, Driver, Status, StatusLabel string
	DeliverBy, Countdown, CertState, LastError               string
	Late, Sandbox                                            bool
}

// ConsoleBreachRow is one order past its deadline.
type ConsoleBreachRow struct{ OrderID, Href, AccountID, DeliverBy, BreachedAt string }

func (h *handlers) consoleDelivery(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	q, err := h.app.ProvisioningQueue(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	bs, err := h.app.DeliveryBreaches(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ConsoleDeliveryView{Page: h.page(req, "page.console.delivery.title", consoleNav(), "delivery")}
	v.Notice = doneNotice(req, v.Lang)
	now := h.app.Now()
	for _, it := range q {
		v.Rows = append(v.Rows, ConsoleDeliveryRow{ServiceID: it.ServiceID, Href: "/console/delivery/" + url.PathEscape(it.ServiceID), Name: it.ServiceName,
			Kind: it.Kind, Driver: it.Driver, Status: it.Status, StatusLabel: i18n.T(v.Lang, "page.delivery.status."+it.Status, nil),
			DeliverBy: shortTime(it.DeliverBy), Countdown: countdown(v.Lang, now, it.DeliverBy), CertState: it.CertState, LastError: it.LastError,
			Late: it.RemainingSeconds <= 0, Sandbox: it.Sandbox})
	}
	for _, b := range bs {
		v.Breaches = append(v.Breaches, ConsoleBreachRow{OrderID: b.OrderID, Href: "/console/orders/" + url.PathEscape(b.OrderID), AccountID: b.AccountID,
			DeliverBy: shortTime(b.DeliverBy), BreachedAt: shortTime(b.BreachedAt)})
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleDelivery, v.Lang, v)
}

// ConsoleDeliveryServiceView is one waiting service with its forms.
type ConsoleDeliveryServiceView struct {
	ShopForm
	Page
	Row         ConsoleDeliveryRow
	Delivery    *SvcDelivery
	Certificate bool
	Waiting     bool
	// As typed.
	Addresses, Notes string
	CredNames        []string
	CredValues       []string
	CertStates       []SvcCertState // the states staff may record (State, Label)
}

// credRows is how many credential rows the fulfilment form offers.
const credRows = 3

func (h *handlers) consoleDeliveryPage(req *http.Request, p webctx.Principal, typed url.Values) (ConsoleDeliveryServiceView, error) {
	ctx := req.Context()
	id := req.PathValue("id")
	q, err := h.app.ProvisioningQueue(ctx, p.Principal)
	if err != nil {
		return ConsoleDeliveryServiceView{}, err
	}
	v := ConsoleDeliveryServiceView{Page: h.page(req, "page.console.delivery.service_title", consoleNav(), "delivery")}
	for _, st := range []string{"validating", "submitted_to_ca", "issued", "ca_rejected"} {
		v.CertStates = append(v.CertStates, SvcCertState{State: st, Label: i18n.T(v.Lang, "page.delivery.cert."+st, nil)})
	}
	d, err := h.app.ServiceDelivery(ctx, p.Principal, id)
	if err != nil {
		return v, err
	}
	v.Delivery = deliveryModel(v.Lang, d, h.app.Now())
	v.Row = ConsoleDeliveryRow{ServiceID: id, Status: d.Status, StatusLabel: v.Delivery.StatusLabel, Driver: d.Driver, DeliverBy: v.Delivery.DeliverBy,
		Countdown: v.Delivery.Countdown, Sandbox: d.Sandbox}
	for _, it := range q {
		if it.ServiceID == id {
			v.Waiting = true
			v.Row.Name, v.Row.Kind, v.Row.CertState, v.Row.LastError = it.ServiceName, it.Kind, it.CertState, it.LastError
		}
	}
	sv, err := h.app.Service(ctx, p.Principal, id)
	if err == nil {
		v.Row.Name, v.Row.Kind = sv.Name, sv.Kind
	}
	v.Certificate = v.Row.Kind == "certificate"
	v.Addresses, v.Notes = typed.Get("addresses"), typed.Get("notes")
	v.CredNames, v.CredValues = make([]string, credRows), make([]string, credRows)
	copy(v.CredNames, typed["cred_name"])
	return v, nil
}

func (h *handlers) consoleDeliveryService(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.consoleDeliveryPage(req, p, nil)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplConsoleDeliveryService, v.Lang, v)
}

func (h *handlers) consoleDeliveryFail(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error, formID string) {
	h.shopFail(w, req, err, formID, func(f ShopForm, status int) {
		v, gerr := h.consoleDeliveryPage(req, p, req.PostForm)
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.ShopForm = f
		h.r.render(w, req, status, tmplConsoleDeliveryService, v.Lang, v)
	})
}

// consoleFulfil records a delivery made by hand: addresses one per line,
// up to credRows named credentials (an empty row is skipped), notes.
func (h *handlers) consoleFulfil(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	in := app.FulfilInput{Notes: req.PostForm.Get("notes")}
	for _, l := range strings.Split(req.PostForm.Get("addresses"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			in.Addresses = append(in.Addresses, l)
		}
	}
	names, values := req.PostForm["cred_name"], req.PostForm["cred_value"]
	for i := 0; i < len(names) && i < credRows; i++ {
		val := ""
		if i < len(values) {
			val = values[i]
		}
		if strings.TrimSpace(names[i]) == "" && val == "" {
			continue
		}
		in.Credentials = append(in.Credentials, app.Credential{Name: names[i], Value: val})
	}
	id := req.PathValue("id")
	if _, err := h.app.Fulfil(req.Context(), p.Principal, id, in); err != nil {
		h.consoleDeliveryFail(w, req, p, err, "fulfil")
		return
	}
	http.Redirect(w, req, "/console/delivery?done=delivery_fulfilled", http.StatusSeeOther)
}

func (h *handlers) consoleCertState(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	if _, err := h.app.RecordCertState(req.Context(), p.Principal, id, app.CertStateInput{State: bounded(field(req, "state")),
		Note: bounded(req.PostForm.Get("note"))}); err != nil {
		h.consoleDeliveryFail(w, req, p, err, "cert_state")
		return
	}
	http.Redirect(w, req, "/console/delivery/"+url.PathEscape(id)+"?done=cert_state_recorded", http.StatusSeeOther)
}

// ConsoleNodesView is the nodes page.
type ConsoleNodesView struct {
	ShopForm
	Page
	Nodes []ConsoleNodeRow
	Kinds []string
	// Created is a node just created with its token, shown this once.
	Created *app.NodeCreated
	// As typed.
	ID, Kind, Name, Region string
}

// ConsoleNodeRow is one node with its instants formatted.
type ConsoleNodeRow struct {
	app.NodeView
	Created, Revoked string
}

func (h *handlers) consoleNodesPage(w http.ResponseWriter, req *http.Request, p webctx.Principal, v ConsoleNodesView, status int) {
	nodes, err := h.app.Nodes(req.Context(), p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Page = h.page(req, "page.console.nodes.title", consoleNav(), "delivery")
	v.Kinds = []string{"server", "vpn", "cdn"}
	for _, n := range nodes {
		v.Nodes = append(v.Nodes, ConsoleNodeRow{NodeView: n, Created: shortTime(n.CreatedAt), Revoked: shortTime(n.RevokedAt)})
	}
	if v.Notice == "" {
		v.Notice = doneNotice(req, v.Lang)
	}
	if v.Created != nil {
		w.Header().Set("Cache-Control", "no-store")
	}
	h.r.render(w, req, status, tmplConsoleNodes, v.Lang, v)
}

func (h *handlers) consoleNodes(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	h.consoleNodesPage(w, req, p, ConsoleNodesView{Kind: "server"}, http.StatusOK)
}

func (h *handlers) consoleNodeCreate(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	in := app.NodeInput{ID: bounded(field(req, "id")), Kind: bounded(field(req, "kind")), Name: bounded(field(req, "name")), Region: bounded(field(req, "region"))}
	nc, err := h.app.NodeCreate(req.Context(), p.Principal, in)
	if err != nil {
		h.shopFail(w, req, err, "node", func(f ShopForm, status int) {
			h.consoleNodesPage(w, req, p, ConsoleNodesView{ShopForm: f, ID: in.ID, Kind: in.Kind, Name: in.Name, Region: in.Region}, status)
		})
		return
	}
	h.consoleNodesPage(w, req, p, ConsoleNodesView{Created: &nc, Kind: "server"}, http.StatusOK)
}

func (h *handlers) consoleNodeRevoke(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.NodeRevoke(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.shopFail(w, req, err, "node", func(f ShopForm, status int) {
			h.consoleNodesPage(w, req, p, ConsoleNodesView{ShopForm: f, Kind: "server"}, status)
		})
		return
	}
	http.Redirect(w, req, "/console/nodes?done=node_revoked", http.StatusSeeOther)
}
