package app

import (
	"context"
	"time"
)

// WireGuardProvisionForTest calls the wireguard driver directly, as the
// provisioning job does, with req's token.
func (a *App) WireGuardProvisionForTest(ctx context.Context, req ProvisionRequest) (ProvisionResult, error) {
	return wireguardDriver{a: a}.Provision(ctx, req)
}

// AddressHistoryPurgeForTest runs the address-history purge sweep at now.
func (a *App) AddressHistoryPurgeForTest(ctx context.Context, now time.Time) (int64, error) {
	return a.addressHistoryPurgeSweep(ctx, now)
}
