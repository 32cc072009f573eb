package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// TestSandboxMailOutbox: a verification code sent in sandbox mode crosses
// SMTP to the sandbox sink and a staff member reads it through the API;
// customers and anonymous callers cannot.
func TestSandboxMailOutbox(t *testing.T) {
	t.Parallel()
	var sink *app.SandboxMail
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, BeforeStart: func(a *app.App) {
		_ = a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams})
		var err error
		if sink, err = a.StartSandboxMail(); err != nil {
			t.Fatal(err)
		}
		if err := a.ConfigureNotify(app.NotifyConfig{Email: sink.Sender}); err != nil {
			t.Fatal(err)
		}
	}})
	t.Cleanup(func() { sink.Close() })
	ctx := context.Background()
	if _, err := s.App.CreateStaff(ctx, nil, app.CreateStaffInput{Email: "ops@staff.test", DisplayName: "Ops", Password: "correct horse battery 42", Roles: []account.Role{"support"}}); err != nil {
		t.Fatal(err)
	}
	res := s.Do(t, http.MethodPost, "/api/v1/auth/codes", map[string]any{"purpose": "register_email", "target": "newbie@example.com", "lang": "en"})
	if res.Status != http.StatusAccepted {
		t.Fatalf("send code: %d %s", res.Status, res.Body)
	}
	if res := s.Do(t, http.MethodGet, "/api/v1/staff/sandbox/mail", nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous read: %d, want 401", res.Status)
	}
	login := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"login": "ops@staff.test", "password": "correct horse battery 42", "staff": true})
	var cookie string
	for _, c := range (&http.Response{Header: login.Header}).Cookies() {
		if c.Name == web.SessionCookie {
			cookie = c.Value
		}
	}
	if login.Status != http.StatusOK || cookie == "" {
		t.Fatalf("staff login: %d %s", login.Status, login.Body)
	}
	var body struct {
		Messages []web.SandboxMailBody `json:"messages"`
	}
	for deadline := 0; ; deadline++ {
		res := s.Do(t, http.MethodGet, "/api/v1/staff/sandbox/mail?to=newbie@example.com", nil, "Cookie", web.SessionCookie+"="+cookie)
		if res.Status != http.StatusOK {
			t.Fatalf("staff read: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &body)
		if len(body.Messages) > 0 || deadline > 200 {
			break
		}
		time.Sleep(50 * time.Millisecond) // the delivery job runs in the background
	}
	if len(body.Messages) != 1 {
		t.Fatalf("sandbox mail for newbie = %d messages, want 1", len(body.Messages))
	}
	m := body.Messages[0]
	if m.To != "n***@example.com" || !strings.Contains(m.Text, "code") {
		t.Fatalf("message = %+v", m)
	}
}
