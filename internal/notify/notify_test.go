package notify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/notify"
)

func catalog(t *testing.T) *notify.Catalog {
	t.Helper()
	c, err := notify.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultCatalogRendersEveryEventInEveryLanguage(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	for _, spec := range notify.Specs {
		for _, lang := range notify.Langs {
			r, err := c.Preview(spec.Event, lang, notify.RenderOptions{Brand: "元序", UnsubscribeURL: "https://x.example/u?t=1"})
			if err != nil {
				t.Fatalf("%s/%s: %v", spec.Event, lang, err)
			}
			if r.Subject == "" || r.Text == "" || r.SMS == "" || !strings.Contains(r.HTML, "<html lang=\""+string(lang)+"\">") {
				t.Errorf("%s/%s: incomplete rendering %+v", spec.Event, lang, r)
			}
			if strings.Contains(r.Subject, "\n") {
				t.Errorf("%s/%s: subject spans lines", spec.Event, lang)
			}
			if (r.Unsubscribe != "") != (spec.Category == notify.Marketing) {
				t.Errorf("%s/%s: unsubscribe %q for category %s", spec.Event, lang, r.Unsubscribe, spec.Category)
			}
			if n := len([]rune(r.SMS)); n > 140 {
				t.Errorf("%s/%s: SMS is %d characters", spec.Event, lang, n)
			}
		}
	}
}

func TestRenderPicksLanguageAndEscapesHTML(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	vars := map[string]string{"refund_id": "RF-1", "outcome": "<b>approved</b>", "amount": "¥1.00"}
	zh, err := c.Render(notify.EventRefundDecided, notify.ZhCN, vars, notify.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	en, err := c.Render(notify.EventRefundDecided, notify.En, vars, notify.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(zh.Subject, "退款申请") || !strings.Contains(en.Subject, "Refund request") {
		t.Errorf("subjects: zh %q, en %q", zh.Subject, en.Subject)
	}
	if strings.Contains(zh.HTML, "<b>approved</b>") || !strings.Contains(zh.HTML, "&lt;b&gt;approved&lt;/b&gt;") {
		t.Error("a variable injected markup into the HTML part")
	}
	want := []notify.Param{{"refund_id", "RF-1"}, {"outcome", "<b>approved</b>"}, {"amount", "¥1.00"}}
	if len(zh.SMSParams) != len(want) {
		t.Fatalf("sms params = %v", zh.SMSParams)
	}
	for i := range want {
		if zh.SMSParams[i] != want[i] {
			t.Errorf("sms param %d = %v, want %v", i, zh.SMSParams[i], want[i])
		}
	}
}

// TestRenderTextOnly: the inbox's rendering has the full rendering's
// subject and text, and none of the other channels' parts; its variables
// are checked all the same.
func TestRenderTextOnly(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	for _, spec := range notify.Specs {
		for _, lang := range notify.Langs {
			full, err := c.Render(spec.Event, lang, spec.Sample, notify.RenderOptions{Brand: "元序"})
			if err != nil {
				t.Fatalf("%s/%s: %v", spec.Event, lang, err)
			}
			text, err := c.Render(spec.Event, lang, spec.Sample, notify.RenderOptions{Brand: "元序", TextOnly: true})
			if err != nil {
				t.Fatalf("%s/%s text only: %v", spec.Event, lang, err)
			}
			if text.Subject != full.Subject || text.Text != full.Text || text.Category != full.Category {
				t.Errorf("%s/%s: text only %q / %q, full %q / %q", spec.Event, lang, text.Subject, text.Text, full.Subject, full.Text)
			}
			if text.HTML != "" || text.SMS != "" || len(text.SMSParams) != 0 {
				t.Errorf("%s/%s: text only rendered other parts: %+v", spec.Event, lang, text)
			}
		}
	}
	if _, err := c.Render(notify.EventRefundDecided, notify.ZhCN, map[string]string{"refund_id": "RF-1"}, notify.RenderOptions{TextOnly: true}); err == nil {
		t.Error("text only: missing variables accepted")
	}
}

func TestRenderRejectsWrongVars(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	tests := []struct {
		name string
		ev   notify.Event
		vars map[string]string
		want error
	}{
		{"Missing", notify.EventVerificationCode, map[string]string{"code": "1"}, notify.ErrVars},
		{"Unknown", notify.EventVerificationCode, map[string]string{"code": "1", "minutes": "5", "extra": "x"}, notify.ErrVars},
		{"UnknownEvent", "no.such", map[string]string{}, notify.ErrUnknownEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Render(tt.ev, notify.ZhCN, tt.vars, notify.RenderOptions{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestTemplatesCheckedAtLoad: a template referring to an undeclared
// variable, a missing language, or an SMS text using a variable it does
// not send to the provider is a load-time error.
func TestTemplatesCheckedAtLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(map[notify.Event]map[notify.Lang]notify.Source)
		want   string
	}{
		{"UndeclaredVar", func(m map[notify.Event]map[notify.Lang]notify.Source) {
			s := m[notify.EventRefundDecided][notify.En]
			s.Text += " {{.iban}}"
			m[notify.EventRefundDecided][notify.En] = s
		}, "{{.iban}}"},
		{"MissingLanguage", func(m map[notify.Event]map[notify.Lang]notify.Source) {
			delete(m[notify.EventMaintenance], notify.ZhCN)
		}, "maintenance.scheduled/zh-CN: no template"},
		{"SMSVarNotSent", func(m map[notify.Event]map[notify.Lang]notify.Source) {
			s := m[notify.EventVerificationCode][notify.ZhCN]
			s.SMSParams = []string{"code"}
			m[notify.EventVerificationCode][notify.ZhCN] = s
		}, "{{.minutes}}"},
		{"SyntaxError", func(m map[notify.Event]map[notify.Lang]notify.Source) {
			s := m[notify.EventAppealDecided][notify.En]
			s.Subject = "{{.appeal_id"
			m[notify.EventAppealDecided][notify.En] = s
		}, "appeal.decided/en: subject"},
		{"RangeNotAllowed", func(m map[notify.Event]map[notify.Lang]notify.Source) {
			s := m[notify.EventAppealDecided][notify.En]
			s.Text = "{{range .outcome}}x{{end}}"
			m[notify.EventAppealDecided][notify.En] = s
		}, "RangeNode"},
		{"EmptySMS", func(m map[notify.Event]map[notify.Lang]notify.Source) {
			s := m[notify.EventAppealDecided][notify.En]
			s.SMS = " "
			m[notify.EventAppealDecided][notify.En] = s
		}, "sms is empty"},
		{"UnknownEvent", func(m map[notify.Event]map[notify.Lang]notify.Source) {
			m["nope"] = map[notify.Lang]notify.Source{}
		}, `unknown event "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := notify.DefaultSources()
			tt.mutate(src)
			_, err := notify.NewCatalog(src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestMatrix(t *testing.T) {
	t.Parallel()
	if err := notify.DefaultMatrix().Validate(); err != nil {
		t.Fatalf("default matrix: %v", err)
	}
	good, err := notify.ParseMatrix(" agreement.revised = email+sms+inapp ; marketing.newsletter=inapp")
	if err != nil {
		t.Fatal(err)
	}
	m := notify.DefaultMatrix().With(good)
	if got := m.Channels(notify.EventAgreementRevised); len(got) != 3 {
		t.Errorf("override channels = %v", got)
	}
	if got := notify.DefaultMatrix().Channels(notify.EventAgreementRevised); len(got) != 2 {
		t.Errorf("With changed the original: %v", got)
	}
	bad := []struct{ name, in, want string }{
		{"NoEquals", "refund.decided", "want event=channel"},
		{"UnknownChannel", "refund.decided=fax", "unknown channel"},
		{"Twice", "refund.decided=email;refund.decided=sms", "given twice"},
		{"ChannelTwice", "refund.decided=email+email", "twice"},
	}
	for _, tt := range bad {
		if _, err := notify.ParseMatrix(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	inboxOnly, _ := notify.ParseMatrix("compliance.measure_imposed=inapp;bogus.event=email")
	err = notify.DefaultMatrix().With(inboxOnly).Validate()
	if err == nil || !strings.Contains(err.Error(), "inbox is not notice") || !strings.Contains(err.Error(), "bogus.event") {
		t.Errorf("validate = %v, want legal-notice and unknown-event problems", err)
	}
}

func TestSMSCodes(t *testing.T) {
	t.Parallel()
	codes, err := notify.ParseCodes("auth.verification_code=SMS_1, refund.decided = SMS_2, refund.decided/en=SMS_3")
	if err != nil || codes.For(notify.EventRefundDecided, notify.ZhCN) != "SMS_2" || codes.For(notify.EventRefundDecided, notify.En) != "SMS_3" {
		t.Fatalf("codes = %v, %v", codes, err)
	}
	if ev, lang, ok := codes.Lookup("SMS_3"); !ok || ev != notify.EventRefundDecided || lang != notify.En {
		t.Errorf("Lookup = %v %v %v", ev, lang, ok)
	}
	if err := notify.DefaultMatrix().CheckCodes(notify.SandboxCodes()); err != nil {
		t.Errorf("sandbox codes incomplete: %v", err)
	}
	if err := notify.DefaultMatrix().CheckCodes(codes); err == nil || !strings.Contains(err.Error(), "maintenance.scheduled") {
		t.Errorf("CheckCodes = %v, want the events without codes", err)
	}
	for _, in := range []string{"x=1", "auth.verification_code=", "auth.verification_code", "auth.verification_code/fr=X"} {
		if _, err := notify.ParseCodes(in); err == nil {
			t.Errorf("ParseCodes(%q) accepted", in)
		}
	}
}

func TestParsePhone(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in, norm, e164 string
	}{
		{"138 1234 5678", "13812345678", "+8613812345678"},
		{"+86 138-1234-5678", "13812345678", "+8613812345678"},
		{"+44 7700 900123", "+447700900123", "+447700900123"},
		{"+1-202-555-0100", "+12025550100", "+12025550100"},
	}
	for _, tt := range ok {
		p, err := notify.ParsePhone(tt.in)
		if err != nil || p.Normalized != tt.norm || p.E164() != tt.e164 {
			t.Errorf("ParsePhone(%q) = %+v, %v", tt.in, p, err)
		}
	}
	for _, in := range []string{"", "12345", "+8612345678901", "+0123456789", "+1234567", "+1234567890123456", "+44(20)12345678", "447700900123", "abc"} {
		if _, err := notify.ParsePhone(in); !errors.Is(err, notify.ErrInvalidPhone) {
			t.Errorf("ParsePhone(%q) = %v, want ErrInvalidPhone", in, err)
		}
	}
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	ok := map[string]string{" Alice@Example.COM ": "alice@example.com", "a.b+t@sub.example.cn": "a.b+t@sub.example.cn", "张三@例子.中国": "张三@例子.中国"}
	for in, want := range ok {
		if got, err := notify.ParseEmail(in); err != nil || got != want {
			t.Errorf("ParseEmail(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "alice", "alice@localhost", "Alice <alice@example.com>", "a@b@example.com", "alice@example..com", "alice@.example.com", "a(b)@example.com", "\"a b\"@example.com"} {
		if _, err := notify.ParseEmail(in); !errors.Is(err, notify.ErrInvalidEmail) {
			t.Errorf("ParseEmail(%q) = %v, want ErrInvalidEmail", in, err)
		}
	}
}

func TestPreferencesNeverSuppressLegal(t *testing.T) {
	t.Parallel()
	p := notify.Preferences{MarketingOptOut: map[notify.Channel]bool{notify.Email: true, notify.SMS: true, notify.InApp: true}}
	for _, c := range notify.Channels {
		if !p.Allows(notify.Legal, c) || !p.Allows(notify.Transactional, c) {
			t.Errorf("%s: legal or transactional suppressed", c)
		}
		if p.Allows(notify.Marketing, c) {
			t.Errorf("%s: marketing not suppressed", c)
		}
	}
	if err := notify.CheckOptOut(notify.Legal, notify.Email); !errors.Is(err, notify.ErrOptOutLegal) {
		t.Errorf("opting out of legal notices: %v", err)
	}
	if err := notify.CheckOptOut(notify.Marketing, "fax"); err == nil {
		t.Error("unknown channel accepted")
	}
	if err := notify.CheckOptOut(notify.Marketing, notify.SMS); err != nil {
		t.Error(err)
	}
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	p := notify.RetryPolicy{Base: time.Second, Max: 10 * time.Second, MaxAttempts: 5}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := p.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w)
		}
	}
	if p.GiveUp(4) || !p.GiveUp(5) {
		t.Error("GiveUp boundary wrong")
	}
	if notify.DefaultRetry.Delay(1000) != time.Hour {
		t.Error("large attempt numbers must cap, not overflow")
	}
}

func TestStatusTransitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to notify.Status
		ok       bool
	}{
		{notify.StatusQueued, notify.StatusSent, true},
		{notify.StatusQueued, notify.StatusFailed, true},
		{notify.StatusSent, notify.StatusDelivered, true},
		{notify.StatusDelivered, notify.StatusBounced, true},
		{notify.StatusFailed, notify.StatusQueued, false},
		{notify.StatusBounced, notify.StatusDelivered, false},
		{notify.StatusSent, notify.StatusQueued, false},
	}
	for _, tt := range tests {
		if got := notify.CanTransition(tt.from, tt.to); got != tt.ok {
			t.Errorf("%s → %s = %v", tt.from, tt.to, got)
		}
	}
}

func TestStableIdentifiers(t *testing.T) {
	t.Parallel()
	id := "0192d3c4-0000-7000-8000-000000000001"
	if notify.MessageID(id, "mail.example.com") != id+"@mail.example.com" || notify.MessageID(id, "") != id+"@yuanxu.invalid" {
		t.Error("MessageID")
	}
	if k := notify.IdempotencyKey(id); k != "yx-0192d3c4000070008000000000000001" || len(k) > 64 {
		t.Errorf("IdempotencyKey = %q", k)
	}
	if r := notify.Reason(strings.Repeat("长", 400) + "\n x"); len(r) > 504 || strings.Contains(r, "\n") {
		t.Errorf("Reason not trimmed: %d bytes", len(r))
	}
	if got := notify.ParseLang("en-GB"); got != notify.En {
		t.Error(got)
	}
	if got := notify.ParseLang("fr"); got != notify.ZhCN {
		t.Error(got)
	}
	at := time.Date(2026, 6, 1, 16, 30, 0, 0, time.UTC)
	if got := notify.FormatTime(at, notify.En); got != "2026-06-02 00:30" {
		t.Errorf("FormatTime = %q", got)
	}
}
