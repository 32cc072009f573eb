package pages

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/money"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The catalog pages: every product with what customers are shown before
// checkout (refund class and clause, plans and prices, stock, delivery
// SLA), and the product form of each kind.

// ConsoleCatalogView lists every product, active or not.
type ConsoleCatalogView struct {
	Page
	Form
	Sub      []ConsoleSubNav
	Products []ConsoleProductRow
}

// ConsoleProductRow is one product of the list.
type ConsoleProductRow struct {
	ID, Name, NameEn, Kind, KindLabel string
	RefundClass, RefundClause         string
	Spec, Region, SLA, Driver         string
	Active                            bool
	Plans                             []ConsolePlanRow
}

// ConsolePlanRow is one plan of the list: its prices and stock, shown.
type ConsolePlanRow struct {
	ID, Name, Stock string
	Prices          []string // "月付 ¥39.00"
}

// ConsoleProductView is the product form of one kind. Every value is the
// text of its input (what was typed, after an error).
type ConsoleProductView struct {
	Page
	Form
	Sub        []ConsoleSubNav
	Errs       ccFieldErrs
	New        bool
	Action     string
	ChooseKind bool // /console/catalog/new without a kind: choose one first
	Kinds      []ConsoleOption

	Kind, KindLabel                                     string
	ID, Name, NameEn, Description, Region, SLA, SortKey string
	Driver                                              string
	Active                                              bool
	Drivers                                             []ConsoleOption
	RefundClass, RefundClause                           string

	Server ConsoleServerForm
	VPN    ConsoleVPNForm
	CDN    ConsoleCDNForm
	Cert   ConsoleCertForm
	Pack   ConsolePackForm
	Plans  []ConsolePlanForm
	Cycles []ConsoleOption // the price columns: the cycles the kind allows
	// PlanRows is how many plan rows the form posts.
	PlanRows int
}

// ConsoleServerForm is a cloud server's specification.
type ConsoleServerForm struct {
	CPU, MemoryMiB, DiskGiB, Region, BandwidthMbps, QuotaGiB string
	Line, Billing, Direction                                 string
	Lines, Billings, Directions                              []ConsoleOption
}

// ConsoleVPNForm is a VPN line's specification.
type ConsoleVPNForm struct {
	Line, Scope   string
	Lines, Scopes []ConsoleOption
}

// ConsoleCDNForm is a CDN product's specification.
type ConsoleCDNForm struct {
	Plan, QuotaGiB, BandwidthMbps string
	Plans                         []ConsoleOption
}

// ConsoleCertForm is a certificate's specification.
type ConsoleCertForm struct {
	Validation, Domains string
	Validations         []ConsoleOption
}

// ConsolePackForm is a traffic pack's specification.
type ConsolePackForm struct{ GiB, ValidityDays string }

// ConsolePlanForm is one plan row: prices per cycle the kind allows, in
// yuan.
type ConsolePlanForm struct {
	Index                              int
	ID, Name, Stock                    string
	Remove                             bool
	Prices                             []ConsolePriceInput
	IDErr, NameErr, StockErr, PriceErr string
}

// ConsolePriceInput is one price input of a plan.
type ConsolePriceInput struct{ Cycle, Label, Value, Err string }

// ccMaxPlanRows bounds the plan rows a form may post.
const ccMaxPlanRows = 50

