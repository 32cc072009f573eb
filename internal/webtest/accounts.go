package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
)

// Password is the password of the accounts NewCustomer creates: long
// enough and not on the common list.
const Password = "webtest passphrase 7 stays put"

var seq atomic.Int64

// Unique returns a fresh email address and mainland mobile number.
func Unique() (email, phone string) {
	n := seq.Add(1)
	return fmt.Sprintf("webtest%d.%d@example.com", time.Now().UnixNano()%1e6, n), fmt.Sprintf("139%08d", n)
}

// UniqueIP returns a fresh client address (198.18.0.0/15, the
// benchmarking range), so that per-address rate limits of one helper call
// do not touch another's.
func UniqueIP() string {
	n := seq.Add(1)
	return fmt.Sprintf("198.18.%d.%d", (n/250)%250, n%250+1)
}

// ActorCtx is a background context whose app actor comes from client
// address ip, as the web middleware would set it.
func ActorCtx(ip string) context.Context {
	return app.WithActor(context.Background(), app.Actor{ID: "anonymous", ClientIP: ip, RequestID: "webtest"})
}

// CodeOf returns the digits of the verification code of ticket id, read
// back from the notification store (the sealed template variables, opened
// with the app's keys): exactly what the email or SMS carried.
func (s *Server) CodeOf(t testing.TB, ticketID string) string {
	t.Helper()
	a := s.App
	var nid string
	var vars []byte
	err := a.DB().QueryRow(context.Background(), `SELECT id, vars FROM notification WHERE event = $1 AND subject_type = 'verification_code' AND subject_id = $2`,
		string(notify.EventVerificationCode), ticketID).Scan(&nid, &vars)
	if err != nil {
		t.Fatalf("no code sent for ticket %s: %v", ticketID, err)
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

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// CodeIn returns the first 6-digit code in text ("" if none).
func CodeIn(text string) string { return sixDigits.FindString(text) }

// SMSCode waits until the sandbox SMS outbox (Options.SandboxSMS) holds at
// least n messages to phone and returns the code in the newest one.
func (s *Server) SMSCode(t testing.TB, phone string, n int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms, err := s.App.SandboxSMSMessages(context.Background(), phone, 50)
		if err != nil {
			t.Fatalf("sandbox SMS outbox: %v", err)
		}
		if len(ms) >= n {
			code := CodeIn(ms[0].Text)
			if code == "" {
				t.Fatalf("no code in SMS %q", ms[0].Text)
			}
			return code
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox SMS outbox has %d messages to %s after 15s, want %d", len(ms), phone, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// MailTo waits until mp received a message to address that carries a
// 6-digit code, and returns the message and the code.
func MailTo(t testing.TB, mp *mailpittest.Server, address string) (mailpittest.Message, string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, m := range mp.Messages(t) {
			if len(m.To) == 1 && m.To[0].Address == address {
				msg := mp.Message(t, m.ID)
				if code := CodeIn(msg.Text); code != "" {
					return msg, code
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit has no message with a code to %s after 15s", address)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Customer is an account a test created, and how to sign in as it.
type Customer struct {
	ID             string
	Kind           account.Kind
	Email, Phone   string
	Password       string
	RegistrationIP string
	DisplayName    string
	EnterpriseName string
	Lang           string
}

// NewCustomer registers a customer of kind (individual or enterprise)
// through the app, with fresh contact data and codes read back from the
// notification store, from a fresh client address, accepting the
// agreement in force (every key clause acknowledged). Its language is
// zh-CN (NewCustomerIn chooses).
func (s *Server) NewCustomer(t testing.TB, kind account.Kind) Customer {
	t.Helper()
	return s.NewCustomerIn(t, kind, "zh-CN")
}

// NewCustomerIn is NewCustomer with the account's language (zh-CN or en),
// which its sign-ins make the language of pages and problems.
func (s *Server) NewCustomerIn(t testing.TB, kind account.Kind, lang string) Customer {
	t.Helper()
	ip := UniqueIP()
	ctx := ActorCtx(ip)
	email, phone := Unique()
	et, err := s.App.SendCode(ctx, account.PurposeRegisterEmail, email, "zh-CN")
	if err != nil {
		t.Fatalf("send email code: %v", err)
	}
	pt, err := s.App.SendCode(ctx, account.PurposeRegisterPhone, phone, "zh-CN")
	if err != nil {
		t.Fatalf("send phone code: %v", err)
	}
	c := Customer{Kind: kind, Email: email, Phone: phone, Password: Password, RegistrationIP: ip, DisplayName: "webtest " + string(kind), Lang: lang}
	in := app.RegisterInput{Kind: string(kind), DisplayName: c.DisplayName, Email: email, Phone: phone, Password: Password, Lang: lang,
		EmailCodeID: et.ID, EmailCode: s.CodeOf(t, et.ID), PhoneCodeID: pt.ID, PhoneCode: s.CodeOf(t, pt.ID), AcceptAgreement: true,
		AcknowledgedClauses: app.DefaultKeyClauses(), UserAgent: "webtest"}
	if kind == account.KindEnterprise || kind == account.KindReseller {
		c.EnterpriseName = "网测示例有限公司"
		in.EnterpriseName, in.USCC = c.EnterpriseName, "91360100MA35ABCDE0"
	}
	v, err := s.App.Register(ctx, in)
	if err != nil {
		t.Fatalf("register %s: %v", kind, err)
	}
	c.ID = v.ID
	return c
}

// NewResellerClient has reseller p invite a new individual and the
// invited person accept through the link (phone code read back, every key
// clause acknowledged), as the portal's invitation page does. p needs an
// authorisation valid now.
func (s *Server) NewResellerClient(t testing.TB, p account.Principal) Customer {
	t.Helper()
	ip := UniqueIP()
	ctx := ActorCtx(ip)
	email, phone := Unique()
	inv, err := s.App.InviteCustomer(ctx, p, app.InviteInput{Kind: string(account.KindIndividual), Email: email})
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	pt, err := s.App.SendCode(ctx, account.PurposeRegisterPhone, phone, "zh-CN")
	if err != nil {
		t.Fatalf("send phone code: %v", err)
	}
	c := Customer{Kind: account.KindIndividual, Email: email, Phone: phone, Password: Password, RegistrationIP: ip, DisplayName: "webtest client",
		Lang: "zh-CN"}
	v, err := s.App.AcceptInvitation(ctx, inv.Link[strings.LastIndex(inv.Link, "/")+1:], app.RegisterInput{DisplayName: c.DisplayName, Phone: phone,
		Password: Password, Lang: "zh-CN", PhoneCodeID: pt.ID, PhoneCode: s.CodeOf(t, pt.ID), AcceptAgreement: true,
		AcknowledgedClauses: app.DefaultKeyClauses(), UserAgent: "webtest"})
	if err != nil {
		t.Fatalf("accept invitation: %v", err)
	}
	c.ID = v.ID
	return c
}

// NewStaff creates a staff member with roles (as `yuanxu admin
// create-staff` does).
func (s *Server) NewStaff(t testing.TB, roles ...account.Role) Customer {
	t.Helper()
	email, _ := Unique()
	v, err := s.App.CreateStaff(context.Background(), nil, app.CreateStaffInput{Email: email, DisplayName: "webtest staff", Password: Password, Roles: roles})
	if err != nil {
		t.Fatalf("create staff: %v", err)
	}
	return Customer{ID: v.ID, Kind: account.KindStaff, Email: email, Password: Password, DisplayName: "webtest staff"}
}

// SessionFor signs in through the app (console sign-in for staff) from
// client address ip and returns the session token, which must be complete
// (no second factor, no challenge).
func (s *Server) SessionFor(t testing.TB, login, password string, staff bool, ip string) string {
	t.Helper()
	res, err := s.App.Login(ActorCtx(ip), app.LoginInput{Login: login, Password: password, Staff: staff, UserAgent: "webtest"})
	if err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	if res.NeedsTOTP || res.NeedsChallenge || res.SessionToken == "" {
		t.Fatalf("login %s: not complete: %+v", login, res)
	}
	return res.SessionToken
}
