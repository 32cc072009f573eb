package notify

// Delivery templates (issue 13). Variables: order_id is the order's id;
// deliver_by the missed deadline as the customer reads it (CST).
func init() {
	zhSources[EventDeliveryBreached] = Source{
		Subject: "订单 {{.order_id}} 未能按约定时间交付",
		Text: "很抱歉，您的订单 {{.order_id}} 未能在约定时间（{{.deliver_by}} 北京时间）前交付。" +
			"根据服务协议第二条第（二）项，无论产品类别，您都可以取消订单并全额退款至原支付账户；请登录控制台在订单页面申请。",
		SMS:       "您的订单{{.order_id}}未按约定时间交付，可申请全额退款。",
		SMSParams: []string{"order_id"},
	}
	enSources[EventDeliveryBreached] = Source{
		Subject: "Order {{.order_id}} was not delivered on time",
		Text: "We are sorry: your order {{.order_id}} was not delivered by the agreed time ({{.deliver_by}} Beijing time). " +
			"Under agreement clause 2.2 you may cancel it for a full refund to the original payment account, whatever the product; " +
			"sign in and request it from the order page.",
		SMS:       "Order {{.order_id}} was not delivered on time; you may request a full refund.",
		SMSParams: []string{"order_id"},
	}
	zhSources[EventCertificateIssued] = Source{
		Subject: "您的证书已签发：{{.domains}}",
		Text: "您申请的 DV 证书（{{.domains}}）已由证书颁发机构签发，有效期至 {{.not_after}}（北京时间）。\n\n" +
			"证书及证书链如下（PEM 格式）。私钥不会通过邮件发送：若由我们生成私钥，请登录控制台在服务页面重新验证身份后查看。\n\n{{.certificate}}",
		SMS:       "您的证书{{.domains}}已签发，证书已发送至您的邮箱，也可在控制台下载。",
		SMSParams: []string{"domains"},
	}
	enSources[EventCertificateIssued] = Source{
		Subject: "Your certificate was issued: {{.domains}}",
		Text: "The DV certificate you requested ({{.domains}}) was issued by the certificate authority, valid until {{.not_after}} (Beijing time).\n\n" +
			"The certificate and its chain follow (PEM). A private key is never emailed: if we generated yours, sign in and re-authenticate on the service page to read it.\n\n{{.certificate}}",
		SMS:       "Your certificate {{.domains}} was issued; it was emailed to you and can be downloaded from the console.",
		SMSParams: []string{"domains"},
	}
	zhSources[EventCertificateRenewed] = Source{
		Subject: "您的证书已续期：{{.domains}}",
		Text: "{{.domains}} 的证书已在到期前自动续期，新证书有效期至 {{.not_after}}（北京时间）。" +
			"CDN 站点的新证书已自动部署到边缘节点，您无需操作；DV 证书请在控制台服务页面下载新证书。",
		SMS:       "您的证书{{.domains}}已续期。",
		SMSParams: []string{"domains"},
	}
	enSources[EventCertificateRenewed] = Source{
		Subject: "Your certificate was renewed: {{.domains}}",
		Text: "The certificate for {{.domains}} was renewed before it ended; the new one is valid until {{.not_after}} (Beijing time). " +
			"A CDN site's new certificate is deployed to its edge for you; download a DV certificate's new one from the service page.",
		SMS:       "Your certificate {{.domains}} was renewed.",
		SMSParams: []string{"domains"},
	}
	zhSources[EventCertificateRenewalDue] = Source{
		Subject: "您的证书即将到期，请申请续期：{{.domains}}",
		Text: "{{.domains}} 的 DV 证书将于 {{.not_after}}（北京时间）到期。该证书通过您自行添加的 DNS TXT 记录验证域名，无法自动续期。" +
			"请登录控制台，在该服务页面点击“续期”提交申请，再按提示添加新的 TXT 记录；新证书签发后我们会通过邮件发送给您。",
		SMS:       "您的证书{{.domains}}将于{{.not_after}}到期，请登录控制台在服务页面申请续期。",
		SMSParams: []string{"domains", "not_after"},
	}
	enSources[EventCertificateRenewalDue] = Source{
		Subject: "Your certificate ends soon; please renew it: {{.domains}}",
		Text: "The DV certificate for {{.domains}} ends on {{.not_after}} (Beijing time). It was proved by a DNS TXT record you add, so it cannot be " +
			"renewed automatically. Sign in, choose \"Renew\" on the service page, then publish the new TXT record shown there; we email the new " +
			"certificate once it is issued.",
		SMS:       "Your certificate {{.domains}} ends on {{.not_after}}; renew it from the service page in the console.",
		SMSParams: []string{"domains", "not_after"},
	}
}
