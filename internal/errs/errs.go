// Package errs is yuanxu's one error model: a Kind that the web layer maps to
// an HTTP status in one table, a stable machine-readable Code that clients and
// the message catalog key on, the offending fields, and a wrapped cause that
// only operators see.
//
// Domain and app code return *Error for every mistake a user can make; any
// other error is an internal error (HTTP 500) by definition.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller can do about it. The list is
// append-only; web maps each Kind to exactly one HTTP status.
type Kind int

const (
	Internal        Kind = iota // a bug or an outage: not the caller's fault
	Invalid                     // the request is malformed or breaks a rule (400/422)
	NotFound                    // the thing does not exist, or the caller may not know it does (404)
	Conflict                    // the state forbids it now (409)
	Unauthenticated             // who the caller is is unknown (401)
	Forbidden                   // the caller may not do this (403)
	RateLimited                 // too many attempts; retry later (429)
	TooLarge                    // the body or upload is over its limit (413)
	Unavailable                 // shutting down or a dependency is down; retry (503)
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "unauthenticated", "forbidden", "rate_limited", "too_large", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldError names one offending field and the rule it broke. Field is a
// JSON-pointer-like path ("body.email", "query.cursor"); Rule is a stable,
// lower_snake identifier ("required", "max_length", "format"); Params carry
// the rule's numbers for the localized message (e.g. {"max": 64}).
type FieldError struct {
	Field  string         `json:"field"`
	Rule   string         `json:"rule"`
	Params map[string]any `json:"params,omitempty"`
}

// Error is a user-facing error. Code is stable across releases
// ("order.not_found", "request.malformed_json") and is the key of its message
// in the catalog; Msg is an English fallback for logs and for codes that
// have no catalog entry.
type Error struct {
	Op     string       // the operation, for operators: "store.InTx", "app.SandboxAdvance"
	Kind   Kind         // what the caller can do about it
	Code   string       // stable machine code
	Msg    string       // English, for logs and fallback
	Fields []FieldError // offending fields, if any
	Params map[string]any
	Err    error // cause, never shown to users
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		b.WriteString(e.Kind.String())
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error. Arguments are taken by type: Kind, a string code
// (the first string), a second string (the English message), []FieldError,
// FieldError, error (the cause), Op.
func E(args ...any) error {
	e := &Error{}
	strs := 0
	for _, a := range args {
		switch v := a.(type) {
		case Kind:
			e.Kind = v
		case Op:
			e.Op = string(v)
		case string:
			if strs == 0 {
				e.Code = v
			} else {
				e.Msg = v
			}
			strs++
		case FieldError:
			e.Fields = append(e.Fields, v)
		case []FieldError:
			e.Fields = append(e.Fields, v...)
		case map[string]any:
			e.Params = v
		case error:
			e.Err = v
		case nil:
		default:
			panic(fmt.Sprintf("errs.E: unexpected argument %T", a))
		}
	}
	return e
}

// Op names an operation for E.
type Op string

// KindOf reports the Kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		if e.Kind == Internal && e.Err != nil {
			return KindOf(e.Err)
		}
		return e.Kind
	}
	return Internal
}

// CodeOf reports the Code of the first *Error in err's chain that has one.
func CodeOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Code != "" {
			return e.Code
		}
		err = e.Err
	}
	return ""
}

// Is reports whether err is a user error of kind k.
func Is(k Kind, err error) bool { return err != nil && KindOf(err) == k }

// Invalidf is shorthand for a single-field validation error.
func Invalidf(code, field, rule string, params map[string]any) error {
	return &Error{Kind: Invalid, Code: code, Fields: []FieldError{{Field: field, Rule: rule, Params: params}}, Msg: fmt.Sprintf("%s: %s", field, rule)}
}

// Sentinels returned by stores (translated by each engine's translateErr),
// wrapped so errors.Is works through any number of layers.
var (
	ErrNotFound  = &Error{Kind: NotFound, Code: "not_found", Msg: "not found"}
	ErrDuplicate = &Error{Kind: Conflict, Code: "duplicate", Msg: "already exists"}
	ErrConflict  = &Error{Kind: Conflict, Code: "conflict", Msg: "concurrent update; retry"}
)
