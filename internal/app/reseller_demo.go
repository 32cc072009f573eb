package app

import (
	"context"
	"fmt"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/store"
)

// seedDemoResellers authorises the demo reseller (cloud servers and VPN
// lines, 10 % commission, one year), lets it handle its demo client's
// tickets, and leaves one invitation pending, whose link is in the sandbox
// mailbox (/console/sandbox/mail): every reseller flow can be tried by
// hand. Idempotent.
func (a *App) seedDemoResellers(ctx context.Context, ids map[string]string) error {
	rid, cid := ids["reseller@demo.yuanxu.test"], ids["client@demo.yuanxu.test"]
	if rid == "" {
		return nil
	}
	auths, err := store.ResellerAuths(ctx, a.db, rid, 1)
	if err != nil || len(auths) > 0 {
		return err
	}
	ctx = WithActor(ctx, Actor{ID: "system", ClientIP: "127.0.0.1"})
	sys := account.Principal{AccountID: "system", Kind: account.KindStaff, Roles: []account.Role{account.RoleAdmin}}
	if _, err := a.AuthoriseReseller(ctx, sys, ResellerAuthInput{ResellerID: rid, Kinds: []string{"cloud_server", "vpn"}, Mode: "commission",
		RateBP: 1000, ValidUntil: a.Now().Add(365 * 24 * time.Hour)}); err != nil {
		return fmt.Errorf("demo reseller authorisation: %w", err)
	}
	rl, err := loadAccount(ctx, a.db, rid)
	if err != nil {
		return err
	}
	if _, err := a.InviteCustomer(ctx, rl.principal(), InviteInput{Kind: "individual", Email: "invited@demo.yuanxu.test", Note: "demo"}); err != nil {
		return fmt.Errorf("demo invitation: %w", err)
	}
	if cid != "" {
		cl, err := loadAccount(ctx, a.db, cid)
		if err != nil {
			return err
		}
		if err := a.SetTicketDelegation(ctx, cl.principal(), true); err != nil {
			return err
		}
	}
	return nil
}
