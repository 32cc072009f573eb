package kyc_test

import (
	"strings"
	"testing"
	"time"

	"yuanxu/internal/clock"
	"yuanxu/internal/kyc"
)

// testNow is the business time of most tests: the agreement's date,
// 2026-06-11 12:00 in Shanghai.
var testNow = time.Date(2026, 6, 11, 12, 0, 0, 0, clock.Shanghai)

// Published resident identity numbers whose check character is right. Each
// is verified twice: by the package and by refIDValid below.
var publishedIDs = []struct {
	number, source string
	birth          string // YYYY-MM-DD
	sex            kyc.Sex
	permit         bool
	code           string // the parser's error code at testNow (age 18), "" when accepted
}{
	{"11010519491231002X", "GB 11643-1999 annex A (北京市朝阳区, female, 1949-12-31)", "1949-12-31", kyc.SexFemale, false, ""},
	{"440524188001010014", "GB 11643-1999 annex A (广东省汕头市潮阳县, male, 1880-01-01); refused by the 1900 floor", "1880-01-01", kyc.SexMale, false, kyc.CodeIDBirthDate},
	{"11010219840406970X", "widely cited valid vector of public validator test suites", "1984-04-06", kyc.SexFemale, false, ""},
	{"513101198201130014", "worked example of the MOD 11-2 computation (body 51310119820113001, check 4) in public write-ups of GB 11643", "1982-01-13", kyc.SexMale, false, ""},
	{"370101190102039973", "worked example (济南市, male, 1901-02-03) in public write-ups of GB 11643", "1901-02-03", kyc.SexMale, false, ""},
	{"810000199408230021", "specimen number of the residence permit for Hong Kong and Macao residents published by the Beijing PSB (as cited by jxlwqq/id-validator)", "1994-08-23", kyc.SexFemale, true, ""},
	{"830000199201300022", "specimen number of the residence permit for Taiwan residents published by the Beijing PSB (as cited by jxlwqq/id-validator)", "1992-01-30", kyc.SexFemale, true, ""},
}

// Published numbers with a wrong check character.
var publishedBadIDs = []struct{ number, source string }{
	{"110105194912310021", "the annex A example with its check character changed (public test suites)"},
	{"11010219840506970X", "a valid vector with its month changed (public test suites)"},
	{"440524189001010014", "the annex A example with its year changed (public test suites)"},
}

// Published unified social credit codes whose check character is right.
var publishedUSCCs = []struct{ code, source string }{
	{"91350100M000100Y43", "GB 32100-2015 example (福州, organisation code M000100Y4)"},
	{"91310110666007217T", "dromara/hutool CreditCodeUtilTest (valid)"},
	{"91310115591693856A", "dromara/hutool CreditCodeUtilTest (valid)"},
	{"91440300708461136T", "listed as a real registered enterprise's code in a public validator test"},
	{"91110108551385082Q", "listed as a real registered enterprise's code in a public validator test"},
	{"92371000MA3MXH0E3W", "winjs-dev/cloud-utils isUnifiedSocialCreditCode example (sole trader, 92)"},
	{"91230184MA1BUFLT44", "winjs-dev/cloud-utils isUnifiedSocialCreditCode example"},
	{"51610700305332460K", "public list of codes in a validator (civil affairs, 51)"},
	{"112302070019030687", "public list of codes in a validator (establishment administration, 11)"},
	{"1134082855783407XL", "public list of codes in a validator (organisation code ending X, check L)"},
}

// Published codes whose GB 32100 check character is wrong.
var publishedBadUSCCs = []struct{ code, source string }{
	{"91350211M00013FA1N", "dromara/hutool CreditCodeUtilTest: pilot-era code that fails the standard's check"},
	{"91350100M0001TGQXM", "bluesky335/IDCheck: pilot-era code, computed check 1"},
	{"91350211M0000XUF46", "bluesky335/IDCheck: pilot-era code, computed check R"},
	{"91350203M0001FUE2P", "bluesky335/IDCheck: pilot-era code, computed check J"},
	{"91350100M000100Y4A", "the GB 32100 example with its check character changed (public validator docs)"},
	{"91310115MA1G4L1WXK", "an example on a public Q&A page that fails both checks"},
}

