package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// SwapOption is one replacement a customer may choose for an approved
// swap: a plan and cycle priced at no more than what was paid.
type SwapOption struct {
	Value, Label string
	Selected     bool
}

// SwapView is the swap section of a request's page.
type SwapView struct {
	Options           []SwapOption
	Clauses           []KeyClauseView
	VersionID, SHA256 string
}

// swapView lists the catalog's plans a swap may choose (price ≤ paid) and
// the key clauses of the version in force to tick.
func (h *handlers) swapView(req *http.Request, lang i18n.Lang, r app.RefundView, chosen string, acks []string) (*SwapView, error) {
	ps, err := h.app.Catalog(req.Context())
	if err != nil {
		return nil, err
	}
	v := &SwapView{}
	for _, p := range ps {
		for _, pl := range p.Plans {
			for _, pr := range pl.Prices {
				if pr.AmountFen > r.AmountFen {
					continue
				}
				val := p.ID + "|" + pl.ID + "|" + pr.Cycle
				v.Options = append(v.Options, SwapOption{Value: val, Selected: val == chosen,
					Label: p.DisplayName(string(lang)) + " · " + pl.Name + " · " + shopYuan(lang, pr.AmountFen) + " / " + pr.Cycle})
			}
		}
	}
	ag, err := h.app.AgreementCurrent(req.Context())
	if err != nil {
		return nil, err
	}
	v.VersionID, v.SHA256 = ag.ID, ag.SHA256
	for _, id := range app.KeyClauseIDs(ag) {
		cl, _ := ag.Doc.Clause(agreement.ClauseID(id))
		title, _ := cl.In(string(lang))
		v.Clauses = append(v.Clauses, KeyClauseView{ID: id, Title: title, Explain: cl.Explain.In(string(lang)),
			ExplainHref: explainHref(ag.ID, agreement.ClauseID(id)), Checked: slices.Contains(acks, id)})
	}
	return v, nil
}

// refundSwap completes an approved swap with the chosen replacement; a
// refusal shows the request's page with the message and the choice kept.
func (h *handlers) refundSwap(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	choice := bounded(field(req, "replacement"))
	acks := boundedList(req.PostForm["ack"])
	parts := strings.SplitN(choice, "|", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	_, err := h.app.SwapRefund(req.Context(), p.Principal, id, app.SwapRequest{ProductID: parts[0], PlanID: parts[1], Cycle: parts[2],
		Agreement: app.AgreementAck{VersionID: field(req, "version_id"), SHA256: field(req, "sha256"), Acknowledged: acks}})
	if err == nil {
		http.Redirect(w, req, "/refunds/"+url.PathEscape(id)+"?done=refund_swapped", http.StatusSeeOther)
		return
	}
	f, status, ok := refundFormError(i18n.FromRequest(req), err, map[string]string{}, nil)
	if !ok {
		h.actionError(w, req, err)
		return
	}
	v, gerr := h.refundDetailPage(req, p)
	if gerr != nil {
		h.actionError(w, req, gerr)
		return
	}
	if v.Swap != nil {
		for i := range v.Swap.Options {
			v.Swap.Options[i].Selected = v.Swap.Options[i].Value == choice
		}
		for i := range v.Swap.Clauses {
			v.Swap.Clauses[i].Checked = slices.Contains(acks, v.Swap.Clauses[i].ID)
		}
	}
	v.Form = f
	h.r.render(w, req, status, tmplRefund, v.Lang, v)
}
