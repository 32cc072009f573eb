package account_test

import (
	"slices"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func TestStandingBlocks(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 6, 18, 8, 0, 0, 0, time.UTC)
	m := &account.Measure{Reason: "phishing site", CaseRef: "VC-7", Since: since}
	good := account.Standing{}
	restricted := account.Standing{Restricted: m}
	suspended := account.Standing{Suspended: m}
	banned := account.Standing{Banned: m}
	tests := []struct {
		action                    account.Action
		restrict, suspend, banned string // blocking clause, "" if allowed
	}{
		{account.ActionOrder, "4.2", "4.2", "4.2"},
		{account.ActionRenew, "", "4.2", "4.2"},
		{account.ActionServiceManage, "", "4.2", "4.2"},
		{account.ActionTopUp, "", "", "4.3"},
		{account.ActionWithdraw, "", "", "4.3"},
		{account.ActionRefundNoFault, "", "", "3.2.4"},
		{account.ActionLogin, "", "", ""},
		{account.ActionAppeal, "", "", ""},
		{account.ActionTicket, "", "", ""},
		{account.ActionRefundFault, "", "", ""},
		{account.ActionPIRequest, "", "", ""},
	}
	for _, tt := range tests {
		if good.Blocks(tt.action) || good.Check(tt.action) != nil {
			t.Errorf("good standing blocks %s", tt.action)
		}
		for _, c := range []struct {
			s      account.Standing
			flag   account.Flag
			clause string
		}{{restricted, account.FlagRestricted, tt.restrict}, {suspended, account.FlagSuspended, tt.suspend}, {banned, account.FlagBanned, tt.banned}} {
			err := c.s.Check(tt.action)
			if c.s.Blocks(tt.action) != (c.clause != "") || (err != nil) != (c.clause != "") {
				t.Errorf("%s %s: Blocks %v, Check %v; want clause %q", c.flag, tt.action, c.s.Blocks(tt.action), err, c.clause)
				continue
			}
			if err == nil {
				continue
			}
			var e *errs.Error
			if !asErr(err, &e) || e.Kind != errs.Forbidden || e.Code != "standing."+string(c.flag) || e.Params["clause"] != c.clause ||
				e.Params["case_ref"] != "VC-7" || e.Params["reason"] != "phishing site" || e.Params["since"] != since.UnixMilli() || e.Params["action"] != string(tt.action) {
				t.Errorf("%s %s: %#v", c.flag, tt.action, err)
			}
		}
	}
	for _, a := range account.NeverBlocked {
		all := account.Standing{Restricted: m, Suspended: m, Banned: m}
		if all.Blocks(a) {
			t.Errorf("%s is blocked", a)
		}
	}
}

func TestStandingWorstAndMerge(t *testing.T) {
	t.Parallel()
	own := &account.Measure{CaseRef: "own"}
	ent := &account.Measure{CaseRef: "ent"}
	s := account.Standing{Restricted: own}
	if s.Good() || s.Worst() != account.FlagRestricted || !(account.Standing{}).Good() || (account.Standing{}).Worst() != "" {
		t.Error("Good/Worst")
	}
	merged := s.Merge(account.Standing{Restricted: ent, Banned: ent})
	if merged.Worst() != account.FlagBanned || merged.Restricted.CaseRef != "ent" || merged.Suspended != nil {
		t.Errorf("Merge = %+v", merged)
	}
	ms := merged.Measures()
	if len(ms) != 2 || ms[0].Flag != account.FlagRestricted || ms[1].Flag != account.FlagBanned {
		t.Errorf("Measures = %+v", ms)
	}
	// The most severe blocking flag is reported.
	both := account.Standing{Restricted: own, Banned: ent}
	if errs.CodeOf(both.Check(account.ActionOrder)) != "standing.banned" {
		t.Errorf("both: %v", both.Check(account.ActionOrder))
	}
	if !slices.ContainsFunc(account.NeverBlocked, func(a account.Action) bool { return a == account.ActionAppeal }) {
		t.Error("appeals must never be blocked (clause 6.2)")
	}
	if !account.FlagBanned.Valid() || account.Flag("exiled").Valid() {
		t.Error("Flag.Valid")
	}
	if both.Measure("exiled") != nil {
		t.Error("unknown flag has a measure")
	}
}
