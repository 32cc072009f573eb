package sandboxgw

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
)

// Tamper is how a notification is spoiled in transit.
type Tamper string

const (
	TamperNone Tamper = ""
	// TamperSignature alters the signature.
	TamperSignature Tamper = "signature"
	// TamperAmount changes the amount after signing (Alipay total_amount;
	// WeChat Pay: a resource re-encrypted with another amount under the
	// original body's signature).
	TamperAmount Tamper = "amount"
	// TamperForged signs with a key that is not the gateway's.
	TamperForged Tamper = "forged"
	// TamperStale: WeChat Pay signs with a timestamp ten minutes old (a
	// replay); Alipay, which has no freshness rule, sends a genuine
	// notification with an old notify_time.
	TamperStale Tamper = "stale"
)

// Order is how a paid notification is accompanied.
type Order string

const (
	OrderNormal Order = ""
	// OrderClosedAfterPaid sends, once the paid notification is done, a
	// validly signed notification that the trade closed unpaid (a stale
	// timeout close arriving late).
	OrderClosedAfterPaid Order = "closed_after_paid"
	// OrderClosedBeforePaid sends that closed notification first.
	OrderClosedBeforePaid Order = "closed_before_paid"
)

// Behaviour is how the sandbox misbehaves for one payment reference. The
// zero value behaves.
type Behaviour struct {
	// Copies delivers each notification this many times concurrently
	// (each copy retried on its own); 0 or 1: once.
	Copies int
	// Delay waits this long before the first delivery.
	Delay time.Duration
	// Lost never delivers (queries still tell the truth).
	Lost bool
	// Tamper spoils every delivery attempt (see Resend for a genuine one).
	Tamper Tamper
	// ReportAmount, when positive, states this amount in a genuinely
	// signed payment notification instead of the trade's.
	ReportAmount money.Fen
	Order        Order
	// RefundErrors answers this many refund requests with a system error
	// after performing the refund (a timeout the caller must retry with
	// the same refund reference). Per reference only.
	RefundErrors int
}

// Misbehave sets the behaviour for ref (either gateway), for
// notifications scheduled from now on.
func (s *Server) Misbehave(ref string, b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour[ref] = &b
}

func (s *Server) behaviourLocked(ref string) Behaviour {
	if b := s.behaviour[ref]; b != nil {
		return *b
	}
	return s.opts.Default
}

func (s *Server) takeRefundErrorLocked(ref string) bool {
	if b := s.behaviour[ref]; b != nil && b.RefundErrors > 0 {
		b.RefundErrors--
		return true
	}
	return false
}

// Delivery is one delivery attempt, or one lost notification.
type Delivery struct {
	Gateway string
	Ref     string
	Event   string // "paid", "closed" or "refund"
	URL     string
	Copy    int // 0-based
	Attempt int // 0 for the first try
	Lost    bool
	Tamper  Tamper
	Status  int    // the HTTP status answered
	Answer  string // the first 256 bytes answered
	Err     string // a transport error
	OK      bool   // the gateway counts it as received
	At      time.Time
}

