package account

import (
	"errors"
	"slices"

	"yuanxu/internal/errs"
)

// Object is what a permission is exercised on, as far as authorisation
// needs to know. The app fills it from the loaded row; for creating or
// listing, it passes Principal.TenantObject or Principal.SelfObject.
// Staff-only permissions that act on no particular customer (catalog.manage)
// take the zero Object.
type Object struct {
	// Type names the object for error codes ("order" → "order.not_found");
	// optional.
	Type string
	// OwnerAccountID is the account that owns the object: the enterprise
	// for what an enterprise buys (even when a sub-user placed it), the
	// sub-user for its own sessions and API keys, the staff member for a
	// staff account row.
	OwnerAccountID string
	// OwnerParentID is the enterprise of the owner when the owner is a
	// sub-user; empty otherwise.
	OwnerParentID string
	// ResellerID is the reseller that onboarded the owner, if any.
	ResellerID string
	// The people recorded on the object, for separation of duties. Empty
	// means nobody yet: a party that is not recorded constrains nothing
	// (whether a first approval must exist is the owning state machine's
	// rule, not authorisation's).
	ImposedBy     string // the officer who imposed the measure under appeal
	FirstApprover string // the first approver of a dual-control decision
	PreparedBy    string // who drafted, proposed or prepared what is being approved
	// Purpose is the purpose code of an access that needs one (pii.unmask).
	Purpose string
}

func (o Object) party(p Party) string {
	switch p {
	case PartyOwner:
		return o.OwnerAccountID
	case PartyImposedBy:
		return o.ImposedBy
	case PartyFirstApprover:
		return o.FirstApprover
	case PartyPreparedBy:
		return o.PreparedBy
	}
	return ""
}

// Status is the outcome of an authorisation check. The zero Status is
// Forbidden, so a zero Decision never allows anything.
type Status int

// Outcomes. Web maps them to 403, 200, 404 and 401.
const (
	Forbidden       Status = iota // the principal may not do this, and may know the object exists
	Allow                         // go ahead
	NotFound                      // the object is outside the principal's reach: answer as if it did not exist
	Unauthenticated               // nobody is logged in
)

var statusNames = [...]string{"forbidden", "allow", "not_found", "unauthenticated"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "forbidden"
}

// Reasons a Decision gives. They are for logs, audit and (except
// ReasonHidden) for the error code the caller sees.
const (
	ReasonAllowed           = "authz.allowed"
	ReasonUnauthenticated   = "authz.unauthenticated"
	ReasonUnknownPermission = "authz.unknown_permission"
	ReasonInvalidPrincipal  = "authz.invalid_principal"
	ReasonObjectRequired    = "authz.object_required"
	ReasonHidden            = "authz.hidden" // surfaces as <type>.not_found
	ReasonStaffOnly         = "authz.staff_only"
	ReasonNotHeld           = "authz.permission_denied"
	ReasonScopeMissing      = "authz.scope_missing"
	ReasonKeyScope          = "authz.api_key_scope"
	ReasonRelation          = "authz.relation_denied"
	ReasonSeparation        = "authz.separation_of_duties"
	ReasonPurposeRequired   = "authz.purpose_required"
	// Standing refusals use the standing codes ("standing.banned", …).
)

// Decision is Can's answer.
type Decision struct {
	Allowed bool
	Status  Status
	Reason  string
	// Params carry the permission, the party or scope at issue and, for
	// standing refusals, the clause.
	Params  map[string]any
	objType string
}

// Err returns nil when d allows, else the *errs.Error to return: Forbidden
// with Reason as its code, NotFound as "<type>.not_found" (or "not_found")
// with nothing that tells it apart from a real miss, Unauthenticated as
// "unauthenticated".
func (d Decision) Err() error {
	switch {
	case d.Allowed:
		return nil
	case d.Status == NotFound:
		code := "not_found"
		if d.objType != "" {
			code = d.objType + ".not_found"
		}
		return &errs.Error{Kind: errs.NotFound, Code: code, Msg: "not found", Err: errors.New(d.Reason)}
	case d.Status == Unauthenticated:
		return &errs.Error{Kind: errs.Unauthenticated, Code: "unauthenticated", Msg: "log in first"}
	}
	return &errs.Error{Kind: errs.Forbidden, Code: d.Reason, Msg: "not allowed", Params: d.Params}
}

func deny(st Status, reason string, perm Permission, o Object, params ...any) Decision {
	m := map[string]any{"permission": string(perm)}
	for i := 0; i+1 < len(params); i += 2 {
		m[params[i].(string)] = params[i+1]
	}
	return Decision{Status: st, Reason: reason, Params: m, objType: o.Type}
}

