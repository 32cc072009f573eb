package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/notify"
	"yuanxu/internal/store/storetest"
)

func TestNotifyRedriveFindsLostJobs(t *testing.T) {
	t.Parallel()
	b := notifyApp(t, storetest.Open(t), nil, func(c *NotifyConfig) { c.RedriveAfter = time.Millisecond })
	rec := b.notify(t, notify.Request{Event: notify.EventVerificationCode, Vars: map[string]string{"code": "1", "minutes": "5"}, Recipient: notify.Recipient{Phone: "13812345678"}})
	if _, err := b.db.Writer().Exec(`DELETE FROM river_job WHERE kind = 'notify.deliver'`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	n, err := b.a.NotifyRedrive(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("redrive = %d, %v", n, err)
	}
	b.startJobs(t)
	deadline := time.Now().Add(20 * time.Second)
	for b.delivery(t, rec.Deliveries[notify.SMS]).Status != "delivered" {
		if time.Now().After(deadline) {
			t.Fatal("the redriven delivery was not delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConfigureNotifyChecksAtStartUp(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	sec, _ := NewSecrets()
	bad := notify.DefaultSources()
	s := bad[notify.EventRefundDecided][notify.En]
	s.Text += "{{.account_balance}}"
	bad[notify.EventRefundDecided][notify.En] = s
	inboxOnly, _ := notify.ParseMatrix("compliance.measure_imposed=inapp")
	sandboxSMS := &SandboxSMS{}
	tests := []struct {
		name string
		cfg  NotifyConfig
		want string
	}{
		{"TemplateVariable", NotifyConfig{Sources: bad}, "account_balance"},
		{"LegalNoticeInboxOnly", NotifyConfig{Matrix: inboxOnly}, "inbox is not notice"},
		{"SMSWithoutCodes", NotifyConfig{SMS: sandboxSMS.Sender, SMSCodes: notify.Codes{}}, ""},
		{"LeaseShorterThanSend", NotifyConfig{Lease: time.Second, SendTimeout: 2 * time.Second}, "lease"},
		{"NegativeSenders", NotifyConfig{Senders: -1}, "senders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := New(context.Background(), Config{DB: db, Secrets: sec})
			if err != nil {
				t.Fatal(err)
			}
			err = a.ConfigureNotify(tt.cfg)
			if tt.want == "" {
				return // nil sender: no SMS, so no codes needed
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	a, _ := New(context.Background(), Config{DB: db, Secrets: sec})
	sb, err := a.StartSandboxSMS("tencent")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(context.Background())
	if err := a.ConfigureNotify(NotifyConfig{SMS: sb.Sender, SMSCodes: notify.Codes{"auth.verification_code": "1"}}); err == nil || !strings.Contains(err.Error(), "no provider template code") {
		t.Errorf("SMS without codes: %v", err)
	}
	if err := a.ConfigureNotify(NotifyConfig{}); err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureNotify(NotifyConfig{}); err == nil {
		t.Error("configured twice")
	}
	if r, err := a.NotifyPreview(notify.EventMaintenance, notify.En); err != nil || !strings.HasPrefix(r.Subject, "Maintenance") {
		t.Errorf("preview %+v %v", r, err)
	}
}

// TestTencentSandboxRendersPositionalParams: the Tencent protocol sends
// parameters by position; the sandbox outbox still shows the text.
func TestTencentSandboxRendersPositionalParams(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	sec, _ := NewSecrets()
	a, _ := New(context.Background(), Config{DB: db, Secrets: sec})
	sb, err := a.StartSandboxSMS("tencent")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(context.Background())
	if err := a.ConfigureNotify(NotifyConfig{SMS: sb.Sender, SMSCodes: sb.Codes, SMSSignName: "元序"}); err != nil {
		t.Fatal(err)
	}
	b := &nb{a: a, db: db, sms: sb}
	rec := b.notify(t, notify.Request{Event: notify.EventVerificationCode, Lang: notify.En, Vars: map[string]string{"code": "777111", "minutes": "5"}, Recipient: notify.Recipient{Phone: "+44 7700 900123"}})
	b.deliver(t, rec)
	got, err := a.SandboxSMSMessages(context.Background(), "+447700900123", 10)
	if err != nil || len(got) != 1 || got[0].Provider != "tencent" || got[0].Text != "【元序】Your verification code is 777111, valid for 5 minutes." {
		t.Fatalf("outbox %+v %v", got, err)
	}
	if d := b.delivery(t, rec.Deliveries[notify.SMS]); d.Provider != "tencent" || d.ProviderMessageID != got[0].ProviderMessageID {
		t.Errorf("%+v", d)
	}
}
