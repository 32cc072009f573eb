package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/provider/acme"
	"yuanxu/internal/store"
)

// HTTPS for CDN sites (issue 13). Once a site's domain is verified, a
// certificate for its domains is obtained through the ACME account of
// ConfigureACME by HTTP-01: the domain points (CNAME) at its edge, and the
// edge's nginx forwards /.well-known/acme-challenge/ to this server, which
// answers from the database (ACMEChallengeHandler), so the CA's real
// validation passes through the same edge visitors use; a site is
// certified only once its edge's agent has pulled it since it was
// verified (cdn_site.served_at_ms). The key is
// generated here and stored sealed; the certificate, chain and key reach
// the edge only in the agent's authenticated pull (AgentConfigFor), and
// the agent's nginx site then answers HTTPS too. The same path renews a
// certificate ACMEConfig.RenewBefore before it ends (the customer is told)
// and re-issues when the site's domain changes. One open order per site is
// stored before anything else (a crash or a second instance continues
// it); a lease and a back-off keep one worker at a time and a failing
// domain from hammering the CA.

// DefaultCertRenewBefore is how long before a certificate ends it is
// renewed when ACMEConfig.RenewBefore is not set (a third of a 90-day
// certificate, as ACME clients commonly do).
const DefaultCertRenewBefore = 30 * 24 * time.Hour

// siteCertBackoff is the wait after the n-th failed attempt in a row:
// five minutes doubled each time, at most a day.
func siteCertBackoff(n int) time.Duration {
	d := 5 * time.Minute
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 24*time.Hour)
}

// siteCertBatch bounds the certificates one sweep obtains.
const siteCertBatch = 5

// CDNCertSweep obtains or renews the certificates of verified sites of
// active services that need one (none yet, another domain, or ending
// within ACMEConfig.RenewBefore) and whose next attempt is due; without
// ACME configured it does nothing. Failures are recorded on the site's
// certificate row with a back-off and do not stop the sweep.
func (a *App) CDNCertSweep(ctx context.Context, now time.Time) (int64, error) {
	st := a.acmeCfg.Load()
	if st == nil {
		return 0, nil
	}
	sites, err := store.SitesNeedingCert(ctx, a.db, now.Add(st.cfg.RenewBefore), now, siteCertBatch)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range sites {
		if err := a.issueSiteCert(ctx, s); err != nil {
			if !errors.Is(err, errACMEBusy) {
				a.log.LogAttrs(ctx, slog.LevelWarn, "cdn: site certificate", slog.String("service", s.ServiceID), slog.String("err", err.Error()))
			}
			continue
		}
		n++
	}
	return n, nil
}

// siteCertWrite applies f to r and writes it if nobody changed it since
// it was read (errACMEBusy otherwise); it returns the row as written.
func (a *App) siteCertWrite(ctx context.Context, tx *store.Tx, r store.SiteCertRow, f func(*store.SiteCertRow)) (store.SiteCertRow, error) {
	prev := r.UpdatedAt
	f(&r)
	r.UpdatedAt = tx.Now
	if !r.UpdatedAt.After(prev) {
		r.UpdatedAt = prev.Add(time.Millisecond) // a manual clock: keep the version moving
	}
	ok, err := tx.SiteCertPut(ctx, r, prev)
	if err == nil && !ok {
		err = errACMEBusy
	}
	return r, err
}

