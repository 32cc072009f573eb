package kyc

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/pii"
)

// ResidentIDLength is the length of a citizen identification number under
// GB 11643-1999, and of the numbers on residence permits for Hong Kong,
// Macao and Taiwan residents, which share its structure and check.
const ResidentIDLength = 18

// MinBirthYear is the earliest birth year accepted. GB 11643's own annex
// example 440524188001010014 (born 1880) passes the check character but is
// refused here: nobody born before 1900 opens a cloud account.
const MinBirthYear = 1900

// Region codes of the residence permits for Hong Kong, Macao and Taiwan
// residents (港澳台居民居住证申领发放办法, 国办发〔2018〕81号): their numbers
// carry these codes in place of a county code.
const (
	RegionHongKong = "810000"
	RegionMacao    = "820000"
	RegionTaiwan   = "830000"
)

// Sex as encoded by the 17th digit (the last of the sequence code): odd for
// male, even for female (GB 11643-1999 §5.3).
type Sex string

const (
	SexMale   Sex = "male"
	SexFemale Sex = "female"
)

// idWeights are the GB 11643-1999 weights of the 17 body digits, and
// idCheck maps the weighted sum mod 11 to the check character (ISO 7064
// MOD 11-2).
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck   = [11]byte{'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'}
)

// ResidentID is a checked 18-character resident identity number: a
// mainland resident identity card number or the number of a residence
// permit for Hong Kong, Macao or Taiwan residents. The zero value is not a
// valid number; only [ParseResidentID] makes valid ones.
//
// It is sensitive personal information (PIPL art. 28, specific identity;
// DESIGN §5): every printed form ([ResidentID.String], %v, %#v,
// log/slog) is the masked one, and [ResidentID.Number] is the one way to
// the plaintext, for sealing ([pii.KeyRing.Seal]) and the blind index.
type ResidentID struct {
	number string // 17 digits and a digit or 'X'
	birth  time.Time
}

// ParseResidentID checks s as a GB 11643-1999 number and returns it with
// its birth date, sex and region. Before checking, s is NFKC-folded
// (full-width digits), its spaces are removed and a lower-case check
// character x is upper-cased.
//
// The checks, in order, each with its *errs.Error (Kind Invalid, field
// [FieldIDNumber]; rename it with [WithField]):
//   - 15 digits: [CodeIDLegacy15] (first-generation cards expired in 2013);
//   - anything but 17 digits and a digit or X, or a region code whose first
//     digit is not 1–8, or that starts with 8 but is not 810000, 820000 or
//     830000: [CodeIDFormat];
//   - the MOD 11-2 check character: [CodeIDChecksum];
//   - the birth date (digits 7–14) must be a calendar date from
//     [MinBirthYear]: [CodeIDBirthDate]; not after today's civil date in
//     Asia/Shanghai at now: [CodeIDFutureBirth];
//   - the holder must be at least minAge full years old today
//     ([CodeIDUnderage], params min_age and clause "2.1"; minAge comes from
//     kyc.min_age_years of the policy in force, clause 2.1). A holder turns
//     n on the n-th anniversary of the birth date; for a 29 February birth
//     the anniversary in a common year is 28 February, the last day of
//     that month (Civil Code art. 202). A minAge of 0 or less checks no
//     age.
//
// The region code is checked for shape only: whether a county code was
// ever issued is not (codes are retired, and numbers keep them for life).
// No error message or parameter contains the number.
func ParseResidentID(s string, now time.Time, minAge int) (ResidentID, error) {
	n, ok := foldID(s)
	if !ok {
		return ResidentID{}, fieldError(errs.Invalid, CodeIDFormat, FieldIDNumber, "not an 18-character resident identity number", map[string]any{"length": ResidentIDLength})
	}
	if len(n) == 15 && allDigits(n) {
		return ResidentID{}, fieldError(errs.Invalid, CodeIDLegacy15, FieldIDNumber, "15-digit first-generation numbers are not accepted", map[string]any{"length": ResidentIDLength})
	}
	if len(n) != ResidentIDLength || !allDigits(n[:17]) || !(isDigit(n[17]) || n[17] == 'X') || !regionShape(n[:6]) {
		return ResidentID{}, fieldError(errs.Invalid, CodeIDFormat, FieldIDNumber, "not an 18-character resident identity number", map[string]any{"length": ResidentIDLength})
	}
	if IDCheckChar(n[:17]) != n[17] {
		return ResidentID{}, fieldError(errs.Invalid, CodeIDChecksum, FieldIDNumber, "the check character does not match", nil)
	}
	y, _ := strconv.Atoi(n[6:10])
	m, _ := strconv.Atoi(n[10:12])
	d, _ := strconv.Atoi(n[12:14])
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, clock.Shanghai)
	if y < MinBirthYear || birth.Year() != y || int(birth.Month()) != m || birth.Day() != d {
		return ResidentID{}, fieldError(errs.Invalid, CodeIDBirthDate, FieldIDNumber, "the birth date is not a real date", map[string]any{"min_year": MinBirthYear})
	}
	today := civilDate(now)
	if birth.After(today) {
		return ResidentID{}, fieldError(errs.Invalid, CodeIDFutureBirth, FieldIDNumber, "the birth date is in the future", nil)
	}
	if minAge > 0 && AgeOn(birth, today) < minAge {
		return ResidentID{}, fieldError(errs.Invalid, CodeIDUnderage, FieldIDNumber, "the holder is under the minimum age", map[string]any{"min_age": minAge, "clause": Clause})
	}
	return ResidentID{number: n, birth: birth}, nil
}

