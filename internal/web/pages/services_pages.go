package pages

import (
	"net/http"
	"strconv"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/service"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The services pages (issue 12). The portal's /services lists what the
// customer's orders delivered, with the state, the term and what is left
// of it (as text, no script), the suspension reasons and automatic
// renewal; /services/{id} adds the history, the renewal form (cycles and
// the key clauses ticked one by one, as at checkout; it places a renewal
// order and goes to the order's page to pay), the plan change with each
// plan's prorated price shown before confirming, and automatic renewal on
// and off — said plainly to be the cancellation at term end, not a
// refund, with renewals and upgrades outside the no-fault refund (clause
// 3.1). The console's /console/services lists any customer's services by
// account, state and kind; /console/services/{id} offers suspend/resume
// for compliance (compliance.measure.impose) and term extensions
// (service.operate), each form only to the roles that may use it.
//
// The portal pages show refusals as the commerce pages do (shopError:
// the message in the user's language, each blocker with its clause, the
// form kept as typed); the console's as the console commerce pages do
// (ccFormError).

// Services page templates.
const (
	tmplServices             = "portal_services_list"
	tmplService              = "portal_services_detail"
	tmplConsoleServices      = "console_services_list"
	tmplConsoleServiceDetail = "console_services_detail"
)

func init() {
	pageFiles[tmplServices] = [2]string{"layout_portal.html", tmplServices + ".html"}
	pageFiles[tmplService] = [2]string{"layout_portal.html", tmplService + ".html"}
	pageFiles[tmplConsoleServices] = [2]string{"layout_console.html", tmplConsoleServices + ".html"}
	pageFiles[tmplConsoleServiceDetail] = [2]string{"layout_console.html", tmplConsoleServiceDetail + ".html"}
	for _, n := range []string{"renewal_placed", "upgrade_placed", "plan_downgraded", "plan_changed", "auto_renew_on", "auto_renew_off",
		"service_suspend", "service_resume", "service_extend"} {
		notices[n] = "page.services.notice." + n
	}
	// A refused plan change lists why (another product's plan, the
	// current one, one not sold in the cycle).
	shopListsFields[app.CodePlanChangeInvalid] = true
}

// registerServicePages adds the services pages (issue 12):
//
//	GET  /services                        my services (?state=…)
//	GET  /services/{id}                   one service: history and forms
//	POST /services/{id}/renew             a renewal order, then its page
//	POST /services/{id}/plan              an upgrade order, or a downgrade
//	POST /services/{id}/auto-renew        automatic renewal on or off
//	GET  /console/services                services (?account=…&state=…&kind=…)
//	GET  /console/services/{id}           one service with the staff forms
//	POST /console/services/{id}/action    suspend, resume or extend
func (h *handlers) registerServicePages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /services", cust(h.svcList))
	handle("GET /services/{id}", cust(h.svcDetail))
	handle("POST /services/{id}/renew", cust(h.svcRenew))
	handle("POST /services/{id}/plan", cust(h.svcPlan))
	handle("POST /services/{id}/auto-renew", cust(h.svcAutoRenew))
	handle("GET /console/services", staff(h.consoleServices))
	handle("GET /console/services/{id}", staff(h.consoleService))
	handle("POST /console/services/{id}/action", staff(h.consoleServiceAction))
}

// svcStates are the service states, in lifecycle order.
var svcStates = []string{string(service.StatePending), string(service.StateActive), string(service.StateSuspended), string(service.StateTerminated)}

// SvcSuspension is one suspension reason in force, translated.
type SvcSuspension struct {
	Reason, Label, Since string
}

// SvcSummary is a service as both its lists and its pages show it.
type SvcSummary struct {
	ID, Short, Href, Name, KindLabel string
	// CycleLabel names the billing cycle ("Monthly"), CyclePer is the
	// unit of a price ("per month").
	CycleLabel, CyclePer     string
	State, StateLabel, Phase string
	StartsAt, ExpiresAt      string
	// Countdown says where the term stands, as text: time left, time
	// since it lapsed and until when the service is kept, or when it was
	// terminated and until when its data is kept.
	Countdown   string
	Suspensions []SvcSuspension
	AutoRenew   bool
	// Paused is why automatic renewal is paused (its key), PausedText the
	// sentence saying so and what to do.
	Paused, PausedText string
	OrderID            string
	Live               bool // active or suspended: renewal and plan changes may apply
	Renewable          bool // live and renewed by cycles (not a certificate or pack)
}

