package notify

import (
	"fmt"
	"sort"
	"strings"
)

// EventSpec declares an event: its category, the variables every request
// must carry (no more, no fewer), sample values for previews and start-up
// checks, and the clause of the agreement it serves (for legal notices).
type EventSpec struct {
	Event    Event
	Category Category
	Vars     []string
	Sample   map[string]string
	Clause   string
}

// Events of the platform. Later capabilities send them; each one has
// templates in every language (templates_zh.go, templates_en.go).
const (
	EventVerificationCode    Event = "auth.verification_code"
	EventDeliveryCompleted   Event = "delivery.completed"
	EventMeasureImposed      Event = "compliance.measure_imposed"
	EventAppealDecided       Event = "appeal.decided"
	EventAccountEnded        Event = "account.ended_after_ban" // 6.2, DESIGN.md §3: the ban is final, the balance paid back or held
	EventRefundDecided       Event = "refund.decided"
	EventMaintenance         Event = "maintenance.scheduled"
	EventAgreementRevised    Event = "agreement.revised"
	EventMarketingNewsletter Event = "marketing.newsletter"
	// Support tickets (clause 5; templates in templates_ticket.go).
	EventTicketOpened           Event = "ticket.opened"
	EventTicketAnswered         Event = "ticket.answered"
	EventTicketCustomerReplied  Event = "ticket.customer_replied"
	EventTicketClosed           Event = "ticket.closed"
	EventTicketAutoCloseWarning Event = "ticket.auto_close_warning"
	EventTicketTargetBreached   Event = "ticket.target_breached"
	// Real-name verification (clause 2.1; templates in templates_kyc.go).
	EventKYCDecided Event = "kyc.decided"
	// Services (issue 12; templates in templates_service.go).
	EventServiceExpiring    Event = "service.expiring"     // a reminder 7, 3 and 1 days before the term ends
	EventServiceStateChange Event = "service.state_change" // suspended, resumed, expired into grace, terminated
	EventServiceRenewed     Event = "service.renewed"      // a renewal paid, automatic or not
	EventAutoRenewProblem   Event = "service.auto_renew_problem"
	// Delivery deadlines (issue 13; templates in templates_delivery.go).
	EventDeliveryBreached Event = "delivery.breached"
	// A certificate issued by ACME: the certificate and chain by email
	// (never a private key), a notice by SMS (templates_delivery.go).
	EventCertificateIssued Event = "certificate.issued"
	// A certificate renewed before it ended: a CDN site's HTTPS
	// certificate or a DV certificate (templates_delivery.go).
	EventCertificateRenewed Event = "certificate.renewed"
	// A DV certificate proved by a TXT record the customer adds ends soon:
	// it is not renewed automatically, the customer must ask for the
	// renewal and publish a new record (templates_delivery.go).
	EventCertificateRenewalDue Event = "certificate.renewal_due"
	// Traffic quotas (issue 14; templates in templates_service.go).
	EventQuotaLevel Event = "usage.quota_level"
	// Resellers (issue 11; templates in templates_reseller.go).
	EventResellerInvitation  Event = "reseller.invitation"   // to an invited address: join through the link
	EventResellerOrderPlaced Event = "reseller.order_placed" // to the customer: its reseller placed an order for it
	// Maintenance, incidents and assignment (issue 17; templates in templates_announce.go).
	EventMaintenanceUpdate Event = "maintenance.update" // a reminder, start, extension, completion or cancellation
	EventOutageDecided     Event = "incident.decided"   // clause 7 for one service: exempt, or the term extended
	EventAssignment        Event = "assignment.notice"  // 9.3: the agreement is assigned; the customer may object and leave
)

