package pages_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yuanxu/internal/browsertest"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/webtest"
)

// TestBrowserTicketConversation: the demo individual opens a ticket with a
// PNG attachment in the portal; a support agent reads it in the console
// queue, adds an internal note and answers; the customer reads the answer
// (never the note), downloads nothing it should not, and closes the ticket;
// the opened, answered and closed emails arrive in mailpit, none carrying
// the note.
func TestBrowserTicketConversation(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, SMTPURL: mp.SMTPURL("none")})
	if _, err := s.App.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	const custEmail = "individual@demo.yuanxu.test"
	png := filepath.Join(t.TempDir(), "screenshot.png")
	if err := os.WriteFile(png, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 256)...), 0o600); err != nil {
		t.Fatal(err)
	}

	// The customer opens a ticket with an attachment.
	cb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	cb.Navigate(s.URL + "/login")
	cb.SetValue("#identifier", custEmail)
	cb.SetValue("#password", "yuanxu-demo-individual")
	if st := cb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("customer sign-in: %d", st)
	}
	if st := cb.Navigate(s.URL + "/tickets/new"); st != http.StatusOK {
		t.Fatalf("new ticket page: %d", st)
	}
	loaded(t, cb)
	cb.SetValue("#subject", "浏览器测试：无法登录面板")
	cb.SetValue("#body", "控制面板一直转圈，见截图。")
	ctx, cancel := context.WithTimeout(cb.Context(), 10*time.Second)
	if _, err := chromedp.Run(ctx, chromedp.SetUploadFiles(chromedp.CSS("#attachment"), []string{png})); err != nil {
		cancel()
		t.Fatalf("attach: %v", err)
	}
	cancel()
	cb.Screenshot("ticket-new")
	if st := cb.ClickNavigate("#ticket-submit"); st != http.StatusOK {
		t.Fatalf("submit ticket: %d (%s)", st, cb.Text("main"))
	}
	loc := cb.Location()
	if !strings.Contains(loc, "/tickets/") || !strings.Contains(loc, "done=ticket_opened") {
		t.Fatalf("after submitting: %s", loc)
	}
	ticketPath := strings.SplitN(loc[strings.Index(loc, "/tickets/"):], "?", 2)[0]
	ticketID := strings.TrimPrefix(ticketPath, "/tickets/")
	if got := cb.Text(".attachment"); got != "screenshot.png" {
		t.Errorf("attachment link %q", got)
	}
	ref := cb.Text("#ticket-heading code")

	// Support answers in the console, after an internal note.
	sb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	sb.Navigate(s.URL + "/console/login")
	sb.SetValue("#identifier", "support@staff.demo.yuanxu.test")
	sb.SetValue("#password", "yuanxu-demo-staff-support")
	if st := sb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("staff sign-in: %d", st)
	}
	if st := sb.Navigate(s.URL + "/console/tickets"); st != http.StatusOK {
		t.Fatalf("queue: %d", st)
	}
	if !sb.Exists(`tr[data-ticket="` + ticketID + `"]`) {
		t.Fatalf("the new ticket is not in the waiting queue")
	}
	sb.Screenshot("console-queue")
	sb.Navigate(s.URL + "/console/tickets/" + ticketID)
	if !sb.Exists("#timer-first") {
		t.Error("no timers on the console ticket page")
	}
	sb.SetValue("#body", "内部：客户浏览器版本过旧")
	sb.Click("#internal")
	if st := sb.ClickNavigate("#ticket-answer-submit"); st != http.StatusOK {
		t.Fatalf("note: %d", st)
	}
	if !sb.Exists(".message.is-internal") {
		t.Error("the note is not shown to staff as internal")
	}
	sb.SetValue("#body", "您好，请清除浏览器缓存后重试。")
	if st := sb.ClickNavigate("#ticket-answer-submit"); st != http.StatusOK {
		t.Fatalf("answer: %d", st)
	}
	if got := sb.Text("#ticket-state"); got != "已答复" {
		t.Errorf("state after answering %q", got)
	}
	sb.Screenshot("console-ticket")

	// The customer reads the answer, never the note, and closes the ticket.
	cb.Navigate(s.URL + ticketPath)
	bodies := strings.Join(cb.Texts(".message-body"), "\n")
	if !strings.Contains(bodies, "清除浏览器缓存") {
		t.Errorf("the answer is not shown: %q", bodies)
	}
	if strings.Contains(cb.Text("main"), "内部") {
		t.Errorf("the internal note leaked to the customer page")
	}
	if !cb.Exists("#ticket-auto-close") {
		t.Error("no auto-close notice on an answered ticket")
	}
	cb.Screenshot("ticket-answered")
	if st := cb.ClickNavigate("#ticket-close-button"); st != http.StatusOK {
		t.Fatalf("close: %d", st)
	}
	if got := cb.Text("#ticket-state"); got != "已关闭" {
		t.Errorf("state after closing %q", got)
	}
	if cb.Exists("#ticket-reply") {
		t.Error("a closed ticket still offers a reply form")
	}

	// The emails: opened, answered, closed; none carries the note.
	subjects := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(subjects) < 3 {
		for _, m := range mp.Messages(t) {
			if len(m.To) != 1 || m.To[0].Address != custEmail || !strings.Contains(m.Subject, ref) {
				continue
			}
			msg := mp.Message(t, m.ID)
			if strings.Contains(msg.Text, "内部") || strings.Contains(msg.Text, "版本过旧") {
				t.Fatalf("an email carries the internal note: %q", msg.Text)
			}
			switch {
			case strings.Contains(m.Subject, "已受理"):
				subjects["opened"] = true
			case strings.Contains(m.Subject, "新答复"):
				subjects["answered"] = true
			case strings.Contains(m.Subject, "已关闭"):
				subjects["closed"] = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("emails received: %v; want opened, answered and closed", subjects)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
