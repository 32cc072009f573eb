package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// Code is the error code of every validation failure in this package; the
// FieldErrors say which key broke which rule.
const Code = "policy.out_of_range"

// digestPrefix starts the canonical form hashed by Digest; it changes only if
// the canonical form itself changes.
const digestPrefix = "yuanxu-policy-v1\n"

// Set is the complete, validated parameter values of one agreement version:
// every registered key has a value. The zero Set holds nothing and its
// getters panic; build Sets with Parse, ProjectDefaults or With.
type Set struct {
	vals   map[string]value
	digest string
}

// Parse validates text values keyed by name and returns the Set they make,
// taking the registry default for every absent key. Surrounding white space
// is ignored; an explicit empty value is never accepted (omit the key to take
// its default).
//
// On failure it returns a nil Set and one *errs.Error (Kind Invalid, Code
// Code) holding one FieldError per offending key, sorted by key, whose Rule
// is "unknown_key", "required" (absent without a default, or empty), "type",
// "min", "max", "enum" or "placeholder" (a string still holding "[X]" and
// the like). Params carry the bound ("min", "max"), the allowed values
// ("allowed") or the expected type ("type").
func Parse(m map[string]string) (*Set, error) {
	vals := make(map[string]value, len(registry))
	var fes []errs.FieldError
	for name, text := range m {
		k, ok := index[name]
		if !ok {
			fes = append(fes, errs.FieldError{Field: name, Rule: "unknown_key"})
			continue
		}
		v, fe := k.parse(text)
		if fe != nil {
			fes = append(fes, *fe)
			continue
		}
		vals[name] = v
	}
	for i := range registry {
		k := &registry[i]
		if _, given := m[k.Name]; given {
			continue
		}
		d, ok := defaults[k.Name]
		if !ok {
			fes = append(fes, errs.FieldError{Field: k.Name, Rule: "required"})
			continue
		}
		vals[k.Name] = d
	}
	if len(fes) > 0 {
		return nil, invalid("policy.Parse", fes)
	}
	return &Set{vals: vals, digest: digest(vals)}, nil
}

// invalid builds the package's validation error from fes, sorted by field.
func invalid(op string, fes []errs.FieldError) error {
	slices.SortFunc(fes, func(a, b errs.FieldError) int { return strings.Compare(a.Field, b.Field) })
	parts := make([]string, len(fes))
	for i, fe := range fes {
		parts[i] = fe.Field + " (" + fe.Rule + ")"
	}
	msg := fmt.Sprintf("invalid policy: %s", strings.Join(parts, ", "))
	return errs.E(errs.Invalid, errs.Op(op), Code, msg, fes)
}

// With returns a new Set: s's values with the keys of changes replaced,
// validated as Parse does. s itself never changes.
func (s *Set) With(changes map[string]string) (*Set, error) {
	m := s.Values()
	maps.Copy(m, changes)
	return Parse(m)
}

// Values returns the canonical text of every value, keyed by name: the form
// to store with an agreement version. Parse(s.Values()) yields an equal Set
// (same Digest). The map is the caller's to keep.
func (s *Set) Values() map[string]string {
	out := make(map[string]string, len(s.vals))
	for name, v := range s.vals {
		out[name] = v.text
	}
	return out
}

// Digest returns the lowercase hex SHA-256 of the canonical form: the line
// "yuanxu-policy-v1", then one line "name=value" per key in name order, each
// ending in "\n". Values hold no control characters, so the form is
// unambiguous. Two Sets have the same Digest exactly when their Values are
// equal, whatever the order or spelling of the text they were parsed from.
func (s *Set) Digest() string { return s.digest }

func digest(vals map[string]value) string {
	h := sha256.New()
	h.Write([]byte(digestPrefix))
	for _, name := range slices.Sorted(maps.Keys(vals)) {
		fmt.Fprintf(h, "%s=%s\n", name, vals[name].text)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Duration returns a duration parameter.
func (s *Set) Duration(k DurationKey) time.Duration {
	return time.Duration(s.get(string(k), TypeDuration).n)
}

// Int returns an integer parameter (days, hours, years, ages).
func (s *Set) Int(k IntKey) int { return int(s.get(string(k), TypeInt).n) }

// Int64 returns a bytes or fen parameter.
func (s *Set) Int64(k Int64Key) int64 { return s.get(string(k), TypeBytes, TypeFen).n }

// Bool returns a boolean parameter.
func (s *Set) Bool(k BoolKey) bool { return s.get(string(k), TypeBool).b }

// Strings returns an enum list in the key's canonical order (Key.Enum
// order); never empty. The slice is the caller's to keep.
func (s *Set) Strings(k StringsKey) []string {
	return slices.Clone(s.get(string(k), TypeEnumList).list)
}

// Includes reports whether the enum list k holds v.
func (s *Set) Includes(k StringsKey, v string) bool {
	return slices.Contains(s.get(string(k), TypeEnumList).list, v)
}

// String returns an enum or free-text parameter; never empty.
func (s *Set) String(k StringKey) string { return s.get(string(k), TypeEnum, TypeString).text }

// get panics on a programmer error: a name this package did not register, a
// key of another type, or a Set not built by Parse.
func (s *Set) get(name string, types ...Type) value {
	k, ok := index[name]
	if !ok {
		panic("policy: unregistered key " + name)
	}
	if !slices.Contains(types, k.Type) {
		panic(fmt.Sprintf("policy: key %s is a %s", name, k.Type))
	}
	if s == nil {
		panic("policy: nil Set")
	}
	v, ok := s.vals[name]
	if !ok {
		panic("policy: Set not built by Parse has no " + name)
	}
	return v
}

// defaults holds the parsed registry default of every key that has one.
var defaults = parseDefaults()

func parseDefaults() map[string]value {
	m := make(map[string]value, len(registry))
	for i := range registry {
		k := &registry[i]
		if k.Default == "" {
			continue
		}
		v, fe := k.parse(k.Default)
		if fe != nil {
			panic(fmt.Sprintf("policy: default of %s breaks rule %s", k.Name, fe.Rule))
		}
		m[k.Name] = v
	}
	return m
}

// projectDefaults is built at start-up so that a broken registry fails every
// test at once rather than at the first request.
var projectDefaults = mustParse(map[string]string{
	string(AppealWindowWorkingDays): ProjectAppealWindowWorkingDays,
	string(LegalVenue):              ProjectLegalVenue,
})

func mustParse(m map[string]string) *Set {
	s, err := Parse(m)
	if err != nil {
		panic("policy: " + err.Error())
	}
	return s
}

// ProjectDefaults returns the values of the project's own agreement: every
// registry default, appeal.window_working_days 15 and a placeholder-free
// legal.venue. It is the policy of the builtin version used until an
// agreement version is published.
func ProjectDefaults() *Set { return projectDefaults }
