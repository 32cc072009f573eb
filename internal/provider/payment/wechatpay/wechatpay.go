// Package wechatpay is the WeChat Pay API v3 gateway (payment.Gateway) on
// top of github.com/wechatpay-apiv3/wechatpay-go v0.2.21 in
// platform-public-key mode: the SDK signs every request
// (WECHATPAY2-SHA256-RSA2048 with the merchant's API key) and verifies
// every answer's Wechatpay-Signature with the WeChat Pay public key
// (Wechatpay-Serial must name its id). Notifications are verified with the
// SDK's notify validator (the same key, timestamp\nnonce\nbody\n, at most
// five minutes old) and their resource decrypted with the SDK's
// AEAD_AES_256_GCM and the APIv3 key.
//
// Real: Native prepay (/v3/pay/transactions/native), query by
// out_trade_no, domestic refunds (/v3/refund/domestic/refunds, idempotent
// on out_refund_no) and their query, and the trade bill
// (/v3/bill/tradebill, bill_type ALL, then its download_url, whose bytes
// are checked against the announced SHA-1; the download is not signed by
// WeChat Pay, as documented).
//
// The SDK's services hard-code https://api.mch.weixin.qq.com; a BaseURL
// override is applied by the HTTP transport, which rewrites that host to
// BaseURL's. Request signatures cover only the path and query, so the
// SDK's signing and verification run unchanged against the sandbox.
//
// Not covered: platform-certificate mode, JSAPI/H5/App payments, the
// backup domain api2.mch.weixin.qq.com, gzip bills (tar_type), and
// service-provider (sub-merchant) mode.
package wechatpay

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
)

// DefaultBaseURL is WeChat Pay's API server.
const DefaultBaseURL = consts.WechatPayAPIServer

// Config configures a Client.
type Config struct {
	MchID string // 商户号
	AppID string // the AppID bound to the merchant (Native pay needs one)
	// MerchantSerialNo is the serial number of the merchant's API
	// certificate, sent with every signature.
	MerchantSerialNo string
	// PrivateKey is the merchant's API private key (apiclient_key.pem).
	PrivateKey string
	// PublicKeyID and PublicKey are the WeChat Pay public key
	// ("PUB_KEY_ID_…" and its PEM) that signs answers and notifications.
	PublicKeyID string
	PublicKey   string
	// APIv3Key is the 32-byte key notifications are encrypted with.
	APIv3Key string
	// BaseURL overrides DefaultBaseURL (the sandbox's URL); no path.
	BaseURL string
	// HTTPClient sends requests; default: a client with a 30-second
	// timeout. Its transport is wrapped when BaseURL is overridden.
	HTTPClient *http.Client
}

// Client talks to WeChat Pay. It is safe for concurrent use.
type Client struct {
	cfg     Config
	core    *core.Client
	base    *url.URL
	pub     *rsa.PublicKey
	native  native.NativeApiService
	refunds refunddomestic.RefundsApiService
}

var _ payment.Gateway = (*Client)(nil)

