package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"yuanxu/internal/id"
	"yuanxu/internal/pii"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/provider/email/smtpsink"
	"yuanxu/internal/store"
)

// SandboxMail is the sandbox SMTP sink and the production email client
// pointed at it.
type SandboxMail struct {
	Sink   *smtpsink.Server
	Sender *email.Client
}

// Close closes the sender's idle connections and stops the sink.
func (s *SandboxMail) Close() error {
	_ = s.Sender.Close()
	return s.Sink.Close()
}

// SandboxMailFrom is the sender address of sandbox notification mail.
const SandboxMailFrom = "元序 yuanxu sandbox <noreply@sandbox.yuanxu.invalid>"

// StartSandboxMail starts the sandbox SMTP sink on loopback. Messages sent
// to it are stored (recipient sealed and indexed) and listed by
// SandboxMailMessages, so that in sandbox mode without an SMTP server
// notification email still crosses real SMTP and a person can read it.
func (a *App) StartSandboxMail() (*SandboxMail, error) {
	return StartSandboxMailTo(&mailOutbox{a: a})
}

// StartSandboxMailTo starts an SMTP sink on loopback that keeps what it
// receives in out, and the production email client pointed at it. The
// benchmark's sink counts messages instead of storing them: it stands in
// for a mail relay, whose work is not the instance's.
func StartSandboxMailTo(out smtpsink.Outbox) (*SandboxMail, error) {
	sink, err := smtpsink.Listen(out)
	if err != nil {
		return nil, err
	}
	ep, err := email.ParseURL(sink.URL())
	if err != nil {
		sink.Close()
		return nil, err
	}
	c, err := email.New(email.Config{Endpoint: ep, From: SandboxMailFrom, HELO: "yuanxu-sandbox"})
	if err != nil {
		sink.Close()
		return nil, err
	}
	return &SandboxMail{Sink: sink, Sender: c}, nil
}

type mailOutbox struct{ a *App }

// Put stores one message per recipient.
func (o *mailOutbox) Put(ctx context.Context, m smtpsink.Mail) error {
	subject, messageID, text := parseMail(m.Data)
	return o.a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, rcpt := range m.To {
			norm, err := pii.NormalizeEmail(rcpt)
			if err != nil {
				norm = strings.ToLower(strings.TrimSpace(rcpt))
			}
			rowID := id.New()
			sealed, err := o.a.secrets.PII.SealString(norm, pii.AAD{Table: "notify_sandbox_mail", Column: "rcpt", Row: rowID})
			if err != nil {
				return err
			}
			if err := tx.SandboxMailInsert(ctx, store.SandboxMail{
				ID: rowID, Rcpt: sealed, RcptIndex: o.a.secrets.Blind.Sum(pii.KindEmail, norm), RcptMasked: pii.MaskEmail(norm),
				From: m.From, Subject: subject, MessageID: messageID, Text: text, SizeBytes: int64(len(m.Data)), ReceivedAt: m.At,
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// SandboxMailMessages lists what the sandbox SMTP sink received, newest
// first; a non-empty address selects one recipient's.
func (a *App) SandboxMailMessages(ctx context.Context, address string, limit int) ([]store.SandboxMail, error) {
	var idx []byte
	if address != "" {
		norm, err := pii.NormalizeEmail(address)
		if err != nil {
			return nil, err
		}
		idx = a.secrets.Blind.Sum(pii.KindEmail, norm)
	}
	return a.db.SandboxMailList(ctx, idx, limit)
}

// parseMail extracts the decoded subject, the Message-ID and the first
// text/plain part. A message it cannot parse is kept whole as text.
func parseMail(data []byte) (subject, messageID, text string) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return "", "", string(data)
	}
	dec := new(mime.WordDecoder)
	subject = msg.Header.Get("Subject")
	if s, err := dec.DecodeHeader(subject); err == nil {
		subject = s
	}
	messageID = strings.Trim(msg.Header.Get("Message-Id"), "<> ")
	text = firstText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	return subject, messageID, text
}

func firstText(contentType, encoding string, body io.Reader, depth int) string {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mediaType, err = "text/plain", nil
	}
	if err != nil || depth > 5 {
		b, _ := io.ReadAll(io.LimitReader(body, 1<<20))
		return string(b)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return ""
			}
			if t := firstText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); t != "" {
				return t
			}
		}
	}
	if mediaType != "text/plain" {
		return ""
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &lineStripper{r: body})
	}
	b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
	return string(b)
}

// lineStripper drops CR and LF so base64 bodies wrapped at 76 columns decode.
type lineStripper struct{ r io.Reader }

func (l *lineStripper) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	j := 0
	for i := 0; i < n; i++ {
		if p[i] != '\r' && p[i] != '\n' {
			p[j] = p[i]
			j++
		}
	}
	return j, err
}
