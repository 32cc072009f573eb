package sandboxgw

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
)

// The sandbox's one WeChat buyer.
const wechatOpenID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

// wechatMaxSkew is how far a request's timestamp may be from the clock.
const wechatMaxSkew = 5 * time.Minute

// wechatReply is an answer: a status and a JSON body.
type wechatReply struct {
	status int
	body   any
}

func wechatErr(status int, code, msg string) wechatReply {
	return wechatReply{status, map[string]string{"code": code, "message": msg}}
}

// wechat verifies a request's Authorization before h and signs h's
// answer (Wechatpay-Timestamp, -Nonce, -Signature over
// timestamp\nnonce\nbody\n, -Serial naming the public key).
func (s *Server) wechat(h func(r *http.Request, body []byte) wechatReply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.wechatAnswer(w, wechatErr(http.StatusBadRequest, "PARAM_ERROR", "请求体读取失败"))
			return
		}
		if err := s.authWeChat(r, body); err != nil {
			s.wechatAnswer(w, wechatErr(http.StatusUnauthorized, "SIGN_ERROR", "签名错误: "+err.Error()))
			return
		}
		s.wechatAnswer(w, h(r, body))
	}
}

// authWeChat checks the merchant's signature with the sandbox's own
// reading of the Authorization header: the right merchant and
// certificate serial, a timestamp within five minutes, a nonce not seen
// before, and RSA-SHA256 over method\nURI\ntimestamp\nnonce\nbody\n with
// the URI exactly as sent.
func (s *Server) authWeChat(r *http.Request, body []byte) error {
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	if a["mchid"] != s.keys.WeChatMchID {
		return errors.New("商户号不存在")
	}
	if a["serial_no"] != s.keys.WeChatSerialNo {
		return errors.New("商户证书序列号有误")
	}
	ts, err := strconv.ParseInt(a["timestamp"], 10, 64)
	if err != nil {
		return errors.New("timestamp 非法")
	}
	now := time.Now()
	if d := now.Sub(time.Unix(ts, 0)); d > wechatMaxSkew || d < -wechatMaxSkew {
		return errors.New("timestamp 过期")
	}
	msg := WeChatMessage(r.Method, r.RequestURI, a["timestamp"], a["nonce_str"], string(body))
	if err := verifyRSA(s.wechatMch, msg, a["signature"]); err != nil {
		return errors.New("验证不通过")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, at := range s.nonces {
		if now.Sub(at) > 2*wechatMaxSkew {
			delete(s.nonces, n)
		}
	}
	if _, seen := s.nonces[a["nonce_str"]]; seen {
		return errors.New("nonce_str 重复")
	}
	s.nonces[a["nonce_str"]] = now
	return nil
}

func (s *Server) wechatAnswer(w http.ResponseWriter, rep wechatReply) {
	b, err := json.Marshal(rep.body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), alnum(32)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Request-ID", hexID(16))
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Serial", s.keys.WeChatPublicKeyID)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	h.Set("Wechatpay-Signature", signRSA(s.wechatKey, WeChatMessage(ts, nonce, string(b))))
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

// wechatPrepay is POST /v3/pay/transactions/native.
func (s *Server) wechatPrepay(r *http.Request, body []byte) wechatReply {
	var req struct {
		AppID       string `json:"appid"`
		MchID       string `json:"mchid"`
		Description string `json:"description"`
		OutTradeNo  string `json:"out_trade_no"`
		NotifyURL   string `json:"notify_url"`
		TimeExpire  string `json:"time_expire"`
		Amount      *struct {
			Total    *int64 `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "输入源“/body”映射到值字段失败")
	}
	switch {
	case req.AppID != s.keys.WeChatAppID || req.MchID != s.keys.WeChatMchID:
		return wechatErr(http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
	case len(req.OutTradeNo) < 6 || !validOutNo(req.OutTradeNo, 32):
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "out_trade_no 非法")
	case req.Description == "" || len([]rune(req.Description)) > 127:
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "description 非法")
	case req.NotifyURL == "":
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "notify_url 必填")
	case req.Amount == nil || req.Amount.Total == nil || *req.Amount.Total < 1 || money.Fen(*req.Amount.Total) > payment.MaxAmount ||
		(req.Amount.Currency != "" && req.Amount.Currency != "CNY"):
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "amount 非法")
	}
	var expires time.Time
	if req.TimeExpire != "" {
		var err error
		if expires, err = time.Parse(time.RFC3339, req.TimeExpire); err != nil {
			return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "time_expire 非法")
		}
	}
	amount := money.Fen(*req.Amount.Total)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tradeLocked(payment.WeChatPay, req.OutTradeNo)
	switch {
	case t == nil:
		t = &Trade{Gateway: payment.WeChatPay, Ref: req.OutTradeNo, Kind: payment.KindQR, Subject: req.Description, Amount: amount,
			NotifyURL: req.NotifyURL, Opened: true, State: StatePending, CreatedAt: s.opts.Now(), ExpiresAt: expires, token: hexID(16)}
		s.trades[payment.WeChatPay+" "+t.Ref] = t
		s.tokens[t.token] = t
	case t.Amount != amount || t.Subject != req.Description:
		return wechatErr(http.StatusBadRequest, "INVALID_REQUEST", "201 商户订单号重复")
	case t.State == StatePaid:
		return wechatErr(http.StatusForbidden, "ORDER_PAID", "订单已支付")
	case t.State == StateClosed:
		return wechatErr(http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
	}
	return wechatReply{http.StatusOK, map[string]string{"code_url": s.url + "/cashier/" + t.token}}
}

// wechatState is trade_state.
func wechatState(t *Trade) string {
	switch {
	case t.State == StatePending:
		return "NOTPAY"
	case t.PaidAt.IsZero():
		return "CLOSED"
	case len(t.Refunds) > 0:
		return "REFUND"
	}
	return "SUCCESS"
}

var wechatStateDesc = map[string]string{"NOTPAY": "订单未支付", "CLOSED": "订单已关闭", "REFUND": "订单发生过退款", "SUCCESS": "支付成功"}

// wechatTransaction is a transaction as queries and notifications show it.
func (s *Server) wechatTransaction(t Trade, state string, amount money.Fen) map[string]any {
	m := map[string]any{"appid": s.keys.WeChatAppID, "mchid": s.keys.WeChatMchID, "out_trade_no": t.Ref, "trade_type": "NATIVE",
		"trade_state": state, "trade_state_desc": wechatStateDesc[state], "attach": "",
		"amount": map[string]any{"total": amount, "currency": "CNY"}}
	if !t.PaidAt.IsZero() && (state == "SUCCESS" || state == "REFUND") {
		m["transaction_id"], m["bank_type"] = t.TradeNo, "OTHERS"
		m["success_time"] = t.PaidAt.In(payment.China).Format(time.RFC3339)
		m["payer"] = map[string]string{"openid": wechatOpenID}
		m["amount"] = map[string]any{"total": amount, "payer_total": amount, "currency": "CNY", "payer_currency": "CNY"}
	}
	return m
}

// wechatQuery is GET /v3/pay/transactions/out-trade-no/{ref}?mchid=….
func (s *Server) wechatQuery(r *http.Request, _ []byte) wechatReply {
	if r.URL.Query().Get("mchid") != s.keys.WeChatMchID {
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "mchid 非法")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tradeLocked(payment.WeChatPay, r.PathValue("ref"))
	if t == nil {
		return wechatErr(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	}
	return wechatReply{http.StatusOK, s.wechatTransaction(*t, wechatState(t), t.Amount)}
}

// wechatRefundFind finds a refund by out_refund_no among WeChat trades.
func (s *Server) wechatRefundFind(refundRef string) (*Trade, *Refund) {
	for _, t := range s.trades {
		if t.Gateway != payment.WeChatPay {
			continue
		}
		for i := range t.Refunds {
			if t.Refunds[i].RefundRef == refundRef {
				return t, &t.Refunds[i]
			}
		}
	}
	return nil, nil
}

func wechatRefundJSON(t *Trade, rf *Refund) map[string]any {
	status := "PROCESSING"
	m := map[string]any{"refund_id": rf.RefundNo, "out_refund_no": rf.RefundRef, "transaction_id": t.TradeNo, "out_trade_no": t.Ref,
		"channel": "ORIGINAL", "user_received_account": "支付用户零钱", "create_time": rf.CreatedAt.In(payment.China).Format(time.RFC3339),
		"funds_account": "AVAILABLE", "promotion_detail": []any{},
		"amount": map[string]any{"total": t.Amount, "refund": rf.Amount, "from": []any{}, "payer_total": t.Amount, "payer_refund": rf.Amount,
			"settlement_total": t.Amount, "settlement_refund": rf.Amount, "discount_refund": 0, "currency": "CNY"}}
	if rf.Succeeded {
		status = "SUCCESS"
		m["success_time"] = rf.SucceededAt.In(payment.China).Format(time.RFC3339)
	}
	m["status"] = status
	return m
}

// wechatRefund is POST /v3/refund/domestic/refunds: PROCESSING now,
// SUCCESS after Options.RefundDelay, then REFUND.SUCCESS to notify_url.
func (s *Server) wechatRefund(r *http.Request, body []byte) wechatReply {
	var req struct {
		OutTradeNo    string `json:"out_trade_no"`
		TransactionID string `json:"transaction_id"`
		OutRefundNo   string `json:"out_refund_no"`
		Reason        string `json:"reason"`
		NotifyURL     string `json:"notify_url"`
		Amount        *struct {
			Refund   *int64 `json:"refund"`
			Total    *int64 `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Amount == nil || req.Amount.Refund == nil || req.Amount.Total == nil ||
		!validOutNo(req.OutRefundNo, 64) || req.Amount.Currency != "CNY" {
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "参数错误")
	}
	amount, total := money.Fen(*req.Amount.Refund), money.Fen(*req.Amount.Total)
	s.mu.Lock()
	var t *Trade
	if req.OutTradeNo != "" {
		t = s.tradeLocked(payment.WeChatPay, req.OutTradeNo)
	} else {
		for _, c := range s.trades {
			if c.Gateway == payment.WeChatPay && c.TradeNo != "" && c.TradeNo == req.TransactionID {
				t = c
			}
		}
	}
	if t == nil {
		s.mu.Unlock()
		return wechatErr(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在")
	}
	if ot, rf := s.wechatRefundFind(req.OutRefundNo); rf != nil {
		defer s.mu.Unlock()
		if ot != t || rf.Amount != amount {
			return wechatErr(http.StatusBadRequest, "INVALID_REQUEST", "请求参数与原请求不一致")
		}
		return wechatReply{http.StatusOK, wechatRefundJSON(t, rf)}
	}
	switch {
	case t.State != StatePaid:
		s.mu.Unlock()
		return wechatErr(http.StatusBadRequest, "INVALID_REQUEST", "订单状态不允许退款")
	case total != t.Amount:
		s.mu.Unlock()
		return wechatErr(http.StatusBadRequest, "INVALID_REQUEST", "订单金额与实际不符")
	case amount < 1 || amount > t.Amount-t.Refunded():
		s.mu.Unlock()
		return wechatErr(http.StatusBadRequest, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
	}
	now := s.opts.Now()
	t.Refunds = append(t.Refunds, Refund{RefundRef: req.OutRefundNo, RefundNo: "503" + now.In(payment.China).Format("20060102") + digits(18),
		Amount: amount, Reason: req.Reason, NotifyURL: req.NotifyURL, CreatedAt: now})
	rep := wechatReply{http.StatusOK, wechatRefundJSON(t, &t.Refunds[len(t.Refunds)-1])}
	b := s.behaviourLocked(t.Ref)
	if s.takeRefundErrorLocked(t.Ref) {
		rep = wechatErr(http.StatusInternalServerError, "SYSTEM_ERROR", "系统错误")
	}
	s.mu.Unlock()
	s.completeRefund(t.Ref, req.OutRefundNo, b)
	return rep
}

// completeRefund makes a processing WeChat Pay refund succeed after
// Options.RefundDelay and notifies it.
func (s *Server) completeRefund(ref, refundRef string, b Behaviour) {
	s.track(1)
	go func() {
		defer s.track(-1)
		select {
		case <-time.After(s.opts.RefundDelay):
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
		t, rf := s.wechatRefundFind(refundRef)
		if t == nil || rf.Succeeded {
			s.mu.Unlock()
			return
		}
		rf.Succeeded, rf.SucceededAt = true, s.opts.Now()
		if t.Refunded() == t.Amount {
			t.State, t.ClosedAt = StateClosed, rf.SucceededAt
		}
		snap, refund := *t, *rf
		snap.Refunds = append([]Refund(nil), t.Refunds...)
		s.mu.Unlock()
		s.dispatch(b, s.wechatNotice(snap, eventRefund, &refund, b))
	}()
}

// wechatRefundQuery is GET /v3/refund/domestic/refunds/{out_refund_no}.
func (s *Server) wechatRefundQuery(r *http.Request, _ []byte) wechatReply {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, rf := s.wechatRefundFind(r.PathValue("refundRef"))
	if rf == nil {
		return wechatErr(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
	}
	return wechatReply{http.StatusOK, wechatRefundJSON(t, rf)}
}
