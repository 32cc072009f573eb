package pages

import (
	"context"
	"fmt"
	"net/http"

	"yuanxu/internal/app"
	"yuanxu/internal/policy"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// consoleQueue describes one card of the console home. The capability that
// builds a queue sets its count (and href once the queue has a page); until
// then the card shows the empty state.
type consoleQueue struct {
	id       string
	titleKey string
	// detail says what the queue holds and the deadline rule behind it,
	// with numbers from the policy in force.
	detail  func(lang i18n.Lang, set *policy.Set) string
	clauses string
	href    string
	count   func(ctx context.Context, a *app.App) (int, error) // nil: not built yet, 0
}

// consoleQueues lists the console home's cards, in display order. Later
// issues append theirs or fill count and href.
func consoleQueues() []consoleQueue {
	return []consoleQueue{
		{
			id: "refunds", titleKey: "page.console_home.queue.refunds.title",
			detail: func(l i18n.Lang, s *policy.Set) string {
				return i18n.T(l, "page.console_home.queue.refunds.detail",
					map[string]any{"days": s.Int(policy.RefundReviewWorkingDays)})
			},
			clauses: clauses(string(policy.RefundReviewWorkingDays)),
			href:    "/console/refunds",
			count: func(ctx context.Context, a *app.App) (int, error) {
				return a.RefundQueueCount(ctx)
			},
		},
		{
			id: "provisioning", titleKey: "page.console_home.queue.provisioning.title",
			detail: func(l i18n.Lang, _ *policy.Set) string {
				return i18n.T(l, "page.console_home.queue.provisioning.detail", nil)
			},
			clauses: "2.2",
			href:    "/console/delivery",
			count: func(ctx context.Context, a *app.App) (int, error) {
				n, _, err := a.DeliveryCounts(ctx)
				return n, err
			},
		},
		{
			id: "delivery", titleKey: "page.console_home.queue.delivery.title",
			detail: func(l i18n.Lang, _ *policy.Set) string {
				return i18n.T(l, "page.console_home.queue.delivery.detail", nil)
			},
			// The SLA is per product (catalog), frozen on the order; the
			// remedy is clause 2.2. The deadline sweep records breaches
			// (delivery_sweep.go).
			clauses: "2.2",
			href:    "/console/delivery#breaches",
			count: func(ctx context.Context, a *app.App) (int, error) {
				_, n, err := a.DeliveryCounts(ctx)
				return n, err
			},
		},
		{
			id: "violations", titleKey: "page.console_home.queue.violations.title",
			detail: func(l i18n.Lang, s *policy.Set) string {
				return i18n.T(l, "page.console_home.queue.violations.detail",
					map[string]any{"hours": s.Int(policy.ComplianceEmergencyConfirmHours)})
			},
			clauses: clauses(string(policy.ComplianceEmergencyConfirmHours)),
		},
		{
			id: "tickets", titleKey: "page.console_home.queue.tickets.title",
			detail: func(l i18n.Lang, _ *policy.Set) string {
				return i18n.T(l, "page.console_home.queue.tickets.detail", nil)
			},
			clauses: "5",
			href:    "/console/tickets",
			count:   ticketQueueCount,
		},
		{
			id: "ticket_breaches", titleKey: "page.console_home.queue.ticket_breaches.title",
			detail: func(l i18n.Lang, _ *policy.Set) string {
				return i18n.T(l, "page.console_home.queue.ticket_breaches.detail", nil)
			},
			href:  "/console/tickets?view=breached",
			count: ticketBreachCount,
		},
		{
			id: "kyc", titleKey: "page.console.kyc.heading",
			detail: func(l i18n.Lang, _ *policy.Set) string {
				if l == i18n.EN {
					return "Real-name submissions awaiting a reviewer (approve, reject with a reason, or ask for more); provisioned purchases wait for approval."
				}
				return "等待审核的实名认证申请（通过、附原因驳回或要求补充）；通过前不能购买需开通的产品。"
			},
			clauses: "2.1",
			href:    "/console/kyc",
			count: func(ctx context.Context, a *app.App) (int, error) {
				return a.KYCPendingCount(ctx)
			},
		},
	}
}

// consoleHome renders the staff console home with its work queues.
func (h *handlers) consoleHome(w http.ResponseWriter, req *http.Request, _ webctx.Principal) {
	v := ConsoleHomeView{Page: h.page(req, "page.console_home.title", consoleNav(), "home")}
	set, _, err := h.policyInForce(req.Context())
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, q := range consoleQueues() {
		card := QueueCard{
			ID:      q.id,
			Title:   i18n.T(v.Lang, q.titleKey, nil),
			Detail:  q.detail(v.Lang, set),
			Clauses: q.clauses,
			Href:    q.href,
		}
		if q.count != nil {
			if card.Count, err = q.count(req.Context(), h.app); err != nil {
				h.internalError(w, req, fmt.Errorf("queue %s: %w", q.id, err))
				return
			}
		}
		v.Queues = append(v.Queues, card)
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleHome, v.Lang, v)
}

// policyInForce returns the policy of the agreement version in force at
// business time now, and that version's id.
func (h *handlers) policyInForce(ctx context.Context) (*policy.Set, string, error) {
	src := h.app.Policy().Source
	id, err := src.VersionInForce(ctx, h.app.Now())
	if err != nil {
		return nil, "", fmt.Errorf("policy in force: %w", err)
	}
	set, err := src.SetForVersion(ctx, id)
	if err != nil {
		return nil, "", fmt.Errorf("policy of version %s: %w", id, err)
	}
	if set == nil {
		return nil, "", fmt.Errorf("policy of version %s is missing", id)
	}
	return set, id, nil
}
