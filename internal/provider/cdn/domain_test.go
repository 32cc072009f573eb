package cdn_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/provider/cdn"
)

// checkErr asserts err is nil when rule is "", else an *errs.Error with
// code, field and rule.
func checkErr(t *testing.T, err error, code, field, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want *errs.Error %s %s/%s", err, code, field, rule)
	}
	if e.Code != code || len(e.Fields) == 0 || e.Fields[0].Field != field || e.Fields[0].Rule != rule {
		t.Fatalf("error %s %+v, want %s %s/%s", e.Code, e.Fields, code, field, rule)
	}
}

func TestNormalizeDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, rule string
	}{
		{"shop.example.com", "shop.example.com", ""},
		{" Shop.Example.COM. ", "shop.example.com", ""},
		{"xn--fiqs8s.xn--fiqs8s", "xn--fiqs8s.xn--fiqs8s", ""},
		{"a-b.c1", "a-b.c1", ""},
		{strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com", ""},
		{"", "", "required"},
		{".", "", "required"},
		{"中国.cn", "", "ascii"},
		{strings.Repeat("abcdefghi.", 26) + "com", "", "max_length"},
		{strings.Repeat("a", 64) + ".com", "", "label_length"},
		{"a..com", "", "format"},
		{".example.com", "", "format"},
		{"*.example.com", "", "charset"},
		{"under_score.example.com", "", "charset"},
		{"shop.example.com;return", "", "charset"},
		{"shop.example.com\n}", "", "charset"},
		{"shop example.com", "", "charset"},
		{"-shop.example.com", "", "hyphen"},
		{"shop-.example.com", "", "hyphen"},
		{"localhost", "", "labels"},
		{"192.168.1.1", "", "numeric_tld"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := cdn.NormalizeDomain(tc.in)
			checkErr(t, err, "cdn.domain_invalid", "domain", tc.rule)
			if got != tc.want {
				t.Fatalf("NormalizeDomain(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestOnboarding(t *testing.T) {
	t.Parallel()
	var seed [32]byte
	token, err := cdn.NewToken(rand.NewChaCha8(seed))
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 32 || strings.Trim(token, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		t.Fatalf("token %q is not 32 base32 characters", token)
	}
	other, _ := cdn.NewToken(rand.NewChaCha8([32]byte{1}))
	if other == token {
		t.Fatal("different randomness gave the same token")
	}
	rec, err := cdn.OwnershipRecord("Shop.Example.com.", token)
	if err != nil {
		t.Fatal(err)
	}
	if want := (cdn.TXTRecord{Name: "_yuanxu-verify.shop.example.com", Value: "yuanxu-verify=" + token}); rec != want {
		t.Fatalf("OwnershipRecord = %+v, want %+v", rec, want)
	}
	_, err = cdn.OwnershipRecord("shop.example.com", "short")
	checkErr(t, err, "cdn.site_invalid", "token", "format")
	_, err = cdn.OwnershipRecord("bad_domain.com", token)
	checkErr(t, err, "cdn.domain_invalid", "domain", "charset")

	target, err := cdn.CNAMETarget("0190a1b2-c3d4", "Edge.Yuanxu.example.")
	if err != nil || target != "0190a1b2-c3d4.edge.yuanxu.example" {
		t.Fatalf("CNAMETarget = %q, %v", target, err)
	}
	_, err = cdn.CNAMETarget("Site_1", "edge.yuanxu.example")
	checkErr(t, err, "cdn.site_invalid", "site_id", "format")
	_, err = cdn.CNAMETarget("site-1", "edge")
	checkErr(t, err, "cdn.domain_invalid", "zone", "labels")
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
