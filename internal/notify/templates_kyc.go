package notify

// Real-name verification templates (clause 2.1). Variables: outcome is the
// decision ("approved", "rejected" or "info_requested"); reason is the
// catalog reason's text in the recipient's language ("" on approval); note
// is the reviewer's free text ("" when none). They never carry the personal
// information submitted (names, ID numbers, USCC, phones): the customer
// reads the masked submission in the portal.
func init() {
	zhSources[EventKYCDecided] = Source{
		Subject: "{{if eq .outcome \"approved\"}}实名认证已通过{{else if eq .outcome \"rejected\"}}实名认证未通过{{else}}实名认证需补充材料{{end}}",
		Text: "{{if eq .outcome \"approved\"}}您的实名认证已审核通过，现在可以购买需开通的产品（服务协议第二条第（一）项）。" +
			"{{else if eq .outcome \"rejected\"}}很抱歉，您的实名认证未通过审核。" +
			"{{else}}审核人员需要您补充材料后才能完成实名认证。{{end}}" +
			"{{if .reason}}\n\n原因：{{.reason}}{{end}}{{if .note}}\n说明：{{.note}}{{end}}" +
			"\n\n请登录控制台，在“实名认证”页面查看详情{{if ne .outcome \"approved\"}}并重新提交{{end}}。",
		SMS:       "{{if eq .outcome \"approved\"}}您的实名认证已通过。{{else}}您的实名认证需处理，请登录查看。{{end}}",
		SMSParams: []string{"outcome"},
	}
	enSources[EventKYCDecided] = Source{
		Subject: "{{if eq .outcome \"approved\"}}Real-name verification approved{{else if eq .outcome \"rejected\"}}Real-name verification not approved{{else}}Real-name verification: more information needed{{end}}",
		Text: "{{if eq .outcome \"approved\"}}Your real-name verification has been approved; you may now buy products that are provisioned (agreement clause 2.1)." +
			"{{else if eq .outcome \"rejected\"}}We are sorry: your real-name verification was not approved." +
			"{{else}}Our reviewer needs more information from you to complete your real-name verification.{{end}}" +
			"{{if .reason}}\n\nReason: {{.reason}}{{end}}{{if .note}}\nNote: {{.note}}{{end}}" +
			"\n\nSign in and open the real-name verification page for details{{if ne .outcome \"approved\"}} and to submit again{{end}}.",
		SMS:       "{{if eq .outcome \"approved\"}}Your real-name verification was approved.{{else}}Your real-name verification needs attention; sign in.{{end}}",
		SMSParams: []string{"outcome"},
	}
}
