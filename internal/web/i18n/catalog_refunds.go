package i18n

// Refunds (issue 15): the messages of the error codes that refund
// requests, withdrawals and decisions return through the API, the rules
// of the eligibility engine named in a refusal (rule "refund.<id>", with
// the rule's clause and its sentence in the caller's language) and the
// rules' names, which the API's detail and the pages list.
func init() {
	register(map[string]Message{
		"error.refund.swap_price_above":         {ZH: "更换的机器价格不能高于已付金额（{paid_fen} 分）（第 3.1 条）。", EN: "A swap is to a machine priced at no more than what was paid ({paid_fen} fen; clause 3.1)."},
		"rule.price_above_paid":                 {ZH: "价格高于已付金额。", EN: "The price is above what was paid."},
		"error.refund.ineligible":               {ZH: "该订单不符合退款条件，未通过：{failed}。未作任何处理；errors 中逐条列出了原因。", EN: "This order is not eligible for a refund; failed: {failed}. Nothing was changed; errors gives each rule's reason."},
		"error.refund.duplicate":                {ZH: "该订单已有一个处理中的退款申请，每个订单同时只能有一个。", EN: "A refund request of this order is already open; an order has one at a time."},
		"error.refund.destination_not_offered":  {ZH: "请在协议提供的退款去向中选择：{values}（服务协议第 3.1 条）。", EN: "Choose a destination the agreement offers: {values} (agreement clause 3.1)."},
		"error.refund.suspension_not_confirmed": {ZH: "请确认：审核期间该订单的服务将暂停。", EN: "Confirm that the order's services are suspended while the request is reviewed."},
		"error.refund.bad_state":                {ZH: "该退款申请当前状态不允许此操作。", EN: "The refund request's state does not allow this."},
		"error.refund.reason_code_required":     {ZH: "驳回退款申请须选择原因代码。", EN: "A rejection needs a reason code."},
		"error.refund.invalid":                  {ZH: "退款申请不符合规则，请查看 errors 中列出的字段。", EN: "The refund request breaks a rule; see the fields listed in errors."},
		"error.refund.not_found":                {ZH: "未找到该退款申请。", EN: "No such refund request."},

		// A failed eligibility rule, with the engine's sentence in the
		// caller's language.
		"rule.refund.state":           {ZH: "第 {clause} 条：{sentence}", EN: "Clause {clause}: {sentence}"},
		"rule.refund.delivery_breach": {ZH: "第 {clause} 条：{sentence}", EN: "Clause {clause}: {sentence}"},
		"rule.refund.purpose":         {ZH: "第 {clause} 条：{sentence}", EN: "Clause {clause}: {sentence}"},
		"rule.refund.window":          {ZH: "第 {clause} 条：{sentence}", EN: "Clause {clause}: {sentence}"},
		"rule.refund.usage":           {ZH: "第 {clause} 条：{sentence}", EN: "Clause {clause}: {sentence}"},
		"rule.refund.standing":        {ZH: "第 {clause} 条：{sentence}", EN: "Clause {clause}: {sentence}"},
		"rule.refund.class":           {ZH: "第 {clause} 条：{sentence}", EN: "Clause {clause}: {sentence}"},

		// The rules' names.
		"refund.rule.state":                {ZH: "订单状态", EN: "the order's state"},
		"refund.rule.delivery_breach":      {ZH: "交付逾期", EN: "late delivery"},
		"refund.rule.purpose":              {ZH: "仅限新购", EN: "new purchases only"},
		"refund.rule.window":               {ZH: "退款时限", EN: "the refund window"},
		"refund.rule.usage":                {ZH: "已用流量", EN: "the traffic used"},
		"refund.rule.standing":             {ZH: "账户状态", EN: "the account's standing"},
		"refund.rule.class":                {ZH: "产品退款类别", EN: "the product's refund class"},
		"refund.rule.assignment_objection": {ZH: "反对协议转让", EN: "the objection to an assignment"},
		"refund.rule_with_clause":          {ZH: "{rule}（第 {clause} 条）", EN: "{rule} (clause {clause})"},
	})
}
