package compliance

import (
	"strings"
	"testing"
	"time"

	"yuanxu/internal/errs"
)

func TestNormalizeTarget(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want, kind string }{
		{"198.51.100.7", "198.51.100.7", "ip"},
		{" ::ffff:198.51.100.7 ", "198.51.100.7", "ip"},
		{"2001:DB8::1", "2001:db8::1", "ip"},
		{"Shop.Example.COM.", "shop.example.com", "domain"},
		{"xn--fiqs8s.example", "xn--fiqs8s.example", "domain"},
		{"", "", ""}, {"localhost", "", ""}, {"a..b", "", ""}, {"-a.example", "", ""}, {"a_b.example", "", ""}, {"中国.example", "", ""},
	}
	for _, c := range cases {
		got, kind, err := NormalizeTarget(c.in, "body.target")
		if c.kind == "" {
			if err == nil {
				t.Errorf("%q accepted as %q", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want || kind != c.kind {
			t.Errorf("%q = %q %q %v, want %q %q", c.in, got, kind, err, c.want, c.kind)
		}
	}
}

func TestValidateReportReportsEverything(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	_, err := ValidateReport(Report{Rule: "bad", Target: "nope", ObservedAt: now.Add(time.Hour), Detail: strings.Repeat("x", MaxDetail+1)}, now)
	e, ok := err.(*errs.Error)
	if !ok || e.Code != CodeReport || len(e.Fields) != 4 {
		t.Fatalf("got %v", err)
	}
	_, err = ValidateReport(Report{Rule: "spam", Target: "198.51.100.1", ObservedAt: now.Add(-MaxReportAge - time.Second), Detail: "x"}, now)
	if errs.CodeOf(err) != CodeReport {
		t.Fatalf("old report accepted: %v", err)
	}
	r, err := ValidateReport(Report{Rule: "network_attack", Target: "198.51.100.1", Detail: "  syn flood  "}, now)
	if err != nil || !r.ObservedAt.Equal(now) || r.Detail != "syn flood" {
		t.Fatalf("good report: %+v %v", r, err)
	}
}

func FuzzNormalizeTarget(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "::1", "a.example", "A.EXAMPLE.", "fe80::1%eth0", "..", "\xff.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, kind, err := NormalizeTarget(s, "f")
		if err != nil {
			return
		}
		again, kind2, err := NormalizeTarget(got, "f")
		if err != nil || again != got || kind2 != kind {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", s, got, again, err)
		}
	})
}
