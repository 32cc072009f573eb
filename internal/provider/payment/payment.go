// Package payment is the one interface yuanxu takes payments through, with
// two real gateways beneath it:
//
//   - alipay: Alipay open platform (RSA2, public-key mode) through
//     github.com/smartwalle/alipay/v3 — page pay (alipay.trade.page.pay),
//     QR pay (alipay.trade.precreate), trade query, synchronous refunds
//     (alipay.trade.refund, idempotent on out_request_no), refund query and
//     the daily trade bill (alipay.data.dataservice.bill.downloadurl.query,
//     then the zipped GBK CSV it points to);
//   - wechatpay: WeChat Pay API v3 in platform-public-key mode through
//     github.com/wechatpay-apiv3/wechatpay-go — Native QR pay, query by
//     out_trade_no, domestic refunds (idempotent on out_refund_no), refund
//     query and the trade bill (/v3/bill/tradebill, then its download URL,
//     checked against the SHA-1 it announces).
//
// sandboxgw is a loopback server that plays both gateways with its own
// keys, its own canonicalisation and signing code (not the SDKs'), a
// cashier page where a person clicks 支付/Pay, signed notifications with the
// gateways' retry schedules, refunds and bill files from its own records,
// and misbehaviour on request (duplicate, concurrent, late, out-of-order,
// tampered and lost notifications). The production clients talk to it
// unchanged: only their base URL differs.
//
// Amounts are integers of fen everywhere ([money.Fen]); Alipay's yuan
// strings are read with [ParseAmount] (money.ParseYuan, never floats) and
// written with Fen.Yuan. A payment attempt is named by our own 32-character
// reference ([NewRef]): out_trade_no at both gateways. A refund is named by
// our own refund reference (out_request_no / out_refund_no), so sending
// the same refund twice is one refund at the gateway.
//
// What the package does not decide: whether a notification's app id,
// merchant, amount and currency match the attempt, and whether it was
// already processed. ParseNotification only proves that the gateway said
// it; the app checks it against the attempt and dedupes on the gateway's
// trade number in the transaction that credits.
package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/money"
)

// Gateway names.
const (
	Alipay    = "alipay"
	WeChatPay = "wechatpay"
)

// Gateway is one payment gateway. Implementations are safe for concurrent
// use. Network methods return a *GatewayError when the gateway refused
// (errors.Is(err, ErrNotFound) for an unknown trade or refund), an error
// wrapping ErrBadSignature when the gateway's answer failed verification,
// and other errors as they come for transport failures (worth retrying:
// every call is idempotent on our references).
type Gateway interface {
	// Name is Alipay or WeChatPay.
	Name() string
	// CreatePayment starts a payment attempt. Calling it again with the
	// same Attempt is harmless (the gateways are idempotent on Ref with
	// identical parameters); with different parameters it is refused.
	CreatePayment(ctx context.Context, a Attempt) (Created, error)
	// ParseNotification verifies and decodes a notification the gateway
	// POSTed to the attempt's NotifyURL. It reads at most MaxNotificationBody
	// bytes of r.Body. An untrustworthy notification is a
	// *NotificationError (errors.Is ErrBadSignature or ErrMalformed) and
	// must be answered with Ack(w, false).
	ParseNotification(r *http.Request) (Notification, error)
	// Ack answers a notification in the gateway's own format: ok means
	// "received, stop retrying"; !ok makes the gateway retry later.
	Ack(w http.ResponseWriter, ok bool)
	// QueryPayment asks the gateway for the trade named ref. A trade the
	// gateway does not know is ErrNotFound; an Alipay page or QR attempt
	// is unknown until the customer opens the page or scans the code.
	QueryPayment(ctx context.Context, ref string) (Payment, error)
	// Refund asks the gateway to refund part or all of a paid trade. The
	// same RefundRef sent again (after a timeout, a crash) is the same
	// refund: the gateway answers with its state and moves no money twice.
	Refund(ctx context.Context, r RefundRequest) (Refund, error)
	// QueryRefund asks for the refund refundRef of the trade ref. Alipay
	// needs both references; WeChat Pay only the refund's.
	QueryRefund(ctx context.Context, ref, refundRef string) (Refund, error)
	// Bill downloads the gateway's trade bill of one day (day's date in
	// Asia/Shanghai; its clock time is ignored) and returns its payments
	// and refunds. A day without trades is an empty bill, not an error; a
	// bill the gateway has not published yet (before the next morning) is
	// a *GatewayError with Temporary set.
	Bill(ctx context.Context, day time.Time) ([]BillEntry, error)
}

