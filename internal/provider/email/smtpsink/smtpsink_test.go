package smtpsink_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"yuanxu/internal/provider/email"
	"yuanxu/internal/provider/email/smtpsink"
)

type memOutbox struct {
	mu   sync.Mutex
	mail []smtpsink.Mail
	fail error
}

func (m *memOutbox) Put(_ context.Context, x smtpsink.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.mail = append(m.mail, x)
	return nil
}

func (m *memOutbox) all() []smtpsink.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]smtpsink.Mail(nil), m.mail...)
}

func start(t *testing.T, out smtpsink.Outbox) *smtpsink.Server {
	t.Helper()
	s, err := smtpsink.Listen(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestProductionClientDeliversToSink: the production email client sends a
// multipart message over real SMTP and the sink keeps it whole.
func TestProductionClientDeliversToSink(t *testing.T) {
	t.Parallel()
	out := &memOutbox{}
	s := start(t, out)
	ep, err := email.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	c, err := email.New(email.Config{Endpoint: ep, From: "元序 <noreply@yuanxu.test>"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() }) // before the sink's Close, which waits for the session
	_, err = c.Send(context.Background(), email.Message{
		To: "alice@example.com", Subject: "验证码 123456", Text: "您的验证码是 123456。\n.leading dot line",
		HTML: "<p>您的验证码是 <b>123456</b></p>", MessageID: "n1.d1@yuanxu.test", Lang: "zh-CN",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := out.all()
	if len(got) != 1 {
		t.Fatalf("sink holds %d messages, want 1", len(got))
	}
	m := got[0]
	if m.From != "noreply@yuanxu.test" || len(m.To) != 1 || m.To[0] != "alice@example.com" {
		t.Errorf("envelope = %q → %q", m.From, m.To)
	}
	data := string(m.Data)
	for _, want := range []string{"Message-ID: <n1.d1@yuanxu.test>", "multipart/alternative"} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q", want)
		}
	}
}

func dial(t *testing.T, s *smtpsink.Server) *textproto.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := textproto.NewConn(nc)
	t.Cleanup(func() { c.Close() })
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	return c
}

func cmd(t *testing.T, c *textproto.Conn, want int, format string, args ...any) string {
	t.Helper()
	id, err := c.Cmd(format, args...)
	if err != nil {
		t.Fatal(err)
	}
	c.StartResponse(id)
	defer c.EndResponse(id)
	code, msg, err := c.ReadResponse(want)
	if err != nil {
		t.Fatalf("%s: got %d %s, want %d", fmt.Sprintf(format, args...), code, msg, want)
	}
	return msg
}

// TestProtocolMistakes: commands out of order and bad paths get 5xx
// answers and the session goes on.
func TestProtocolMistakes(t *testing.T) {
	t.Parallel()
	out := &memOutbox{}
	c := dial(t, start(t, out))
	cmd(t, c, 503, "MAIL FROM:<a@b>")
	cmd(t, c, 250, "EHLO client")
	cmd(t, c, 503, "RCPT TO:<c@d>")
	cmd(t, c, 503, "DATA")
	cmd(t, c, 503, "MAIL FROM:no-brackets")
	cmd(t, c, 250, "MAIL FROM:<a@b>")
	cmd(t, c, 501, "RCPT TO:")
	cmd(t, c, 502, "STARTTLS")
	cmd(t, c, 500, "BOGUS")
	cmd(t, c, 250, "RCPT TO:<c@d>")
	cmd(t, c, 354, "DATA")
	w := c.DotWriter()
	w.Write([]byte("Subject: hi\r\n\r\n.dot\r\nbody\r\n")) // stuffed to "..dot" on the wire
	w.Close()
	if _, _, err := c.ReadResponse(250); err != nil {
		t.Fatal(err)
	}
	cmd(t, c, 221, "QUIT")
	got := out.all()
	if len(got) != 1 || string(got[0].Data) != "Subject: hi\r\n\r\n.dot\r\nbody\r\n" {
		t.Fatalf("stored %q; want the message with dot-stuffing undone", got)
	}
}

// TestStoreFailureIsTemporary: when the outbox cannot store, the client is
// told to retry (451), never that the message was accepted.
func TestStoreFailureIsTemporary(t *testing.T) {
	t.Parallel()
	out := &memOutbox{fail: errors.New("db down")}
	c := dial(t, start(t, out))
	cmd(t, c, 250, "HELO x")
	cmd(t, c, 250, "MAIL FROM:<a@b>")
	cmd(t, c, 250, "RCPT TO:<c@d>")
	cmd(t, c, 354, "DATA")
	w := c.DotWriter()
	w.Write([]byte("Subject: x\r\n\r\nbody\r\n"))
	w.Close()
	if code, _, err := c.ReadResponse(451); err == nil || code != 451 {
		// ReadResponse returns an error for 4xx; the code is what matters.
		if code != 451 {
			t.Fatalf("answer %d, want 451", code)
		}
	}
}

// FuzzSession: arbitrary client bytes never crash the server.
func FuzzSession(f *testing.F) {
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n"))
	f.Add([]byte("DATA\r\n.\r\n"))
	f.Add([]byte("MAIL FROM:<\r\n"))
	out := &memOutbox{}
	s, err := smtpsink.Listen(out)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, in []byte) {
		nc, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write(in)
		nc.Write([]byte("\r\nQUIT\r\n"))
		r := bufio.NewReader(nc)
		for {
			line, err := r.ReadString('\n')
			if err != nil || strings.HasPrefix(line, "221") {
				return
			}
		}
	})
}