// IDCheckChar returns the GB 11643-1999 check character of 17 digits, or 0
// when body is not 17 ASCII digits.
func IDCheckChar(body string) byte {
	if len(body) != 17 || !allDigits(body) {
		return 0
	}
	sum := 0
	for i := range 17 {
		sum += int(body[i]-'0') * idWeights[i]
	}
	return idCheck[sum%11]
}

// AgeOn returns the holder's age in full years on the civil date of day
// (its year, month and day as they are; convert to Asia/Shanghai first)
// for a birth date given the same way. A 29 February birthday falls on 28
// February in common years (Civil Code art. 202). It is negative when day
// is before birth.
func AgeOn(birth, day time.Time) int {
	by, bm, bd := birth.Date()
	y, m, d := day.Date()
	if bm == time.February && bd == 29 && !isLeap(y) {
		bd = 28
	}
	age := y - by
	if m < bm || (m == bm && d < bd) {
		age--
	}
	return age
}

// Number returns the normalised 18-character number in the clear: 17
// digits and a digit or upper-case X. Seal it; never log or display it.
func (id ResidentID) Number() string { return id.number }

// IsZero reports whether id is the zero value (no number).
func (id ResidentID) IsZero() bool { return id.number == "" }

// BirthDate returns the birth date at midnight Asia/Shanghai.
func (id ResidentID) BirthDate() time.Time { return id.birth }

// Sex returns the sex encoded by the 17th digit, or "" for the zero value.
func (id ResidentID) Sex() Sex {
	if id.number == "" {
		return ""
	}
	if (id.number[16]-'0')%2 == 1 {
		return SexMale
	}
	return SexFemale
}

// Region returns the six-digit address code: the county of household
// registration, or 810000, 820000 or 830000 on a residence permit.
func (id ResidentID) Region() string {
	if id.number == "" {
		return ""
	}
	return id.number[:6]
}

// IsResidencePermit reports whether the number is that of a residence
// permit for Hong Kong (810000), Macao (820000) or Taiwan (830000)
// residents.
func (id ResidentID) IsResidencePermit() bool {
	return id.number != "" && id.number[0] == '8'
}

// Age returns the holder's age in full years at now (Asia/Shanghai civil
// date).
func (id ResidentID) Age(now time.Time) int { return AgeOn(id.birth, civilDate(now)) }

// Masked returns the first 4 and last 4 characters with 10 asterisks
// between ("1101**********002X"), the form shown in every view and log;
// "" for the zero value.
func (id ResidentID) Masked() string {
	if id.number == "" {
		return ""
	}
	return pii.MaskIDNumber(id.number)
}

// String returns the masked form.
func (id ResidentID) String() string { return id.Masked() }

// GoString returns the masked form, so that %#v never prints the number.
func (id ResidentID) GoString() string { return "kyc.ResidentID(" + strconv.Quote(id.Masked()) + ")" }

// Format prints the masked form for every verb (quoted for %q, GoString
// for %#v), so that no verb, %d or %x included, shows the plaintext.
func (id ResidentID) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, id.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(id.Masked()))
	default:
		io.WriteString(f, id.Masked())
	}
}

// LogValue returns the masked form for log/slog.
func (id ResidentID) LogValue() slog.Value { return slog.StringValue(id.Masked()) }

// maxRawID bounds the input folded before it is checked, so that a huge
// request field costs no more than a small one.
const maxRawID = 4 * 64

// foldID NFKC-folds s, drops white space and upper-cases x; ok is false
// for input too long to be a number.
func foldID(s string) (string, bool) {
	if len(s) > maxRawID {
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
		case r == 'x':
			b.WriteByte('X')
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

// regionShape checks the address code's shape: first digit 1–8 (the old
// regions, 8 for Hong Kong and Macao), and on 8 exactly one of the three
// residence-permit codes.
func regionShape(r string) bool {
	switch {
	case r[0] < '1' || r[0] > '8':
		return false
	case r[0] == '8':
		return r == RegionHongKong || r == RegionMacao || r == RegionTaiwan
	}
	return true
}

// civilDate returns midnight Asia/Shanghai of now's civil date there.
func civilDate(now time.Time) time.Time {
	y, m, d := now.In(clock.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, clock.Shanghai)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
