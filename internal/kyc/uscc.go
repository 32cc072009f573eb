package kyc

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"yuanxu/internal/errs"
	"yuanxu/internal/pii"
)

// USCCLength is the length of a unified social credit code (GB 32100-2015).
const USCCLength = 18

// USCCCharset is the GB 32100-2015 code character set: the digits and the
// upper-case letters without I, O, S, V and Z, in the order of their values
// 0–30.
const USCCCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the GB 32100 weights of the first 17 characters
// (3^(i-1) mod 31); orgWeights the GB 11714 weights of the 8 body
// characters of the organisation code.
var (
	usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	orgWeights  = [8]int{3, 7, 9, 10, 5, 8, 4, 2}
)

// usccValue maps a byte to its GB 32100 value, or -1 outside the set.
var usccValue = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(USCCCharset); i++ {
		v[USCCCharset[i]] = int8(i)
	}
	return v
}()

// USCC is a checked unified social credit code. The zero value is not a
// valid code; only [ParseUSCC] makes valid ones.
//
// A USCC is public for a company, but it is also the licence number of a
// sole trader (个体工商户, category 92), so it is handled like personal
// information (issue 6): printed forms are masked and [USCC.Code] is the
// way to the plaintext.
type USCC struct{ code string }

// ParseUSCC checks s as a GB 32100-2015 unified social credit code. Before
// checking, s is NFKC-folded (full-width forms), its white space removed
// and its letters upper-cased.
//
// Errors, each an *errs.Error of Kind Invalid on field [FieldUSCC] (rename
// it with [WithField]):
//   - not 18 characters: [CodeUSCCFormat] (params: length);
//   - a character outside [USCCCharset] — I, O, S, V, Z or anything not a
//     digit or letter: [CodeUSCCForbidden] naming the first such character
//     and its 1-based position (params: char, position);
//   - a letter in positions 3–8, the administrative division:
//     [CodeUSCCFormat] (params: position);
//   - a check character (position 18) that is not the GB 32100 MOD 31
//     check of the first 17: [CodeUSCCChecksum].
//
// The GB 11714 check of the organisation code (positions 9–17) is only a
// [Warning] ([CodeUSCCOrgCode]): it is not part of GB 32100's validity, and
// some lawful codes fail it. Codes issued by pilot regions before the
// standard that fail the MOD 31 check are refused like any other; they
// need a person (a manual review outside this function).
func ParseUSCC(s string) (USCC, []Warning, error) {
	c, ok := foldUSCC(s)
	if !ok || utf8.RuneCountInString(c) != USCCLength {
		return USCC{}, nil, fieldError(errs.Invalid, CodeUSCCFormat, FieldUSCC, "not 18 characters", map[string]any{"length": USCCLength})
	}
	pos := 0
	for _, r := range c {
		pos++
		if r >= utf8.RuneSelf || usccValue[r] < 0 {
			return USCC{}, nil, fieldError(errs.Invalid, CodeUSCCForbidden, FieldUSCC,
				"character "+strconv.QuoteRune(r)+" at position "+strconv.Itoa(pos)+" is not allowed",
				map[string]any{"char": string(r), "position": pos})
		}
	}
	// c is now 18 ASCII bytes of the set.
	for i := 2; i < 8; i++ {
		if !isDigit(c[i]) {
			return USCC{}, nil, fieldError(errs.Invalid, CodeUSCCFormat, FieldUSCC, "positions 3-8 must be digits", map[string]any{"position": i + 1})
		}
	}
	if USCCCheckChar(c[:17]) != c[17] {
		return USCC{}, nil, fieldError(errs.Invalid, CodeUSCCChecksum, FieldUSCC, "the check character does not match", nil)
	}
	var warns []Warning
	if !OrgCodeValid(c[8:17]) {
		warns = append(warns, Warning{Code: CodeUSCCOrgCode, Field: FieldUSCC, Params: map[string]any{"positions": "9-17"}})
	}
	return USCC{code: c}, warns, nil
}

