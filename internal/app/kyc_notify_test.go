package app_test

import (
	"context"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/kyc"
	"yuanxu/internal/notify"
)

// TestKYCDecisionNotifies: each reviewer decision (approve, reject with a
// reason, ask for more) writes one kyc.decided notification to the
// customer's inbox and email, in the decision's transaction, carrying the
// reason and note but none of the personal data submitted.
func TestKYCDecisionNotifies(t *testing.T) {
	t.Parallel()
	s := newKYCApp(t, nil)
	ctx := context.Background()
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	ind, pi := s.customer(t, "individual")
	ent, pe := s.customer(t, "enterprise")
	ind2, pi2 := s.customer(t, "individual")

	v, err := s.a.KYCSubmit(ctx, pi, ind.view.ID, individualForm(leakName, leakID, leakPhone))
	if err != nil {
		t.Fatal(err)
	}
	ve, err := s.a.KYCSubmit(ctx, pe, ent.view.ID, enterpriseForm(leakUSCC))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.a.KYCSubmit(ctx, pi2, ind2.view.ID, individualForm("王小二", app.DemoResidentID("19900101", 123), "13800001111"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.a.KYCPendingCount(ctx); err != nil || n != 3 {
		t.Fatalf("pending count = %d, %v; want 3", n, err)
	}
	if _, err := s.a.KYCDecide(ctx, officer, v.Current.ID, app.KYCDecision{Decision: app.KYCApprove}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.KYCDecide(ctx, officer, ve.Current.ID, app.KYCDecision{Decision: app.KYCReject, Reason: kyc.ReasonLicenceMismatch, Note: "执照名称与公司名称不一致"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.KYCDecide(ctx, officer, v2.Current.ID, app.KYCDecision{Decision: app.KYCRequestInfo, Reason: kyc.ReasonDataInvalid}); err != nil {
		t.Fatal(err)
	}
	// A decision that fails (already decided) notifies nobody.
	if _, err := s.a.KYCDecide(ctx, officer, v.Current.ID, app.KYCDecision{Decision: app.KYCReject, Reason: kyc.ReasonOther}); err == nil {
		t.Fatal("second decision accepted")
	}
	if n, err := s.a.KYCPendingCount(ctx); err != nil || n != 0 {
		t.Fatalf("pending count = %d, %v; want 0", n, err)
	}
	mismatch, _ := kyc.LookupReason(kyc.ReasonLicenceMismatch)
	invalid, _ := kyc.LookupReason(kyc.ReasonDataInvalid)
	for _, c := range []struct {
		account      string
		title        string
		body, absent []string
	}{
		{ind.view.ID, "实名认证已通过", []string{"审核通过"}, []string{"原因"}},
		{ent.view.ID, "实名认证未通过", []string{mismatch.Text.ZH, "执照名称与公司名称不一致", "重新提交"}, nil},
		{ind2.view.ID, "实名认证需补充材料", []string{invalid.Text.ZH}, []string{"说明："}},
	} {
		items, err := s.a.Inbox(ctx, c.account, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			if it.Event == string(notify.EventKYCDecided) {
				got = append(got, it.Title)
				for _, w := range c.body {
					if !strings.Contains(it.Body, w) {
						t.Errorf("%s: body lacks %q:\n%s", c.title, w, it.Body)
					}
				}
				for _, w := range append(c.absent, leakName, leakID, leakUSCC, leakPhone, leakRep, "王小二") {
					if strings.Contains(it.Body, w) || strings.Contains(it.Title, w) {
						t.Errorf("%s: notification carries %q:\n%s", c.title, w, it.Body)
					}
				}
			}
		}
		if len(got) != 1 || got[0] != c.title {
			t.Errorf("account %s: kyc.decided inbox titles %q, want [%s]", c.account, got, c.title)
		}
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notify_delivery d JOIN notification n ON n.id = d.notification_id WHERE n.event = 'kyc.decided' AND d.channel = 'email'`); n != 3 {
		t.Errorf("kyc.decided email deliveries = %d, want 3", n)
	}
}

// TestKYCDecidedTemplatesEnglish renders the English templates of each
// outcome.
func TestKYCDecidedTemplatesEnglish(t *testing.T) {
	t.Parallel()
	cat, err := notify.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reject, _ := kyc.LookupReason(kyc.ReasonLicenceMismatch)
	for _, c := range []struct {
		vars          map[string]string
		subject, want string
	}{
		{map[string]string{"outcome": "approved", "reason": "", "note": ""}, "Real-name verification approved", "has been approved"},
		{map[string]string{"outcome": "rejected", "reason": reject.Text.EN, "note": "Name differs"}, "Real-name verification not approved", "Reason: " + reject.Text.EN + "\nNote: Name differs"},
		{map[string]string{"outcome": "info_requested", "reason": "x", "note": ""}, "Real-name verification: more information needed", "to submit again"},
	} {
		r, err := cat.Render(notify.EventKYCDecided, notify.En, c.vars, notify.RenderOptions{Brand: "yuanxu"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject != c.subject || !strings.Contains(r.Text, c.want) {
			t.Errorf("%s: subject %q, text:\n%s", c.vars["outcome"], r.Subject, r.Text)
		}
	}
}
