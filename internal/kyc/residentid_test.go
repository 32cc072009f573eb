package kyc_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
)

// wantFieldErr checks that err is an *errs.Error of kind and code with one
// field error on field with the code's rule, and returns it.
func wantFieldErr(t *testing.T, err error, kind errs.Kind, code, field string) *errs.Error {
	t.Helper()
	e, ok := err.(*errs.Error)
	if !ok {
		t.Fatalf("error %T %v, want *errs.Error %s", err, err, code)
	}
	if e.Kind != kind || e.Code != code {
		t.Fatalf("error %s/%s, want %s/%s", e.Kind, e.Code, kind, code)
	}
	if len(e.Fields) != 1 || e.Fields[0].Field != field || e.Fields[0].Rule != strings.TrimPrefix(code, "kyc.") {
		t.Fatalf("fields %+v, want one on %s with rule %s", e.Fields, field, strings.TrimPrefix(code, "kyc."))
	}
	return e
}

func TestParseResidentIDAcceptsPublishedVectors(t *testing.T) {
	t.Parallel()
	for _, v := range publishedIDs {
		t.Run(v.number, func(t *testing.T) {
			t.Parallel()
			if !refIDValid(v.number) {
				t.Fatalf("independent check refuses %s", v.number)
			}
			if got := kyc.IDCheckChar(v.number[:17]); got != v.number[17] {
				t.Fatalf("IDCheckChar = %q, want %q", got, v.number[17])
			}
			id, err := kyc.ParseResidentID(v.number, testNow, 18)
			if v.code != "" {
				wantFieldErr(t, err, errs.Invalid, v.code, kyc.FieldIDNumber)
				return
			}
			if err != nil {
				t.Fatalf("ParseResidentID: %v", err)
			}
			if id.Number() != v.number || id.BirthDate().Format(time.DateOnly) != v.birth ||
				id.Sex() != v.sex || id.IsResidencePermit() != v.permit || id.Region() != v.number[:6] {
				t.Fatalf("got %s %s %s permit=%v region=%s", id, id.BirthDate().Format(time.DateOnly), id.Sex(), id.IsResidencePermit(), id.Region())
			}
			if want := v.number[:4] + "**********" + v.number[14:]; id.Masked() != want {
				t.Fatalf("Masked = %q, want %q", id.Masked(), want)
			}
		})
	}
}

func TestParseResidentIDRefusesPublishedBadCheckCharacters(t *testing.T) {
	t.Parallel()
	for _, v := range publishedBadIDs {
		t.Run(v.number, func(t *testing.T) {
			t.Parallel()
			_, err := kyc.ParseResidentID(v.number, testNow, 18)
			wantFieldErr(t, err, errs.Invalid, kyc.CodeIDChecksum, kyc.FieldIDNumber)
		})
	}
}

