package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// allCodes is --sms-templates with a code for every event the default
// matrix sends by SMS.
func allCodes() string {
	var parts []string
	for ev, chans := range notify.DefaultMatrix() {
		for _, c := range chans {
			if c == notify.SMS {
				parts = append(parts, string(ev)+"=SMS_"+strings.ReplaceAll(string(ev), ".", "_"))
			}
		}
	}
	return strings.Join(parts, ",")
}

func TestNotifyFlagsBadInvocationsExitTwo(t *testing.T) {
	t.Parallel()
	aliyunOK := []string{"--sms-provider", "aliyun", "--sms-sign-name", "元序", "--aliyun-access-key-id", "LTAI1", "--aliyun-access-key-secret", "s"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"BadSMTPURL", []string{"--smtp-url", "ftp://mail.example.com"}, nil, "--smtp-url"},
		{"SMTPWithoutFrom", nil, map[string]string{"YUANXU_SMTP_URL": "smtp://mail.example.com:587"}, "--mail-from"},
		{"BadFrom", []string{"--smtp-url", "smtp://h:25", "--mail-from", "not an address"}, nil, "--mail-from"},
		{"NoSMTPConnections", []string{"--smtp-url", "smtp://h:25", "--mail-from", "a@b.test", "--smtp-connections", "0"}, nil, "--smtp-connections"},
		{"UnknownProvider", []string{"--sms-provider", "sms77"}, nil, "sms-provider"},
		{"AliyunWithoutKeys", []string{"--sms-provider", "aliyun", "--sms-sign-name", "S", "--sms-templates", allCodes()}, nil, "--aliyun-access-key-id"},
		{"TencentWithoutAppID", nil, map[string]string{"YUANXU_SMS_PROVIDER": "tencent", "YUANXU_SMS_SIGN_NAME": "S", "YUANXU_TENCENT_SECRET_ID": "a", "YUANXU_TENCENT_SECRET_KEY": "b", "YUANXU_SMS_TEMPLATES": allCodes()}, "--tencent-sms-app-id"},
		{"ProviderWithoutSignName", []string{"--sms-provider", "aliyun", "--aliyun-access-key-id", "a", "--aliyun-access-key-secret", "b"}, nil, "--sms-sign-name"},
		{"MissingTemplateCodes", append(aliyunOK, "--sms-templates", "auth.verification_code=SMS_1"), nil, "no provider template code for"},
		{"BadTemplateCodes", append(aliyunOK, "--sms-templates", "no.such=SMS_1"), nil, "--sms-templates"},
		{"BadMatrix", []string{"--notify-matrix", "refund.decided=fax"}, nil, "--notify-matrix"},
		{"LegalInboxOnly", []string{"--notify-matrix", "refund.decided=inapp"}, nil, "inbox is not notice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)
			_, _, err := runArgs(t, context.Background(), tt.env, args...)
			if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (exit %d), want a usage error mentioning %q", err, exitCode(err), tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestServeWithProvidersFromEnvironment: a complete SMTP and Aliyun
// configuration given as YUANXU_* variables starts and stops cleanly.
func TestServeWithProvidersFromEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"YUANXU_SMTP_URL": "smtp://user:pass@127.0.0.1:1?tls=none", "YUANXU_MAIL_FROM": "元序 <noreply@yuanxu.test>",
		"YUANXU_SMS_PROVIDER": "aliyun", "YUANXU_SMS_SIGN_NAME": "元序", "YUANXU_SMS_TEMPLATES": allCodes() + ",agreement.revised=SMS_9,agreement.revised/en=SMS_10",
		"YUANXU_ALIYUN_ACCESS_KEY_ID": "LTAI5t", "YUANXU_ALIYUN_ACCESS_KEY_SECRET": "secret", "YUANXU_NOTIFY_MATRIX": "agreement.revised=email+sms+inapp",
	}
	_, stop := startServe(t, env, "--data", t.TempDir())
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestAdminOutboxShowsSandboxSMSAndDeliveryLog: after a sandbox server ran,
// a notification delivered through the embedded SMS provider shows in
// `admin outbox` (text and JSON), with the phone masked; email without
// --smtp-url crosses SMTP to the sandbox sink and shows there.
func TestAdminOutboxShowsSandboxSMSAndDeliveryLog(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	dbArgs := []string{"--data", data}
	if storetest.Engine() == store.Postgres {
		dbArgs = []string{"--db", storetest.NewPostgresDatabase(t)}
	}
	_, stop := startServe(t, map[string]string{"YUANXU_SMS_PROVIDER": "tencent"}, append([]string{"--demo"}, dbArgs...)...)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// What a use case of the running demo would do, through the same wiring.
	ctx := context.Background()
	db := openFor(t, dbArgs)
	defer db.Close()
	sec, err := app.LoadSecrets(ctx, db, app.SecretsConfig{Demo: true, DataDir: data}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DB: db, Secrets: sec, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	ncfg, release, err := notifyFlags{SMSProvider: "tencent"}.configure(a, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := a.ConfigureNotify(ncfg); err != nil {
		t.Fatal(err)
	}
	var rec app.NotifyReceipt
	if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		rec, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventVerificationCode, Vars: map[string]string{"code": "531902", "minutes": "10"},
			Recipient: notify.Recipient{Email: "demo@example.com", Phone: "13812345678"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, did := range rec.Deliveries {
		if err := a.NotifyDeliver(ctx, did); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := runArgs(t, ctx, nil, append([]string{"admin", "outbox"}, dbArgs...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Sandbox SMS outbox", "【元序】您的验证码是531902", "138****5678", "auth.verification_code", "Sandbox mail", "您的验证码是 531902", "d***@example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("admin outbox output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "13812345678") || strings.Contains(out, "demo@example.com") {
		t.Errorf("admin outbox shows an address unmasked:\n%s", out)
	}
	js, _, err := runArgs(t, ctx, nil, append([]string{"admin", "outbox", "--json", "--limit", "5"}, dbArgs...)...)
	if err != nil {
		t.Fatal(err)
	}
	var r outboxReport
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	// The demo seeds conversations of its own; look at this notification's.
	var mine []outboxDelivery
	for _, d := range r.Deliveries {
		if d.Notification == rec.NotificationID {
			mine = append(mine, d)
		}
	}
	var mail []outboxMail
	for _, m := range r.Mail {
		if m.To == "d***@example.com" {
			mail = append(mail, m)
		}
	}
	// The demo's own notices (a measure's SMS) may have been sent by its
	// background jobs before it stopped: count this recipient's.
	var sms []outboxSMS
	for _, m := range r.SMS {
		if m.To == "138****5678" {
			sms = append(sms, m)
		}
	}
	if !r.Sandbox || len(sms) != 1 || sms[0].Provider != "tencent" || len(mine) != 2 || len(mail) != 1 {
		t.Fatalf("json report %+v", r)
	}
	for _, d := range mine {
		want := map[string]string{"sms": "delivered", "email": "sent"}[d.Channel] // email: delivered after the bounce window
		if d.Status != want || d.CreatedAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("%s delivery %+v, want %s", d.Channel, d, want)
		}
	}
}

func TestAdminOutboxOutsideSandbox(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if _, _, err := runArgs(t, context.Background(), nil, "migrate", "--data", data); err != nil {
		t.Fatal(err)
	}
	out, _, err := runArgs(t, context.Background(), nil, "admin", "outbox", "--data", data)
	if err != nil || !strings.Contains(out, "Not a sandbox database") || !strings.Contains(out, "Delivery log") {
		t.Fatalf("%q, %v", out, err)
	}
}
