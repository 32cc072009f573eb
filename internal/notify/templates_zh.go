package notify

// zhSources are the zh-CN templates. SMS texts mirror the provider templates
// an operator registers (sign name and template code come from
// configuration); keep them short: one SMS segment is 70 characters.
var zhSources = map[Event]Source{
	EventVerificationCode: {
		Subject:   "您的验证码：{{.code}}",
		Text:      "您的验证码是 {{.code}}，{{.minutes}} 分钟内有效。\n\n如非本人操作，请忽略此消息。",
		SMS:       "您的验证码是{{.code}}，{{.minutes}}分钟内有效。如非本人操作，请忽略。",
		SMSParams: []string{"code", "minutes"},
	},
	EventDeliveryCompleted: {
		Subject:   "订单 {{.order_id}} 已交付",
		Text:      "您的订单 {{.order_id}}（{{.product}}）已交付。\n\n验收期至 {{.inspection_until}}（北京时间）；如有问题，请在验收期内提交工单。",
		SMS:       "您的订单{{.order_id}}已交付，验收期至{{.inspection_until}}。",
		SMSParams: []string{"order_id", "inspection_until"},
	},
	EventMeasureImposed: {
		Subject:   "处置通知：{{.measure}}（案件 {{.case_id}}）",
		Text:      "经审查，我们对您的账户采取了以下措施：{{.measure}}。\n\n案件编号：{{.case_id}}\n违反的使用规则：{{.rule}}\n证据摘要：{{.evidence}}\n原因：{{.reason}}\n\n如有异议，您可在首次通过邮件或短信收到本通知之日起 {{.appeal_until}}内提出申诉（收到当日不计，协议第 6.2 条）。申诉方式：{{.appeal_how}}",
		SMS:       "您的账户已被采取措施：{{.measure}}（案件{{.case_id}}），可在收到后{{.appeal_until}}内申诉。",
		SMSParams: []string{"measure", "case_id", "appeal_until"},
	},
	EventAppealDecided: {
		Subject:   "申诉 {{.appeal_id}} 复核结果",
		Text:      "您的申诉 {{.appeal_id}} 已完成复核，结果：{{.outcome}}。\n\n详情请登录控制台查看。",
		SMS:       "您的申诉{{.appeal_id}}复核结果：{{.outcome}}，详情请登录查看。",
		SMSParams: []string{"appeal_id", "outcome"},
	},
	EventRefundDecided: {
		Subject:   "退款申请 {{.refund_id}} 审核结果",
		Text:      "您的退款申请 {{.refund_id}} 审核结果：{{.outcome}}。\n\n金额：{{.amount}}",
		SMS:       "您的退款申请{{.refund_id}}审核结果：{{.outcome}}，金额{{.amount}}。",
		SMSParams: []string{"refund_id", "outcome", "amount"},
	},
	EventMaintenance: {
		Subject:   "维护通知：{{.services}} {{.start}} 至 {{.end}}",
		Text:      "我们将于 {{.start}} 至 {{.end}}（北京时间）对 {{.services}} 进行维护，期间服务可能中断。\n\n给您带来不便，敬请谅解。",
		SMS:       "{{.services}}将于{{.start}}至{{.end}}维护，期间可能中断。",
		SMSParams: []string{"services", "start", "end"},
	},
	EventAgreementRevised: {
		Subject:   "服务协议修订通知（{{.version}}）",
		Text:      "《服务协议》已修订为 {{.version}} 版，将于 {{.effective_at}}（北京时间）生效。\n\n请登录查看修订内容；如不同意，您可在生效前停止使用并申请处理余额。",
		SMS:       "服务协议{{.version}}版将于{{.effective_at}}生效，请登录查看。",
		SMSParams: []string{"version", "effective_at"},
	},
	EventMarketingNewsletter: {
		Subject:   "{{.title}}",
		Text:      "{{.summary}}",
		SMS:       "{{.title}}：{{.summary}} 回复TD退订",
		SMSParams: []string{"title", "summary"},
	},
}
