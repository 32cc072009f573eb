package policy

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/errs"
)

// minimal returns the smallest valid input: the two keys without defaults,
// plus changes (a value "<delete>" removes the key).
func minimal(changes map[string]string) map[string]string {
	m := map[string]string{
		"appeal.window_working_days": "15",
		"legal.venue":                "南昌市某区人民法院",
	}
	for k, v := range changes {
		if v == "<delete>" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// rules maps each FieldError's Field to its Rule, failing on anything but one
// *errs.Error of Kind Invalid and Code Code with sorted, one-per-key fields.
func rules(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *errs.Error", err, err)
	}
	if e.Kind != errs.Invalid || e.Code != Code {
		t.Fatalf("kind %v code %q, want invalid %q", e.Kind, e.Code, Code)
	}
	out := map[string]string{}
	for i, fe := range e.Fields {
		if _, dup := out[fe.Field]; dup {
			t.Errorf("two FieldErrors for %s", fe.Field)
		}
		if i > 0 && e.Fields[i-1].Field > fe.Field {
			t.Errorf("fields not sorted: %v", e.Fields)
		}
		out[fe.Field] = fe.Rule
	}
	return out
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes map[string]string
		want    map[string]string // field → rule; nil means Parse succeeds
	}{
		{"minimal", nil, nil},
		{"appeal window missing", map[string]string{"appeal.window_working_days": "<delete>"},
			map[string]string{"appeal.window_working_days": "required"}},
		{"venue missing", map[string]string{"legal.venue": "<delete>"},
			map[string]string{"legal.venue": "required"}},
		{"explicit empty value", map[string]string{"refund.window": "  "},
			map[string]string{"refund.window": "required"}},
		{"unknown key", map[string]string{"refund.windw": "24h"},
			map[string]string{"refund.windw": "unknown_key"}},

		// Types.
		{"duration not a duration", map[string]string{"refund.window": "24"},
			map[string]string{"refund.window": "type"}},
		{"duration in days", map[string]string{"inspection.window": "1d"},
			map[string]string{"inspection.window": "type"}},
		{"int not a number", map[string]string{"refund.review_working_days": "three"},
			map[string]string{"refund.review_working_days": "type"}},
		{"int with a fraction", map[string]string{"refund.payout_days": "7.5"},
			map[string]string{"refund.payout_days": "type"}},
		{"bytes with a unit", map[string]string{"refund.traffic_threshold_bytes": "1GiB"},
			map[string]string{"refund.traffic_threshold_bytes": "type"}},
		{"bool spelled otherwise", map[string]string{"ban.freeze_balance": "yes"},
			map[string]string{"ban.freeze_balance": "type"}},
		{"list with an empty item", map[string]string{"refund.destinations": "balance,,swap"},
			map[string]string{"refund.destinations": "type"}},
		{"string with a newline", map[string]string{"legal.venue": "a\nb"},
			map[string]string{"legal.venue": "type"}},

		// Enums.
		{"enum unknown", map[string]string{"refund.window_anchor": "whenever"},
			map[string]string{"refund.window_anchor": "enum"}},
		{"enum list unknown item", map[string]string{"refund.destinations": "balance,cash"},
			map[string]string{"refund.destinations": "enum"}},
		{"enum list valid subset", map[string]string{"refund.destinations": "swap, balance"}, nil},
		{"enum is case sensitive", map[string]string{"kyc.required_before": "Pay_Provisioned"},
			map[string]string{"kyc.required_before": "enum"}},

		// Ranges and their boundaries.
		{"window at min", map[string]string{"refund.window": "1h"}, nil},
		{"window below min", map[string]string{"refund.window": "59m59s"},
			map[string]string{"refund.window": "min"}},
		{"window at max", map[string]string{"refund.window": "720h"}, nil},
		{"window above max", map[string]string{"refund.window": "720h0m1s"},
			map[string]string{"refund.window": "max"}},
		{"negative window", map[string]string{"refund.window": "-24h"},
			map[string]string{"refund.window": "min"}},
		{"threshold zero", map[string]string{"refund.traffic_threshold_bytes": "0"}, nil},
		{"threshold negative", map[string]string{"refund.traffic_threshold_bytes": "-1"},
			map[string]string{"refund.traffic_threshold_bytes": "min"}},
		{"threshold at max", map[string]string{"refund.traffic_threshold_bytes": "1099511627776"}, nil},
		{"threshold overflows int64", map[string]string{"refund.traffic_threshold_bytes": "99999999999999999999"},
			map[string]string{"refund.traffic_threshold_bytes": "max"}},
		{"threshold underflows int64", map[string]string{"refund.traffic_threshold_bytes": "-99999999999999999999"},
			map[string]string{"refund.traffic_threshold_bytes": "min"}},
		{"working days at 1 and 60", map[string]string{"appeal.window_working_days": "1", "refund.review_working_days": "60"}, nil},
		{"working days 0 and 61", map[string]string{"appeal.window_working_days": "0", "appeal.review_working_days": "61"},
			map[string]string{"appeal.window_working_days": "min", "appeal.review_working_days": "max"}},
		{"notice hours 0 and 720", map[string]string{"maintenance.notice_hours": "0"}, nil},
		{"notice hours 721", map[string]string{"maintenance.notice_hours": "721"},
			map[string]string{"maintenance.notice_hours": "max"}},
		{"statutory floors", map[string]string{
			"agreement.notice_days": "6", "retention.network_logs_days": "182",
			"retention.transactions_years": "2", "kyc.min_age_years": "17"},
			map[string]string{
				"agreement.notice_days": "min", "retention.network_logs_days": "min",
				"retention.transactions_years": "min", "kyc.min_age_years": "min"}},
		{"statutory floors met", map[string]string{
			"agreement.notice_days": "7", "retention.network_logs_days": "183",
			"retention.transactions_years": "3", "kyc.min_age_years": "18"}, nil},
		{"dual control off", map[string]string{"refund.dual_control_fen": "0"}, nil},
		{"venue at 200 runes", map[string]string{"legal.venue": strings.Repeat("院", 200)}, nil},
		{"venue at 201 runes", map[string]string{"legal.venue": strings.Repeat("院", 201)},
			map[string]string{"legal.venue": "max"}},
		{"venue placeholder", map[string]string{"legal.venue": "[X]人民法院"},
			map[string]string{"legal.venue": "placeholder"}},
		{"venue full-width placeholder", map[string]string{"legal.venue": "【 X 】人民法院"},
			map[string]string{"legal.venue": "placeholder"}},
		{"venue with real brackets", map[string]string{"legal.venue": "南昌市（东湖区）人民法院"}, nil},

		{"every problem at once", map[string]string{
			"appeal.window_working_days": "<delete>", "refund.window": "0s",
			"ban.freeze_balance": "1", "nope": "x", "refund.applies_to": "gift"},
			map[string]string{
				"appeal.window_working_days": "required", "refund.window": "min",
				"ban.freeze_balance": "type", "nope": "unknown_key", "refund.applies_to": "enum"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(minimal(tc.changes))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(s.Values()) != len(Keys()) {
					t.Errorf("Set has %d values, want %d", len(s.Values()), len(Keys()))
				}
				return
			}
			if s != nil {
				t.Errorf("failed Parse returned a Set")
			}
			if got := rules(t, err); !maps.Equal(got, tc.want) {
				t.Errorf("rules = %v, want %v (err %v)", got, tc.want, err)
			}
		})
	}
}

