package sandboxgw

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"yuanxu/internal/provider/payment"
)

const alipayTime = "2006-01-02 15:04:05"

// The sandbox's one buyer.
const (
	alipayBuyerID    = "2088000000000001"
	alipayBuyerLogon = "buy***@sandbox.example"
)

// alipayErr is a refusal in Alipay's terms.
type alipayErr struct{ code, msg, sub, subMsg string }

func invalidArg(sub, subMsg string) *alipayErr {
	return &alipayErr{"40002", "Invalid Arguments", sub, subMsg}
}

func bizFailed(sub, subMsg string) *alipayErr {
	return &alipayErr{"40004", "Business Failed", sub, subMsg}
}

// alipayBiz is the union of the biz_content fields of the methods served.
type alipayBiz struct {
	OutTradeNo   string `json:"out_trade_no"`
	TradeNo      string `json:"trade_no"`
	TotalAmount  string `json:"total_amount"`
	Subject      string `json:"subject"`
	TimeExpire   string `json:"time_expire"`
	RefundAmount string `json:"refund_amount"`
	RefundReason string `json:"refund_reason"`
	OutRequestNo string `json:"out_request_no"`
	BillType     string `json:"bill_type"`
	BillDate     string `json:"bill_date"`
}

// serveAlipay is gateway.do: common parameters in the query string or a
// form body, checked and verified; then one of the methods the client
// uses. alipay.trade.page.pay is a browser's GET and answers with pages;
// the others answer signed JSON.
func (s *Server) serveAlipay(w http.ResponseWriter, r *http.Request) {
	params, err := alipayParams(r)
	method := params.Get("method")
	browser := method == "alipay.trade.page.pay"
	fail := func(e *alipayErr) {
		if browser {
			s.errorPage(w, http.StatusBadRequest, e.sub, e.subMsg)
			return
		}
		s.alipayAnswer(w, method, map[string]any{"code": e.code, "msg": e.msg, "sub_code": e.sub, "sub_msg": e.subMsg})
	}
	if err != nil {
		fail(invalidArg("isv.invalid-parameter", err.Error()))
		return
	}
	if e := s.verifyAlipay(params); e != nil {
		fail(e)
		return
	}
	var biz alipayBiz
	if err := json.Unmarshal([]byte(params.Get("biz_content")), &biz); err != nil {
		fail(&alipayErr{"40001", "Missing Required Arguments", "isv.missing-biz-content", "缺少业务参数或格式错误"})
		return
	}
	switch method {
	case "alipay.trade.page.pay":
		t, e := s.alipayCreate(biz, params, payment.KindPage)
		if e != nil {
			fail(e)
			return
		}
		http.Redirect(w, r, "/cashier/"+t.token, http.StatusSeeOther)
	case "alipay.trade.precreate":
		t, e := s.alipayCreate(biz, params, payment.KindQR)
		if e != nil {
			fail(e)
			return
		}
		s.alipayAnswer(w, method, map[string]any{"code": "10000", "msg": "Success", "out_trade_no": t.Ref, "qr_code": s.url + "/cashier/" + t.token})
	case "alipay.trade.query":
		s.alipayQuery(w, method, biz)
	case "alipay.trade.refund":
		s.alipayRefund(w, method, biz)
	case "alipay.trade.fastpay.refund.query":
		s.alipayRefundQuery(w, method, biz)
	case "alipay.data.dataservice.bill.downloadurl.query":
		s.alipayBillURL(w, method, biz)
	default:
		fail(invalidArg("isv.invalid-method", "不存在的方法名"))
	}
}

// alipayParams merges the query string and a form body; a name given
// twice is refused.
func alipayParams(r *http.Request) (url.Values, error) {
	v := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return v, err
		}
		for k, vs := range r.PostForm {
			v[k] = append(v[k], vs...)
		}
	}
	for k, vs := range v {
		if len(vs) != 1 {
			return v, fmt.Errorf("参数 %s 重复", k)
		}
	}
	return v, nil
}

