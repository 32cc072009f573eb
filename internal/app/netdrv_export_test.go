package app

import "context"

// WireGuardProvisionForTest calls the wireguard driver directly, as the
// provisioning job does, with req's token.
func (a *App) WireGuardProvisionForTest(ctx context.Context, req ProvisionRequest) (ProvisionResult, error) {
	return wireguardDriver{a: a}.Provision(ctx, req)
}
