package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// value is one parsed parameter. text is canonical: parsing it again yields
// the same value and the same text.
type value struct {
	text string
	n    int64    // int, bytes, fen; nanoseconds for durations
	b    bool     // bool
	list []string // enum list, in Key.Enum order
}

// parse validates text (surrounding white space ignored) against the key's
// type and range. The FieldError's Field is the key's name.
func (k *Key) parse(text string) (value, *errs.FieldError) {
	t := strings.TrimSpace(text)
	fail := func(rule string, params map[string]any) (value, *errs.FieldError) {
		return value{}, &errs.FieldError{Field: k.Name, Rule: rule, Params: params}
	}
	if t == "" {
		return fail("required", nil)
	}
	switch k.Type {
	case TypeDuration:
		d, err := time.ParseDuration(t)
		if err != nil {
			return fail("type", map[string]any{"type": k.Type.String()})
		}
		if fe := k.bounds(int64(d)); fe != nil {
			return value{}, fe
		}
		return value{text: formatDuration(d), n: int64(d)}, nil

	case TypeInt, TypeBytes, TypeFen:
		n, err := strconv.ParseInt(t, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			// Too many digits for int64: certainly beyond the range.
			if strings.HasPrefix(t, "-") {
				return fail("min", k.limit("min", k.Min))
			}
			return fail("max", k.limit("max", k.Max))
		}
		if err != nil {
			return fail("type", map[string]any{"type": k.Type.String()})
		}
		if fe := k.bounds(n); fe != nil {
			return value{}, fe
		}
		return value{text: strconv.FormatInt(n, 10), n: n}, nil

	case TypeBool:
		switch t {
		case "true":
			return value{text: t, b: true}, nil
		case "false":
			return value{text: t}, nil
		}
		return fail("type", map[string]any{"type": k.Type.String()})

	case TypeEnum:
		if !slices.Contains(k.Enum, t) {
			return fail("enum", map[string]any{"allowed": slices.Clone(k.Enum)})
		}
		return value{text: t}, nil

	case TypeEnumList:
		seen := make(map[string]bool, len(k.Enum))
		for item := range strings.SplitSeq(t, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				return fail("type", map[string]any{"type": k.Type.String()})
			}
			if !slices.Contains(k.Enum, item) {
				return fail("enum", map[string]any{"allowed": slices.Clone(k.Enum)})
			}
			seen[item] = true
		}
		var list []string
		for _, e := range k.Enum {
			if seen[e] {
				list = append(list, e)
			}
		}
		return value{text: strings.Join(list, ","), list: list}, nil

	case TypeString:
		if !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl) {
			return fail("type", map[string]any{"type": k.Type.String()})
		}
		if fe := k.bounds(int64(utf8.RuneCountInString(t))); fe != nil {
			return value{}, fe
		}
		if hasPlaceholder(t) {
			return fail("placeholder", nil)
		}
		return value{text: t}, nil
	}
	panic("policy: key " + k.Name + " has no type")
}

// bounds checks n against Min and Max.
func (k *Key) bounds(n int64) *errs.FieldError {
	switch {
	case n < k.Min:
		return &errs.FieldError{Field: k.Name, Rule: "min", Params: k.limit("min", k.Min)}
	case n > k.Max:
		return &errs.FieldError{Field: k.Name, Rule: "max", Params: k.limit("max", k.Max)}
	}
	return nil
}

// limit renders a bound for the message catalog: canonical duration text
// for durations, the number otherwise.
func (k *Key) limit(name string, n int64) map[string]any {
	if k.Type == TypeDuration {
		return map[string]any{name: formatDuration(time.Duration(n))}
	}
	return map[string]any{name: n}
}

// formatDuration writes d in its largest whole unit ("24h", "90m", "45s"),
// falling back to time.Duration's own form; time.ParseDuration reads every
// result back to d.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// hasPlaceholder reports a drafting placeholder left in text: a bracket
// (ASCII, full-width or 【】) holding nothing but blanks, X's or underscores,
// such as the seed's "[X]", or a template marker "{{".
func hasPlaceholder(t string) bool {
	if strings.Contains(t, "{{") {
		return true
	}
	pairs := [...][2]rune{{'[', ']'}, {'［', '］'}, {'【', '】'}, {'(', ')'}, {'（', '）'}}
	for _, p := range pairs {
		rest := t
		for {
			i := strings.IndexRune(rest, p[0])
			if i < 0 {
				break
			}
			rest = rest[i+utf8.RuneLen(p[0]):]
			j := strings.IndexRune(rest, p[1])
			if j < 0 {
				break
			}
			inner := rest[:j]
			if strings.TrimFunc(inner, func(r rune) bool {
				return unicode.IsSpace(r) || r == 'X' || r == 'x' || r == 'Ｘ' || r == '_' || r == '＿'
			}) == "" {
				return true
			}
		}
	}
	return false
}
