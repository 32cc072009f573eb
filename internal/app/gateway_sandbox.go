package app

import (
	"context"

	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/alipay"
	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/provider/payment/wechatpay"
)

// GatewayAccountsFor builds the production clients of both gateways
// against a sandbox gateway (sandbox mode, --demo and tests): the same
// signing and verification code as production, only the base URLs differ.
func GatewayAccountsFor(gw *sandboxgw.Server) (map[string]GatewayAccount, error) {
	return gatewayAccounts(gw.AlipayConfig(), gw.WeChatConfig())
}

func gatewayAccounts(ac alipay.Config, wc wechatpay.Config) (map[string]GatewayAccount, error) {
	ali, err := alipay.New(ac)
	if err != nil {
		return nil, err
	}
	wx, err := wechatpay.New(wc)
	if err != nil {
		return nil, err
	}
	return map[string]GatewayAccount{
		payment.Alipay:    {Client: ali, AppID: ac.AppID, MerchantID: ac.SellerID},
		payment.WeChatPay: {Client: wx, AppID: wc.AppID, MerchantID: wc.MchID},
	}, nil
}

// UseSandboxGateway configures both gateways against a sandbox gateway
// running outside this process at baseURL with keys k, so that several
// instances (and their restarts) share one gateway and its trades, as
// they share Alipay and WeChat Pay in production. Notifications go to
// notifyBase (the load balancer's URL).
func (a *App) UseSandboxGateway(baseURL string, k sandboxgw.Keys, notifyBase, returnBase string) error {
	ac, wc, err := sandboxgw.ClientConfigs(baseURL, k)
	if err != nil {
		return err
	}
	accs, err := gatewayAccounts(ac, wc)
	if err != nil {
		return err
	}
	a.ConfigureGateways(GatewayConfig{Accounts: accs, NotifyBase: notifyBase, ReturnBase: returnBase})
	return nil
}

// StartSandboxGateway starts the sandbox gateway on a loopback port with
// the app's clock for its records, and configures both gateways against
// it; notifications go to notifyBase (the server's own URL). The caller
// closes the returned server.
func (a *App) StartSandboxGateway(notifyBase, returnBase string) (*sandboxgw.Server, error) {
	gw, err := sandboxgw.Start(sandboxgw.Options{Now: a.Now, Logf: func(format string, args ...any) {
		a.log.Debug("sandbox gateway: " + format)
	}})
	if err != nil {
		return nil, err
	}
	accs, err := GatewayAccountsFor(gw)
	if err != nil {
		_ = gw.Close(context.Background())
		return nil, err
	}
	a.ConfigureGateways(GatewayConfig{Accounts: accs, NotifyBase: notifyBase, ReturnBase: returnBase})
	return gw, nil
}