// Specs is the event catalog.
var Specs = []EventSpec{
	{Event: EventVerificationCode, Category: Transactional, Vars: []string{"code", "minutes"},
		Sample: map[string]string{"code": "284913", "minutes": "10"}},
	{Event: EventDeliveryCompleted, Category: Transactional, Vars: []string{"order_id", "product", "inspection_until"},
		Sample: map[string]string{"order_id": "YX20260601-0001", "product": "云服务器 2C4G", "inspection_until": "2026-06-02 09:00"}, Clause: "2.3"},
	{Event: EventMeasureImposed, Category: Legal, Vars: []string{"case_id", "measure", "rule", "evidence", "reason", "appeal_until", "appeal_how"},
		Sample: map[string]string{"case_id": "CASE-1024", "measure": "封禁 / ban", "rule": "spam (4.1)", "evidence": "2 reports, 1 file",
			"reason": "40 000 mails an hour", "appeal_until": "10 个工作日 / 10 working days", "appeal_how": "https://console.example/measures"},
		Clause: "4.2"},
	{Event: EventAppealDecided, Category: Legal, Vars: []string{"appeal_id", "outcome"},
		Sample: map[string]string{"appeal_id": "AP-77", "outcome": "overturned"}, Clause: "6.2"},
	{Event: EventAccountEnded, Category: Legal, Vars: []string{"measure_id", "why", "payback"},
		Sample: map[string]string{"measure_id": "M-12", "why": "upheld", "payback": "paid_back"}, Clause: "6.2"},
	{Event: EventRefundDecided, Category: Legal, Vars: []string{"refund_id", "outcome", "amount"},
		Sample: map[string]string{"refund_id": "RF-3001", "outcome": "approved", "amount": "¥99.00"}, Clause: "3.1"},
	{Event: EventMaintenance, Category: Legal, Vars: []string{"start", "end", "services"},
		Sample: map[string]string{"start": "2026-06-10 01:00", "end": "2026-06-10 03:00", "services": "VPN"}, Clause: "7.3"},
	{Event: EventAgreementRevised, Category: Legal, Vars: []string{"version", "effective_at"},
		Sample: map[string]string{"version": "2026.2", "effective_at": "2026-07-01 00:00"}, Clause: "9.4"},
	{Event: EventMarketingNewsletter, Category: Marketing, Vars: []string{"title", "summary"},
		Sample: map[string]string{"title": "六月新品", "summary": "香港线路上线"}},
	{Event: EventTicketOpened, Category: Transactional, Vars: []string{"ticket_ref", "subject"},
		Sample: map[string]string{"ticket_ref": "T-1A2B3C4D", "subject": "无法连接服务器"}, Clause: "5"},
	{Event: EventTicketAnswered, Category: Transactional, Vars: []string{"ticket_ref", "subject"},
		Sample: map[string]string{"ticket_ref": "T-1A2B3C4D", "subject": "无法连接服务器"}, Clause: "5"},
	{Event: EventTicketCustomerReplied, Category: Transactional, Vars: []string{"ticket_ref", "subject"},
		Sample: map[string]string{"ticket_ref": "T-1A2B3C4D", "subject": "无法连接服务器"}, Clause: "5"},
	{Event: EventTicketClosed, Category: Transactional, Vars: []string{"ticket_ref", "subject", "reopen_until"},
		Sample: map[string]string{"ticket_ref": "T-1A2B3C4D", "subject": "无法连接服务器", "reopen_until": "2026-06-20 10:00"}, Clause: "5"},
	{Event: EventTicketAutoCloseWarning, Category: Transactional, Vars: []string{"ticket_ref", "subject", "close_at"},
		Sample: map[string]string{"ticket_ref": "T-1A2B3C4D", "subject": "无法连接服务器", "close_at": "2026-06-08 10:00"}, Clause: "5"},
	{Event: EventTicketTargetBreached, Category: Transactional, Vars: []string{"ticket_ref", "subject", "target", "due"},
		Sample: map[string]string{"ticket_ref": "T-1A2B3C4D", "subject": "无法连接服务器", "target": "first_response", "due": "2026-06-02 10:00"}},
	{Event: EventKYCDecided, Category: Transactional, Vars: []string{"outcome", "reason", "note"},
		Sample: map[string]string{"outcome": "rejected", "reason": "提交的信息格式不正确，请核对后重新提交。", "note": "请上传清晰的营业执照"}, Clause: "2.1"},
	{Event: EventServiceExpiring, Category: Transactional, Vars: []string{"service", "expires_at", "days", "auto_renew"},
		Sample: map[string]string{"service": "南昌云服务器 2C4G", "expires_at": "2026-07-01 09:00", "days": "7", "auto_renew": "on"}},
	{Event: EventServiceStateChange, Category: Transactional, Vars: []string{"service", "change", "reason", "until"},
		Sample: map[string]string{"service": "南昌云服务器 2C4G", "change": "suspended", "reason": "overdue", "until": "2026-07-08 09:00"}},
	{Event: EventServiceRenewed, Category: Transactional, Vars: []string{"service", "expires_at", "amount", "automatic"},
		Sample: map[string]string{"service": "南昌云服务器 2C4G", "expires_at": "2026-08-01 09:00", "amount": "¥79.00", "automatic": "yes"}},
	{Event: EventAutoRenewProblem, Category: Transactional, Vars: []string{"service", "problem", "expires_at"},
		Sample: map[string]string{"service": "南昌云服务器 2C4G", "problem": "insufficient_balance", "expires_at": "2026-07-01 09:00"}, Clause: "9.4"},
	{Event: EventDeliveryBreached, Category: Transactional, Vars: []string{"order_id", "deliver_by"},
		Sample: map[string]string{"order_id": "YX20260601-0001", "deliver_by": "2026-06-01 09:10"}, Clause: "2.2"},
	{Event: EventCertificateIssued, Category: Transactional, Vars: []string{"domains", "not_after", "certificate"},
		Sample: map[string]string{"domains": "shop.example.com", "not_after": "2026-08-30 09:00",
			"certificate": "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"}, Clause: "2.2"},
	{Event: EventCertificateRenewed, Category: Transactional, Vars: []string{"domains", "not_after"},
		Sample: map[string]string{"domains": "shop.example.com", "not_after": "2026-11-28 09:00"}, Clause: "2.2"},
	{Event: EventCertificateRenewalDue, Category: Transactional, Vars: []string{"domains", "not_after"},
		Sample: map[string]string{"domains": "shop.example.com", "not_after": "2026-11-28 09:00"}, Clause: "2.2"},
	{Event: EventQuotaLevel, Category: Transactional, Vars: []string{"service", "percent", "used", "total"},
		Sample: map[string]string{"service": "南昌云服务器 2C4G", "percent": "80", "used": "400.0 GiB", "total": "500.0 GiB"}, Clause: "3.2.3"},
	{Event: EventResellerInvitation, Category: Transactional, Vars: []string{"reseller", "link", "expires_at"},
		Sample: map[string]string{"reseller": "示例代理商", "link": "https://portal.example.com/invite/abc", "expires_at": "2026-12-03 09:00"}, Clause: "2.1"},
	{Event: EventResellerOrderPlaced, Category: Transactional, Vars: []string{"reseller", "order_id", "product", "amount", "payer"},
		Sample: map[string]string{"reseller": "示例代理商", "order_id": "01936a9e", "product": "南昌云服务器 2C4G", "amount": "¥79.00", "payer": "reseller"}, Clause: "2.1"},
	{Event: EventMaintenanceUpdate, Category: Legal, Vars: []string{"change", "start", "end", "services"},
		Sample: map[string]string{"change": "reminder", "start": "2026-06-10 01:00", "end": "2026-06-10 03:00", "services": "VPN"}, Clause: "6.2"},
	{Event: EventOutageDecided, Category: Transactional, Vars: []string{"service", "incident", "outcome", "clause", "extension"},
		Sample: map[string]string{"service": "南昌云服务器 2C4G", "incident": "机房网络中断", "outcome": "extended", "clause": "7", "extension": "1h30m"}, Clause: "7"},
	{Event: EventAssignment, Category: Legal, Vars: []string{"assignee", "effective_at", "object_until"},
		Sample: map[string]string{"assignee": "示例受让公司", "effective_at": "2026-07-01 00:00", "object_until": "2026-07-01 00:00"}, Clause: "9.3"},
}

// specIndex is Specs by event.
var specIndex = func() map[Event]EventSpec {
	m := make(map[Event]EventSpec, len(Specs))
	for _, s := range Specs {
		m[s.Event] = s
	}
	return m
}()

// SpecOf returns the spec of ev, or ok=false for an unknown event.
func SpecOf(ev Event) (EventSpec, bool) {
	s, ok := specIndex[ev]
	return s, ok
}

// CheckVars checks a request's variables against the event's declaration:
// every declared name present (a value may be empty only if the caller
// means it), no undeclared name. Errors wrap ErrUnknownEvent or ErrVars and
// name the variables, never their values.
func CheckVars(ev Event, vars map[string]string) error {
	spec, ok := SpecOf(ev)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownEvent, ev)
	}
	var missing, unknown []string
	declared := map[string]bool{}
	for _, v := range spec.Vars {
		declared[v] = true
		if _, ok := vars[v]; !ok {
			missing = append(missing, v)
		}
	}
	for k := range vars {
		if !declared[k] {
			unknown = append(unknown, k)
		}
	}
	if len(missing)+len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("%w: event %s: missing [%s], unknown [%s]", ErrVars, ev, strings.Join(missing, " "), strings.Join(unknown, " "))
}
