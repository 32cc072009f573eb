package pages

import (
	"net/http"
	"slices"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/notify"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// customers is the console's customer search (exact email or phone, id,
// or name prefix); results are masked.
func (h *handlers) customers(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := CustomersView{Page: h.page(req, "page.customers.title", consoleNav(), "customers"), Q: strings.TrimSpace(req.URL.Query().Get("q"))}
	status := http.StatusOK
	if v.Q != "" {
		vs, _, err := h.app.CustomerSearch(req.Context(), p.Principal, app.CustomerQuery{Q: v.Q, Limit: 50})
		if err != nil {
			v.Form, status = h.formError(req, v.Lang, err)
		}
		for _, a := range vs {
			v.Results = append(v.Results, summary(a))
		}
	} else if err := h.app.Authorize(req.Context(), p.Principal, "account.read_any", account.Object{}); err != nil {
		h.actionError(w, req, err)
		return
	}
	h.r.render(w, req, status, tmplConsoleCustomers, v.Lang, v)
}

// staff lists staff members; POST creates one (action=create) or sets a
// member's roles (action=roles).
func (h *handlers) staff(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := StaffView{Page: h.page(req, "page.staff.title", consoleNav(), "staff")}
	v.Notice = doneNotice(req, v.Lang)
	for _, r := range account.Roles() {
		v.Roles = append(v.Roles, string(r.Role))
	}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		var err error
		var rs []account.Role
		for _, r := range req.PostForm["role"] {
			rs = append(rs, account.Role(r))
		}
		if req.PostForm.Get("action") == "roles" {
			err = h.app.StaffSetRoles(req.Context(), p.Principal, field(req, "id"), rs)
		} else {
			_, err = h.app.CreateStaff(req.Context(), &p.Principal, app.CreateStaffInput{Email: field(req, "email"),
				DisplayName: field(req, "display_name"), Password: req.PostForm.Get("new_password"), Roles: rs})
		}
		if err == nil {
			http.Redirect(w, req, "/console/staff?done=staff", http.StatusSeeOther)
			return
		}
		v.Form, status = h.formError(req, v.Lang, err)
	}
	ms, err := h.app.StaffList(req.Context(), p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, m := range ms {
		v.Members = append(v.Members, summary(m))
	}
	h.r.render(w, req, status, tmplConsoleStaff, v.Lang, v)
}

// hasRole is a template helper: whether roles holds r.
func hasRole(roles []string, r string) bool { return slices.Contains(roles, r) }

// deliveries is the notification delivery log with filters; failed and
// bounced email and SMS deliveries carry a resend button for staff who may
// resend.
func (h *handlers) deliveries(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	q := req.URL.Query()
	v := DeliveriesView{Page: h.page(req, "page.deliveries.title", consoleNav(), "notifications"),
		NotificationID: q.Get("notification_id"), SubjectType: q.Get("subject_type"), SubjectID: q.Get("subject_id"),
		CanResend: p.Principal.Holds("notify.resend")}
	v.Notice = doneNotice(req, v.Lang)
	if err := h.app.Authorize(req.Context(), p.Principal, "notify.log.read", account.Object{}); err != nil {
		h.actionError(w, req, err)
		return
	}
	ds, err := h.app.NotifyDeliveries(req.Context(), app.DeliveryFilter{NotificationID: bounded(v.NotificationID),
		SubjectType: bounded(v.SubjectType), SubjectID: bounded(v.SubjectID), Limit: 200})
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, d := range ds {
		v.Rows = append(v.Rows, DeliveryRow{ID: d.ID, NotificationID: d.NotificationID, Event: d.Event, Channel: d.Channel, To: d.AddressMasked,
			Status: d.Status, Provider: d.Provider, Reason: d.Reason, Created: shortTime(d.CreatedAt), Attempts: d.Attempts,
			Resendable: (d.Status == "failed" || d.Status == "bounced") && d.Channel != "inapp" && d.Address != nil})
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleDeliveries, v.Lang, v)
}

// resendDelivery puts a failed or bounced delivery back in the queue.
func (h *handlers) resendDelivery(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if err := h.app.NotifyResend(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.actionError(w, req, err)
		return
	}
	http.Redirect(w, req, "/console/notifications?done=resent", http.StatusSeeOther)
}

func bounded(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// sandboxSMS is the sandbox SMS outbox (sandbox mode only; 404 otherwise).
func (h *handlers) sandboxSMS(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.app.IsSandbox() {
		h.notFound(w, req)
		return
	}
	v := SandboxSMSView{Page: h.page(req, "page.sms.title", consoleNav(), "sms"), Phone: bounded(strings.TrimSpace(req.URL.Query().Get("phone")))}
	if err := h.app.Authorize(req.Context(), p.Principal, "notify.log.read", account.Object{}); err != nil {
		h.actionError(w, req, err)
		return
	}
	ms, err := h.app.SandboxSMSMessages(req.Context(), v.Phone, 100)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, m := range ms {
		v.Messages = append(v.Messages, SMSRow{ID: m.ID, To: m.PhoneMasked, Text: m.Text, Received: shortTime(m.ReceivedAt)})
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleSMS, v.Lang, v)
}

// sandboxMail is the sandbox mail outbox (sandbox mode only; 404 otherwise).
func (h *handlers) sandboxMail(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.app.IsSandbox() {
		h.notFound(w, req)
		return
	}
	v := SandboxMailView{Page: h.page(req, "page.mail.title", consoleNav(), "mail"), To: bounded(strings.TrimSpace(req.URL.Query().Get("to")))}
	if err := h.app.Authorize(req.Context(), p.Principal, "notify.log.read", account.Object{}); err != nil {
		h.actionError(w, req, err)
		return
	}
	ms, err := h.app.SandboxMailMessages(req.Context(), v.To, 100)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, m := range ms {
		v.Messages = append(v.Messages, MailRow{ID: m.ID, To: m.RcptMasked, Subject: m.Subject, Text: m.Text, Received: shortTime(m.ReceivedAt)})
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleMail, v.Lang, v)
}

// templates previews a notification template with its sample values.
func (h *handlers) templates(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	q := req.URL.Query()
	v := TemplatesView{Page: h.page(req, "page.templates.title", consoleNav(), "templates"), Event: q.Get("event"), PreviewLang: q.Get("lang")}
	if err := h.app.Authorize(req.Context(), p.Principal, "notify.log.read", account.Object{}); err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, e := range notify.Specs {
		v.Events = append(v.Events, string(e.Event))
	}
	if v.PreviewLang != string(i18n.EN) {
		v.PreviewLang = string(i18n.ZH)
	}
	status := http.StatusOK
	if v.Event != "" {
		r, err := h.app.NotifyPreview(notify.Event(v.Event), notify.Lang(v.PreviewLang))
		if err != nil {
			v.Form, status = h.formError(req, v.Lang, err)
		} else {
			v.Subject, v.Text, v.SMS, v.Category = r.Subject, r.Text, r.SMS, string(r.Category)
		}
	}
	h.r.render(w, req, status, tmplConsoleTemplates, v.Lang, v)
}
