package refund

import (
	"strings"
	"testing"
	"time"

	"yuanxu/internal/catalog"
	"yuanxu/internal/policy"
)

var (
	loc  = time.FixedZone("CST", 8*3600)
	paid = time.Date(2026, 6, 18, 23, 59, 0, 0, loc) // the eve of 端午
)

// base is a delivered standard server, paid and delivered at once, quiet.
func base() Facts {
	return Facts{OrderState: "delivered", Purpose: "new", OrderedAt: paid.Add(-time.Minute), PaidAt: paid, DeliveredAt: paid.Add(3*time.Minute + 10*time.Second),
		DeliverBy: paid.Add(10 * time.Minute), RequestedAt: paid.Add(time.Hour), UsageKnown: true, Metered: true, PaidFen: 3900,
		Lines: []Line{{Idx: 0, Class: catalog.ClassStandard, TotalFen: 3900}}}
}

func step(d Decision, rule string) Step {
	for _, s := range d.Trace {
		if s.Rule == rule {
			return s
		}
	}
	return Step{}
}

func TestEligibilityEdgeCases(t *testing.T) {
	t.Parallel()
	set := policy.ProjectDefaults()
	gib := uint64(1) << 30
	cases := []struct {
		name   string
		edit   func(*Facts)
		want   Outcome
		rule   string // the rule that decides
		ruleIs Outcome
	}{
		{"quiet standard server", func(f *Facts) {}, Eligible, RuleWindow, Pass},
		{"exactly 24 h after delivery", func(f *Facts) { f.RequestedAt = f.DeliveredAt.Add(24 * time.Hour) }, Eligible, RuleWindow, Pass},
		{"24 h and 1 ms after delivery", func(f *Facts) { f.RequestedAt = f.DeliveredAt.Add(24*time.Hour + time.Millisecond) }, Ineligible, RuleWindow, Fail},
		{"anchored on the later of paid and delivered", func(f *Facts) {
			f.DeliveredAt = paid.Add(9 * time.Minute)
			f.RequestedAt = paid.Add(24*time.Hour + 5*time.Minute)
		}, Eligible, RuleWindow, Pass},
		{"undelivered is cancellable in full", func(f *Facts) {
			f.DeliveredAt, f.DeliverBy, f.OrderState = time.Time{}, paid.Add(72*time.Hour), "paid"
			f.RequestedAt = paid.Add(48 * time.Hour)
		}, Eligible, RuleWindow, Pass},
		{"10^9 bytes", func(f *Facts) { f.BilledBytes = 1_000_000_000 }, Eligible, RuleUsage, Pass},
		{"exactly 2^30 bytes", func(f *Facts) { f.BilledBytes = gib }, Eligible, RuleUsage, Pass},
		{"2^30 + 1 bytes", func(f *Facts) { f.BilledBytes = gib + 1 }, Ineligible, RuleUsage, Fail},
		{"usage unknown", func(f *Facts) { f.UsageKnown = false }, NeedsReview, RuleUsage, Review},
		{"a renewal", func(f *Facts) { f.Purpose = "renewal" }, Ineligible, RulePurpose, Fail},
		{"an upgrade", func(f *Facts) { f.Purpose = "upgrade" }, Ineligible, RulePurpose, Fail},
		{"banned", func(f *Facts) { f.Banned = true }, Ineligible, RuleStanding, Fail},
		{"open violation case", func(f *Facts) { f.OpenCases = []string{"VC-1"} }, Ineligible, RuleStanding, Fail},
		{"already refunded", func(f *Facts) { f.OrderState = "refunded" }, Ineligible, RuleState, Fail},
		{"unpaid", func(f *Facts) { f.PaidAt, f.OrderState = time.Time{}, "created" }, Ineligible, RuleState, Fail},
		{"a second request", func(f *Facts) { f.OpenRequest = true }, Ineligible, RuleState, Fail},
		{"home broadband not yet opened", func(f *Facts) {
			f.Lines[0].Class, f.DeliveredAt, f.DeliverBy, f.OrderState = catalog.ClassHomeBroadband, time.Time{}, paid.Add(24*time.Hour), "paid"
		}, Eligible, RuleClass, Pass},
		{"home broadband opened", func(f *Facts) { f.Lines[0].Class = catalog.ClassHomeBroadband }, Ineligible, RuleClass, Fail},
		{"certificate validating", func(f *Facts) {
			f.Lines[0].Class, f.Lines[0].CertState, f.Metered = catalog.ClassCertificate, CertValidating, false
		}, Eligible, RuleClass, Pass},
		{"certificate at the CA, not delivered", func(f *Facts) {
			f.Lines[0].Class, f.Lines[0].CertState, f.Metered = catalog.ClassCertificate, CertSubmittedToCA, false
			f.DeliveredAt, f.DeliverBy, f.OrderState = time.Time{}, paid.Add(72*time.Hour), "provisioning"
		}, Ineligible, RuleClass, Fail},
		{"certificate rejected by the CA", func(f *Facts) {
			f.Lines[0].Class, f.Lines[0].CertState, f.Metered = catalog.ClassCertificate, CertCARejected, false
		}, Eligible, RuleClass, Pass},
		{"pack on its own", func(f *Facts) { f.Lines[0].Class = catalog.ClassTrafficPack }, Ineligible, RuleClass, Fail},
		{"unused pack with its parent", func(f *Facts) {
			f.Lines[0].Class, f.Lines[0].PackFollowsParent = catalog.ClassTrafficPack, true
		}, Eligible, RuleClass, Pass},
		{"used pack with its parent", func(f *Facts) {
			f.Lines[0].Class, f.Lines[0].PackFollowsParent, f.Lines[0].PackUsedBytes = catalog.ClassTrafficPack, true, 1
		}, Ineligible, RuleClass, Fail},
		{"late delivery of home broadband, late request, heavy use: breach refunds in full", func(f *Facts) {
			f.Lines[0].Class, f.DeliveredAt, f.BilledBytes = catalog.ClassHomeBroadband, paid.Add(30*time.Hour), 50*gib
			f.RequestedAt, f.Purpose = paid.Add(200*time.Hour), "new"
		}, Eligible, RuleDeliveryBreach, Pass},
		{"breach while still undelivered at the deadline", func(f *Facts) {
			f.DeliveredAt, f.OrderState, f.RequestedAt = time.Time{}, "provisioning", f.DeliverBy
		}, Eligible, RuleDeliveryBreach, Pass},
		{"one millisecond before the deadline is no breach", func(f *Facts) {
			f.DeliveredAt, f.OrderState, f.RequestedAt = time.Time{}, "provisioning", f.DeliverBy.Add(-time.Millisecond)
		}, Eligible, RuleDeliveryBreach, Skip},
	}
	for _, c := range cases {
		f := base()
		f.Lines = append([]Line(nil), f.Lines...)
		c.edit(&f)
		d := Evaluate(f, set)
		if d.Outcome != c.want {
			t.Errorf("%s: %s, want %s\n%+v", c.name, d.Outcome, c.want, d.Trace)
			continue
		}
		if s := step(d, c.rule); s.Outcome != c.ruleIs || s.ZH == "" || s.EN == "" || s.Clause == "" {
			t.Errorf("%s: rule %s = %+v, want %s with sentences and a clause", c.name, c.rule, s, c.ruleIs)
		}
		if (d.Outcome == Ineligible) != (d.AmountFen == 0) {
			t.Errorf("%s: amount %d for %s", c.name, d.AmountFen, d.Outcome)
		}
	}
}

