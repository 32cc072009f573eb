package pages

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/policy"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Page templates of real-name verification and data rights.
const (
	tmplAccountKYC       = "account_kyc"
	tmplAccountPrivacy   = "account_privacy"
	tmplConsoleKYC       = "console_kyc"
	tmplConsoleKYCDetail = "console_kyc_detail"
)

// KYCPageView is the portal's verification page: the status, what is
// blocked until approval, and the form that fits the account kind (a
// reseller sees both).
type KYCPageView struct {
	AccountPage
	Clause          string
	State           string // kyc.State
	AllowsPurchase  bool
	ReasonKey, Note string
	Current         *KYCRow
	Individual      bool // show the individual form
	Enterprise      bool // show the enterprise form
	MaxLicence      int
	// Echo of the form after an error: never the ID number or USCC.
	Name, CompanyName, Representative string
}

// KYCRow is a submission as the pages show it (masked).
type KYCRow struct {
	ID, AccountID, AccountName, Subject, Status string
	Name, CompanyName, Identity, Phone          string
	LicenceMIME                                 string
	LicenceBytes                                int64
	Warnings                                    []string
	ReasonKey, Note, Submitted                  string
}

func kycRow(v app.KYCSubmissionView) KYCRow {
	r := KYCRow{ID: v.ID, AccountID: v.AccountID, AccountName: v.AccountName, Subject: string(v.Subject), Status: v.Status, Name: v.Name,
		CompanyName: v.CompanyName, Identity: v.Identity, Phone: v.Phone, LicenceMIME: v.LicenceMIME, LicenceBytes: v.LicenceBytes,
		Warnings: v.Warnings, Note: v.Note, Submitted: shortTime(v.SubmittedAt)}
	if v.Reason != "" {
		r.ReasonKey = "kyc.reason." + string(v.Reason)
	}
	return r
}

// PrivacyView is the data-rights page: export, correction, closure.
type PrivacyView struct {
	AccountPage
	Years    int
	HoldKeys []string
}

// ConsoleKYCView is the review queue.
type ConsoleKYCView struct {
	Page
	Form
	Rows []KYCRow
}

// ConsoleKYCDetailView is one submission with the decision and unmask
// forms.
type ConsoleKYCDetailView struct {
	Page
	Form
	Row      KYCRow
	Reasons  []KYCReasonChoice
	Purposes []string
	Fields   []string
	// Unmasked is set right after an unmask: the field, its value and the
	// purpose recorded.
	UnmaskedField, UnmaskedValue, UnmaskedPurpose string
	Pending                                       bool
}

// KYCReasonChoice is one reason of the decision form.
type KYCReasonChoice struct {
	Code, Key           string
	Reject, RequestInfo bool
}

// kyc is the portal verification page; POST submits a form
// (multipart: the enterprise form carries the licence file).
func (h *handlers) kyc(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := KYCPageView{AccountPage: h.accountPage(req, "page.kyc.title", "kyc"), Clause: kyc.Clause, MaxLicence: h.app.KYCMaxLicenceBytes()}
	if req.URL.Query().Get("done") == "kyc" {
		v.Notice = i18n.T(v.Lang, "page.kyc.submitted", nil)
	}
	switch p.Kind {
	case account.KindIndividual:
		v.Individual = true
	case account.KindEnterprise:
		v.Enterprise = true
	case account.KindReseller:
		v.Individual, v.Enterprise = true, true
	}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		in, ok := h.parseKYCForm(w, req, v.MaxLicence)
		if !ok {
			return
		}
		_, err := h.app.KYCSubmit(req.Context(), p.Principal, p.AccountID, in)
		if err == nil {
			http.Redirect(w, req, "/account/kyc?done=kyc", http.StatusSeeOther)
			return
		}
		v.Form, status = h.formError(req, v.Lang, err)
		v.Name, v.CompanyName, v.Representative = in.Name, in.CompanyName, in.Representative
		if in.Subject == kyc.SubjectEnterprise {
			v.Name = ""
		}
	}
	st, err := h.app.KYCStatus(req.Context(), p.Principal, p.AccountID)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.State, v.AllowsPurchase, v.Note = string(st.State), st.AllowsPurchase, st.Note
	if st.Reason != "" {
		v.ReasonKey = "kyc.reason." + string(st.Reason)
	}
	if st.Current != nil {
		r := kycRow(*st.Current)
		v.Current = &r
	}
	h.r.render(w, req, status, tmplAccountKYC, v.Lang, v)
}

// parseKYCForm reads the posted form. The body limit is the licence limit
// plus room for the text fields; an oversized upload is refused by the
// validation with the licence rule, not here, as long as it fits.
func (h *handlers) parseKYCForm(w http.ResponseWriter, req *http.Request, maxLicence int) (app.KYCSubmitInput, bool) {
	req.Body = http.MaxBytesReader(w, req.Body, int64(maxLicence)+(256<<10))
	var in app.KYCSubmitInput
	if strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data") {
		if err := req.ParseMultipartForm(int64(maxLicence) + (64 << 10)); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				h.errorPage(w, req, http.StatusRequestEntityTooLarge, "page.error.bad_request.title", "page.error.bad_request.text")
				return in, false
			}
			h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
			return in, false
		}
		if f, _, err := req.FormFile("licence"); err == nil {
			b, err := io.ReadAll(io.LimitReader(f, int64(maxLicence)+1))
			f.Close()
			if err != nil {
				h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
				return in, false
			}
			in.Licence = b
		}
	} else if err := req.ParseForm(); err != nil {
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
		return in, false
	}
	in.Subject = kyc.Subject(field(req, "subject"))
	in.Name, in.CompanyName, in.Representative = field(req, "name"), field(req, "company_name"), field(req, "representative")
	in.IDNumber, in.USCC, in.Phone = pii.Secret(field(req, "id_number")), pii.Secret(field(req, "uscc")), pii.Secret(field(req, "phone"))
	return in, true
}