// New builds a client. It fails on missing fields, unreadable keys or an
// APIv3 key that is not 32 bytes.
func New(cfg Config) (*Client, error) {
	if cfg.MchID == "" || cfg.AppID == "" || cfg.MerchantSerialNo == "" || cfg.PublicKeyID == "" {
		return nil, errors.New("wechatpay: mch id, app id, merchant serial number and public key id are required")
	}
	if len(cfg.APIv3Key) != 32 {
		return nil, errors.New("wechatpay: the APIv3 key must be 32 bytes")
	}
	priv, err := utils.LoadPrivateKey(cfg.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: private key: %w", err)
	}
	pub, err := utils.LoadPublicKey(cfg.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: public key: %w", err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") || (base.Path != "" && base.Path != "/") {
		return nil, fmt.Errorf("wechatpay: base URL %q is not scheme://host[:port]", cfg.BaseURL)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	if cfg.BaseURL != DefaultBaseURL {
		next := hc.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		hc.Transport = &rewrite{to: base, next: next}
	}
	cc, err := core.NewClient(context.Background(),
		option.WithWechatPayPublicKeyAuthCipher(cfg.MchID, cfg.MerchantSerialNo, priv, cfg.PublicKeyID, pub),
		option.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("wechatpay: %w", err)
	}
	return &Client{
		cfg: cfg, core: cc, base: base, pub: pub,
		native: native.NativeApiService{Client: cc}, refunds: refunddomestic.RefundsApiService{Client: cc},
	}, nil
}

// rewrite sends requests for WeChat Pay's API host to another base URL.
type rewrite struct {
	to   *url.URL
	next http.RoundTripper
}

func (t *rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "api.mch.weixin.qq.com" {
		return t.next.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.to.Scheme, t.to.Host, ""
	return t.next.RoundTrip(r2)
}

// Name is payment.WeChatPay.
func (c *Client) Name() string { return payment.WeChatPay }

// CreatePayment asks for a Native QR code. KindPage is ErrUnsupported.
func (c *Client) CreatePayment(ctx context.Context, a payment.Attempt) (payment.Created, error) {
	if err := a.Validate(); err != nil {
		return payment.Created{}, err
	}
	if a.Kind != payment.KindQR {
		return payment.Created{}, fmt.Errorf("wechatpay: %w: Native pay has no page; use a QR code", payment.ErrUnsupported)
	}
	req := native.PrepayRequest{
		Appid: core.String(c.cfg.AppID), Mchid: core.String(c.cfg.MchID),
		Description: core.String(a.Subject), OutTradeNo: core.String(a.Ref), NotifyUrl: core.String(a.NotifyURL),
		Amount: &native.Amount{Total: core.Int64(int64(a.Amount)), Currency: core.String("CNY")},
	}
	if !a.ExpiresAt.IsZero() {
		exp := a.ExpiresAt.In(payment.China).Truncate(time.Second)
		req.TimeExpire = &exp
	}
	rsp, res, err := c.native.Prepay(ctx, req)
	if err := c.check(res, err); err != nil {
		return payment.Created{}, err
	}
	if rsp.CodeUrl == nil || *rsp.CodeUrl == "" {
		return payment.Created{}, errors.New("wechatpay: prepay answered no code_url")
	}
	return payment.Created{QRCode: *rsp.CodeUrl}, nil
}

// QueryPayment queries the transaction by out_trade_no.
func (c *Client) QueryPayment(ctx context.Context, ref string) (payment.Payment, error) {
	tx, res, err := c.native.QueryOrderByOutTradeNo(ctx, native.QueryOrderByOutTradeNoRequest{
		OutTradeNo: core.String(ref), Mchid: core.String(c.cfg.MchID),
	})
	if err := c.check(res, err); err != nil {
		return payment.Payment{}, err
	}
	p, err := transaction(tx)
	if err != nil {
		return payment.Payment{}, fmt.Errorf("wechatpay: query: %w", err)
	}
	if p.Ref != ref {
		return payment.Payment{}, fmt.Errorf("wechatpay: query for %s answered %s", ref, p.Ref)
	}
	return p, nil
}

// transaction maps a transaction (a query's answer or a notification's
// resource).
func transaction(tx *payments.Transaction) (payment.Payment, error) {
	if tx == nil || tx.OutTradeNo == nil || tx.TradeState == nil || tx.Amount == nil || tx.Amount.Total == nil {
		return payment.Payment{}, errors.New("transaction without out_trade_no, trade_state or amount")
	}
	p := payment.Payment{
		Ref: *tx.OutTradeNo, Amount: money.Fen(*tx.Amount.Total), Currency: deref(tx.Amount.Currency),
		AppID: deref(tx.Appid), MerchantID: deref(tx.Mchid), GatewayTradeNo: deref(tx.TransactionId),
	}
	if p.Amount < 0 || p.Amount > payment.MaxAmount {
		return payment.Payment{}, fmt.Errorf("amount %d out of range", p.Amount)
	}
	switch *tx.TradeState {
	case "SUCCESS":
		p.Status = payment.StatusPaid
	case "REFUND":
		p.Status = payment.StatusRefunded
	case "NOTPAY", "USERPAYING":
		p.Status = payment.StatusPending
	case "CLOSED", "REVOKED":
		p.Status = payment.StatusClosed
	case "PAYERROR":
		p.Status = payment.StatusFailed
	default:
		return payment.Payment{}, fmt.Errorf("trade_state %q", *tx.TradeState)
	}
	if p.Status.WasPaid() {
		t, err := time.Parse(time.RFC3339, deref(tx.SuccessTime))
		if err != nil || p.GatewayTradeNo == "" {
			return payment.Payment{}, errors.New("paid transaction without success_time or transaction_id")
		}
		p.PaidAt = t.In(payment.China)
	}
	return p, nil
}

// Refund creates a domestic refund with out_refund_no = RefundRef. WeChat
// Pay answers PROCESSING (or SUCCESS) at once; the outcome comes by
// notification to NotifyURL, or by QueryRefund. The same RefundRef sent
// again answers the existing refund.
func (c *Client) Refund(ctx context.Context, r payment.RefundRequest) (payment.Refund, error) {
	if err := r.Validate(); err != nil {
		return payment.Refund{}, err
	}
	req := refunddomestic.CreateRequest{
		OutTradeNo: core.String(r.Ref), OutRefundNo: core.String(r.RefundRef),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(int64(r.Amount)), Total: core.Int64(int64(r.Total)), Currency: core.String("CNY")},
	}
	if r.Reason != "" {
		req.Reason = core.String(r.Reason)
	}
	if r.NotifyURL != "" {
		req.NotifyUrl = core.String(r.NotifyURL)
	}
	rf, res, err := c.refunds.Create(ctx, req)
	if err := c.check(res, err); err != nil {
		return payment.Refund{}, err
	}
	return refund(rf)
}

// QueryRefund queries the refund by out_refund_no (ref is not needed).
func (c *Client) QueryRefund(ctx context.Context, ref, refundRef string) (payment.Refund, error) {
	rf, res, err := c.refunds.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(refundRef)})
	if err := c.check(res, err); err != nil {
		return payment.Refund{}, err
	}
	out, err := refund(rf)
	if err == nil && ref != "" && out.Ref != ref {
		return payment.Refund{}, fmt.Errorf("wechatpay: refund %s belongs to %s, not %s", refundRef, out.Ref, ref)
	}
	return out, err
}

