package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"yuanxu/internal/clock"
	"yuanxu/internal/store"
)

// outboxCmd prints the notification delivery log and, on a sandbox
// database, what the embedded SMS provider received (verification codes
// included) — until the console shows them (accounts issue). Addresses are
// masked; no secrets are needed.
type outboxCmd struct {
	dbFlags
	Limit int  `help:"How many of each to show, newest first." default:"20"`
	JSON  bool `name:"json" help:"Print JSON instead of tables."`
}

type outboxDelivery struct {
	ID                string    `json:"id"`
	Notification      string    `json:"notification_id"`
	Event             string    `json:"event"`
	Lang              string    `json:"lang"`
	Channel           string    `json:"channel"`
	To                string    `json:"to"`
	Status            string    `json:"status"`
	Attempts          int       `json:"attempts"`
	Provider          string    `json:"provider,omitempty"`
	ProviderMessageID string    `json:"provider_message_id,omitempty"`
	MessageKey        string    `json:"message_key"`
	Reason            string    `json:"reason,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	FirstDeliveredAt  time.Time `json:"first_delivered_at,omitzero"`
}

type outboxSMS struct {
	ReceivedAt        time.Time `json:"received_at"`
	Provider          string    `json:"provider"`
	To                string    `json:"to"`
	Text              string    `json:"text"`
	TemplateCode      string    `json:"template_code"`
	Params            string    `json:"params"`
	IdempotencyKey    string    `json:"idempotency_key"`
	ProviderMessageID string    `json:"provider_message_id"`
}

type outboxMail struct {
	ReceivedAt time.Time `json:"received_at"`
	To         string    `json:"to"`
	Subject    string    `json:"subject"`
	MessageID  string    `json:"message_id"`
	Text       string    `json:"text"`
}

type outboxReport struct {
	Sandbox    bool             `json:"sandbox"`
	Deliveries []outboxDelivery `json:"deliveries"`
	SMS        []outboxSMS      `json:"sandbox_sms"`
	Mail       []outboxMail     `json:"sandbox_mail"`
}

func (o *outboxCmd) Run(e *env) error {
	db, err := o.open(e.ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	_, sandbox, err := db.SandboxClockGet(e.ctx)
	if err != nil {
		return err
	}
	r := outboxReport{Sandbox: sandbox, Deliveries: []outboxDelivery{}, SMS: []outboxSMS{}, Mail: []outboxMail{}}
	ds, err := db.Deliveries(e.ctx, store.DeliveryFilter{Limit: o.Limit})
	if err != nil {
		return err
	}
	for _, d := range ds {
		r.Deliveries = append(r.Deliveries, outboxDelivery{ID: d.ID, Notification: d.NotificationID, Event: d.Event, Lang: d.Lang, Channel: d.Channel,
			To: d.AddressMasked, Status: d.Status, Attempts: d.Attempts, Provider: d.Provider, ProviderMessageID: d.ProviderMessageID,
			MessageKey: d.MessageKey, Reason: d.Reason, CreatedAt: d.CreatedAt, FirstDeliveredAt: d.FirstDeliveredAt})
	}
	if sandbox {
		ms, err := db.SandboxSMSList(e.ctx, nil, o.Limit)
		if err != nil {
			return err
		}
		for _, m := range ms {
			r.SMS = append(r.SMS, outboxSMS{ReceivedAt: m.ReceivedAt, Provider: m.Provider, To: m.PhoneMasked, Text: m.Text, TemplateCode: m.TemplateCode,
				Params: m.Params, IdempotencyKey: m.IdempotencyKey, ProviderMessageID: m.ProviderMessageID})
		}
		mails, err := db.SandboxMailList(e.ctx, nil, o.Limit)
		if err != nil {
			return err
		}
		for _, m := range mails {
			r.Mail = append(r.Mail, outboxMail{ReceivedAt: m.ReceivedAt, To: m.RcptMasked, Subject: m.Subject, MessageID: m.MessageID, Text: m.Text})
		}
	}
	if o.JSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	show := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(clock.Shanghai).Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(e.stdout, "Delivery log (newest first, times +08:00):\n")
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tEVENT\tCHANNEL\tTO\tSTATUS\tATTEMPTS\tFIRST DELIVERED\tPROVIDER ID\tREASON")
	for _, d := range r.Deliveries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", show(d.CreatedAt), d.Event, d.Channel, d.To, d.Status, d.Attempts, show(d.FirstDeliveredAt), d.ProviderMessageID, d.Reason)
	}
	tw.Flush()
	if !sandbox {
		fmt.Fprintln(e.stdout, "\nNot a sandbox database: there is no sandbox SMS outbox.")
		return nil
	}
	fmt.Fprintf(e.stdout, "\nSandbox SMS outbox (what the embedded provider received):\n")
	tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tPROVIDER\tTO\tTEXT")
	for _, m := range r.SMS {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", show(m.ReceivedAt), m.Provider, m.To, m.Text)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nSandbox mail (what the embedded SMTP sink received):\n")
	for _, m := range r.Mail {
		fmt.Fprintf(e.stdout, "--- %s  to %s  %s\n%s\n", show(m.ReceivedAt), m.To, m.Subject, strings.TrimSpace(m.Text))
	}
	return nil
}
