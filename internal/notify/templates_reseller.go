package notify

// Reseller templates (issue 11, clause 2.1, SEED A22). An invitation
// carries the link only (the invited person registers, verifies and
// accepts the agreement themselves); an order placed by a reseller tells
// the customer who placed it, who pays, and that the company remains its
// counterparty.
func init() {
	zhSources[EventResellerInvitation] = Source{
		Subject: "{{.reseller}} 邀请您开通账户",
		Text: "授权代理商“{{.reseller}}”邀请您在本平台开通账户。\n\n请打开以下链接，设置密码、阅读并逐条确认服务协议的重点条款；" +
			"开通后请完成实名认证（服务协议第二条第（一）项）。代理商不能代您接受协议或提交实名信息。\n\n{{.link}}\n\n链接在 {{.expires_at}} 前有效。" +
			"如您不认识该代理商，请忽略本邮件。",
		SMS:       "{{.reseller}}邀请您开通账户，请查收邮件。",
		SMSParams: []string{"reseller"},
	}
	enSources[EventResellerInvitation] = Source{
		Subject: "{{.reseller}} invites you to open an account",
		Text: "The authorised reseller \"{{.reseller}}\" invites you to open an account with us.\n\nOpen the link below to set a password and read " +
			"and acknowledge the key clauses of the service agreement one by one; then complete real-name verification (agreement clause 2.1). " +
			"A reseller cannot accept the agreement or submit verification for you.\n\n{{.link}}\n\nThe link is valid until {{.expires_at}}. " +
			"If you do not know this reseller, ignore this email.",
		SMS:       "{{.reseller}} invites you to open an account; see your email.",
		SMSParams: []string{"reseller"},
	}
	zhSources[EventResellerOrderPlaced] = Source{
		Subject: "代理商 {{.reseller}} 为您下单：{{.product}}",
		Text: "授权代理商“{{.reseller}}”为您的账户下了订单 {{.order_id}}（{{.product}}，{{.amount}}，" +
			"{{if eq .payer \"reseller\"}}由代理商支付{{else}}需由您支付{{end}}）。\n\n本平台是该服务的提供方并对您承担责任；" +
			"退款、工单和投诉可直接在控制台向我们提出。",
		SMS:       "代理商{{.reseller}}为您下单{{.order_id}}，详情见控制台。",
		SMSParams: []string{"reseller", "order_id"},
	}
	enSources[EventResellerOrderPlaced] = Source{
		Subject: "Your reseller {{.reseller}} placed an order: {{.product}}",
		Text: "The authorised reseller \"{{.reseller}}\" placed order {{.order_id}} for your account ({{.product}}, {{.amount}}, " +
			"{{if eq .payer \"reseller\"}}paid by the reseller{{else}}to be paid by you{{end}}).\n\nWe provide the service and remain responsible to you; " +
			"you may ask us directly for refunds, open tickets or complain in the portal.",
		SMS:       "Your reseller {{.reseller}} placed order {{.order_id}} for you; see the portal.",
		SMSParams: []string{"reseller", "order_id"},
	}
}
