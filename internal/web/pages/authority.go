package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/compliance"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The authorities page (issue 16 part B): the disclosure register and its
// form, authority holds (place, lift), who held an address at an instant,
// and re-verification flags (/console/authorities); and the case-file
// export (/console/compliance/cases/{id}/export). Each section shows only
// to staff whose permissions allow it; the use cases authorise.

const tmplConsoleAuthority = "console_authority"

func init() {
	pageFiles[tmplConsoleAuthority] = [2]string{"layout_console.html", tmplConsoleAuthority + ".html"}
	notices["disclosure"] = "page.console.authority.notice.disclosure"
	notices["hold"] = "page.console.authority.notice.hold"
	notices["hold_lifted"] = "page.console.authority.notice.hold_lifted"
	notices["reverify"] = "page.console.authority.notice.reverify"
}

func (h *handlers) registerAuthorityPages(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /console/authorities", staff(h.consoleAuthority))
	handle("POST /console/authorities/disclosures", staff(h.consoleDisclosure))
	handle("POST /console/authorities/holds", staff(h.consoleHold))
	handle("POST /console/authorities/holds/{id}/lift", staff(h.consoleHoldLift))
	handle("POST /console/authorities/lookup", staff(h.consoleLookup))
	handle("POST /console/authorities/reverify", staff(h.consoleReverify))
	handle("GET /console/compliance/cases/{id}/export", staff(h.consoleCaseExport))
}

// Choice is one option of a select or a set of checkboxes.
type Choice struct{ Value, Label string }

// DisclosureRow is a register entry on the page.
type DisclosureRow struct {
	ID, Authority, Officer, DocType, DocNumber, DocHref, DocSHA, Accounts, Fields, At, By string
}

// HoldRow is an authority hold on the page.
type HoldRow struct {
	ID, Account, Authority, DocType, DocNumber, DocHref, Reason, Placed, Lifted string
	InForce                                                                     bool
}

// LookupAnswer is the answer to an address lookup.
type LookupAnswer struct {
	Held                                       bool
	Address, At, Service, Account, Mask, Since string
}

// ConsoleAuthorityView is the authorities page.
type ConsoleAuthorityView struct {
	Page
	Form
	CanDisclose, CanLookup, CanFlag bool
	Disclosures                     []DisclosureRow
	Holds                           []HoldRow
	DocTypes, Fields, Purposes      []Choice
	Answer                          *LookupAnswer
}

func (h *handlers) consoleAuthorityPage(req *http.Request, p webctx.Principal) (ConsoleAuthorityView, error) {
	can := func(perm account.Permission) bool { return account.Can(p.Principal, perm, account.Object{}).Allowed }
	v := ConsoleAuthorityView{Page: h.page(req, "page.console.authority.title", consoleNav(), "compliance"),
		CanDisclose: can("compliance.disclosure.manage"), CanLookup: can("compliance.case.read"), CanFlag: can("kyc.review")}
	if !v.CanDisclose && !v.CanLookup && !v.CanFlag {
		return v, h.app.Authorize(req.Context(), p.Principal, "compliance.disclosure.manage", account.Object{})
	}
	for _, t := range compliance.DocTypes {
		v.DocTypes = append(v.DocTypes, Choice{string(t), i18n.T(v.Lang, "compliance.doc_type."+string(t), nil)})
	}
	for _, f := range compliance.DisclosureFields {
		v.Fields = append(v.Fields, Choice{string(f), i18n.T(v.Lang, "compliance.disclosure_field."+string(f), nil)})
	}
	for _, pu := range compliance.LookupPurposes {
		v.Purposes = append(v.Purposes, Choice{pu, i18n.T(v.Lang, "compliance.lookup_purpose."+pu, nil)})
	}
	if !v.CanDisclose {
		return v, nil
	}
	ds, err := h.app.Disclosures(req.Context(), p.Principal)
	if err != nil {
		return v, err
	}
	for _, d := range ds {
		row := DisclosureRow{ID: d.ID, Authority: d.Authority, Officer: d.Officer, DocType: i18n.T(v.Lang, "compliance.doc_type."+d.DocType, nil),
			DocNumber: d.DocNumber, DocSHA: d.DocSHA256, Accounts: strings.Join(d.AccountIDs, " "), At: shortTime(d.DisclosedAt), By: d.DisclosedBy}
		labels := make([]string, len(d.Fields))
		for i, f := range d.Fields {
			labels[i] = i18n.T(v.Lang, "compliance.disclosure_field."+f, nil)
		}
		row.Fields = strings.Join(labels, "、")
		if d.DocSHA256 != "" {
			row.DocHref = "/api/v1/staff/compliance/disclosures/" + url.PathEscape(d.ID) + "/document"
		}
		v.Disclosures = append(v.Disclosures, row)
	}
	hs, err := h.app.Holds(req.Context(), p.Principal, "", false)
	if err != nil {
		return v, err
	}
	for _, x := range hs {
		row := HoldRow{ID: x.ID, Account: x.AccountID, Authority: x.Authority, DocType: i18n.T(v.Lang, "compliance.doc_type."+x.DocType, nil),
			DocNumber: x.DocNumber, Reason: x.Reason, Placed: shortTime(x.PlacedAt), Lifted: shortTime(x.LiftedAt), InForce: x.LiftedAt.IsZero()}
		if x.DocSHA256 != "" {
			row.DocHref = "/api/v1/staff/compliance/holds/" + url.PathEscape(x.ID) + "/document"
		}
		v.Holds = append(v.Holds, row)
	}
	return v, nil
}

