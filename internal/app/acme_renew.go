package app

import (
	"context"
	"log/slog"
	"time"

	"yuanxu/internal/provider/acme"
	"yuanxu/internal/store"
)

// Renewing DV certificates (issue 13). An issued certificate of an active
// service is renewed ACMEConfig.RenewBefore before it ends through the
// acme driver's own path: the request goes back to submitted with no
// order, and the driver opens one order (stored before anything else; a
// crash or a second instance continues it, a lease keeps one worker),
// proves control again the way the customer chose, and stores the new
// certificate (and a new key we generate, sealed) — the customer gets the
// certificate.issued email with the new certificate and chain, and the
// SMS notice. The old certificate stays downloadable until then. A renewal
// the CA refuses is not a ca_rejected state (the refund rules read those
// for the first issue, clause 3.2.2): the request returns to issued with
// the reason, and the next attempt waits acmeRenewRetry. Certificates
// proved by a TXT record the customer adds are not renewed here: the
// customer must publish a new value each time, so they are told to
// (ACMETXTNoticeSweep) and renew from the service page (RenewCertificate);
// such a renewal left interrupted is continued here.

// acmeRenewRetry is how long a failed or interrupted renewal waits.
const acmeRenewRetry = 6 * time.Hour

// acmeRenewBatch bounds the renewals of one sweep.
const acmeRenewBatch = 5

// ACMERenewSweep renews the issued certificates that are due (see above)
// and reports how many were renewed; without ACME configured it does
// nothing. Failures are logged and recorded on the request.
func (a *App) ACMERenewSweep(ctx context.Context, now time.Time) (int64, error) {
	st := a.acmeCfg.Load()
	if st == nil {
		return 0, nil
	}
	ids, err := store.ACMERenewalsDue(ctx, a.db, now.Add(st.cfg.RenewBefore), now.Add(-acmeRenewRetry), now, string(acme.CustomerTXT), acmeRenewBatch)
	if err != nil {
		return 0, err
	}
	ctx = WithActor(ctx, Actor{ID: "system"})
	d := &acmeDriver{a: a}
	var n int64
	for _, id := range ids {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			r, err := store.ACMERequestGet(ctx, tx, id)
			if err != nil || r.State != ACMEIssued {
				return err // a renewal under way is continued as it is
			}
			from, fromAt := r.State, r.UpdatedAt
			r.State, r.OrderJSON, r.Reason, r.UpdatedAt = ACMESubmitted, "", "renewal", tx.Now
			if !r.UpdatedAt.After(fromAt) {
				r.UpdatedAt = fromAt.Add(time.Millisecond)
			}
			if ok, err := tx.ACMERequestUpdate(ctx, r, from, fromAt); err != nil || !ok {
				return conflictOr(err)
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_renewal_started", SubjectType: "service", SubjectID: id,
				Data: map[string]any{"domains": r.Domains, "not_after": r.NotAfter, "renew_before": st.cfg.RenewBefore.String()}})
		})
		if err == nil {
			var res ProvisionResult
			if res, err = d.Provision(ctx, ProvisionRequest{Token: id, ServiceID: id}); err == nil && res.Complete {
				n++
			}
		}
		if err != nil {
			a.log.LogAttrs(ctx, slog.LevelWarn, "acme: renewal", slog.String("service", id), slog.String("err", err.Error()))
		}
	}
	return n, nil
}

// acmeRenewalFailedTx records a refused renewal: the request is issued
// again (its certificate unchanged) with the reason, and nothing else
// changes. ok=false when cur is not a renewal (no certificate yet).
func (a *App) acmeRenewalFailedTx(ctx context.Context, tx *store.Tx, cur store.ACMERequestRow, reason string) (bool, error) {
	if cur.CertPEM == "" {
		return false, nil
	}
	from, fromAt := cur.State, cur.UpdatedAt
	cur.State, cur.Reason, cur.LeaseUntil, cur.OrderJSON, cur.UpdatedAt = ACMEIssued, trimNote("renewal failed: "+reason), time.Time{}, "", tx.Now
	if ok, err := tx.ACMERequestUpdate(ctx, cur, from, fromAt); err != nil || !ok {
		return true, conflictOr(err)
	}
	return true, a.Audit(ctx, tx, AuditEntry{Action: "service.cert_renewal_failed", SubjectType: "service", SubjectID: cur.ServiceID,
		Data: map[string]any{"reason": reason, "domains": cur.Domains, "not_after": cur.NotAfter}})
}
