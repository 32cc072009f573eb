package alipay

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	sdk "github.com/smartwalle/alipay/v3"

	"yuanxu/internal/provider/payment"
)

// ParseNotification verifies an asynchronous notification (a POSTed
// form, RSA2 over the sorted parameters without sign and sign_type, with
// Alipay's public key, by the SDK) and decodes it. It refuses, as
// *payment.NotificationError: a body over payment.MaxNotificationBody, a
// method other than POST, a parameter given twice, a charset other than
// UTF-8, a missing or wrong signature (ErrBadSignature), and a signed
// notification without its trade fields or with an unreadable amount
// (ErrMalformed).
//
// A notification with refund fields (gmt_refund, refund_fee) is
// NotifyRefund: out_biz_no is our RefundRef and Refunded the trade's
// total refunded so far.
func (c *Client) ParseNotification(r *http.Request) (payment.Notification, error) {
	bad := func(reason error, detail string, err error) (payment.Notification, error) {
		return payment.Notification{}, &payment.NotificationError{Gateway: payment.Alipay, Reason: reason, Detail: detail, Err: err}
	}
	if r.Method != http.MethodPost {
		return bad(payment.ErrMalformed, "method "+r.Method, nil)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, payment.MaxNotificationBody+1))
	if err != nil {
		return bad(payment.ErrMalformed, "reading the body", err)
	}
	if len(body) > payment.MaxNotificationBody {
		return bad(payment.ErrMalformed, "body too large", nil)
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return bad(payment.ErrMalformed, "not a form", err)
	}
	for k, v := range values {
		if len(v) != 1 {
			return bad(payment.ErrMalformed, fmt.Sprintf("parameter %q given %d times", k, len(v)), nil)
		}
	}
	if cs := values.Get("charset"); cs != "" && cs != "utf-8" && cs != "UTF-8" {
		return bad(payment.ErrMalformed, "charset "+cs, nil)
	}
	if values.Get("sign") == "" {
		return bad(payment.ErrBadSignature, "no sign", nil)
	}
	// Certificate mode is not ours. alipay_cert_sn is outside the signed
	// content; without it the SDK verifies with the configured key
	// instead of fetching a certificate from the gateway.
	values.Del("alipay_cert_sn")
	n, err := c.sdk.DecodeNotification(values)
	if err != nil {
		return bad(payment.ErrBadSignature, "signature does not verify", err)
	}
	if n.NotifyType != sdk.NotifyTypeTradeStatusSync {
		return bad(payment.ErrMalformed, "notify_type "+n.NotifyType, nil)
	}
	if n.OutTradeNo == "" || n.TradeNo == "" || n.TradeStatus == "" || n.AppId == "" {
		return bad(payment.ErrMalformed, "out_trade_no, trade_no, trade_status or app_id missing", nil)
	}
	switch n.TradeStatus {
	case sdk.TradeStatusWaitBuyerPay, sdk.TradeStatusSuccess, sdk.TradeStatusFinished, sdk.TradeStatusClosed:
	default:
		return bad(payment.ErrMalformed, "trade_status "+string(n.TradeStatus), nil)
	}
	total, err := payment.ParseAmount(n.TotalAmount)
	if err != nil {
		return bad(payment.ErrMalformed, "total_amount", err)
	}
	out := payment.Notification{
		Gateway: payment.Alipay,
		ID:      n.NotifyId,
		Kind:    payment.NotifyPayment,
		Payment: payment.Payment{
			Ref: n.OutTradeNo, GatewayTradeNo: n.TradeNo, Amount: total, Currency: "CNY",
			AppID: n.AppId, MerchantID: n.SellerId,
			Status: status(n.TradeStatus, n.GmtPayment != ""),
		},
		Raw: body,
	}
	if out.Status.WasPaid() {
		if out.PaidAt = parseTime(n.GmtPayment); out.PaidAt.IsZero() {
			return bad(payment.ErrMalformed, "gmt_payment", nil)
		}
	}
	if n.GmtRefund != "" || n.RefundFee != "" {
		refunded, err := amountOrZero(n.RefundFee)
		if err != nil {
			return bad(payment.ErrMalformed, "refund_fee", err)
		}
		out.Kind, out.RefundRef, out.Refunded, out.RefundStatus = payment.NotifyRefund, n.OutBizNo, refunded, payment.RefundSucceeded
		out.RefundedAt = parseTime(n.GmtRefund)
	}
	return out, nil
}

// Ack answers Alipay: the plain text "success" stops the retries; any
// other answer ("fail") makes Alipay send the notification again (after
// 4m, 10m, 10m, 1h, 2h, 6h, 15h).
func (c *Client) Ack(w http.ResponseWriter, ok bool) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if ok {
		_, _ = io.WriteString(w, "success")
		return
	}
	_, _ = io.WriteString(w, "fail")
}

// VerifyReturn checks the signed query string Alipay appends to the
// ReturnURL when the browser comes back from page pay, and returns the
// trade's reference and trade number. It proves the customer came back
// from a real cashier, not that the trade is paid: wait for the
// notification or query.
func (c *Client) VerifyReturn(q url.Values) (ref, tradeNo string, err error) {
	q = cloneValues(q)
	q.Del("alipay_cert_sn") // as in ParseNotification
	for k, v := range q {
		if len(v) != 1 {
			return "", "", &payment.NotificationError{Gateway: payment.Alipay, Reason: payment.ErrMalformed, Detail: "parameter " + k + " repeated"}
		}
	}
	if err := c.sdk.VerifySign(q); err != nil {
		return "", "", &payment.NotificationError{Gateway: payment.Alipay, Reason: payment.ErrBadSignature, Detail: "return", Err: err}
	}
	if q.Get("app_id") != c.cfg.AppID || q.Get("out_trade_no") == "" {
		return "", "", &payment.NotificationError{Gateway: payment.Alipay, Reason: payment.ErrMalformed, Detail: "return for another app or without out_trade_no"}
	}
	return q.Get("out_trade_no"), q.Get("trade_no"), nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
