package pages

import (
	"context"
	"net/http"
	"net/url"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/web/webctx"
)

// VPN and CDN delivery on the portal's service page (issue 13): a
// WireGuard line's client configuration (.conf download and QR code)
// after the customer re-enters the password; a CDN service's domain form,
// the TXT record and CNAME target to publish, and the check.

func init() {
	notices["cdn_saved"] = "page.netdrv.cdn.saved"
	notices["cdn_verified"] = "page.netdrv.cdn.verified"
}

// registerNetPages adds:
//
//	POST /services/{id}/wireguard        the password again, then the page with the download and QR code
//	GET  /services/{id}/wireguard.conf   the client configuration (a session re-authenticated within 5 minutes)
//	GET  /services/{id}/wireguard.png    its QR code (likewise)
//	POST /services/{id}/cdn              add or change the domain and origin
//	POST /services/{id}/cdn/check        check the ownership TXT record
func (h *handlers) registerNetPages(handle func(string, http.HandlerFunc), cust func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("POST /services/{id}/wireguard", cust(h.svcWireGuard))
	handle("GET /services/{id}/wireguard.conf", cust(h.svcWireGuardFile))
	handle("GET /services/{id}/wireguard.png", cust(h.svcWireGuardFile))
	handle("POST /services/{id}/cdn", cust(h.svcCDNSave))
	handle("POST /services/{id}/cdn/check", cust(h.svcCDNCheck))
}

// SvcNet is the VPN and CDN part of a service's delivery.
type SvcNet struct {
	Driver string
	// WireGuard: a delivered WireGuard line; WireGuardReady: the session
	// was just re-authenticated, so the download and QR code work.
	WireGuard, WireGuardReady bool
	// CDN: a CDN service on our edges (the form is shown); CDNSite its
	// site once a domain is added.
	CDN           bool
	CDNSite       *app.CDNSiteView
	CDNVerifiedAt string
	CDNHTTPSUntil string
}

func (h *handlers) netDelivery(ctx context.Context, p webctx.Principal, v *SvcDelivery, d app.ServiceDeliveryView) error {
	v.Driver = d.Driver
	switch d.Driver {
	case "wireguard":
		v.WireGuard = d.Status == "delivered"
	case "nginx":
		v.CDN = true
		site, err := h.app.CDNSite(ctx, p.Principal, d.ServiceID)
		if errs.CodeOf(err) == app.CodeCDNNoSite {
			return nil
		}
		if err != nil {
			return err
		}
		v.CDNSite, v.CDNVerifiedAt, v.CDNHTTPSUntil = &site, shortTime(site.VerifiedAt), shortTime(site.HTTPSNotAfter)
	}
	return nil
}

// svcWireGuard re-authenticates the customer and shows the page with the
// configuration's download link and QR code.
func (h *handlers) svcWireGuard(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
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
		v.FormID = "wireguard"
		h.r.render(w, req, statusOfErr(err), tmplService, v.Lang, v)
		return
	}
	v, err := h.svcDetailPage(req, p, svcTyped{})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	if v.Delivery != nil && v.Delivery.WireGuard {
		v.Delivery.WireGuardReady = true
	}
	w.Header().Set("Cache-Control", "no-store")
	h.r.render(w, req, http.StatusOK, tmplService, v.Lang, v)
}

// svcWireGuardFile serves the configuration or its QR code to a session
// re-authenticated within the window; otherwise the service page with
// the reason.
func (h *handlers) svcWireGuardFile(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	id := req.PathValue("id")
	qr := len(req.URL.Path) > 4 && req.URL.Path[len(req.URL.Path)-4:] == ".png"
	var b []byte
	var err error
	if qr {
		b, err = h.app.WireGuardQR(ctx, p.Principal, p.SessionToken, id, 384)
	} else {
		b, err = h.app.WireGuardConfig(ctx, p.Principal, p.SessionToken, id)
	}
	if err != nil {
		h.svcFail(w, req, p, err, "wireguard", svcTyped{})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if qr {
		w.Header().Set("Content-Type", "image/png")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="yuanxu-`+url.PathEscape(id)+`.conf"`)
	}
	_, _ = w.Write(b)
}

func (h *handlers) svcCDNSave(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	if _, err := h.app.CDNOnboard(req.Context(), p.Principal, id, app.CDNSiteInput{Domain: bounded(field(req, "domain")),
		Origin: bounded(field(req, "origin"))}); err != nil {
		h.svcFail(w, req, p, err, "cdn", svcTyped{})
		return
	}
	http.Redirect(w, req, "/services/"+url.PathEscape(id)+"?done=cdn_saved#cdn", http.StatusSeeOther)
}

func (h *handlers) svcCDNCheck(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	if _, err := h.app.CDNCheck(req.Context(), p.Principal, id); err != nil {
		h.svcFail(w, req, p, err, "cdn", svcTyped{})
		return
	}
	http.Redirect(w, req, "/services/"+url.PathEscape(id)+"?done=cdn_verified#cdn", http.StatusSeeOther)
}