// Kind is how the customer pays.
type Kind string

const (
	// KindPage redirects the customer's browser to the gateway's cashier
	// (Alipay page pay). WeChat Pay Native has no page: use KindQR.
	KindPage Kind = "page"
	// KindQR shows a code the customer scans (Alipay precreate, WeChat
	// Native).
	KindQR Kind = "qr"
)

// Attempt is one payment attempt.
type Attempt struct {
	// Ref is our payment reference ([NewRef]): out_trade_no.
	Ref string
	// Amount is what the customer pays; more than zero, at most MaxAmount.
	Amount money.Fen
	// Subject is the line the customer sees (Alipay subject, WeChat
	// description); at most 127 characters.
	Subject string
	// ReturnURL is where Alipay's page pay sends the browser back to
	// (a hint for the page only: payment is known from the notification
	// or a query). Unused by QR payments. Give it no query string of its
	// own: the signature Alipay adds covers only Alipay's parameters, and
	// a verifier cannot tell them apart.
	ReturnURL string
	// NotifyURL receives the signed notifications (…/callbacks/alipay or
	// …/callbacks/wechatpay).
	NotifyURL string
	Kind      Kind
	// ExpiresAt, when set, is when the gateway closes the unpaid trade
	// (Alipay time_expire, WeChat time_expire).
	ExpiresAt time.Time
}

// MaxAmount is the most one trade may carry at either gateway
// (Alipay: 100,000,000.00 yuan).
const MaxAmount money.Fen = 100_000_000_00

// Validate checks a before it is sent.
func (a Attempt) Validate() error {
	switch {
	case !ValidRef(a.Ref):
		return fmt.Errorf("payment: ref %q is not 32 letters and digits", a.Ref)
	case a.Amount <= 0 || a.Amount > MaxAmount:
		return fmt.Errorf("payment: amount %s out of range", a.Amount)
	case strings.TrimSpace(a.Subject) == "" || len([]rune(a.Subject)) > 127:
		return errors.New("payment: subject must be 1–127 characters")
	case a.NotifyURL == "":
		return errors.New("payment: notify URL is required")
	case a.Kind != KindPage && a.Kind != KindQR:
		return fmt.Errorf("payment: unknown kind %q", a.Kind)
	}
	return nil
}

// Created is what the customer needs to pay.
type Created struct {
	// PayURL is set for KindPage: send the browser there (GET).
	PayURL string
	// QRCode is set for KindQR: the text to render as a QR code
	// (https://qr.alipay.com/…, weixin://wxpay/bizpayurl?pr=…; the
	// sandbox's codes are http URLs of its cashier, which a browser opens).
	QRCode string
	// GatewayTradeNo is the gateway's trade number when it is known at
	// creation (never, with these two gateways: it comes with payment).
	GatewayTradeNo string
}

// Status is a trade's state at the gateway, normalised.
type Status string

