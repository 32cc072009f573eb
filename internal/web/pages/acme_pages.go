package pages

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Certificates by ACME on the portal's service page (issue 13): the form
// that names the domains and the challenge (and an optional CSR), the
// record to publish while validation waits for the customer with the
// "I have added it" button, the CA's reason of a rejection, the
// certificate and chain download once issued, and a key we generated
// after the customer re-enters the password (never in a URL, never
// emailed).

func init() {
	notices["cert_requested"] = "page.cert.requested"
	notices["cert_confirmed"] = "page.cert.confirmed"
	notices["cert_renewal"] = "page.cert.renewal_requested"
}

// SvcCert is a certificate's part of the service page.
type SvcCert struct {
	State, StateLabel string
	Domains           []string
	Challenge         string
	DNSMode           string
	Records           []app.CertificateRecord
	Reason            string
	NotAfter          string
	HasKey            bool
	Key               string // set after re-authentication only
	CanRequest        bool   // the form is offered
	CanConfirm        bool
	RenewalDue        bool // proved by the customer's TXT record and ending soon: "expires on …, renew"
	CanRenew          bool
	DownloadHref      string
	// The form as typed.
	TypedDomains, TypedChallenge, TypedMode, TypedCSR string
}

// registerCertPages adds the certificate routes:
//
//	POST /services/{id}/certificate           the request (domains, challenge, CSR)
//	POST /services/{id}/certificate/confirm   the DNS record is published
//	POST /services/{id}/certificate/renew     the customer renews a TXT-proved certificate
//	GET  /services/{id}/certificate.pem       the certificate and chain
//	POST /services/{id}/certificate/key       the password again, then the page with the key
func (h *handlers) registerCertPages(handle func(string, http.HandlerFunc), cust func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("POST /services/{id}/certificate", cust(h.certRequest))
	handle("POST /services/{id}/certificate/confirm", cust(h.certConfirm))
	handle("POST /services/{id}/certificate/renew", cust(h.certRenew))
	handle("GET /services/{id}/certificate.pem", cust(h.certDownload))
	handle("POST /services/{id}/certificate/key", cust(h.certKey))
}

// svcCert builds the certificate part of a service page (nil when the
// service is not a certificate issued by ACME).
func (h *handlers) svcCert(ctx context.Context, p webctx.Principal, lang i18n.Lang, serviceID string) (*SvcCert, error) {
	c, err := h.app.Certificate(ctx, p.Principal, serviceID)
	if errs.CodeOf(err) == app.CodeACMENotACME {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &SvcCert{State: c.State, StateLabel: i18n.T(lang, "page.cert.state."+c.State, nil), Domains: c.Domains, Challenge: c.Challenge,
		DNSMode: c.DNSMode, Records: c.Records, Reason: c.Reason, NotAfter: shortTime(c.NotAfter), HasKey: c.HasPrivateKey,
		CanRequest: c.State == "awaiting_request" && p.Holds("service.manage"), CanConfirm: c.State == "awaiting_customer" && p.Holds("service.manage"),
		TypedChallenge: "http-01", TypedMode: "txt", RenewalDue: c.RenewalDue, CanRenew: c.RenewalDue && p.Holds("service.manage")}
	if c.CertificatePEM != "" {
		v.DownloadHref = "/services/" + url.PathEscape(serviceID) + "/certificate.pem"
	}
	return v, nil
}

// certFail shows the service page again with err on the certificate
// form, as typed.
func (h *handlers) certFail(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error, typed func(*SvcCert)) {
	h.shopFail(w, req, err, "certificate", func(f ShopForm, status int) {
		v, gerr := h.svcDetailPage(req, p, svcTyped{})
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.ShopForm = f
		if v.Cert == nil {
			v.FormID = ""
		} else if typed != nil {
			typed(v.Cert)
		}
		h.r.render(w, req, status, tmplService, v.Lang, v)
	})
}

func (h *handlers) certRequest(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	var domains []string
	raw := req.PostForm.Get("domains")
	if len(raw) > 4000 {
		raw = raw[:4000]
	}
	for _, d := range strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' }) {
		domains = append(domains, d)
	}
	csr := req.PostForm.Get("csr")
	if len(csr) > 20000 {
		csr = csr[:20000]
	}
	in := app.CertificateRequestInput{Domains: domains, Challenge: bounded(field(req, "challenge")), DNSMode: bounded(field(req, "dns_mode")), CSR: csr}
	if in.Challenge != "dns-01" {
		in.DNSMode = ""
	}
	if _, err := h.app.SubmitCertificateRequest(req.Context(), p.Principal, req.PathValue("id"), in); err != nil {
		h.certFail(w, req, p, err, func(c *SvcCert) {
			c.TypedDomains, c.TypedChallenge, c.TypedMode, c.TypedCSR = raw, in.Challenge, field(req, "dns_mode"), csr
		})
		return
	}
	http.Redirect(w, req, "/services/"+url.PathEscape(req.PathValue("id"))+"?notice=cert_requested#certificate", http.StatusSeeOther)
}

func (h *handlers) certConfirm(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.ConfirmCertificateChallenge(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.certFail(w, req, p, err, nil)
		return
	}
	http.Redirect(w, req, "/services/"+url.PathEscape(req.PathValue("id"))+"?notice=cert_confirmed#certificate", http.StatusSeeOther)
}

// certRenew renews a certificate proved by the customer's TXT record
// (app.RenewCertificate): the page then lists the new record to publish.
func (h *handlers) certRenew(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.RenewCertificate(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.certFail(w, req, p, err, nil)
		return
	}
	http.Redirect(w, req, "/services/"+url.PathEscape(req.PathValue("id"))+"?notice=cert_renewal#certificate", http.StatusSeeOther)
}

// certDownload sends the certificate and chain (PEM), never a key.
func (h *handlers) certDownload(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	c, err := h.app.Certificate(req.Context(), p.Principal, req.PathValue("id"))
	if err == nil && c.CertificatePEM == "" {
		err = errs.E(errs.Op("pages.certDownload"), errs.NotFound, app.CodeACMENoRequest, "no certificate issued yet")
	}
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	name := "certificate"
	if len(c.Domains) > 0 {
		name = strings.NewReplacer("*", "_wildcard").Replace(c.Domains[0])
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.fullchain.pem"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(strings.TrimSpace(c.CertificatePEM) + "\n" + strings.TrimSpace(c.ChainPEM) + "\n"))
}

// certKey re-authenticates the customer with the password typed and
// shows the page with the key we generated.
func (h *handlers) certKey(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	ctx := req.Context()
	if err := h.app.Reauthenticate(ctx, p.SessionToken, req.PostForm.Get("password"), field(req, "totp")); err != nil {
		v, gerr := h.svcDetailPage(req, p, svcTyped{})
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.Form, _ = h.formError(req, v.Lang, err)
		v.FormID = "cert_key"
		h.r.render(w, req, statusOfErr(err), tmplService, v.Lang, v)
		return
	}
	key, err := h.app.CertificateKey(ctx, p.Principal, p.SessionToken, req.PathValue("id"))
	if err != nil {
		h.certFail(w, req, p, err, nil)
		return
	}
	v, err := h.svcDetailPage(req, p, svcTyped{})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	if v.Cert != nil {
		v.Cert.Key = key
	}
	w.Header().Set("Cache-Control", "no-store")
	h.r.render(w, req, http.StatusOK, tmplService, v.Lang, v)
}
