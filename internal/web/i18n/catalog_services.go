package i18n

// Services (issue 12): the messages of the error codes that services,
// renewals, plan changes, automatic renewal and the staff actions return
// through the API, and the rules their fields name.
func init() {
	register(map[string]Message{
		"error.service.not_found":           {ZH: "未找到该服务。", EN: "No such service."},
		"error.service.invalid":             {ZH: "请求不符合规则，请查看 errors 中列出的字段。", EN: "The request breaks a rule; see the fields listed in errors."},
		"error.service.terminated":          {ZH: "该服务已终止，不能再变更；如需继续使用，请重新购买。", EN: "The service is terminated and can no longer change; buy a new one to carry on."},
		"error.service.bad_transition":      {ZH: "该服务当前状态不允许此操作。", EN: "The service's state does not allow this."},
		"error.service.prorate_invalid":     {ZH: "无法按剩余天数折算差价：该服务没有正在进行的计费周期。", EN: "The difference cannot be prorated: the service has no running billing cycle."},
		"error.service.not_renewable":       {ZH: "该服务不能续费：已终止、尚未开通，或为一次性产品（证书、流量包请重新购买）。", EN: "This service cannot be renewed: it is terminated, not yet active, or a one-off product (buy a new certificate or traffic pack)."},
		"error.service.plan_change_invalid": {ZH: "不能变更到该套餐，请查看 errors 中列出的原因。", EN: "The plan cannot change to that one; see the reasons listed in errors."},
		"error.service.reason_system_only":  {ZH: "欠费、流量超额和退款审核中的暂停由平台自动设置和解除，员工只能以合规原因暂停或恢复。", EN: "Overdue, quota and refund-pending suspensions are set and lifted by the platform; staff suspend and resume for compliance only."},

		"rule.same_plan":     {ZH: "已经是当前套餐。", EN: "That is the current plan."},
		"rule.other_product": {ZH: "只能变更为同一产品的其他套餐。", EN: "Choose another plan of the same product."},
		"rule.system_only":   {ZH: "该原因由平台自动设置和解除。", EN: "The platform sets and lifts this reason itself."},
	})
}