// issueSiteCert takes the lease on s's certificate row, continues its
// open order or opens one, completes it at the CA and stores the result.
func (a *App) issueSiteCert(ctx context.Context, s store.SiteRow) error {
	st := a.acmeCfg.Load()
	if st == nil {
		return errs.E(errs.Op("app.issueSiteCert"), errs.Unavailable, CodeACMENotConfigured, "ACME is not configured on this instance")
	}
	var cur store.SiteCertRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.SiteCertGet(ctx, tx, s.ServiceID)
		if store.IsNotFound(err) {
			r = store.SiteCertRow{ServiceID: s.ServiceID, Domains: s.Domains}
		} else if err != nil {
			return err
		}
		if r.NextTry.After(tx.Now) {
			return errACMEBusy
		}
		cur, err = a.siteCertWrite(ctx, tx, r, func(r *store.SiteCertRow) {
			if !slices.Equal(r.Domains, s.Domains) {
				r.Domains, r.OrderJSON = s.Domains, ""
			}
			r.NextTry = tx.Now.Add(st.cfg.Lease)
		})
		return err
	})
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)

	var o *acme.Order
	if cur.OrderJSON == "" {
		if o, err = st.client.Order(ctx, acme.Request{Domains: cur.Domains, Challenge: acme.HTTP01}); err != nil {
			return a.siteCertFailed(ctx, cur, err)
		}
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err = a.siteCertWrite(ctx, tx, cur, func(r *store.SiteCertRow) { r.OrderJSON = string(b) })
			return err
		}); err != nil {
			return err
		}
	} else if err := json.Unmarshal([]byte(cur.OrderJSON), &o); err != nil {
		return a.siteCertFailed(ctx, cur, fmt.Errorf("%w: %v", errSiteCertOrder, err))
	}
	cert, err := st.client.Complete(ctx, o, nil)
	if err != nil {
		return a.siteCertFailed(ctx, cur, err)
	}
	keyEnc, err := a.seal("cdn_site_cert", "key_pem", s.ServiceID, string(cert.KeyPEM))
	if err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		renewal := cur.CertPEM != ""
		r, err := a.siteCertWrite(ctx, tx, cur, func(r *store.SiteCertRow) {
			r.OrderJSON, r.KeyEnc, r.CertPEM, r.ChainPEM = "", keyEnc, string(cert.CertPEM), string(cert.ChainPEM)
			r.NotAfter, r.IssuedAt, r.Attempts, r.Reason, r.NextTry = cert.NotAfter, tx.Now, 0, "", tx.Now
		})
		if err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "cdn.certificate_issued", SubjectType: "service", SubjectID: s.ServiceID,
			Data: map[string]any{"domains": r.Domains, "not_after": r.NotAfter, "renewal": renewal, "node": s.NodeID}}); err != nil {
			return err
		}
		if !renewal {
			return nil
		}
		return a.notifyDelivery(ctx, tx, s.AccountID, notify.EventCertificateRenewed, s.ServiceID,
			map[string]string{"domains": strings.Join(r.Domains, ", "), "not_after": cstString(r.NotAfter)})
	})
}

// siteCertFailed records a failed attempt: a CA refusal (or an order
// that cannot be read) drops the order, anything else keeps it for the
// next attempt; either way the next attempt waits siteCertBackoff.
func (a *App) siteCertFailed(ctx context.Context, cur store.SiteCertRow, cause error) error {
	var re *acme.RejectedError
	dead := errors.As(cause, &re) || errors.Is(cause, errSiteCertOrder)
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := a.siteCertWrite(ctx, tx, cur, func(r *store.SiteCertRow) {
			if dead {
				r.OrderJSON = ""
			}
			r.Attempts++
			r.Reason = trimNote(cause.Error())
			r.NextTry = tx.Now.Add(siteCertBackoff(r.Attempts))
		})
		if err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "cdn.certificate_failed", SubjectType: "service", SubjectID: cur.ServiceID,
			Data: map[string]any{"domains": r.Domains, "reason": r.Reason, "attempts": r.Attempts, "next_try": r.NextTry}})
	})
	return errors.Join(cause, err)
}

var errSiteCertOrder = errors.New("cdn: the stored order cannot be read")

// AgentTLS is a site's certificate as its edge serves it.
type AgentTLS struct {
	CertificatePEM string    `json:"certificate_pem" example:"-----BEGIN CERTIFICATE-----\n…" doc:"The leaf, then the chain."`
	KeyPEM         string    `json:"key_pem" example:"-----BEGIN PRIVATE KEY-----\n…"`
	NotAfter       time.Time `json:"not_after" example:"2026-08-30T09:00:00+08:00"`
}

// siteTLS opens the certificate of a site for its edge (nil when it has
// none yet, or only one for other domains).
func (a *App) siteTLS(c store.SiteCertRow, s store.SiteRow) (*AgentTLS, error) {
	if c.CertPEM == "" || c.KeyEnc == "" || !slices.Equal(c.Domains, s.Domains) {
		return nil, nil
	}
	key, err := a.open("cdn_site_cert", "key_pem", c.ServiceID, c.KeyEnc)
	if err != nil {
		return nil, err
	}
	return &AgentTLS{CertificatePEM: strings.TrimSpace(c.CertPEM) + "\n" + strings.TrimSpace(c.ChainPEM) + "\n", KeyPEM: key, NotAfter: c.NotAfter}, nil
}