func refund(rf *refunddomestic.Refund) (payment.Refund, error) {
	if rf == nil || rf.OutRefundNo == nil || rf.OutTradeNo == nil || rf.Status == nil || rf.Amount == nil || rf.Amount.Refund == nil {
		return payment.Refund{}, errors.New("wechatpay: refund answer without out_refund_no, status or amount")
	}
	out := payment.Refund{
		Ref: *rf.OutTradeNo, RefundRef: *rf.OutRefundNo, GatewayTradeNo: deref(rf.TransactionId),
		GatewayRefundNo: deref(rf.RefundId), Amount: money.Fen(*rf.Amount.Refund), Status: refundStatus(string(*rf.Status)),
	}
	if rf.SuccessTime != nil {
		out.SucceededAt = rf.SuccessTime.In(payment.China)
	}
	return out, nil
}

func refundStatus(s string) payment.RefundStatus {
	switch s {
	case "SUCCESS":
		return payment.RefundSucceeded
	case "CLOSED", "ABNORMAL":
		return payment.RefundFailed
	}
	return payment.RefundProcessing
}

// check turns the SDK's failures into ours: an *core.APIError is a
// *payment.GatewayError; a 2xx answer that still failed did not verify.
func (c *Client) check(res *core.APIResult, err error) error {
	if err == nil {
		return nil
	}
	var ae *core.APIError
	if errors.As(err, &ae) {
		return &payment.GatewayError{
			Gateway: payment.WeChatPay, Code: ae.Code, Message: ae.Message, HTTPStatus: ae.StatusCode,
			NotFound:  ae.StatusCode == http.StatusNotFound || ae.Code == "ORDER_NOT_EXIST" || ae.Code == "RESOURCE_NOT_EXISTS",
			Temporary: ae.StatusCode >= 500 || ae.StatusCode == http.StatusTooManyRequests || ae.Code == "SYSTEM_ERROR" || ae.Code == "FREQUENCY_LIMITED",
		}
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) {
		return fmt.Errorf("wechatpay: malformed answer: %w", err)
	}
	if res != nil && res.Response != nil && res.Response.StatusCode/100 == 2 {
		return fmt.Errorf("wechatpay: answer: %w: %v", payment.ErrBadSignature, err)
	}
	return fmt.Errorf("wechatpay: %w", err)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
