package kyc_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
)

const maxLicence = 5 << 20

// fieldRules returns "field:rule" of each field error of err, which must be
// the form error.
func fieldRules(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Code != kyc.CodeSubmissionInvalid {
		t.Fatalf("error %v, want Invalid %s", err, kyc.CodeSubmissionInvalid)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+":"+f.Rule)
	}
	return out
}

func TestIndividualInputValidate(t *testing.T) {
	t.Parallel()
	ok := kyc.IndividualInput{Name: "张三", IDNumber: "11010519491231002x", Phone: "+86 138-0013-8000"}
	cases := []struct {
		name  string
		edit  func(*kyc.IndividualInput)
		rules []string // nil when valid
	}{
		{"Valid", func(*kyc.IndividualInput) {}, nil},
		{"MiddleDotName", func(in *kyc.IndividualInput) { in.Name = "买买提·吐尔逊" }, nil},
		{"LookAlikeDotIsFolded", func(in *kyc.IndividualInput) { in.Name = "买买提•吐尔逊" }, nil},
		{"LatinNameWithSpace", func(in *kyc.IndividualInput) { in.Name = "Chan Tai Man" }, nil},
		{"CombiningMark", func(in *kyc.IndividualInput) { in.Name = "Zoe\u0308 Li" }, nil},
		{"OneRuneName", func(in *kyc.IndividualInput) { in.Name = " 张 " }, []string{"body.name:min_length"}},
		{"LongName", func(in *kyc.IndividualInput) { in.Name = strings.Repeat("张", 51) }, []string{"body.name:max_length"}},
		{"FiftyRunes", func(in *kyc.IndividualInput) { in.Name = strings.Repeat("张", 50) }, nil},
		{"DigitsInName", func(in *kyc.IndividualInput) { in.Name = "张三3" }, []string{"body.name:name_chars"}},
		{"LeadingDot", func(in *kyc.IndividualInput) { in.Name = "·吐尔逊" }, []string{"body.name:name_chars"}},
		{"TrailingDot", func(in *kyc.IndividualInput) { in.Name = "买买提·" }, []string{"body.name:name_chars"}},
		{"DoubleDot", func(in *kyc.IndividualInput) { in.Name = "买买提··吐尔逊" }, []string{"body.name:name_chars"}},
		{"BidiOverride", func(in *kyc.IndividualInput) { in.Name = "张\u202e三" }, []string{"body.name:name_chars"}},
		{"InvalidUTF8", func(in *kyc.IndividualInput) { in.Name = "张\xff" }, []string{"body.name:name_chars"}},
		{"MissingEverything", func(in *kyc.IndividualInput) { *in = kyc.IndividualInput{Name: "  "} },
			[]string{"body.name:required", "body.id_number:required", "body.phone:required"}},
		{"EveryFieldWrongAtOnce", func(in *kyc.IndividualInput) {
			*in = kyc.IndividualInput{Name: "<b>", IDNumber: "110105194912310021", Phone: "12345"}
		}, []string{"body.name:name_chars", "body.id_number:id_checksum", "body.phone:phone"}},
		{"Underage", func(in *kyc.IndividualInput) { in.IDNumber = pii.Secret(refIDCheck(t, "11010520080612002")) },
			[]string{"body.id_number:id_underage"}},
		{"LegacyID", func(in *kyc.IndividualInput) { in.IDNumber = "610104620927690" }, []string{"body.id_number:id_legacy_15"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := ok
			c.edit(&in)
			v, warns, err := in.Validate(testNow, 18, maxLicence)
			if c.rules == nil {
				if err != nil || len(warns) != 0 {
					t.Fatalf("Validate: %v %v", err, warns)
				}
				if v.ID.IsZero() || v.Phone != "13800138000" || v.Name == "" {
					t.Fatalf("valid %+v", v)
				}
				return
			}
			if got := fieldRules(t, err); !slices.Equal(got, c.rules) {
				t.Fatalf("rules %v, want %v", got, c.rules)
			}
		})
	}
	v, _, _ := ok.Validate(testNow, 18, maxLicence)
	if v.Name != "张三" || v.ID.Number() != "11010519491231002X" {
		t.Errorf("normalised %q %s", v.Name, v.ID)
	}
	if dots, _, _ := (kyc.IndividualInput{Name: " 买买提・吐尔逊 ", IDNumber: ok.IDNumber, Phone: ok.Phone}).Validate(testNow, 18, 0); dots.Name != "买买提·吐尔逊" {
		t.Errorf("dot not folded: %q", dots.Name)
	}
}

