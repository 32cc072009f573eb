// Package alipay is the Alipay gateway (payment.Gateway) on top of
// github.com/smartwalle/alipay/v3 v3.2.28, in public-key mode with RSA2:
// the SDK signs every request with the application's private key and
// verifies every answer and notification with Alipay's public key. We add
// the mapping to payment's types, amounts in fen, typed errors, and the
// trade bill's zip/CSV reader, which the SDK lacks.
//
// Real: page pay (alipay.trade.page.pay, a signed GET URL), QR pay
// (alipay.trade.precreate), alipay.trade.query, alipay.trade.refund
// (synchronous; idempotent on out_request_no),
// alipay.trade.fastpay.refund.query, and the trade bill
// (alipay.data.dataservice.bill.downloadurl.query, then the zip of GBK CSV
// files at the URL it returns; the 业务明细 file is read by column name).
//
// Not covered: certificate mode (alipay_cert_sn), content encryption
// (AES), charsets other than UTF-8, app_auth_token (service providers),
// and alipay.trade.refund.apply (the asynchronous refund API, which needs
// a separate agreement).
package alipay

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "github.com/smartwalle/alipay/v3"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
)

// DefaultGateway is Alipay's production gateway.
const DefaultGateway = "https://openapi.alipay.com/gateway.do"

// Config configures a Client.
type Config struct {
	// AppID is the open-platform application (app_id).
	AppID string
	// PrivateKey is the application's RSA private key: PEM, or the bare
	// base64 the open platform's key tool writes; PKCS#1 or PKCS#8.
	PrivateKey string
	// AlipayPublicKey is Alipay's public key for this application (PEM or
	// bare base64, PKIX).
	AlipayPublicKey string
	// SellerID is the merchant's Alipay user id (PID, 2088…), for
	// information; notifications report it as MerchantID.
	SellerID string
	// Gateway overrides DefaultGateway (the sandbox: its /gateway.do).
	Gateway string
	// HTTPClient sends requests and downloads bills; default: a client
	// with a 30-second timeout.
	HTTPClient *http.Client
}

// Client talks to Alipay. It is safe for concurrent use.
type Client struct {
	cfg  Config
	sdk  *sdk.Client
	http *http.Client
}

var _ payment.Gateway = (*Client)(nil)

