package app

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/money"
	"yuanxu/internal/store"
)

// The catalog (issue 9 item 1): products and plans, managed in the console
// (catalog.manage) and read by anyone. The refund class of each product is
// derived by catalog.RefundClassOf and shown, with its clause, before
// checkout.

// ServerSpec is a cloud server's specification as the API shows it.
type ServerSpec struct {
	CPU           int    `json:"cpu" example:"2"`
	MemoryMiB     int    `json:"memory_mib" example:"4096"`
	DiskGiB       int    `json:"disk_gib" example:"60"`
	Region        string `json:"region" example:"cn-jx-nanchang"`
	Line          string `json:"line" enum:"standard,home_broadband" example:"standard"`
	Billing       string `json:"billing" enum:"bandwidth,traffic" example:"traffic"`
	BandwidthMbps int    `json:"bandwidth_mbps,omitempty" example:"100"`
	QuotaBytes    uint64 `json:"quota_bytes,omitempty" example:"536870912000"`
	Direction     string `json:"direction,omitempty" enum:"tx,rx,larger,sum" example:"tx"`
}

// VPNSpec is a VPN line's specification.
type VPNSpec struct {
	Line  string `json:"line" enum:"standard,home_broadband" example:"standard"`
	Scope string `json:"scope" enum:"domestic,cross_border" example:"domestic"`
}

// CDNSpec is a CDN product's specification.
type CDNSpec struct {
	Plan          string `json:"plan" enum:"traffic,bandwidth" example:"traffic"`
	QuotaBytes    uint64 `json:"quota_bytes,omitempty" example:"1099511627776"`
	BandwidthMbps int    `json:"bandwidth_mbps,omitempty" example:"0"`
}

// CertSpec is a certificate's specification.
type CertSpec struct {
	Validation string `json:"validation" enum:"dv,ov" example:"dv"`
	Domains    int    `json:"domains" example:"1"`
}

// PackSpec is a traffic pack's specification.
type PackSpec struct {
	Bytes        uint64 `json:"bytes" example:"107374182400"`
	ValidityDays int    `json:"validity_days" example:"30"`
}

// ProductSpec holds exactly the specification of the product's kind.
type ProductSpec struct {
	Server *ServerSpec `json:"server,omitempty"`
	VPN    *VPNSpec    `json:"vpn,omitempty"`
	CDN    *CDNSpec    `json:"cdn,omitempty"`
	Cert   *CertSpec   `json:"certificate,omitempty"`
	Pack   *PackSpec   `json:"traffic_pack,omitempty"`
}

// PriceView is a plan's price for one cycle.
type PriceView struct {
	Cycle     string `json:"cycle" enum:"month,quarter,year,one_off" example:"month"`
	AmountFen int64  `json:"amount_fen" example:"9900"`
	Amount    string `json:"amount,omitempty" readOnly:"true" example:"99.00"`
}

// PlanView is one purchasable plan.
type PlanView struct {
	ID     string      `json:"id" example:"plan-s2"`
	Name   string      `json:"name" example:"2 vCPU · 4 GiB"`
	Prices []PriceView `json:"prices"`
	// Stock is the units still sellable, or -1 when not counted.
	Stock int64 `json:"stock" example:"-1"`
}

// ProductView is a product as customers and staff see it.
type ProductView struct {
	ID          string      `json:"id" example:"cs-jx-traffic"`
	Name        string      `json:"name" example:"南昌云服务器（流量计费）"`
	NameEn      string      `json:"name_en" example:"Nanchang cloud server (traffic billed)"`
	Description string      `json:"description" example:""`
	Kind        string      `json:"kind" enum:"cloud_server,vpn,cdn,certificate,traffic_pack" example:"cloud_server"`
	Active      bool        `json:"active" example:"true"`
	Region      string      `json:"region" example:"cn-jx-nanchang"`
	Spec        ProductSpec `json:"spec"`
	Plans       []PlanView  `json:"plans"`
	// DeliverySLAMinutes is the agreed delivery time after payment
	// (clause 2.2), frozen onto each order.
	DeliverySLAMinutes int64  `json:"delivery_sla_minutes" example:"10"`
	Driver             string `json:"driver" enum:"manual,sandbox,acme,wireguard,nginx" example:"sandbox"`
	// RefundClass and RefundClause are derived from the product and shown
	// before checkout (clauses 3.1, 3.2).
	RefundClass  string `json:"refund_class" readOnly:"true" enum:"standard,home_broadband,certificate,traffic_pack" example:"standard"`
	RefundClause string `json:"refund_clause" readOnly:"true" example:"3.1"`
	SortKey      int64  `json:"sort_key" example:"10"`
}

