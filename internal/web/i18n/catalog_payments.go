package i18n

// Payments (issue 10): the messages of the error codes the gateway
// payments, top-ups, finance flags, reconciliation and withdrawals paid
// back to their route return through the API, and the rules their fields
// name.
func init() {
	register(map[string]Message{
		"error.payment.gateway_unavailable": {ZH: "该支付网关未开通，请选择其他付款方式。", EN: "This payment gateway is not available; choose another way to pay."},
		"error.payment.gateway_failed":      {ZH: "支付网关暂时没有响应，请稍后重试。", EN: "The payment gateway did not answer; try again shortly."},
		"error.payment.kind_unsupported":    {ZH: "该支付网关不支持这种付款方式：微信支付仅支持扫码支付。", EN: "This gateway does not offer that way of paying: WeChat Pay is by QR code only."},
		"error.payment.flag_note_required":  {ZH: "请填写处理说明（不超过 500 字）。", EN: "Say how it was resolved (at most 500 characters)."},
		"error.payment.recon_day_invalid":   {ZH: "对账日期无效：请填写今天或更早的日期（YYYY-MM-DD，北京时间）。", EN: "Not a day to reconcile: give today or an earlier day (YYYY-MM-DD, China time)."},
		"error.payment_attempt.not_found":   {ZH: "未找到该支付记录。", EN: "No such payment attempt."},
		"error.payment_flag.not_found":      {ZH: "未找到该待处理标记，或已有人处理。", EN: "No such open flag, or someone resolved it already."},
		"error.withdrawal.no_gateway_route": {ZH: "该客户的第三方充值不足以原路退回这笔提现，请改用银行转账支付。", EN: "The customer's gateway top-ups do not cover this withdrawal: pay it by bank transfer instead."},

		"rule.unsupported": {ZH: "该支付网关不支持此项。", EN: "Not offered by this gateway."},
		"rule.not_future":  {ZH: "不能晚于今天（{today}）。", EN: "Must not be after today ({today})."},
	})
}
