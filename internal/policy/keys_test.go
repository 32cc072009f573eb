package policy

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// design is DESIGN.md §3, copied by hand: a key renamed, dropped or moved to
// another clause there or here fails TestRegistryMatchesDesign. clause "—"
// means §3 names no clause and the key must carry a Basis instead.
var design = []struct {
	key, def, clause string
	required         bool
}{
	{"refund.window", "24h", "3.1", true},
	{"refund.window_anchor", "later_of_paid_delivered", "3.1", true},
	{"refund.traffic_threshold_bytes", "1073741824", "3.1.a", true},
	{"refund.applies_to", "new_purchase", "3.1", true},
	{"refund.review_working_days", "3", "3.1", true},
	{"refund.on_review_breach", "escalate_then_approve_if_checks_passed", "3.1", true},
	{"refund.destinations", "original_route,balance,swap", "3.1, 6.2", true},
	{"refund.payout_days", "7", "6.2", true},
	{"refund.dual_control_fen", "100000", "—", false},
	{"refund.cert_refundable_before", "submitted_to_ca", "3.2.2", true},
	{"refund.unused_packs_follow_parent", "true", "3.2.3", true},
	{"inspection.window", "24h", "2.3", true},
	{"kyc.min_age_years", "18", "2.1", true},
	{"kyc.required_before", "pay_provisioned", "2.1", true},
	{"order.unpaid_expiry", "30m", "2.2", false},
	{"ban.freeze_balance", "true", "3.2.4, 4.3", true},
	{"compliance.emergency_confirm_hours", "24", "4.2", true},
	{"appeal.window_working_days", "", "6.2", true},
	{"appeal.review_working_days", "5", "6.2", true},
	{"maintenance.notice_hours", "72", "6.2, 7.3", true},
	{"agreement.notice_days", "7", "9.4", true},
	{"assignment.notice_days", "30", "9.3", true},
	{"ticket.auto_close_days", "7", "5", false},
	{"retention.network_logs_days", "183", "—", true},
	{"retention.transactions_years", "3", "—", true},
	{"retention.kyc_after_closure_years", "3", "6.2", true},
	{"legal.venue", "", "8", true},
}

func TestRegistryMatchesDesign(t *testing.T) {
	t.Parallel()
	for _, tc := range design {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			k, ok := Lookup(tc.key)
			if !ok {
				t.Fatalf("key %s not registered", tc.key)
			}
			if k.Default != tc.def {
				t.Errorf("default = %q, want %q", k.Default, tc.def)
			}
			if k.Required != tc.required {
				t.Errorf("required = %v, want %v", k.Required, tc.required)
			}
			if tc.clause == "—" {
				if len(k.Clauses) != 0 || k.Basis == "" {
					t.Errorf("clauses %v, basis %q: want no clause and a basis", k.Clauses, k.Basis)
				}
			} else if got := strings.Join(k.Clauses, ", "); got != tc.clause {
				t.Errorf("clauses = %q, want %q", got, tc.clause)
			}
		})
	}
	if len(Keys()) != len(design) {
		t.Errorf("registry has %d keys, DESIGN.md §3 has %d: %v", len(Keys()), len(design), Keys())
	}
}

func TestRegistryDescriptors(t *testing.T) {
	t.Parallel()
	names := Keys()
	if !slices.IsSorted(names) {
		t.Errorf("Keys not sorted: %v", names)
	}
	reg := Registry()
	for i, k := range reg {
		if k.Name != names[i] {
			t.Errorf("Registry()[%d] = %s, Keys()[%d] = %s", i, k.Name, i, names[i])
		}
		if k.Type.String() == "invalid" {
			t.Errorf("%s: no type", k.Name)
		}
		if len(k.Clauses) == 0 && k.Basis == "" {
			t.Errorf("%s: neither clause nor basis", k.Name)
		}
		if k.Desc.ZH == "" || k.Desc.EN == "" {
			t.Errorf("%s: description missing a language: %+v", k.Name, k.Desc)
		}
		if !k.HasDefault() && !k.Required {
			t.Errorf("%s: optional key without a default", k.Name)
		}
		switch k.Type {
		case TypeEnum, TypeEnumList:
			if len(k.Enum) == 0 {
				t.Errorf("%s: enum without values", k.Name)
			}
		case TypeDuration, TypeInt, TypeBytes, TypeFen, TypeString:
			if k.Min > k.Max {
				t.Errorf("%s: min %d > max %d", k.Name, k.Min, k.Max)
			}
		}
		if k.HasDefault() {
			canon, err := k.Parse(k.Default)
			if err != nil {
				t.Errorf("%s: default %q fails its own validation: %v", k.Name, k.Default, err)
			} else if canon != k.Default {
				t.Errorf("%s: default %q is not canonical (%q)", k.Name, k.Default, canon)
			}
		}
	}
	// Descriptors are copies.
	reg[0].Enum = append(reg[0].Enum, "x")
	reg[0].Name = "changed"
	if Registry()[0].Name == "changed" {
		t.Error("Registry exposes the registry itself")
	}
	if _, ok := Lookup("no.such_key"); ok {
		t.Error("Lookup found an unregistered key")
	}
}