// DisplayName is the product's name in lang (English when asked for and
// set).
func (p ProductView) DisplayName(lang string) string {
	if strings.HasPrefix(lang, "en") && p.NameEn != "" {
		return p.NameEn
	}
	return p.Name
}

// Plan returns the product's plan with id.
func (p ProductView) Plan(planID string) (PlanView, bool) {
	for _, pl := range p.Plans {
		if pl.ID == planID {
			return pl, true
		}
	}
	return PlanView{}, false
}

// domain converts a view to the catalog's product.
func (p ProductView) domain() catalog.Product {
	d := catalog.Product{ID: p.ID, Name: p.Name, Kind: catalog.Kind(p.Kind), Active: p.Active,
		DeliverySLA: time.Duration(p.DeliverySLAMinutes) * time.Minute, Driver: catalog.Driver(p.Driver)}
	if s := p.Spec.Server; s != nil {
		d.Server = &catalog.CloudServer{CPU: s.CPU, MemoryMiB: s.MemoryMiB, DiskGiB: s.DiskGiB, Region: s.Region, Line: catalog.Line(s.Line),
			Billing: catalog.Billing(s.Billing), BandwidthMbps: s.BandwidthMbps, QuotaBytes: s.QuotaBytes, Direction: catalog.Direction(s.Direction)}
	}
	if s := p.Spec.VPN; s != nil {
		d.VPN = &catalog.VPN{Line: catalog.Line(s.Line), Scope: catalog.Scope(s.Scope)}
	}
	if s := p.Spec.CDN; s != nil {
		d.CDN = &catalog.CDN{Plan: catalog.CDNPlan(s.Plan), QuotaBytes: s.QuotaBytes, BandwidthMbps: s.BandwidthMbps}
	}
	if s := p.Spec.Cert; s != nil {
		d.Cert = &catalog.Certificate{Validation: catalog.Validation(s.Validation), Domains: s.Domains}
	}
	if s := p.Spec.Pack; s != nil {
		d.Pack = &catalog.TrafficPack{Bytes: s.Bytes, Validity: time.Duration(s.ValidityDays) * 24 * time.Hour}
	}
	for _, pl := range p.Plans {
		dp := catalog.Plan{ID: pl.ID, Name: pl.Name, Stock: pl.Stock}
		for _, pr := range pl.Prices {
			dp.Prices = append(dp.Prices, catalog.Price{Cycle: catalog.Cycle(pr.Cycle), AmountFen: pr.AmountFen})
		}
		d.Plans = append(d.Plans, dp)
	}
	return d
}

func productFromRows(r store.ProductRow, plans []store.PlanRow) (ProductView, error) {
	v := ProductView{ID: r.ID, Name: r.Name, NameEn: r.NameEn, Description: r.Description, Kind: r.Kind, Active: r.Active, Region: r.Region,
		DeliverySLAMinutes: int64(r.DeliverySLA / time.Minute), Driver: r.Driver, SortKey: r.SortKey, Plans: []PlanView{}}
	if err := json.Unmarshal([]byte(r.Spec), &v.Spec); err != nil {
		return v, errs.E(errs.Op("app.productFromRows"), errs.Internal, "stored product spec of "+r.ID, err)
	}
	for _, pr := range plans {
		pv := PlanView{ID: pr.ID, Name: pr.Name, Stock: pr.Stock}
		if err := json.Unmarshal([]byte(pr.Prices), &pv.Prices); err != nil {
			return v, errs.E(errs.Op("app.productFromRows"), errs.Internal, "stored prices of "+pr.ID, err)
		}
		for i := range pv.Prices {
			pv.Prices[i].Amount = money.Fen(pv.Prices[i].AmountFen).Yuan()
		}
		v.Plans = append(v.Plans, pv)
	}
	class, clause := catalog.RefundClassOf(v.domain())
	v.RefundClass, v.RefundClause = string(class), string(clause)
	return v, nil
}

