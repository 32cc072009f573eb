package wechatpay

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
)

// envelope is a notification's body.
type envelope struct {
	ID           string `json:"id"`
	CreateTime   string `json:"create_time"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	Summary      string `json:"summary"`
	Resource     *struct {
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
		OriginalType   string `json:"original_type"`
	} `json:"resource"`
}

// refundResource is the decrypted resource of a REFUND.* notification.
type refundResource struct {
	Mchid         string `json:"mchid"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	OutRefundNo   string `json:"out_refund_no"`
	RefundID      string `json:"refund_id"`
	RefundStatus  string `json:"refund_status"`
	SuccessTime   string `json:"success_time"`
	Amount        *struct {
		Total  *int64 `json:"total"`
		Refund *int64 `json:"refund"`
	} `json:"amount"`
}

// ParseNotification verifies a notification — Wechatpay-Serial must be
// the configured public key id, Wechatpay-Timestamp within five minutes,
// Wechatpay-Signature RSA-SHA256 over "timestamp\nnonce\nbody\n" (the
// SDK's notify validator) — then decrypts its resource with the APIv3 key
// (the SDK's AEAD_AES_256_GCM) and decodes it. TRANSACTION.SUCCESS (and
// any other TRANSACTION.* event, read by its trade_state) is
// NotifyPayment; REFUND.SUCCESS, REFUND.ABNORMAL and REFUND.CLOSED are
// NotifyRefund. Refusals are *payment.NotificationError: ErrBadSignature
// for headers, signature, age or a resource that fails authentication;
// ErrMalformed for anything else.
func (c *Client) ParseNotification(r *http.Request) (payment.Notification, error) {
	bad := func(reason error, detail string, err error) (payment.Notification, error) {
		return payment.Notification{}, &payment.NotificationError{Gateway: payment.WeChatPay, Reason: reason, Detail: detail, Err: err}
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
	if st := r.Header.Get("Wechatpay-Signature-Type"); st != "" && st != "WECHATPAY2-SHA256-RSA2048" {
		return bad(payment.ErrBadSignature, "signature type "+st, nil)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	v := validators.NewWechatPayNotifyValidator(verifiers.NewSHA256WithRSAPubkeyVerifier(c.cfg.PublicKeyID, *c.pub))
	if err := v.Validate(r.Context(), r); err != nil {
		return bad(payment.ErrBadSignature, "signature does not verify", err)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return bad(payment.ErrMalformed, "body is not JSON", err)
	}
	if env.ID == "" || env.Resource == nil || env.Resource.Algorithm != "AEAD_AES_256_GCM" {
		return bad(payment.ErrMalformed, "no id or no AEAD_AES_256_GCM resource", nil)
	}
	plain, err := utils.DecryptAES256GCM(c.cfg.APIv3Key, env.Resource.AssociatedData, env.Resource.Nonce, env.Resource.Ciphertext)
	if err != nil {
		return bad(payment.ErrBadSignature, "resource does not decrypt", err)
	}
	out := payment.Notification{Gateway: payment.WeChatPay, ID: env.ID, Raw: body}
	switch {
	case strings.HasPrefix(env.EventType, "TRANSACTION."):
		var tx payments.Transaction
		if err := json.Unmarshal([]byte(plain), &tx); err != nil {
			return bad(payment.ErrMalformed, "transaction resource", err)
		}
		p, err := transaction(&tx)
		if err != nil {
			return bad(payment.ErrMalformed, "transaction resource", err)
		}
		out.Kind, out.Payment = payment.NotifyPayment, p
	case env.EventType == "REFUND.SUCCESS" || env.EventType == "REFUND.ABNORMAL" || env.EventType == "REFUND.CLOSED":
		var rr refundResource
		if err := json.Unmarshal([]byte(plain), &rr); err != nil {
			return bad(payment.ErrMalformed, "refund resource", err)
		}
		if rr.OutTradeNo == "" || rr.OutRefundNo == "" || rr.Amount == nil || rr.Amount.Total == nil || rr.Amount.Refund == nil {
			return bad(payment.ErrMalformed, "refund resource without references or amounts", nil)
		}
		total, refunded := money.Fen(*rr.Amount.Total), money.Fen(*rr.Amount.Refund)
		if total <= 0 || total > payment.MaxAmount || refunded <= 0 || refunded > total {
			return bad(payment.ErrMalformed, "refund amounts out of range", nil)
		}
		out.Kind = payment.NotifyRefund
		out.Payment = payment.Payment{Ref: rr.OutTradeNo, GatewayTradeNo: rr.TransactionID, Status: payment.StatusRefunded,
			Amount: total, Currency: "CNY", MerchantID: rr.Mchid}
		out.RefundRef, out.GatewayRefundNo, out.Refunded = rr.OutRefundNo, rr.RefundID, refunded
		out.RefundStatus = refundStatus(rr.RefundStatus)
		if out.RefundStatus == payment.RefundProcessing {
			return bad(payment.ErrMalformed, "refund_status "+rr.RefundStatus, nil)
		}
		if out.RefundStatus == payment.RefundSucceeded {
			t, err := time.Parse(time.RFC3339, rr.SuccessTime)
			if err != nil {
				return bad(payment.ErrMalformed, "success_time", err)
			}
			out.RefundedAt = t.In(payment.China)
		}
	default:
		return bad(payment.ErrMalformed, "event_type "+env.EventType, nil)
	}
	return out, nil
}

// Ack answers WeChat Pay: 204 with no body stops the retries; a 500 with
// {"code":"FAIL","message":"失败"} makes WeChat Pay send the notification
// again (after 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h,
// 3h, 6h, 6h).
func (c *Client) Ack(w http.ResponseWriter, ok bool) {
	if ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, `{"code":"FAIL","message":"失败"}`)
}