// Deliveries returns every delivery attempt so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Settle waits until no delivery (with its retries) and no WeChat Pay
// refund is pending, or ctx ends.
func (s *Server) Settle(ctx context.Context) error {
	for {
		s.mu.Lock()
		n := s.pending
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// track counts background work for Settle and Close.
func (s *Server) track(d int) {
	s.mu.Lock()
	s.pending += d
	s.mu.Unlock()
	s.wg.Add(d) // negative: done
}

const (
	eventPaid   = "paid"
	eventClosed = "closed"
	eventRefund = "refund"
)

// notice is one notification, signed genuinely, with its spoilt form.
type notice struct {
	gateway, ref, event, url string
	form, spoilt             url.Values // Alipay
	body, spoiltBody         []byte     // WeChat Pay
}

// dispatch delivers notices in order under b: each with its copies
// concurrently and their retries, the next once those are done.
func (s *Server) dispatch(b Behaviour, ns ...notice) {
	s.mu.Lock()
	for _, n := range ns {
		if n.url != "" {
			s.last[n.gateway+" "+n.ref] = n
		}
	}
	s.mu.Unlock()
	s.track(1)
	go func() {
		defer s.track(-1)
		if b.Delay > 0 && !b.Lost {
			select {
			case <-time.After(b.Delay):
			case <-s.ctx.Done():
				return
			}
		}
		for _, n := range ns {
			if n.url == "" {
				continue
			}
			if b.Lost {
				s.record(Delivery{Gateway: n.gateway, Ref: n.ref, Event: n.event, URL: n.url, Lost: true, At: time.Now()})
				continue
			}
			var wg sync.WaitGroup
			for c := range max(1, b.Copies) {
				wg.Go(func() { s.deliver(n, c, b) })
			}
			wg.Wait()
		}
	}()
}

func (s *Server) record(d Delivery) {
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	s.logf("sandboxgw: %s %s %s copy %d attempt %d: status %d %q %s lost=%v", d.Gateway, d.Event, d.Ref, d.Copy, d.Attempt, d.Status, d.Answer, d.Err, d.Lost)
}

// deliver tries one copy until it is received or the schedule runs out.
func (s *Server) deliver(n notice, c int, b Behaviour) {
	schedule := s.opts.AlipayRetry
	if n.gateway == payment.WeChatPay {
		schedule = s.opts.WeChatRetry
	}
	for attempt := 0; ; attempt++ {
		d := s.send(n, b)
		d.Copy, d.Attempt = c, attempt
		s.record(d)
		if d.OK || attempt >= len(schedule) {
			return
		}
		select {
		case <-time.After(schedule[attempt]):
		case <-s.ctx.Done():
			return
		}
	}
}

// send makes one attempt. WeChat Pay signs each attempt anew.
func (s *Server) send(n notice, b Behaviour) Delivery {
	d := Delivery{Gateway: n.gateway, Ref: n.ref, Event: n.event, URL: n.url, Tamper: b.Tamper, At: time.Now()}
	var req *http.Request
	var err error
	if n.gateway == payment.Alipay {
		form := n.form
		if n.spoilt != nil {
			form = n.spoilt
		}
		req, err = http.NewRequestWithContext(s.ctx, http.MethodPost, n.url, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
	} else {
		body := n.body
		if n.spoiltBody != nil {
			body = n.spoiltBody
		}
		req, err = http.NewRequestWithContext(s.ctx, http.MethodPost, n.url, strings.NewReader(string(body)))
		if err == nil {
			ts := time.Now()
			key := s.wechatKey
			switch b.Tamper {
			case TamperStale:
				ts = ts.Add(-10 * time.Minute)
			case TamperForged:
				key = s.forged()
			}
			nonce := alnum(32)
			sig := signRSA(key, WeChatMessage(strconv.FormatInt(ts.Unix(), 10), nonce, string(n.body)))
			if b.Tamper == TamperSignature {
				sig = flip(sig)
			}
			h := req.Header
			h.Set("Content-Type", "application/json")
			h.Set("Wechatpay-Timestamp", strconv.FormatInt(ts.Unix(), 10))
			h.Set("Wechatpay-Nonce", nonce)
			h.Set("Wechatpay-Signature", sig)
			h.Set("Wechatpay-Serial", s.keys.WeChatPublicKeyID)
			h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
		}
	}
	if err != nil {
		d.Err = err.Error()
		return d
	}
	resp, err := s.http.Do(req)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	defer resp.Body.Close()
	ans, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	d.Status, d.Answer = resp.StatusCode, string(ans)
	if n.gateway == payment.Alipay {
		d.OK = resp.StatusCode == http.StatusOK && d.Answer == "success"
	} else {
		d.OK = resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent
	}
	return d
}

// flip changes one character of a base64 signature.
func flip(sig string) string {
	if sig == "" {
		return "AAAA"
	}
	b := []byte(sig)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// forged is a key that is not the gateway's, made once.
func (s *Server) forged() *rsa.PrivateKey {
	s.forgedOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		s.forgedKey = k
	})
	return s.forgedKey
}

// buildNotice builds the notification of an event on t.
func (s *Server) buildNotice(t Trade, b Behaviour, event string, rf *Refund) notice {
	if t.Gateway == payment.Alipay {
		return s.alipayNotice(t, event, rf, b)
	}
	return s.wechatNotice(t, event, rf, b)
}

// payNotices is the paid notification, with a closed one around it as b
// orders.
func (s *Server) payNotices(t Trade, b Behaviour) []notice {
	paid := s.buildNotice(t, b, eventPaid, nil)
	switch b.Order {
	case OrderClosedAfterPaid:
		return []notice{paid, s.buildNotice(t, b, eventClosed, nil)}
	case OrderClosedBeforePaid:
		return []notice{s.buildNotice(t, b, eventClosed, nil), paid}
	}
	return []notice{paid}
}

// alipayNotice is a trade_status_sync notification. A "paid" notice of a
// trade refunded in full says TRADE_CLOSED with its gmt_payment; a
// "closed" one is a close without payment; a "refund" one carries
// out_biz_no, refund_fee (all refunded so far) and gmt_refund.
func (s *Server) alipayNotice(t Trade, event string, rf *Refund, b Behaviour) notice {
	now := time.Now().In(payment.China)
	if b.Tamper == TamperStale {
		now = now.Add(-time.Hour)
	}
	amount := t.Amount
	if b.ReportAmount > 0 && event == eventPaid {
		amount = b.ReportAmount
	}
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	at := func(tm time.Time) string {
		if tm.IsZero() {
			return ""
		}
		return tm.In(payment.China).Format(alipayTime)
	}
	set("notify_time", now.Format(alipayTime))
	set("notify_type", "trade_status_sync")
	set("notify_id", now.Format("20060102")+"00222"+digits(21))
	set("charset", "utf-8")
	set("version", "1.0")
	set("sign_type", "RSA2")
	set("app_id", s.keys.AlipayAppID)
	set("auth_app_id", s.keys.AlipayAppID)
	set("seller_id", s.keys.AlipaySellerID)
	set("trade_no", t.TradeNo)
	set("out_trade_no", t.Ref)
	set("subject", t.Subject)
	set("total_amount", amount.Yuan())
	set("gmt_create", at(t.CreatedAt))
	if event != eventClosed {
		set("buyer_id", alipayBuyerID)
		set("buyer_logon_id", alipayBuyerLogon)
		set("gmt_payment", at(t.PaidAt))
		set("receipt_amount", amount.Yuan())
		set("invoice_amount", amount.Yuan())
		set("buyer_pay_amount", amount.Yuan())
		set("point_amount", "0.00")
		set("fund_bill_list", `[{"amount":"`+amount.Yuan()+`","fundChannel":"ALIPAYACCOUNT"}]`)
	}
	switch {
	case event == eventClosed:
		set("trade_status", "TRADE_CLOSED")
		set("gmt_close", at(time.Now()))
	case t.State == StateClosed:
		set("trade_status", "TRADE_CLOSED")
		set("gmt_close", at(t.ClosedAt))
	default:
		set("trade_status", "TRADE_SUCCESS")
	}
	if event == eventRefund && rf != nil {
		set("out_biz_no", rf.RefundRef)
		set("refund_fee", t.Refunded().Yuan())
		set("gmt_refund", rf.SucceededAt.In(payment.China).Format(alipayTime+".000"))
	}
	content, _ := AlipayContent(v, "sign", "sign_type")
	v.Set("sign", signRSA(s.alipayKey, content))
	n := notice{gateway: payment.Alipay, ref: t.Ref, event: event, url: t.NotifyURL, form: v}
	switch b.Tamper {
	case TamperSignature, TamperAmount, TamperForged:
		sp := url.Values{}
		for k, vs := range v {
			sp[k] = append([]string(nil), vs...)
		}
		switch b.Tamper {
		case TamperSignature:
			sp.Set("sign", flip(v.Get("sign")))
		case TamperAmount:
			sp.Set("total_amount", (amount + 100).Yuan())
		case TamperForged:
			sp.Set("sign", signRSA(s.forged(), content))
		}
		n.spoilt = sp
	}
	return n
}

// wechatNotice is a TRANSACTION.SUCCESS, TRANSACTION.CLOSED (the
// sandbox's own, for OrderClosed…) or REFUND.SUCCESS notification.
func (s *Server) wechatNotice(t Trade, event string, rf *Refund, b Behaviour) notice {
	n := notice{gateway: payment.WeChatPay, ref: t.Ref, event: event, url: t.NotifyURL}
	eventID, created := id.New(), time.Now().In(payment.China).Format(time.RFC3339)
	build := func(delta money.Fen) []byte {
		var res any
		typ, evt, summary := "transaction", "TRANSACTION.SUCCESS", "支付成功"
		switch event {
		case eventPaid:
			amount := t.Amount
			if b.ReportAmount > 0 {
				amount = b.ReportAmount
			}
			res = s.wechatTransaction(t, "SUCCESS", amount+delta)
		case eventClosed:
			evt, summary = "TRANSACTION.CLOSED", "订单已关闭"
			res = s.wechatTransaction(t, "CLOSED", t.Amount+delta)
		case eventRefund:
			typ, evt, summary = "refund", "REFUND.SUCCESS", "退款成功"
			res = map[string]any{"mchid": s.keys.WeChatMchID, "out_trade_no": t.Ref, "transaction_id": t.TradeNo,
				"out_refund_no": rf.RefundRef, "refund_id": rf.RefundNo, "refund_status": "SUCCESS",
				"success_time": rf.SucceededAt.In(payment.China).Format(time.RFC3339), "user_received_account": "支付用户零钱",
				"amount": map[string]any{"total": t.Amount, "refund": rf.Amount + delta, "payer_total": t.Amount, "payer_refund": rf.Amount + delta}}
		}
		plain, _ := json.Marshal(res)
		nonce := alnum(12)
		env := map[string]any{"id": eventID, "create_time": created, "resource_type": "encrypt-resource", "event_type": evt, "summary": summary,
			"resource": map[string]any{"original_type": typ, "algorithm": "AEAD_AES_256_GCM", "associated_data": typ, "nonce": nonce,
				"ciphertext": sealGCM(s.keys.WeChatAPIv3Key, nonce, typ, plain)}}
		body, _ := json.Marshal(env)
		return body
	}
	n.body = build(0)
	if b.Tamper == TamperAmount {
		n.spoiltBody = build(100)
	}
	if event == eventRefund {
		n.url = rf.NotifyURL
	}
	return n
}

// Resend sends trade ref's payment notification again, genuinely and
// once (with the usual retries), whatever its behaviour: what a
// gateway's "resend notification" button does. It fails when the trade
// is unknown or was never paid.
func (s *Server) Resend(gateway, ref string) error {
	s.mu.Lock()
	t := s.tradeLocked(gateway, ref)
	if t == nil || t.PaidAt.IsZero() {
		s.mu.Unlock()
		return fmt.Errorf("sandboxgw: no paid %s trade %s", gateway, ref)
	}
	snap := *t
	snap.Refunds = append([]Refund(nil), t.Refunds...)
	s.mu.Unlock()
	s.dispatch(Behaviour{}, s.buildNotice(snap, Behaviour{}, eventPaid, nil))
	return nil
}

// Replay delivers the last notification scheduled for trade ref (sent or
// lost) again, the
// same notification (Alipay: the same signed form and notify_id; WeChat
// Pay: the same body and event id, its headers signed afresh as WeChat Pay
// does on every retry), copies times concurrently, without tampering:
// a duplicate as the gateways send them. It fails if none was sent.
func (s *Server) Replay(gateway, ref string, copies int) error {
	s.mu.Lock()
	n, ok := s.last[gateway+" "+ref]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("sandboxgw: no notification sent for %s trade %s", gateway, ref)
	}
	n.spoilt, n.spoiltBody = nil, nil
	s.dispatch(Behaviour{Copies: copies}, n)
	return nil
}

// serveBehaviour is the test API: POST /sandbox/behaviour with form
// fields ref, copies, delay (a Go duration), lost (1/true), tamper,
// report_amount (yuan), order and refund_errors.
func (s *Server) serveBehaviour(w http.ResponseWriter, r *http.Request) {
	b, ref, err := parseBehaviour(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.Misbehave(ref, b)
	w.WriteHeader(http.StatusNoContent)
}

func parseBehaviour(r *http.Request) (Behaviour, string, error) {
	var b Behaviour
	if err := r.ParseForm(); err != nil {
		return b, "", err
	}
	ref := r.PostForm.Get("ref")
	if ref == "" {
		return b, "", errors.New("ref is required")
	}
	var err error
	atoi := func(k string) int {
		if v := r.PostForm.Get(k); v != "" && err == nil {
			var n int
			n, err = strconv.Atoi(v)
			return n
		}
		return 0
	}
	b.Copies, b.RefundErrors = atoi("copies"), atoi("refund_errors")
	if v := r.PostForm.Get("delay"); v != "" && err == nil {
		b.Delay, err = time.ParseDuration(v)
	}
	if v := r.PostForm.Get("report_amount"); v != "" && err == nil {
		b.ReportAmount, err = payment.ParseAmount(v)
	}
	b.Lost = r.PostForm.Get("lost") == "1" || r.PostForm.Get("lost") == "true"
	b.Tamper, b.Order = Tamper(r.PostForm.Get("tamper")), Order(r.PostForm.Get("order"))
	switch b.Tamper {
	case TamperNone, TamperSignature, TamperAmount, TamperForged, TamperStale:
	default:
		err = errors.Join(err, fmt.Errorf("unknown tamper %q", b.Tamper))
	}
	switch b.Order {
	case OrderNormal, OrderClosedAfterPaid, OrderClosedBeforePaid:
	default:
		err = errors.Join(err, fmt.Errorf("unknown order %q", b.Order))
	}
	return b, ref, err
}

// serveResend is POST /sandbox/resend with form fields gateway and ref,
// and optionally replay=N to Replay the last notification N times instead.
func (s *Server) serveResend(w http.ResponseWriter, r *http.Request) {
	var err error
	if n := r.PostFormValue("replay"); n != "" {
		copies, perr := strconv.Atoi(n)
		if perr != nil {
			http.Error(w, perr.Error(), http.StatusBadRequest)
			return
		}
		err = s.Replay(r.PostFormValue("gateway"), r.PostFormValue("ref"), copies)
	} else {
		err = s.Resend(r.PostFormValue("gateway"), r.PostFormValue("ref"))
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
