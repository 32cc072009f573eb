package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

type sandboxMailInput struct {
	To    string `query:"to" maxLength:"254" doc:"Only messages to this address."`
	Limit int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// SandboxMailBody is a message the sandbox SMTP sink received.
type SandboxMailBody struct {
	ID         string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	To         string    `json:"to" doc:"Masked." example:"a***@example.com"`
	Subject    string    `json:"subject" example:"您的验证码：123456"`
	MessageID  string    `json:"message_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70@sandbox.yuanxu.invalid"`
	Text       string    `json:"text" doc:"The text/plain part." example:"您的验证码是 123456，10 分钟内有效。"`
	ReceivedAt time.Time `json:"received_at" example:"2026-06-01T10:00:00+08:00"`
}

type sandboxMailOutput struct {
	Body struct {
		Messages []SandboxMailBody `json:"messages"`
	}
}

// registerSandboxMail adds the sandbox mail outbox (sandbox mode only).
func registerSandboxMail(s *server) {
	if !s.app.IsSandbox() {
		return
	}
	register(s, huma.Operation{OperationID: "sandbox-mail-outbox", Method: http.MethodGet, Path: "/staff/sandbox/mail", Tags: []string{"sandbox"}, Security: secSession,
		Summary: "Sandbox mail outbox", Description: "Messages the sandbox SMTP sink received (sandbox mode without --smtp-url). Needs notify.log.read.", Errors: []int{401, 403}},
		func(ctx context.Context, in *sandboxMailInput) (*sandboxMailOutput, error) {
			if _, err := staffOnly(ctx, s, "notify.log.read"); err != nil {
				return nil, err
			}
			ms, err := s.app.SandboxMailMessages(ctx, in.To, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &sandboxMailOutput{}
			out.Body.Messages = []SandboxMailBody{}
			for _, m := range ms {
				out.Body.Messages = append(out.Body.Messages, SandboxMailBody{ID: m.ID, To: m.RcptMasked, Subject: m.Subject, MessageID: m.MessageID, Text: m.Text, ReceivedAt: m.ReceivedAt})
			}
			return out, nil
		})
}

// registerResend adds the staff resend of a failed or bounced delivery.
func registerResend(s *server) {
	register(s, huma.Operation{OperationID: "resend-delivery", Method: http.MethodPost, Path: "/staff/notifications/{id}/resend", Tags: []string{"staff"},
		Security: secSession, DefaultStatus: http.StatusNoContent, Summary: "Resend a failed or bounced delivery",
		Description: "Puts a failed or bounced email or SMS delivery back in the queue with a fresh retry budget; the Message-ID or idempotency key stays. Needs notify.resend. 409 when the delivery is not failed or bounced.",
		Errors:      []int{401, 403, 404, 409}},
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.NotifyResend(ctx, p.Principal, in.ID)
		})
}
