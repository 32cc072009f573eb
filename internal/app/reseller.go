package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/reseller"
	"yuanxu/internal/store"
)

// Authorised resellers (issue 11, clause 2.1, SEED A22): staff authorise a
// reseller account (verified like an enterprise) for product kinds and
// regions over a period; anyone can check an authorisation code; an
// expired or suspended reseller cannot sell. Invitations, orders, money and
// webhooks are in reseller_*.go and webhook.go.

// ResellerAuthInput is an authorisation staff grant.
type ResellerAuthInput struct {
	ResellerID string    `json:"reseller_id" example:"01936a9e-0000-7000-8000-000000000004"`
	Kinds      []string  `json:"kinds" example:"[\"cloud_server\",\"vpn\"]" doc:"Product kinds the reseller may sell."`
	Regions    []string  `json:"regions,omitempty" example:"[\"nanchang\"]" doc:"Regions it may sell in; empty: every region."`
	Mode       string    `json:"mode" enum:"wholesale,commission" example:"commission"`
	RateBP     int64     `json:"rate_bp" example:"1000" doc:"Wholesale discount or commission, in basis points (1000 = 10 %)."`
	ValidFrom  time.Time `json:"valid_from,omitzero" example:"2026-11-26T00:00:00+08:00" doc:"Default: now."`
	ValidUntil time.Time `json:"valid_until" example:"2027-11-26T00:00:00+08:00" doc:"Exclusive."`
}

// ResellerAuthView is an authorisation as staff and the reseller see it.
type ResellerAuthView struct {
	ID          string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f80"`
	Code        string    `json:"code" example:"YXR-7K3M-Q9TB"`
	ResellerID  string    `json:"reseller_id" example:"01936a9e-0000-7000-8000-000000000004"`
	CompanyName string    `json:"company_name" example:"示例代理商有限公司"`
	Kinds       []string  `json:"kinds" example:"[\"cloud_server\"]"`
	Regions     []string  `json:"regions" example:"[\"cn-jx-nanchang\"]"`
	Mode        string    `json:"mode" example:"commission"`
	RateBP      int64     `json:"rate_bp" example:"1000"`
	ValidFrom   time.Time `json:"valid_from" example:"2026-11-26T00:00:00+08:00"`
	ValidUntil  time.Time `json:"valid_until" example:"2027-11-26T00:00:00+08:00"`
	State       string    `json:"state" enum:"active,suspended,revoked" example:"active"`
	StateReason string    `json:"state_reason,omitempty" example:""`
	Status      string    `json:"status" enum:"valid,not_yet_valid,expired,suspended,revoked" example:"valid" doc:"Where it stands now."`
	CreatedAt   time.Time `json:"created_at" example:"2026-11-26T09:00:00+08:00"`
}

func domainAuth(r store.ResellerAuthRow) reseller.Authorisation {
	return reseller.Authorisation{Kinds: r.Kinds, Regions: r.Regions, Mode: reseller.Mode(r.Mode), RateBP: r.RateBP, ValidFrom: r.ValidFrom,
		ValidUntil: r.ValidUntil, State: reseller.State(r.State)}
}

func authView(r store.ResellerAuthRow, now time.Time) ResellerAuthView {
	v := ResellerAuthView{ID: r.ID, Code: r.Code, ResellerID: r.ResellerID, CompanyName: r.CompanyName, Kinds: r.Kinds, Regions: r.Regions,
		Mode: r.Mode, RateBP: r.RateBP, ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, State: r.State, StateReason: r.StateReason,
		Status: string(domainAuth(r).StatusAt(now)), CreatedAt: r.CreatedAt}
	if v.Kinds == nil {
		v.Kinds = []string{}
	}
	if v.Regions == nil {
		v.Regions = []string{}
	}
	return v
}