// New builds a client. It fails on a missing app id or an unreadable key.
func New(cfg Config) (*Client, error) {
	if cfg.AppID == "" || cfg.PrivateKey == "" || cfg.AlipayPublicKey == "" {
		return nil, errors.New("alipay: app id, private key and Alipay public key are required")
	}
	if cfg.Gateway == "" {
		cfg.Gateway = DefaultGateway
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	// isProduction=true with the production gateway overridden: the SDK
	// then uses our URL and never the Alipay sandbox's.
	c, err := sdk.New(cfg.AppID, cfg.PrivateKey, true,
		sdk.WithProductionGateway(cfg.Gateway), sdk.WithHTTPClient(hc), sdk.WithTimeLocation(payment.China))
	if err != nil {
		return nil, fmt.Errorf("alipay: private key: %w", err)
	}
	if err := c.LoadAliPayPublicKey(cfg.AlipayPublicKey); err != nil {
		return nil, fmt.Errorf("alipay: Alipay public key: %w", err)
	}
	return &Client{cfg: cfg, sdk: c, http: hc}, nil
}

// Name is payment.Alipay.
func (c *Client) Name() string { return payment.Alipay }

const timeLayout = "2006-01-02 15:04:05"

// CreatePayment builds a signed page-pay URL (KindPage; no request is
// made: the trade comes into being when the browser opens it) or asks for
// a QR code with alipay.trade.precreate (KindQR).
func (c *Client) CreatePayment(ctx context.Context, a payment.Attempt) (payment.Created, error) {
	if err := a.Validate(); err != nil {
		return payment.Created{}, err
	}
	t := sdk.Trade{
		NotifyURL:   a.NotifyURL,
		ReturnURL:   a.ReturnURL,
		Subject:     a.Subject,
		OutTradeNo:  a.Ref,
		TotalAmount: a.Amount.Yuan(),
	}
	if !a.ExpiresAt.IsZero() {
		t.TimeExpire = a.ExpiresAt.In(payment.China).Format(timeLayout)
	}
	if a.Kind == payment.KindPage {
		t.ProductCode = "FAST_INSTANT_TRADE_PAY"
		u, err := c.sdk.TradePagePay(sdk.TradePagePay{Trade: t})
		if err != nil {
			return payment.Created{}, fmt.Errorf("alipay: page pay: %w", err)
		}
		return payment.Created{PayURL: u.String()}, nil
	}
	t.ProductCode = "FACE_TO_FACE_PAYMENT"
	t.ReturnURL = ""
	rsp, err := c.sdk.TradePreCreate(ctx, sdk.TradePreCreate{Trade: t})
	if err := check(rsp, err, func() sdk.Error { return rsp.Error }); err != nil {
		return payment.Created{}, err
	}
	if rsp.QRCode == "" {
		return payment.Created{}, errors.New("alipay: precreate answered no qr_code")
	}
	return payment.Created{QRCode: rsp.QRCode}, nil
}

// QueryPayment runs alipay.trade.query.
func (c *Client) QueryPayment(ctx context.Context, ref string) (payment.Payment, error) {
	rsp, err := c.sdk.TradeQuery(ctx, sdk.TradeQuery{OutTradeNo: ref})
	if err := check(rsp, err, func() sdk.Error { return rsp.Error }); err != nil {
		return payment.Payment{}, err
	}
	amount, err := payment.ParseAmount(rsp.TotalAmount)
	if err != nil {
		return payment.Payment{}, fmt.Errorf("alipay: trade query: %w", err)
	}
	p := payment.Payment{
		Ref: rsp.OutTradeNo, GatewayTradeNo: rsp.TradeNo, Amount: amount, Currency: "CNY",
		AppID: c.cfg.AppID, MerchantID: c.cfg.SellerID,
		Status: status(rsp.TradeStatus, rsp.SendPayDate != ""),
	}
	if p.Status.WasPaid() {
		p.PaidAt = parseTime(rsp.SendPayDate)
	}
	if p.Ref != ref {
		return payment.Payment{}, fmt.Errorf("alipay: trade query for %s answered %s", ref, p.Ref)
	}
	return p, nil
}

// status maps trade_status; paid tells a closed trade that had been paid
// (refunded in full) from one closed unpaid.
func status(s sdk.TradeStatus, paid bool) payment.Status {
	switch s {
	case sdk.TradeStatusSuccess, sdk.TradeStatusFinished:
		return payment.StatusPaid
	case sdk.TradeStatusClosed:
		if paid {
			return payment.StatusRefunded
		}
		return payment.StatusClosed
	}
	return payment.StatusPending
}

// Refund runs alipay.trade.refund with out_request_no = RefundRef. Alipay
// refunds synchronously: a success is RefundSucceeded. Sending the same
// RefundRef again answers success without moving money (fund_change "N");
// the same RefundRef with another amount is refused
// (ACQ.DISCORDANT_REPEAT_REQUEST).
func (c *Client) Refund(ctx context.Context, r payment.RefundRequest) (payment.Refund, error) {
	if err := r.Validate(); err != nil {
		return payment.Refund{}, err
	}
	rsp, err := c.sdk.TradeRefund(ctx, sdk.TradeRefund{
		OutTradeNo: r.Ref, RefundAmount: r.Amount.Yuan(), RefundReason: r.Reason, OutRequestNo: r.RefundRef,
	})
	if err := check(rsp, err, func() sdk.Error { return rsp.Error }); err != nil {
		return payment.Refund{}, err
	}
	return payment.Refund{
		Ref: r.Ref, RefundRef: r.RefundRef, GatewayTradeNo: rsp.TradeNo, Amount: r.Amount,
		Status: payment.RefundSucceeded, SucceededAt: time.Now().In(payment.China),
	}, nil
}

// QueryRefund runs alipay.trade.fastpay.refund.query. Alipay answers
// success without refund_status both for a refund it never received and
// for one that failed; both are ErrNotFound, and sending the refund again
// with the same RefundRef is the safe way on.
func (c *Client) QueryRefund(ctx context.Context, ref, refundRef string) (payment.Refund, error) {
	rsp, err := c.sdk.TradeFastPayRefundQuery(ctx, sdk.TradeFastPayRefundQuery{
		OutTradeNo: ref, OutRequestNo: refundRef, QueryOptions: []string{"gmt_refund_pay"},
	})
	if err := check(rsp, err, func() sdk.Error { return rsp.Error }); err != nil {
		return payment.Refund{}, err
	}
	if rsp.RefundStatus != "REFUND_SUCCESS" {
		return payment.Refund{}, &payment.GatewayError{Gateway: payment.Alipay, Code: "REFUND_NOT_FOUND",
			Message: "no successful refund with this out_request_no", NotFound: true}
	}
	amount, err := payment.ParseAmount(rsp.RefundAmount)
	if err != nil {
		return payment.Refund{}, fmt.Errorf("alipay: refund query: %w", err)
	}
	return payment.Refund{
		Ref: rsp.OutTradeNo, RefundRef: rsp.OutRequestNo, GatewayTradeNo: rsp.TradeNo, Amount: amount,
		Status: payment.RefundSucceeded, SucceededAt: parseTime(rsp.GMTRefundPay),
	}, nil
}

// check turns the SDK's two kinds of failure into ours: an error (an
// unsigned error answer, a bad signature, a transport failure) or a signed
// answer whose code is not a success.
func check[T any](rsp *T, err error, biz func() sdk.Error) error {
	if err != nil {
		var e sdk.Error
		var pe *sdk.Error
		switch {
		case errors.As(err, &pe) && pe != nil:
			e = *pe
		case errors.As(err, &e):
		default:
			if isVerification(err) {
				return fmt.Errorf("alipay: answer: %w: %v", payment.ErrBadSignature, err)
			}
			return fmt.Errorf("alipay: %w", err)
		}
		if e.Code.IsSuccess() {
			// The SDK reports an answer without a signature as its error
			// body; a "success" that is not signed is not an answer.
			return fmt.Errorf("alipay: answer: %w: not signed", payment.ErrBadSignature)
		}
		return gatewayError(e)
	}
	if rsp == nil {
		return errors.New("alipay: empty answer")
	}
	if e := biz(); !e.Code.IsSuccess() {
		return gatewayError(e)
	}
	return nil
}

func gatewayError(e sdk.Error) *payment.GatewayError {
	code := e.SubCode
	msg := e.SubMsg
	if code == "" {
		code, msg = string(e.Code), e.Msg
	}
	return &payment.GatewayError{
		Gateway: payment.Alipay, Code: code, Message: msg,
		NotFound:  code == "ACQ.TRADE_NOT_EXIST",
		Temporary: e.Code == sdk.CodeUnknowError || e.Code == sdk.CodeCallLimited || code == "ACQ.SYSTEM_ERROR" || strings.HasPrefix(code, "isp."),
	}
}

// isVerification reports whether err comes from checking a signature.
func isVerification(err error) bool {
	var b64 base64.CorruptInputError
	return errors.Is(err, rsa.ErrVerification) ||
		errors.Is(err, sdk.ErrSignNotFound) || errors.Is(err, sdk.ErrAliPublicKeyNotFound) || errors.As(err, &b64)
}

// parseTime reads Alipay's "2006-01-02 15:04:05" (+08:00); zero if absent
// or malformed.
func parseTime(s string) time.Time {
	t, err := time.ParseInLocation(timeLayout, s, payment.China)
	if err != nil {
		return time.Time{}
	}
	return t
}

// amountOrZero parses an optional yuan field.
func amountOrZero(s string) (money.Fen, error) {
	if s == "" {
		return 0, nil
	}
	return payment.ParseAmount(s)
}
