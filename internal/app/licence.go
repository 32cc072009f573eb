package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// Licence types of the register (MIIT telecom business licences).
const (
	LicenceIDC   = "idc"    // Internet data centre (B11)
	LicenceCDN   = "cdn"    // content delivery network (B12)
	LicenceISP   = "isp"    // Internet access (B14)
	LicenceIPVPN = "ip_vpn" // domestic IP-VPN (B13); cross-border needs a cross_border scope
)

// VPN scopes.
const (
	ScopeDomestic    = "domestic"
	ScopeCrossBorder = "cross_border"
)

var (
	licenceTypes = []string{LicenceIDC, LicenceCDN, LicenceISP, LicenceIPVPN}
	productKinds = []string{"cloud_server", "vpn", "cdn", "certificate", "traffic_pack"}
	// defaultKinds are the product kinds a licence type covers when the
	// register entry names none.
	defaultKinds = map[string][]string{
		LicenceIDC: {"cloud_server", "traffic_pack"}, LicenceCDN: {"cdn"}, LicenceISP: {"cloud_server", "traffic_pack"}, LicenceIPVPN: {"vpn"},
	}
)

// LicenceInput is a register entry as staff type it.
type LicenceInput struct {
	Type, Number, Holder  string
	Scopes, Regions       []string
	ProductKinds          []string
	ValidFrom, ValidUntil time.Time
	Note                  string
}

// Licence is one register entry.
type Licence = store.LicenceRow

func (in *LicenceInput) validate() error {
	var fes []errs.FieldError
	bad := func(f, rule string) { fes = append(fes, errs.FieldError{Field: "body." + f, Rule: rule}) }
	in.Number, in.Holder = strings.TrimSpace(in.Number), strings.TrimSpace(in.Holder)
	if !slices.Contains(licenceTypes, in.Type) {
		bad("type", "enum")
	}
	if in.Number == "" || len(in.Number) > 64 {
		bad("number", "required")
	}
	if in.Holder == "" || len(in.Holder) > 128 {
		bad("holder", "required")
	}
	for _, s := range in.Scopes {
		if s != ScopeDomestic && s != ScopeCrossBorder {
			bad("scopes", "enum")
			break
		}
	}
	if in.Type == LicenceIPVPN && len(in.Scopes) == 0 {
		bad("scopes", "required")
	}
	for _, k := range in.ProductKinds {
		if !slices.Contains(productKinds, k) {
			bad("product_kinds", "enum")
			break
		}
	}
	if len(in.ProductKinds) == 0 {
		in.ProductKinds = defaultKinds[in.Type]
	}
	for _, r := range in.Regions {
		if r == "" || strings.Contains(r, ",") {
			bad("regions", "format")
			break
		}
	}
	if in.ValidFrom.IsZero() {
		bad("valid_from", "required")
	}
	if !in.ValidUntil.After(in.ValidFrom) {
		bad("valid_until", "after_valid_from")
	}
	if len(fes) > 0 {
		return &errs.Error{Kind: errs.Invalid, Code: "licence.invalid", Msg: "licence entry invalid", Fields: fes}
	}
	return nil
}

// LicenceCreate adds a licence to the register (licence.manage).
func (a *App) LicenceCreate(ctx context.Context, p account.Principal, in LicenceInput) (Licence, error) {
	if err := a.Authorize(ctx, p, "licence.manage", account.Object{Type: "licence"}); err != nil {
		return Licence{}, err
	}
	if err := in.validate(); err != nil {
		return Licence{}, err
	}
	var r store.LicenceRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r = store.LicenceRow{ID: id.NewAt(tx.Now), Type: in.Type, Number: in.Number, Holder: in.Holder, Scopes: in.Scopes, Regions: in.Regions,
			ProductKinds: in.ProductKinds, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, Note: in.Note, CreatedBy: p.AccountID,
			CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.LicenceInsert(ctx, r); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return &errs.Error{Kind: errs.Conflict, Code: "licence.duplicate", Msg: "this licence number is already registered",
					Fields: []errs.FieldError{{Field: "body.number", Rule: "unique"}}}
			}
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "licence.created", SubjectType: "licence", SubjectID: r.ID,
			Data: map[string]any{"type": r.Type, "number": r.Number, "valid_until": r.ValidUntil}})
	})
	return r, err
}

