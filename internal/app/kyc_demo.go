package app

import (
	"bytes"
	"context"
	"fmt"

	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
)

// demoLicencePNG is a tiny PNG standing in for a business licence scan.
var demoLicencePNG = append([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, bytes.Repeat([]byte{0}, 64)...)

// DemoResidentID returns a well-formed, fictitious resident ID number for
// the demo and tests: region 110101, the given birth date (YYYYMMDD) and
// sequence (3 digits), with its GB 11643 check character.
func DemoResidentID(birth string, seq int) string {
	body := fmt.Sprintf("110101%s%03d", birth, seq%1000)
	return body + string(kyc.IDCheckChar(body))
}

// DemoUSCC returns a well-formed, fictitious USCC whose GB 32100 check
// passes; orgCheckOK selects whether the inner GB 11714 check passes too
// (when it fails, the sandbox verifier leaves the submission for review).
func DemoUSCC(seq int, orgCheckOK bool) string {
	for i := 0; i < 100; i++ {
		org := fmt.Sprintf("MA%06d", (seq*100+i)%1000000)
		for _, c := range "0123456789X" {
			body := "91110101" + org + string(c)
			if kyc.OrgCodeValid(org+string(c)) != orgCheckOK {
				continue
			}
			if ch := kyc.USCCCheckChar(body); ch != 0 {
				return body + string(ch)
			}
		}
	}
	panic("app: no demo USCC")
}

// seedDemoKYC verifies the demo individual and leaves the demo enterprise
// pending in the review queue. Idempotent: a customer that has a profile
// already is left alone.
func (a *App) seedDemoKYC(ctx context.Context, ids map[string]string) error {
	seeds := []struct {
		email   string
		in      KYCSubmitInput
		approve bool
	}{
		{"individual@demo.yuanxu.test", KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: "张三",
			IDNumber: pii.Secret(DemoResidentID("19900307", 123)), Phone: "13800000001"}, true},
		{"enterprise@demo.yuanxu.test", KYCSubmitInput{Subject: kyc.SubjectEnterprise, CompanyName: "元序示例科技有限公司",
			USCC: pii.Secret(DemoUSCC(1, false)), Representative: "王五", Phone: "13800000002", Licence: demoLicencePNG}, false},
		{"reseller@demo.yuanxu.test", KYCSubmitInput{Subject: kyc.SubjectEnterprise, CompanyName: "示例代理商有限公司",
			USCC: pii.Secret(DemoUSCC(2, false)), Representative: "周七", Phone: "13800000004", Licence: demoLicencePNG}, true},
		{"client@demo.yuanxu.test", KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: "赵六",
			IDNumber: pii.Secret(DemoResidentID("19920512", 321)), Phone: "13800000005"}, true},
	}
	for _, s := range seeds {
		aid := ids[s.email]
		if aid == "" {
			continue
		}
		if _, err := store.KYCProfileGet(ctx, a.db, aid); err == nil {
			continue
		} else if !store.IsNotFound(err) {
			return err
		}
		l, err := loadAccount(ctx, a.db, aid)
		if err != nil {
			return err
		}
		v, err := a.KYCSubmit(ctx, l.principal(), aid, s.in)
		if err != nil {
			return fmt.Errorf("demo kyc %s: %w", s.email, err)
		}
		if s.approve && v.State == kyc.StatePending && v.Current != nil {
			if _, err := a.kycDecide(ctx, "system", v.Current.ID, kyc.StateApproved, KYCDecision{Decision: KYCApprove}); err != nil {
				return fmt.Errorf("demo kyc %s: %w", s.email, err)
			}
		}
	}
	return nil
}