const (
	// StatusPending: created, not paid (WAIT_BUYER_PAY; NOTPAY, USERPAYING).
	StatusPending Status = "pending"
	// StatusPaid: paid (TRADE_SUCCESS, TRADE_FINISHED; SUCCESS).
	StatusPaid Status = "paid"
	// StatusRefunded: paid, and then refunded — in full at Alipay (a
	// TRADE_CLOSED trade that had been paid), in full or in part at WeChat
	// Pay (REFUND). The payment happened; refunds are tracked by RefundRef.
	StatusRefunded Status = "refunded"
	// StatusClosed: closed without payment (timeout, cancellation; Alipay
	// TRADE_CLOSED without a payment, WeChat CLOSED or REVOKED).
	StatusClosed Status = "closed"
	// StatusFailed: the payment failed (WeChat PAYERROR).
	StatusFailed Status = "failed"
)

// WasPaid reports whether money reached the merchant at some point.
func (s Status) WasPaid() bool { return s == StatusPaid || s == StatusRefunded }

// Payment is a trade as the gateway reports it.
type Payment struct {
	Ref            string // out_trade_no
	GatewayTradeNo string // Alipay trade_no, WeChat transaction_id; "" before payment
	Status         Status
	Amount         money.Fen // the trade's total (total_amount / amount.total)
	Currency       string    // "CNY"
	AppID          string    // app_id / appid
	MerchantID     string    // Alipay seller_id, WeChat mchid
	PaidAt         time.Time // zero unless Status.WasPaid()
}

// NotificationKind says what a notification is about.
type NotificationKind string

const (
	NotifyPayment NotificationKind = "payment" // a trade's state changed
	NotifyRefund  NotificationKind = "refund"  // a refund succeeded or failed
)

// Notification is a verified notification.
type Notification struct {
	Gateway string
	// ID identifies the notification: Alipay notify_id, WeChat event id.
	// Retries and duplicates carry the same ID.
	ID   string
	Kind NotificationKind
	// Payment is the trade as the notification states it. Alipay refund
	// notifications are trade notifications (TRADE_SUCCESS after a partial
	// refund, TRADE_CLOSED after a full one); WeChat refund notifications
	// carry no app id and no status of the trade (Status is StatusRefunded).
	Payment
	// RefundRef, GatewayRefundNo, Refunded, RefundStatus and RefundedAt
	// are set for NotifyRefund. Refunded is this refund's amount at WeChat
	// Pay and the trade's total refunded so far at Alipay (refund_fee).
	RefundRef       string
	GatewayRefundNo string
	Refunded        money.Fen
	RefundStatus    RefundStatus
	RefundedAt      time.Time // zero unless RefundSucceeded
	// Raw is the body as received (the signed bytes).
	Raw []byte
}

// RefundRequest is one refund of one trade.
type RefundRequest struct {
	Ref       string    // the trade's out_trade_no
	RefundRef string    // ours, 6–64 letters and digits (a [NewRef] fits): out_request_no / out_refund_no
	Amount    money.Fen // this refund; > 0, at most what is left of Total
	Total     money.Fen // the trade's total (WeChat requires it)
	Reason    string    // shown to the customer; optional, ≤ 80 characters
	// NotifyURL receives the refund's notification (WeChat Pay). Alipay
	// notifies the trade's NotifyURL instead.
	NotifyURL string
}

// RefundStatus is a refund's state.
type RefundStatus string

const (
	RefundProcessing RefundStatus = "processing" // accepted, money not moved yet (WeChat PROCESSING)
	RefundSucceeded  RefundStatus = "succeeded"  // the money went back (REFUND_SUCCESS; SUCCESS)
	RefundFailed     RefundStatus = "failed"     // will not happen without a new refund (ABNORMAL, CLOSED)
)

// Refund is a refund as the gateway reports it.
type Refund struct {
	Ref             string
	RefundRef       string
	GatewayTradeNo  string
	GatewayRefundNo string // WeChat refund_id; Alipay has none
	Amount          money.Fen
	Status          RefundStatus
	SucceededAt     time.Time
}

// BillEntryKind says what a bill line is.
type BillEntryKind string

const (
	BillPayment BillEntryKind = "payment"
	BillRefund  BillEntryKind = "refund"
)