func TestTraceExplainsTheWindow(t *testing.T) {
	t.Parallel()
	f := base()
	f.DeliveredAt = time.Date(2026, 6, 19, 0, 3, 10, 0, loc)
	f.RequestedAt = time.Date(2026, 6, 19, 23, 40, 0, 0, loc)
	d := Evaluate(f, policy.ProjectDefaults())
	w := step(d, RuleWindow)
	if w.Inputs["paid_at"] != "2026-06-18 23:59:00 +08:00" || w.Inputs["window_ends"] != "2026-06-20 00:03:10 +08:00" ||
		!strings.Contains(w.EN, "ending 2026-06-20 00:03:10 +08:00 inclusive") || w.Clause != "3.1" {
		t.Fatalf("window step = %+v", w)
	}
	if d.Sentence("en") == d.Sentence("zh-CN") {
		t.Fatal("one sentence for both languages")
	}
}

func TestPolicyChangesTheRules(t *testing.T) {
	t.Parallel()
	set, err := policy.ProjectDefaults().With(map[string]string{"refund.window": "48h", "refund.applies_to": "new_purchase,renewal"})
	if err != nil {
		t.Fatal(err)
	}
	f := base()
	f.Purpose = "renewal"
	f.RequestedAt = f.DeliveredAt.Add(47 * time.Hour)
	if d := Evaluate(f, set); d.Outcome != Eligible {
		t.Fatalf("under a 48 h window that covers renewals: %+v", d)
	}
}

// BenchmarkEvaluate is the pure refund-eligibility decision (clauses 2.2,
// 3.1, 3.2) with its trace, on facts that pass every rule: the part of
// GET /orders/{id}/refund-eligibility that is not storage or HTTP
// (yuanxu bench measures the whole request).
func BenchmarkEvaluate(b *testing.B) {
	set := policy.ProjectDefaults()
	f := base()
	for b.Loop() {
		if d := Evaluate(f, set); d.Outcome == "" {
			b.Fatal("no outcome")
		}
	}
}
