package notify

// The end of an account after a final decision upholding a ban (clause
// 6.2; DESIGN.md §3 "when an account ends"). Variables: why is "upheld"
// (the appeal was upheld) or "window_lapsed" (no appeal within the
// window); payback is "paid_back" (the balance goes back to its original
// routes) or "held" (an authority order holds it: it is paid once the
// order is lifted).
func init() {
	zhSources[EventAccountEnded] = Source{
		Subject: "账户已终止（处置 {{.measure_id}}）",
		Text: "{{if eq .why \"upheld\"}}您对封禁处置 {{.measure_id}} 的申诉经复核维持原处置{{else}}封禁处置 {{.measure_id}} 的申诉期限已届满且未收到申诉{{end}}，" +
			"依据服务协议第六条第（二）项，您的账户已终止。\n\n" +
			"{{if eq .payback \"held\"}}因有权机关的法律文书冻结本账户，余额暂不退还；文书解除后将按原路退还，不会被没收。" +
			"{{else}}账户余额（含冻结部分）将按原支付路径退还，不会被没收。{{end}}",
		SMS:       "您的账户因封禁处置{{.measure_id}}已终止，余额{{if eq .payback \"held\"}}因有权机关冻结暂不退还{{else}}将原路退还{{end}}。",
		SMSParams: []string{"measure_id", "payback"},
	}
	enSources[EventAccountEnded] = Source{
		Subject: "Your account has ended (measure {{.measure_id}})",
		Text: "{{if eq .why \"upheld\"}}The review upheld the ban {{.measure_id}} you appealed{{else}}The appeal window of the ban {{.measure_id}} closed " +
			"with no appeal{{end}}; under clause 6.2 of the service agreement your account has ended.\n\n" +
			"{{if eq .payback \"held\"}}An authority's order holds this account: its balance is not paid back while the order stands, and is paid " +
			"back to its original routes once it is lifted. Nothing is forfeited." +
			"{{else}}Its balance, the frozen part included, is paid back to the routes it came from. Nothing is forfeited.{{end}}",
		SMS:       "Your account ended after ban {{.measure_id}}; balance {{if eq .payback \"held\"}}held by an authority order{{else}}paid back to its routes{{end}}.",
		SMSParams: []string{"measure_id", "payback"},
	}
}