func TestParseParams(t *testing.T) {
	t.Parallel()
	_, err := Parse(minimal(map[string]string{
		"refund.window":        "721h",
		"refund.payout_days":   "0",
		"refund.window_anchor": "x",
	}))
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	want := []errs.FieldError{
		{Field: "refund.payout_days", Rule: "min", Params: map[string]any{"min": int64(1)}},
		{Field: "refund.window", Rule: "max", Params: map[string]any{"max": "720h"}},
		{Field: "refund.window_anchor", Rule: "enum", Params: map[string]any{"allowed": []string{
			AnchorOrderedAt, AnchorPaidAt, AnchorDeliveredAt, AnchorLaterOfPaidDelivered}}},
	}
	if !reflect.DeepEqual(e.Fields, want) {
		t.Errorf("fields = %#v\nwant %#v", e.Fields, want)
	}
}

func TestProjectDefaults(t *testing.T) {
	t.Parallel()
	s := ProjectDefaults()
	again, err := Parse(s.Values())
	if err != nil {
		t.Fatalf("ProjectDefaults values do not parse: %v", err)
	}
	if again.Digest() != s.Digest() {
		t.Error("re-parsing ProjectDefaults changed its digest")
	}
	if got := s.Int(AppealWindowWorkingDays); got != 15 {
		t.Errorf("appeal window = %d, want 15", got)
	}
	if hasPlaceholder(s.String(LegalVenue)) {
		t.Errorf("venue %q holds a placeholder", s.String(LegalVenue))
	}
	// Values is a copy.
	s.Values()["refund.window"] = "1h"
	if s.Duration(RefundWindow) != 24*time.Hour {
		t.Error("Values exposed the Set")
	}
	list := s.Strings(RefundDestinations)
	list[0] = "changed"
	if s.Strings(RefundDestinations)[0] != DestinationOriginalRoute {
		t.Error("Strings exposed the Set")
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	a, err := Parse(minimal(map[string]string{"refund.destinations": "swap,balance,original_route", "refund.window": "1440m"}))
	if err != nil {
		t.Fatal(err)
	}
	// Same values, other spelling, other map (and so iteration) order.
	m := minimal(map[string]string{"refund.window": " 24h0m0s ", "refund.destinations": "original_route, balance, swap"})
	for _, k := range Keys() {
		if _, ok := m[k]; !ok && k != "appeal.window_working_days" {
			m[k] = registryDefault(t, k)
		}
	}
	b, err := Parse(m)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest() != b.Digest() {
		t.Errorf("digests differ for equal values: %s vs %s", a.Digest(), b.Digest())
	}
	if !maps.Equal(a.Values(), b.Values()) {
		t.Errorf("values differ: %v vs %v", a.Values(), b.Values())
	}
	if a.Values()["refund.destinations"] != "original_route,balance,swap" || a.Values()["refund.window"] != "24h" {
		t.Errorf("not canonical: %v", a.Values())
	}
	for range 20 {
		c, _ := Parse(a.Values())
		if c.Digest() != a.Digest() {
			t.Fatal("digest depends on map order")
		}
	}
	c, err := a.With(map[string]string{"refund.payout_days": "8"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest() == a.Digest() || len(c.Digest()) != 64 {
		t.Errorf("digest %q after a change, before %q", c.Digest(), a.Digest())
	}
	if a.Int(RefundPayoutDays) != 7 || c.Int(RefundPayoutDays) != 8 {
		t.Error("With changed the original Set")
	}
	if _, err := a.With(map[string]string{"refund.payout_days": "99"}); rules(t, err)["refund.payout_days"] != "max" {
		t.Errorf("With did not validate: %v", err)
	}
}

func registryDefault(t *testing.T, name string) string {
	t.Helper()
	k, ok := Lookup(name)
	if !ok {
		t.Fatalf("no key %s", name)
	}
	return k.Default
}

func TestKeyParse(t *testing.T) {
	t.Parallel()
	k, _ := Lookup("order.unpaid_expiry")
	tests := []struct{ in, want, rule string }{
		{"30m", "30m", ""},
		{"0.5h", "30m", ""},
		{"90s", "90s", ""},
		{"1h30m", "90m", ""},
		{"1m", "1m", ""},
		{"59s", "", "min"},
		{"72h", "72h", ""},
		{"72h1ns", "", "max"},
		{"soon", "", "type"},
		{"", "", "required"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := k.Parse(tc.in)
			if tc.rule == "" {
				if err != nil || got != tc.want {
					t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if r := rules(t, err)[k.Name]; r != tc.rule {
				t.Errorf("Parse(%q) rule %q, want %q", tc.in, r, tc.rule)
			}
		})
	}
}
