package kyc_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
)

// fuzzNow maps any int64 to an instant between 1900 and 2200, leaving the
// seconds of that span unchanged, so that corpus entries read as written.
func fuzzNow(secs int64) time.Time {
	const lo = -2208988800         // 1900-01-01T00:00:00Z
	const span = 300 * 365 * 86400 // about 300 years
	return time.Unix(lo+int64(uint64(secs-lo)%span), 0)
}

// FuzzParseResidentID: any input either parses into a number that passes
// the independent check, re-parses to the same value and keeps every
// promise of ParseResidentID, or is refused with one of its codes; it
// never panics. The committed corpus (testdata/fuzz/FuzzParseResidentID)
// holds the published valid and invalid vectors.
func FuzzParseResidentID(f *testing.F) {
	now := testNow.Unix()
	for _, v := range publishedIDs {
		f.Add(v.number, now, 18)
	}
	for _, v := range publishedBadIDs {
		f.Add(v.number, now, 18)
	}
	f.Add("11010519491231002x", now, 18)
	f.Add("610104620927690", now, 18)
	codes := []string{kyc.CodeIDFormat, kyc.CodeIDLegacy15, kyc.CodeIDChecksum, kyc.CodeIDBirthDate, kyc.CodeIDFutureBirth, kyc.CodeIDUnderage}
	f.Fuzz(func(t *testing.T, s string, secs int64, minAge int) {
		now := fuzzNow(secs)
		minAge %= 130
		id, err := kyc.ParseResidentID(s, now, minAge)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || !slices.Contains(codes, e.Code) || len(e.Fields) != 1 || e.Fields[0].Field != kyc.FieldIDNumber {
				t.Fatalf("error %#v", err)
			}
			if n := strings.TrimSpace(s); len(n) >= 8 && strings.Contains(e.Error(), n) {
				t.Fatalf("error %q shows the input", e.Error())
			}
			return
		}
		n := id.Number()
		if !refIDValid(n) {
			t.Fatalf("%q accepted as %q, which fails the independent check", s, n)
		}
		again, err := kyc.ParseResidentID(n, now, minAge)
		if err != nil || again != id {
			t.Fatalf("%q does not round-trip: %v", n, err)
		}
		b := id.BirthDate()
		if b.Format("20060102") != n[6:14] || b.Year() < kyc.MinBirthYear || b.After(now) {
			t.Fatalf("%q: birth date %v at %v", n, b, now)
		}
		if minAge > 0 && id.Age(now) < minAge {
			t.Fatalf("%q: age %d below %d", n, id.Age(now), minAge)
		}
		if m := id.Masked(); len(m) != 18 || m[:4] != n[:4] || m[14:] != n[14:] || strings.Count(m, "*") != 10 {
			t.Fatalf("%q masked as %q", n, m)
		}
		if id.IsResidencePermit() != (n[0] == '8') || (id.Sex() == kyc.SexMale) != ((n[16]-'0')%2 == 1) {
			t.Fatalf("%q: permit %v sex %s", n, id.IsResidencePermit(), id.Sex())
		}
	})
}

// FuzzParseUSCC: any input either parses into a code that passes the
// independent check and re-parses to the same code and warnings, with a
// warning exactly when the inner GB 11714 check fails, or is refused with
// one of ParseUSCC's codes; it never panics. The committed corpus
// (testdata/fuzz/FuzzParseUSCC) holds the published valid and invalid
// vectors.
func FuzzParseUSCC(f *testing.F) {
	for _, v := range publishedUSCCs {
		f.Add(v.code)
	}
	for _, v := range publishedBadUSCCs {
		f.Add(v.code)
	}
	f.Add("91350100I000100Y43")
	f.Add("９１３５０１００Ｍ０００１００Ｙ４３")
	codes := []string{kyc.CodeUSCCFormat, kyc.CodeUSCCForbidden, kyc.CodeUSCCChecksum}
	f.Fuzz(func(t *testing.T, s string) {
		u, warns, err := kyc.ParseUSCC(s)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || !slices.Contains(codes, e.Code) || len(e.Fields) != 1 || e.Fields[0].Field != kyc.FieldUSCC || warns != nil {
				t.Fatalf("error %#v, warnings %v", err, warns)
			}
			if e.Code == kyc.CodeUSCCForbidden {
				p := e.Fields[0].Params
				if pos, ok := p["position"].(int); !ok || pos < 1 || pos > 18 || p["char"] == "" {
					t.Fatalf("forbidden-char params %v", p)
				}
			}
			return
		}
		c := u.Code()
		if !refUSCCValid(c) {
			t.Fatalf("%q accepted as %q, which fails the independent check", s, c)
		}
		for i := 2; i < 8; i++ {
			if c[i] < '0' || c[i] > '9' {
				t.Fatalf("%q: letter in the division", c)
			}
		}
		if (len(warns) == 1) == refOrgValid(c[8:17]) || len(warns) > 1 {
			t.Fatalf("%q: warnings %v, inner check %v", c, warns, refOrgValid(c[8:17]))
		}
		again, w2, err := kyc.ParseUSCC(c)
		if err != nil || again != u || len(w2) != len(warns) {
			t.Fatalf("%q does not round-trip: %v", c, err)
		}
		if lower, _, err := kyc.ParseUSCC(strings.ToLower(c)); err != nil || lower != u {
			t.Fatalf("%q: lower case not accepted: %v", c, err)
		}
	})
}

// FuzzSniffLicence: a business licence upload is outside bytes. Whatever
// it is, SniffLicence never panics; it accepts only a file within the limit
// whose leading bytes are PNG, JPEG or PDF (and names that type), and
// refuses everything else with one of its codes on the licence field.
func FuzzSniffLicence(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"), 64)
	f.Add([]byte{0xff, 0xd8, 0xff, 0xdb}, 64)
	f.Add([]byte("%PDF-1.4"), 64)
	f.Add([]byte("%PDF-1.4 but too long"), 8)
	f.Add([]byte("<svg onload=alert(1)>"), 64)
	f.Add([]byte("MZ"), 64)
	f.Add([]byte{}, 64)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max <= 0 {
			return // a programming error, not outside input
		}
		mime, err := kyc.SniffLicence(b, max)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != kyc.FieldLicence ||
				!slices.Contains([]string{kyc.CodeLicenceEmpty, kyc.CodeLicenceTooLarge, kyc.CodeLicenceType}, e.Code) {
				t.Fatalf("refusal %#v", err)
			}
			return
		}
		prefix := map[string]string{kyc.MIMEPNG: "\x89PNG\r\n\x1a\n", kyc.MIMEJPEG: "\xff\xd8\xff", kyc.MIMEPDF: "%PDF-"}[mime]
		if prefix == "" || !strings.HasPrefix(string(b), prefix) || len(b) > max {
			t.Fatalf("accepted %d bytes (limit %d) as %q: %q", len(b), max, mime, b)
		}
	})
}
