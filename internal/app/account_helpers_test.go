package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/store/storetest"
)

// acctSUT is an App with accounts configured cheaply, on a manual clock.
type acctSUT struct {
	a     *app.App
	clock *clock.Manual
}

func newAccountApp(t *testing.T) acctSUT {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	a, _ := newApp(t, storetest.Open(t), app.Config{Clock: clk})
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams, HashConcurrency: 4}); err != nil {
		t.Fatal(err)
	}
	return acctSUT{a: a, clock: clk}
}

var seq atomic.Int64

// uniq returns a fresh email and mainland mobile number.
func uniq() (string, string) {
	n := seq.Add(1)
	return fmt.Sprintf("user%d@example.com", n), fmt.Sprintf("139%08d", n)
}

func ipCtx(ip string) context.Context {
	return app.WithActor(context.Background(), app.Actor{ID: "anonymous", ClientIP: ip})
}

// codeFor reads the digits of the code of ticket t from the notification
// store (the sealed template variables, opened with the app's keys): what
// the email or SMS carried.
func codeFor(t *testing.T, a *app.App, tk app.CodeTicket) string {
	t.Helper()
	var nid string
	var vars []byte
	err := a.DB().QueryRow(context.Background(), `SELECT id, vars FROM notification WHERE event = $1 AND subject_type = 'verification_code' AND subject_id = $2`,
		string(notify.EventVerificationCode), tk.ID).Scan(&nid, &vars)
	if err != nil {
		t.Fatalf("no code sent for ticket %s: %v", tk.ID, err)
	}
	plain, err := a.Secrets().PII.Open(vars, pii.AAD{Table: "notification", Column: "vars", Row: nid})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(plain, &v); err != nil {
		t.Fatal(err)
	}
	return v["code"]
}

const goodPassword = "correct horse battery 7"

type registered struct {
	view         app.AccountView
	email, phone string
}

// register registers a customer of kind with codes read back from the
// notification store.
func (s acctSUT) register(t *testing.T, kind string) registered {
	t.Helper()
	ctx := ipCtx("198.51.100.1")
	email, phone := uniq()
	et, err := s.a.SendCode(ctx, account.PurposeRegisterEmail, email, "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := s.a.SendCode(ctx, account.PurposeRegisterPhone, phone, "en")
	if err != nil {
		t.Fatal(err)
	}
	in := app.RegisterInput{Kind: kind, DisplayName: "Test " + kind, Email: email, Phone: phone, Password: goodPassword,
		EmailCodeID: et.ID, EmailCode: codeFor(t, s.a, et), PhoneCodeID: pt.ID, PhoneCode: codeFor(t, s.a, pt), AcceptAgreement: true, AcknowledgedClauses: app.DefaultKeyClauses()}
	if kind == string(account.KindEnterprise) || kind == string(account.KindReseller) {
		in.EnterpriseName, in.USCC = "示例有限公司", "91360100MA35ABCDE0"
	}
	v, err := s.a.Register(ctx, in)
	if err != nil {
		t.Fatalf("register %s: %v", kind, err)
	}
	return registered{view: v, email: email, phone: phone}
}

// login logs in and authenticates, returning the principal and token.
func (s acctSUT) login(t *testing.T, login, password string) (account.Principal, app.LoginResult) {
	t.Helper()
	res, err := s.a.Login(ipCtx("198.51.100.1"), app.LoginInput{Login: login, Password: password, UserAgent: "test"})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if res.NeedsTOTP || res.NeedsChallenge {
		return account.Principal{}, res
	}
	p, _, err := s.a.Authenticate(context.Background(), res.SessionToken)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return p, res
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errs.CodeOf(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func wantKind(t *testing.T, err error, k errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); got != k || err == nil {
		t.Fatalf("error kind = %v (%v), want %v", got, err, k)
	}
}

func totpNow(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func countRows(t *testing.T, a *app.App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func errorsAs(err error, target **errs.Error) bool { return errors.As(err, target) }