// The reference implementations below share no code and no tables with the
// package: the weights are computed as powers (GB 11643: 2^(i-1) mod 11,
// i counted from the right with the check character at 1; GB 32100: 3^i
// mod 31; GB 11714: 2^(9-i) mod 11), and validity is the defining
// congruence of each ISO 7064 scheme over the whole code, check included.

// refIDValid: Σ a_i·2^(i-1) ≡ 1 (mod 11) over all 18 characters, X = 10.
func refIDValid(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum, w := 0, 1
	for i := 17; i >= 0; i-- {
		c := s[i]
		var v int
		switch {
		case '0' <= c && c <= '9':
			v = int(c - '0')
		case c == 'X' && i == 17:
			v = 10
		default:
			return false
		}
		sum += v * w
		w = w * 2 % 11
	}
	return sum%11 == 1
}

// refIDCheck returns the check character that makes body valid, found by
// trying each; it builds the synthetic vectors (impossible dates, age
// boundaries) whose only flaw must be the one under test.
func refIDCheck(t testing.TB, body string) string {
	t.Helper()
	for _, c := range "0123456789X" {
		if refIDValid(body + string(c)) {
			return body + string(c)
		}
	}
	t.Fatalf("no check character for %q", body)
	return ""
}

// refCharset is GB 32100's set built from its definition: digits, then the
// letters A–Z without I, O, S, V, Z.
var refCharset = func() string {
	var b strings.Builder
	b.WriteString("0123456789")
	for c := 'A'; c <= 'Z'; c++ {
		if !strings.ContainsRune("IOSVZ", c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}()

// refUSCCValid: Σ_{i<17} v_i·3^i + v_17 ≡ 0 (mod 31).
func refUSCCValid(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum, w := 0, 1
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(refCharset, s[i])
		if v < 0 {
			return false
		}
		if i == 17 {
			w = 1
		}
		sum += v * w
		w = w * 3 % 31
	}
	return sum%31 == 0
}

func refUSCCCheck(t testing.TB, body string) string {
	t.Helper()
	for i := 0; i < len(refCharset); i++ {
		if s := body + refCharset[i:i+1]; refUSCCValid(s) {
			return s
		}
	}
	t.Fatalf("no check character for %q", body)
	return ""
}

// refOrgValid: Σ_{i=1..8} v_i·2^(9-i) + v_9 ≡ 0 (mod 11), letters A=10…,
// check X = 10.
func refOrgValid(s string) bool {
	if len(s) != 9 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		c := s[i]
		var v int
		switch {
		case '0' <= c && c <= '9':
			v = int(c - '0')
		case i == 8 && c == 'X':
			v = 10
		case 'A' <= c && c <= 'Z' && i < 8:
			v = int(c-'A') + 10
		default:
			return false
		}
		w := 1
		for range 8 - i {
			w = w * 2 % 11
		}
		sum += v * w
	}
	return sum%11 == 0
}

// TestReferenceImplementationsAgreeWithPublishedVectors keeps the
// reference honest: it must accept what was published as valid and refuse
// what was published as invalid, before it is used to judge the package.
func TestReferenceImplementationsAgreeWithPublishedVectors(t *testing.T) {
	t.Parallel()
	for _, v := range publishedIDs {
		if !refIDValid(v.number) {
			t.Errorf("reference refuses %s (%s)", v.number, v.source)
		}
	}
	for _, v := range publishedBadIDs {
		if refIDValid(v.number) {
			t.Errorf("reference accepts %s (%s)", v.number, v.source)
		}
	}
	for _, v := range publishedUSCCs {
		if !refUSCCValid(v.code) || !refOrgValid(v.code[8:17]) {
			t.Errorf("reference refuses %s (%s)", v.code, v.source)
		}
	}
	for _, v := range publishedBadUSCCs {
		if refUSCCValid(v.code) {
			t.Errorf("reference accepts %s (%s)", v.code, v.source)
		}
	}
	if refCharset != kyc.USCCCharset {
		t.Errorf("charset %q, package has %q", refCharset, kyc.USCCCharset)
	}
}