func (h *handlers) consoleCatalog(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ConsoleCatalogView{Page: h.page(req, "page.console.catalog.title", consoleNav(), "catalog")}
	v.Sub, v.Notice = ccCatalogSub(v.Lang, "products"), doneNotice(req, v.Lang)
	ps, err := h.app.CatalogAll(req.Context(), p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, pv := range ps {
		v.Products = append(v.Products, ccProductRow(v.Lang, pv))
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleCatalog, v.Lang, v)
}

func ccProductRow(lang i18n.Lang, pv app.ProductView) ConsoleProductRow {
	r := ConsoleProductRow{ID: pv.ID, Name: pv.Name, NameEn: pv.NameEn, Kind: pv.Kind, KindLabel: ccLabel(lang, "page.console.commerce.kind.", pv.Kind),
		RefundClass: ccLabel(lang, "page.console.commerce.refund_class.", pv.RefundClass), RefundClause: pv.RefundClause,
		Spec: ccSpec(lang, pv.Spec), Region: pv.Region, SLA: ccMinutes(lang, pv.DeliverySLAMinutes),
		Driver: ccLabel(lang, "page.console.commerce.driver.", pv.Driver), Active: pv.Active}
	for _, pl := range pv.Plans {
		pr := ConsolePlanRow{ID: pl.ID, Name: pl.Name, Stock: ccStock(lang, pl.Stock)}
		for _, price := range pl.Prices {
			pr.Prices = append(pr.Prices, ccLabel(lang, "page.console.commerce.cycle.", price.Cycle)+" "+ccMoney(lang, price.AmountFen))
		}
		r.Plans = append(r.Plans, pr)
	}
	return r
}

func ccStock(lang i18n.Lang, n int64) string {
	if n == catalog.StockUnlimited {
		return i18n.T(lang, "page.console.catalog.unlimited", nil)
	}
	return strconv.FormatInt(n, 10)
}

// ccSpec says a specification in one line.
func ccSpec(lang i18n.Lang, s app.ProductSpec) string {
	var parts []string
	add := func(xs ...string) {
		for _, x := range xs {
			if x != "" {
				parts = append(parts, x)
			}
		}
	}
	line := func(l string) string { return ccLabel(lang, "page.console.commerce.line.", l) }
	switch {
	case s.Server != nil:
		v := s.Server
		add(fmt.Sprintf("%d vCPU", v.CPU), fmt.Sprintf("%d MiB", v.MemoryMiB), fmt.Sprintf("%d GiB", v.DiskGiB), v.Region, line(v.Line),
			ccLabel(lang, "page.console.commerce.billing.", v.Billing))
		if v.BandwidthMbps > 0 {
			add(fmt.Sprintf("%d Mbps", v.BandwidthMbps))
		}
		if v.QuotaBytes > 0 {
			add(ccBytes(v.QuotaBytes) + " " + ccLabel(lang, "page.console.commerce.direction.", v.Direction))
		}
	case s.VPN != nil:
		add(line(s.VPN.Line), ccLabel(lang, "page.console.commerce.scope.", s.VPN.Scope))
	case s.CDN != nil:
		add(ccLabel(lang, "page.console.commerce.cdn_plan.", s.CDN.Plan))
		if s.CDN.QuotaBytes > 0 {
			add(ccBytes(s.CDN.QuotaBytes))
		}
		if s.CDN.BandwidthMbps > 0 {
			add(fmt.Sprintf("%d Mbps", s.CDN.BandwidthMbps))
		}
	case s.Cert != nil:
		add(ccLabel(lang, "page.console.commerce.validation.", s.Cert.Validation),
			i18n.T(lang, "page.console.commerce.domains_n", map[string]any{"n": s.Cert.Domains}))
	case s.Pack != nil:
		add(ccBytes(s.Pack.Bytes), i18n.T(lang, "page.console.commerce.days", map[string]any{"n": s.Pack.ValidityDays}))
	}
	return strings.Join(parts, " · ")
}

// consoleProduct is the product form: GET shows it (for /new, the kind
// chooser until ?kind= names one), POST saves and goes back to it.
func (h *handlers) consoleProduct(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "catalog.manage", "product") {
		return
	}
	ctx := req.Context()
	id := bounded(req.PathValue("id"))
	isNew := id == ""
	v := ConsoleProductView{Page: h.page(req, "page.console.product.title", consoleNav(), "catalog"), Errs: ccFieldErrs{}, New: isNew}
	v.Sub, v.Notice = ccCatalogSub(v.Lang, "products"), doneNotice(req, v.Lang)
	var stored app.ProductView
	if isNew {
		v.Sub, v.Action = ccCatalogSub(v.Lang, "new"), "/console/catalog/new"
	} else {
		var err error
		if stored, err = h.app.Product(ctx, &p.Principal, id); err != nil {
			h.actionError(w, req, err)
			return
		}
		v.Action = "/console/catalog/" + url.PathEscape(stored.ID)
	}
	if req.Method != http.MethodPost {
		if isNew {
			v.Kind = bounded(req.URL.Query().Get("kind"))
			if !catalog.Kind(v.Kind).Valid() {
				h.renderKindChooser(w, req, &v, http.StatusOK)
				return
			}
			stored = app.ProductView{Kind: v.Kind, Active: true, DeliverySLAMinutes: 10, Driver: string(catalog.DriverManual)}
		}
		ccFillProduct(&v, stored)
		h.renderProduct(w, req, &v, http.StatusOK)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.Notice = ""
	if isNew {
		v.Kind = field(req, "kind")
		if !catalog.Kind(v.Kind).Valid() {
			v.Form = Form{Error: i18n.T(v.Lang, "page.console.product.choose_kind", nil)}
			h.renderKindChooser(w, req, &v, http.StatusUnprocessableEntity)
			return
		}
	} else {
		v.Kind = stored.Kind
		v.RefundClass, v.RefundClause = ccLabel(v.Lang, "page.console.commerce.refund_class.", stored.RefundClass), stored.RefundClause
	}
	ccPostedForm(&v, req)
	if !isNew {
		v.ID = stored.ID // the id never changes
	}
	pv, rows, ok := ccParseProduct(v.Lang, &v)
	if isNew && ok {
		if _, err := h.app.Product(ctx, &p.Principal, pv.ID); err == nil {
			v.Errs.add(v.Lang, "id", "taken")
			ok = false
		}
	}
	if !ok {
		v.Form = ccInvalidForm(v.Lang)
		h.renderProduct(w, req, &v, http.StatusUnprocessableEntity)
		return
	}
	saved, err := h.app.ProductSave(ctx, p.Principal, pv)
	if err == nil {
		http.Redirect(w, req, "/console/catalog/"+url.PathEscape(saved.ID)+"?done=product_saved", http.StatusSeeOther)
		return
	}
	if statusOfErr(err) == http.StatusForbidden {
		h.actionError(w, req, err)
		return
	}
	var status int
	v.Form, status = h.ccFormError(req, v.Lang, err, v.Errs, func(f string) string { return ccProductInput(f, pv, rows) })
	h.renderProduct(w, req, &v, status)
}

func (h *handlers) renderKindChooser(w http.ResponseWriter, req *http.Request, v *ConsoleProductView, status int) {
	v.ChooseKind = true
	v.Kinds = ccOptions(v.Lang, "page.console.commerce.kind.", strs(catalog.Kinds), "")
	h.r.render(w, req, status, tmplConsoleProduct, v.Lang, v)
}

// renderProduct fills the choices of the form and the per-plan messages,
// then renders it.
func (h *handlers) renderProduct(w http.ResponseWriter, req *http.Request, v *ConsoleProductView, status int) {
	l := v.Lang
	k := catalog.Kind(v.Kind)
	v.KindLabel = ccLabel(l, "page.console.commerce.kind.", v.Kind)
	v.Drivers = ccOptions(l, "page.console.commerce.driver.", strs(catalog.DriversFor(k)), v.Driver)
	lines := []string{string(catalog.LineStandard), string(catalog.LineHomeBroadband)}
	s := &v.Server
	s.Lines = ccOptions(l, "page.console.commerce.line.", lines, s.Line)
	s.Billings = ccOptions(l, "page.console.commerce.billing.", []string{string(catalog.BillingBandwidth), string(catalog.BillingTraffic)}, s.Billing)
	s.Directions = ccOptions(l, "page.console.commerce.direction.", []string{"", string(catalog.DirectionTx), string(catalog.DirectionRx),
		string(catalog.DirectionLarger), string(catalog.DirectionSum)}, s.Direction)
	v.VPN.Lines = ccOptions(l, "page.console.commerce.line.", lines, v.VPN.Line)
	v.VPN.Scopes = ccOptions(l, "page.console.commerce.scope.", []string{string(catalog.ScopeDomestic), string(catalog.ScopeCrossBorder)}, v.VPN.Scope)
	v.CDN.Plans = ccOptions(l, "page.console.commerce.cdn_plan.", []string{string(catalog.CDNTraffic), string(catalog.CDNBandwidth)}, v.CDN.Plan)
	v.Cert.Validations = ccOptions(l, "page.console.commerce.validation.", []string{string(catalog.ValidationDV), string(catalog.ValidationOV)}, v.Cert.Validation)
	cycles := strs(catalog.CyclesFor(k))
	v.Cycles = ccOptions(l, "page.console.commerce.cycle.", cycles, "")
	if len(v.Plans) == 0 {
		blank := ConsolePlanForm{Stock: "-1"}
		for _, c := range cycles {
			blank.Prices = append(blank.Prices, ConsolePriceInput{Cycle: c})
		}
		v.Plans = append(v.Plans, blank)
	}
	for i := range v.Plans {
		pl := &v.Plans[i]
		at := "plans[" + strconv.Itoa(pl.Index) + "]."
		pl.IDErr, pl.NameErr, pl.StockErr, pl.PriceErr = v.Errs[at+"id"], v.Errs[at+"name"], v.Errs[at+"stock"], v.Errs[at+"prices"]
		for j := range pl.Prices {
			pr := &pl.Prices[j]
			pr.Label, pr.Err = ccLabel(l, "page.console.commerce.cycle.", pr.Cycle), v.Errs[at+"price."+pr.Cycle]
		}
	}
	v.PlanRows = len(v.Plans)
	h.r.render(w, req, status, tmplConsoleProduct, v.Lang, v)
}

func ccItoa(n int64) string { return strconv.FormatInt(n, 10) }

// ccGiB is a byte count as the form's GiB input shows it: whole GiB, or
// the exact bytes with a B suffix.
func ccGiB(n uint64) string {
	if n == 0 {
		return ""
	}
	if n%(1<<30) == 0 {
		return strconv.FormatUint(n>>30, 10)
	}
	return strconv.FormatUint(n, 10) + "B"
}

// ccFillProduct fills the form from a stored product, with one blank plan
// row to add a plan.
func ccFillProduct(v *ConsoleProductView, pv app.ProductView) {
	v.Kind, v.ID, v.Name, v.NameEn, v.Description, v.Region = pv.Kind, pv.ID, pv.Name, pv.NameEn, pv.Description, pv.Region
	v.SLA, v.SortKey, v.Active = ccItoa(pv.DeliverySLAMinutes), ccItoa(pv.SortKey), pv.Active
	v.Driver = pv.Driver
	if pv.ID != "" {
		v.RefundClass, v.RefundClause = ccLabel(v.Lang, "page.console.commerce.refund_class.", pv.RefundClass), pv.RefundClause
	}
	sp := pv.Spec
	if s := sp.Server; s != nil {
		v.Server = ConsoleServerForm{CPU: strconv.Itoa(s.CPU), MemoryMiB: strconv.Itoa(s.MemoryMiB), DiskGiB: strconv.Itoa(s.DiskGiB), Region: s.Region,
			BandwidthMbps: strconv.Itoa(s.BandwidthMbps), QuotaGiB: ccGiB(s.QuotaBytes), Line: s.Line, Billing: s.Billing, Direction: s.Direction}
	}
	if s := sp.VPN; s != nil {
		v.VPN.Line, v.VPN.Scope = s.Line, s.Scope
	}
	if s := sp.CDN; s != nil {
		v.CDN = ConsoleCDNForm{Plan: s.Plan, QuotaGiB: ccGiB(s.QuotaBytes), BandwidthMbps: strconv.Itoa(s.BandwidthMbps)}
	}
	if s := sp.Cert; s != nil {
		v.Cert = ConsoleCertForm{Validation: s.Validation, Domains: strconv.Itoa(s.Domains)}
	}
	if s := sp.Pack; s != nil {
		v.Pack = ConsolePackForm{GiB: ccGiB(s.Bytes), ValidityDays: strconv.Itoa(s.ValidityDays)}
	}
	cycles := strs(catalog.CyclesFor(catalog.Kind(pv.Kind)))
	for i, pl := range pv.Plans {
		f := ConsolePlanForm{Index: i, ID: pl.ID, Name: pl.Name, Stock: ccItoa(pl.Stock)}
		for _, c := range cycles {
			in := ConsolePriceInput{Cycle: c}
			for _, pr := range pl.Prices {
				if pr.Cycle == c {
					in.Value = money.Fen(pr.AmountFen).Yuan()
				}
			}
			f.Prices = append(f.Prices, in)
		}
		v.Plans = append(v.Plans, f)
	}
	blank := ConsolePlanForm{Index: len(v.Plans), Stock: "-1"}
	for _, c := range cycles {
		blank.Prices = append(blank.Prices, ConsolePriceInput{Cycle: c})
	}
	v.Plans = append(v.Plans, blank)
}

// ccPostedForm fills the form with what was posted.
func ccPostedForm(v *ConsoleProductView, req *http.Request) {
	v.ID, v.Name, v.NameEn, v.Region = field(req, "id"), field(req, "name"), field(req, "name_en"), field(req, "region")
	v.Description = strings.TrimSpace(req.PostForm.Get("description"))
	if len(v.Description) > 8000 {
		v.Description = v.Description[:8000]
	}
	v.SLA, v.SortKey, v.Active = field(req, "delivery_sla_minutes"), field(req, "sort_key"), req.PostForm.Get("active") == "yes"
	v.Driver = field(req, "driver")
	v.Server = ConsoleServerForm{CPU: field(req, "server.cpu"), MemoryMiB: field(req, "server.memory_mib"), DiskGiB: field(req, "server.disk_gib"),
		Region: field(req, "server.region"), BandwidthMbps: field(req, "server.bandwidth_mbps"), QuotaGiB: field(req, "server.quota_gib"),
		Line: field(req, "server.line"), Billing: field(req, "server.billing"), Direction: field(req, "server.direction")}
	v.VPN.Line, v.VPN.Scope = field(req, "vpn.line"), field(req, "vpn.scope")
	v.CDN = ConsoleCDNForm{Plan: field(req, "cdn.plan"), QuotaGiB: field(req, "cdn.quota_gib"), BandwidthMbps: field(req, "cdn.bandwidth_mbps")}
	v.Cert = ConsoleCertForm{Validation: field(req, "cert.validation"), Domains: field(req, "cert.domains")}
	v.Pack = ConsolePackForm{GiB: field(req, "pack.gib"), ValidityDays: field(req, "pack.validity_days")}
	n, _ := strconv.Atoi(field(req, "plan_rows"))
	n = max(0, min(n, ccMaxPlanRows))
	cycles := strs(catalog.CyclesFor(catalog.Kind(v.Kind)))
	for i := range n {
		at := "plans[" + strconv.Itoa(i) + "]."
		f := ConsolePlanForm{Index: i, ID: field(req, at+"id"), Name: field(req, at+"name"), Stock: field(req, at+"stock"),
			Remove: req.PostForm.Get(at+"remove") == "yes"}
		for _, c := range cycles {
			f.Prices = append(f.Prices, ConsolePriceInput{Cycle: c, Value: field(req, at+"price."+c)})
		}
		v.Plans = append(v.Plans, f)
	}
}

// blank reports whether a plan row was left empty (the spare row).
func (f ConsolePlanForm) blank() bool {
	if f.ID != "" || f.Name != "" {
		return false
	}
	for _, p := range f.Prices {
		if p.Value != "" {
			return false
		}
	}
	return true
}

// ccParseProduct reads the typed form into a product. Problems of the text
// itself (not a number, not an amount) go to v.Errs; the application's
// rules are checked by ProductSave. rows[i] is the form row of plan i.
func ccParseProduct(lang i18n.Lang, v *ConsoleProductView) (pv app.ProductView, rows []int, ok bool) {
	fe := v.Errs
	pv = app.ProductView{ID: v.ID, Name: v.Name, NameEn: v.NameEn, Description: v.Description, Kind: v.Kind, Active: v.Active,
		Region: v.Region, Driver: v.Driver, Plans: []app.PlanView{}}
	pv.DeliverySLAMinutes, _ = ccIntField(lang, fe, "delivery_sla_minutes", v.SLA, 1, 60*24*90)
	if v.SortKey != "" {
		pv.SortKey, _ = ccIntField(lang, fe, "sort_key", v.SortKey, -1_000_000, 1_000_000)
	}
	num := func(name, s string, lo int64, optional bool) int {
		if optional && s == "" {
			return 0
		}
		n, _ := ccIntField(lang, fe, name, s, lo, 1<<20)
		return int(n)
	}
	gib := func(name, s string) uint64 {
		if s == "" {
			return 0
		}
		b, ok := ccParseGiB(s)
		if !ok {
			fe.add(lang, name, "integer")
		}
		return b
	}
	switch catalog.Kind(v.Kind) {
	case catalog.KindCloudServer:
		s := v.Server
		pv.Spec.Server = &app.ServerSpec{CPU: num("server.cpu", s.CPU, 1, false), MemoryMiB: num("server.memory_mib", s.MemoryMiB, 1, false),
			DiskGiB: num("server.disk_gib", s.DiskGiB, 1, false), Region: s.Region, Line: s.Line, Billing: s.Billing,
			BandwidthMbps: num("server.bandwidth_mbps", s.BandwidthMbps, 0, true), QuotaBytes: gib("server.quota_gib", s.QuotaGiB), Direction: s.Direction}
		pv.Region = s.Region
	case catalog.KindVPN:
		pv.Spec.VPN = &app.VPNSpec{Line: v.VPN.Line, Scope: v.VPN.Scope}
	case catalog.KindCDN:
		pv.Spec.CDN = &app.CDNSpec{Plan: v.CDN.Plan, QuotaBytes: gib("cdn.quota_gib", v.CDN.QuotaGiB),
			BandwidthMbps: num("cdn.bandwidth_mbps", v.CDN.BandwidthMbps, 0, true)}
	case catalog.KindCertificate:
		pv.Spec.Cert = &app.CertSpec{Validation: v.Cert.Validation, Domains: num("cert.domains", v.Cert.Domains, 1, false)}
	case catalog.KindTrafficPack:
		pv.Spec.Pack = &app.PackSpec{Bytes: gib("pack.gib", v.Pack.GiB), ValidityDays: num("pack.validity_days", v.Pack.ValidityDays, 1, false)}
	}
	for _, f := range v.Plans {
		if f.Remove || f.blank() {
			continue
		}
		at := "plans[" + strconv.Itoa(f.Index) + "]."
		pl := app.PlanView{ID: f.ID, Name: f.Name, Prices: []app.PriceView{}}
		pl.Stock, _ = ccIntField(lang, fe, at+"stock", f.Stock, catalog.StockUnlimited, 1_000_000_000)
		for _, pr := range f.Prices {
			if pr.Value == "" {
				continue
			}
			if fen, ok := ccMoneyField(lang, fe, at+"price."+pr.Cycle, pr.Value, false); ok {
				pl.Prices = append(pl.Prices, app.PriceView{Cycle: pr.Cycle, AmountFen: fen})
			}
		}
		pv.Plans = append(pv.Plans, pl)
		rows = append(rows, f.Index)
	}
	return pv, rows, len(fe) == 0
}

// ccParseGiB reads a whole number of GiB ("500"), or of bytes ("123B");
// whether zero is allowed is the application's rule.
func ccParseGiB(s string) (uint64, bool) {
	if b, ok := strings.CutSuffix(s, "B"); ok {
		n, err := strconv.ParseUint(b, 10, 64)
		return n, err == nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > 1<<33 {
		return 0, false
	}
	return n << 30, true
}

// ccProductInput maps an application field of ProductSave to the form's
// input: the spec names of package catalog and of the API, plan prices by
// their cycle, plans by their form row.
func ccProductInput(f string, pv app.ProductView, rows []int) string {
	switch f {
	case "id", "name", "name_en", "description", "region", "driver", "sort_key", "delivery_sla_minutes":
		return f
	case "delivery_sla":
		return "delivery_sla_minutes"
	case "server.quota_bytes":
		return "server.quota_gib"
	case "cdn.quota_bytes":
		return "cdn.quota_gib"
	case "pack.bytes":
		return "pack.gib"
	case "pack.validity":
		return "pack.validity_days"
	}
	for _, spec := range []string{"server.", "vpn.", "cdn.", "cert."} {
		if strings.HasPrefix(f, spec) {
			return f
		}
	}
	rest, ok := strings.CutPrefix(f, "plans[")
	if !ok {
		return ""
	}
	idx, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil || i < 0 || i >= len(rows) {
		return ""
	}
	at := "plans[" + strconv.Itoa(rows[i]) + "]"
	switch rest {
	case ".id", ".name", ".stock", ".prices":
		return at + rest
	}
	if pr, ok := strings.CutPrefix(rest, ".prices["); ok {
		j, _, _ := strings.Cut(pr, "]")
		if k, err := strconv.Atoi(j); err == nil && k >= 0 && k < len(pv.Plans[i].Prices) {
			return at + ".price." + pv.Plans[i].Prices[k].Cycle
		}
		return at + ".prices"
	}
	return ""
}