// AuthoriseReseller grants a reseller account an authorisation
// (reseller.authorise, clause 2.1). The account must be a reseller whose
// real-name (enterprise) verification is approved; the scope, mode, rate
// and validity are checked all at once (reseller.invalid).
func (a *App) AuthoriseReseller(ctx context.Context, p account.Principal, in ResellerAuthInput) (ResellerAuthView, error) {
	const op = "app.AuthoriseReseller"
	if err := a.Authorize(ctx, p, "reseller.authorise", account.Object{Type: "reseller_authorisation"}); err != nil {
		return ResellerAuthView{}, err
	}
	now := a.Now()
	if in.ValidFrom.IsZero() {
		in.ValidFrom = now
	}
	l, err := loadAccount(ctx, a.db, in.ResellerID)
	if err != nil || account.Kind(l.row.Kind) != account.KindReseller {
		if err != nil && errs.CodeOf(err) != "account.not_found" {
			return ResellerAuthView{}, err
		}
		return ResellerAuthView{}, fieldErr(op, reseller.CodeInvalid, errs.Invalid, "body.reseller_id", "reseller_account",
			"no reseller account with this id", nil)
	}
	if err := a.KYCRequired(ctx, l.row.ID); err != nil {
		return ResellerAuthView{}, fieldErr(op, "reseller.kyc_required", errs.Conflict, "body.reseller_id", "kyc_approved",
			"the reseller's enterprise verification must be approved first", map[string]any{"clause": reseller.Clause})
	}
	in.Kinds, in.Regions = dedupe(in.Kinds), dedupe(in.Regions)
	d := reseller.Authorisation{Kinds: in.Kinds, Regions: in.Regions, Mode: reseller.Mode(in.Mode), RateBP: in.RateBP, ValidFrom: in.ValidFrom,
		ValidUntil: in.ValidUntil, State: reseller.StateActive}
	if err := reseller.Validate(d, now, func(k string) bool { return catalog.Kind(k).Valid() }); err != nil {
		return ResellerAuthView{}, err
	}
	company := l.row.EnterpriseName
	if company == "" {
		company = l.row.DisplayName
	}
	row := store.ResellerAuthRow{ID: id.NewAt(now), Code: reseller.NewCode(), ResellerID: l.row.ID, CompanyName: company, Kinds: in.Kinds,
		Regions: in.Regions, Mode: in.Mode, RateBP: in.RateBP, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil,
		State: string(reseller.StateActive), CreatedBy: p.AccountID, CreatedAt: now, UpdatedAt: now}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.ResellerAuthInsert(ctx, row); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "reseller.authorised", SubjectType: "account", SubjectID: l.row.ID, Data: map[string]any{
			"authorisation": row.ID, "code": row.Code, "kinds": row.Kinds, "regions": row.Regions, "mode": row.Mode, "rate_bp": row.RateBP,
			"valid_from": row.ValidFrom, "valid_until": row.ValidUntil, "clause": reseller.Clause}})
	})
	if err != nil {
		return ResellerAuthView{}, err
	}
	return authView(row, now), nil
}