func (h *handlers) consoleAuthority(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.consoleAuthorityPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplConsoleAuthority, v.Lang, v)
}

// authorityError shows the page again with the use case's refusal.
func (h *handlers) authorityError(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error) {
	v, perr := h.consoleAuthorityPage(req, p)
	if perr != nil {
		h.actionError(w, req, perr)
		return
	}
	var status int
	v.Form, status = h.formError(req, v.Lang, err)
	h.r.render(w, req, status, tmplConsoleAuthority, v.Lang, v)
}

// legalDocForm reads the legal document fields and its scan.
func (h *handlers) legalDocForm(w http.ResponseWriter, req *http.Request) (app.LegalDocInput, bool) {
	files, ok := h.parseUpload(w, req)
	if !ok {
		return app.LegalDocInput{}, false
	}
	in := app.LegalDocInput{Authority: field(req, "authority"), DocType: field(req, "doc_type"), DocNumber: field(req, "doc_number")}
	if len(files) > 0 {
		in.DocFilename, in.DocContent = files[0].Name, files[0].Data
	}
	return in, true
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })
}

func (h *handlers) consoleDisclosure(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	doc, ok := h.legalDocForm(w, req)
	if !ok {
		return
	}
	in := app.DisclosureInput{LegalDocInput: doc, Officer: field(req, "officer"), AccountIDs: words(field(req, "account_ids")),
		ServiceIDs: words(field(req, "service_ids")), Fields: req.Form["fields"], CaseID: field(req, "case_id"), Note: longField(req, "note", 8000)}
	if _, err := h.app.RecordDisclosure(req.Context(), p.Principal, in); err != nil {
		h.authorityError(w, req, p, err)
		return
	}
	http.Redirect(w, req, "/console/authorities?done=disclosure", http.StatusSeeOther)
}

func (h *handlers) consoleHold(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	doc, ok := h.legalDocForm(w, req)
	if !ok {
		return
	}
	in := app.HoldInput{LegalDocInput: doc, AccountID: field(req, "account_id"), Reason: longField(req, "reason", 2000)}
	if _, err := h.app.PlaceHold(req.Context(), p.Principal, in); err != nil {
		h.authorityError(w, req, p, err)
		return
	}
	http.Redirect(w, req, "/console/authorities?done=hold", http.StatusSeeOther)
}

func (h *handlers) consoleHoldLift(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.LiftHold(req.Context(), p.Principal, req.PathValue("id"), longField(req, "reason", 2000)); err != nil {
		h.authorityError(w, req, p, err)
		return
	}
	http.Redirect(w, req, "/console/authorities?done=hold_lifted", http.StatusSeeOther)
}

func (h *handlers) consoleLookup(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	in := app.LookupInput{Address: field(req, "address"), Purpose: field(req, "purpose"), Reference: field(req, "reference")}
	if t, err := time.ParseInLocation(complianceTimeForm, field(req, "at"), clock.Shanghai); err == nil {
		in.At = t
	}
	a, err := h.app.LookupAddress(req.Context(), p.Principal, in)
	if err != nil {
		h.authorityError(w, req, p, err)
		return
	}
	v, err := h.consoleAuthorityPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Answer = &LookupAnswer{Held: a.Held, Address: a.Address, At: shortTime(a.At), Service: a.ServiceID, Account: a.AccountID, Mask: a.AccountMask,
		Since: shortTime(a.From)}
	h.r.render(w, req, http.StatusOK, tmplConsoleAuthority, v.Lang, v)
}

func (h *handlers) consoleReverify(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	in := app.ReverifyInput{Reason: longField(req, "reason", 2000), CaseID: field(req, "case_id")}
	if _, err := h.app.FlagReverify(req.Context(), p.Principal, field(req, "account_id"), in); err != nil {
		h.authorityError(w, req, p, err)
		return
	}
	http.Redirect(w, req, "/console/authorities?done=reverify", http.StatusSeeOther)
}

func (h *handlers) consoleCaseExport(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	x, err := h.app.ExportCase(req.Context(), p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/zip")
	hd.Set("Content-Disposition", "attachment; filename="+x.Filename)
	hd.Set("X-Manifest-SHA256", x.ManifestSHA256)
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.Itoa(len(x.Archive)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(x.Archive)
}
