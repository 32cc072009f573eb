package agreement_test

import (
	"slices"
	"testing"

	"yuanxu/internal/agreement"
	"yuanxu/internal/policy"
)

// TestEveryCitedClauseExistsInTheDefault: each id the code may cite — the
// catalogue, every Cite call made so far and every clause a policy key
// names — is a clause of the shipped default agreement.
func TestEveryCitedClauseExistsInTheDefault(t *testing.T) {
	t.Parallel()
	d := agreement.Default()
	for _, id := range agreement.CitedIDs() {
		if _, ok := d.Clause(agreement.ClauseID(id)); !ok {
			t.Errorf("cited clause %s is not in the default agreement", id)
		}
	}
	for _, c := range agreement.Citations() {
		if _, ok := d.Clause(c.ID); !ok {
			t.Errorf("%s cites %s, which is not in the default agreement", c.Where, c.ID)
		}
	}
	for _, k := range policy.Registry() {
		for _, c := range k.Clauses {
			if !slices.Contains(agreement.CitedIDs(), c) {
				t.Errorf("policy key %s names clause %s, missing from CitedIDs", k.Name, c)
			}
			if !slices.Contains(agreement.Catalogue(), agreement.ClauseID(c)) {
				t.Errorf("policy key %s names clause %s, missing from the catalogue", k.Name, c)
			}
		}
	}
}

func TestCitationsRecordWhereAndIncludePolicy(t *testing.T) {
	t.Parallel()
	id := agreement.Cite(agreement.ClauseRefundTraffic, "agreement_test: traffic rule")
	if id != "3.1.a" {
		t.Errorf("Cite returned %q", id)
	}
	cs := agreement.Citations()
	for _, want := range []agreement.Citation{
		{ID: "3.1.a", Where: "agreement_test: traffic rule"},
		{ID: "3.1.a", Where: "policy:refund.traffic_threshold_bytes"},
		{ID: "9.4", Where: "agreement.Schedule: notice days, sign-off, material changes"},
	} {
		if !slices.Contains(cs, want) {
			t.Errorf("Citations lacks %+v", want)
		}
	}
	if !slices.IsSortedFunc(cs, func(a, b agreement.Citation) int { return agreement.CompareIDs(a.ID, b.ID) }) {
		t.Error("Citations not sorted by id")
	}
}

func TestCiteRefusesAnUnknownClause(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Cite of an unknown clause did not panic")
		}
	}()
	agreement.Cite("3.9.z", "agreement_test")
}

func TestCompareIDs(t *testing.T) {
	t.Parallel()
	ordered := []agreement.ClauseID{"1", "2", "2.1", "2.3", "3", "3.1", "3.1.a", "3.1.b", "3.2", "3.2.4", "3.10", "9.4", "10", "A", "B.1"}
	for i := range ordered {
		for j := range ordered {
			got := agreement.CompareIDs(ordered[i], ordered[j])
			if (got < 0) != (i < j) || (got == 0) != (i == j) {
				t.Errorf("CompareIDs(%s, %s) = %d", ordered[i], ordered[j], got)
			}
		}
	}
	if agreement.CompareIDs("07", "7") == 0 {
		t.Error("07 and 7 are different ids")
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   agreement.ClauseID
		want bool
	}{
		{"1", true}, {"3.1.a", true}, {"A", true}, {"9.4", true},
		{"", false}, {".1", false}, {"1.", false}, {"3..1", false}, {"3.1-a", false}, {"三", false},
		{"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q", false}, // 33 bytes
	}
	for _, tt := range tests {
		if got := agreement.ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