// verifyAlipay checks the common parameters and the RSA2 signature over
// AlipayContent(params, "sign") with the application's public key.
func (s *Server) verifyAlipay(p url.Values) *alipayErr {
	switch {
	case p.Get("app_id") != s.keys.AlipayAppID:
		return invalidArg("isv.invalid-app-id", "无效的AppID参数")
	case p.Get("method") == "":
		return &alipayErr{"40001", "Missing Required Arguments", "isv.missing-method", "缺少方法名参数"}
	case p.Get("sign") == "":
		return &alipayErr{"40001", "Missing Required Arguments", "isv.missing-signature", "缺少签名参数"}
	case p.Get("sign_type") != "RSA2":
		return invalidArg("isv.invalid-signature-type", "无效的签名类型")
	case p.Get("charset") != "utf-8":
		return invalidArg("isv.invalid-charset", "字符集错误")
	case p.Get("version") != "1.0":
		return invalidArg("isv.invalid-version", "版本号错误")
	}
	if _, err := time.ParseInLocation(alipayTime, p.Get("timestamp"), payment.China); err != nil {
		return invalidArg("isv.invalid-timestamp", "非法的时间戳参数")
	}
	content, err := AlipayContent(p, "sign")
	if err != nil || verifyRSA(s.alipayApp, content, p.Get("sign")) != nil {
		return invalidArg("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配")
	}
	return nil
}

// alipayAnswer writes {"<method>_response":{…},"sign":"…"}, the signature
// being over the exact bytes of the inner object.
func (s *Server) alipayAnswer(w http.ResponseWriter, method string, body map[string]any) {
	if method == "" {
		method = "error"
	}
	inner, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	key := strings.ReplaceAll(method, ".", "_") + "_response"
	w.Header().Set("Content-Type", "text/html;charset=utf-8") // what Alipay sends
	fmt.Fprintf(w, `{"%s":%s,"sign":"%s"}`, key, inner, signRSA(s.alipayKey, string(inner)))
}

