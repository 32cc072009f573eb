package i18n

// Delivery (issue 13): the messages of the error codes the delivery API
// returns — fulfilment checks, the inspection window, certificate states,
// credentials after re-authentication, nodes — and their rules.
func init() {
	register(map[string]Message{
		"error.delivery.invalid":             {ZH: "交付信息不完整或有误，请查看 errors 中列出的字段；未记录任何内容。", EN: "The delivery is incomplete or wrong; see the fields listed in errors. Nothing was recorded."},
		"error.delivery.changed":             {ZH: "该服务的交付记录刚刚发生变化，请刷新后重试。", EN: "This service's delivery record changed just now; refresh and try again."},
		"error.delivery.not_pending":         {ZH: "该服务不在待交付状态（当前：{status}）。", EN: "This service is not waiting for delivery (status: {status})."},
		"error.delivery.inspection_closed":   {ZH: "验收期已结束（服务协议第二条第（三）项）；如发现缺陷，仍可提交普通工单。", EN: "The inspection window has closed (agreement clause 2.3); a defect can still be reported in an ordinary ticket."},
		"error.delivery.not_found":           {ZH: "该服务没有交付记录（续费或流量包无需交付）。", EN: "This service has no delivery record (renewals and traffic packs need none)."},
		"error.delivery.cert_not_issued":     {ZH: "请先将证书状态记录为已签发，再交付（服务协议第三条第（二）项第 2 目）。", EN: "Record the certificate as issued before delivering it (agreement clause 3.2.2)."},
		"error.delivery.not_certificate":     {ZH: "只有证书产品才有 CA 状态。", EN: "Only certificates have CA states."},
		"error.delivery.no_credentials":      {ZH: "该服务没有登录凭据。", EN: "This service has no credentials."},
		"error.delivery.cert_bad_transition": {ZH: "证书状态不能从 {from} 变为 {to}。", EN: "A certificate cannot go from {from} to {to}."},
		"error.delivery.pool_exhausted":      {ZH: "沙箱地址池已用尽。", EN: "The sandbox address pool is exhausted."},
		"error.node.invalid":                 {ZH: "节点信息有误，请查看 errors 中列出的字段。", EN: "The node is not valid; see the fields listed in errors."},
		"error.node.exists":                  {ZH: "已有节点使用该标识。", EN: "A node already has this id."},
		"error.node.revoked":                 {ZH: "该节点的令牌已被吊销。", EN: "This node's token is revoked already."},
		"error.node.not_found":               {ZH: "没有该节点。", EN: "No such node."},
		"rule.ip":                            {ZH: "必须是 IP 地址。", EN: "Must be an IP address."},
		"rule.reserved":                      {ZH: "该值为平台保留。", EN: "This value is reserved by the platform."},
		"rule.cert_not_issued":               {ZH: "证书尚未签发。", EN: "The certificate is not issued yet."},
		"rule.not_certificate":               {ZH: "不是证书产品。", EN: "Not a certificate."},
	})
}
