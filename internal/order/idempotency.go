package order

import (
	"crypto/sha256"
	"time"

	"yuanxu/internal/errs"
)

// IdemRetention is how long an Idempotency-Key is remembered: at least
// 24 h (issue 9). A record older than this no longer binds its key.
const IdemRetention = 24 * time.Hour

// MaxIdemKeyLen is the longest Idempotency-Key accepted.
const MaxIdemKeyLen = 255

// IdemState is the state of a stored idempotency record.
type IdemState string

// Idempotency record states.
const (
	IdemInFlight IdemState = "in_flight" // the first request is still being handled
	IdemDone     IdemState = "done"      // the response is stored
)

// IdemRecord is what the store keeps for one (account, key). Records are
// scoped to the account: two accounts may use the same key independently.
type IdemRecord struct {
	AccountID string
	Key       string
	BodyHash  [32]byte // HashBody of the first request's body
	State     IdemState
	CreatedAt time.Time
	// The stored response, replayed as is for the same key and body.
	Status   int
	Response []byte
}

// Decision is what to do with a request carrying an Idempotency-Key.
type Decision string

// Decisions.
const (
	DecisionNew      Decision = "new"       // no live record: handle it and store the response
	DecisionReplay   Decision = "replay"    // same key and body, done: return the stored response
	DecisionMismatch Decision = "mismatch"  // same key, another body: 422
	DecisionInFlight Decision = "in_flight" // same key and body, still running: 409
)

// Error codes of idempotency decisions.
const (
	CodeIdemBodyMismatch = "idempotency.body_mismatch"
	CodeIdemInFlight     = "idempotency.in_flight"
	CodeIdemKeyInvalid   = "idempotency.key_invalid"
)

// HashBody returns the hash Replay compares: SHA-256 of the raw body.
func HashBody(body []byte) [32]byte { return sha256.Sum256(body) }

// Replay decides what to do with a request carrying key and a body hashing
// to bodyHash, given the record stored for this account and key (nil if
// none). A record for another key, or one at least IdemRetention old, does
// not bind: DecisionNew (the store then overwrites it). Otherwise a
// different body is DecisionMismatch (even while the first is in flight:
// the client has a bug either way), the same body still in flight is
// DecisionInFlight, and the same body done is DecisionReplay.
func Replay(stored *IdemRecord, key string, bodyHash [32]byte, now time.Time) Decision {
	if stored == nil || stored.Key != key || !now.Before(stored.CreatedAt.Add(IdemRetention)) {
		return DecisionNew
	}
	switch {
	case stored.BodyHash != bodyHash:
		return DecisionMismatch
	case stored.State == IdemDone:
		return DecisionReplay
	}
	return DecisionInFlight
}

// Err returns the error a decision answers with: for DecisionMismatch an
// *errs.Error of Kind Invalid (HTTP 422) and code CodeIdemBodyMismatch, for
// DecisionInFlight Kind Conflict (409) and code CodeIdemInFlight, both on
// field "header.Idempotency-Key"; nil otherwise.
func (d Decision) Err() error {
	f := errs.FieldError{Field: "header.Idempotency-Key"}
	switch d {
	case DecisionMismatch:
		f.Rule = "body_mismatch"
		return errs.E(errs.Op("order.Replay"), errs.Invalid, CodeIdemBodyMismatch,
			"this Idempotency-Key was used with another request body", f)
	case DecisionInFlight:
		f.Rule = "in_flight"
		return errs.E(errs.Op("order.Replay"), errs.Conflict, CodeIdemInFlight,
			"a request with this Idempotency-Key is still being processed; retry later", f)
	}
	return nil
}

// ValidateIdemKey checks an Idempotency-Key: 1 to MaxIdemKeyLen bytes of
// printable ASCII without spaces. Otherwise an *errs.Error of Kind Invalid
// and code CodeIdemKeyInvalid.
func ValidateIdemKey(key string) error {
	ok := len(key) >= 1 && len(key) <= MaxIdemKeyLen
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		return errs.E(errs.Op("order.ValidateIdemKey"), errs.Invalid, CodeIdemKeyInvalid,
			"Idempotency-Key must be 1–255 printable ASCII characters",
			errs.FieldError{Field: "header.Idempotency-Key", Rule: "format", Params: map[string]any{"max": MaxIdemKeyLen}})
	}
	return nil
}
