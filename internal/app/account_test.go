package app_test

import (
	"context"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

func TestRegisterThenLogInWithCodesFromTheOutbox(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"individual", "enterprise"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s := newAccountApp(t)
			r := s.register(t, kind)
			if r.view.State != account.StateActive || !r.view.EmailVerified || !r.view.PhoneVerified || r.view.EmailMasked == r.email {
				t.Fatalf("view = %+v", r.view)
			}
			for _, login := range []string{r.email, r.phone} {
				p, res := s.login(t, login, goodPassword)
				if p.AccountID != r.view.ID || res.DeviceToken == "" || res.SessionToken == "" {
					t.Fatalf("principal %+v result %+v", p, res)
				}
				me, err := s.a.Me(context.Background(), p)
				if err != nil || me.ID != r.view.ID {
					t.Fatalf("me = %+v, %v", me, err)
				}
			}
			if n := auditCount(t, s.a.DB(), "account.registered"); n != 1 {
				t.Fatalf("registered events = %d", n)
			}
		})
	}
}

func TestRegisterRefusesBadInputAndStoresNothing(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	taken := s.register(t, "individual")
	ctx := ipCtx("198.51.100.9")
	tests := []struct {
		name  string
		edit  func(in *app.RegisterInput)
		code  string
		field string
	}{
		{"duplicate email", func(in *app.RegisterInput) { in.Email = taken.email }, "account.email_taken", "body.email"},
		{"duplicate phone", func(in *app.RegisterInput) { in.Phone = taken.phone }, "account.phone_taken", "body.phone"},
		{"common password", func(in *app.RegisterInput) { in.Password = "password123" }, account.CodeRegistration, "body.password"},
		{"wrong email code", func(in *app.RegisterInput) { in.EmailCode = wrong(in.EmailCode) }, account.CodeCodeMismatch, "body.email_code"},
		{"code of another target", func(in *app.RegisterInput) { in.PhoneCodeID = in.EmailCodeID }, account.CodeCodeMismatch, "body.phone_code"},
		{"agreement not accepted", func(in *app.RegisterInput) { in.AcceptAgreement = false }, account.CodeRegistration, "body.accept_agreement"},
		{"staff cannot self-register", func(in *app.RegisterInput) { in.Kind = "staff" }, account.CodeRegistration, "body.kind"},
		{"a reseller applicant names its company", func(in *app.RegisterInput) { in.Kind = "reseller" }, account.CodeRegistration, "body.enterprise_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email, phone := uniq()
			et, err := s.a.SendCode(ctx, account.PurposeRegisterEmail, email, "")
			if err != nil {
				t.Fatal(err)
			}
			pt, err := s.a.SendCode(ctx, account.PurposeRegisterPhone, phone, "")
			if err != nil {
				t.Fatal(err)
			}
			in := app.RegisterInput{Kind: "individual", DisplayName: "X", Email: email, Phone: phone, Password: goodPassword,
				EmailCodeID: et.ID, EmailCode: codeFor(t, s.a, et), PhoneCodeID: pt.ID, PhoneCode: codeFor(t, s.a, pt), AcceptAgreement: true, AcknowledgedClauses: app.DefaultKeyClauses()}
			good := in
			tt.edit(&in)
			before := countRows(t, s.a, `SELECT COUNT(*) FROM account`)
			_, err = s.a.Register(ctx, in)
			wantCode(t, err, tt.code)
			var e *errs.Error
			if !asErr(err, &e) || !hasField(e, tt.field) {
				t.Fatalf("fields = %+v, want %s", e, tt.field)
			}
			if after := countRows(t, s.a, `SELECT COUNT(*) FROM account`); after != before {
				t.Fatalf("accounts %d -> %d: half-stored", before, after)
			}
			// The codes were not consumed by the failure: the corrected form
			// succeeds (unless the contact itself is taken).
			if tt.code != "account.email_taken" && tt.code != "account.phone_taken" {
				if _, err := s.a.Register(ctx, good); err != nil {
					t.Fatalf("corrected registration: %v", err)
				}
			}
		})
	}
}

func TestCodesExpireAndAreSingleUse(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	ctx := ipCtx("198.51.100.2")
	tk, err := s.a.StartPasswordReset(ctx, r.email, "")
	if err != nil {
		t.Fatal(err)
	}
	code := codeFor(t, s.a, tk)
	in := app.ResetInput{Login: r.email, CodeID: tk.ID, Code: code, NewPassword: "another good passphrase"}
	err = s.a.ResetPassword(ctx, app.ResetInput{Login: r.email, CodeID: tk.ID, Code: wrong(code), NewPassword: in.NewPassword})
	wantCode(t, err, account.CodeCodeMismatch)
	if err := s.a.ResetPassword(ctx, in); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.a.ResetPassword(ctx, in), account.CodeCodeUsed)

	s.clock.Advance(2 * account.CodeResendInterval)
	tk, err = s.a.StartPasswordReset(ctx, r.phone, "")
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(account.CodeTTL)
	err = s.a.ResetPassword(ctx, app.ResetInput{Login: r.phone, CodeID: tk.ID, Code: codeFor(t, s.a, tk), NewPassword: "a third good passphrase"})
	wantCode(t, err, account.CodeCodeExpired)
	_, err = s.a.SendCode(ctx, account.PurposeRegisterEmail, "fresh@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.a.SendCode(ctx, account.PurposeRegisterEmail, "fresh@example.com", "")
	wantCode(t, err, account.CodeCodeResendTooSoon)
}

func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func asErr(err error, e **errs.Error) bool {
	var x *errs.Error
	ok := errorsAs(err, &x)
	*e = x
	return ok
}

func hasField(e *errs.Error, f string) bool {
	for _, fe := range e.Fields {
		if fe.Field == f {
			return true
		}
	}
	return false
}
