package pages

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/refund"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The refund pages (issue 15, clauses 3 and 6.2). The portal's
// /orders/{id}/refund shows the live eligibility preview — every rule
// with its clause, outcome and sentence in the user's language, and what
// it read — then, unless the order is ineligible, the request form: the
// destinations the order's agreement version offers as radio buttons
// with none chosen, refund credit said plainly to be spendable and never
// withdrawable (clause 3.1), the reason, the statement of use and the
// confirmation that the services are suspended during the review.
// /refunds and /refunds/{id} show the customer's requests: state, review
// deadline (marked when provisional), decision, trace, and the
// withdrawal while under review (refunds_portal.go).
//
// The console's /console/refunds is the review queue by deadline,
// overdue requests marked (refund.review); /console/refunds/{id} adds the
// evidence snapshot, the trace, the dual-control state and the approve
// and reject forms (refund.decide; rejections need a reason code from a
// fixed list) (refunds_console.go).
//
// Refusals come back on the same page with what was typed and the
// message in the user's language; a missing order or request (someone
// else's included) is the 404 page.

// Refund page templates.
const (
	tmplRefundRequest        = "portal_refunds_request"
	tmplRefunds              = "portal_refunds_list"
	tmplRefund               = "portal_refunds_detail"
	tmplConsoleRefunds       = "console_refunds_queue"
	tmplConsoleRefundDetails = "console_refunds_detail"
)

func init() {
	for _, n := range []string{tmplRefundRequest, tmplRefunds, tmplRefund} {
		pageFiles[n] = [2]string{"layout_portal.html", n + ".html"}
	}
	for _, n := range []string{tmplConsoleRefunds, tmplConsoleRefundDetails} {
		pageFiles[n] = [2]string{"layout_console.html", n + ".html"}
	}
	notices["refund_requested"] = "page.refunds.notice.requested"
	notices["refund_withdrawn"] = "page.refunds.notice.withdrawn"
	notices["refund_swapped"] = "page.refunds.notice.swapped"
	for _, n := range []string{"paid", "paying", "first_approval", "rejected"} {
		notices["refund_"+n] = "page.console.refunds.notice." + n
	}
}

// registerRefundPages adds the refund pages (issue 15):
//
//	GET  /orders/{id}/refund          the preview and the request form
//	POST /orders/{id}/refund          file the request, then its page
//	GET  /refunds                     my requests
//	GET  /refunds/{id}                one request: state, deadline, trace
//	POST /refunds/{id}/withdraw       withdraw it while under review
//	GET  /console/refunds             the review queue (?state=…)
//	GET  /console/refunds/{id}        one request with the decision forms
//	POST /console/refunds/{id}        approve or reject
func (h *handlers) registerRefundPages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /orders/{id}/refund", cust(h.refundRequest))
	handle("POST /orders/{id}/refund", cust(h.refundRequestPost))
	handle("GET /refunds", cust(h.refundList))
	handle("GET /refunds/{id}", cust(h.refundDetail))
	handle("POST /refunds/{id}/withdraw", cust(h.refundWithdraw))
	handle("POST /refunds/{id}/swap", cust(h.refundSwap)) // refunds_swap.go
	handle("GET /console/refunds", staff(h.consoleRefunds))
	handle("GET /console/refunds/{id}", staff(h.consoleRefund))
	handle("POST /console/refunds/{id}", staff(h.consoleRefundPost))
}

// refundReasonCodes are the reason codes a rejection chooses from.
var refundReasonCodes = []string{"window_passed", "usage_exceeded", "class_excluded", "standing", "other"}

// RefundStep is one rule of a trace as the pages show it.
type RefundStep struct {
	Rule, Clause          string
	Name, Title           string // Name within a sentence, Title as a heading
	Outcome, OutcomeLabel string
	Sentence              string
	Inputs                []RefundFact
	Failed                bool
}

// RefundFact is one labelled value (a rule's input, an evidence item).
type RefundFact struct {
	Key, Label, Value string
}

// RefundDecisionView is an eligibility decision for the pages.
type RefundDecisionView struct {
	Outcome, OutcomeLabel, Summary string
	Amount                         string
	Breach                         bool
	Steps                          []RefundStep
	Failed                         []RefundStep
}

