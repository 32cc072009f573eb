package app

import (
	"context"
	"fmt"

	"yuanxu/internal/account"
	"yuanxu/internal/store"
)

// seedDemoTickets opens a few demo conversations the first time the demo
// is seeded (none when the individual already has tickets): a question
// answered by support with an internal note, a complaint waiting for an
// answer, and a closed suggestion, plus two canned replies.
func (a *App) seedDemoTickets(ctx context.Context) error {
	load := func(email string) (account.Principal, error) {
		c, err := a.parseContact(email, "email")
		if err != nil {
			return account.Principal{}, err
		}
		row, err := store.AccountByIndex(ctx, a.db, "email", c.Index)
		if err != nil {
			return account.Principal{}, err
		}
		l, err := loadRow(ctx, a.db, row)
		return l.principal(), err
	}
	cust, err := load("individual@demo.yuanxu.test")
	if err != nil {
		return fmt.Errorf("demo tickets: %w", err)
	}
	have, _, err := store.TicketList(ctx, a.db, store.TicketFilter{OwnerAccountID: cust.AccountID, Limit: 1})
	if err != nil || len(have) > 0 {
		return err
	}
	ent, err := load("enterprise@demo.yuanxu.test")
	if err != nil {
		return err
	}
	agent, err := load(string(account.RoleSupport) + "@staff.demo.yuanxu.test")
	if err != nil {
		return err
	}
	lead, err := load(string(account.RoleSupportLead) + "@staff.demo.yuanxu.test")
	if err != nil {
		return err
	}
	ctx = WithActor(ctx, Actor{ID: "system"})
	for _, c := range []CannedReplyInput{
		{Title: "请提供服务器信息 / Server details", Body: "您好，请提供服务器 IP、操作系统和出现问题的时间，以便我们排查。\nHello, please send the server IP, its OS and when the problem began so that we can look into it."},
		{Department: "billing", Title: "退款审核时限 / Refund review", Body: "您的退款申请已收到，我们将在协议约定的工作日内完成审核并通知您。\nWe have your refund request and will review it within the working days the agreement sets."},
	} {
		if _, err := a.CannedReplyCreate(ctx, lead, c); err != nil {
			return err
		}
	}
	t1, err := a.TicketCreate(ctx, cust, TicketInput{Subject: "云服务器 SSH 连接超时", Category: "consult",
		Body: "从今天早上开始，SSH 连接服务器一直超时，ping 正常。", Attachments: []AttachmentInput{{Name: "ssh-debug.txt", Data: []byte("ssh -vvv: connect to host port 22: Connection timed out\n")}}})
	if err != nil {
		return err
	}
	if _, err := a.TicketAnswer(ctx, agent, t1.ID, ReplyInput{Body: "客户安全组未放行 22 端口，已核实。", Internal: true}); err != nil {
		return err
	}
	if _, err := a.TicketAnswer(ctx, agent, t1.ID, ReplyInput{Body: "您好，请在控制台安全组中放行 TCP 22 端口后重试。如仍有问题请回复本工单。"}); err != nil {
		return err
	}
	if _, err := a.TicketCreate(ctx, ent, TicketInput{Subject: "发票开具进度", Category: "complaint", Priority: "high",
		Body: "上月申请的增值税专用发票至今未收到，请尽快处理。"}); err != nil {
		return err
	}
	t3, err := a.TicketCreate(ctx, cust, TicketInput{Subject: "建议增加香港线路", Category: "suggestion", Priority: "low", Body: "希望增加香港 CN2 线路的 VPN 产品。"})
	if err != nil {
		return err
	}
	if _, err := a.TicketAnswer(ctx, agent, t3.ID, ReplyInput{Body: "感谢建议，已转交产品团队。"}); err != nil {
		return err
	}
	_, err = a.TicketClose(ctx, cust, t3.ID)
	return err
}
