package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/provider/acme"
	"yuanxu/internal/store"
)

// Renewal notices of DV certificates proved by a TXT record the customer
// adds (issue 13, clause 2.2: certificates are delivered by email and
// SMS). The acme.renew sweep cannot renew them — the customer must publish
// a new value each time — so ACMEConfig.TXTNoticeDays before such a
// certificate of an active service ends, its customer is sent one
// certificate.renewal_due notice (email, SMS, inbox) telling them to renew
// from the service page. One notice per certificate: acme_renewal_notice
// is keyed by the service and the certificate's end, inserted in the same
// transaction as the notice, so neither a second run nor a second
// instance sends it again; a renewed certificate (a new end) gets its own.

// DefaultTXTNoticeDays is ACMEConfig.TXTNoticeDays when not set: a third
// of a 90-day certificate, the automatic renewals' lead as well.
const DefaultTXTNoticeDays = 30

// acmeTXTNoticeBatch bounds the notices of one sweep.
const acmeTXTNoticeBatch = 100

// ACMETXTNoticeSweep sends the renewal notices that are due (see above)
// and reports how many it sent; without ACME configured it does nothing.
func (a *App) ACMETXTNoticeSweep(ctx context.Context, now time.Time) (int64, error) {
	st := a.acmeCfg.Load()
	if st == nil {
		return 0, nil
	}
	lead := time.Duration(st.cfg.TXTNoticeDays) * 24 * time.Hour
	ids, err := store.ACMERenewalNoticesDue(ctx, a.db, now.Add(lead), now, string(acme.CustomerTXT), acmeTXTNoticeBatch)
	if err != nil {
		return 0, err
	}
	ctx = WithActor(ctx, Actor{ID: "system"})
	var n int64
	for _, id := range ids {
		sent := false
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			r, err := store.ACMERequestGet(ctx, tx, id)
			if err != nil || r.State != ACMEIssued || r.DNSMode != string(acme.CustomerTXT) {
				return err // a renewal under way needs no notice
			}
			rec, lang, err := a.customerRecipient(ctx, tx, r.AccountID)
			if err != nil {
				return err
			}
			receipt, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventCertificateRenewalDue, Recipient: rec, Lang: lang,
				Subject: notify.Subject{Type: "service", ID: id},
				Vars:    map[string]string{"domains": strings.Join(r.Domains, ", "), "not_after": cstString(r.NotAfter)}})
			if err != nil {
				return err
			}
			if ok, err := tx.ACMERenewalNoticeInsert(ctx, id, r.NotAfter, receipt.NotificationID); err != nil || !ok {
				return conflictOr(err) // told already: the notice above is rolled back
			}
			sent = true
			return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_renewal_noticed", SubjectType: "service", SubjectID: id,
				Data: map[string]any{"domains": r.Domains, "not_after": r.NotAfter, "notice_days": st.cfg.TXTNoticeDays}})
		})
		if err == nil && sent {
			n++
		}
		if err != nil {
			a.log.LogAttrs(ctx, slog.LevelWarn, "acme: renewal notice", slog.String("service", id), slog.String("err", err.Error()))
		}
	}
	return n, nil
}

// txtRenewalDue reports whether r is an issued certificate proved by the
// customer's TXT record that ends within ACMEConfig.TXTNoticeDays (or has
// ended): the customer must renew it themselves.
func (a *App) txtRenewalDue(r store.ACMERequestRow) bool {
	days := DefaultTXTNoticeDays
	if st := a.acmeCfg.Load(); st != nil {
		days = st.cfg.TXTNoticeDays
	}
	return r.State == ACMEIssued && r.DNSMode == string(acme.CustomerTXT) && !r.NotAfter.IsZero() &&
		!a.Now().Before(r.NotAfter.Add(-time.Duration(days)*24*time.Hour))
}

// CodeACMENotRenewable refuses a customer's renewal of a certificate that
// is not an issued one proved by their own TXT record (the others are
// renewed automatically).
const CodeACMENotRenewable = "acme.not_renewable"

// RenewCertificate is the customer's renewal of an issued certificate
// proved by a TXT record they add (service.manage): the request goes back
// to submitted with no order, as the acme.renew sweep does for the other
// modes, and the driver opens a new order at once, which waits for the
// customer's new TXT record (the service page lists it; then
// ConfirmCertificateChallenge). The old certificate stays downloadable
// until the new one is issued, and the delivery stays delivered. Anything
// else is acme.not_renewable (409).
func (a *App) RenewCertificate(ctx context.Context, p account.Principal, serviceID string) (CertificateView, error) {
	const op = "app.RenewCertificate"
	if _, _, err := a.acmeService(ctx, p, serviceID, "service.manage", "service.manage"); err != nil {
		return CertificateView{}, err
	}
	if p.Kind == account.KindStaff {
		return CertificateView{}, errNotFound("service")
	}
	if a.acmeCfg.Load() == nil {
		return CertificateView{}, errs.E(errs.Op(op), errs.Unavailable, CodeACMENotConfigured, "certificates by ACME are not configured")
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.ACMERequestGet(ctx, tx, serviceID)
		if store.IsNotFound(err) || (err == nil && (r.State != ACMEIssued || r.DNSMode != string(acme.CustomerTXT) || r.CertPEM == "")) {
			return errs.E(errs.Op(op), errs.Conflict, CodeACMENotRenewable, "only an issued certificate proved by your TXT record is renewed by hand")
		}
		if err != nil {
			return err
		}
		from, fromAt := r.State, r.UpdatedAt
		r.State, r.OrderJSON, r.Reason, r.UpdatedAt = ACMESubmitted, "", "renewal", tx.Now
		if !r.UpdatedAt.After(fromAt) {
			r.UpdatedAt = fromAt.Add(time.Millisecond)
		}
		if ok, err := tx.ACMERequestUpdate(ctx, r, from, fromAt); err != nil || !ok {
			return conflictOr(err)
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_renewal_requested", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"domains": r.Domains, "not_after": r.NotAfter}})
	})
	if err != nil {
		return CertificateView{}, err
	}
	a.continueRenewal(ctx, serviceID)
	return a.Certificate(ctx, p, serviceID)
}

// continueRenewal runs the acme driver for a renewal the customer moved
// on (requested, or confirmed the new TXT record). A failure is logged:
// a refused renewal is recorded on the request by the driver, and an
// interrupted one is continued by the acme.renew sweep.
func (a *App) continueRenewal(ctx context.Context, serviceID string) {
	d := &acmeDriver{a: a}
	if _, err := d.Provision(WithActor(context.WithoutCancel(ctx), Actor{ID: "system"}), ProvisionRequest{Token: serviceID, ServiceID: serviceID}); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "acme: renewal", slog.String("service", serviceID), slog.String("err", err.Error()))
	}
}
