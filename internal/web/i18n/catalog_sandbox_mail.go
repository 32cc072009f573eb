package i18n

func init() {
	register(map[string]Message{
		"page.mail.title":   {ZH: "沙箱邮件", EN: "Sandbox mail"},
		"page.mail.heading": {ZH: "沙箱邮件发件箱", EN: "Sandbox mail outbox"},
		"page.mail.lead":    {ZH: "沙箱模式下未配置 SMTP 服务器时，通知邮件经 SMTP 投递到内置的沙箱收件服务，并显示在这里。", EN: "In sandbox mode without an SMTP server, notification email is sent over SMTP to the built-in sandbox sink and appears here."},
		"page.mail.to":      {ZH: "收件地址", EN: "Recipient"},
		"page.mail.subject": {ZH: "主题", EN: "Subject"},
	})
}
