package app

import (
	"context"
	"fmt"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/announce"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// seedDemoAnnounce publishes one announcement, schedules one maintenance
// window on the demo individual's Nanchang cloud server product with more
// notice than policy asks (its notices go out like any other), and records
// one resolved incident (a carrier's fault: exempt under 7.4). Idempotent:
// it does nothing once any window exists.
func (a *App) seedDemoAnnounce(ctx context.Context, ids map[string]string) error {
	if ids["individual@demo.yuanxu.test"] == "" {
		return nil
	}
	ws, err := store.Windows(ctx, a.db, store.WindowFilter{Limit: 1})
	if err != nil || len(ws) > 0 {
		return err
	}
	ctx = WithActor(ctx, Actor{ID: "system", ClientIP: "127.0.0.1"})
	sys := account.Principal{AccountID: "system", Kind: account.KindStaff, Roles: []account.Role{account.RoleOperations}}
	if _, err := a.SaveAnnouncement(ctx, sys, "", AnnouncementInput{TitleZh: "南昌机房扩容完成", TitleEn: "Nanchang data centre expanded",
		BodyZh: "南昌机房新增一批云服务器，欢迎选购。\n\n如有问题，请提交工单。", BodyEn: "More cloud servers are available in Nanchang.\n\nOpen a ticket with any question.",
		Publish: true}); err != nil {
		return fmt.Errorf("demo announcement: %w", err)
	}
	now := a.Now()
	set, err := a.policyInForce(ctx, now)
	if err != nil {
		return err
	}
	start := now.Add(time.Duration(set.Int(policy.MaintenanceNoticeHours))*time.Hour + 48*time.Hour).Truncate(time.Hour)
	if _, err := a.ScheduleWindow(ctx, sys, WindowInput{TitleZh: "南昌机房核心交换机升级", TitleEn: "Nanchang core switch upgrade",
		BodyZh: "期间南昌云服务器网络可能中断约 30 分钟。", BodyEn: "Nanchang cloud servers may lose network for about 30 minutes.",
		Products: []string{"cs-nc-bw"}, Regions: []string{}, Start: start, End: start.Add(2 * time.Hour)}); err != nil {
		return fmt.Errorf("demo maintenance window: %w", err)
	}
	svcs, err := store.Services(ctx, a.db, store.ServiceFilter{AccountID: ids["individual@demo.yuanxu.test"], States: liveStates, Limit: 1})
	if err != nil || len(svcs) == 0 {
		return err
	}
	inc, err := a.OpenIncident(ctx, sys, IncidentInput{TitleZh: "上游运营商线路抖动", TitleEn: "Upstream carrier line flapping",
		BodyZh: "上游运营商线路短暂中断，已恢复。", BodyEn: "An upstream carrier's line was briefly down; it is back.",
		Cause: string(announce.CauseThirdParty), ServiceIDs: []string{svcs[0].ID}, StartedAt: now.Add(-3 * time.Hour)})
	if err != nil {
		return fmt.Errorf("demo incident: %w", err)
	}
	if _, err := a.ResolveIncident(ctx, sys, inc.ID, ResolveInput{EndedAt: now.Add(-150 * time.Minute)}); err != nil {
		return fmt.Errorf("demo incident resolution: %w", err)
	}
	return nil
}
