package i18n

// Traffic metering (issue 14): the messages of the error codes the usage
// API returns — a node's token, a batch that cannot be read, a node id —
// and the rules of a refused sample.
func init() {
	register(map[string]Message{
		"error.usage.node_unauthorized": {ZH: "节点令牌无效或缺失：请在 Authorization: Bearer 中发送管理员为该节点签发的令牌。", EN: "The node token is missing or unknown: send the token an administrator issued for this node as Authorization: Bearer."},
		"error.usage.batch_invalid":     {ZH: "无法读取这批用量数据：应为 {\"samples\": [...]}，包含 1 至 1000 条样本，且不含未定义的字段。整批均未处理。", EN: "The usage batch cannot be read: it must be {\"samples\": [...]} with 1 to 1000 samples and no unknown fields. Nothing in it was stored."},
		"error.usage.sample_invalid":    {ZH: "用量样本无效，请查看 errors 中列出的字段。", EN: "The usage sample is not valid; see the fields listed in errors."},
		"error.usage.node_invalid":      {ZH: "节点标识只能包含字母、数字、- 和 _。", EN: "A node id has only letters, digits, - and _."},
		"rule.absurd":                   {ZH: "数值超出计量设备可能产生的范围（最多 {max}）。", EN: "More than a meter could have counted (at most {max})."},
		"rule.future":                   {ZH: "时段结束时间晚于当前时间。", EN: "The interval ends in the future."},
	})
}
