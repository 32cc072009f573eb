package sandboxgw

import (
	"errors"
	"html/template"
	"net/http"

	"yuanxu/internal/provider/payment"
)

// cashierPage is the view of one trade's cashier.
type cashierPage struct {
	Gateway   string // 支付宝 / 微信支付
	Merchant  string
	Subject   string
	Amount    string
	Ref       string
	TradeNo   string
	State     string // pending, paid, closed
	Action    string
	ReturnURL string // set after an Alipay page payment
}

var cashierTmpl = template.Must(template.New("cashier").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Gateway}} 沙箱收银台 / Sandbox cashier</title><link rel="stylesheet" href="/cashier.css"></head>
<body><main>
<h1>{{.Gateway}} <small>沙箱 / sandbox</small></h1>
<dl>
<dt>商户 / Merchant</dt><dd id="merchant">{{.Merchant}}</dd>
<dt>商品 / Subject</dt><dd id="subject">{{.Subject}}</dd>
<dt>金额 / Amount</dt><dd id="amount">¥{{.Amount}}</dd>
<dt>商户订单号 / Reference</dt><dd id="ref">{{.Ref}}</dd>
{{if .TradeNo}}<dt>交易号 / Trade no.</dt><dd id="trade-no">{{.TradeNo}}</dd>{{end}}
</dl>
{{if eq .State "pending"}}
<form method="post" action="{{.Action}}">
<button type="submit" name="action" value="pay" id="pay">支付 / Pay</button>
<button type="submit" name="action" value="cancel" id="cancel">取消 / Cancel</button>
</form>
{{else if eq .State "paid"}}
<p id="status" data-state="paid">支付成功 / Paid</p>
{{if .ReturnURL}}<p><a id="return" href="{{.ReturnURL}}">返回商户 / Back to the merchant</a></p>{{end}}
{{else}}
<p id="status" data-state="closed">交易已关闭 / Closed</p>
{{end}}
</main></body></html>
`))

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>错误 / Error</title><link rel="stylesheet" href="/cashier.css"></head>
<body><main><h1>错误 / Error</h1><p id="code">{{.Code}}</p><p id="message">{{.Message}}</p></main></body></html>
`))

const cashierCSS = `body{font-family:sans-serif;background:#f4f6f8;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px}
h1 small{font-size:.6em;color:#888}dt{color:#666;font-size:.85em;margin-top:.6rem}dd{margin:0;font-size:1.1em}
button{font-size:1.1em;padding:.5rem 1.5rem;margin:1rem .5rem 0 0}#pay{background:#1677ff;color:#fff;border:0;border-radius:4px}`

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte(cashierCSS))
}

func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) errorPage(w http.ResponseWriter, status int, code, msg string) {
	secureHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = errorTmpl.Execute(w, struct{ Code, Message string }{code, msg})
}

// serveCashier shows the trade. Opening it is what makes an Alipay trade
// exist (the customer logged in or scanned the code).
func (s *Server) serveCashier(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	s.mu.Lock()
	t := s.tokens[token]
	var page cashierPage
	if t != nil {
		t = s.tradeLocked(t.Gateway, t.Ref)
		s.openLocked(t)
		page = s.cashierView(*t, token)
	}
	s.mu.Unlock()
	if t == nil {
		s.errorPage(w, http.StatusNotFound, "TRADE_NOT_EXIST", "交易不存在 / No such trade")
		return
	}
	secureHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = cashierTmpl.Execute(w, page)
}

func (s *Server) cashierView(t Trade, token string) cashierPage {
	p := cashierPage{Gateway: "支付宝 Alipay", Merchant: s.keys.AlipaySellerID, Subject: t.Subject, Amount: t.Amount.Yuan(),
		Ref: t.Ref, TradeNo: t.TradeNo, State: string(t.State), Action: "/cashier/" + token}
	if t.Gateway == payment.WeChatPay {
		p.Gateway, p.Merchant = "微信支付 WeChat Pay", s.keys.WeChatMchID
	}
	if t.State == StateClosed && !t.PaidAt.IsZero() {
		p.State = string(StatePaid) // refunded afterwards: the customer paid
	}
	if p.State == string(StatePaid) && t.Gateway == payment.Alipay && t.Kind == payment.KindPage && t.ReturnURL != "" {
		p.ReturnURL = s.alipayReturn(t)
	}
	return p
}

// serveCashierAction handles the buttons: pay, or cancel (close unpaid).
// An Alipay page payment then returns the browser to the merchant's
// return URL with Alipay's signed parameters.
func (s *Server) serveCashierAction(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	var err error
	switch r.PostFormValue("action") {
	case "pay":
		err = s.pay(token)
	case "cancel":
		err = s.closeTrade(token)
	default:
		err = errors.New("unknown action")
	}
	if err != nil {
		s.errorPage(w, http.StatusConflict, "TRADE_STATUS_ERROR", err.Error())
		return
	}
	s.mu.Lock()
	t := *s.tokens[token]
	s.mu.Unlock()
	if r.PostFormValue("action") == "pay" && t.Gateway == payment.Alipay && t.Kind == payment.KindPage && t.ReturnURL != "" {
		if u := s.alipayReturn(t); u != "" {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/cashier/"+token, http.StatusSeeOther)
}

// pay marks the trade paid and schedules its notifications under the
// reference's behaviour.
func (s *Server) pay(token string) error {
	s.mu.Lock()
	t := s.tokens[token]
	if t == nil {
		s.mu.Unlock()
		return errors.New("交易不存在 / no such trade")
	}
	t = s.tradeLocked(t.Gateway, t.Ref)
	if t.State != StatePending {
		s.mu.Unlock()
		return errors.New("交易状态不允许支付 / the trade is " + string(t.State))
	}
	s.openLocked(t)
	t.State, t.PaidAt = StatePaid, s.opts.Now()
	if t.Gateway == payment.WeChatPay {
		t.TradeNo = "4200" + digits(6) + t.PaidAt.In(payment.China).Format("20060102") + digits(10)
	}
	snap := *t
	b := s.behaviourLocked(t.Ref)
	s.mu.Unlock()
	s.dispatch(b, s.payNotices(snap, b)...)
	return nil
}

// closeTrade closes an unpaid trade; Alipay notifies TRADE_CLOSED.
func (s *Server) closeTrade(token string) error {
	s.mu.Lock()
	t := s.tokens[token]
	if t == nil || t.State != StatePending {
		s.mu.Unlock()
		return errors.New("交易状态不允许关闭 / the trade is not pending")
	}
	s.openLocked(t)
	t.State, t.ClosedAt = StateClosed, s.opts.Now()
	snap := *t
	b := s.behaviourLocked(t.Ref)
	s.mu.Unlock()
	if snap.Gateway == payment.Alipay {
		s.dispatch(b, s.alipayNotice(snap, eventClosed, nil, b))
	}
	return nil
}
