package kyc_test

import (
	"fmt"
	"strings"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
)

func TestParseUSCCAcceptsPublishedVectors(t *testing.T) {
	t.Parallel()
	for _, v := range publishedUSCCs {
		t.Run(v.code, func(t *testing.T) {
			t.Parallel()
			if !refUSCCValid(v.code) {
				t.Fatalf("independent check refuses %s", v.code)
			}
			if got := kyc.USCCCheckChar(v.code[:17]); got != v.code[17] {
				t.Fatalf("USCCCheckChar = %q, want %q", got, v.code[17])
			}
			u, warns, err := kyc.ParseUSCC(v.code)
			if err != nil || len(warns) != 0 {
				t.Fatalf("ParseUSCC: %v %v", err, warns)
			}
			if u.Code() != v.code || u.Division() != v.code[2:8] || u.OrgCode() != v.code[8:17] ||
				u.RegistrationAuthority() != v.code[0] || u.Category() != v.code[1] {
				t.Fatalf("parts of %s: %s %s %c %c", v.code, u.Division(), u.OrgCode(), u.RegistrationAuthority(), u.Category())
			}
			if want := v.code[:4] + "**********" + v.code[14:]; u.Masked() != want || fmt.Sprintf("%v %#v", u, u) != want+` kyc.USCC("`+want+`")` {
				t.Fatalf("masked %q / %v / %#v", u.Masked(), u, u)
			}
		})
	}
}

func TestParseUSCCRefusesPublishedBadCheckCharacters(t *testing.T) {
	t.Parallel()
	for _, v := range publishedBadUSCCs {
		t.Run(v.code, func(t *testing.T) {
			t.Parallel()
			_, _, err := kyc.ParseUSCC(v.code)
			wantFieldErr(t, err, errs.Invalid, kyc.CodeUSCCChecksum, kyc.FieldUSCC)
		})
	}
}

func TestParseUSCCRules(t *testing.T) {
	t.Parallel()
	const example = "91350100M000100Y43"
	// put replaces the character at 1-based position pos.
	put := func(pos int, c string) string { return example[:pos-1] + c + example[pos:] }
	cases := []struct {
		name   string
		in     string
		code   string
		params map[string]any
		want   string
	}{
		{"LowerCaseIsUpperCased", "91350100m000100y43", "", nil, example},
		{"SpacesAreTrimmedAndRemoved", "  9135 0100 M000 100Y 43\t", "", nil, example},
		{"FullWidthIsFolded", "９１３５０１００Ｍ０００１００Ｙ４３", "", nil, example},
		{"Empty", "", kyc.CodeUSCCFormat, map[string]any{"length": 18}, ""},
		{"TooShort", example[:17], kyc.CodeUSCCFormat, map[string]any{"length": 18}, ""},
		{"TooLong", example + "0", kyc.CodeUSCCFormat, map[string]any{"length": 18}, ""},
		{"HugeInput", strings.Repeat("9", 1<<16), kyc.CodeUSCCFormat, map[string]any{"length": 18}, ""},
		{"ForbiddenI", put(9, "I"), kyc.CodeUSCCForbidden, map[string]any{"char": "I", "position": 9}, ""},
		{"ForbiddenLowerCaseO", put(16, "o"), kyc.CodeUSCCForbidden, map[string]any{"char": "O", "position": 16}, ""},
		{"ForbiddenS", put(1, "S"), kyc.CodeUSCCForbidden, map[string]any{"char": "S", "position": 1}, ""},
		{"ForbiddenV", put(18, "V"), kyc.CodeUSCCForbidden, map[string]any{"char": "V", "position": 18}, ""},
		{"ForbiddenZ", put(2, "Z"), kyc.CodeUSCCForbidden, map[string]any{"char": "Z", "position": 2}, ""},
		{"Punctuation", put(18, "-"), kyc.CodeUSCCForbidden, map[string]any{"char": "-", "position": 18}, ""},
		{"NonASCIILetter", put(10, "中"), kyc.CodeUSCCForbidden, map[string]any{"char": "中", "position": 10}, ""},
		{"DotlessIIsNotFoldedToI", put(9, "ı"), kyc.CodeUSCCForbidden, map[string]any{"char": "ı", "position": 9}, ""},
		{"LetterInDivision", put(8, "A"), kyc.CodeUSCCFormat, map[string]any{"position": 8}, ""},
		{"LetterInDivisionFirst", put(3, "Y"), kyc.CodeUSCCFormat, map[string]any{"position": 3}, ""},
		{"WrongCheck", put(18, "4"), kyc.CodeUSCCChecksum, nil, ""},
		{"SwappedCharacters", "91351000M000100Y43", kyc.CodeUSCCChecksum, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			u, _, err := kyc.ParseUSCC(c.in)
			if c.code == "" {
				if err != nil || u.Code() != c.want {
					t.Fatalf("ParseUSCC(%q) = %q, %v; want %q", c.in, u.Code(), err, c.want)
				}
				return
			}
			e := wantFieldErr(t, err, errs.Invalid, c.code, kyc.FieldUSCC)
			if fmt.Sprint(e.Fields[0].Params) != fmt.Sprint(c.params) {
				t.Fatalf("params %v, want %v", e.Fields[0].Params, c.params)
			}
		})
	}
}

