package i18n

// Announcements, maintenance windows, incidents and the status page (issue
// 17; clauses 6.2, 7 and 9.3): error codes, the rules their fields name,
// and the page texts.
func init() {
	register(map[string]Message{
		"error.announce.invalid":             {ZH: "信息不完整或不一致，请查看 errors 中列出的字段。", EN: "The input is incomplete or inconsistent; see the fields listed in errors."},
		"error.announce.window_invalid":      {ZH: "维护窗口不符合要求（服务协议第六条第（二）项）：请查看 errors 中列出的字段。", EN: "The maintenance window is not acceptable (agreement clause 6.2); see the fields listed in errors."},
		"error.announce.bad_transition":      {ZH: "当前状态（{state}）不允许此操作。", EN: "The current state ({state}) does not allow this."},
		"error.announce.changed":             {ZH: "已被他人修改，请刷新后重试。", EN: "It changed meanwhile; reload and retry."},
		"error.announce.objection_closed":    {ZH: "转让已生效，不能再提出异议（服务协议第九条第 3 款）。", EN: "The assignment has taken effect; objections are closed (agreement clause 9.3)."},
		"error.announce.already_objected":    {ZH: "您已提出过异议。", EN: "You objected already."},
		"error.assignment.not_found":         {ZH: "未找到该转让通知。", EN: "No such assignment."},
		"rule.notice_days_too_short":         {ZH: "须至少提前 {days} 天通知。", EN: "Needs at least {days} days' notice."},
		"error.announcement.not_found":       {ZH: "未找到该公告。", EN: "No such announcement."},
		"error.maintenance_window.not_found": {ZH: "未找到该维护窗口。", EN: "No such maintenance window."},
		"error.incident.not_found":           {ZH: "未找到该故障记录。", EN: "No such incident."},
		"rule.after_start":                   {ZH: "须晚于开始时间。", EN: "Must be after the start."},
		"rule.notice_too_short":              {ZH: "须至少提前 {hours} 小时通知；更短的通知只能作为紧急维护提交（将被标注，且不适用第七条的维护免责）。", EN: "Needs at least {hours} hours' notice; shorter notice is accepted only as emergency work (flagged, and not covered by the maintenance exemption of clause 7)."},
		"rule.scope_required":                {ZH: "请至少填写一个受影响的产品、地域或节点。", EN: "Give at least one affected product, region or node."},
		"rule.not_after_now":                 {ZH: "不能晚于当前时间。", EN: "Must not be after now."},
		"rule.exists":                        {ZH: "不存在。", EN: "Does not exist."},
		"rule.maintenance_only":              {ZH: "只有维护原因才能关联维护窗口。", EN: "Only a maintenance cause links a maintenance window."},
		"rule.window_required":               {ZH: "“已通知的维护”须关联维护窗口。", EN: "Maintenance with notice needs its maintenance window."},
		"rule.after_current_end":             {ZH: "须晚于当前的结束时间。", EN: "Must be after the current end."},
	})
}
