package app

import (
	"context"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
	"yuanxu/internal/store"
)

// CouponView is a coupon as the console edits it.
type CouponView struct {
	Code               string    `json:"code" maxLength:"64" example:"WELCOME10"`
	Kind               string    `json:"kind" enum:"percent,fixed" example:"percent"`
	PercentBP          int64     `json:"percent_bp,omitempty" example:"1000" doc:"basis points: 1000 = 10 %"`
	AmountFen          int64     `json:"amount_fen,omitempty" example:"0"`
	ProductIDs         []string  `json:"product_ids,omitempty" example:"[]"`
	FirstPurchaseOnly  bool      `json:"first_purchase_only" example:"true"`
	MaxUses            int64     `json:"max_uses" example:"0" doc:"0: unlimited"`
	MaxUsesPerCustomer int64     `json:"max_uses_per_customer" example:"1" doc:"0: unlimited"`
	ValidFrom          time.Time `json:"valid_from,omitzero" example:"2026-11-01T00:00:00+08:00"`
	ValidUntil         time.Time `json:"valid_until,omitzero" example:"2027-01-01T00:00:00+08:00"`
	Active             bool      `json:"active" example:"true"`
	Uses               int64     `json:"uses" readOnly:"true" example:"3"`
}

func couponView(c store.CouponRow) CouponView {
	return CouponView{Code: c.Code, Kind: c.Kind, PercentBP: c.PercentBP, AmountFen: c.AmountFen, ProductIDs: c.ProductIDs,
		FirstPurchaseOnly: c.FirstPurchaseOnly, MaxUses: c.MaxUses, MaxUsesPerCustomer: c.MaxUsesPerCustomer, ValidFrom: c.ValidFrom,
		ValidUntil: c.ValidUntil, Active: c.Active, Uses: c.Uses}
}

// CouponSave creates or updates a coupon (catalog.manage), audited. Its
// uses are never set from outside.
func (a *App) CouponSave(ctx context.Context, p account.Principal, v CouponView) (CouponView, error) {
	if err := a.Authorize(ctx, p, "catalog.manage", account.Object{Type: "coupon"}); err != nil {
		return CouponView{}, err
	}
	v.Code = strings.ToUpper(strings.TrimSpace(v.Code))
	row := store.CouponRow{Code: v.Code, Kind: v.Kind, PercentBP: v.PercentBP, AmountFen: v.AmountFen, ProductIDs: v.ProductIDs,
		FirstPurchaseOnly: v.FirstPurchaseOnly, MaxUses: v.MaxUses, MaxUsesPerCustomer: v.MaxUsesPerCustomer, ValidFrom: v.ValidFrom,
		ValidUntil: v.ValidUntil, Active: v.Active, CreatedBy: p.AccountID}
	if err := couponDomain(row).Validate(); err != nil {
		return CouponView{}, prefixFields(err, "body.")
	}
	if !validCouponCode(v.Code) {
		return CouponView{}, fieldErr("app.CouponSave", order.CodeCouponInvalid, errs.Invalid, "body.code", "format", "letters, digits, - and _", nil)
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		row.CreatedAt = tx.Now
		if err := tx.CouponPut(ctx, row); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "coupon.saved", SubjectType: "coupon", SubjectID: v.Code,
			Data: map[string]any{"kind": v.Kind, "percent_bp": v.PercentBP, "amount_fen": v.AmountFen, "active": v.Active}})
	})
	if err != nil {
		return CouponView{}, err
	}
	c, err := store.CouponGet(ctx, a.db, v.Code)
	return couponView(c), err
}

func validCouponCode(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Coupons lists every coupon (catalog.manage).
func (a *App) Coupons(ctx context.Context, p account.Principal) ([]CouponView, error) {
	if err := a.Authorize(ctx, p, "catalog.manage", account.Object{Type: "coupon"}); err != nil {
		return nil, err
	}
	rows, err := store.Coupons(ctx, a.db)
	if err != nil {
		return nil, err
	}
	out := make([]CouponView, 0, len(rows))
	for _, r := range rows {
		out = append(out, couponView(r))
	}
	return out, nil
}