// Relate returns how p stands to o's owner.
func Relate(p Principal, o Object) Relation {
	switch {
	case o.OwnerAccountID == "":
		return RelNone
	case o.OwnerAccountID == p.AccountID:
		return RelSelf
	case p.Kind == KindSubUser && p.OwnerID != "" && o.OwnerAccountID == p.OwnerID:
		return RelTenant
	case p.Kind == KindEnterprise && o.OwnerParentID == p.AccountID:
		return RelManaged
	case p.Kind == KindReseller && o.ResellerID == p.AccountID:
		return RelClient
	}
	return RelNone
}

// Can is the one authorisation check: may p exercise perm on obj? It reads
// only the tables of this package and its arguments, so the app calls it
// for every use case and the answer is the same on every engine and
// transport. In order:
//
//  1. Nobody logged in: Unauthenticated.
//  2. An unknown permission or a malformed principal: Forbidden (fail
//     closed).
//  3. Reach, before anything else, so that the answer never depends on
//     whether someone else's object exists: a customer permission on an
//     object outside the principal's relations is NotFound; a staff
//     permission asked for by a non-staff principal is NotFound on a
//     foreign object and Forbidden otherwise.
//  4. The principal must hold perm (kind, sub-user scope or staff role);
//     a request made with an API key must also carry perm among the key's
//     scopes.
//  5. The relation must be in the permission's Reach (a sub-user may not
//     manage its enterprise's API keys, say).
//  6. Separation of duties: the principal must be none of the parties the
//     permission lists in Distinct.
//  7. A purpose code where the permission needs one.
//  8. Standing: a permission that exercises a standing Action is refused
//     while the principal's standing blocks it, citing the clause.
//
// Whether the object's state allows the action (a refund already paid, an
// order not yet delivered) is the owning state machine's concern, not
// Can's.
func Can(p Principal, perm Permission, obj Object) Decision {
	if p.AccountID == "" {
		return deny(Unauthenticated, ReasonUnauthenticated, perm, obj)
	}
	spec, ok := catalogIndex[perm]
	if !ok {
		return deny(Forbidden, ReasonUnknownPermission, perm, obj)
	}
	if !p.Kind.Valid() || (p.Kind == KindSubUser && p.OwnerID == "") {
		return deny(Forbidden, ReasonInvalidPrincipal, perm, obj)
	}

	rel := Relate(p, obj)
	if spec.Audience == AudienceStaff {
		if p.Kind != KindStaff {
			if obj.OwnerAccountID != "" && rel == RelNone {
				return deny(NotFound, ReasonHidden, perm, obj)
			}
			return deny(Forbidden, ReasonStaffOnly, perm, obj)
		}
	} else {
		if obj.OwnerAccountID == "" {
			return deny(Forbidden, ReasonObjectRequired, perm, obj)
		}
		if rel == RelNone {
			return deny(NotFound, ReasonHidden, perm, obj)
		}
	}

	if !p.Holds(perm) {
		if p.Kind == KindSubUser {
			return deny(Forbidden, ReasonScopeMissing, perm, obj, "scopes", scopesGranting(perm))
		}
		return deny(Forbidden, ReasonNotHeld, perm, obj)
	}
	if p.ViaAPIKey && !slices.Contains(p.KeyScopes, perm) {
		return deny(Forbidden, ReasonKeyScope, perm, obj)
	}
	if spec.Audience != AudienceStaff && !slices.Contains(spec.Reach, rel) {
		return deny(Forbidden, ReasonRelation, perm, obj, "relation", string(rel))
	}
	for _, party := range spec.Distinct {
		if who := obj.party(party); who != "" && who == p.AccountID {
			d := deny(Forbidden, ReasonSeparation, perm, obj, "party", string(party))
			if len(spec.Clauses) > 0 {
				d.Params["clause"] = spec.Clauses[0]
			}
			return d
		}
	}
	if spec.NeedsPurpose && obj.Purpose == "" {
		return deny(Forbidden, ReasonPurposeRequired, perm, obj)
	}
	if spec.Action != "" {
		if m, clause, blocked := p.Standing.blocking(spec.Action); blocked {
			d := deny(Forbidden, m.code(), perm, obj)
			for k, v := range m.params(spec.Action, clause) {
				d.Params[k] = v
			}
			return d
		}
	}
	return Decision{Allowed: true, Status: Allow, Reason: ReasonAllowed, objType: obj.Type}
}

// scopesGranting lists the scopes that would give a sub-user perm, for the
// error message ("ask your enterprise's owner for may_request_refunds").
func scopesGranting(perm Permission) []string {
	var out []string
	for _, s := range scopeTable {
		if slices.Contains(s.Grants, perm) {
			out = append(out, string(s.Scope))
		}
	}
	return out
}
