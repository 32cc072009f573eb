package pages

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/money"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// ConsoleCouponsView lists the coupons with the coupon form (empty, or
// the coupon of ?code= to edit it).
type ConsoleCouponsView struct {
	Page
	Form
	Sub      []ConsoleSubNav
	Errs     ccFieldErrs
	Coupons  []ConsoleCouponRow
	Edit     ConsoleCouponForm
	Kinds    []ConsoleOption
	Products []ConsoleOption // checkboxes: the products the coupon covers
}

// ConsoleCouponRow is one coupon of the list.
type ConsoleCouponRow struct {
	Code, KindLabel, Discount, Products, Limits, Validity string
	Uses                                                  int64
	FirstPurchaseOnly, Active                             bool
}

// ConsoleCouponForm is the coupon form as typed: the percentage in percent
// (two decimals at most), the fixed amount in yuan, times as
// datetime-local in Asia/Shanghai.
type ConsoleCouponForm struct {
	Code, Kind, Percent, Amount, MaxUses, MaxUsesPerCustomer, ValidFrom, ValidUntil string
	FirstPurchaseOnly, Active, Existing                                             bool
}

// ccDatetimeLocal is the layout of <input type="datetime-local">.
const ccDatetimeLocal = "2006-01-02T15:04"

// consoleCoupons lists coupons; POST saves one (created or replaced by
// code; its uses are kept).
func (h *handlers) consoleCoupons(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "catalog.manage", "coupon") {
		return
	}
	ctx := req.Context()
	v := ConsoleCouponsView{Page: h.page(req, "page.console.coupons.title", consoleNav(), "catalog"), Errs: ccFieldErrs{},
		Edit: ConsoleCouponForm{Kind: "percent", Active: true, MaxUses: "0", MaxUsesPerCustomer: "1"}}
	v.Sub, v.Notice = ccCatalogSub(v.Lang, "coupons"), doneNotice(req, v.Lang)
	cs, err := h.app.Coupons(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	var selected []string
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		v.Notice = ""
		v.Edit = ConsoleCouponForm{Code: strings.ToUpper(field(req, "code")), Kind: field(req, "kind"), Percent: field(req, "percent"),
			Amount: field(req, "amount"), MaxUses: field(req, "max_uses"), MaxUsesPerCustomer: field(req, "max_uses_per_customer"),
			ValidFrom: field(req, "valid_from"), ValidUntil: field(req, "valid_until"),
			FirstPurchaseOnly: req.PostForm.Get("first_purchase_only") == "yes", Active: req.PostForm.Get("active") == "yes"}
		exists := slices.ContainsFunc(cs, func(c app.CouponView) bool { return c.Code == v.Edit.Code })
		v.Edit.Existing = exists && req.PostForm.Get("mode") == "edit"
		for _, id := range req.PostForm["product"] {
			if len(selected) < 200 {
				selected = append(selected, bounded(id))
			}
		}
		cv, ok := ccParseCoupon(v.Lang, v.Edit, selected, v.Errs)
		if exists && !v.Edit.Existing {
			// A new coupon must not replace another by its code.
			v.Errs.add(v.Lang, "code", "coupon_taken")
			ok = false
		}
		if !ok {
			v.Form, status = ccInvalidForm(v.Lang), http.StatusUnprocessableEntity
		} else if _, err := h.app.CouponSave(ctx, p.Principal, cv); err == nil {
			http.Redirect(w, req, "/console/coupons?done=coupon_saved", http.StatusSeeOther)
			return
		} else if statusOfErr(err) == http.StatusForbidden {
			h.actionError(w, req, err)
			return
		} else {
			v.Form, status = h.ccFormError(req, v.Lang, err, v.Errs, ccCouponInput)
		}
	} else if code := strings.ToUpper(bounded(req.URL.Query().Get("code"))); code != "" {
		i := slices.IndexFunc(cs, func(c app.CouponView) bool { return c.Code == code })
		if i < 0 {
			h.errorPage(w, req, http.StatusNotFound, "page.error.not_found.title", "page.error.not_found.text")
			return
		}
		v.Edit, selected = ccCouponForm(cs[i]), cs[i].ProductIDs
	}
	for _, c := range cs {
		v.Coupons = append(v.Coupons, ccCouponRow(v.Lang, c))
	}
	ps, err := h.app.CatalogAll(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, pv := range ps {
		v.Products = append(v.Products, ConsoleOption{Value: pv.ID, Label: pv.DisplayName(string(v.Lang)), Selected: slices.Contains(selected, pv.ID)})
	}
	v.Kinds = ccOptions(v.Lang, "page.console.coupons.kind.", []string{"percent", "fixed"}, v.Edit.Kind)
	h.r.render(w, req, status, tmplConsoleCoupons, v.Lang, v)
}