// USCCCheckChar returns the GB 32100 check character of the first 17
// characters of a code: C18 = 31 − (Σ value·weight mod 31), 31 → 0. It
// returns 0 when body is not 17 characters of [USCCCharset].
func USCCCheckChar(body string) byte {
	if len(body) != 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		v := usccValue[body[i]]
		if v < 0 {
			return 0
		}
		sum += int(v) * usccWeights[i]
	}
	return USCCCharset[(31-sum%31)%31]
}

// OrgCodeValid reports whether a 9-character organisation code (GB 11714,
// 8 body characters and a check character) carries its check: body values
// 0–9 and A=10 … Z=35, weights 3 7 9 10 5 8 4 2, C9 = 11 − (Σ mod 11), 10
// written X and 11 written 0.
func OrgCodeValid(code string) bool {
	if len(code) != 9 {
		return false
	}
	sum := 0
	for i := range 8 {
		v := orgValue(code[i])
		if v < 0 {
			return false
		}
		sum += v * orgWeights[i]
	}
	want := byte('0' + (11-sum%11)%11)
	if want == '0'+10 {
		want = 'X'
	}
	return code[8] == want
}

func orgValue(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// Code returns the normalised 18-character code in the clear.
func (u USCC) Code() string { return u.code }

// IsZero reports whether u is the zero value (no code).
func (u USCC) IsZero() bool { return u.code == "" }

// RegistrationAuthority returns position 1, the registration authority
// code ('9' for market regulation, '5' civil affairs, '1' establishment
// administration, …), or 0 for the zero value.
func (u USCC) RegistrationAuthority() byte { return u.at(0) }

// Category returns position 2, the organisation category within the
// authority (under authority '9': '1' enterprise, '2' sole trader 个体工商户,
// '3' farmers' cooperative), or 0 for the zero value.
func (u USCC) Category() byte { return u.at(1) }

// Division returns positions 3–8, the administrative division of the
// registering authority (GB/T 2260).
func (u USCC) Division() string { return u.slice(2, 8) }

// OrgCode returns positions 9–17, the GB 11714 organisation code.
func (u USCC) OrgCode() string { return u.slice(8, 17) }

// Masked returns the first 4 and last 4 characters with 10 asterisks
// between ("9135**********0Y43"); "" for the zero value.
func (u USCC) Masked() string {
	if u.code == "" {
		return ""
	}
	return pii.MaskIDNumber(u.code)
}

// String returns the masked form.
func (u USCC) String() string { return u.Masked() }

// GoString returns the masked form, so that %#v never prints the code.
func (u USCC) GoString() string { return "kyc.USCC(" + strconv.Quote(u.Masked()) + ")" }

// Format prints the masked form for every verb (quoted for %q, GoString
// for %#v), so that no verb, %d or %x included, shows the plaintext.
func (u USCC) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, u.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(u.Masked()))
	default:
		io.WriteString(f, u.Masked())
	}
}

// LogValue returns the masked form for log/slog.
func (u USCC) LogValue() slog.Value { return slog.StringValue(u.Masked()) }

func (u USCC) at(i int) byte {
	if u.code == "" {
		return 0
	}
	return u.code[i]
}

func (u USCC) slice(i, j int) string {
	if u.code == "" {
		return ""
	}
	return u.code[i:j]
}

// foldUSCC NFKC-folds s, drops white space and upper-cases ASCII letters
// (only those: a non-ASCII letter whose upper case is ASCII, such as ı,
// stays what it is and is reported as not allowed). ok is false for input
// far too long to be a code.
func foldUSCC(s string) (string, bool) {
	if len(s) > 4*64 {
		return "", false
	}
	if !isPlainASCII(s) {
		s = norm.NFKC.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
		case 'a' <= r && r <= 'z':
			b.WriteByte(byte(r - 'a' + 'A'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}