func dedupe(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ResellerAuthAction is a state change of an authorisation.
type ResellerAuthAction struct {
	Action string `json:"action" enum:"suspend,reinstate,revoke" example:"suspend"`
	Reason string `json:"reason" maxLength:"500" example:"contract under review"`
}

// SetResellerAuthState suspends, reinstates or revokes an authorisation
// (reseller.authorise). Revocation is final; a reason is required for
// suspension and revocation. From that instant the reseller cannot sell
// under it (orders already paid stay the company's to deliver).
func (a *App) SetResellerAuthState(ctx context.Context, p account.Principal, authID string, in ResellerAuthAction) (ResellerAuthView, error) {
	const op = "app.SetResellerAuthState"
	if err := a.Authorize(ctx, p, "reseller.authorise", account.Object{Type: "reseller_authorisation"}); err != nil {
		return ResellerAuthView{}, err
	}
	var from, to []reseller.State
	switch in.Action {
	case "suspend":
		from, to = []reseller.State{reseller.StateActive}, []reseller.State{reseller.StateSuspended}
	case "reinstate":
		from, to = []reseller.State{reseller.StateSuspended}, []reseller.State{reseller.StateActive}
	case "revoke":
		from, to = []reseller.State{reseller.StateActive, reseller.StateSuspended}, []reseller.State{reseller.StateRevoked}
	default:
		return ResellerAuthView{}, fieldErr(op, reseller.CodeInvalid, errs.Invalid, "body.action", "enum", "choose suspend, reinstate or revoke", nil)
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Action != "reinstate" && in.Reason == "" {
		return ResellerAuthView{}, fieldErr(op, reseller.CodeInvalid, errs.Invalid, "body.reason", "required", "give a reason", nil)
	}
	var out store.ResellerAuthRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.ResellerAuthGet(ctx, tx, authID)
		if store.IsNotFound(err) {
			return errNotFound("reseller_authorisation")
		}
		if err != nil {
			return err
		}
		if !slices.Contains(from, reseller.State(r.State)) {
			return errs.E(errs.Op(op), errs.Conflict, "reseller.bad_transition", "the authorisation is "+r.State,
				map[string]any{"state": r.State, "action": in.Action})
		}
		prev := r.State
		r.State, r.StateReason, r.UpdatedAt = string(to[0]), in.Reason, tx.Now
		ok, err := tx.ResellerAuthUpdate(ctx, r, prev)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op(op), errs.Conflict, "reseller.changed", "the authorisation changed meanwhile; reload", errs.ErrConflict)
		}
		out = r
		return a.Audit(ctx, tx, AuditEntry{Action: "reseller.authorisation_" + in.Action, SubjectType: "account", SubjectID: r.ResellerID,
			Data: map[string]any{"authorisation": r.ID, "from": prev, "to": r.State, "reason": in.Reason}})
	})
	if err != nil {
		return ResellerAuthView{}, err
	}
	return authView(out, a.Now()), nil
}

// ResellerAuthorisations lists authorisations: staff (reseller.authorise or
// account.read_any) any reseller's ("" for all), a reseller its own.
func (a *App) ResellerAuthorisations(ctx context.Context, p account.Principal, resellerID string) ([]ResellerAuthView, error) {
	if p.Kind == account.KindStaff {
		if !account.Can(p, "account.read_any", account.Object{}).Allowed {
			if err := a.Authorize(ctx, p, "reseller.authorise", account.Object{Type: "reseller_authorisation"}); err != nil {
				return nil, err
			}
		}
	} else {
		if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
			return nil, err
		}
		resellerID = p.AccountID
	}
	rs, err := store.ResellerAuths(ctx, a.db, resellerID, 500)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	out := make([]ResellerAuthView, 0, len(rs))
	for _, r := range rs {
		out = append(out, authView(r, now))
	}
	return out, nil
}

// PublicResellerCheck is what anyone may learn from an authorisation code:
// the company, the scope, the period and whether it is valid now. Nothing
// else (no account id, no rates).
type PublicResellerCheck struct {
	Code        string    `json:"code" example:"YXR-7K3M-Q9TB"`
	CompanyName string    `json:"company_name" example:"示例代理商有限公司"`
	Kinds       []string  `json:"kinds" example:"[\"cloud_server\"]"`
	Regions     []string  `json:"regions" example:"[\"cn-jx-nanchang\"]"`
	ValidFrom   time.Time `json:"valid_from" example:"2026-11-26T00:00:00+08:00"`
	ValidUntil  time.Time `json:"valid_until" example:"2027-11-26T00:00:00+08:00"`
	Status      string    `json:"status" enum:"valid,not_yet_valid,expired,suspended,revoked" example:"valid"`
	CheckedAt   time.Time `json:"checked_at" example:"2026-11-26T09:00:00+08:00"`
}

// CodeResellerCodeUnknown answers a check of a code nobody holds.
const CodeResellerCodeUnknown = "reseller.code_unknown"

