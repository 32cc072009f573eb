package kyc_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/policy"
)

func TestStateMachine(t *testing.T) {
	t.Parallel()
	allowed := map[[2]kyc.State]bool{
		{kyc.StateUnverified, kyc.StatePending}:        true,
		{kyc.StatePending, kyc.StateInfoRequested}:     true,
		{kyc.StateInfoRequested, kyc.StatePending}:     true,
		{kyc.StatePending, kyc.StateApproved}:          true,
		{kyc.StatePending, kyc.StateRejected}:          true,
		{kyc.StateRejected, kyc.StatePending}:          true,
		{kyc.StateApproved, kyc.StateReverifyRequired}: true,
		{kyc.StateReverifyRequired, kyc.StatePending}:  true,
	}
	for _, from := range kyc.States() {
		for _, to := range kyc.States() {
			t.Run(fmt.Sprintf("%s_to_%s", from, to), func(t *testing.T) {
				t.Parallel()
				want := allowed[[2]kyc.State{from, to}]
				if kyc.CanMoveTo(from, to) != want || slices.Contains(from.Targets(), to) != want {
					t.Fatalf("CanMoveTo = %v, want %v", !want, want)
				}
				err := kyc.Move(from, to)
				if want {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				var e *errs.Error
				if !errors.As(err, &e) || e.Kind != errs.Conflict || e.Code != kyc.CodeStateTransition ||
					e.Params["from"] != string(from) || e.Params["to"] != string(to) {
					t.Fatalf("Move: %v", err)
				}
			})
		}
	}
}

func TestMoveRefusesUnknownStates(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]kyc.State{{"", kyc.StatePending}, {kyc.StatePending, "APPROVED"}, {"verified", "approved"}} {
		if err := kyc.Move(c[0], c[1]); errs.CodeOf(err) != kyc.CodeStateUnknown || errs.KindOf(err) != errs.Invalid {
			t.Errorf("Move(%q, %q) = %v", c[0], c[1], err)
		}
	}
}

func TestOnlyApprovedAllowsProvisionedPurchase(t *testing.T) {
	t.Parallel()
	for _, s := range append(kyc.States(), "") {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			want := s == kyc.StateApproved
			if kyc.AllowsProvisionedPurchase(s) != want {
				t.Fatalf("AllowsProvisionedPurchase = %v", !want)
			}
			err := kyc.CheckPurchase(s)
			if want {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Conflict || e.Code != kyc.CodeRequired ||
				e.Params["clause"] != "2.1" || e.Params["policy"] != string(policy.KYCRequiredBefore) || e.Params["state"] != string(s) {
				t.Fatalf("CheckPurchase: %+v", err)
			}
		})
	}
	if _, ok := policy.Lookup(string(policy.KYCRequiredBefore)); !ok {
		t.Error("kyc.required_before is not a registered policy key")
	}
}

func TestReasons(t *testing.T) {
	t.Parallel()
	seen := map[kyc.ReasonCode]bool{}
	for _, r := range kyc.Reasons() {
		if seen[r.Code] || !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(string(r.Code)) {
			t.Errorf("reason code %q duplicated or malformed", r.Code)
		}
		seen[r.Code] = true
		if r.Text.ZH == "" || r.Text.EN == "" || r.Clause == "" || r.Use == 0 {
			t.Errorf("reason %q incomplete: %+v", r.Code, r)
		}
		if got, ok := kyc.LookupReason(r.Code); !ok || got.Code != r.Code {
			t.Errorf("LookupReason(%q)", r.Code)
		}
	}
	cases := []struct {
		to   kyc.State
		code kyc.ReasonCode
		rule string // "" when accepted
	}{
		{kyc.StateRejected, kyc.ReasonIdentityMismatch, ""},
		{kyc.StateRejected, "", "required"},
		{kyc.StateRejected, "no_such_reason", "enum"},
		{kyc.StateRejected, kyc.ReasonLicenceUnreadable, "enum"}, // asks for more; never a refusal
		{kyc.StateInfoRequested, kyc.ReasonLicenceUnreadable, ""},
		{kyc.StateInfoRequested, kyc.ReasonUnderage, "enum"},
		{kyc.StateInfoRequested, "", "required"},
		{kyc.StateApproved, "", ""},
		{kyc.StateApproved, kyc.ReasonOther, "not_allowed"},
	}
	for _, c := range cases {
		err := kyc.CheckReason(c.to, c.code)
		if c.rule == "" {
			if err != nil {
				t.Errorf("CheckReason(%s, %q): %v", c.to, c.code, err)
			}
			continue
		}
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != kyc.CodeReasonInvalid || len(e.Fields) != 1 || e.Fields[0].Rule != c.rule {
			t.Errorf("CheckReason(%s, %q) = %v, want rule %s", c.to, c.code, err, c.rule)
		}
	}
}

