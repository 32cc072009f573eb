package notify

// enSources are the English templates (see zhSources).
var enSources = map[Event]Source{
	EventVerificationCode: {
		Subject:   "Your verification code: {{.code}}",
		Text:      "Your verification code is {{.code}}. It is valid for {{.minutes}} minutes.\n\nIf you did not ask for it, ignore this message.",
		SMS:       "Your verification code is {{.code}}, valid for {{.minutes}} minutes.",
		SMSParams: []string{"code", "minutes"},
	},
	EventDeliveryCompleted: {
		Subject:   "Order {{.order_id}} delivered",
		Text:      "Your order {{.order_id}} ({{.product}}) has been delivered.\n\nYou may inspect it until {{.inspection_until}} (Beijing time); report problems in a ticket before then.",
		SMS:       "Order {{.order_id}} delivered; inspection until {{.inspection_until}}.",
		SMSParams: []string{"order_id", "inspection_until"},
	},
	EventMeasureImposed: {
		Subject:   "Notice of measure: {{.measure}} (case {{.case_id}})",
		Text:      "After review, we have taken the following measure on your account: {{.measure}}.\n\nCase: {{.case_id}}\nUse rule: {{.rule}}\nEvidence: {{.evidence}}\nReason: {{.reason}}\n\nYou may appeal within {{.appeal_until}} after the day you first receive this notice by email or SMS (that day not counted; clause 6.2). To appeal: {{.appeal_how}}",
		SMS:       "Measure on your account: {{.measure}} (case {{.case_id}}); appeal within {{.appeal_until}} of receipt.",
		SMSParams: []string{"measure", "case_id", "appeal_until"},
	},
	EventAppealDecided: {
		Subject:   "Appeal {{.appeal_id}}: decision",
		Text:      "Your appeal {{.appeal_id}} has been reviewed. Outcome: {{.outcome}}.\n\nSign in for the details.",
		SMS:       "Appeal {{.appeal_id}} reviewed: {{.outcome}}. Sign in for details.",
		SMSParams: []string{"appeal_id", "outcome"},
	},
	EventRefundDecided: {
		Subject:   "Refund request {{.refund_id}}: decision",
		Text:      "Your refund request {{.refund_id}} has been decided: {{.outcome}}.\n\nAmount: {{.amount}}",
		SMS:       "Refund {{.refund_id}}: {{.outcome}}, amount {{.amount}}.",
		SMSParams: []string{"refund_id", "outcome", "amount"},
	},
	EventMaintenance: {
		Subject:   "Maintenance: {{.services}} from {{.start}} to {{.end}}",
		Text:      "We will maintain {{.services}} from {{.start}} to {{.end}} (Beijing time); the service may be interrupted.\n\nWe apologise for the inconvenience.",
		SMS:       "{{.services}} maintenance {{.start}} to {{.end}}; service may be interrupted.",
		SMSParams: []string{"services", "start", "end"},
	},
	EventAgreementRevised: {
		Subject:   "Revision of the service agreement ({{.version}})",
		Text:      "The service agreement has been revised to version {{.version}}, effective {{.effective_at}} (Beijing time).\n\nSign in to read the changes; if you do not agree, you may stop using the service and ask for your balance before then.",
		SMS:       "Agreement {{.version}} takes effect {{.effective_at}}; sign in to read it.",
		SMSParams: []string{"version", "effective_at"},
	},
	EventMarketingNewsletter: {
		Subject:   "{{.title}}",
		Text:      "{{.summary}}",
		SMS:       "{{.title}}: {{.summary}} Reply STOP to opt out",
		SMSParams: []string{"title", "summary"},
	},
}
