package pages

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The catalogue (/products) and a product's page with its add-to-cart
// form (/products/{id}, POST /cart).

// ShopProductsView is the catalogue grouped by kind.
type ShopProductsView struct {
	Page
	ShopForm
	Groups []ShopGroup
}

// ShopGroup is the products of one kind.
type ShopGroup struct {
	Kind, Label string
	Products    []ShopProductCard
}

// ShopProductCard is a product as the catalogue shows it.
type ShopProductCard struct {
	ID, Name, Description, Href string
	Kind, KindLabel             string
	Specs                       []string // translated specification lines
	Plans                       []ShopPlan
	SLA                         string
	Refund                      ShopRefund
}

// ShopPlan is one plan with its price per cycle.
type ShopPlan struct {
	ID, Name string
	Prices   []ShopPrice
	Stock    string // "" when not counted
	SoldOut  bool
}

// ShopPrice is a plan's price for one cycle.
type ShopPrice struct {
	Cycle, CycleLabel, Amount string
}

// ShopProductView is a product's page with the add-to-cart form.
type ShopProductView struct {
	Page
	ShopForm
	Product           ShopProductCard
	Plans, Cycles     []ShopOption
	Quantity          string
	IsPack            bool
	Servers           []ShopOption // a pack's attach_to choices
	AttachTo          string
	NoServers         bool
	CartHref, BackRef string
}

func (h *handlers) shopCard(lang i18n.Lang, p app.ProductView, rt shopRefundTerms) ShopProductCard {
	c := ShopProductCard{ID: p.ID, Name: p.DisplayName(string(lang)), Description: p.Description, Href: "/products/" + url.PathEscape(p.ID),
		Kind: p.Kind, KindLabel: shopT(lang, "page.shop.kind."+p.Kind, p.Kind), Specs: shopSpecs(lang, p.Spec),
		SLA: shopSLA(lang, p.DeliverySLAMinutes), Refund: shopRefundView(lang, p.RefundClass, p.RefundClause, rt)}
	for _, pl := range p.Plans {
		sp := ShopPlan{ID: pl.ID, Name: pl.Name, SoldOut: pl.Stock == 0}
		if pl.Stock >= 0 {
			sp.Stock = strconv.FormatInt(pl.Stock, 10)
		}
		for _, pr := range pl.Prices {
			sp.Prices = append(sp.Prices, ShopPrice{Cycle: pr.Cycle, CycleLabel: shopT(lang, "page.shop.cycle."+pr.Cycle, pr.Cycle),
				Amount: shopYuan(lang, pr.AmountFen)})
		}
		c.Plans = append(c.Plans, sp)
	}
	return c
}

// shopSpecs states a product's specification, one line per fact.
func shopSpecs(lang i18n.Lang, s app.ProductSpec) []string {
	t := func(key string, kv ...any) string {
		params := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			params[kv[i].(string)] = kv[i+1]
		}
		return i18n.T(lang, key, params)
	}
	var out []string
	switch {
	case s.Server != nil:
		v := s.Server
		out = append(out, t("page.shop.spec.server", "cpu", v.CPU, "memory", byteSize(int64(v.MemoryMiB)<<20), "disk", byteSize(int64(v.DiskGiB)<<30)),
			t("page.shop.spec.region", "region", shopT(lang, "page.shop.region."+v.Region, v.Region)),
			shopT(lang, "page.shop.line."+v.Line, v.Line))
		if v.Billing == string(catalog.BillingTraffic) {
			out = append(out, t("page.shop.spec.traffic", "quota", byteSize(int64(v.QuotaBytes)), "direction",
				shopT(lang, "page.shop.direction."+v.Direction, v.Direction), "mbps", v.BandwidthMbps))
		} else {
			out = append(out, t("page.shop.spec.bandwidth", "mbps", v.BandwidthMbps))
		}
	case s.VPN != nil:
		out = append(out, shopT(lang, "page.shop.line."+s.VPN.Line, s.VPN.Line), shopT(lang, "page.shop.scope."+s.VPN.Scope, s.VPN.Scope))
	case s.CDN != nil:
		if s.CDN.Plan == "traffic" {
			out = append(out, t("page.shop.spec.cdn_traffic", "quota", byteSize(int64(s.CDN.QuotaBytes))))
		} else {
			out = append(out, t("page.shop.spec.cdn_bandwidth", "mbps", s.CDN.BandwidthMbps))
		}
	case s.Cert != nil:
		out = append(out, t("page.shop.spec.cert", "validation", shopT(lang, "page.shop.validation."+s.Cert.Validation, s.Cert.Validation),
			"domains", s.Cert.Domains))
	case s.Pack != nil:
		out = append(out, t("page.shop.spec.pack", "size", byteSize(int64(s.Pack.Bytes)), "days", s.Pack.ValidityDays))
	}
	return out
}

