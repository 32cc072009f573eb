package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/provider/sms"
	"yuanxu/internal/provider/sms/aliyun"
	"yuanxu/internal/provider/sms/sandbox"
	"yuanxu/internal/provider/sms/tencent"
	"yuanxu/internal/store"
)

// SandboxSMS is a running embedded SMS provider: the checking server on a
// loopback port and the production client of one protocol pointed at it.
type SandboxSMS struct {
	Sender   sms.Sender
	Server   *sandbox.Server
	Listener *sandbox.Listener
	// Codes are the template codes the sandbox knows (notify.SandboxCodes).
	Codes notify.Codes
}

// Close stops the server.
func (s *SandboxSMS) Close(ctx context.Context) error { return s.Listener.Close(ctx) }

// StartSandboxSMS starts the embedded signature-checking SMS server with
// fresh credentials, keeping what it receives in the database (so every
// instance, and `yuanxu admin outbox`, can read it), and returns the
// production client of protocol ("aliyun" or "tencent") pointed at it.
// For sandbox mode and tests; the caller closes it.
func (a *App) StartSandboxSMS(protocol string) (*SandboxSMS, error) {
	return StartSandboxSMSTo(protocol, &dbOutbox{a: a, codes: notify.SandboxCodes()})
}

// StartSandboxSMSTo starts the embedded signature-checking SMS server,
// keeping what it receives in box, and returns the production client of
// protocol pointed at it. The benchmark's box counts messages instead of
// storing them: it stands in for an SMS provider.
func StartSandboxSMSTo(protocol string, box sandbox.Outbox) (*SandboxSMS, error) {
	srv := &sandbox.Server{Aliyun: map[string]string{}, Tencent: map[string]string{}, TencentAppID: "1400000000"}
	out := &SandboxSMS{Server: srv, Codes: notify.SandboxCodes()}
	srv.Outbox = box
	ln, err := sandbox.Listen(srv)
	if err != nil {
		return nil, err
	}
	out.Listener = ln
	switch protocol {
	case "", "aliyun":
		kid, secret := sandbox.NewCredential("LTAI")
		srv.Aliyun[kid] = secret
		out.Sender = &aliyun.Client{Endpoint: ln.URL, AccessKeyID: kid, AccessKeySecret: secret}
	case "tencent":
		sid, key := sandbox.NewCredential("AKID")
		srv.Tencent[sid] = key
		out.Sender, err = tencent.New(tencent.Config{SecretID: sid, SecretKey: key, AppID: srv.TencentAppID, Endpoint: ln.Host, Insecure: true})
	default:
		err = fmt.Errorf("sandbox sms: unknown protocol %q (aliyun or tencent)", protocol)
	}
	if err != nil {
		_ = ln.Close(context.Background())
		return nil, err
	}
	return out, nil
}

// dbOutbox stores what the sandbox provider received, with the phone
// sealed and indexed and the message rendered for people to read.
type dbOutbox struct {
	a     *App
	codes notify.Codes
}

func (o *dbOutbox) Put(ctx context.Context, r sandbox.Received) error {
	rowID := id.New()
	norm := r.Phone
	if p, err := notify.ParsePhone(r.Phone); err == nil {
		norm = p.Normalized
	} else if p, err := notify.ParsePhone("+" + r.Phone); err == nil {
		norm = p.Normalized
	}
	sealed, err := o.a.secrets.PII.SealString(norm, pii.AAD{Table: "notify_sandbox_sms", Column: "phone", Row: rowID})
	if err != nil {
		return err
	}
	params, _ := json.Marshal(r.Params)
	return o.a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.SandboxSMSInsert(ctx, store.SandboxSMS{ID: rowID, Provider: r.Provider, Phone: sealed, PhoneIndex: o.a.secrets.Blind.Sum(pii.KindPhone, norm),
			PhoneMasked: pii.MaskPhone(norm), SignName: r.SignName, TemplateCode: r.TemplateCode, Params: string(params), Text: o.render(r),
			IdempotencyKey: r.IdempotencyKey, ProviderMessageID: r.ProviderMessageID, ReceivedAt: r.At})
	})
}

// render shows the message as the recipient's phone would: the sign name
// and the local rendering of the template the code stands for.
func (o *dbOutbox) render(r sandbox.Received) string {
	n := o.a.notifier()
	vals := map[string]string{}
	for _, p := range r.Params {
		vals[p.Name] = p.Value
	}
	text := ""
	if ev, lang, ok := o.codes.Lookup(r.TemplateCode); ok {
		if r.Provider == "tencent" { // positional parameters
			named := map[string]string{}
			for i, name := range n.cat.SMSParamNames(ev, lang) {
				named[name] = vals[fmt.Sprint(i+1)]
			}
			vals = named
		}
		text, _ = n.cat.RenderSMS(ev, lang, vals)
	}
	if text == "" {
		var parts []string
		for _, p := range r.Params {
			parts = append(parts, p.Name+"="+p.Value)
		}
		text = r.TemplateCode + " " + strings.Join(parts, " ")
	}
	return "【" + r.SignName + "】" + text
}

// SandboxSMSMessages lists what the sandbox provider received, newest
// first; phone ("" for all) selects one number's messages. Phones are
// masked; the texts (verification codes included) are shown, because this
// is the sandbox.
func (a *App) SandboxSMSMessages(ctx context.Context, phone string, limit int) ([]store.SandboxSMS, error) {
	var idx []byte
	if phone != "" {
		p, err := notify.ParsePhone(phone)
		if err != nil {
			return nil, err
		}
		idx = a.secrets.Blind.Sum(pii.KindPhone, p.Normalized)
	}
	return a.db.SandboxSMSList(ctx, idx, limit)
}