func TestParseResidentIDRules(t *testing.T) {
	t.Parallel()
	// Synthetic numbers get a correct check character from the reference,
	// so that the one flaw under test is the only one.
	id := func(region, birth, seq string) string { return refIDCheck(t, region+birth+seq) }
	shanghaiMidnight := time.Date(2026, 6, 11, 0, 0, 0, 0, clock.Shanghai)
	cases := []struct {
		name   string
		in     string
		now    time.Time
		minAge int
		code   string // "" when accepted
		want   string // the normalised number when accepted
	}{
		{"LowerCaseXIsNormalised", "11010519491231002x", testNow, 18, "", "11010519491231002X"},
		{"SpacesAndFullWidthAreFolded", " 110105 19491231 002Ｘ ", testNow, 18, "", "11010519491231002X"},
		{"FullWidthDigits", "１１０１０５１９４９１２３１００２Ｘ", testNow, 18, "", "11010519491231002X"},
		{"LegacyFifteenDigits", "610104620927690", testNow, 18, kyc.CodeIDLegacy15, ""},
		{"TooShort", "11010519491231002", testNow, 18, kyc.CodeIDFormat, ""},
		{"TooLong", "11010519491231002X0", testNow, 18, kyc.CodeIDFormat, ""},
		{"Empty", "", testNow, 18, kyc.CodeIDFormat, ""},
		{"LetterInBody", "1101051949123100AX", testNow, 18, kyc.CodeIDFormat, ""},
		{"XNotLast", "1101051949123100X2", testNow, 18, kyc.CodeIDFormat, ""},
		{"HugeInput", strings.Repeat("1", 1<<16), testNow, 18, kyc.CodeIDFormat, ""},
		{"RegionStartsWithZero", id("010105", "19491231", "002"), testNow, 18, kyc.CodeIDFormat, ""},
		{"RegionStartsWithNine", id("910105", "19491231", "002"), testNow, 18, kyc.CodeIDFormat, ""},
		{"RegionEightButNotPermit", id("840000", "19491231", "002"), testNow, 18, kyc.CodeIDFormat, ""},
		{"RegionEightOneButNotPermit", id("810100", "19491231", "002"), testNow, 18, kyc.CodeIDFormat, ""},
		{"MacaoPermit", id("820000", "19900101", "003"), testNow, 18, "", ""},
		{"February30th", id("110105", "19990230", "002"), testNow, 18, kyc.CodeIDBirthDate, ""},
		{"February29thOfCommonYear2023", id("110105", "20230229", "002"), testNow, 0, kyc.CodeIDBirthDate, ""},
		{"February29thOf1900NotLeap", id("110105", "19000229", "002"), testNow, 18, kyc.CodeIDBirthDate, ""},
		{"February29thOf2000Leap", id("110105", "20000229", "002"), testNow, 18, "", ""},
		{"Month13", id("110105", "19991301", "002"), testNow, 18, kyc.CodeIDBirthDate, ""},
		{"Day0", id("110105", "19990100", "002"), testNow, 18, kyc.CodeIDBirthDate, ""},
		{"Before1900", id("110105", "18991231", "002"), testNow, 18, kyc.CodeIDBirthDate, ""},
		{"On1900-01-01", id("110105", "19000101", "002"), testNow, 18, "", ""},
		{"FutureBirth", id("110105", "20260612", "002"), testNow, 0, kyc.CodeIDFutureBirth, ""},
		{"BornTodayIsUnderage", id("110105", "20260611", "002"), testNow, 18, kyc.CodeIDUnderage, ""},
		{"BornTodayWithoutAgeLimit", id("110105", "20260611", "002"), testNow, 0, "", ""},
		{"EighteenToday", id("110105", "20080611", "002"), testNow, 18, "", ""},
		{"EighteenTomorrow", id("110105", "20080612", "002"), testNow, 18, kyc.CodeIDUnderage, ""},
		{"EighteenTodayAtShanghaiMidnight", id("110105", "20080611", "002"), shanghaiMidnight.UTC(), 18, "", ""},
		{"StillYesterdayInShanghai", id("110105", "20080611", "002"), shanghaiMidnight.Add(-time.Second).UTC(), 18, kyc.CodeIDUnderage, ""},
		{"LeapBirthdayIsFeb28InCommonYear", id("110105", "20080229", "002"), time.Date(2026, 2, 28, 0, 0, 0, 0, clock.Shanghai), 18, "", ""},
		{"LeapBirthdayNotYetOnFeb27", id("110105", "20080229", "002"), time.Date(2026, 2, 27, 23, 59, 0, 0, clock.Shanghai), 18, kyc.CodeIDUnderage, ""},
		{"LeapBirthdayAgeTwentyNotOnFeb28OfLeapYear", id("110105", "20080229", "002"), time.Date(2028, 2, 28, 12, 0, 0, 0, clock.Shanghai), 20, kyc.CodeIDUnderage, ""},
		{"LeapBirthdayAgeTwentyOnFeb29OfLeapYear", id("110105", "20080229", "002"), time.Date(2028, 2, 29, 0, 0, 0, 0, clock.Shanghai), 20, "", ""},
		{"HigherPolicyAge", "11010519491231002X", testNow, 77, kyc.CodeIDUnderage, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := kyc.ParseResidentID(c.in, c.now, c.minAge)
			if c.code != "" {
				e := wantFieldErr(t, err, errs.Invalid, c.code, kyc.FieldIDNumber)
				if c.code == kyc.CodeIDUnderage {
					p := e.Fields[0].Params
					if p["min_age"] != c.minAge || p["clause"] != "2.1" {
						t.Fatalf("params %v", p)
					}
				}
				n := strings.ToUpper(strings.TrimSpace(c.in))
				if len(n) >= 8 && strings.Contains(e.Error(), n[:8]) {
					t.Fatalf("error %q shows the number", e.Error())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResidentID(%q): %v", c.in, err)
			}
			if c.want != "" && got.Number() != c.want {
				t.Fatalf("Number = %q, want %q", got.Number(), c.want)
			}
		})
	}
}

func TestAgeOn(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, clock.Shanghai) }
	cases := []struct {
		name       string
		birth, day time.Time
		want       int
	}{
		{"DayBeforeBirthday", d(2000, 6, 11), d(2018, 6, 10), 17},
		{"Birthday", d(2000, 6, 11), d(2018, 6, 11), 18},
		{"LeapBirthdayCommonYearFeb28", d(2000, 2, 29), d(2018, 2, 28), 18},
		{"LeapBirthdayCommonYearFeb27", d(2000, 2, 29), d(2018, 2, 27), 17},
		{"LeapBirthdayLeapYearFeb28", d(2000, 2, 29), d(2016, 2, 28), 15},
		{"LeapBirthdayLeapYearFeb29", d(2000, 2, 29), d(2016, 2, 29), 16},
		{"BeforeBirth", d(2000, 1, 2), d(2000, 1, 1), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := kyc.AgeOn(c.birth, c.day); got != c.want {
				t.Fatalf("AgeOn = %d, want %d", got, c.want)
			}
		})
	}
}

func TestResidentIDPrintsMaskedEverywhere(t *testing.T) {
	t.Parallel()
	id, err := kyc.ParseResidentID("11010519491231002X", testNow, 18)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("kyc", "id", id)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("kyc", "id", id)
	for _, s := range []string{fmt.Sprint(id), fmt.Sprintf("%v %+v %#v %s %d %x %q", id, id, id, id, id, id, id), fmt.Sprintf("%v", []kyc.ResidentID{id}), logged.String()} {
		if strings.Contains(s, "19491231") || !strings.Contains(s, "1101**********002X") {
			t.Errorf("printed %q", s)
		}
	}
	var zero kyc.ResidentID
	if !zero.IsZero() || zero.Masked() != "" || zero.Sex() != "" || zero.Region() != "" || zero.IsResidencePermit() {
		t.Errorf("zero value %#v", zero)
	}
	if id.Age(testNow) != 76 {
		t.Errorf("Age = %d", id.Age(testNow))
	}
}

func TestWithFieldRenamesWithoutTouchingTheOriginal(t *testing.T) {
	t.Parallel()
	_, err := kyc.ParseResidentID("110105194912310021", testNow, 18)
	renamed := kyc.WithField(err, "form.holder_id")
	wantFieldErr(t, renamed, errs.Invalid, kyc.CodeIDChecksum, "form.holder_id")
	wantFieldErr(t, err, errs.Invalid, kyc.CodeIDChecksum, kyc.FieldIDNumber)
	if kyc.WithField(nil, "x") != nil {
		t.Error("WithField(nil) is not nil")
	}
}