// privacy is the data-rights page; POST /account/privacy/close requests
// closure.
func (h *handlers) privacy(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := PrivacyView{AccountPage: h.accountPage(req, "page.privacy.title", "privacy")}
	h.renderPrivacy(w, req, p, &v, http.StatusOK)
}

func (h *handlers) renderPrivacy(w http.ResponseWriter, req *http.Request, p webctx.Principal, v *PrivacyView, status int) {
	ctx := req.Context()
	set, _, err := h.app.Policy().ForCustomer(ctx, p.AccountID, h.app.Now())
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	v.Years = set.Int(policy.RetentionKYCAfterClosureYears)
	holds, err := h.app.LegalHolds(ctx, h.app.DB(), p.AccountID)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, hd := range holds {
		v.HoldKeys = append(v.HoldKeys, holdKey(hd.Code))
	}
	h.r.render(w, req, status, tmplAccountPrivacy, v.Lang, v)
}

func holdKey(code string) string {
	if k := "hold." + code; i18n.Has(k) {
		return k
	}
	return "error.conflict"
}

func (h *handlers) privacyExport(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	x, err := h.app.DataExportOf(req.Context(), p.Principal, p.AccountID)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="yuanxu-data.json"`)
	hd.Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(x)
}

func (h *handlers) privacyClose(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	v := PrivacyView{AccountPage: h.accountPage(req, "page.privacy.title", "privacy")}
	if req.PostForm.Get("confirm") != "yes" {
		v.Form.Error = i18n.T(v.Lang, "error.invalid", nil)
		v.FieldErrors = []string{i18n.T(v.Lang, "page.privacy.close_confirm", nil) + ": " + i18n.T(v.Lang, "rule.required", nil)}
		h.renderPrivacy(w, req, p, &v, http.StatusUnprocessableEntity)
		return
	}
	err := h.app.CloseAccount(req.Context(), p.Principal, p.AccountID)
	if err == nil {
		setSession(w, req, "")
		http.Redirect(w, req, "/login?done=signed_out", http.StatusSeeOther)
		return
	}
	v.Form, _ = h.formError(req, v.Lang, err)
	if f, ok := holdsText(v.Lang, err); ok {
		v.Form.Error = f
	}
	h.renderPrivacy(w, req, p, &v, statusOfErr(err))
}

// holdsText names the holds of a closure refusal in the page's language.
func holdsText(lang i18n.Lang, err error) (string, bool) {
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != app.CodeClosureHeld {
		return "", false
	}
	codes, _ := e.Params["holds"].([]string)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = i18n.T(lang, holdKey(c), nil)
	}
	return i18n.T(lang, "error.account.closure_held", map[string]any{"holds": strings.Join(parts, i18n.T(lang, "layout.list_sep", nil))}), true
}

// consoleKYC is the review queue.
func (h *handlers) consoleKYC(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ConsoleKYCView{Page: h.page(req, "page.console.kyc.title", consoleNav(), "kyc")}
	if req.URL.Query().Get("done") == "decided" {
		v.Notice = i18n.T(v.Lang, "page.console.kyc.decided", nil)
	}
	vs, err := h.app.KYCQueue(req.Context(), p.Principal, 200)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, s := range vs {
		v.Rows = append(v.Rows, kycRow(s))
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleKYC, v.Lang, v)
}

// consoleKYCDetail shows one submission masked; POST action=decide records
// a decision, action=unmask shows one field in clear with a purpose.
func (h *handlers) consoleKYCDetail(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	sid := bounded(req.PathValue("id"))
	v := ConsoleKYCDetailView{Page: h.page(req, "page.console.kyc.title", consoleNav(), "kyc"), Purposes: app.UnmaskPurposes,
		Fields: []string{"name", "identity", "phone"}}
	for _, r := range kyc.Reasons() {
		v.Reasons = append(v.Reasons, KYCReasonChoice{Code: string(r.Code), Key: "kyc.reason." + string(r.Code),
			Reject: r.Use&kyc.UseReject != 0, RequestInfo: r.Use&kyc.UseInfoRequest != 0})
	}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		var err error
		switch req.PostForm.Get("action") {
		case "unmask":
			v.UnmaskedField, v.UnmaskedPurpose = field(req, "field"), field(req, "purpose")
			v.UnmaskedValue, err = h.app.KYCUnmask(ctx, p.Principal, sid, v.UnmaskedField, v.UnmaskedPurpose)
		default:
			_, err = h.app.KYCDecide(ctx, p.Principal, sid, app.KYCDecision{Decision: app.KYCDecisionKind(field(req, "decision")),
				Reason: kyc.ReasonCode(field(req, "reason")), Note: field(req, "note")})
			if err == nil {
				http.Redirect(w, req, "/console/kyc?done=decided", http.StatusSeeOther)
				return
			}
		}
		if err != nil {
			v.UnmaskedValue = ""
			v.Form, status = h.formError(req, v.Lang, err)
		}
	}
	s, err := h.app.KYCSubmission(ctx, p.Principal, sid)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Row, v.Pending = kycRow(s), s.Status == string(kyc.StatePending)
	h.r.render(w, req, status, tmplConsoleKYCDetail, v.Lang, v)
}

// consoleKYCLicence serves a submission's licence file to a reviewer with
// a purpose (?purpose=…), audited like any unmask, with the type decided
// from its content and nosniff.
func (h *handlers) consoleKYCLicence(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	mime, b, err := h.app.KYCLicence(req.Context(), p.Principal, bounded(req.PathValue("id")), bounded(req.URL.Query().Get("purpose")))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", mime)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", "inline")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
