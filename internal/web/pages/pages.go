// Package pages is yuanxu's server-rendered web: the customer portal and the
// staff console, their layouts, the language switcher and the embedded
// static assets (CSS, htmx).
//
// Contracts:
//   - Register parses every template (html/template, embedded) once per
//     language and checks every literal catalog key and asset name they use;
//     any problem is an error from Register, never from a request.
//   - Each page executes with a typed view model (view.go); every visible
//     string comes from the i18n catalog (catalog_pages.go), in the language
//     i18n.FromRequest picks.
//   - Pages carry no inline script or style, so they run under the CSP
//     "default-src 'self'; script-src 'self'; style-src 'self'; img-src
//     'self' data:" that package web sets.
//   - Numbers the agreement states (refund window, traffic threshold,
//     review days…) are read from the policy registry, never written here.
//
// Package web calls Register on its mux and wraps it with its middleware
// (security headers, CSRF by cross-origin protection, logging).
package pages

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"yuanxu/internal/account"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
)

// Config wires the pages.
type Config struct {
	App     *app.App
	Version string
	Logger  *slog.Logger // nil: discard
	// Routes, if set, receives every pattern Register adds (for the
	// authorisation matrix test).
	Routes *[]string
}

// handlers holds the dependencies every page handler shares.
type handlers struct {
	app     *app.App
	version string
	log     *slog.Logger
	r       *renderer
	assets  *assets
}

// Register parses the templates and registers the routes of the portal and
// the console on mux:
//
//	GET  /{$}             portal home
//	GET  /login           customer sign-in form
//	POST /login           503 with a notice until accounts exist
//	GET  /console/{$}     console home (work queues)
//	GET  /console/login   staff sign-in form
//	POST /console/login   503 with a notice until accounts exist
//	POST /lang            sets the language cookie, 303 to a local path
//	GET  /static/         embedded assets
//	/                     the 404 page for every other path (problem+json
//	                      under /api/ and /callbacks/)
//
// Register owns the catch-all pattern "/"; other packages must register
// more specific patterns. A mux that already holds a conflicting pattern
// makes Register return an error.
func Register(mux *http.ServeMux, c Config) (err error) {
	if mux == nil || c.App == nil {
		return errors.New("pages: Register needs a mux and an App")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	as, err := loadAssets()
	if err != nil {
		return err
	}
	r, err := newRenderer(as, c.Logger)
	if err != nil {
		return err
	}
	h := &handlers{app: c.App, version: c.Version, log: c.Logger, r: r, assets: as}

	// ServeMux panics on a conflicting pattern; report it as an error.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pages: registering routes: %v", p)
		}
	}()
	handle := func(pattern string, hf http.HandlerFunc) {
		if c.Routes != nil {
			*c.Routes = append(*c.Routes, pattern)
		}
		mux.Handle(pattern, hf)
	}
	cust, staff := h.customerOnly, h.staffOnly
	handle("GET /{$}", h.home)
	handle("GET /login", h.login)
	handle("POST /login", h.loginPost)
	handle("GET /login/second-factor", h.secondFactor)
	handle("POST /login/second-factor", h.secondFactor)
	handle("POST /logout", h.logout)
	handle("GET /register", h.register)
	handle("POST /register", h.register)
	handle("GET /password-reset", h.passwordReset)
	handle("POST /password-reset", h.passwordReset)
	handle("POST /password-reset/confirm", h.passwordResetConfirm)
	handle("GET /account", cust(h.profile))
	handle("POST /account/profile", cust(h.profilePost))
	handle("POST /account/contact", cust(h.contactPost))
	handle("GET /account/security", cust(h.security))
	handle("POST /account/security", cust(h.securityPost))
	handle("GET /account/sessions", cust(h.sessions))
	handle("POST /account/sessions/{id}/end", cust(h.endSession))
	handle("POST /account/logout-all", cust(h.logoutAll))
	handle("GET /account/api-keys", cust(h.apiKeys))
	handle("POST /account/api-keys", cust(h.apiKeys))
	handle("POST /account/api-keys/{id}/revoke", cust(h.revokeKey))
	handle("GET /account/inbox", cust(h.inbox))
	handle("POST /account/inbox/{id}/read", cust(h.markRead))
	handle("GET /account/kyc", cust(h.kyc))
	handle("POST /account/kyc", cust(h.kyc))
	handle("GET /account/privacy", cust(h.privacy))
	handle("GET /account/privacy/export", cust(h.privacyExport))
	handle("POST /account/privacy/close", cust(h.privacyClose))
	handle("GET /console/{$}", staff(h.consoleHome))
	handle("GET /console/login", h.consoleLogin)
	handle("POST /console/login", h.consoleLoginPost)
	handle("GET /console/login/second-factor", h.consoleSecondFactor)
	handle("POST /console/login/second-factor", h.consoleSecondFactor)
	handle("POST /console/logout", h.consoleLogout)
	handle("GET /console/customers", staff(h.customers))
	handle("GET /console/staff", staff(h.staff))
	handle("POST /console/staff", staff(h.staff))
	handle("GET /console/notifications", staff(h.deliveries))
	handle("POST /console/notifications/{id}/resend", staff(h.resendDelivery))
	handle("GET /console/sandbox/sms", staff(h.sandboxSMS))
	handle("GET /console/sandbox/mail", staff(h.sandboxMail))
	handle("GET /console/templates", staff(h.templates))
	handle("GET /console/kyc", staff(h.consoleKYC))
	handle("GET /console/kyc/{id}", staff(h.consoleKYCDetail))
	handle("POST /console/kyc/{id}", staff(h.consoleKYCDetail))
	handle("GET /console/kyc/{id}/licence", staff(h.consoleKYCLicence))
	h.registerTickets(handle)
	h.registerAgreementRoutes(handle, staff) // agreement.go
	h.registerCommercePortal(handle, cust)   // commerce_portal.go
	h.registerCommerceConsole(handle, staff) // commerce_console.go
	h.registerServicePages(handle, cust, staff)
	h.registerPaymentPages(handle, cust, staff)  // payments_pages.go
	h.registerRefundPages(handle, cust, staff)   // refunds_pages.go
	h.registerUsagePages(handle, cust, staff)    // usage_pages.go
	h.registerResellerPages(handle, cust, staff) // resellers.go
	h.registerCompliancePages(handle, staff)     // compliance.go
	h.registerAuthorityPages(handle, staff)      // authority.go
	h.registerMeasurePages(handle, cust, staff)  // compliance_measures.go
	h.registerDeliveryPages(handle, cust, staff) // delivery_pages.go
	h.registerCertPages(handle, cust)            // acme_pages.go
	h.registerAnnouncePages(handle, cust, staff) // announce.go
	h.registerNetPages(handle, cust)             // netdrv_pages.go
	handle("POST /lang", h.setLang)
	handle("GET "+StaticPrefix, as.serve(http.HandlerFunc(h.notFound)).ServeHTTP)
	handle("/", h.notFound)
	return nil
}

