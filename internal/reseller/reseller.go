// Package reseller is the pure domain of authorised resellers (issue 11,
// clause 2.1 "正规渠道", SEED-REQUIREMENTS A22): what an authorisation
// covers and when, the public check code, the wholesale price and the
// commission, and invitation tokens. It does no I/O.
//
// The company stays the seller and stays liable to the end customer: a
// reseller never accepts the agreement or submits real-name verification
// for a customer (the customer does both through an invitation), every
// refund goes to whoever paid by the route they paid, and the customer is
// always notified.
package reseller

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

// Clause is the agreement clause resellers rest on.
const Clause = "2.1"

// Mode is how a reseller's orders are paid.
type Mode string

// Modes.
const (
	// Wholesale: the reseller pays from its own wallet at the list price
	// less its discount; it bills its customer itself.
	Wholesale Mode = "wholesale"
	// Commission: the customer pays the list price; the reseller earns a
	// share, credited when the customer pays and clawed back on refund.
	Commission Mode = "commission"
)

// State is an authorisation's state as staff set it; Status adds time.
type State string

// States.
const (
	StateActive    State = "active"
	StateSuspended State = "suspended"
	StateRevoked   State = "revoked" // final
)

// Status is where an authorisation stands at an instant.
type Status string

// Statuses shown on the public check and used to refuse sales.
const (
	StatusValid     Status = "valid"
	StatusNotYet    Status = "not_yet_valid"
	StatusExpired   Status = "expired"
	StatusSuspended Status = "suspended"
	StatusRevoked   Status = "revoked"
)

// Rate bounds in basis points: a discount or commission of at least 0.01 %
// and below 100 % (a commercial term, not an agreement rule).
const (
	MinRateBP = 1
	MaxRateBP = 9999
)

// InvitationValidity is how long an invitation link may be used.
const InvitationValidity = 7 * 24 * time.Hour

// Authorisation is what staff grant a reseller.
type Authorisation struct {
	Kinds      []string // product kinds
	Regions    []string // empty: every region
	Mode       Mode
	RateBP     int64
	ValidFrom  time.Time
	ValidUntil time.Time // exclusive
	State      State
}

// StatusAt is a's status at t: revoked and suspended first, then the
// validity period [ValidFrom, ValidUntil).
func (a Authorisation) StatusAt(t time.Time) Status {
	switch {
	case a.State == StateRevoked:
		return StatusRevoked
	case a.State == StateSuspended:
		return StatusSuspended
	case t.Before(a.ValidFrom):
		return StatusNotYet
	case !t.Before(a.ValidUntil):
		return StatusExpired
	}
	return StatusValid
}

// Covers reports whether a covers selling kind in region.
func (a Authorisation) Covers(kind, region string) bool {
	if !slices.Contains(a.Kinds, kind) {
		return false
	}
	return len(a.Regions) == 0 || slices.Contains(a.Regions, region)
}

// Codes of refusals.
const (
	CodeNotAuthorised = "reseller.not_authorised" // no authorisation valid now
	CodeOutOfScope    = "reseller.out_of_scope"   // valid, but not for this kind or region
	CodeInvalid       = "reseller.invalid"
)

// Permit decides whether a reseller holding auths may sell kind in region
// at t, and under which authorisation (the first valid one that covers
// it, in the order given: callers pass newest first). The error is
// reseller.not_authorised when none is valid at t (with the statuses
// seen), reseller.out_of_scope when valid ones exist but none covers the
// line.
func Permit(auths []Authorisation, kind, region string, t time.Time) (int, error) {
	anyValid := false
	var seen []string
	for i, a := range auths {
		st := a.StatusAt(t)
		seen = append(seen, string(st))
		if st != StatusValid {
			continue
		}
		anyValid = true
		if a.Covers(kind, region) {
			return i, nil
		}
	}
	if !anyValid {
		return -1, errs.E(errs.Forbidden, CodeNotAuthorised, "the reseller holds no authorisation valid now", errs.Op("reseller.Permit"),
			map[string]any{"clause": Clause, "statuses": seen})
	}
	return -1, errs.E(errs.Forbidden, CodeOutOfScope, "the reseller's authorisation does not cover this product kind or region",
		errs.Op("reseller.Permit"), map[string]any{"clause": Clause, "kind": kind, "region": region})
}

// WholesaleUnit is the unit price a wholesale reseller pays: the list
// price less rateBP of it, the discount floored to the fen.
func WholesaleUnit(list money.Fen, rateBP int64) money.Fen {
	discount := int64(list) * rateBP / 10000 // floor: the company keeps the odd fen
	return list - money.Fen(discount)
}

// CommissionOf is the commission on base at rateBP, floored to the fen.
func CommissionOf(base money.Fen, rateBP int64) money.Fen {
	return money.Fen(int64(base) * rateBP / 10000)
}

// Validate checks an authorisation staff are about to grant, reporting
// every problem at once under body.* fields. knownKind says whether a
// product kind exists.
func Validate(a Authorisation, now time.Time, knownKind func(string) bool) error {
	var fe []errs.FieldError
	bad := func(field, rule string, params map[string]any) {
		fe = append(fe, errs.FieldError{Field: "body." + field, Rule: rule, Params: params})
	}
	if len(a.Kinds) == 0 {
		bad("kinds", "required", nil)
	}
	for i, k := range a.Kinds {
		if !knownKind(k) {
			bad("kinds["+strconv.Itoa(i)+"]", "enum", nil)
		}
	}
	for i, r := range a.Regions {
		if strings.TrimSpace(r) == "" || len(r) > 64 {
			bad("regions["+strconv.Itoa(i)+"]", "format", nil)
		}
	}
	if a.Mode != Wholesale && a.Mode != Commission {
		bad("mode", "enum", map[string]any{"allowed": []string{string(Wholesale), string(Commission)}})
	}
	if a.RateBP < MinRateBP || a.RateBP > MaxRateBP {
		bad("rate_bp", "range", map[string]any{"min": MinRateBP, "max": MaxRateBP})
	}
	if a.ValidUntil.IsZero() || !a.ValidUntil.After(a.ValidFrom) {
		bad("valid_until", "after_valid_from", nil)
	} else if !a.ValidUntil.After(now) {
		bad("valid_until", "in_future", nil)
	}
	if len(fe) > 0 {
		return &errs.Error{Op: "reseller.Validate", Kind: errs.Invalid, Code: CodeInvalid, Msg: "the authorisation is incomplete or inconsistent",
			Fields: fe, Params: map[string]any{"clause": Clause}}
	}
	return nil
}

// codeAlphabet avoids look-alike symbols (no 0/O, 1/I/L).
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewCode returns a public check code, YXR-XXXX-XXXX.
func NewCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var sb strings.Builder
	sb.WriteString("YXR-")
	for i, x := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return sb.String()
}

// NormalizeCode upper-cases and trims a code typed by a visitor and
// reports whether it has the shape of one.
func NormalizeCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 13 || !strings.HasPrefix(s, "YXR-") || s[8] != '-' {
		return s, false
	}
	for i, c := range s[4:] {
		if i == 4 {
			continue
		}
		if !strings.ContainsRune(codeAlphabet, c) {
			return s, false
		}
	}
	return s, true
}

// NewToken returns an invitation token and the hash to store.
func NewToken() (token, hash string) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token = hex.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