// refundDecisionView translates d for lang.
func refundDecisionView(lang i18n.Lang, d refund.Decision) RefundDecisionView {
	v := RefundDecisionView{Outcome: string(d.Outcome), OutcomeLabel: refundOutcomeLabel(lang, string(d.Outcome)), Summary: d.Sentence(string(lang)),
		Amount: shopYuan(lang, d.AmountFen), Breach: d.Breach}
	for _, s := range d.Trace {
		st := RefundStep{Rule: s.Rule, Clause: string(s.Clause), Name: refundRuleName(lang, s.Rule),
			Title: shopT(lang, "page.refunds.rule_title."+s.Rule, s.Rule), Outcome: string(s.Outcome),
			OutcomeLabel: refundOutcomeLabel(lang, string(s.Outcome)), Sentence: s.ZH, Failed: s.Outcome == refund.Fail}
		if lang == i18n.EN {
			st.Sentence = s.EN
		}
		keys := slices.Sorted(maps.Keys(s.Inputs))
		for _, k := range keys {
			st.Inputs = append(st.Inputs, RefundFact{Key: k, Label: shopT(lang, "page.refunds.input."+k, k), Value: s.Inputs[k]})
		}
		v.Steps = append(v.Steps, st)
		if st.Failed {
			v.Failed = append(v.Failed, st)
		}
	}
	return v
}

func refundOutcomeLabel(lang i18n.Lang, o string) string {
	return shopT(lang, "page.refunds.outcome."+o, o)
}

// refundRuleName is a rule's name in lang (the shared catalog's).
func refundRuleName(lang i18n.Lang, rule string) string {
	return shopT(lang, "refund.rule."+rule, rule)
}

// RefundSummary is a request as lists and pages show it.
type RefundSummary struct {
	ID, Short, Href, OrderID, OrderShort, OrderHref string
	AccountID                                       string
	Kind, KindLabel                                 string
	State, StateLabel                               string
	Amount, Destination, DestinationLabel           string
	Created, Due, Decided, Paid                     string
	Provisional, Overdue, UnderReview               bool
	NeedsSecond                                     bool
	FirstApprover                                   string
	ReasonCode, ReasonLabel, DecisionText           string
	Reason, Statement                               string
	TicketID                                        string
	CheckOutcome, CheckLabel                        string
}

// refundSummary builds the summary of v in lang at now; console summaries
// link to the console.
func refundSummary(lang i18n.Lang, v app.RefundView, now time.Time, console bool) RefundSummary {
	s := RefundSummary{ID: v.ID, Short: shopShortID(v.ID), Href: "/refunds/" + v.ID, OrderID: v.OrderID, OrderShort: shopShortID(v.OrderID),
		OrderHref: "/orders/" + v.OrderID, AccountID: v.AccountID, Kind: v.Kind, KindLabel: shopT(lang, "page.refunds.kind."+v.Kind, v.Kind),
		State: v.State, StateLabel: shopT(lang, "page.refunds.state."+v.State, v.State), Amount: shopYuan(lang, v.AmountFen),
		Destination: v.Destination, DestinationLabel: shopT(lang, "page.refunds.destination."+v.Destination, v.Destination),
		Created: shortTime(v.CreatedAt), Due: refundDue(lang, v.ReviewDue), Decided: shortTime(v.DecidedAt), Paid: shortTime(v.PaidAt),
		Provisional: v.ReviewProvisional, UnderReview: v.State == app.RefundUnderReview, NeedsSecond: v.NeedsSecond,
		FirstApprover: v.FirstApprover, ReasonCode: v.ReasonCode, DecisionText: v.DecisionText, Reason: v.Reason, Statement: v.Statement,
		TicketID: v.TicketID, CheckOutcome: string(v.Decision.Outcome), CheckLabel: refundOutcomeLabel(lang, string(v.Decision.Outcome))}
	if v.ReasonCode != "" {
		s.ReasonLabel = shopT(lang, "page.refunds.reason_code."+v.ReasonCode, v.ReasonCode)
	}
	s.Overdue = s.UnderReview && !v.ReviewDue.IsZero() && !now.Before(v.ReviewDue)
	if console {
		s.Href, s.OrderHref = "/console/refunds/"+v.ID, "/console/orders/"+v.OrderID
	}
	return s
}

// refundEvidence lists an evidence snapshot: known items first in a fixed
// order with their labels and values formatted for people, then any other
// item as stored.
func refundEvidence(lang i18n.Lang, ev map[string]any) []RefundFact {
	known := []string{"order", "purpose", "ordered_at", "paid_at", "deliver_by", "delivered_at", "requested_at", "paid_fen", "billed_bytes",
		"usage_known", "standing", "open_cases", "refund_classes", "agreement_version"}
	var out []RefundFact
	add := func(k string) {
		v, ok := ev[k]
		if !ok {
			return
		}
		out = append(out, RefundFact{Key: k, Label: shopT(lang, "page.refunds.evidence."+k, k), Value: refundEvidenceValue(lang, k, v)})
	}
	for _, k := range known {
		add(k)
	}
	rest := slices.Sorted(maps.Keys(ev))
	for _, k := range rest {
		if !slices.Contains(known, k) {
			add(k)
		}
	}
	return out
}