// Portal and console navigation. Items without Href are shown disabled until
// the issue that builds them lands.
func portalNav() []NavItem {
	return []NavItem{
		{ID: "products", LabelKey: "layout.nav.products", Href: "/products"},
		{ID: "cart", LabelKey: "layout.nav.cart", Href: "/cart"},
		{ID: "orders", LabelKey: "layout.nav.orders", Href: "/orders"},
		{ID: "services", LabelKey: "layout.nav.services", Href: "/services"},
		{ID: "wallet", LabelKey: "layout.nav.wallet", Href: "/wallet"},
		{ID: "tickets", LabelKey: "layout.nav.tickets", Href: "/tickets"},
		{ID: "account", LabelKey: "layout.nav.account", Href: "/account"},
	}
}

func consoleNav() []NavItem {
	return []NavItem{
		{ID: "home", LabelKey: "layout.console.nav.home", Href: "/console/"},
		{ID: "catalog", LabelKey: "page.console.nav.catalog", Href: "/console/catalog"},
		{ID: "orders", LabelKey: "page.console.nav.orders", Href: "/console/orders"},
		{ID: "services", LabelKey: "page.console.nav.services", Href: "/console/services"},
		{ID: "finance", LabelKey: "page.console.nav.finance", Href: "/console/finance"},
		{ID: "refunds", LabelKey: "layout.console.nav.refunds", Href: "/console/refunds"},
		{ID: "compliance", LabelKey: "layout.console.nav.compliance", Href: "/console/compliance"},
		{ID: "measures", LabelKey: "page.console.nav.measures", Href: "/console/measures"},
		{ID: "tickets", LabelKey: "layout.console.nav.tickets", Href: "/console/tickets"},
		{ID: "delivery", LabelKey: "layout.console.nav.delivery", Href: "/console/delivery"},
		{ID: "kyc", LabelKey: "page.console.nav.kyc", Href: "/console/kyc"},
		{ID: "agreement", LabelKey: "page.console.nav.agreement", Href: "/console/agreement"},
		{ID: "licences", LabelKey: "page.console.nav.licences", Href: "/console/licences"},
		{ID: "calendar", LabelKey: "page.console.nav.calendar", Href: "/console/calendar"},
		{ID: "customers", LabelKey: "layout.console.nav.customers", Href: "/console/customers"},
		{ID: "resellers", LabelKey: "page.console.nav.resellers", Href: "/console/resellers"},
		{ID: "announce", LabelKey: "page.console.nav.announce", Href: "/console/maintenance"},
		{ID: "staff", LabelKey: "layout.console.nav.staff", Href: "/console/staff"},
		{ID: "notifications", LabelKey: "layout.console.nav.notifications", Href: "/console/notifications"},
		{ID: "templates", LabelKey: "layout.console.nav.templates", Href: "/console/templates"},
		{ID: "settings", LabelKey: "layout.console.nav.settings", NoteKey: "layout.console.nav.soon"},
	}
}