// svcSummary builds the summary of v in lang at now.
func svcSummary(lang i18n.Lang, v app.ServiceView, name string, now time.Time) SvcSummary {
	s := SvcSummary{ID: v.ID, Short: shopShortID(v.ID), Href: "/services/" + v.ID, Name: name,
		KindLabel: shopT(lang, "page.shop.kind."+v.Kind, v.Kind), CycleLabel: shopT(lang, "page.services.cycle."+v.Cycle, v.Cycle),
		CyclePer: shopT(lang, "page.shop.cycle."+v.Cycle, v.Cycle),
		State:    v.State, StateLabel: shopT(lang, "page.services.state."+v.State, v.State), Phase: v.Phase,
		StartsAt: shortTime(v.StartsAt), ExpiresAt: shortTime(v.ExpiresAt), AutoRenew: v.AutoRenew, Paused: v.RenewalPaused,
		OrderID: v.OrderID, Live: v.State == string(service.StateActive) || v.State == string(service.StateSuspended)}
	s.Renewable = s.Live && v.Cycle != string(catalog.CycleOneOff)
	if s.Name == "" {
		s.Name = v.Name
	}
	for _, x := range v.Suspensions {
		s.Suspensions = append(s.Suspensions, SvcSuspension{Reason: x.Reason, Label: shopT(lang, "page.services.reason."+x.Reason, x.Reason),
			Since: shortTime(x.Since)})
	}
	if v.RenewalPaused != "" && v.AutoRenew {
		s.PausedText = shopT(lang, "page.services.paused."+v.RenewalPaused, v.RenewalPaused)
	}
	s.Countdown = svcCountdown(lang, v, now)
	return s
}

// svcCountdown says where a service's term stands at now.
func svcCountdown(lang i18n.Lang, v app.ServiceView, now time.Time) string {
	switch {
	case v.State == string(service.StateTerminated):
		if !v.DataKeptTill.IsZero() && now.Before(v.DataKeptTill) {
			return i18n.T(lang, "page.services.countdown.terminated_kept", map[string]any{"at": shortTime(v.TerminatedAt), "until": shortTime(v.DataKeptTill)})
		}
		return i18n.T(lang, "page.services.countdown.terminated", map[string]any{"at": shortTime(v.TerminatedAt)})
	case v.ExpiresAt.IsZero():
		return i18n.T(lang, "page.services.countdown.pending", nil)
	case now.Before(v.ExpiresAt):
		return i18n.T(lang, "page.services.countdown.left", map[string]any{"left": svcSpan(lang, v.ExpiresAt.Sub(now)), "at": shortTime(v.ExpiresAt)})
	}
	return i18n.T(lang, "page.services.countdown.lapsed", map[string]any{"ago": svcSpan(lang, now.Sub(v.ExpiresAt)), "until": shortTime(v.GraceUntil)})
}

// svcSpan says a duration in days and hours, or hours and minutes under
// a day (rounded up to the minute).
func svcSpan(lang i18n.Lang, d time.Duration) string {
	m := int64((d + time.Minute - 1) / time.Minute)
	days, hours, mins := m/(60*24), m/60%24, m%60
	if days > 0 {
		return i18n.T(lang, "page.services.span.days", map[string]any{"days": days, "hours": hours})
	}
	return i18n.T(lang, "page.services.span.hours", map[string]any{"hours": hours, "minutes": mins})
}

// SvcEvent is one entry of a service's history, translated.
type SvcEvent struct {
	Kind, At, Text, Note string
}

// svcEvents translates a service's history, newest first. Staff notes are
// shown only when withNotes (the console).
func svcEvents(lang i18n.Lang, evs []app.ServiceEventView, withNotes bool) []SvcEvent {
	out := make([]SvcEvent, 0, len(evs))
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		out = append(out, SvcEvent{Kind: e.Kind, At: shortTime(e.At), Text: svcEventText(lang, e)})
		if note, ok := e.Data["note"].(string); ok && withNotes {
			out[len(out)-1].Note = note
		}
	}
	return out
}

// svcEventText is one history entry in lang: the kind's sentence with its
// reason and data; an unknown kind shows as itself.
func svcEventText(lang i18n.Lang, e app.ServiceEventView) string {
	p := map[string]any{"reason": e.Reason}
	switch e.Kind {
	case "suspended", "resumed":
		p["reason"] = shopT(lang, "page.services.reason."+e.Reason, e.Reason)
	case "extended":
		p["reason"] = shopT(lang, "page.services.extend_reason."+e.Reason, e.Reason)
		if ms, ok := e.Data["by_ms"].(float64); ok {
			p["span"] = svcSpan(lang, time.Duration(ms)*time.Millisecond)
		}
	case "terminated":
		p["reason"] = shopT(lang, "page.services.terminated_reason."+e.Reason, e.Reason)
	case "auto_renew_problem":
		p["reason"] = shopT(lang, "page.services.paused."+e.Reason, e.Reason)
	case "auto_renew_set":
		if on, _ := e.Data["on"].(bool); on {
			return i18n.T(lang, "page.services.event.auto_renew_on", nil)
		}
		return i18n.T(lang, "page.services.event.auto_renew_off", nil)
	case "renewed":
		if n, ok := e.Data["cycles"].(float64); ok {
			p["cycles"] = strconv.FormatInt(int64(n), 10)
		}
	case "plan_changed":
		p["from"], p["to"] = e.Data["from"], e.Data["to"]
	case "downgrade_credited":
		if n, ok := e.Data["credit_fen"].(float64); ok {
			p["amount"] = shopYuan(lang, int64(n))
		}
	}
	if s, ok := e.Data["expires_at"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			p["expires"] = shortTime(t)
		}
	}
	for _, k := range []string{"cycles", "from", "to", "amount", "span", "expires"} {
		if p[k] == nil {
			p[k] = ""
		}
	}
	key := "page.services.event." + e.Kind
	if !i18n.Has(key) {
		return e.Kind
	}
	return i18n.T(lang, key, p)
}
