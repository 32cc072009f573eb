package account

import (
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// Kind is what an account is. The values are stored and sent over the API;
// they never change meaning.
type Kind string

// Account kinds.
const (
	KindIndividual Kind = "individual" // a natural person buying for themselves
	KindEnterprise Kind = "enterprise" // an enterprise, held by its owner; may have sub-users
	KindSubUser    Kind = "sub_user"   // a person acting for one enterprise within delegated scopes
	KindReseller   Kind = "reseller"   // an authorised reseller, ordering for customers it onboarded
	KindStaff      Kind = "staff"      // an employee; what they may do comes from their roles
)

var kinds = []Kind{KindIndividual, KindEnterprise, KindSubUser, KindReseller, KindStaff}

// Kinds lists every account kind.
func Kinds() []Kind { return slices.Clone(kinds) }

// Valid reports whether k is one of the Kind constants.
func (k Kind) Valid() bool { return slices.Contains(kinds, k) }

// Customer reports whether k buys on its own or an enterprise's behalf:
// every kind except staff.
func (k Kind) Customer() bool { return k.Valid() && k != KindStaff }

// SelfRegistrable reports whether someone may sign up as k on the portal.
// Individuals and enterprises buy for themselves; a company applying to
// resell registers as a reseller (with its name and USCC, verified like an
// enterprise) and may sell only once staff authorise it, with a scope and
// an expiry (issue 11). Sub-users are created by their enterprise's owner,
// and staff by an administrator (`yuanxu admin create-staff` or the
// console).
func (k Kind) SelfRegistrable() bool {
	return k == KindIndividual || k == KindEnterprise || k == KindReseller
}

// ParseKind returns s as a Kind, or an *errs.Error (code
// "account.kind_invalid", field body.kind) when it is not one.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !k.Valid() {
		return "", errs.Invalidf(CodeKindInvalid, "body.kind", "one_of", map[string]any{"allowed": kindStrings(kinds)})
	}
	return k, nil
}

func kindStrings(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// State is an account's lifecycle state (DESIGN §2: registered → active →
// closed). Standing (restricted, suspended, banned) is kept apart from it: a
// banned account is still active, so that its holder can log in, read the
// notice and appeal (clause 6.2).
type State string

// Lifecycle states.
const (
	StateRegistered State = "registered" // signed up; email and phone not yet both verified
	StateActive     State = "active"     // verified; may log in and act
	StateDisabled   State = "disabled"   // switched off by an administrator (staff leaving, a sub-user removed); reversible
	StateClosed     State = "closed"     // closed at the holder's request or after a final ban decision; terminal
)

// stateMoves is the lifecycle as data: from → allowed targets.
var stateMoves = map[State][]State{
	StateRegistered: {StateActive, StateClosed},
	StateActive:     {StateDisabled, StateClosed},
	StateDisabled:   {StateActive, StateClosed},
	StateClosed:     nil,
}

// Valid reports whether s is one of the State constants.
func (s State) Valid() bool { _, ok := stateMoves[s]; return ok }

// CanMoveTo reports whether the lifecycle allows s → to.
func (s State) CanMoveTo(to State) bool { return slices.Contains(stateMoves[s], to) }

// CanLogIn reports whether a holder of an account in state s may start a
// session: registered accounts may (to finish verification), disabled and
// closed ones may not. Standing never prevents logging in.
func (s State) CanLogIn() bool { return s == StateRegistered || s == StateActive }

// EndsSessions reports whether entering state s ends every session of the
// account (disable and close do).
func (s State) EndsSessions() bool { return s == StateDisabled || s == StateClosed }

// MoveState returns an *errs.Error (Conflict, code
// "account.state_transition") unless from → to is allowed.
func MoveState(from, to State) error {
	if from.CanMoveTo(to) {
		return nil
	}
	return &errs.Error{Kind: errs.Conflict, Code: CodeStateTransition, Msg: "account status cannot change this way",
		Params: map[string]any{"from": string(from), "to": string(to)}}
}

// Account is the domain view of an account row (DESIGN §2). Contact data
// (email, phone) is personal information: the store keeps it sealed with a
// blind index and it is not part of this struct.
type Account struct {
	ID          string
	Kind        Kind
	State       State
	DisplayName string
	// OwnerID is the enterprise a sub-user acts for; empty for other kinds.
	OwnerID string
	// ResellerID is the reseller that onboarded this customer, if any.
	ResellerID string
	Roles      []Role  // staff only
	Scopes     []Scope // sub-users only
	// Standing is the account's own standing. For a sub-user, the
	// principal's effective standing is merged with its enterprise's
	// (Standing.Merge); the app does that when it builds the Principal.
	Standing  Standing
	CreatedAt time.Time
}

// Principal returns the principal of a holder of a logged-in session on a.
// The caller merges an enterprise's standing into a sub-user's and sets the
// API key fields when the request came with a key.
func (a Account) Principal() Principal {
	return Principal{
		AccountID: a.ID,
		Kind:      a.Kind,
		OwnerID:   a.OwnerID,
		Roles:     slices.Clone(a.Roles),
		Scopes:    slices.Clone(a.Scopes),
		Standing:  a.Standing,
	}
}

// Principal is who acts, as Can sees it. The zero Principal is anonymous.
type Principal struct {
	AccountID string
	Kind      Kind
	// OwnerID is the enterprise of a sub-user; required for sub-users,
	// ignored for other kinds.
	OwnerID string
	Roles   []Role  // staff: the roles granting staff permissions
	Scopes  []Scope // sub-users: the delegated scopes
	// Standing is the effective standing: for a sub-user, its own merged
	// with its enterprise's.
	Standing Standing
	// ViaAPIKey is set when the request authenticated with an API key;
	// KeyScopes then bound what it may do (a key never adds permissions).
	ViaAPIKey bool
	KeyScopes []Permission
}

// TenantID is the account that owns what the principal buys: the
// enterprise for a sub-user, the account itself otherwise.
func (p Principal) TenantID() string {
	if p.Kind == KindSubUser {
		return p.OwnerID
	}
	return p.AccountID
}

// SelfObject is the Object for things that belong to the principal's own
// account (its profile, sessions, two-factor settings, API keys).
func (p Principal) SelfObject() Object {
	o := Object{OwnerAccountID: p.AccountID}
	if p.Kind == KindSubUser {
		o.OwnerParentID = p.OwnerID
	}
	return o
}

// TenantObject is the Object for creating or listing what the principal's
// tenant owns (orders, tickets, the wallet): its owner is TenantID.
func (p Principal) TenantObject() Object { return Object{OwnerAccountID: p.TenantID()} }
