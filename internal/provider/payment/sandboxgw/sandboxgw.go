// Package sandboxgw is a payment gateway for sandbox mode, --demo and
// tests: one loopback HTTP server that plays both Alipay (gateway.do,
// RSA2) and WeChat Pay API v3 (public-key mode) with its own generated
// keys. The production clients (provider/payment/alipay and
// provider/payment/wechatpay) talk to it unchanged; only their base URL
// differs ([Server.AlipayConfig], [Server.WeChatConfig]).
//
// What is real: it verifies every merchant request with its own
// canonicalisation and RSA code, not the SDKs' (Alipay: parameters sorted
// by name, sign excluded, empty values dropped; WeChat Pay: the
// Authorization header's method\nURI\ntimestamp\nnonce\nbody\n, five
// minutes of skew, nonces not reused), and answers in each gateway's
// format and error codes, signed the way the clients verify (Alipay: the
// *_response object's bytes; WeChat Pay: Wechatpay-* headers). A person
// pays on a cashier page (GET shows it, POST pays or cancels; no scripts);
// the server then POSTs signed notifications to the attempt's notify URL
// (WeChat Pay's resource encrypted with AES-256-GCM under the APIv3 key)
// and retries on any answer but Alipay's "success" or WeChat Pay's
// 200/204, on the gateways' schedules unless Options shorten them. Refunds
// are idempotent on out_request_no / out_refund_no; Alipay refunds at once,
// WeChat Pay after Options.RefundDelay, each with its notification. Bills
// are built from the server's own records in each gateway's file format
// (Alipay: a zip of GBK CSV files behind a token URL; WeChat Pay: the
// "`"-prefixed CSV with its SHA-1).
//
// What is simplified: records live in memory (a map under a mutex); an
// Alipay page or QR trade exists once its cashier page is opened (as at
// Alipay) and the QR codes are http URLs of that page, not qr.alipay.com
// or weixin:// links; notify URLs may be plain http and on loopback;
// unpaid trades past time_expire close lazily and silently; there is one
// buyer; bills are served for any past day and for today so far unless
// Options.StrictBills (the real ones appear the next morning); only the
// bill columns the clients read carry real values; a WeChat Pay "closed"
// notification (OrderClosed…) has no real counterpart; Alipay request
// timestamps are checked for format, not age; error codes are the real
// ones where known, plausible ones otherwise.
//
// Misbehaviour for tests, per payment reference ([Server.Misbehave], or
// POST /sandbox/behaviour): notifications delivered N times concurrently,
// late, never, tampered (signature, amount, forged key, stale timestamp),
// genuinely signed with a wrong amount, a closed notification after or
// before the paid one, and refund calls that fail after refunding.
// [Server.Replay] sends the last notification again, N times at once (a
// duplicate); [Server.Resend] sends a fresh genuine one (the merchant
// console's "resend"); both are also POST /sandbox/resend. These test
// endpoints have no authentication: keep the server on loopback.
package sandboxgw

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/alipay"
	"yuanxu/internal/provider/payment/wechatpay"
)

// Keys is everything identifying and secret about one sandbox: both
// sides' key pairs (PKCS#8 PEM), ids and the APIv3 key. Keep it to keep
// the clients' configuration across restarts.
type Keys struct {
	AlipayAppID         string // 2021…
	AlipaySellerID      string // 2088…
	AlipayAppPrivateKey string // the merchant's
	AlipayPrivateKey    string // the gateway's
	WeChatMchID         string
	WeChatAppID         string // wx…
	WeChatSerialNo      string // the merchant certificate's serial
	WeChatMerchantKey   string // the merchant's
	WeChatPlatformKey   string // the gateway's
	WeChatPublicKeyID   string // PUB_KEY_ID_…
	WeChatAPIv3Key      string // 32 characters
}

// NewKeys generates a fresh set: four RSA-2048 key pairs and random ids.
func NewKeys() (*Keys, error) {
	var pems [4]string
	for i := range pems {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		pems[i] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	mch := "19" + digits(8)
	return &Keys{
		AlipayAppID: "2021" + digits(12), AlipaySellerID: "2088" + digits(12),
		AlipayAppPrivateKey: pems[0], AlipayPrivateKey: pems[1],
		WeChatMchID: mch, WeChatAppID: "wx" + hexID(8), WeChatSerialNo: upperHex(20),
		WeChatMerchantKey: pems[2], WeChatPlatformKey: pems[3],
		WeChatPublicKeyID: "PUB_KEY_ID_01" + mch + time.Now().Format("20060102") + digits(10),
		WeChatAPIv3Key:    alnum(32),
	}, nil
}

// Options configures a Server. The zero value is a faithful gateway on a
// free loopback port with fresh keys.
type Options struct {
	Keys *Keys  // nil: NewKeys
	Addr string // listen address; default 127.0.0.1:0
	// Now is the time of records (payments, refunds, which day's bill
	// they are in); default time.Now. Signature timestamps are wall time.
	Now func() time.Time
	// AlipayRetry and WeChatRetry are the waits between delivery attempts
	// of a notification; nil: the real schedules (DefaultAlipayRetry,
	// DefaultWeChatRetry). Tests shorten them.
	AlipayRetry, WeChatRetry []time.Duration
	// RefundDelay is how long a WeChat Pay refund stays PROCESSING
	// (default 0: it succeeds just after the answer).
	RefundDelay time.Duration
	// StrictBills refuses a bill for today and later, as the gateways do
	// until the next morning; otherwise only future days are refused.
	StrictBills bool
	// NotifyTimeout bounds one delivery attempt; default 5s.
	NotifyTimeout time.Duration
	// Default is the behaviour of references without their own.
	Default Behaviour
	// Logf, when set, receives one line per delivery attempt.
	Logf func(format string, args ...any)
}

// The gateways' documented retry schedules.
var (
	DefaultAlipayRetry = []time.Duration{4 * time.Minute, 10 * time.Minute, 10 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour}
	DefaultWeChatRetry = []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute, 10 * time.Minute, 20 * time.Minute,
		30 * time.Minute, 30 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour}
)