func TestParseUSCCWarnsOnInnerOrgCodeCheckOnly(t *testing.T) {
	t.Parallel()
	// Synthetic: organisation code 12345678 has GB 11714 check 8 (Σ = 201,
	// 201 mod 11 = 3, 11 − 3 = 8); the outer check comes from the
	// reference implementation.
	good := refUSCCCheck(t, "91350100"+"123456788")
	bad := refUSCCCheck(t, "91350100"+"123456780")
	if !refOrgValid("123456788") || refOrgValid("123456780") {
		t.Fatal("reference disagrees with the hand computation")
	}
	if _, w, err := kyc.ParseUSCC(good); err != nil || len(w) != 0 {
		t.Fatalf("%s: %v %v", good, w, err)
	}
	u, w, err := kyc.ParseUSCC(bad)
	if err != nil {
		t.Fatalf("%s: the inner check must never be an error: %v", bad, err)
	}
	if u.Code() != bad || len(w) != 1 || w[0].Code != kyc.CodeUSCCOrgCode || w[0].Field != kyc.FieldUSCC {
		t.Fatalf("%s: %q %+v", bad, u.Code(), w)
	}
}

func TestOrgCodeValid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code string
		want bool
	}{
		{"M000100Y4", true},  // the GB 32100 example's organisation code
		{"708461136", true},  // from a published code above
		{"MA3MXH0E3", true},  // MA-prefixed codes issued after 2015
		{"55783407X", true},  // check 10 is written X
		{"123456788", true},  // hand-computed above
		{"123456780", false}, // wrong check
		{"12345678", false},  // too short
		{"1234567-8", false}, // not a code character
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			t.Parallel()
			if got := kyc.OrgCodeValid(c.code); got != c.want || (len(c.code) == 9 && refOrgValid(c.code) != c.want) {
				t.Fatalf("OrgCodeValid(%q) = %v, reference %v, want %v", c.code, got, refOrgValid(c.code), c.want)
			}
		})
	}
	// An organisation code whose check is 11 is written 0: find one with the
	// reference and confirm.
	for n := 10000000; n < 10000100; n++ {
		body := fmt.Sprint(n)
		if refOrgValid(body + "0") {
			if !kyc.OrgCodeValid(body + "0") {
				t.Fatalf("OrgCodeValid(%q) refuses check 0", body+"0")
			}
			return
		}
	}
	t.Fatal("no organisation code with check 0 found")
}

func TestUSCCCheckCharAgreesWithReference(t *testing.T) {
	t.Parallel()
	bodies := []string{"91350100M000100Y4", "00000000000000000", "YYYYYYYYYYYYYYYYY", "1234567890ABCDEFG", "Y1999999HJKLMNPQR"}
	for _, b := range bodies {
		want := refUSCCCheck(t, b)
		if got := kyc.USCCCheckChar(b); b+string(got) != want {
			t.Errorf("USCCCheckChar(%q) = %q, reference %q", b, got, want[17:])
		}
	}
	if kyc.USCCCheckChar("I0000000000000000") != 0 || kyc.USCCCheckChar("short") != 0 {
		t.Error("USCCCheckChar accepts a bad body")
	}
}