// alipayCreate records (or finds again) the trade of a page-pay or
// precreate request. Page pay opens it at once (the browser is there).
func (s *Server) alipayCreate(biz alipayBiz, p url.Values, kind payment.Kind) (*Trade, *alipayErr) {
	if !validOutNo(biz.OutTradeNo, 64) {
		return nil, invalidArg("isv.invalid-parameter", "out_trade_no 非法")
	}
	amount, err := payment.ParseAmount(biz.TotalAmount)
	if err != nil || amount < 1 {
		return nil, invalidArg("isv.invalid-parameter", "total_amount 非法")
	}
	if biz.Subject == "" {
		return nil, &alipayErr{"40001", "Missing Required Arguments", "isv.missing-parameter", "缺少 subject"}
	}
	var expires time.Time
	if biz.TimeExpire != "" {
		if expires, err = time.ParseInLocation(alipayTime, biz.TimeExpire, payment.China); err != nil {
			return nil, invalidArg("isv.invalid-parameter", "time_expire 非法")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tradeLocked(payment.Alipay, biz.OutTradeNo)
	if t != nil {
		switch {
		case t.Amount != amount || t.Subject != biz.Subject:
			return nil, bizFailed("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
		case t.State == StatePaid:
			return nil, bizFailed("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
		case t.State == StateClosed:
			return nil, bizFailed("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
		}
	} else {
		t = &Trade{Gateway: payment.Alipay, Ref: biz.OutTradeNo, Kind: kind, Subject: biz.Subject, Amount: amount,
			NotifyURL: p.Get("notify_url"), ReturnURL: p.Get("return_url"), State: StatePending,
			CreatedAt: s.opts.Now(), ExpiresAt: expires, token: hexID(16)}
		s.trades[payment.Alipay+" "+t.Ref] = t
		s.tokens[t.token] = t
	}
	if kind == payment.KindPage {
		s.openLocked(t)
	}
	return t, nil
}

// openLocked marks a trade as seen by its customer: an Alipay trade
// exists, with its trade_no, from then on.
func (s *Server) openLocked(t *Trade) {
	if t.Opened {
		return
	}
	t.Opened = true
	if t.Gateway == payment.Alipay {
		t.TradeNo = s.opts.Now().In(payment.China).Format("20060102") + "2200" + digits(16)
	}
}

// alipayFind finds an opened Alipay trade by out_trade_no or trade_no.
func (s *Server) alipayFind(biz alipayBiz) *Trade {
	if biz.OutTradeNo != "" {
		if t := s.tradeLocked(payment.Alipay, biz.OutTradeNo); t != nil && t.Opened {
			return t
		}
		return nil
	}
	for _, t := range s.trades {
		if t.Gateway == payment.Alipay && t.Opened && biz.TradeNo != "" && t.TradeNo == biz.TradeNo {
			return s.tradeLocked(payment.Alipay, t.Ref)
		}
	}
	return nil
}

// alipayStatus is trade_status.
func alipayStatus(t *Trade) string {
	switch t.State {
	case StatePaid:
		return "TRADE_SUCCESS"
	case StateClosed:
		return "TRADE_CLOSED"
	}
	return "WAIT_BUYER_PAY"
}

func (s *Server) alipayQuery(w http.ResponseWriter, method string, biz alipayBiz) {
	s.mu.Lock()
	t := s.alipayFind(biz)
	var body map[string]any
	if t != nil {
		amt := t.Amount.Yuan()
		body = map[string]any{"code": "10000", "msg": "Success", "trade_no": t.TradeNo, "out_trade_no": t.Ref,
			"buyer_logon_id": alipayBuyerLogon, "trade_status": alipayStatus(t), "total_amount": amt,
			"buyer_pay_amount": "0.00", "receipt_amount": "0.00", "point_amount": "0.00", "invoice_amount": "0.00"}
		if !t.PaidAt.IsZero() {
			body["buyer_pay_amount"], body["receipt_amount"], body["invoice_amount"] = amt, amt, amt
			body["send_pay_date"] = t.PaidAt.In(payment.China).Format(alipayTime)
			body["buyer_user_id"] = alipayBuyerID
		}
	}
	s.mu.Unlock()
	if t == nil {
		body = map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}
	}
	s.alipayAnswer(w, method, body)
}

// alipayRefund refunds at once. The same out_request_no (default: the
// out_trade_no) with the same amount answers success again with
// fund_change "N"; with another amount, ACQ.DISCORDANT_REPEAT_REQUEST.
func (s *Server) alipayRefund(w http.ResponseWriter, method string, biz alipayBiz) {
	answer := func(e *alipayErr) {
		s.alipayAnswer(w, method, map[string]any{"code": e.code, "msg": e.msg, "sub_code": e.sub, "sub_msg": e.subMsg})
	}
	amount, err := payment.ParseAmount(biz.RefundAmount)
	if err != nil || amount < 1 {
		answer(invalidArg("isv.invalid-parameter", "refund_amount 非法"))
		return
	}
	s.mu.Lock()
	t := s.alipayFind(biz)
	if t == nil {
		s.mu.Unlock()
		answer(bizFailed("ACQ.TRADE_NOT_EXIST", "交易不存在"))
		return
	}
	reqNo := biz.OutRequestNo
	if reqNo == "" {
		reqNo = t.Ref
	}
	fundChange := "N"
	var rf *Refund
	for i := range t.Refunds {
		if t.Refunds[i].RefundRef == reqNo {
			rf = &t.Refunds[i]
		}
	}
	switch {
	case rf != nil && rf.Amount != amount:
		s.mu.Unlock()
		answer(bizFailed("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致"))
		return
	case rf == nil && t.State != StatePaid:
		s.mu.Unlock()
		answer(bizFailed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"))
		return
	case rf == nil && amount > t.Amount-t.Refunded():
		s.mu.Unlock()
		answer(bizFailed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"))
		return
	case rf == nil:
		now := s.opts.Now()
		t.Refunds = append(t.Refunds, Refund{RefundRef: reqNo, Amount: amount, Reason: biz.RefundReason, Succeeded: true, CreatedAt: now, SucceededAt: now})
		rf = &t.Refunds[len(t.Refunds)-1]
		if t.Refunded() == t.Amount {
			t.State, t.ClosedAt = StateClosed, now
		}
		fundChange = "Y"
	}
	body := map[string]any{"code": "10000", "msg": "Success", "trade_no": t.TradeNo, "out_trade_no": t.Ref,
		"buyer_logon_id": alipayBuyerLogon, "fund_change": fundChange, "refund_fee": t.Refunded().Yuan(),
		"gmt_refund_pay": rf.SucceededAt.In(payment.China).Format(alipayTime), "buyer_user_id": alipayBuyerID,
		"send_back_fee": amount.Yuan()}
	snap, refund := *t, *rf
	snap.Refunds = append([]Refund(nil), t.Refunds...)
	b := s.behaviourLocked(t.Ref)
	failNow := s.takeRefundErrorLocked(t.Ref)
	s.mu.Unlock()
	if fundChange == "Y" {
		s.dispatch(b, s.alipayNotice(snap, eventRefund, &refund, b))
	}
	if failNow {
		s.alipayAnswer(w, method, map[string]any{"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "ACQ.SYSTEM_ERROR", "sub_msg": "系统错误"})
		return
	}
	s.alipayAnswer(w, method, body)
}

func (s *Server) alipayRefundQuery(w http.ResponseWriter, method string, biz alipayBiz) {
	s.mu.Lock()
	t := s.alipayFind(biz)
	var body map[string]any
	if t != nil {
		reqNo := biz.OutRequestNo
		if reqNo == "" {
			reqNo = t.Ref
		}
		body = map[string]any{"code": "10000", "msg": "Success", "trade_no": t.TradeNo, "out_trade_no": t.Ref, "out_request_no": reqNo}
		for _, rf := range t.Refunds {
			if rf.RefundRef == reqNo && rf.Succeeded {
				body["total_amount"], body["refund_amount"], body["refund_status"] = t.Amount.Yuan(), rf.Amount.Yuan(), "REFUND_SUCCESS"
				body["gmt_refund_pay"] = rf.SucceededAt.In(payment.China).Format(alipayTime)
			}
		}
	}
	s.mu.Unlock()
	if t == nil {
		body = map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}
	}
	s.alipayAnswer(w, method, body)
}

// alipayBillURL answers a short-lived download URL for the day's trade
// bill, built now from the records.
func (s *Server) alipayBillURL(w http.ResponseWriter, method string, biz alipayBiz) {
	notExist := map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "isp.bill_not_exist", "sub_msg": "账单不存在"}
	day, err := time.ParseInLocation(time.DateOnly, biz.BillDate, payment.China)
	if err != nil {
		s.alipayAnswer(w, method, map[string]any{"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter", "sub_msg": "bill_date 非法（仅支持日账单）"})
		return
	}
	if biz.BillType != "trade" || !s.billReady(day) {
		s.alipayAnswer(w, method, notExist)
		return
	}
	token := s.putBill(payment.Alipay, s.alipayBillZip(day), "application/oct-stream")
	s.alipayAnswer(w, method, map[string]any{"code": "10000", "msg": "Success",
		"bill_download_url": s.url + "/alipay/bill?bizType=trade&bizDates=" + day.Format("20060102") + "&token=" + token})
}

// alipayReturn is the signed query Alipay appends to return_url after a
// page payment.
func (s *Server) alipayReturn(t Trade) string {
	v := url.Values{"charset": {"utf-8"}, "out_trade_no": {t.Ref}, "method": {"alipay.trade.page.pay.return"},
		"total_amount": {t.Amount.Yuan()}, "trade_no": {t.TradeNo}, "auth_app_id": {s.keys.AlipayAppID}, "version": {"1.0"},
		"app_id": {s.keys.AlipayAppID}, "sign_type": {"RSA2"}, "seller_id": {s.keys.AlipaySellerID},
		"timestamp": {time.Now().In(payment.China).Format(alipayTime)}}
	content, _ := AlipayContent(v, "sign", "sign_type")
	v.Set("sign", signRSA(s.alipayKey, content))
	u, err := url.Parse(t.ReturnURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// validOutNo: 1–max letters, digits and underscores (Alipay), or the
// characters WeChat Pay allows.
func validOutNo(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '|' || c == '*') {
			return false
		}
	}
	return true
}
