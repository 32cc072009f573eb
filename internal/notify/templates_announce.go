package notify

// Maintenance updates, clause-7 decisions and assignment notices (issue 17,
// clauses 6.2, 7 and 9.3). The first notice of a window is
// EventMaintenance; later changes (a reminder before the start, the start,
// an extension, the completion, a cancellation) are EventMaintenanceUpdate
// with the change named.
func init() {
	zhSources[EventMaintenanceUpdate] = Source{
		Subject: "维护{{if eq .change \"reminder\"}}提醒{{else if eq .change \"started\"}}开始{{else if eq .change \"extended\"}}延长{{else if eq .change \"completed\"}}完成{{else}}取消{{end}}：{{.services}}",
		Text: "{{if eq .change \"reminder\"}}提醒：我们将于 {{.start}} 至 {{.end}}（北京时间）对 {{.services}} 进行维护。" +
			"{{else if eq .change \"started\"}}{{.services}} 的维护已开始，预计 {{.end}}（北京时间）结束。" +
			"{{else if eq .change \"extended\"}}{{.services}} 的维护将延长至 {{.end}}（北京时间）。" +
			"{{else if eq .change \"completed\"}}{{.services}} 的维护已于 {{.end}}（北京时间）完成。" +
			"{{else}}原定于 {{.start}} 的 {{.services}} 维护已取消。{{end}}\n\n给您带来不便，敬请谅解。",
		SMS:       "{{.services}}维护（{{.change}}）：{{.start}}至{{.end}}。",
		SMSParams: []string{"services", "change", "start", "end"},
	}
	enSources[EventMaintenanceUpdate] = Source{
		Subject: "Maintenance {{.change}}: {{.services}}",
		Text: "{{if eq .change \"reminder\"}}Reminder: we will maintain {{.services}} from {{.start}} to {{.end}} (Beijing time)." +
			"{{else if eq .change \"started\"}}Maintenance of {{.services}} has started and should end at {{.end}} (Beijing time)." +
			"{{else if eq .change \"extended\"}}Maintenance of {{.services}} is extended until {{.end}} (Beijing time)." +
			"{{else if eq .change \"completed\"}}Maintenance of {{.services}} was completed at {{.end}} (Beijing time)." +
			"{{else}}The maintenance of {{.services}} planned for {{.start}} is cancelled.{{end}}\n\nWe apologise for the inconvenience.",
		SMS:       "{{.services}} maintenance {{.change}}: {{.start}} to {{.end}}.",
		SMSParams: []string{"services", "change", "start", "end"},
	}
	zhSources[EventOutageDecided] = Source{
		Subject: "服务中断处理结果：{{.service}}",
		Text: "关于“{{.incident}}”造成的 {{.service}} 服务中断：" +
			"{{if eq .outcome \"extended\"}}依据服务协议第 {{.clause}} 条，我们已将该服务的到期时间顺延 {{.extension}}。" +
			"{{else}}依据服务协议第 {{.clause}} 条，本次中断属于免责情形，服务期限不作顺延。{{end}}\n\n详情可在控制台的服务记录中查看。",
		SMS:       "{{.service}}中断处理结果：{{.outcome}}（第{{.clause}}条）。",
		SMSParams: []string{"service", "outcome", "clause"},
	}
	enSources[EventOutageDecided] = Source{
		Subject: "Outage outcome: {{.service}}",
		Text: "About the interruption of {{.service}} caused by \"{{.incident}}\": " +
			"{{if eq .outcome \"extended\"}}under clause {{.clause}} of the service agreement, we have extended the service's term by {{.extension}}." +
			"{{else}}under clause {{.clause}} of the service agreement this interruption is exempt; the term is not extended.{{end}}\n\n" +
			"The service's history in the portal shows the details.",
		SMS:       "{{.service}} outage outcome: {{.outcome}} (clause {{.clause}}).",
		SMSParams: []string{"service", "outcome", "clause"},
	}
	zhSources[EventAssignment] = Source{
		Subject: "服务协议权利义务转让通知",
		Text: "我们将把服务协议项下的权利义务转让给 {{.assignee}}，自 {{.effective_at}}（北京时间）起生效（服务协议第九条第 3 款）。\n\n" +
			"如您不同意，可在 {{.object_until}} 前登录控制台提出异议并终止服务，未使用期限的费用将按比例原路退回。",
		SMS:       "服务协议将于{{.effective_at}}转让给{{.assignee}}，如有异议请于{{.object_until}}前登录处理。",
		SMSParams: []string{"effective_at", "assignee", "object_until"},
	}
	enSources[EventAssignment] = Source{
		Subject: "Assignment of the service agreement",
		Text: "We will assign our rights and obligations under the service agreement to {{.assignee}}, effective {{.effective_at}} (Beijing time; " +
			"agreement clause 9.3).\n\nIf you do not agree, sign in before {{.object_until}} to object and end your services; the unused part of " +
			"each term is refunded pro rata to the route you paid by.",
		SMS:       "The agreement is assigned to {{.assignee}} from {{.effective_at}}; object before {{.object_until}} by signing in.",
		SMSParams: []string{"assignee", "effective_at", "object_until"},
	}
}