// refundEvidenceValue formats one evidence item (a JSON value).
func refundEvidenceValue(lang i18n.Lang, key string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			if t.IsZero() || t.Year() < 2 {
				return "—"
			}
			return shopTime(t)
		}
		switch {
		case key == "standing" && x == "":
			return i18n.T(lang, "page.refunds.evidence.standing_good", nil)
		case key == "purpose":
			return shopT(lang, "page.shop.purpose."+x, x)
		case x == "":
			return "—"
		}
		return x
	case float64:
		switch key {
		case "paid_fen":
			return shopYuan(lang, int64(x))
		case "billed_bytes":
			return i18n.T(lang, "page.refunds.bytes", map[string]any{"n": strconv.FormatInt(int64(x), 10)})
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return i18n.T(lang, "page.refunds.yes", nil)
		}
		return i18n.T(lang, "page.refunds.no", nil)
	case []any:
		if len(x) == 0 {
			return "—"
		}
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s := fmt.Sprint(e)
			if key == "refund_classes" {
				s = shopT(lang, "page.shop.refund_class."+s, s)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, i18n.T(lang, "layout.list_sep", nil))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// refundErrorText is the message of an application error on a refund
// page: the shared catalog's (error.<code>), with the failed rules named
// for refund.ineligible and the destinations for
// refund.destination_not_offered.
func refundErrorText(lang i18n.Lang, e *errs.Error) string {
	params := map[string]any{"request_id": ""}
	if len(e.Fields) > 0 {
		maps.Copy(params, e.Fields[0].Params)
		params["field"] = e.Fields[0].Field
	}
	maps.Copy(params, e.Params)
	switch e.Code {
	case app.CodeRefundIneligible:
		trace, _ := e.Params["trace"].([]refund.Step)
		var names []string
		for _, s := range trace {
			if s.Outcome == refund.Fail {
				names = append(names, i18n.T(lang, "refund.rule_with_clause", map[string]any{"rule": refundRuleName(lang, s.Rule), "clause": string(s.Clause)}))
			}
		}
		params["failed"] = strings.Join(names, i18n.T(lang, "layout.list_sep", nil))
	case app.CodeRefundDestination:
		offered, _ := params["offered"].([]string)
		labels := make([]string, 0, len(offered))
		for _, d := range offered {
			labels = append(labels, shopT(lang, "page.refunds.destination."+d, d))
		}
		params["values"] = strings.Join(labels, i18n.T(lang, "layout.list_sep", nil))
	}
	for _, k := range []string{"page.refunds.error." + e.Code, "error." + e.Code, "error." + e.Kind.String()} {
		if i18n.Has(k) {
			return i18n.T(lang, k, params)
		}
	}
	return i18n.T(lang, "error.invalid", nil)
}

// refundFieldText is the message of one offending field.
func refundFieldText(lang i18n.Lang, fe errs.FieldError) string {
	for _, k := range []string{"page.refunds.rule." + fe.Rule, "rule." + fe.Rule} {
		if i18n.Has(k) {
			return i18n.T(lang, k, fe.Params)
		}
	}
	return i18n.T(lang, "rule.invalid", nil)
}

// refundFormError splits err into the page's message and messages per
// input (names maps an application field to the input name; a field with
// no input goes under the page's message). ok is false when err is no
// form error (not found, forbidden, internal): the caller answers with
// actionError.
func refundFormError(lang i18n.Lang, err error, errsByInput map[string]string, names map[string]string) (Form, int, bool) {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind == errs.Internal || e.Kind == errs.Unauthenticated || e.Kind == errs.NotFound || e.Kind == errs.Forbidden {
		return Form{}, 0, false
	}
	f := Form{Error: refundErrorText(lang, e)}
	for _, fe := range e.Fields {
		if n, ok := names[fe.Field]; ok {
			if _, seen := errsByInput[n]; !seen {
				errsByInput[n] = refundFieldText(lang, fe)
			}
			continue
		}
		f.FieldErrors = append(f.FieldErrors, refundFieldText(lang, fe))
	}
	return f, statusOf(e.Kind), true
}

// refundDue says the deadline with its day of the week in lang; a
// deadline at midnight is the end of the day before ("by the end of
// 2026-12-01 (Tuesday)"), as people count working days.
func refundDue(lang i18n.Lang, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(clock.Shanghai)
	weekday := func(t time.Time) string {
		return i18n.T(lang, "page.refunds.weekday."+strconv.Itoa(int(t.Weekday())), nil)
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		day := t.AddDate(0, 0, -1)
		return i18n.T(lang, "page.refunds.due_end_of", map[string]any{"date": day.Format("2006-01-02"), "weekday": weekday(day)})
	}
	return i18n.T(lang, "page.refunds.due_at", map[string]any{"at": t.Format("2006-01-02 15:04"), "weekday": weekday(t)})
}