// LicenceUpdate replaces a licence's entry (licence.manage).
func (a *App) LicenceUpdate(ctx context.Context, p account.Principal, licenceID string, in LicenceInput) (Licence, error) {
	if err := a.Authorize(ctx, p, "licence.manage", account.Object{Type: "licence"}); err != nil {
		return Licence{}, err
	}
	if err := in.validate(); err != nil {
		return Licence{}, err
	}
	var r store.LicenceRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if r, err = store.LicenceGet(ctx, tx, licenceID); err != nil {
			if store.IsNotFound(err) {
				return errNotFound("licence")
			}
			return err
		}
		r.Type, r.Number, r.Holder, r.Scopes, r.Regions, r.ProductKinds = in.Type, in.Number, in.Holder, in.Scopes, in.Regions, in.ProductKinds
		r.ValidFrom, r.ValidUntil, r.Note, r.UpdatedAt = in.ValidFrom, in.ValidUntil, in.Note, tx.Now
		if err := tx.LicenceUpdate(ctx, r); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "licence.updated", SubjectType: "licence", SubjectID: r.ID,
			Data: map[string]any{"type": r.Type, "number": r.Number, "valid_until": r.ValidUntil}})
	})
	return r, err
}

// LicenceRevoke takes a licence out of force from now (licence.manage).
func (a *App) LicenceRevoke(ctx context.Context, p account.Principal, licenceID string) error {
	if err := a.Authorize(ctx, p, "licence.manage", account.Object{Type: "licence"}); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.LicenceGet(ctx, tx, licenceID)
		if err != nil {
			if store.IsNotFound(err) {
				return errNotFound("licence")
			}
			return err
		}
		if !r.RevokedAt.IsZero() {
			return nil
		}
		r.RevokedAt, r.UpdatedAt = tx.Now, tx.Now
		if err := tx.LicenceUpdate(ctx, r); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "licence.revoked", SubjectType: "licence", SubjectID: r.ID, Data: map[string]any{"number": r.Number}})
	})
}

// Licences lists the register (licence.manage).
func (a *App) Licences(ctx context.Context, p account.Principal) ([]Licence, error) {
	if err := a.Authorize(ctx, p, "licence.manage", account.Object{Type: "licence"}); err != nil {
		return nil, err
	}
	return store.Licences(ctx, a.db)
}

// LicenceCovers reports whether the register holds a licence that lets
// the company sell a product of kind (cloud_server, vpn, cdn, certificate,
// traffic_pack) with scope (VPN: domestic or cross_border; "" otherwise)
// in region ("" for nationwide sale) at instant at, and which one.
// Certificates need no telecom licence. Checkout calls it.
func (a *App) LicenceCovers(ctx context.Context, kind, scope, region string, at time.Time) (bool, Licence, error) {
	if kind == "certificate" {
		return true, Licence{}, nil
	}
	ls, ok := memoPeek[[]store.LicenceRow](ctx, memoLicences) // a checkout's (prefetchCheckout)
	if !ok {
		var err error
		if ls, err = store.Licences(ctx, a.db); err != nil {
			return false, Licence{}, err
		}
	}
	for _, l := range ls {
		if licenceCovers(l, kind, scope, region, at) {
			return true, l, nil
		}
	}
	return false, Licence{}, nil
}

// licenceCovers is the rule, for one entry: in force at at (from
// inclusive, until exclusive, not revoked by then), covering the kind, the
// scope (a VPN needs its scope listed; a cross-border line only a
// cross_border scope) and the region (an entry without regions is
// nationwide; a sale without a region needs a nationwide entry).
func licenceCovers(l Licence, kind, scope, region string, at time.Time) bool {
	switch {
	case at.Before(l.ValidFrom) || !at.Before(l.ValidUntil):
		return false
	case !l.RevokedAt.IsZero() && !at.Before(l.RevokedAt):
		return false
	case !slices.Contains(l.ProductKinds, kind):
		return false
	}
	if kind == "vpn" {
		if scope == "" {
			scope = ScopeDomestic
		}
		if !slices.Contains(l.Scopes, scope) {
			return false
		}
	}
	if len(l.Regions) > 0 && (region == "" || !slices.Contains(l.Regions, region)) {
		return false
	}
	return true
}
