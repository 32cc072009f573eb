package pages

import (
	"net/http"

	"yuanxu/internal/app"
	"yuanxu/internal/policy"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The console's assignments page (announce.manage, clause 9.3): every
// assignment notice with the customers who objected, the pro-rata refund
// each left with and the state of the refunds that pay it to the original
// route; and the form that notices a new assignment to every active
// customer.

const tmplConsoleAssignments = "console_assignments"

func init() {
	pageFiles[tmplConsoleAssignments] = [2]string{"layout_console.html", tmplConsoleAssignments + ".html"}
	notices["assignment_noticed"] = "page.console.announce.notice.assignment_noticed"
}

func (h *handlers) registerAssignConsole(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /console/assignments", staff(h.consoleAssignments))
	handle("POST /console/assignments", staff(h.consoleAssignments))
}

// ConsoleAssignmentsView lists assignments with the notice form.
type ConsoleAssignmentsView struct {
	Page
	Form
	Sub                   []NavItem
	NoticeDays            int
	Items                 []ConsoleAssignmentRow
	Assignee, EffectiveAt string
}

// ConsoleAssignmentRow is one assignment and its objections.
type ConsoleAssignmentRow struct {
	ID, Assignee, EffectiveAt string
	NoticeDays, Notified      int
	Objections                []ConsoleObjectionRow
}

// ConsoleObjectionRow is one customer's objection.
type ConsoleObjectionRow struct {
	AccountID, At, Total string
	Refunds              []ConsoleObjectionRefund
}

// ConsoleObjectionRefund is one order's refund of an objection.
type ConsoleObjectionRefund struct {
	ID, OrderID, Amount, State, StateLabel, PaidAt string
}

func (h *handlers) consoleAssignments(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ConsoleAssignmentsView{Page: h.page(req, "page.console.announce.assignments.title", consoleNav(), "announce"), Sub: announceSubnav("assignments")}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		v.Assignee, v.EffectiveAt = field(req, "assignee"), field(req, "effective_at")
		_, err := h.app.CreateAssignment(req.Context(), p.Principal, app.AssignmentInput{Assignee: v.Assignee, EffectiveAt: parseLocal(v.EffectiveAt)})
		if err == nil {
			http.Redirect(w, req, "/console/assignments?done=assignment_noticed", http.StatusSeeOther)
			return
		}
		if s := statusOfErr(err); s == http.StatusForbidden {
			h.actionError(w, req, err)
			return
		}
		v.Form, status = h.formError(req, v.Lang, err)
	} else {
		v.Notice = doneNotice(req, v.Lang)
	}
	set, _, err := h.policyInForce(req.Context())
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	v.NoticeDays = set.Int(policy.AssignmentNoticeDays)
	as, err := h.app.Assignments(req.Context(), p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, a := range as {
		r := ConsoleAssignmentRow{ID: a.ID, Assignee: a.Assignee, EffectiveAt: shortTime(a.EffectiveAt), NoticeDays: a.NoticeDays, Notified: a.Notified}
		for _, o := range a.Objections {
			or := ConsoleObjectionRow{AccountID: o.AccountID, At: shortTime(o.At), Total: fen(o.TotalFen)}
			for _, rf := range o.Refunds {
				paid := ""
				if !rf.PaidAt.IsZero() {
					paid = shortTime(rf.PaidAt)
				}
				or.Refunds = append(or.Refunds, ConsoleObjectionRefund{ID: rf.ID, OrderID: rf.OrderID, Amount: fen(rf.AmountFen), State: rf.State,
					StateLabel: i18n.T(v.Lang, "page.console.announce.refund_state."+rf.State, nil), PaidAt: paid})
			}
			r.Objections = append(r.Objections, or)
		}
		v.Items = append(v.Items, r)
	}
	h.r.render(w, req, status, tmplConsoleAssignments, v.Lang, v)
}