// TestGetters reads every key through its typed constant: a constant of the
// wrong Go type would panic here.
func TestGetters(t *testing.T) {
	t.Parallel()
	s := ProjectDefaults()
	got := map[string]string{
		string(RefundWindow):                    formatDuration(s.Duration(RefundWindow)),
		string(RefundWindowAnchor):              s.String(RefundWindowAnchor),
		string(RefundTrafficThresholdBytes):     strconv.FormatInt(s.Int64(RefundTrafficThresholdBytes), 10),
		string(RefundAppliesTo):                 strings.Join(s.Strings(RefundAppliesTo), ","),
		string(RefundReviewWorkingDays):         strconv.Itoa(s.Int(RefundReviewWorkingDays)),
		string(RefundOnReviewBreach):            s.String(RefundOnReviewBreach),
		string(RefundDestinations):              strings.Join(s.Strings(RefundDestinations), ","),
		string(RefundPayoutDays):                strconv.Itoa(s.Int(RefundPayoutDays)),
		string(RefundDualControlFen):            strconv.FormatInt(s.Int64(RefundDualControlFen), 10),
		string(RefundCertRefundableBefore):      s.String(RefundCertRefundableBefore),
		string(RefundUnusedPacksFollowParent):   strconv.FormatBool(s.Bool(RefundUnusedPacksFollowParent)),
		string(InspectionWindow):                formatDuration(s.Duration(InspectionWindow)),
		string(KYCMinAgeYears):                  strconv.Itoa(s.Int(KYCMinAgeYears)),
		string(KYCRequiredBefore):               s.String(KYCRequiredBefore),
		string(OrderUnpaidExpiry):               formatDuration(s.Duration(OrderUnpaidExpiry)),
		string(BanFreezeBalance):                strconv.FormatBool(s.Bool(BanFreezeBalance)),
		string(ComplianceEmergencyConfirmHours): strconv.Itoa(s.Int(ComplianceEmergencyConfirmHours)),
		string(AppealWindowWorkingDays):         strconv.Itoa(s.Int(AppealWindowWorkingDays)),
		string(AppealReviewWorkingDays):         strconv.Itoa(s.Int(AppealReviewWorkingDays)),
		string(MaintenanceNoticeHours):          strconv.Itoa(s.Int(MaintenanceNoticeHours)),
		string(AgreementNoticeDays):             strconv.Itoa(s.Int(AgreementNoticeDays)),
		string(AssignmentNoticeDays):            strconv.Itoa(s.Int(AssignmentNoticeDays)),
		string(TicketAutoCloseDays):             strconv.Itoa(s.Int(TicketAutoCloseDays)),
		string(RetentionNetworkLogsDays):        strconv.Itoa(s.Int(RetentionNetworkLogsDays)),
		string(RetentionTransactionsYears):      strconv.Itoa(s.Int(RetentionTransactionsYears)),
		string(RetentionKYCAfterClosureYears):   strconv.Itoa(s.Int(RetentionKYCAfterClosureYears)),
		string(LegalVenue):                      s.String(LegalVenue),
	}
	want := s.Values()
	if len(got) != len(want) {
		t.Errorf("getters cover %d keys, the registry has %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: getter gives %q, Values %q", k, got[k], w)
		}
	}
	// Spot checks of the typed values themselves.
	if s.Duration(RefundWindow) != 24*time.Hour || s.Int64(RefundTrafficThresholdBytes) != 1<<30 ||
		s.Int(AppealWindowWorkingDays) != 15 || !s.Includes(RefundDestinations, DestinationSwap) {
		t.Errorf("unexpected project defaults: %v", want)
	}
}

func TestGetterPanicsOnUnregisteredKey(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"unregistered": func() { ProjectDefaults().Int(IntKey("no.such_key")) },
		"wrong type":   func() { ProjectDefaults().Int(IntKey(RefundWindow)) },
		"zero Set":     func() { new(Set).Int(KYCMinAgeYears) },
		"nil Set":      func() { (*Set)(nil).Bool(BanFreezeBalance) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// TestPureDomain enforces DESIGN.md §6: no SQL, no HTTP in a domain package.
func TestPureDomain(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "database/sql" || p == "net/http" || strings.HasPrefix(p, "database/sql/") || strings.HasPrefix(p, "net/http/") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
