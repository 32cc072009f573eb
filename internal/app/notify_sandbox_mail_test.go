package app

import (
	"context"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// TestSandboxMailCarriesCodesOverSMTP: in sandbox mode the production email
// client sends a verification code over real SMTP to the sandbox sink, and
// the stored message reads as the customer would see it, in their language.
func TestSandboxMailCarriesCodesOverSMTP(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	sec, err := NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), Config{DB: db, Secrets: sec, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := a.StartSandboxMail()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	if err := a.ConfigureNotify(NotifyConfig{Email: sm.Sender}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	send := func(addr string, lang notify.Lang, code string) string {
		var rec NotifyReceipt
		if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			var err error
			rec, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventVerificationCode, Lang: lang,
				Vars: map[string]string{"code": code, "minutes": "10"}, Recipient: notify.Recipient{Email: addr}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		did := rec.Deliveries[notify.Email]
		if err := a.NotifyDeliver(ctx, did); err != nil {
			t.Fatal(err)
		}
		return did
	}
	send("Alice@Example.com", notify.ZhCN, "284913")
	send("bob@example.com", notify.En, "771002")

	got, err := a.SandboxMailMessages(ctx, "alice@example.com", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("alice has %d sandbox messages, want 1", len(got))
	}
	m := got[0]
	if !strings.Contains(m.Text, "284913") || m.RcptMasked != "a***@example.com" || m.MessageID == "" || m.Subject == "" {
		t.Fatalf("stored message = %+v", m)
	}
	if !strings.ContainsAny(m.Subject+m.Text, "验证码") {
		t.Errorf("zh-CN message has no Chinese: %q / %q", m.Subject, m.Text)
	}
	all, err := a.SandboxMailMessages(ctx, "", 10)
	if err != nil || len(all) != 2 {
		t.Fatalf("all messages = %d, %v; want 2", len(all), err)
	}
	var raw int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_sandbox_mail WHERE rcpt_masked LIKE '%alice%'`).Scan(&raw); err != nil || raw != 0 {
		t.Fatalf("recipient stored in clear (%d, %v)", raw, err)
	}
}

func TestParseMailFallsBackToWholeMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, subject, text string
	}{
		{"Plain", "Subject: =?UTF-8?B?6aqM6K+B56CB?=\r\nMessage-ID: <x@y>\r\n\r\nhello\r\n", "验证码", "hello\r\n"},
		{"QuotedPrintable", "Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E9=AA=8C\r\n", "s", "验\r\n"},
		{"Garbage", "not a message", "", "not a message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _, text := parseMail([]byte(tt.in))
			if s != tt.subject || text != tt.text {
				t.Errorf("parseMail = %q, %q; want %q, %q", s, text, tt.subject, tt.text)
			}
		})
	}
}

// TestNotifyResendFailedDelivery: a delivery that failed (no SMTP server)
// is resent once a sender exists; a sent one is not resent; only
// notify.resend may do it.
func TestNotifyResendFailedDelivery(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	sec, err := NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), Config{DB: db, Secrets: sec, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := a.StartSandboxMail()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	// First without a sender: the delivery fails as not delivered.
	if err := a.ConfigureNotify(NotifyConfig{Unconfigured: "no SMTP in this test"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var rec NotifyReceipt
	if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		rec, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventVerificationCode, Vars: map[string]string{"code": "123456", "minutes": "10"},
			Recipient: notify.Recipient{Email: "carol@example.com"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	first := rec.Deliveries[notify.Email]
	if err := a.NotifyDeliver(ctx, first); err != nil {
		t.Fatal(err)
	}
	ds, _ := a.NotifyDeliveries(ctx, DeliveryFilter{ID: first})
	if len(ds) != 1 || ds[0].Status != string(notify.StatusFailed) {
		t.Fatalf("first delivery = %+v, want failed", ds)
	}
	support := account.Principal{AccountID: "staff-1", Kind: account.KindStaff, Roles: []account.Role{account.RoleSupport}}
	auditor := account.Principal{AccountID: "staff-2", Kind: account.KindStaff, Roles: []account.Role{account.RoleAuditor}}
	if err := a.NotifyResend(ctx, auditor, first); err == nil {
		t.Fatal("an auditor resent a notification")
	}
	// Now a sender exists (as after configuring SMTP); resend.
	a.notifyCfg.Store(nil)
	if err := a.ConfigureNotify(NotifyConfig{Email: sm.Sender}); err != nil {
		t.Fatal(err)
	}
	if err := a.NotifyResend(ctx, support, first); err != nil {
		t.Fatal(err)
	}
	if err := a.NotifyDeliver(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, _ := a.SandboxMailMessages(ctx, "carol@example.com", 10)
	if len(got) != 1 || !strings.Contains(got[0].Text, "123456") {
		t.Fatalf("resent mail = %+v", got)
	}
	if err := a.NotifyResend(ctx, support, first); errs.CodeOf(err) != "notify.resend_not_failed" {
		t.Fatalf("resending a sent delivery: %v", err)
	}
	ds, _ = a.NotifyDeliveries(ctx, DeliveryFilter{ID: first})
	if len(ds) != 1 || (ds[0].Status != string(notify.StatusSent) && ds[0].Status != string(notify.StatusDelivered)) || ds[0].Attempts != 1 {
		t.Fatalf("resent delivery = %+v, want sent or delivered after one attempt", ds)
	}
}