// loadProducts reads products with their plans: every one, or those in
// ids (missing ids are skipped), active ones only when activeOnly.
func loadProducts(ctx context.Context, q store.Querier, activeOnly bool) ([]ProductView, error) {
	rows, err := store.Products(ctx, q, activeOnly)
	if err != nil {
		return nil, err
	}
	plans, err := store.Plans(ctx, q, "")
	if err != nil {
		return nil, err
	}
	byProduct := map[string][]store.PlanRow{}
	for _, p := range plans {
		byProduct[p.ProductID] = append(byProduct[p.ProductID], p)
	}
	out := make([]ProductView, 0, len(rows))
	for _, r := range rows {
		v, err := productFromRows(r, byProduct[r.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func loadProduct(ctx context.Context, q store.Querier, productID string) (ProductView, error) {
	pr, err := readProduct(ctx, q, productID)
	return pr.view, err
}

// productRead is a product as read: its view and the rows it came from,
// which a transaction may remember (store.Tx.RememberProduct).
type productRead struct {
	view  ProductView
	row   store.ProductRow
	plans []store.PlanRow
}

// readProduct is loadProduct keeping the rows. A checkout's read
// (prefetchCheckout) answers it on the pool; in a transaction, whose
// catalog memo holds the rows the checkout priced, it gives the view
// parsed from those rows when the rows are the same, instead of parsing
// them again.
func readProduct(ctx context.Context, q store.Querier, productID string) (productRead, error) {
	seeded, ok := memoPeek[productRead](ctx, memoProductRead+productID)
	if ok && onPool(q) {
		return seeded, nil
	}
	r, plans, err := store.ProductWithPlans(ctx, q, productID)
	if store.IsNotFound(err) {
		return productRead{}, errNotFound("product")
	}
	if err != nil {
		return productRead{}, err
	}
	if ok && seeded.row == r && slices.Equal(seeded.plans, plans) {
		return seeded, nil
	}
	v, err := productFromRows(r, plans)
	return productRead{view: v, row: r, plans: plans}, err
}

// Catalog lists the products on sale (active ones), for anyone.
func (a *App) Catalog(ctx context.Context) ([]ProductView, error) {
	return loadProducts(ctx, a.db, true)
}

// CatalogAll lists every product, active or not, for staff with
// catalog.manage.
func (a *App) CatalogAll(ctx context.Context, p account.Principal) ([]ProductView, error) {
	if err := a.Authorize(ctx, p, "catalog.manage", account.Object{Type: "product"}); err != nil {
		return nil, err
	}
	return loadProducts(ctx, a.db, false)
}

// Product reads one product: anyone may read an active one; an inactive
// one only staff with catalog.manage (product.not_found otherwise).
func (a *App) Product(ctx context.Context, p *account.Principal, productID string) (ProductView, error) {
	v, err := loadProduct(ctx, a.db, productID)
	if err != nil {
		return v, err
	}
	if !v.Active && (p == nil || a.Authorize(ctx, *p, "catalog.manage", account.Object{Type: "product"}) != nil) {
		return ProductView{}, errNotFound("product")
	}
	return v, nil
}

// validateProduct checks a product as staff typed it: the catalog's own
// rules (catalog.Product.Validate) with fields under "body.", ids, names
// and sizes.
func validateProduct(v ProductView) error {
	var fes []errs.FieldError
	bad := func(f, rule string) { fes = append(fes, errs.FieldError{Field: "body." + f, Rule: rule}) }
	if !validSlug(v.ID) {
		bad("id", "format")
	}
	if n := strings.TrimSpace(v.Name); n == "" || len(n) > 120 {
		bad("name", "required")
	}
	if len(v.NameEn) > 120 {
		bad("name_en", "max_length")
	}
	if len(v.Description) > 4000 {
		bad("description", "max_length")
	}
	if len(v.Region) > 64 {
		bad("region", "max_length")
	}
	if v.DeliverySLAMinutes <= 0 || v.DeliverySLAMinutes > 60*24*90 {
		bad("delivery_sla_minutes", "range")
	}
	seen := map[string]bool{}
	for i, pl := range v.Plans {
		if !validSlug(pl.ID) || seen[pl.ID] {
			bad("plans["+strconv.Itoa(i)+"].id", "format")
		}
		seen[pl.ID] = true
		if n := strings.TrimSpace(pl.Name); n == "" || len(n) > 120 {
			bad("plans["+strconv.Itoa(i)+"].name", "required")
		}
		if pl.Stock < catalog.StockUnlimited || pl.Stock > 1_000_000_000 {
			bad("plans["+strconv.Itoa(i)+"].stock", "range")
		}
	}
	if len(fes) > 0 {
		return errs.E(errs.Op("app.ProductSave"), errs.Invalid, catalog.CodeProductInvalid, "the product is not valid", fes)
	}
	if err := v.domain().Validate(); err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			for i := range e.Fields {
				if !strings.HasPrefix(e.Fields[i].Field, "body.") {
					e.Fields[i].Field = "body." + e.Fields[i].Field
				}
			}
		}
		return err
	}
	return nil
}

func validSlug(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ProductSave creates or replaces a product and its plans (catalog.manage;
// audited catalog.product_saved with the before and after). Prices and
// plans are staff data: a plan missing from v is removed; stock is written
// as given (a restock). Prices already frozen onto orders never change.
func (a *App) ProductSave(ctx context.Context, p account.Principal, v ProductView) (ProductView, error) {
	if err := a.Authorize(ctx, p, "catalog.manage", account.Object{Type: "product"}); err != nil {
		return ProductView{}, err
	}
	v.Region = strings.TrimSpace(v.Region)
	if v.Spec.Server != nil && v.Region == "" {
		v.Region = v.Spec.Server.Region
	}
	if err := validateProduct(v); err != nil {
		return ProductView{}, err
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		before, err := loadProduct(ctx, tx, v.ID)
		exists := err == nil
		if err != nil && errs.CodeOf(err) != "product.not_found" {
			return err
		}
		if exists && before.Kind != v.Kind {
			return errs.E(errs.Op("app.ProductSave"), errs.Invalid, catalog.CodeProductInvalid, "a product's kind cannot change",
				errs.FieldError{Field: "body.kind", Rule: "immutable"})
		}
		if err := a.putProduct(ctx, tx, v, exists, before); err != nil {
			return err
		}
		action := "catalog.product_created"
		if exists {
			action = "catalog.product_updated"
		}
		return a.Audit(ctx, tx, AuditEntry{Action: action, SubjectType: "product", SubjectID: v.ID,
			Data: map[string]any{"kind": v.Kind, "active": v.Active, "plans": len(v.Plans)}})
	})
	if err != nil {
		return ProductView{}, err
	}
	return loadProduct(ctx, a.db, v.ID)
}

func (a *App) putProduct(ctx context.Context, tx *store.Tx, v ProductView, exists bool, before ProductView) error {
	spec, err := json.Marshal(v.Spec)
	if err != nil {
		return err
	}
	created := tx.Now
	if exists {
		created = time.Time{}
	}
	row := store.ProductRow{ID: v.ID, Name: strings.TrimSpace(v.Name), NameEn: strings.TrimSpace(v.NameEn), Description: v.Description,
		Kind: v.Kind, Active: v.Active, Spec: string(spec), Region: v.Region, DeliverySLA: time.Duration(v.DeliverySLAMinutes) * time.Minute,
		Driver: v.Driver, SortKey: v.SortKey, CreatedAt: created, UpdatedAt: tx.Now}
	if err := tx.ProductPut(ctx, row); err != nil {
		return err
	}
	for i, pl := range v.Plans {
		prices := make([]PriceView, len(pl.Prices))
		for j, pr := range pl.Prices {
			prices[j] = PriceView{Cycle: pr.Cycle, AmountFen: pr.AmountFen}
		}
		pj, err := json.Marshal(prices)
		if err != nil {
			return err
		}
		if err := tx.PlanPut(ctx, store.PlanRow{ID: pl.ID, ProductID: v.ID, Name: strings.TrimSpace(pl.Name), Prices: string(pj),
			Stock: pl.Stock, SortKey: int64(i)}, true); err != nil {
			return err
		}
	}
	for _, old := range before.Plans {
		if _, keep := v.Plan(old.ID); !keep {
			if err := tx.PlanDelete(ctx, v.ID, old.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
