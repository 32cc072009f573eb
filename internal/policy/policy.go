// Package policy is the registry of every policy parameter of DESIGN.md §3:
// the numbers and choices that the consumer-protection agreement states, each
// bound to the clause that states it (or, where no clause does, to the
// statutory or internal basis that requires it).
//
// Contracts:
//   - The registry is fixed at compile time. Every key has a type, a
//     validation range, a bilingual description, and either clause ids or a
//     Basis. Every key without a default is Required.
//   - A Set holds the values of one agreement version. It is built only by
//     Parse (or ProjectDefaults, or (*Set).With), which rejects unknown keys,
//     badly typed and out-of-range values, and missing keys that have no
//     default, reporting every problem at once as one *errs.Error. A Set is
//     immutable and safe for concurrent use.
//   - Absent keys take the registry default, and Values lists them
//     explicitly, so a stored version never changes meaning when a default
//     in this file changes later.
//   - The typed getters ((*Set).Duration, Int, Int64, Bool, Strings, String)
//     take typed key constants (RefundWindow is a DurationKey, and so on) and
//     never fail for them; they panic only on a programmer error: a key
//     converted from an unregistered string, or a zero Set.
//   - Resolver finds the Set that governs a decision: the version the
//     customer accepted at an order's checkout, or, for decisions without an
//     order, the latest version the customer accepted before the decision
//     instant, else the version in force then. Its Trace names the version,
//     the reason it was chosen and the digest of the values used, so that a
//     decision can cite them.
//
// The package is pure domain logic: it does no I/O and imports neither
// database/sql nor net/http.
package policy

import (
	"time"

	"yuanxu/internal/errs"
)

// Type is the value type of a parameter. It decides how text is parsed, how
// the value is written canonically, and which getter reads it.
type Type int

const (
	TypeDuration Type = iota + 1 // Go duration text ("24h", "30m"); canonical in the largest whole unit
	TypeInt                      // a decimal integer (days, hours, years, ages)
	TypeBytes                    // a decimal int64 count of bytes
	TypeFen                      // a decimal int64 amount in fen (1/100 yuan)
	TypeBool                     // exactly "true" or "false"
	TypeEnum                     // one of Key.Enum
	TypeEnumList                 // a comma-separated, non-empty set drawn from Key.Enum
	TypeString                   // free text on one line, without placeholders such as "[X]"
)

var typeNames = [...]string{"", "duration", "int", "bytes", "fen", "bool", "enum", "enum_list", "string"}

// String returns the stable lower_snake name used in FieldError params.
func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// Text is a short description in the two languages every view supports.
type Text struct {
	ZH string // zh-CN, the default language
	EN string
}

// Key describes one parameter. Values returned by Registry and Lookup are
// copies; changing them changes nothing in the registry.
type Key struct {
	Name string // the §3 key, e.g. "refund.window"
	Type Type
	// Default is the canonical text of the registry default; "" means the
	// key has no default and every Set must state it.
	Default string
	// Required is §3's "required" column: the parameter is part of the
	// agreement's promise and every version must state a value for it (the
	// agreement linter shows them). Parse can only find one missing when it
	// has no default.
	Required bool
	// Clauses are the seed clause ids that state the parameter ("3.1",
	// "3.1.a", "6.2"), in §3's order; empty when §3 shows "—".
	Clauses []string
	// Basis names the statute or internal rule behind the parameter; always
	// set when Clauses is empty, and may add a statute otherwise.
	Basis string
	Desc  Text
	// Min and Max bound the value, inclusive: the integer itself for int,
	// bytes and fen; nanoseconds (a time.Duration) for durations; the length
	// in runes for strings. Unused for bool, enum and enum lists.
	Min, Max int64
	// Enum lists the allowed values of an enum or enum list, in canonical
	// order (an enum list is written in this order, whatever the input order).
	Enum []string
}

// HasDefault reports whether a Set may omit the key.
func (k Key) HasDefault() bool { return k.Default != "" }

// Parse validates one text value for the key, as Parse does for a whole
// Set, and returns its canonical text; k must come from Registry or Lookup. The error is an *errs.Error with Kind Invalid, Code Code and one
// FieldError (Field = the key's name) whose Rule is "required" (empty
// text), "type", "min", "max", "enum" or "placeholder".
func (k Key) Parse(text string) (string, error) {
	v, fe := k.parse(text)
	if fe != nil {
		return "", invalid("policy.Key.Parse", []errs.FieldError{*fe})
	}
	return v.text, nil
}

// Typed key names. Only the constants of this package are registered; a key
// converted from any other string makes the getters panic.
type (
	DurationKey string // read with (*Set).Duration
	IntKey      string // read with (*Set).Int
	Int64Key    string // bytes or fen, read with (*Set).Int64
	BoolKey     string // read with (*Set).Bool
	StringsKey  string // an enum list, read with (*Set).Strings
	StringKey   string // an enum or free text, read with (*Set).String
)

// Duration units for the registry's bounds.
const (
	hour   = int64(time.Hour)
	minute = int64(time.Minute)
)