// page builds the layout part of a view model for the request.
func (h *handlers) page(req *http.Request, titleKey string, nav []NavItem, current string) Page {
	lang := i18n.FromRequest(req)
	p := Page{
		Lang:     lang,
		TitleKey: titleKey,
		Next:     req.URL.Path,
		Nav:      nav,
		Version:  h.version,
	}
	if pr, ok := principal(req); ok {
		p.SignedIn, p.Staff = true, pr.Staff()
		if pr.Kind == account.KindReseller && len(p.Nav) > 0 && p.Nav[0].ID == "products" {
			p.Nav = append(p.Nav, NavItem{ID: "reseller", LabelKey: "layout.nav.reseller", Href: "/reseller"})
		}
	}
	p.Reaccept = h.reacceptBanner(req)             // agreement_reaccept.go
	p.Maintenance = h.maintenanceBanner(req, lang) // announce.go
	switch {
	case req.URL.Path == "/lang": // an error page of the switcher itself
		p.Next = "/"
	case req.URL.RawQuery != "" && (req.Method == http.MethodGet || req.Method == http.MethodHead):
		p.Next += "?" + req.URL.RawQuery
	}
	for i := range p.Nav {
		p.Nav[i].Current = p.Nav[i].ID == current
	}
	for _, l := range i18n.Langs {
		p.Langs = append(p.Langs, LangChoice{Code: l, LabelKey: "layout.lang." + string(l), Current: l == lang})
	}
	if h.app.IsSandbox() {
		now := h.app.Now().In(clock.Shanghai)
		p.Sandbox = &SandboxBanner{Now: now, Display: now.Format("2006-01-02 15:04:05"), DateTime: now.Format("2006-01-02T15:04:05-07:00")}
	}
	return p
}

// isConsole reports whether a path belongs to the staff console.
func isConsole(path string) bool { return path == "/console" || strings.HasPrefix(path, "/console/") }

// notFound is the 404 page in the request's language, in the console layout
// under /console/. API and callback paths get problem+json, never HTML.
func (h *handlers) notFound(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, "/api/") || strings.HasPrefix(req.URL.Path, "/callbacks/") {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"type":"about:blank","title":"Not Found","status":404,"code":"not_found"}` + "\n"))
		return
	}
	h.errorPage(w, req, http.StatusNotFound, "page.error.not_found.title", "page.error.not_found.text")
}

// errorPage renders an error page with the given status and catalog keys.
func (h *handlers) errorPage(w http.ResponseWriter, req *http.Request, status int, headKey, textKey string) {
	v := ErrorView{Status: status, HeadKey: headKey, TextKey: textKey}
	name := tmplPortalError
	if isConsole(req.URL.Path) {
		name = tmplConsoleError
		v.Page = h.page(req, headKey, consoleNav(), "")
		v.HomeHref, v.HomeKey = "/console/", "page.error.console_home_link"
	} else {
		v.Page = h.page(req, headKey, portalNav(), "")
		v.HomeHref, v.HomeKey = "/", "page.error.home_link"
	}
	h.r.render(w, req, status, name, v.Lang, v)
}

// internalError logs err and renders the 500 page.
func (h *handlers) internalError(w http.ResponseWriter, req *http.Request, err error) {
	h.log.ErrorContext(req.Context(), "page failed", slog.String("path", req.URL.Path), slog.Any("error", err))
	h.errorPage(w, req, http.StatusInternalServerError, "page.error.internal.title", "page.error.internal.text")
}