// Trade is a trade as the sandbox records it.
type Trade struct {
	Gateway   string // payment.Alipay or payment.WeChatPay
	Ref       string // out_trade_no
	TradeNo   string // Alipay: once opened; WeChat Pay: once paid
	Kind      payment.Kind
	Subject   string
	Amount    money.Fen
	NotifyURL string
	ReturnURL string
	// Opened: the customer opened the cashier (an Alipay trade exists
	// only from then on).
	Opened    bool
	State     State
	CreatedAt time.Time
	PaidAt    time.Time
	ClosedAt  time.Time
	ExpiresAt time.Time
	Refunds   []Refund
	token     string
}

// State is a trade's own state; each gateway names it its way.
type State string

const (
	StatePending State = "pending"
	StatePaid    State = "paid"
	StateClosed  State = "closed" // unpaid and closed, or paid and refunded in full
)

// Refunded is the sum of t's successful and processing refunds.
func (t *Trade) Refunded() money.Fen {
	var n money.Fen
	for _, r := range t.Refunds {
		n += r.Amount
	}
	return n
}

// Refund is one refund of a trade.
type Refund struct {
	RefundRef   string // out_request_no / out_refund_no
	RefundNo    string // WeChat refund_id
	Amount      money.Fen
	Reason      string
	NotifyURL   string // WeChat Pay only
	Succeeded   bool
	CreatedAt   time.Time
	SucceededAt time.Time
}

// Server is a running sandbox gateway. Its methods are safe for concurrent
// use.
type Server struct {
	opts Options
	keys Keys
	url  string

	alipayKey, wechatKey *rsa.PrivateKey // the gateway's
	alipayApp, wechatMch *rsa.PublicKey  // the merchant's

	srv    *http.Server
	http   *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	trades     map[string]*Trade // gateway+" "+ref
	tokens     map[string]*Trade
	behaviour  map[string]*Behaviour
	deliveries []Delivery
	pending    int
	nonces     map[string]time.Time
	bills      map[string]bill
	last       map[string]notice // gateway+" "+ref → the last notification sent
	forgedOnce sync.Once
	forgedKey  *rsa.PrivateKey
}

