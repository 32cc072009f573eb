package reseller

import (
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

var t0 = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func auth(kinds, regions []string, from, until time.Time, st State) Authorisation {
	return Authorisation{Kinds: kinds, Regions: regions, Mode: Commission, RateBP: 1000, ValidFrom: from, ValidUntil: until, State: st}
}

func TestStatusAt(t *testing.T) {
	t.Parallel()
	a := auth([]string{"cloud_server"}, nil, t0, t0.Add(24*time.Hour), StateActive)
	cases := []struct {
		name string
		a    Authorisation
		at   time.Time
		want Status
	}{
		{"before", a, t0.Add(-time.Second), StatusNotYet},
		{"at start", a, t0, StatusValid},
		{"last instant", a, t0.Add(24*time.Hour - time.Nanosecond), StatusValid},
		{"at end (exclusive)", a, t0.Add(24 * time.Hour), StatusExpired},
		{"suspended", auth(a.Kinds, nil, t0, t0.Add(time.Hour), StateSuspended), t0, StatusSuspended},
		{"revoked", auth(a.Kinds, nil, t0, t0.Add(time.Hour), StateRevoked), t0, StatusRevoked},
	}
	for _, c := range cases {
		if got := c.a.StatusAt(c.at); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestPermit(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	servers := auth([]string{"cloud_server"}, []string{"nanchang"}, t0, t0.Add(day), StateActive)
	vpnAnywhere := auth([]string{"vpn"}, nil, t0, t0.Add(day), StateActive)
	expired := auth([]string{"vpn", "cloud_server"}, nil, t0.Add(-2*day), t0.Add(-day), StateActive)
	cases := []struct {
		name         string
		auths        []Authorisation
		kind, region string
		wantIdx      int
		wantCode     string
	}{
		{"covered", []Authorisation{servers}, "cloud_server", "nanchang", 0, ""},
		{"second covers", []Authorisation{servers, vpnAnywhere}, "vpn", "hongkong", 1, ""},
		{"other region", []Authorisation{servers}, "cloud_server", "beijing", -1, CodeOutOfScope},
		{"other kind", []Authorisation{servers}, "certificate", "nanchang", -1, CodeOutOfScope},
		{"only expired", []Authorisation{expired}, "vpn", "x", -1, CodeNotAuthorised},
		{"none", nil, "vpn", "x", -1, CodeNotAuthorised},
		{"suspended one, expired other", []Authorisation{auth([]string{"vpn"}, nil, t0, t0.Add(day), StateSuspended), expired}, "vpn", "", -1, CodeNotAuthorised},
	}
	for _, c := range cases {
		i, err := Permit(c.auths, c.kind, c.region, t0.Add(time.Hour))
		if i != c.wantIdx || errs.CodeOf(err) != c.wantCode && !(c.wantCode == "" && err == nil) {
			t.Errorf("%s: %d %v, want %d %s", c.name, i, err, c.wantIdx, c.wantCode)
		}
		if err != nil && errs.KindOf(err) != errs.Forbidden {
			t.Errorf("%s: kind %v", c.name, errs.KindOf(err))
		}
	}
}

func TestPrices(t *testing.T) {
	t.Parallel()
	cases := []struct {
		list       money.Fen
		bp         int64
		unit, comm money.Fen
	}{
		{7900, 1000, 7110, 790},
		{999, 1500, 850, 149}, // 149.85 discount floored: the company keeps the odd fen
		{1, 9999, 1, 0},
		{100000, 1, 99990, 10},
	}
	for _, c := range cases {
		if got := WholesaleUnit(c.list, c.bp); got != c.unit {
			t.Errorf("WholesaleUnit(%d, %d) = %d, want %d", c.list, c.bp, got, c.unit)
		}
		if got := CommissionOf(c.list, c.bp); got != c.comm {
			t.Errorf("CommissionOf(%d, %d) = %d, want %d", c.list, c.bp, got, c.comm)
		}
	}
}

func TestValidateReportsEverything(t *testing.T) {
	t.Parallel()
	known := func(k string) bool { return k == "cloud_server" || k == "vpn" }
	err := Validate(Authorisation{Kinds: []string{"cloud_server", "spaceship"}, Regions: []string{" "}, Mode: "barter", RateBP: 0,
		ValidFrom: t0, ValidUntil: t0}, t0, known)
	e, ok := err.(*errs.Error)
	if !ok {
		t.Fatalf("got %v", err)
	}
	want := map[string]string{"body.kinds[1]": "enum", "body.regions[0]": "format", "body.mode": "enum", "body.rate_bp": "range",
		"body.valid_until": "after_valid_from"}
	if len(e.Fields) != len(want) {
		t.Fatalf("fields %+v", e.Fields)
	}
	for _, f := range e.Fields {
		if want[f.Field] != f.Rule {
			t.Errorf("field %s rule %s", f.Field, f.Rule)
		}
	}
	if err := Validate(auth([]string{"vpn"}, nil, t0, t0.Add(time.Hour), StateActive), t0, known); err != nil {
		t.Fatalf("good authorisation refused: %v", err)
	}
	if err := Validate(auth([]string{"vpn"}, nil, t0.Add(-2*time.Hour), t0.Add(-time.Hour), StateActive), t0, known); errs.CodeOf(err) != CodeInvalid {
		t.Fatalf("past validity accepted: %v", err)
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c := NewCode()
		n, ok := NormalizeCode(" " + c + " ")
		if !ok || n != c {
			t.Fatalf("code %q does not normalise to itself (%q %v)", c, n, ok)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Fatal("codes repeat")
	}
	for _, bad := range []string{"", "YXR-ABCD", "YXR-ABCD-EF0H", "XYZ-ABCD-EFGH", "YXR-ABCDEEFGHJ"} {
		if _, ok := NormalizeCode(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if n, ok := NormalizeCode("yxr-abcd-efgh"); !ok || n != "YXR-ABCD-EFGH" {
		t.Errorf("lower case not normalised: %q %v", n, ok)
	}
	tok, h := NewToken()
	if HashToken(tok) != h || len(tok) != 48 {
		t.Fatal("token hash")
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"YXR-ABCD-EFGH", "yxr-2345-6789", "", "YXR-ABCD-EFG\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := NormalizeCode(s)
		if ok {
			if n2, ok2 := NormalizeCode(n); !ok2 || n2 != n {
				t.Fatalf("not idempotent: %q → %q", s, n)
			}
		}
	})
}
