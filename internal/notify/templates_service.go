package notify

// Service templates (issue 12). Variables: service is the service's name;
// expires_at and until are CST times as the customer reads them; days is
// 7, 3 or 1; auto_renew "on" or "off"; change one of suspended, resumed,
// grace, terminated; reason a suspension reason code (overdue, quota,
// compliance, refund_pending) or ""; amount a formatted price; automatic
// "yes" or "no"; problem insufficient_balance, reacceptance_required or
// catalog_changed.
func init() {
	zhSources[EventServiceExpiring] = Source{
		Subject: "{{.service}} 将在 {{.days}} 天后到期",
		Text: "您的服务「{{.service}}」将于 {{.expires_at}}（北京时间）到期。" +
			"{{if eq .auto_renew \"on\"}}已开启自动续费：到期前将从账户余额扣款续费，请确保余额充足。{{else}}如需继续使用，请登录控制台续费；到期后服务将暂停，宽限期满后终止。{{end}}",
		SMS:       "您的服务{{.service}}将于{{.expires_at}}到期，请及时续费。",
		SMSParams: []string{"service", "expires_at"},
	}
	enSources[EventServiceExpiring] = Source{
		Subject: "{{.service}} expires in {{.days}} day(s)",
		Text: "Your service \"{{.service}}\" expires at {{.expires_at}} (Beijing time). " +
			"{{if eq .auto_renew \"on\"}}Automatic renewal is on: it will be renewed from your balance before then, so keep enough balance.{{else}}Sign in to renew it if you want to keep it; once expired it is suspended, and terminated after the grace period.{{end}}",
		SMS:       "Your service {{.service}} expires at {{.expires_at}}; please renew.",
		SMSParams: []string{"service", "expires_at"},
	}
	zhSources[EventServiceStateChange] = Source{
		Subject: "{{.service}}：{{if eq .change \"suspended\"}}服务已暂停{{else if eq .change \"resumed\"}}服务已恢复{{else if eq .change \"grace\"}}服务已到期{{else}}服务已终止{{end}}",
		Text: "您的服务「{{.service}}」" +
			"{{if eq .change \"suspended\"}}已暂停{{if .reason}}（原因：{{.reason}}）{{end}}。" +
			"{{else if eq .change \"resumed\"}}已恢复运行。" +
			"{{else if eq .change \"grace\"}}已到期并暂停，数据将保留至 {{.until}}（北京时间）；在此之前续费即可恢复。" +
			"{{else}}已终止，数据将保留至 {{.until}}（北京时间）后销毁。{{end}}",
		SMS:       "您的服务{{.service}}状态已变更，请登录查看。",
		SMSParams: []string{"service"},
	}
	enSources[EventServiceStateChange] = Source{
		Subject: "{{.service}}: {{if eq .change \"suspended\"}}suspended{{else if eq .change \"resumed\"}}running again{{else if eq .change \"grace\"}}expired{{else}}terminated{{end}}",
		Text: "Your service \"{{.service}}\" " +
			"{{if eq .change \"suspended\"}}has been suspended{{if .reason}} (reason: {{.reason}}){{end}}." +
			"{{else if eq .change \"resumed\"}}is running again." +
			"{{else if eq .change \"grace\"}}has expired and is suspended; its data is kept until {{.until}} (Beijing time) and renewing before then restores it." +
			"{{else}}has been terminated; its data is kept until {{.until}} (Beijing time) and then destroyed.{{end}}",
		SMS:       "The state of your service {{.service}} changed; please sign in.",
		SMSParams: []string{"service"},
	}
	zhSources[EventServiceRenewed] = Source{
		Subject: "{{.service}} 已续费",
		Text:    "您的服务「{{.service}}」已{{if eq .automatic \"yes\"}}自动{{end}}续费 {{.amount}}，新的到期时间为 {{.expires_at}}（北京时间）。续费不属于新购，不适用无理由退款（服务协议第三条第（一）项）。",
		SMS:     "您的服务{{.service}}已续费，到期时间{{.expires_at}}。", SMSParams: []string{"service", "expires_at"},
	}
	enSources[EventServiceRenewed] = Source{
		Subject: "{{.service}} renewed",
		Text:    "Your service \"{{.service}}\" was {{if eq .automatic \"yes\"}}automatically {{end}}renewed for {{.amount}}; it now expires at {{.expires_at}} (Beijing time). A renewal is not a new purchase: the no-fault refund does not apply (agreement clause 3.1).",
		SMS:     "Your service {{.service}} was renewed until {{.expires_at}}.", SMSParams: []string{"service", "expires_at"},
	}
	zhSources[EventAutoRenewProblem] = Source{
		Subject: "{{.service}} 自动续费未能完成",
		Text: "您的服务「{{.service}}」将于 {{.expires_at}}（北京时间）到期，自动续费未能完成：" +
			"{{if eq .problem \"insufficient_balance\"}}账户余额不足，请充值或手动续费。" +
			"{{else if eq .problem \"reacceptance_required\"}}服务协议有重大修订，需要您重新阅读并接受后才能继续自动续费（服务协议第九条第4项）。" +
			"{{else}}该产品或套餐已下架或调整，请手动续费或选择其他套餐。{{end}}",
		SMS:       "您的服务{{.service}}自动续费未完成，请登录处理。",
		SMSParams: []string{"service"},
	}
	enSources[EventAutoRenewProblem] = Source{
		Subject: "{{.service}}: automatic renewal did not go through",
		Text: "Your service \"{{.service}}\" expires at {{.expires_at}} (Beijing time) and could not be renewed automatically: " +
			"{{if eq .problem \"insufficient_balance\"}}your balance is too low; top up or renew by hand." +
			"{{else if eq .problem \"reacceptance_required\"}}the agreement has a material revision that you must read and accept before automatic renewal continues (clause 9.4)." +
			"{{else}}the product or plan has been withdrawn or changed; renew by hand or choose another plan.{{end}}",
		SMS:       "Automatic renewal of your service {{.service}} did not go through; please sign in.",
		SMSParams: []string{"service"},
	}
	zhSources[EventQuotaLevel] = Source{
		Subject: "{{.service}} 流量已用 {{.percent}}%",
		Text: "您的服务「{{.service}}」本计费周期已用流量 {{.used}}，共 {{.total}}（{{.percent}}%）。" +
			"{{if eq .percent \"100\"}}流量已用尽，服务已暂停；购买流量包或在下一计费周期开始后自动恢复。{{else}}用尽后服务将暂停，可购买流量包。{{end}}",
		SMS: "您的服务{{.service}}流量已用{{.percent}}%。", SMSParams: []string{"service", "percent"},
	}
	enSources[EventQuotaLevel] = Source{
		Subject: "{{.service}}: {{.percent}}% of its traffic used",
		Text: "Your service \"{{.service}}\" has used {{.used}} of {{.total}} ({{.percent}}%) this billing cycle. " +
			"{{if eq .percent \"100\"}}Its traffic is exhausted and it is suspended; it resumes when you buy a traffic pack or the next cycle starts.{{else}}It is suspended when the traffic runs out; a traffic pack adds more.{{end}}",
		SMS: "Your service {{.service}} has used {{.percent}}% of its traffic.", SMSParams: []string{"service", "percent"},
	}
}
