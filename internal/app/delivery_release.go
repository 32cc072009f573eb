package app

import (
	"context"
	"time"

	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// Releasing what a service held when it ends, and the retention of the
// address history (issue 13; Cybersecurity Law art. 21/23).

// releaseAddressesTx gives back, in the transaction that ends a service
// (terminated after the grace period, refunded or cancelled: every end
// goes through terminateService), everything of the network it held: its
// WireGuard peer is marked removed (the node's agent drops it at its next
// pull, and its tunnel addresses return to the node's pool), its sandbox
// address returns to the sandbox pool, and every open holding in the
// address history is closed at that instant (tx.Now), so "who held this
// address at T" names it up to that instant and whoever is given the
// address next from then on. Releasing twice changes nothing.
func (a *App) releaseAddressesTx(ctx context.Context, tx *store.Tx, serviceID string) error {
	peer, err := tx.PeerRemove(ctx, serviceID, tx.Now)
	if err != nil {
		return err
	}
	lease, err := tx.SandboxRelease(ctx, serviceID)
	if err != nil {
		return err
	}
	closed, err := tx.AssignmentsClose(ctx, serviceID, tx.Now)
	if err != nil || (!peer && !lease && closed == 0) {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "service.addresses_released", SubjectType: "service", SubjectID: serviceID,
		Data: map[string]any{"wireguard_peer": peer, "sandbox_lease": lease, "holdings_closed": closed}})
}

// addressPurgeBatch bounds one run of the address-history purge.
const addressPurgeBatch = 500

// addressHistoryPurgeSweep deletes holdings of the address history that
// ended more than retention.network_logs_days ago under the policy the
// holder had accepted when the holding ended (policy.ForCustomer at its
// end). Open holdings are never deleted, whatever their age. One audit
// event per account purged.
func (a *App) addressHistoryPurgeSweep(ctx context.Context, now time.Time) (int64, error) {
	// No policy may keep network logs for less than the key's minimum:
	// nothing ended later can be due.
	k, _ := policy.Lookup(string(policy.RetentionNetworkLogsDays))
	rows, err := store.AssignmentsEndedBy(ctx, a.db, now.AddDate(0, 0, -int(k.Min)), addressPurgeBatch)
	if err != nil {
		return 0, err
	}
	due := map[string][]store.AssignmentRow{}
	var order []string
	for _, r := range rows {
		set, _, err := a.policy.ForCustomer(ctx, r.AccountID, r.Until)
		if err != nil {
			return 0, err
		}
		days := set.Int(policy.RetentionNetworkLogsDays)
		if r.Until.AddDate(0, 0, days).After(now) {
			continue
		}
		if _, ok := due[r.AccountID]; !ok {
			order = append(order, r.AccountID)
		}
		due[r.AccountID] = append(due[r.AccountID], r)
	}
	ctx = WithActor(ctx, Actor{ID: "system"})
	var n int64
	for _, acc := range order {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			var deleted int64
			for _, r := range due[acc] {
				ok, err := tx.AssignmentDelete(ctx, r.ID)
				if err != nil {
					return err
				}
				if ok {
					deleted++
				}
			}
			if deleted == 0 {
				return nil
			}
			n += deleted
			return a.Audit(ctx, tx, AuditEntry{Action: "address_history.purged", SubjectType: "account", SubjectID: acc,
				Data: map[string]any{"holdings": deleted, "retention": string(policy.RetentionNetworkLogsDays)}})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