// CheckResellerCode is the public check of an authorisation code (clause
// 2.1: buy only through the official site or authorised resellers). A
// malformed code is reseller.code_invalid (field query.code); an unknown
// one reseller.code_unknown (404).
func (a *App) CheckResellerCode(ctx context.Context, code string) (PublicResellerCheck, error) {
	c, ok := reseller.NormalizeCode(code)
	if !ok {
		return PublicResellerCheck{}, fieldErr("app.CheckResellerCode", "reseller.code_invalid", errs.Invalid, "query.code", "format",
			"an authorisation code looks like YXR-XXXX-XXXX", nil)
	}
	r, err := store.ResellerAuthByCode(ctx, a.db, c)
	if store.IsNotFound(err) {
		return PublicResellerCheck{}, &errs.Error{Kind: errs.NotFound, Code: CodeResellerCodeUnknown, Msg: "no authorisation has this code",
			Params: map[string]any{"clause": reseller.Clause}}
	}
	if err != nil {
		return PublicResellerCheck{}, err
	}
	v := authView(r, a.Now())
	return PublicResellerCheck{Code: v.Code, CompanyName: v.CompanyName, Kinds: v.Kinds, Regions: v.Regions, ValidFrom: v.ValidFrom,
		ValidUntil: v.ValidUntil, Status: v.Status, CheckedAt: a.Now()}, nil
}

// resellerPermit returns the authorisation under which resellerID may sell
// kind in region now (reseller.Permit's errors otherwise).
func (a *App) resellerPermit(ctx context.Context, q store.Querier, resellerID, kind, region string) (store.ResellerAuthRow, error) {
	rs, err := store.ResellerAuths(ctx, q, resellerID, 500)
	if err != nil {
		return store.ResellerAuthRow{}, err
	}
	ds := make([]reseller.Authorisation, len(rs))
	for i, r := range rs {
		ds[i] = domainAuth(r)
	}
	i, err := reseller.Permit(ds, kind, region, a.Now())
	if err != nil {
		return store.ResellerAuthRow{}, err
	}
	return rs[i], nil
}

// resellerActive reports whether resellerID holds any authorisation valid
// now: inviting customers needs one.
func (a *App) resellerActive(ctx context.Context, q store.Querier, resellerID string) error {
	rs, err := store.ResellerAuths(ctx, q, resellerID, 500)
	if err != nil {
		return err
	}
	now := a.Now()
	var seen []string
	for _, r := range rs {
		st := domainAuth(r).StatusAt(now)
		if st == reseller.StatusValid {
			return nil
		}
		seen = append(seen, string(st))
	}
	return errs.E(errs.Op("app.resellerActive"), errs.Forbidden, reseller.CodeNotAuthorised, "the reseller holds no authorisation valid now",
		map[string]any{"clause": reseller.Clause, "statuses": seen})
}

// ResellerAccountView is a reseller account in the console.
type ResellerAccountView struct {
	ID, DisplayName, Company, EmailMasked string
	KYCApproved                           bool
}

// ResellerAccounts lists the reseller accounts (staff: reseller.authorise
// or account.read_any), for the console's authorisation form.
func (a *App) ResellerAccounts(ctx context.Context, p account.Principal) ([]ResellerAccountView, error) {
	if !account.Can(p, "account.read_any", account.Object{}).Allowed {
		if err := a.Authorize(ctx, p, "reseller.authorise", account.Object{Type: "reseller_authorisation"}); err != nil {
			return nil, err
		}
	}
	rs, err := store.AccountList(ctx, a.db, store.AccountFilter{Kinds: []string{string(account.KindReseller)}, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]ResellerAccountView, 0, len(rs))
	for _, r := range rs {
		out = append(out, ResellerAccountView{ID: r.ID, DisplayName: r.DisplayName, Company: r.EnterpriseName, EmailMasked: r.EmailMasked,
			KYCApproved: a.KYCRequired(ctx, r.ID) == nil})
	}
	return out, nil
}
