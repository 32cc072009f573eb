package notify

// Ticket templates (clause 5). They name the ticket and its subject only:
// message bodies — and never an internal note — stay in the portal.
func init() {
	for ev, s := range map[Event]Source{
		EventTicketOpened: {
			Subject:   "工单 {{.ticket_ref}} 已受理：{{.subject}}",
			Text:      "我们已收到您的工单 {{.ticket_ref}}（{{.subject}}），客服会尽快答复。\n\n请登录控制台查看和回复。",
			SMS:       "工单{{.ticket_ref}}已受理，请登录查看。",
			SMSParams: []string{"ticket_ref"},
		},
		EventTicketAnswered: {
			Subject:   "工单 {{.ticket_ref}} 有新答复：{{.subject}}",
			Text:      "客服已答复您的工单 {{.ticket_ref}}（{{.subject}}）。\n\n请登录控制台查看答复；如问题已解决，可关闭工单。",
			SMS:       "工单{{.ticket_ref}}有新答复，请登录查看。",
			SMSParams: []string{"ticket_ref"},
		},
		EventTicketCustomerReplied: {
			Subject:   "工单 {{.ticket_ref}} 客户已回复：{{.subject}}",
			Text:      "客户回复了工单 {{.ticket_ref}}（{{.subject}}），请在管理后台处理。",
			SMS:       "工单{{.ticket_ref}}客户已回复。",
			SMSParams: []string{"ticket_ref"},
		},
		EventTicketClosed: {
			Subject:   "工单 {{.ticket_ref}} 已关闭：{{.subject}}",
			Text:      "您的工单 {{.ticket_ref}}（{{.subject}}）已关闭。\n\n如问题仍未解决，您可在 {{.reopen_until}}（北京时间）前重新打开，或提交新工单。",
			SMS:       "工单{{.ticket_ref}}已关闭，{{.reopen_until}}前可重新打开。",
			SMSParams: []string{"ticket_ref", "reopen_until"},
		},
		EventTicketAutoCloseWarning: {
			Subject:   "工单 {{.ticket_ref}} 将于 {{.close_at}} 自动关闭",
			Text:      "您的工单 {{.ticket_ref}}（{{.subject}}）在客服答复后未收到您的回复，将于 {{.close_at}}（北京时间）自动关闭（服务协议第五条）。\n\n如问题仍未解决，请在此之前回复。",
			SMS:       "工单{{.ticket_ref}}将于{{.close_at}}自动关闭，如需继续请回复。",
			SMSParams: []string{"ticket_ref", "close_at"},
		},
		EventTicketTargetBreached: {
			Subject:   "工单 {{.ticket_ref}} 超出服务时限（{{.target}}）",
			Text:      "工单 {{.ticket_ref}}（{{.subject}}）的服务时限 {{.target}} 已于 {{.due}}（北京时间）到期，请尽快处理。",
			SMS:       "工单{{.ticket_ref}}已超时限{{.target}}。",
			SMSParams: []string{"ticket_ref", "target"},
		},
	} {
		zhSources[ev] = s
	}
	for ev, s := range map[Event]Source{
		EventTicketOpened: {
			Subject:   "Ticket {{.ticket_ref}} received: {{.subject}}",
			Text:      "We have received your ticket {{.ticket_ref}} ({{.subject}}); our support team will answer soon.\n\nSign in to read and reply.",
			SMS:       "Ticket {{.ticket_ref}} received; sign in to follow it.",
			SMSParams: []string{"ticket_ref"},
		},
		EventTicketAnswered: {
			Subject:   "New answer on ticket {{.ticket_ref}}: {{.subject}}",
			Text:      "Our support team has answered your ticket {{.ticket_ref}} ({{.subject}}).\n\nSign in to read the answer; close the ticket if your problem is solved.",
			SMS:       "Ticket {{.ticket_ref}} has a new answer; sign in to read it.",
			SMSParams: []string{"ticket_ref"},
		},
		EventTicketCustomerReplied: {
			Subject:   "Customer replied on ticket {{.ticket_ref}}: {{.subject}}",
			Text:      "The customer replied on ticket {{.ticket_ref}} ({{.subject}}); please handle it in the console.",
			SMS:       "Customer replied on ticket {{.ticket_ref}}.",
			SMSParams: []string{"ticket_ref"},
		},
		EventTicketClosed: {
			Subject:   "Ticket {{.ticket_ref}} closed: {{.subject}}",
			Text:      "Your ticket {{.ticket_ref}} ({{.subject}}) has been closed.\n\nIf the problem is not solved, you may reopen it until {{.reopen_until}} (Beijing time), or open a new ticket.",
			SMS:       "Ticket {{.ticket_ref}} closed; reopen until {{.reopen_until}}.",
			SMSParams: []string{"ticket_ref", "reopen_until"},
		},
		EventTicketAutoCloseWarning: {
			Subject:   "Ticket {{.ticket_ref}} will close on {{.close_at}}",
			Text:      "We have not heard from you since we answered your ticket {{.ticket_ref}} ({{.subject}}); it will close itself on {{.close_at}} (Beijing time; agreement clause 5).\n\nReply before then if the problem is not solved.",
			SMS:       "Ticket {{.ticket_ref}} closes on {{.close_at}}; reply to keep it open.",
			SMSParams: []string{"ticket_ref", "close_at"},
		},
		EventTicketTargetBreached: {
			Subject:   "Ticket {{.ticket_ref}} missed its target ({{.target}})",
			Text:      "The {{.target}} target of ticket {{.ticket_ref}} ({{.subject}}) was due {{.due}} (Beijing time); please handle it now.",
			SMS:       "Ticket {{.ticket_ref}} missed its {{.target}} target.",
			SMSParams: []string{"ticket_ref", "target"},
		},
	} {
		enSources[ev] = s
	}
}