// ccPercent shows basis points as a percentage: 1000 → "10", 1250 →
// "12.5".
func ccPercent(bp int64) string {
	s := strconv.FormatInt(bp/100, 10)
	if frac := bp % 100; frac != 0 {
		s += strings.TrimRight("."+strconv.FormatInt(100+frac, 10)[1:], "0")
	}
	return s
}

func ccLocalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.Shanghai).Format(ccDatetimeLocal)
}

func ccCouponForm(c app.CouponView) ConsoleCouponForm {
	f := ConsoleCouponForm{Code: c.Code, Kind: c.Kind, MaxUses: ccItoa(c.MaxUses), MaxUsesPerCustomer: ccItoa(c.MaxUsesPerCustomer),
		ValidFrom: ccLocalTime(c.ValidFrom), ValidUntil: ccLocalTime(c.ValidUntil), FirstPurchaseOnly: c.FirstPurchaseOnly, Active: c.Active, Existing: true}
	if c.Kind == "percent" {
		f.Percent = ccPercent(c.PercentBP)
	} else {
		f.Amount = money.Fen(c.AmountFen).Yuan()
	}
	return f
}

func ccCouponRow(lang i18n.Lang, c app.CouponView) ConsoleCouponRow {
	r := ConsoleCouponRow{Code: c.Code, KindLabel: ccLabel(lang, "page.console.coupons.kind.", c.Kind), Uses: c.Uses,
		FirstPurchaseOnly: c.FirstPurchaseOnly, Active: c.Active, Products: strings.Join(c.ProductIDs, ", ")}
	if c.Kind == "percent" {
		r.Discount = ccPercent(c.PercentBP) + "%"
	} else {
		r.Discount = ccMoney(lang, c.AmountFen)
	}
	if r.Products == "" {
		r.Products = i18n.T(lang, "page.console.coupons.all_products", nil)
	}
	limit := func(n int64) string {
		if n == 0 {
			return i18n.T(lang, "page.console.catalog.unlimited", nil)
		}
		return ccItoa(n)
	}
	r.Limits = i18n.T(lang, "page.console.coupons.limits", map[string]any{"total": limit(c.MaxUses), "per": limit(c.MaxUsesPerCustomer)})
	from, until := shortTime(c.ValidFrom), shortTime(c.ValidUntil)
	if from == "" {
		from = "…"
	}
	if until == "" {
		until = "…"
	}
	r.Validity = from + " – " + until
	return r
}

// ccParseCoupon reads the typed coupon form: the percentage as hundredths of
// a percent (basis points, parsed like an amount of two decimals), the
// fixed amount in yuan.
func ccParseCoupon(lang i18n.Lang, f ConsoleCouponForm, products []string, fe ccFieldErrs) (app.CouponView, bool) {
	cv := app.CouponView{Code: f.Code, Kind: f.Kind, ProductIDs: products, FirstPurchaseOnly: f.FirstPurchaseOnly, Active: f.Active}
	switch f.Kind {
	case "percent":
		if bp, ok := ccMoneyField(lang, fe, "percent", f.Percent, false); ok {
			if bp < 1 || bp > 10000 {
				fe.add(lang, "percent", "range")
			}
			cv.PercentBP = bp
		}
	case "fixed":
		cv.AmountFen, _ = ccMoneyField(lang, fe, "amount", f.Amount, false)
	default:
		fe.add(lang, "kind", "enum")
	}
	cv.MaxUses, _ = ccIntField(lang, fe, "max_uses", f.MaxUses, 0, 1_000_000_000)
	cv.MaxUsesPerCustomer, _ = ccIntField(lang, fe, "max_uses_per_customer", f.MaxUsesPerCustomer, 0, 1_000_000_000)
	at := func(name, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(ccDatetimeLocal, s, clock.Shanghai)
		if err != nil {
			fe.add(lang, name, "datetime")
		}
		return t
	}
	cv.ValidFrom, cv.ValidUntil = at("valid_from", f.ValidFrom), at("valid_until", f.ValidUntil)
	return cv, len(fe) == 0
}

// ccCouponInput maps an application field of CouponSave to the form's input.
func ccCouponInput(f string) string {
	switch f {
	case "percent_bp":
		return "percent"
	case "amount_fen":
		return "amount"
	case "code", "kind", "max_uses", "max_uses_per_customer", "valid_from", "valid_until":
		return f
	}
	return ""
}