func TestEnterpriseInputValidate(t *testing.T) {
	t.Parallel()
	ok := kyc.EnterpriseInput{CompanyName: "福建示例科技有限公司（福州）", USCC: "91350100m000100y43", Representative: "李四", Phone: "13800138000", Licence: pngFile}
	badOrg := refUSCCCheck(t, "91350100123456780")
	cases := []struct {
		name  string
		edit  func(*kyc.EnterpriseInput)
		rules []string // nil when valid
		warns int
	}{
		{"Valid", func(*kyc.EnterpriseInput) {}, nil, 0},
		{"PDFLicence", func(in *kyc.EnterpriseInput) { in.Licence = pdfFile }, nil, 0},
		{"InnerCheckIsAWarning", func(in *kyc.EnterpriseInput) { in.USCC = pii.Secret(badOrg) }, nil, 1},
		{"LatinCompany", func(in *kyc.EnterpriseInput) { in.CompanyName = "Example & Co. (Shenzhen) Ltd." }, nil, 0},
		{"CompanyOneRune", func(in *kyc.EnterpriseInput) { in.CompanyName = "某" }, []string{"body.company_name:min_length"}, 0},
		{"Company100Runes", func(in *kyc.EnterpriseInput) { in.CompanyName = strings.Repeat("某", 100) }, nil, 0},
		{"Company101Runes", func(in *kyc.EnterpriseInput) { in.CompanyName = strings.Repeat("某", 101) }, []string{"body.company_name:max_length"}, 0},
		{"CompanyZeroWidth", func(in *kyc.EnterpriseInput) { in.CompanyName = "某某\u200b公司" }, []string{"body.company_name:name_chars"}, 0},
		{"CompanyControl", func(in *kyc.EnterpriseInput) { in.CompanyName = "某某\n公司" }, nil, 0},
		{"ForbiddenLetter", func(in *kyc.EnterpriseInput) { in.USCC = "91350100I000100Y43" }, []string{"body.uscc:uscc_forbidden_char"}, 0},
		{"LicenceNotImage", func(in *kyc.EnterpriseInput) { in.Licence = []byte("GIF89a") }, []string{"body.licence:licence_type"}, 0},
		{"LicenceTooLarge", func(in *kyc.EnterpriseInput) { in.Licence = append(slices.Clone(pdfFile), make([]byte, maxLicence)...) },
			[]string{"body.licence:licence_too_large"}, 0},
		{"MissingEverything", func(in *kyc.EnterpriseInput) { *in = kyc.EnterpriseInput{} },
			[]string{"body.company_name:required", "body.uscc:required", "body.representative:required", "body.phone:required", "body.licence:required"}, 0},
		{"EveryFieldWrongAtOnce", func(in *kyc.EnterpriseInput) {
			*in = kyc.EnterpriseInput{CompanyName: "x\u202e", USCC: "91350100M000100Y44", Representative: "李", Phone: "010-12345678", Licence: []byte("MZ")}
		}, []string{"body.company_name:name_chars", "body.uscc:uscc_checksum", "body.representative:min_length", "body.phone:phone", "body.licence:licence_type"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := ok
			c.edit(&in)
			v, warns, err := in.Validate(testNow, 18, maxLicence)
			if c.rules == nil {
				if err != nil || len(warns) != c.warns {
					t.Fatalf("Validate: %v %v", err, warns)
				}
				if v.USCC.IsZero() || v.Licence.MIME == "" || v.Representative == "" {
					t.Fatalf("valid %+v", v)
				}
				return
			}
			if got := fieldRules(t, err); !slices.Equal(got, c.rules) {
				t.Fatalf("rules %v, want %v", got, c.rules)
			}
		})
	}
	if _, _, err := ok.Validate(testNow, 18, 0); errs.KindOf(err) != errs.Internal {
		t.Errorf("no licence limit: %v", err)
	}
}

func TestSameIdentity(t *testing.T) {
	t.Parallel()
	a, _, err := kyc.IndividualInput{Name: "张三", IDNumber: "11010519491231002X", Phone: "13800138000"}.Validate(testNow, 18, maxLicence)
	if err != nil {
		t.Fatal(err)
	}
	phone, _, _ := kyc.IndividualInput{Name: "张三", IDNumber: "11010519491231002x", Phone: "13900139000"}.Validate(testNow, 18, maxLicence)
	name, _, _ := kyc.IndividualInput{Name: "张叁", IDNumber: "11010519491231002X", Phone: "13800138000"}.Validate(testNow, 18, maxLicence)
	if !a.SameIdentity(phone) || a.SameIdentity(name) {
		t.Error("individual: a phone change must not, a name change must require re-verification")
	}
	e := kyc.EnterpriseInput{CompanyName: "某某公司", USCC: "91350100M000100Y43", Representative: "李四", Phone: "13800138000", Licence: pngFile}
	ea, _, err := e.Validate(testNow, 18, maxLicence)
	if err != nil {
		t.Fatal(err)
	}
	e.Licence = jpegFile
	eb, _, _ := e.Validate(testNow, 18, maxLicence)
	e.Licence, e.Phone = pngFile, "13900139000"
	ec, _, _ := e.Validate(testNow, 18, maxLicence)
	if ea.SameIdentity(eb) || !ea.SameIdentity(ec) {
		t.Error("enterprise: a new licence must, a phone change must not require re-verification")
	}
	if ea.Licence.Digest() == eb.Licence.Digest() {
		t.Error("digests of different files are equal")
	}
}

// TestValidFormsPrintMasked: a checked form printed or logged by mistake
// shows no identity number, credit code or phone number, whatever the verb.
func TestValidFormsPrintMasked(t *testing.T) {
	t.Parallel()
	in := kyc.IndividualInput{Name: "张三", IDNumber: "11010519491231002X", Phone: "13800138000"}
	vi, _, err := in.Validate(testNow, 18, maxLicence)
	if err != nil {
		t.Fatal(err)
	}
	en := kyc.EnterpriseInput{CompanyName: "某某公司", USCC: "91350100M000100Y43", Representative: "李四", Phone: "13800138000", Licence: pngFile}
	ve, _, err := en.Validate(testNow, 18, maxLicence)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		out := fmt.Sprintf(verb+" "+verb+" "+verb+" "+verb, in, vi, en, ve)
		for _, secret := range []string{"19491231", "0013800", "M000100", "3139343931323331", "3133383030313338"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows %q: %s", verb, secret, out)
			}
		}
	}
	if got := fmt.Sprint(ve.Licence); got != fmt.Sprintf("image/png, %d bytes", len(pngFile)) {
		t.Errorf("licence prints as %q", got)
	}
}
