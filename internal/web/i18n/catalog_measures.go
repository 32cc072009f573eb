package i18n

// Measures, notices and appeals (issue 16; clauses 4.2 and 6.2).
func init() {
	register(map[string]Message{
		"error.measure.invalid":                 {ZH: "处置信息有误，请查看 errors 中列出的字段。", EN: "The measure has invalid fields; see errors."},
		"error.measure.case_not_confirmed":      {ZH: "处置须基于已确认的违规案件（协议第 4.2 条）。", EN: "Measures follow a confirmed violation case (clause 4.2)."},
		"error.measure.bad_state":               {ZH: "该处置当前状态不允许此操作。", EN: "The measure's state does not allow this."},
		"error.compliance_measure.not_found":    {ZH: "未找到该处置。", EN: "No such measure."},
		"error.standing.already_set":            {ZH: "该账户已处于同类处置之下。", EN: "A measure of this kind is in force on the account already."},
		"error.compliance.separation_of_duties": {ZH: "申诉须由原处置人以外的人员复核（协议第 6.2 条）。", EN: "An appeal is decided by someone other than the officer who imposed the measure (clause 6.2)."},
		"error.appeal.invalid":                  {ZH: "申诉信息有误，请查看 errors 中列出的字段。", EN: "The appeal has invalid fields; see errors."},
		"error.appeal.late":                     {ZH: "申诉期限已于 {deadline} 届满（协议第 {clause} 条）。", EN: "The appeal window closed at {deadline} (clause {clause})."},
		"error.appeal.not_yours":                {ZH: "处置仅可由被处置的客户本人申诉（协议第 6.2 条）。", EN: "A measure is appealed by the customer it is about (clause 6.2)."},
		"error.appeal.already_open":             {ZH: "针对该处置的申诉正在处理中。", EN: "An appeal against this measure is open already."},
		"error.appeal.bad_transition":           {ZH: "申诉当前状态（{state}）不允许此操作。", EN: "The appeal's state ({state}) does not allow this."},
		"error.appeal.reason_required":          {ZH: "维持原处置须说明理由。", EN: "Upholding a measure says why."},
		"error.appeal.not_reviewer":             {ZH: "申诉由受理该申诉的复核人作出决定。", EN: "The appeal is decided by the reviewer who took it."},
		"error.appeal.not_found":                {ZH: "未找到该申诉。", EN: "No such appeal."},
		"rule.suspend_only":                     {ZH: "仅暂停服务时可指定服务。", EN: "Only a suspension names a service."},
	})
}
