package smtpsink_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/provider/email"
	"yuanxu/internal/testutil/tcprelay"
)

// commands returns the client's command lines (the messages' text left
// out), and the chunks that carried a MAIL command.
func commands(r *tcprelay.Relay) (cmds []string, mailChunks []string) {
	inData := false
	for _, ch := range r.Chunks() {
		if strings.Contains(ch, "MAIL FROM:") {
			mailChunks = append(mailChunks, ch)
		}
		for _, line := range strings.SplitAfter(ch, "\r\n") {
			line = strings.TrimSuffix(line, "\r\n")
			switch {
			case inData:
				inData = line != "."
			case line == "":
			default:
				verb, _, _ := strings.Cut(line, " ")
				cmds = append(cmds, strings.ToUpper(verb))
				inData = verb == "DATA"
			}
		}
	}
	return cmds, mailChunks
}

// TestPipelinedTransactions: on a pooled connection the production client
// sends each message as MAIL, RCPT and DATA in one write (the sink offers
// PIPELINING) and the text with its dot in a second, with no NOOP before it
// or RSET after it; the sink answers the pipelined commands in order. A
// refusal (the outbox failing: 451) is the client's temporary error, and the
// next message goes out on a fresh connection.
func TestPipelinedTransactions(t *testing.T) {
	t.Parallel()
	out := &memOutbox{}
	s := start(t, out)
	rec := tcprelay.Start(t, s.Addr())
	ep, err := email.ParseURL("smtp://" + rec.Addr() + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	c, err := email.New(email.Config{Endpoint: ep, From: "元序 <noreply@yuanxu.test>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	send := func(id string) error {
		_, err := c.Send(ctx, email.Message{To: "bob." + id + "@example.com", Subject: "订单 " + id, Text: "第一行\n.以点开头的一行", MessageID: id + "@yuanxu.test"})
		return err
	}
	for _, id := range []string{"p1", "p2", "p3"} {
		if err := send(id); err != nil {
			t.Fatalf("send %s: %v", id, err)
		}
	}
	got := out.all()
	if len(got) != 3 {
		t.Fatalf("sink holds %d messages, want 3", len(got))
	}
	for i, m := range got {
		id := fmt.Sprintf("p%d", i+1)
		if len(m.To) != 1 || m.To[0] != "bob."+id+"@example.com" || !strings.Contains(string(m.Data), "Message-ID: <"+id+"@yuanxu.test>") {
			t.Errorf("message %d: to %v, %d bytes", i, m.To, len(m.Data))
		}
	}
	cmds, mailChunks := commands(rec)
	if want := "EHLO MAIL RCPT DATA MAIL RCPT DATA MAIL RCPT DATA"; strings.Join(cmds, " ") != want {
		t.Errorf("commands = %v, want %s", cmds, want)
	}
	for _, ch := range mailChunks {
		if !strings.Contains(ch, "\r\nRCPT TO:") || !strings.HasSuffix(ch, "\r\nDATA\r\n") {
			t.Errorf("MAIL, RCPT and DATA not sent together: %q", ch)
		}
	}
	if conns, _ := rec.Counts(); conns != 1 {
		t.Errorf("connections = %d, want 1 for three messages", conns)
	}

	out.mu.Lock()
	out.fail = errors.New("disk full")
	out.mu.Unlock()
	var ee *email.Error
	if err := send("p4"); !errors.As(err, &ee) || ee.Code != 451 || !ee.Temporary() {
		t.Fatalf("refused message: err = %#v, want a temporary 451", err)
	}
	out.mu.Lock()
	out.fail = nil
	out.mu.Unlock()
	if err := send("p5"); err != nil {
		t.Fatalf("after a refusal: %v", err)
	}
	if n := len(out.all()); n != 4 {
		t.Errorf("sink holds %d messages, want 4", n)
	}
	if conns, _ := rec.Counts(); conns != 2 {
		t.Errorf("connections = %d, want 2: the refused transaction's was closed", conns)
	}
}
