package account_test

import (
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func TestValidateRegistration(t *testing.T) {
	t.Parallel()
	ind := account.Registration{Kind: "individual", DisplayName: "  张三 ", Email: " Zhang@Example.COM ", Phone: "+86 138 1234 5678", Password: "correct horse battery staple"}
	v, err := account.ValidateRegistration(ind)
	if err != nil {
		t.Fatal(err)
	}
	if v != (account.ValidRegistration{Kind: account.KindIndividual, DisplayName: "张三", Email: "zhang@example.com", Phone: "13812345678"}) {
		t.Errorf("individual = %+v", v)
	}
	e := ind
	e.Kind, e.EnterpriseName, e.USCC = "enterprise", " 江西省元素序列信息技术有限公司 ", "91360100ma35 abcd1x"
	v, err = account.ValidateRegistration(e)
	if err != nil {
		t.Fatal(err)
	}
	if v.EnterpriseName != "江西省元素序列信息技术有限公司" || v.USCC != "91360100MA35ABCD1X" {
		t.Errorf("enterprise = %+v", v)
	}

	tests := []struct {
		name   string
		r      account.Registration
		fields map[string]string // field → rule
	}{
		{"Empty", account.Registration{}, map[string]string{
			"body.kind": "required", "body.display_name": "required", "body.email": "required", "body.phone": "required", "body.password": "min_length"}},
		{"SubUserKind", with(ind, func(r *account.Registration) { r.Kind = "sub_user" }), map[string]string{"body.kind": "one_of"}},
		{"StaffKind", with(ind, func(r *account.Registration) { r.Kind = "staff" }), map[string]string{"body.kind": "one_of"}},
		{"BadEverything", account.Registration{Kind: "enterprise", DisplayName: "a\u202eb", Email: "nobody", Phone: "12345", Password: "password123",
			EnterpriseName: "x", USCC: "9136010"}, map[string]string{
			"body.display_name": "format", "body.email": "format", "body.phone": "format", "body.password": "not_common",
			"body.enterprise_name": "min_length", "body.uscc": "length"}},
		{"PasswordIsPhone", with(ind, func(r *account.Registration) { r.Password = "13812345678" }), map[string]string{"body.password": "not_identifier"}},
		{"PasswordIsEmail", with(ind, func(r *account.Registration) { r.Password = "ZHANG@example.com" }), map[string]string{"body.password": "not_identifier"}},
		{"IndividualWithUSCC", with(ind, func(r *account.Registration) { r.USCC = "91360100MA35ABCD1X"; r.EnterpriseName = "某公司" }),
			map[string]string{"body.uscc": "not_allowed", "body.enterprise_name": "not_allowed"}},
		{"EnterpriseMissing", with(ind, func(r *account.Registration) { r.Kind = "enterprise" }),
			map[string]string{"body.uscc": "required", "body.enterprise_name": "required"}},
		{"USCCCharset", with(e, func(r *account.Registration) { r.USCC = "91360100MA35ABCDIO" }), map[string]string{"body.uscc": "charset"}},
		{"LongName", with(ind, func(r *account.Registration) { r.DisplayName = strings.Repeat("名", 33) }), map[string]string{"body.display_name": "max_length"}},
		{"ZeroWidth", with(ind, func(r *account.Registration) { r.DisplayName = "ad\u200bmin" }), map[string]string{"body.display_name": "format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := account.ValidateRegistration(tt.r)
			var e *errs.Error
			if !asErr(err, &e) || e.Kind != errs.Invalid || e.Code != account.CodeRegistration {
				t.Fatalf("= %#v", err)
			}
			got := map[string]string{}
			for _, f := range e.Fields {
				if _, dup := got[f.Field]; dup {
					t.Errorf("field %s reported twice", f.Field)
				}
				got[f.Field] = f.Rule
			}
			if len(got) != len(tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
			for f, rule := range tt.fields {
				if got[f] != rule {
					t.Errorf("%s: rule %q, want %q (all: %v)", f, got[f], rule, got)
				}
			}
		})
	}
}

func with(r account.Registration, f func(*account.Registration)) account.Registration {
	f(&r)
	return r
}

func TestValidateSubUser(t *testing.T) {
	t.Parallel()
	v, err := account.ValidateSubUser(account.SubUserInput{DisplayName: "采购-李四", Email: "li@corp.cn", Phone: "13900000001", Scopes: []string{"may_order"}})
	if err != nil || v.Email != "li@corp.cn" || len(v.Scopes) != 1 {
		t.Fatalf("= %+v, %v", v, err)
	}
	_, err = account.ValidateSubUser(account.SubUserInput{Scopes: []string{"may_everything"}})
	var e *errs.Error
	if !asErr(err, &e) || e.Code != account.CodeSubUserInvalid || len(e.Fields) != 4 {
		t.Errorf("= %#v", err)
	}
}

func TestNormalizeUSCC(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"91360100MA35ABCD1X": "91360100MA35ABCD1X",
		"９１３６０１００ＭＡ３５ＡＢＣＤ１Ｘ":       "91360100MA35ABCD1X",
		" 9136 0100 ma35 abcd 1x ": "91360100MA35ABCD1X",
	} {
		if got, err := account.NormalizeUSCC(in, "f"); err != nil || got != want {
			t.Errorf("NormalizeUSCC(%q) = %q, %v", in, got, err)
		}
	}
	for in, rule := range map[string]string{"": "required", "   ": "required", "123": "length", "91360100MA35ABCD1Z": "charset", "9136010０MA35ABCD1\xff": "charset"} {
		_, err := account.NormalizeUSCC(in, "f")
		var e *errs.Error
		if !asErr(err, &e) || e.Fields[0].Rule != rule || e.Fields[0].Field != "f" {
			t.Errorf("NormalizeUSCC(%q) = %v, want %s", in, err, rule)
		}
	}
}
