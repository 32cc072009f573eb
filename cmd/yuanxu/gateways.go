package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"yuanxu/internal/app"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/alipay"
	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/provider/payment/wechatpay"
)

// gatewayFlags configure the payment gateways (README "Payments"). Each is
// also YUANXU_<FLAG>. In sandbox mode the embedded sandbox gateway plays
// both Alipay and WeChat Pay and real credentials are ignored: a sandbox
// never takes real money.
type gatewayFlags struct {
	PublicURL string `name:"public-url" help:"The public base URL of this service: gateways post notifications to PUBLIC_URL/callbacks/<gateway> and send browsers back to it. Default: http://<addr>."`

	// SandboxGateway and SandboxGatewayKeys share one sandbox gateway
	// between several instances (and across restarts): without them each
	// sandbox instance starts its own, whose trades live in its memory.
	SandboxGateway     string `name:"sandbox-gateway" help:"Sandbox mode: the URL of a sandbox gateway running elsewhere, shared by several instances (with --sandbox-gateway-keys); default: start one in this process." placeholder:"URL"`
	SandboxGatewayKeys string `name:"sandbox-gateway-keys" help:"The JSON key file of the shared sandbox gateway (sandboxgw.Keys)." type:"path"`

	AlipayAppID        string `name:"alipay-app-id" help:"Alipay app_id; enables Alipay."`
	AlipayPrivateKey   string `name:"alipay-private-key-file" help:"The application's RSA private key (PEM)." type:"path"`
	AlipayPublicKey    string `name:"alipay-public-key-file" help:"Alipay's public key for the application (PEM)." type:"path"`
	AlipaySellerID     string `name:"alipay-seller-id" help:"The merchant's Alipay user id (2088…), checked in notifications."`
	WeChatMchID        string `name:"wechatpay-mchid" help:"WeChat Pay merchant id; enables WeChat Pay."`
	WeChatAppID        string `name:"wechatpay-appid" help:"The AppID bound to the merchant."`
	WeChatSerial       string `name:"wechatpay-serial" help:"Serial number of the merchant API certificate."`
	WeChatPrivateKey   string `name:"wechatpay-private-key-file" help:"The merchant API private key (apiclient_key.pem)." type:"path"`
	WeChatPublicKeyID  string `name:"wechatpay-public-key-id" help:"The WeChat Pay public key id (PUB_KEY_ID_…)."`
	WeChatPublicKey    string `name:"wechatpay-public-key-file" help:"The WeChat Pay public key (PEM)." type:"path"`
	WeChatAPIv3KeyFile string `name:"wechatpay-apiv3-key-file" help:"File holding the 32-byte APIv3 key." type:"path"`
}

// callbacks are the gateway notification endpoints mounted by web.
func callbacks(a *app.App) map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, name := range []string{payment.Alipay, payment.WeChatPay} {
		out[name] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.ServeGatewayNotification(w, r, name) })
	}
	return out
}

func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// configure sets the gateways once the listen address is known: the
// sandbox gateway in sandbox mode, otherwise the ones whose flags are set.
// The returned function stops the sandbox gateway.
func (g gatewayFlags) configure(a *app.App, sandbox bool, addr string, log *slog.Logger) (func(), error) {
	base := strings.TrimRight(g.PublicURL, "/")
	if base == "" {
		base = "http://" + addr
	}
	if sandbox && (g.SandboxGateway != "") != (g.SandboxGatewayKeys != "") {
		return nil, usage("--sandbox-gateway and --sandbox-gateway-keys go together")
	}
	if sandbox && g.SandboxGateway != "" {
		b, err := os.ReadFile(g.SandboxGatewayKeys)
		if err != nil {
			return nil, usage("--sandbox-gateway-keys: %v", err)
		}
		var k sandboxgw.Keys
		if err := json.Unmarshal(b, &k); err != nil {
			return nil, usage("--sandbox-gateway-keys: %v", err)
		}
		if err := a.UseSandboxGateway(g.SandboxGateway, k, base, base); err != nil {
			return nil, usage("--sandbox-gateway-keys: %v", err)
		}
		log.Info("sandbox: payments go to the shared sandbox gateway", slog.String("gateway", g.SandboxGateway))
		return func() {}, nil
	}
	if sandbox {
		gw, err := a.StartSandboxGateway(base, base)
		if err != nil {
			return nil, fmt.Errorf("sandbox gateway: %w", err)
		}
		log.Info("sandbox: payments go to the embedded sandbox gateway (Alipay and WeChat Pay with test keys; a cashier page to click 支付)",
			slog.String("gateway", gw.URL()))
		return func() { _ = gw.Close(context.Background()) }, nil
	}
	accs := map[string]app.GatewayAccount{}
	if g.AlipayAppID != "" {
		pk, err := readKey(g.AlipayPrivateKey)
		if err != nil {
			return nil, usage("--alipay-private-key-file: %v", err)
		}
		pub, err := readKey(g.AlipayPublicKey)
		if err != nil {
			return nil, usage("--alipay-public-key-file: %v", err)
		}
		c, err := alipay.New(alipay.Config{AppID: g.AlipayAppID, PrivateKey: pk, AlipayPublicKey: pub, SellerID: g.AlipaySellerID})
		if err != nil {
			return nil, usage("alipay: %v", err)
		}
		accs[payment.Alipay] = app.GatewayAccount{Client: c, AppID: g.AlipayAppID, MerchantID: g.AlipaySellerID}
	}
	if g.WeChatMchID != "" {
		pk, err := readKey(g.WeChatPrivateKey)
		if err != nil {
			return nil, usage("--wechatpay-private-key-file: %v", err)
		}
		pub, err := readKey(g.WeChatPublicKey)
		if err != nil {
			return nil, usage("--wechatpay-public-key-file: %v", err)
		}
		v3, err := readKey(g.WeChatAPIv3KeyFile)
		if err != nil {
			return nil, usage("--wechatpay-apiv3-key-file: %v", err)
		}
		c, err := wechatpay.New(wechatpay.Config{MchID: g.WeChatMchID, AppID: g.WeChatAppID, MerchantSerialNo: g.WeChatSerial, PrivateKey: pk,
			PublicKeyID: g.WeChatPublicKeyID, PublicKey: pub, APIv3Key: v3})
		if err != nil {
			return nil, usage("wechatpay: %v", err)
		}
		accs[payment.WeChatPay] = app.GatewayAccount{Client: c, AppID: g.WeChatAppID, MerchantID: g.WeChatMchID}
	}
	if len(accs) > 0 {
		if g.PublicURL == "" {
			return nil, usage("--public-url is required with a payment gateway: the gateways must reach /callbacks/")
		}
		a.ConfigureGateways(app.GatewayConfig{Accounts: accs, NotifyBase: base, ReturnBase: base})
	}
	return func() {}, nil
}