// shopProducts is the catalogue, grouped by kind in catalogue order.
func (h *handlers) shopProducts(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ShopProductsView{Page: h.page(req, "page.shop.products.title", portalNav(), "products")}
	v.Notice = doneNotice(req, v.Lang)
	ps, err := h.app.Catalog(req.Context())
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	rt := h.shopTerms(req.Context(), "")
	for _, k := range catalog.Kinds {
		g := ShopGroup{Kind: string(k), Label: shopT(v.Lang, "page.shop.kinds."+string(k), string(k))}
		for _, pv := range ps {
			if pv.Kind == string(k) {
				g.Products = append(g.Products, h.shopCard(v.Lang, pv, rt))
			}
		}
		if len(g.Products) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	h.r.render(w, req, http.StatusOK, tmplShopProducts, v.Lang, v)
}

// shopProductPage builds a product's page with the form as typed.
func (h *handlers) shopProductPage(req *http.Request, p webctx.Principal, pv app.ProductView, plan, cycle, qty, attach string) ShopProductView {
	v := ShopProductView{Page: h.page(req, "page.shop.product.title", portalNav(), "products"), Quantity: qty, AttachTo: attach,
		IsPack: pv.Kind == string(catalog.KindTrafficPack), CartHref: "/cart"}
	v.Next = "/products/" + url.PathEscape(pv.ID)
	v.Product = h.shopCard(v.Lang, pv, h.shopTerms(req.Context(), ""))
	if plan == "" && len(pv.Plans) > 0 {
		plan = pv.Plans[0].ID
	}
	var cycles []string
	for _, pl := range pv.Plans {
		v.Plans = append(v.Plans, ShopOption{Value: pl.ID, Label: pl.Name, Selected: pl.ID == plan})
		for _, pr := range pl.Prices {
			if !slices.Contains(cycles, pr.Cycle) {
				cycles = append(cycles, pr.Cycle)
			}
		}
	}
	if cycle == "" && len(cycles) > 0 {
		cycle = cycles[0]
	}
	v.Cycles = shopOptions(v.Lang, "page.shop.cycle.", cycles, cycle)
	if v.IsPack {
		v.Servers = h.shopTrafficServers(req.Context(), p, v.Lang, attach)
		v.NoServers = len(v.Servers) == 0
	}
	return v
}

// shopTrafficServers are the customer's traffic-billed cloud server
// services not terminated: what a traffic pack may attach to.
func (h *handlers) shopTrafficServers(ctx context.Context, p webctx.Principal, lang i18n.Lang, selected string) []ShopOption {
	ss, err := h.app.Services(ctx, p.Principal, app.ServiceListFilter{Kind: string(catalog.KindCloudServer),
		States: []string{"pending", "active", "suspended"}, Limit: 200})
	if err != nil {
		return nil
	}
	byID := h.shopCatalogByID(ctx)
	var out []ShopOption
	for _, sv := range ss {
		pv, ok := byID[sv.ProductID]
		if !ok || pv.Spec.Server == nil || pv.Spec.Server.Billing != string(catalog.BillingTraffic) {
			continue
		}
		label := i18n.T(lang, "page.shop.attach.option", map[string]any{"name": sv.Name, "service": shopShortID(sv.ID),
			"expires": shortTime(sv.ExpiresAt)})
		out = append(out, ShopOption{Value: sv.ID, Label: label, Selected: sv.ID == selected})
	}
	return out
}

// shopProduct is one product's page.
func (h *handlers) shopProduct(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	pv, err := h.app.Product(req.Context(), nil, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	q := req.URL.Query()
	v := h.shopProductPage(req, p, pv, bounded(q.Get("plan")), bounded(q.Get("cycle")), "1", bounded(q.Get("attach_to")))
	h.r.render(w, req, http.StatusOK, tmplShopProduct, v.Lang, v)
}

// shopCartAdd puts a line into the cart, or shows the product's page
// again with the error and what was chosen.
func (h *handlers) shopCartAdd(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	in := app.LineRequest{ProductID: field(req, "product_id"), PlanID: field(req, "plan_id"), Cycle: field(req, "cycle"),
		Quantity: shopQuantity(field(req, "quantity")), AttachTo: field(req, "attach_to")}
	_, err := h.app.CartAdd(req.Context(), p.Principal, in)
	if err == nil {
		http.Redirect(w, req, "/cart?done=cart_added", http.StatusSeeOther)
		return
	}
	pv, perr := h.app.Product(req.Context(), nil, in.ProductID)
	if perr != nil {
		h.actionError(w, req, perr)
		return
	}
	h.shopFail(w, req, err, "add", func(f ShopForm, status int) {
		v := h.shopProductPage(req, p, pv, in.PlanID, in.Cycle, field(req, "quantity"), in.AttachTo)
		v.ShopForm = f
		h.r.render(w, req, status, tmplShopProduct, v.Lang, v)
	})
}