// BillEntry is one line of a gateway's trade bill.
type BillEntry struct {
	Kind            BillEntryKind
	Ref             string // out_trade_no
	GatewayTradeNo  string
	RefundRef       string // for BillRefund: out_request_no / out_refund_no
	GatewayRefundNo string
	Amount          money.Fen // positive for both kinds
	At              time.Time // payment or refund completion, +08:00
}

// MaxNotificationBody bounds the body ParseNotification reads.
const MaxNotificationBody = 64 << 10

// Errors. Test with errors.Is.
var (
	// ErrBadSignature: a notification or a gateway answer whose signature
	// is missing, stale or wrong, or whose encrypted resource fails
	// authentication. Never trust its content.
	ErrBadSignature = errors.New("payment: bad signature")
	// ErrMalformed: a notification that is signed but cannot be
	// understood (missing fields, bad amounts, an unknown event).
	ErrMalformed = errors.New("payment: malformed notification")
	// ErrNotFound: the gateway does not know the trade or refund.
	ErrNotFound = errors.New("payment: not found at the gateway")
	// ErrUnsupported: the gateway does not offer what was asked (WeChat
	// Native has no page payment).
	ErrUnsupported = errors.New("payment: not supported by this gateway")
)

// NotificationError is why ParseNotification refused a notification.
type NotificationError struct {
	Gateway string
	Reason  error  // ErrBadSignature or ErrMalformed
	Detail  string // for logs
	Err     error  // the underlying cause, if any
}

func (e *NotificationError) Error() string {
	s := fmt.Sprintf("%s notification: %v: %s", e.Gateway, e.Reason, e.Detail)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes Reason and Err to errors.Is and errors.As.
func (e *NotificationError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

// GatewayError is a refusal by the gateway, with its own code.
type GatewayError struct {
	Gateway    string
	Code       string // "ACQ.TRADE_NOT_EXIST", "isv.invalid-signature", "ORDER_NOT_EXIST", "SIGN_ERROR"
	Message    string
	HTTPStatus int // WeChat Pay's status; 0 for Alipay
	// NotFound marks codes that mean the trade or refund does not exist.
	NotFound bool
	// Temporary is true when the same request later can succeed (system
	// errors, rate limits); false for permanent refusals.
	Temporary bool
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Gateway, e.Code, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) true for not-found codes.
func (e *GatewayError) Is(target error) bool { return target == ErrNotFound && e.NotFound }

// NewRef returns a fresh payment reference: a UUIDv7 without its dashes,
// 32 lower-case hex digits, so references sort by creation time and fit
// WeChat Pay's 6–32 characters.
func NewRef() string { return strings.ReplaceAll(id.New(), "-", "") }

// ValidRef reports whether s is a reference both gateways accept as we use
// them: exactly 32 ASCII letters and digits.
func ValidRef(s string) bool {
	if len(s) != 32 {
		return false
	}
	return validChars(s)
}

// ValidRefundRef reports whether s is a refund reference both gateways
// accept: 6–64 ASCII letters and digits (WeChat allows 64, Alipay 64).
func ValidRefundRef(s string) bool { return len(s) >= 6 && len(s) <= 64 && validChars(s) }

func validChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// Validate checks r before it is sent.
func (r RefundRequest) Validate() error {
	switch {
	case !ValidRef(r.Ref):
		return fmt.Errorf("payment: ref %q is not 32 letters and digits", r.Ref)
	case !ValidRefundRef(r.RefundRef):
		return fmt.Errorf("payment: refund ref %q is not 6–64 letters and digits", r.RefundRef)
	case r.Amount <= 0 || r.Total <= 0 || r.Amount > r.Total || r.Total > MaxAmount:
		return fmt.Errorf("payment: refund %s of %s out of range", r.Amount, r.Total)
	case len([]rune(r.Reason)) > 80:
		return errors.New("payment: refund reason over 80 characters")
	}
	return nil
}
