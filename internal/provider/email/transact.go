package email

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// transact sends msg on sc as one SMTP mail transaction and reports
// whether the relay answered anything (replied). It writes what the
// transaction needs and nothing else: go-mail's SendWithSMTPClient adds a
// NOOP before it (to check a reused connection) and a RSET after it, two
// more round trips per message, though the end of the data clears the
// transaction's buffers for the next MAIL (RFC 5321 §4.1.1.4) and a reused
// connection that the relay has dropped shows just as well on the MAIL,
// where nothing has been accepted yet (Send then tries a fresh one). When
// the relay offers PIPELINING (RFC 2920) MAIL, RCPT and DATA go in one
// write, and the message with its final dot in another: two round trips
// per message, against six through SendWithSMTPClient.
//
// The whole transaction must end within timeout. On any error the session
// is in an unknown state: the caller discards sc. Errors are the relay's
// replies (*textproto.Error) or transport failures.
func transact(sc *smtp.Client, msg *mail.Msg, timeout time.Duration) (replied bool, err error) {
	if err := sc.UpdateDeadline(timeout); err != nil {
		return false, err
	}
	from, err := msg.GetSender(false)
	if err != nil {
		return false, err
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return false, err
	}
	mailCmd := "MAIL FROM:" + from
	if ok, _ := sc.Extension("8BITMIME"); ok {
		mailCmd += " BODY=8BITMIME"
	}
	if ok, _ := sc.Extension("SMTPUTF8"); ok {
		mailCmd += " SMTPUTF8"
	}
	cmds := make([]string, 0, len(rcpts)+2)
	want := make([]int, 0, len(rcpts)+2)
	cmds, want = append(cmds, mailCmd), append(want, 250)
	for _, r := range rcpts {
		cmds, want = append(cmds, "RCPT TO:"+r), append(want, 25)
	}
	cmds, want = append(cmds, "DATA"), append(want, 354)
	for _, c := range cmds {
		if strings.ContainsAny(c, "\r\n") {
			return false, errors.New("smtp: a line break in an address")
		}
	}
	text := sc.Text
	if ok, _ := sc.Extension("PIPELINING"); ok {
		for _, c := range cmds {
			if _, err := fmt.Fprintf(text.W, "%s\r\n", c); err != nil {
				return false, err
			}
		}
		if err := text.W.Flush(); err != nil {
			return false, err
		}
		for _, code := range want {
			if _, _, err := text.ReadResponse(code); err != nil {
				return replied || isReply(err), err
			}
			replied = true
		}
	} else {
		for i, c := range cmds {
			if err := text.PrintfLine("%s", c); err != nil {
				return replied, err
			}
			if _, _, err := text.ReadResponse(want[i]); err != nil {
				return replied || isReply(err), err
			}
			replied = true
		}
	}
	w := text.DotWriter()
	if _, err := msg.WriteTo(w); err != nil {
		_ = w.Close()
		return true, err
	}
	if err := w.Close(); err != nil {
		return true, err
	}
	_, _, err = text.ReadResponse(250)
	return true, err
}

// isReply reports whether err is a reply of the relay's.
func isReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te)
}

// closing reports whether err is the relay's 421: it is closing the session
// and accepted nothing in it.
func closing(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code == 421
}

// enhancedCode matches an enhanced status code (RFC 3463) at the start of a
// reply's text.
var enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// replyError turns a relay's reply into *Error: ≥ 500 is permanent.
func replyError(te *textproto.Error) *Error {
	msg := oneLine(te.Msg)
	enh := enhancedCode.FindString(msg)
	if enh != "" {
		msg = strings.TrimSpace(msg[len(enh):])
	}
	return &Error{Code: te.Code, Enhanced: enh, Reason: msg, Retry: te.Code < 500}
}