func TestSandboxVerifier(t *testing.T) {
	t.Parallel()
	ind := kyc.IndividualInput{Name: "张三", IDNumber: "11010519491231002X", Phone: "13800138000"}
	ent := kyc.EnterpriseInput{CompanyName: "某某公司", USCC: "91350100M000100Y43", Representative: "李四", Phone: "13800138000", Licence: pdfFile}
	sub := func(s kyc.Subject, i kyc.IndividualInput, e kyc.EnterpriseInput) kyc.Submission {
		return kyc.Submission{Subject: s, Individual: i, Enterprise: e, At: testNow, MinAge: 18, MaxLicenceBytes: maxLicence}
	}
	underage := ind
	underage.IDNumber = pii.Secret(refIDCheck(t, "11010520100101001"))
	badCheck := ind
	badCheck.IDNumber = "110105194912310021"
	warned := ent
	warned.USCC = pii.Secret(refUSCCCheck(t, "91350100123456780"))
	cases := []struct {
		name   string
		s      kyc.Submission
		want   kyc.Verdict
		target kyc.State
	}{
		{"IndividualApproved", sub(kyc.SubjectIndividual, ind, kyc.EnterpriseInput{}), kyc.Verdict{Decision: kyc.DecisionApprove, Ref: "sandbox"}, kyc.StateApproved},
		{"EnterpriseApproved", sub(kyc.SubjectEnterprise, kyc.IndividualInput{}, ent), kyc.Verdict{Decision: kyc.DecisionApprove, Ref: "sandbox"}, kyc.StateApproved},
		{"UnderageRejected", sub(kyc.SubjectIndividual, underage, kyc.EnterpriseInput{}), kyc.Verdict{Decision: kyc.DecisionReject, Reason: kyc.ReasonUnderage, Ref: "sandbox"}, kyc.StateRejected},
		{"BadCheckRejected", sub(kyc.SubjectIndividual, badCheck, kyc.EnterpriseInput{}), kyc.Verdict{Decision: kyc.DecisionReject, Reason: kyc.ReasonDataInvalid, Ref: "sandbox"}, kyc.StateRejected},
		{"WarningGoesToManualReview", sub(kyc.SubjectEnterprise, kyc.IndividualInput{}, warned), kyc.Verdict{Decision: kyc.DecisionManual, Reason: kyc.ReasonOrgCodeCheck, Ref: "sandbox"}, kyc.StatePending},
		{"UnknownSubjectRejected", sub("robot", ind, ent), kyc.Verdict{Decision: kyc.DecisionReject, Reason: kyc.ReasonDataInvalid, Ref: "sandbox"}, kyc.StateRejected},
	}
	var v kyc.Verifier = kyc.SandboxVerifier{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Verify(context.Background(), c.s)
			if err != nil || got != c.want || got.Target() != c.target {
				t.Fatalf("Verify = %+v, %v; want %+v", got, err, c.want)
			}
			if err := got.Check(); err != nil {
				t.Fatalf("the sandbox's own verdict does not check: %v", err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, cases[0].s); err != context.Canceled {
		t.Errorf("cancelled context: %v", err)
	}
	noLimit := cases[1].s
	noLimit.MaxLicenceBytes = 0
	if _, err := v.Verify(context.Background(), noLimit); errs.KindOf(err) != errs.Internal {
		t.Errorf("no licence limit: %v", err)
	}
}

func TestVerdictCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v  kyc.Verdict
		ok bool
	}{
		{kyc.Verdict{Decision: kyc.DecisionApprove}, true},
		{kyc.Verdict{Decision: kyc.DecisionApprove, Reason: kyc.ReasonOther}, false},
		{kyc.Verdict{Decision: kyc.DecisionReject}, false},
		{kyc.Verdict{Decision: kyc.DecisionReject, Reason: kyc.ReasonIdentityMismatch}, true},
		{kyc.Verdict{Decision: kyc.DecisionManual}, true},
		{kyc.Verdict{Decision: kyc.DecisionManual, Reason: "made_up"}, false},
		{kyc.Verdict{Decision: "maybe"}, false},
	}
	for _, c := range cases {
		if err := c.v.Check(); (err == nil) != c.ok {
			t.Errorf("Check(%+v) = %v", c.v, err)
		}
	}
}

// TestMessagesCoverEveryCode: every code and rule the package emits has a
// catalog entry in both languages with the same placeholders.
func TestMessagesCoverEveryCode(t *testing.T) {
	t.Parallel()
	m := kyc.Messages()
	codes := []string{kyc.CodeIDFormat, kyc.CodeIDLegacy15, kyc.CodeIDChecksum, kyc.CodeIDBirthDate, kyc.CodeIDFutureBirth, kyc.CodeIDUnderage,
		kyc.CodeUSCCFormat, kyc.CodeUSCCForbidden, kyc.CodeUSCCChecksum, kyc.CodeLicenceEmpty, kyc.CodeLicenceType, kyc.CodeLicenceTooLarge,
		kyc.CodeSubmissionInvalid, kyc.CodeStateUnknown, kyc.CodeStateTransition, kyc.CodeRequired, kyc.CodeReasonInvalid}
	var keys []string
	for _, c := range codes {
		keys = append(keys, "error."+c)
		if c != kyc.CodeSubmissionInvalid && !strings.HasPrefix(c, "kyc.state") && c != kyc.CodeRequired && c != kyc.CodeReasonInvalid {
			keys = append(keys, "rule."+strings.TrimPrefix(c, "kyc."))
		}
	}
	keys = append(keys, "rule.name_chars", "rule.phone", "warning."+kyc.CodeUSCCOrgCode)
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("no message %s", k)
		}
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for k, v := range m {
		zh, en := ph.FindAllString(v.ZH, -1), ph.FindAllString(v.EN, -1)
		slices.Sort(zh)
		slices.Sort(en)
		if v.ZH == "" || v.EN == "" || !slices.Equal(zh, en) {
			t.Errorf("%s: %q / %q", k, v.ZH, v.EN)
		}
	}
}