// Start generates keys when none are given and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.Keys == nil {
		k, err := NewKeys()
		if err != nil {
			return nil, fmt.Errorf("sandboxgw: keys: %w", err)
		}
		opts.Keys = k
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AlipayRetry == nil {
		opts.AlipayRetry = DefaultAlipayRetry
	}
	if opts.WeChatRetry == nil {
		opts.WeChatRetry = DefaultWeChatRetry
	}
	if opts.NotifyTimeout <= 0 {
		opts.NotifyTimeout = 5 * time.Second
	}
	s := &Server{opts: opts, keys: *opts.Keys, trades: map[string]*Trade{}, tokens: map[string]*Trade{},
		behaviour: map[string]*Behaviour{}, nonces: map[string]time.Time{}, bills: map[string]bill{}, last: map[string]notice{}}
	var err error
	if s.alipayKey, err = parseKey(s.keys.AlipayPrivateKey); err == nil {
		if s.wechatKey, err = parseKey(s.keys.WeChatPlatformKey); err == nil {
			var k *rsa.PrivateKey
			if k, err = parseKey(s.keys.AlipayAppPrivateKey); err == nil {
				s.alipayApp = &k.PublicKey
				if k, err = parseKey(s.keys.WeChatMerchantKey); err == nil {
					s.wechatMch = &k.PublicKey
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sandboxgw: keys: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandboxgw: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.http = &http.Client{Timeout: opts.NotifyTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops serving and abandons pending deliveries and refunds,
// waiting for them and for requests in flight up to ctx.
func (s *Server) Close(ctx context.Context) error {
	s.cancel()
	err := s.srv.Shutdown(ctx)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return errors.Join(err, ctx.Err())
	}
	return err
}

// URL is the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.url }

// Keys returns the sandbox's keys and ids.
func (s *Server) Keys() Keys { return s.keys }

// AlipayConfig is what an Alipay client needs to use this sandbox.
func (s *Server) AlipayConfig() alipay.Config {
	return alipayConfig(s.url, s.keys, &s.alipayKey.PublicKey)
}

// WeChatConfig is what a WeChat Pay client needs to use this sandbox.
func (s *Server) WeChatConfig() wechatpay.Config {
	return wechatConfig(s.url, s.keys, &s.wechatKey.PublicKey)
}

// ClientConfigs are the client configurations of a sandbox gateway
// running elsewhere (another process, shared by several instances of
// yuanxu) at baseURL with keys k: what [Server.AlipayConfig] and
// [Server.WeChatConfig] return inside its own process.
func ClientConfigs(baseURL string, k Keys) (alipay.Config, wechatpay.Config, error) {
	ak, err := parseKey(k.AlipayPrivateKey)
	if err != nil {
		return alipay.Config{}, wechatpay.Config{}, fmt.Errorf("sandboxgw: alipay key: %w", err)
	}
	wk, err := parseKey(k.WeChatPlatformKey)
	if err != nil {
		return alipay.Config{}, wechatpay.Config{}, fmt.Errorf("sandboxgw: wechat pay key: %w", err)
	}
	baseURL = strings.TrimRight(baseURL, "/")
	return alipayConfig(baseURL, k, &ak.PublicKey), wechatConfig(baseURL, k, &wk.PublicKey), nil
}

func alipayConfig(url string, k Keys, gateway *rsa.PublicKey) alipay.Config {
	return alipay.Config{AppID: k.AlipayAppID, PrivateKey: k.AlipayAppPrivateKey,
		AlipayPublicKey: publicPEM(gateway), SellerID: k.AlipaySellerID, Gateway: url + "/gateway.do"}
}

func wechatConfig(url string, k Keys, platform *rsa.PublicKey) wechatpay.Config {
	return wechatpay.Config{MchID: k.WeChatMchID, AppID: k.WeChatAppID, MerchantSerialNo: k.WeChatSerialNo,
		PrivateKey: k.WeChatMerchantKey, PublicKeyID: k.WeChatPublicKeyID, PublicKey: publicPEM(platform),
		APIv3Key: k.WeChatAPIv3Key, BaseURL: url}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/gateway.do", s.serveAlipay)
	mux.HandleFunc("GET /alipay/bill", s.serveAlipayBill)
	mux.HandleFunc("POST /v3/pay/transactions/native", s.wechat(s.wechatPrepay))
	mux.HandleFunc("GET /v3/pay/transactions/out-trade-no/{ref}", s.wechat(s.wechatQuery))
	mux.HandleFunc("POST /v3/refund/domestic/refunds", s.wechat(s.wechatRefund))
	mux.HandleFunc("GET /v3/refund/domestic/refunds/{refundRef}", s.wechat(s.wechatRefundQuery))
	mux.HandleFunc("GET /v3/bill/tradebill", s.wechat(s.wechatTradeBill))
	mux.HandleFunc("GET /v3/billdownload/file", s.wechatBillDownload)
	mux.HandleFunc("GET /cashier/{token}", s.serveCashier)
	mux.HandleFunc("POST /cashier/{token}", s.serveCashierAction)
	mux.HandleFunc("GET /cashier.css", serveCSS)
	mux.HandleFunc("POST /sandbox/behaviour", s.serveBehaviour)
	mux.HandleFunc("POST /sandbox/resend", s.serveResend)
	return http.MaxBytesHandler(mux, 1<<20)
}

// Trade returns a copy of the trade ref at gateway.
func (s *Server) Trade(gateway, ref string) (Trade, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[gateway+" "+ref]
	if t == nil {
		return Trade{}, false
	}
	c := *t
	c.Refunds = append([]Refund(nil), t.Refunds...)
	return c, true
}

// CashierURL is the page where the customer pays trade ref; "" if the
// sandbox has no such trade.
func (s *Server) CashierURL(gateway, ref string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.trades[gateway+" "+ref]; t != nil {
		return s.url + "/cashier/" + t.token
	}
	return ""
}

// Pay pays trade ref as a customer clicking 支付 would (opening the
// cashier first). It fails for an unknown, closed or already paid trade.
func (s *Server) Pay(gateway, ref string) error {
	s.mu.Lock()
	t := s.trades[gateway+" "+ref]
	s.mu.Unlock()
	if t == nil {
		return fmt.Errorf("sandboxgw: no %s trade %s", gateway, ref)
	}
	return s.pay(t.token)
}

// trade looks a trade up under s.mu, closing it first if it expired.
func (s *Server) tradeLocked(gateway, ref string) *Trade {
	t := s.trades[gateway+" "+ref]
	if t != nil && t.State == StatePending && !t.ExpiresAt.IsZero() && s.opts.Now().After(t.ExpiresAt) {
		t.State, t.ClosedAt = StateClosed, s.opts.Now()
	}
	return t
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

func parseKey(p string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		return nil, errors.New("not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func publicPEM(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err) // an RSA public key always marshals
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// digits returns n random decimal digits.
func digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

func hexID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func upperHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%X", b)
}

func alnum(n int) string {
	const set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		b[i] = set[d.Int64()]
	}
	return string(b)
}
